/*
 * server.c: opening and closing the server, and what it tells its
 * transport.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "place/plan.h"
#include "plc/clock.h"
#include "proto/validate.h"

int srv_open(struct srv **out, uv_loop_t *loop, const struct srv_options *o,
             struct plc_error *err)
{
    *out = NULL;
    struct srv *s = calloc(1, sizeof *s);
    if (!s)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    s->loop = loop;
    s->queue_max = o->queue_max ? o->queue_max : 64;
    s->agents_allowed = o->agents_allowed;
    s->tokens_required = o->tokens_required;
    s->agent_send = o->agent_send;
    s->agent_arg = o->agent_arg;
    s->refused_agents_ms = -1e9;
    s->sync.totals = &s->totals;
    s->sync.send = srv__agent_send_to;
    s->sync.arg = s;
    place_cancel_at(0); /* a server opened again plans again */
    int rc = store_open(o->db, &s->store, err);
    if (rc == 0)
        rc = store_open(o->db, &s->writer, err);
    /* the totals are a cache of the reservations: check, repair, log */
    char first[256] = "";
    if (rc == 0)
        rc = store_reserved_repair(s->store, &s->repaired, first, sizeof first,
                                   err);
    if (rc == 0 && s->repaired)
        plc_log(PLC_LOG_WARN,
                "the reserved totals differed from the reservations in %ld "
                "rows (first: %s); repaired",
                s->repaired, first);
    void *doc = NULL;
    size_t len = 0;
    if (rc == 0) {
        rc = store_cluster_get(s->store, &doc, &len, err);
        if (rc == PLC_ENOENT) {
            plc_error_clear(err);
            doc = NULL;
            rc = 1; /* no cluster yet */
        }
    }
    if (rc == 0) {
        Placer__Cluster *c = placer__cluster__unpack(NULL, len, doc);
        long unknown = 0;
        struct plc_diags d = PLC_DIAGS_INIT;
        bool handed = false; /* the totals own c once given it */
        if (c)
            proto_cluster_validate(c, &d);
        if (!c)
            rc = plc_error_set(err, PLC_EDATA,
                               "the stored cluster cannot be decoded; "
                               "restore the store from a backup");
        else if (d.n)
            /* read as strictly as a file: a cluster no validation passes
             * would be planned on (negative cores, duplicate names) */
            rc = plc_error_set(err, PLC_EDATA,
                               "the stored cluster is not valid (%s: %s%s); "
                               "placer never stores one: restore the store "
                               "from a backup",
                               d.v[0].path, d.v[0].msg,
                               d.n > 1 ? ", and more" : "");
        else if (handed = true,
                 (rc = srv__totals_set_cluster(&s->totals, c)) < 0)
            plc_error_set(err, rc, "out of memory loading the cluster");
        else
            rc = srv__totals_load(&s->totals, s->store, &unknown, err);
        if (rc == 0 && unknown)
            plc_log(PLC_LOG_WARN,
                    "%ld reserved totals name what the cluster lacks", unknown);
        if (rc == 0)
            rc = srv__sync_load(&s->sync, s->store, err);
        plc_diags_release(&d);
        if (c && !handed)
            placer__cluster__free_unpacked(c, NULL);
    }
    free(doc);
    if (rc < 0) {
        srv_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void srv_close(struct srv *s)
{
    if (!s)
        return;
    /* the waiting ones hear why (nothing runs: srv_idle()) */
    s->draining = true;
    s->stopped = NULL;
    srv__start_next(s);
    srv__sync_release_all(&s->sync);
    srv__totals_release(&s->totals);
    store_close(s->writer);
    store_close(s->store);
    free(s);
}

void srv_stop(struct srv *s, void (*done)(void *arg), void *arg)
{
    if (s->draining)
        return;
    s->draining = true;
    s->stopped = done;
    s->stopped_arg = arg;
    /* the plan in progress ends within SRV_STOP_GRACE_S with what it has
     * (a plan found is still committed): a stop never waits for a long
     * time limit */
    place_cancel_at(plc_now_s() + SRV_STOP_GRACE_S);
    srv__watch_poll(s, true); /* watches answered: no request stays open */
    srv__start_next(s);       /* answers the waiting ones; done() when idle */
}

bool srv_idle(const struct srv *s)
{
    return !s->running && !s->committing && !s->commit_head;
}

long srv_served(const struct srv *s)
{
    return s->served;
}

size_t srv_queued(const struct srv *s)
{
    return s->queued;
}

bool srv_planning(const struct srv *s)
{
    return s->running != NULL;
}

int srv_schema_version(const struct srv *s)
{
    return store_schema_version(s->store);
}

long srv_repaired(const struct srv *s)
{
    return s->repaired;
}

bool srv_has_cluster(const struct srv *s)
{
    return s->totals.cluster != NULL;
}

const Placer__Cluster *srv_cluster(const struct srv *s)
{
    return s->totals.cluster;
}

bool srv_stopping(const struct srv *s)
{
    return s->draining;
}
