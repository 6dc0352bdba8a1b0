/*
 * placerd: the central placement service.
 *
 * One libuv loop.  Clients talk to a ZeroMQ ROUTER socket whose ZMQ_FD is
 * watched with uv_poll; that descriptor is edge-triggered (it signals a
 * change of ZMQ_EVENTS, not a level), so every wake-up and every send is
 * followed by draining the socket while ZMQ_EVENTS says POLLIN.
 *
 * Admissions and cluster changes go through one FIFO queue (bounded: a
 * full queue answers busy) and run one at a time, so each is planned
 * against the residuals every earlier one left: no double booking.  The
 * plan itself (model, GLPK) runs on libuv's worker pool, so the loop keeps
 * answering status, list, hosts and release meanwhile.
 *
 * Group commit: an admitted plan counts against the residuals at once (so
 * the next plan cannot take its capacity) and joins the commit queue;
 * one worker writes every waiting admission in one SQLite transaction
 * (one fsync) on its own connection, and only then are their replies
 * sent.  Nothing is acknowledged before it is durable; a plan whose
 * commit fails is answered with the error and stops counting.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <systemd/sd-daemon.h>
#include <ini.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#include <zmq.h>

#include "plc/clock.h"
#include "plc/version.h"
#include "admit.h"
#include "plc/keyfile.h"
#include "model/model.h"
#include "plc/diag.h"
#include "plc/error.h"
#include "proto/validate.h"
#include "server.h"
#include "sched/arrival.h"
#include "sync.h"

#define MAX_REQUEST_BYTES (16u << 20)

static const char help[] =
    "Usage: placerd [OPTIONS]\n"
    "\n"
    "The placer service: keeps the cluster and every admitted workflow's\n"
    "reservations in a SQLite file, admits workflows one at a time against\n"
    "what is left, and answers the online commands of 'placer'. Node\n"
    "agents (placer-agent) register their hosts; each gets the\n"
    "reservations of its host when it registers and as admissions,\n"
    "releases and bindings become durable, and acknowledges each; failures\n"
    "are retried (1 s, doubling to 30 s). A host whose agent misses three\n"
    "heartbeats is down: nothing new is placed there.\n"
    "\n"
    "Options:\n"
    "  --db FILE              the store (default ./placer.db); created and\n"
    "                         migrated to the newest schema when opened\n"
    "  --listen ENDPOINT      clients (default tcp://127.0.0.1:7460)\n"
    "  --agents-listen ENDPOINT\n"
    "                         node agents (default tcp://127.0.0.1:7461)\n"
    "  --insecure-agents      accept agents without CURVE keys; only on an\n"
    "                         ipc:// or loopback --agents-listen (demos)\n"
    "  --server-key FILE      CURVE on the agents' socket: placerd's secret\n"
    "                         key (placer keygen's PATH.key)\n"
    "  --agent-keys DIR       ...and the agents it accepts: their *.pub\n"
    "                         files; others are refused and logged\n"
    "  --config FILE          options as 'name = value' lines (the names\n"
    "                         of the long options; # comments; optionally\n"
    "                         under [placerd]; insecure-agents = true);\n"
    "                         the command line wins\n"
    "  --log-level LEVEL      error | warn | info (default) | debug\n"
    "  --queue N              admissions that may wait (default 64); more\n"
    "                         are answered 'busy' (exit 75 in placer)\n"
    "  --check                open and migrate the store, check its totals,\n"
    "                         print its schema version, and exit\n"
    "  -h, --help             show this help\n"
    "      --version          print the version and exit\n"
    "\n"
    "SIGTERM or SIGINT: stop taking requests, finish the admission in\n"
    "progress, answer the waiting ones 'busy', and exit 0.\n";

struct job;

struct server {
    uv_loop_t *loop;
    void *zctx, *clients, *agents;
    uv_poll_t poll, agents_poll;
    uv_signal_t sigterm, sigint, sighup;
    int lock_fd; /* DB.lock, held while this placerd serves the store */
    struct store *store;
    struct totals totals;
    struct job *head, *tail; /* waiting admissions and cluster changes */
    size_t queued, queue_max;
    struct job *running;
    struct store *writer;                  /* the committer's connection */
    struct job *commit_head, *commit_tail; /* admitted, not yet durable */
    struct job *committing;                /* the batch being written */
    bool draining, closed;
    long served;
    bool agents_allowed; /* --insecure-agents, on a local endpoint */
    uv_timer_t agents_timer;
    uv_timer_t agents_kick; /* look at the agents' socket after sends */
    /* CURVE: the ZAP handler and the agents' public keys (Z85) */
    void *zap;
    uv_poll_t zap_poll;
    char (*keys)[41];
    size_t n_keys;
    const char *keys_dir;
    struct sync sync;      /* reservations as the agents enforce them */
    uv_work_t commit_work; /* the committer's request (one at a time) */
    /* the reading loops of the clients' and the agents' sockets: a reply
     * sent from inside one can make the socket readable again, and the
     * outer loop goes on reading instead of a nested one */
    int drain_depth, agents_depth;
    /* refusals said at most once a minute: agents without keys, and per
     * key for a key not accepted */
    double refused_agents_ms, refused_key_ms;
    char refused_key[41];
};

struct job {
    uv_work_t work;
    struct server *srv;
    void *identity;
    size_t identity_len;
    uint64_t id;
    Placer__Request *req;
    struct job *next;
    double t0;
    /* submit: planned on the worker */
    const Placer__Cluster *residual; /* the totals' (no plan changes it) */
    const struct model_index *index; /* the totals' */
    struct model_problem mp;
    struct place_plan plan;
    Placer__Plan *doc;
    int rc;
    struct plc_error err;
    /* admitted: the rows the commit writes */
    struct admission_rows rows;
    uint8_t *wb, *pb;
    size_t wlen, plen;
    const char *tenant;
    int64_t admitted_us; /* the reservations' first generation */
};

static void reload_totals(struct server *srv);

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- replies ---------------------------------------------------------------
 */

static void drain(struct server *srv);

static void send_reply(struct server *srv, const void *identity,
                       size_t identity_len, Placer__Response *r)
{
    r->has_protocol_version = 1;
    r->protocol_version = PROTOCOL_VERSION;
    size_t len = placer__response__get_packed_size(r);
    uint8_t *buf = malloc(len + 1);
    if (!buf) {
        plc_log(PLC_LOG_ERROR, "out of memory for a reply of %zu bytes", len);
        return;
    }
    placer__response__pack(r, buf);
    if (zmq_send(srv->clients, identity, identity_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(srv->clients, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(srv->clients, buf, len, 0) < 0)
        plc_log(PLC_LOG_WARN, "cannot reply (%s)", zmq_strerror(errno));
    free(buf);
    srv->served++;
    /* a send can consume the descriptor's edge: look again */
    drain(srv);
}

/* Reply to q with one result (`msg` is the member for result case c). */
static void reply_with(struct server *srv, const void *identity,
                       size_t identity_len, uint64_t id,
                       Placer__Response__ResultCase c, void *msg)
{
    Placer__Response r = PLACER__RESPONSE__INIT;
    r.has_id = 1;
    r.id = id;
    r.result_case = c;
    switch (c) {
    case PLACER__RESPONSE__RESULT_ERROR:
        r.error = msg;
        break;
    case PLACER__RESPONSE__RESULT_PLAN:
        r.plan = msg;
        break;
    case PLACER__RESPONSE__RESULT_CLUSTER_APPLY:
        r.cluster_apply = msg;
        break;
    case PLACER__RESPONSE__RESULT_LIST:
        r.list = msg;
        break;
    case PLACER__RESPONSE__RESULT_HOSTS:
        r.hosts = msg;
        break;
    case PLACER__RESPONSE__RESULT_RELEASE:
        r.release = msg;
        break;
    case PLACER__RESPONSE__RESULT_BIND:
        r.bind = msg;
        break;
    default:
        r.result_case = PLACER__RESPONSE__RESULT__NOT_SET;
        break;
    }
    send_reply(srv, identity, identity_len, &r);
}

static void reply_error(struct server *srv, const void *identity,
                        size_t identity_len, uint64_t id,
                        Placer__ErrorCode code,
                        const struct plc_diags *problems, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void reply_error(struct server *srv, const void *identity,
                        size_t identity_len, uint64_t id,
                        Placer__ErrorCode code,
                        const struct plc_diags *problems, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Placer__Error e = PLACER__ERROR__INIT;
    e.has_code = 1;
    e.code = code;
    e.message = msg;
    char **lines = NULL;
    if (problems && problems->n) {
        lines = calloc(problems->n, sizeof *lines);
        for (size_t i = 0; lines && i < problems->n; i++) {
            const struct plc_diag *d = &problems->v[i];
            if (asprintf(&lines[i], "%s%s%s", d->path, d->path[0] ? ": " : "",
                         d->msg) < 0)
                lines[i] = NULL;
            else
                e.n_problems++;
        }
        e.problems = lines;
    }
    reply_with(srv, identity, identity_len, id, PLACER__RESPONSE__RESULT_ERROR,
               &e);
    for (size_t i = 0; lines && i < e.n_problems; i++)
        free(lines[i]);
    free(lines);
}

/* ---- queries answered on the loop ------------------------------------------
 */

static const char *tenant_of(const char *t)
{
    return t && t[0] ? t : "default";
}

struct find_ctx {
    const char *name;
    char tenants[256];
    int n;
};

static int find_one(void *arg, const struct store_workflow *w)
{
    struct find_ctx *x = arg;
    if (strcmp(w->name, x->name))
        return 0;
    size_t len = strlen(x->tenants);
    snprintf(x->tenants + len, sizeof x->tenants - len, "%s%s",
             x->n ? ", " : "", w->tenant);
    x->n++;
    return 0;
}

/* The tenant a request means: its own, or, when it names none, the one
 * tenant that has a workflow of that name ("default" when none has). */
static const char *resolve_tenant(struct server *srv, const char *tenant,
                                  const char *name, char *buf, size_t len,
                                  struct plc_error *err)
{
    if (tenant && tenant[0])
        return tenant;
    struct find_ctx x = {name, "", 0};
    if (store_workflow_each(srv->store, NULL, find_one, &x, err) < 0)
        return NULL;
    if (x.n > 1) {
        plc_error_set(err, PLC_EDATA,
                      "workflow '%s' exists for tenants %s; name one with "
                      "--tenant",
                      name, x.tenants);
        return NULL;
    }
    snprintf(buf, len, "%s", x.n ? x.tenants : "default");
    return buf;
}

/* The wire's error code for a store or lookup failure. */
static Placer__ErrorCode error_code(int rc)
{
    return rc == PLC_ENOENT  ? PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND
           : rc == PLC_EDATA ? PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT
                             : PLACER__ERROR_CODE__ERROR_CODE_INTERNAL;
}

/* The tenant of a request naming a workflow (status, release), or NULL
 * after answering why there is none. */
static const char *request_tenant(struct server *srv, const struct job *q,
                                  const char *what, const char *name,
                                  const char *tenant, char *buf, size_t len)
{
    struct plc_error err = PLC_ERROR_INIT;
    if (!name) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                    "%s: the workflow name is missing", what);
        return NULL;
    }
    const char *t = resolve_tenant(srv, tenant, name, buf, len, &err);
    if (!t)
        reply_error(srv, q->identity, q->identity_len, q->id,
                    error_code(err.code), NULL, "%s", err.msg);
    return t;
}

/* Where a host's agent now measures more steal than the plan counted:
 * the supply delay now, on each service there (the guarantee assumed
 * less). */
static void supply_states(const struct server *srv, Placer__Plan *p)
{
    for (size_t i = 0; i < p->n_services; i++) {
        Placer__PlacedService *v = p->services[i];
        size_t h = v->host ? totals_node(&srv->totals, v->host) : SIZE_MAX;
        if (h >= srv->totals.n_hosts)
            continue;
        const struct host_agent *a = &srv->totals.agent[h];
        if (!a->has_platform || !a->n_steal)
            continue;
        double usable;
        uint64_t now_us =
            (totals_supply_delay(&srv->totals, h, &usable) + 999) / 1000;
        if (now_us > (v->has_supply_delay_us ? v->supply_delay_us : 0)) {
            v->has_supply_delay_now_us = 1;
            v->supply_delay_now_us = now_us;
        }
    }
}

static void do_status(struct server *srv, struct job *q)
{
    const Placer__StatusRequest *s = q->req->status;
    struct store_workflow w;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256];
    const char *tenant =
        request_tenant(srv, q, "status", s->name, s->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    int rc = store_workflow_get(srv->store, tenant, s->name, &w, &err);
    if (rc < 0) {
        reply_error(srv, q->identity, q->identity_len, q->id, error_code(rc),
                    NULL, "%s", err.msg);
        return;
    }
    Placer__Plan *p = placer__plan__unpack(NULL, w.plan_len, w.plan);
    if (!p) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                    "the stored plan of '%s' cannot be decoded", s->name);
        store_workflow_free(&w);
        return;
    }
    sync_plan_states(&srv->sync, p, tenant);
    supply_states(srv, p);
    reply_with(srv, q->identity, q->identity_len, q->id,
               PLACER__RESPONSE__RESULT_PLAN, p);
    placer__plan__free_unpacked(p, NULL);
    store_workflow_free(&w);
}

struct list_ctx {
    const struct server *srv;
    Placer__ListReply *reply;
    size_t cap;
    bool oom;
};

static int list_one(void *arg, const struct store_workflow *w)
{
    struct list_ctx *x = arg;
    Placer__ListReply *r = x->reply;
    if (r->n_workflows == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        Placer__WorkflowSummary **g =
            realloc(r->workflows, cap * sizeof *r->workflows);
        if (!g) {
            x->oom = true;
            return 1;
        }
        r->workflows = g;
        x->cap = cap;
    }
    Placer__WorkflowSummary *s = malloc(sizeof *s);
    if (!s) {
        x->oom = true;
        return 1;
    }
    placer__workflow_summary__init(s);
    s->name = strdup(w->name);
    s->tenant = strdup(w->tenant);
    s->has_state = 1;
    Placer__Plan *p = placer__plan__unpack(NULL, w->plan_len, w->plan);
    s->state = p ? sync_workflow_state(&x->srv->sync, w->tenant, p)
                 : PLACER__STATE__STATE_ADMITTED;
    if (p)
        placer__plan__free_unpacked(p, NULL);
    size_t n = 0;
    while (w->hosts && w->hosts[n])
        n++;
    s->hosts = calloc(n + 1, sizeof *s->hosts);
    for (size_t i = 0; s->hosts && i < n; i++)
        if ((s->hosts[s->n_hosts] = strdup(w->hosts[i])))
            s->n_hosts++;
    r->workflows[r->n_workflows++] = s;
    x->oom |= !s->name || !s->tenant || !s->hosts;
    return x->oom;
}

static void do_list(struct server *srv, struct job *q)
{
    const Placer__ListRequest *l = q->req->list;
    Placer__ListReply *reply = malloc(sizeof *reply);
    struct plc_error err = PLC_ERROR_INIT;
    if (!reply) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                    "out of memory");
        return;
    }
    placer__list_reply__init(reply);
    reply->has_schema = 1;
    reply->schema = 1;
    struct list_ctx x = {srv, reply, 0, false};
    int rc = store_workflow_each(srv->store,
                                 l->tenant && l->tenant[0] ? l->tenant : NULL,
                                 list_one, &x, &err);
    if (rc < 0 || x.oom) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                    rc < 0 ? err.msg : "out of memory");
    } else {
        reply_with(srv, q->identity, q->identity_len, q->id,
                   PLACER__RESPONSE__RESULT_LIST, reply);
    }
    placer__list_reply__free_unpacked(reply, NULL);
}

static void do_hosts(struct server *srv, struct job *q)
{
    Placer__HostsReply *h = totals_hosts_reply(&srv->totals);
    if (!h) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                    "out of memory");
        return;
    }
    reply_with(srv, q->identity, q->identity_len, q->id,
               PLACER__RESPONSE__RESULT_HOSTS, h);
    placer__hosts_reply__free_unpacked(h, NULL);
}

static void do_release(struct server *srv, struct job *q)
{
    const Placer__ReleaseRequest *rel = q->req->release;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256];
    const char *tenant = request_tenant(srv, q, "release", rel->name,
                                        rel->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    int rc = store_release(srv->store, tenant, rel->name, &err);
    if (rc < 0) {
        plc_log(PLC_LOG_INFO, "release %s/%s refused: %s", tenant, rel->name,
                err.msg);
        reply_error(srv, q->identity, q->identity_len, q->id, error_code(rc),
                    NULL, "%s", err.msg);
        return;
    }
    /* durable: capacity is free from now on; the agents let it go */
    reload_totals(srv);
    sync_released(&srv->sync, tenant, rel->name);
    plc_log(PLC_LOG_INFO, "released %s/%s", tenant, rel->name);
    Placer__ReleaseReply rr = PLACER__RELEASE_REPLY__INIT;
    rr.name = rel->name;
    rr.has_state = 1;
    rr.state = PLACER__STATE__STATE_RELEASED;
    reply_with(srv, q->identity, q->identity_len, q->id,
               PLACER__RESPONSE__RESULT_RELEASE, &rr);
}

/* A binding: recorded durably, then sent to the agents of the hosts that
 * enforce the reservation. */
static void do_bind(struct server *srv, struct job *q)
{
    const Placer__BindRequest *b = q->req->bind;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256], subject[160];
    const char *tenant =
        request_tenant(srv, q, "bind", b->workflow, b->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    struct store_binding sb = {0};
    bool service = b->service != NULL;
    const char *bad = NULL;
    if (service && b->has_pid && b->pid > 0 && !b->from && !b->to) {
        snprintf(subject, sizeof subject, "%s", b->service);
        sb.pid = b->pid;
    } else if (!service && b->from && b->to && b->flow) {
        const Placer__FlowSpec *f = b->flow;
        struct in_addr x;
        snprintf(subject, sizeof subject, "%s->%s", b->from, b->to);
        if ((f->src && inet_pton(AF_INET, f->src, &x) != 1) ||
            (f->dst && inet_pton(AF_INET, f->dst, &x) != 1))
            bad = "flow: src and dst are IPv4 addresses (the u32 classifier "
                  "matches IPv4 here)";
        else if (f->protocol && strcmp(f->protocol, "tcp") &&
                 strcmp(f->protocol, "udp"))
            bad = "flow.protocol: tcp or udp";
        else if (f->src_port > 65535 || f->dst_port > 65535)
            bad = "flow: ports are 0 to 65535";
        sb.src = f->src;
        sb.dst = f->dst;
        sb.src_port = (int)f->src_port;
        sb.dst_port = (int)f->dst_port;
        sb.protocol = f->protocol;
    } else {
        bad = "give service and pid, or from, to and flow";
    }
    if (bad) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL, "%s",
                    bad);
        return;
    }
    int rc = store_bind(srv->store, tenant, b->workflow, subject, service, &sb,
                        &err);
    if (rc < 0) {
        reply_error(srv, q->identity, q->identity_len, q->id, error_code(rc),
                    NULL, "%s", err.msg);
        return;
    }
    /* every reservation of the subject: a service's, or a vlink's on each
     * link direction leaving a host */
    char id[512];
    int pl = snprintf(id, sizeof id, "%s/%s/%s%s", tenant, b->workflow, subject,
                      service ? "" : "/");
    size_t n = 0;
    const struct resv_group *g = sync_workflow(&srv->sync, tenant, b->workflow);
    for (size_t i = 0; g && i < g->n; i++) {
        struct resv *r = g->v[i];
        if (service ? !strcmp(r->id, id) : !strncmp(r->id, id, (size_t)pl)) {
            sync_bound(&srv->sync, r->id, &sb);
            n++;
        }
    }
    if (!service)
        id[pl - 1] = 0;
    plc_log(
        PLC_LOG_INFO, "bound %s to %s%s (%zu reservations, generation %lld)",
        id, service ? "pid " : "flow ",
        service
            ? (snprintf(tb, sizeof tb, "%d", sb.pid), tb)
            : (snprintf(tb, sizeof tb, "%s:%d-%s:%d/%s", sb.src ? sb.src : "*",
                        sb.src_port, sb.dst ? sb.dst : "*", sb.dst_port,
                        sb.protocol ? sb.protocol : "any"),
               tb),
        n, (long long)sb.generation);
    Placer__BindReply br = PLACER__BIND_REPLY__INIT;
    br.reservation_id = id;
    reply_with(srv, q->identity, q->identity_len, q->id,
               PLACER__RESPONSE__RESULT_BIND, &br);
}

/* ---- the admission queue
 * -----------------------------------------------------
 */

static void job_free(struct job *q)
{
    admission_rows_release(&q->rows);
    free(q->wb);
    free(q->pb);
    if (q->doc)
        placer__plan__free_unpacked(q->doc, NULL);
    place_plan_release(&q->plan);
    model_problem_release(&q->mp);
    if (q->req)
        placer__request__free_unpacked(q->req, NULL);
    free(q->identity);
    free(q);
}

static void plan_work(uv_work_t *w)
{
    struct job *q = w->data;
    const Placer__SubmitRequest *s = q->req->submit;
    double limit = s->has_time_limit_ms && s->time_limit_ms
                       ? (double)s->time_limit_ms / 1e3
                       : 2.0;
    q->rc = model_plan(&q->mp, q->residual, q->index, s->workflow,
                       s->has_objective ? (int)s->objective : 0, limit, NULL,
                       &q->plan, &q->doc, &q->err);
}

static void start_next(struct server *srv);
static void start_commit(struct server *srv);

/* After the plan: a rejection is answered at once; an admission waits for
 * its commit (start_commit). */
static void plan_done(uv_work_t *w, int status)
{
    (void)status;
    struct job *q = w->data;
    struct server *srv = q->srv;
    const Placer__Workflow *wf = q->req->submit->workflow;
    const char *tenant = tenant_of(wf->tenant);
    if (q->rc < 0) {
        plc_log(PLC_LOG_ERROR, "submit %s/%s: %s", tenant, wf->name,
                q->err.msg);
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                    q->err.msg);
    } else if (!q->plan.admitted) {
        plc_log(PLC_LOG_INFO, "rejected %s/%s (%.1f ms): %s", tenant, wf->name,
                plc_now_ms() - q->t0, q->plan.message);
        reply_with(srv, q->identity, q->identity_len, q->id,
                   PLACER__RESPONSE__RESULT_PLAN, q->doc);
    } else {
        int rc = admission_rows_build(&q->rows, &srv->totals, wf, &q->plan);
        q->tenant = tenant;
        q->admitted_us = wall_us();
        q->doc->tenant = strdup(tenant);
        q->doc->has_state = 1;
        q->doc->state = PLACER__STATE__STATE_ADMITTED;
        q->wlen = placer__workflow__get_packed_size(wf);
        q->plen = placer__plan__get_packed_size(q->doc);
        q->wb = malloc(q->wlen + 1);
        q->pb = malloc(q->plen + 1);
        if (rc == 0 && (!q->wb || !q->pb || !q->doc->tenant))
            rc = PLC_ENOMEM;
        if (rc < 0) {
            plc_log(PLC_LOG_ERROR, "submit %s/%s not recorded: %s", tenant,
                    wf->name, plc_strerror(rc));
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                        "cannot record the admission (%s)", plc_strerror(rc));
        } else {
            placer__workflow__pack(wf, q->wb);
            placer__plan__pack(q->doc, q->pb);
            /* it counts from now on; the reply waits for the commit */
            admission_rows_apply(&q->rows, &srv->totals, &q->plan);
            if (srv->commit_tail)
                srv->commit_tail->next = q;
            else
                srv->commit_head = q;
            srv->commit_tail = q;
            q->next = NULL;
            srv->running = NULL;
            start_next(srv);
            start_commit(srv);
            return;
        }
    }
    srv->running = NULL;
    job_free(q);
    start_next(srv);
}

static void commit_work(uv_work_t *w)
{
    struct server *srv = w->data;
    size_t n = 0;
    for (struct job *q = srv->committing; q; q = q->next)
        n++;
    struct store_admission *a = calloc(n + 1, sizeof *a);
    int *rc = calloc(n + 1, sizeof *rc);
    struct plc_error err = PLC_ERROR_INIT;
    size_t i = 0;
    for (struct job *q = srv->committing; a && q; q = q->next, i++)
        a[i] = (struct store_admission){
            q->tenant,        q->req->submit->workflow->name,
            "admitted",       q->wb,
            q->wlen,          q->pb,
            q->plen,          q->rows.n_services,
            q->rows.n_cpu,    q->rows.n_net,
            q->rows.services, q->rows.cpu,
            q->rows.net,      q->admitted_us};
    int all =
        !a || !rc ? PLC_ENOMEM : store_admit_batch(srv->writer, a, n, rc, &err);
    i = 0;
    for (struct job *q = srv->committing; q; q = q->next, i++) {
        q->rc = all < 0 ? all : rc[i];
        if (q->rc < 0)
            plc_error_set(&q->err, q->rc, "%s",
                          all < 0 ? err.msg
                                  : "tenant's workflow name is in use; "
                                    "release it first or choose another "
                                    "name");
    }
    free(a);
    free(rc);
}

static void commit_done(uv_work_t *w, int status)
{
    (void)status;
    struct server *srv = w->data;
    struct job *batch = srv->committing;
    srv->committing = NULL;
    bool failed = false;
    size_t n = 0;
    for (struct job *q = batch; q; q = q->next)
        failed |= q->rc < 0;
    if (failed)
        reload_totals(srv); /* the failed ones stop counting */
    while (batch) {
        struct job *q = batch;
        batch = q->next;
        n++;
        const Placer__Workflow *wf = q->req->submit->workflow;
        if (q->rc == 0) {
            plc_log(PLC_LOG_INFO,
                    "admitted %s/%s: %zu services on %zu hosts, objective "
                    "%.6g, %zu link reservations (%.1f ms, solver %.1f ms)",
                    q->tenant, wf->name, q->rows.n_services,
                    q->doc->n_hosts_used, q->plan.objective, q->rows.n_net,
                    plc_now_ms() - q->t0, q->plan.time_ms);
            reply_with(srv, q->identity, q->identity_len, q->id,
                       PLACER__RESPONSE__RESULT_PLAN, q->doc);
            /* then to the agents */
            if (sync_admitted(&srv->sync, q->tenant, wf->name, &q->rows,
                              (uint64_t)q->admitted_us) < 0)
                plc_log(PLC_LOG_ERROR,
                        "%s/%s: out of memory tracking its reservations; "
                        "they go to the agents at their next registration",
                        q->tenant, wf->name);
        } else {
            plc_log(q->rc == PLC_EDATA ? PLC_LOG_INFO : PLC_LOG_ERROR,
                    "submit %s/%s not recorded: %s", q->tenant, wf->name,
                    q->err.msg);
            reply_error(srv, q->identity, q->identity_len, q->id,
                        q->rc == PLC_EDATA
                            ? PLACER__ERROR_CODE__ERROR_CODE_CONFLICT
                            : PLACER__ERROR_CODE__ERROR_CODE_INTERNAL,
                        NULL, "%s", q->err.msg);
        }
        job_free(q);
    }
    plc_log(PLC_LOG_DEBUG, "committed %zu admissions in one transaction", n);
    start_commit(srv);
    start_next(srv); /* draining may be complete now */
}

/* Write every admission waiting for its commit, in one transaction. */
static void start_commit(struct server *srv)
{
    if (srv->committing || !srv->commit_head)
        return;
    srv->committing = srv->commit_head;
    srv->commit_head = srv->commit_tail = NULL;
    uv_work_t *work = &srv->commit_work;
    work->data = srv;
    if (uv_queue_work(srv->loop, work, commit_work, commit_done) != 0) {
        for (struct job *q = srv->committing; q; q = q->next) {
            q->rc = PLC_EINTERNAL;
            plc_error_set(&q->err, PLC_EINTERNAL, "cannot start the commit");
        }
        commit_done(work, 0);
    }
}

/* The totals from the store, plus what is admitted but not yet durable. */
static void reload_totals(struct server *srv)
{
    long unknown;
    struct plc_error err = PLC_ERROR_INIT;
    if (totals_load(&srv->totals, srv->store, &unknown, &err) < 0)
        plc_log(PLC_LOG_ERROR, "cannot reload the reserved totals: %s",
                err.msg);
    /* (the batch being written is read here, never its rc: the worker
     * sets that; a failed one is off both lists when this runs again) */
    for (int k = 0; k < 2; k++)
        for (struct job *q = k ? srv->commit_head : srv->committing; q;
             q = q->next)
            admission_rows_apply(&q->rows, &srv->totals, &q->plan);
}

static void do_cluster_apply(struct server *srv, struct job *q)
{
    const Placer__ClusterApplyRequest *a = q->req->cluster_apply;
    struct plc_error err = PLC_ERROR_INIT;
    struct plc_diags d = PLC_DIAGS_INIT;
    if (!a->cluster) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                    "cluster apply: the cluster is missing");
        return;
    }
    proto_cluster_validate(a->cluster, &d);
    if (d.n) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, &d,
                    "the cluster has %zu problem%s", d.n, d.n == 1 ? "" : "s");
        plc_diags_release(&d);
        return;
    }
    char **stranded = NULL;
    size_t n = 0;
    bool over = false;
    int rc = strand_check(a->cluster, &srv->totals, srv->store, &stranded, &n,
                          &over, &err);
    if (rc == 0 && (n || over) && !(a->has_force && a->force)) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "the new cluster would strand %zu admitted workflow%s%s; "
                 "release them first or apply with --force",
                 n, n == 1 ? "" : "s",
                 over ? " and leaves less capacity than is reserved" : "");
        plc_log(PLC_LOG_INFO, "cluster apply refused: %s", msg);
        Placer__Error e = PLACER__ERROR__INIT;
        e.has_code = 1;
        e.code = PLACER__ERROR_CODE__ERROR_CODE_CONFLICT;
        e.message = msg;
        e.problems = stranded;
        e.n_problems = n;
        reply_with(srv, q->identity, q->identity_len, q->id,
                   PLACER__RESPONSE__RESULT_ERROR, &e);
    } else if (rc == 0) {
        size_t len = placer__cluster__get_packed_size(a->cluster);
        uint8_t *buf = malloc(len + 1);
        Placer__Cluster *copy = NULL;
        if (buf) {
            placer__cluster__pack(a->cluster, buf);
            copy = placer__cluster__unpack(NULL, len, buf);
        }
        struct store_cluster rows;
        rc = !buf || !copy ? PLC_ENOMEM : cluster_rows_build(copy, &rows);
        if (rc == 0) {
            rc = store_cluster_put(srv->store, buf, len, &rows, &err);
            cluster_rows_release(&rows);
        }
        free(buf);
        long unknown = 0;
        if (rc == 0 && (rc = totals_set_cluster(&srv->totals, copy)) == 0) {
            copy = NULL;
            rc = totals_load(&srv->totals, srv->store, &unknown, &err);
            if (rc == 0)
                reload_totals(srv);
            sync_rehost(&srv->sync);
        }
        if (copy)
            placer__cluster__free_unpacked(copy, NULL);
        if (rc < 0) {
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                        "cannot apply the cluster: %s",
                        err.msg[0] ? err.msg : plc_strerror(rc));
        } else {
            char detail[128];
            snprintf(detail, sizeof detail,
                     "%zu hosts, %zu switches, %zu links", a->cluster->n_hosts,
                     a->cluster->n_switches, a->cluster->n_links);
            store_event_append(srv->store, "cluster", "apply", detail, &err);
            plc_log(PLC_LOG_INFO, "cluster applied: %s%s%s", detail,
                    n ? " (forced over stranded workflows)" : "",
                    unknown ? "; some reservations name what it lacks" : "");
            Placer__ClusterApplyReply cr = PLACER__CLUSTER_APPLY_REPLY__INIT;
            cr.has_hosts = cr.has_switches = cr.has_links = 1;
            cr.hosts = (uint32_t)a->cluster->n_hosts;
            cr.switches = (uint32_t)a->cluster->n_switches;
            cr.links = (uint32_t)a->cluster->n_links;
            cr.stranded = stranded;
            cr.n_stranded = n;
            reply_with(srv, q->identity, q->identity_len, q->id,
                       PLACER__RESPONSE__RESULT_CLUSTER_APPLY, &cr);
        }
    } else {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                    err.msg);
    }
    for (size_t i = 0; i < n; i++)
        free(stranded[i]);
    free(stranded);
}

/* Run the next waiting job: cluster changes on the loop, submissions on a
 * worker. */
static void start_next(struct server *srv)
{
    while (!srv->running && srv->head) {
        struct job *q = srv->head;
        srv->head = q->next;
        if (!srv->head)
            srv->tail = NULL;
        srv->queued--;
        if (srv->draining) {
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                        "placerd is shutting down; retry later");
            job_free(q);
            continue;
        }
        if (q->req->op_case == PLACER__REQUEST__OP_CLUSTER_APPLY) {
            do_cluster_apply(srv, q);
            job_free(q);
            continue;
        }
        /* submit */
        q->residual = totals_residual(&srv->totals);
        q->index = srv->totals.index;
        if (!q->residual) {
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                        "out of memory");
            job_free(q);
            continue;
        }
        srv->running = q;
        q->work.data = q;
        if (uv_queue_work(srv->loop, &q->work, plan_work, plan_done) != 0) {
            srv->running = NULL;
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                        "cannot start the solver");
            job_free(q);
        }
    }
    if (srv->draining && !srv->running && !srv->committing &&
        !srv->commit_head && !srv->closed) {
        srv->closed = true;
        uv_poll_stop(&srv->poll);
        uv_close((uv_handle_t *)&srv->poll, NULL);
        uv_poll_stop(&srv->agents_poll);
        uv_close((uv_handle_t *)&srv->agents_poll, NULL);
        uv_timer_stop(&srv->agents_timer);
        uv_close((uv_handle_t *)&srv->agents_timer, NULL);
        uv_timer_stop(&srv->agents_kick);
        uv_close((uv_handle_t *)&srv->agents_kick, NULL);
        if (srv->zap) {
            uv_poll_stop(&srv->zap_poll);
            uv_close((uv_handle_t *)&srv->zap_poll, NULL);
        }
        uv_close((uv_handle_t *)&srv->sigterm, NULL);
        uv_close((uv_handle_t *)&srv->sigint, NULL);
        uv_close((uv_handle_t *)&srv->sighup, NULL);
    }
}

/* Validate a submission before it waits in the queue. */
static bool submit_ok(struct server *srv, struct job *q)
{
    const Placer__SubmitRequest *s = q->req->submit;
    struct plc_diags d = PLC_DIAGS_INIT;
    if (!s->workflow) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                    "submit: the workflow is missing");
        return false;
    }
    if (!srv->totals.cluster) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND, NULL,
                    "no cluster has been applied yet; run 'placer cluster "
                    "apply FILE' first");
        return false;
    }
    proto_workflow_validate(s->workflow, &d);
    if (d.n == 0)
        proto_workflow_validate_refs(s->workflow, srv->totals.cluster, &d);
    if (d.n) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, &d,
                    "the workflow has %zu problem%s", d.n, d.n == 1 ? "" : "s");
        plc_diags_release(&d);
        return false;
    }
    struct plc_error err = PLC_ERROR_INIT;
    if (store_workflow_exists(srv->store, tenant_of(s->workflow->tenant),
                              s->workflow->name, &err) == 1) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_CONFLICT, NULL,
                    "tenant '%s' has a workflow named '%s' already; release "
                    "it first or choose another name",
                    tenant_of(s->workflow->tenant), s->workflow->name);
        return false;
    }
    if (s->has_time_limit_ms && s->time_limit_ms > 600000) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                    "time_limit_ms: at most 600000 (10 minutes)");
        return false;
    }
    return true;
}

/* ---- receiving
 * ---------------------------------------------------------------
 */

/* One request: [identity][empty][payload]. */
static void handle(struct server *srv, zmq_msg_t *frames, int n)
{
    if (n != 3 || zmq_msg_size(&frames[1]) != 0) {
        plc_log(PLC_LOG_WARN,
                "dropped a message of %d frames that is not a request "
                "envelope",
                n);
        return;
    }
    struct job *q = calloc(1, sizeof *q);
    if (!q)
        return;
    q->srv = srv;
    q->t0 = plc_now_ms();
    q->identity_len = zmq_msg_size(&frames[0]);
    q->identity = malloc(q->identity_len + 1);
    if (!q->identity) {
        free(q);
        return;
    }
    memcpy(q->identity, zmq_msg_data(&frames[0]), q->identity_len);
    size_t len = zmq_msg_size(&frames[2]);
    if (len > MAX_REQUEST_BYTES) {
        plc_log(PLC_LOG_WARN, "refused a request of %zu bytes", len);
        reply_error(srv, q->identity, q->identity_len, 0,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                    "the request is %zu bytes; the limit is %u", len,
                    MAX_REQUEST_BYTES);
        job_free(q);
        return;
    }
    q->req = placer__request__unpack(NULL, len, zmq_msg_data(&frames[2]));
    if (!q->req) {
        plc_log(PLC_LOG_WARN, "a request of %zu bytes is not a placer Request",
                len);
        reply_error(srv, q->identity, q->identity_len, 0,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                    "the request (%zu bytes) is not a placer.Request message "
                    "of proto/placer.proto",
                    len);
        job_free(q);
        return;
    }
    q->id = q->req->has_id ? q->req->id : 0;
    if (!q->req->has_protocol_version ||
        q->req->protocol_version != PROTOCOL_VERSION) {
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_VERSION, NULL,
                    "protocol version %u is not spoken here; this placerd "
                    "speaks %d",
                    q->req->has_protocol_version ? q->req->protocol_version : 0,
                    PROTOCOL_VERSION);
        job_free(q);
        return;
    }
    switch (q->req->op_case) {
    case PLACER__REQUEST__OP_STATUS:
        do_status(srv, q);
        break;
    case PLACER__REQUEST__OP_LIST:
        do_list(srv, q);
        break;
    case PLACER__REQUEST__OP_HOSTS:
        do_hosts(srv, q);
        break;
    case PLACER__REQUEST__OP_RELEASE:
        do_release(srv, q);
        break;
    case PLACER__REQUEST__OP_BIND:
        do_bind(srv, q);
        break;
    case PLACER__REQUEST__OP_SUBMIT:
    case PLACER__REQUEST__OP_CLUSTER_APPLY:
        if (srv->draining || srv->queued >= srv->queue_max) {
            plc_log(PLC_LOG_INFO, "busy: %zu admissions waiting", srv->queued);
            reply_error(srv, q->identity, q->identity_len, q->id,
                        PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                        "placerd is busy (%zu admissions waiting); retry",
                        srv->queued);
            break;
        }
        if (q->req->op_case == PLACER__REQUEST__OP_SUBMIT && !submit_ok(srv, q))
            break;
        if (srv->tail)
            srv->tail->next = q;
        else
            srv->head = q;
        srv->tail = q;
        srv->queued++;
        start_next(srv);
        return; /* the queue owns it */
    default:
        reply_error(srv, q->identity, q->identity_len, q->id,
                    PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                    "this placerd does not serve that operation (%d)",
                    (int)q->req->op_case);
        break;
    }
    job_free(q);
}

/* The next message waiting on a socket whose descriptor is edge-triggered
 * (ZMQ_EVENTS is the truth): up to `max` frames into f, the rest dropped;
 * *n is their count, or max + 1 when there were more.  false when nothing
 * waits.  The caller closes f[0 .. min(*n, max) - 1]. */
static bool next_message(void *sock, zmq_msg_t *f, int max, int *n)
{
    int events = 0;
    size_t sz = sizeof events;
    if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) < 0 ||
        !(events & ZMQ_POLLIN))
        return false;
    int more = 1, got = 0, kept = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        got++;
        if (kept < max)
            f[kept++] = m;
        else
            zmq_msg_close(&m);
    }
    *n = got > max ? max + 1 : got;
    return true;
}

static void close_frames(zmq_msg_t *f, int n, int max)
{
    for (int i = 0; i < n && i < max; i++)
        zmq_msg_close(&f[i]);
}

static void drain(struct server *srv)
{
    if (srv->drain_depth++ > 0 || srv->closed) {
        srv->drain_depth--;
        return; /* the outer drain goes on reading */
    }
    zmq_msg_t frames[4];
    int n;
    while (next_message(srv->clients, frames, 4, &n)) {
        if (n > 0)
            handle(srv, frames, n > 4 ? 4 : n);
        close_frames(frames, n, 4);
    }
    srv->drain_depth--;
}

/* ---- node agents
 * ------------------------------------------------------------- Registration
 * and heartbeats (the enforcement protocol comes with the rest of the
 * node-agent issue).  An agent registers its host; placerd answers with the
 * heartbeat period; a host whose agent misses three heartbeats is down (nothing
 * new is placed there) until it is heard again. */

#define HEARTBEAT_MS 1000

static void agent_send(struct server *srv, const void *id, size_t id_len,
                       bool accepted, const char *msg)
{
    Placer__RegisterReply rr = PLACER__REGISTER_REPLY__INIT;
    rr.has_accepted = rr.has_heartbeat_ms = 1;
    rr.accepted = accepted;
    rr.heartbeat_ms = HEARTBEAT_MS;
    rr.message = (char *)msg;
    Placer__ServerToAgent m = PLACER__SERVER_TO_AGENT__INIT;
    m.has_protocol_version = 1;
    m.protocol_version = PROTOCOL_VERSION;
    m.msg_case = PLACER__SERVER_TO_AGENT__MSG_REGISTERED;
    m.registered = &rr;
    uint8_t buf[1024];
    size_t len = placer__server_to_agent__get_packed_size(&m);
    if (len > sizeof buf)
        return;
    placer__server_to_agent__pack(&m, buf);
    if (zmq_send(srv->agents, id, id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(srv->agents, buf, len, 0) < 0)
        plc_log(PLC_LOG_WARN, "cannot answer an agent (%s)",
                zmq_strerror(errno));
}

static void on_agents(uv_poll_t *h, int status, int events);

static void on_agents_kick(uv_timer_t *t)
{
    struct server *srv = t->data;
    on_agents(&srv->agents_poll, 0, 0);
}

/* Any message to host h's agent (sync.c's sender). */
static void agent_send_to(void *arg, size_t h, const Placer__ServerToAgent *m)
{
    struct server *srv = arg;
    const struct host_agent *a =
        h < srv->totals.n_hosts ? &srv->totals.agent[h] : NULL;
    if (!a || !a->identity)
        return;
    Placer__ServerToAgent c = *m;
    c.has_protocol_version = 1;
    c.protocol_version = PROTOCOL_VERSION;
    size_t len = placer__server_to_agent__get_packed_size(&c);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return;
    placer__server_to_agent__pack(&c, buf);
    if (zmq_send(srv->agents, a->identity, a->identity_len,
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(srv->agents, buf, len, ZMQ_DONTWAIT) < 0)
        plc_log(PLC_LOG_WARN, "cannot send to the agent of %s (%s); retried",
                srv->totals.node_names[h], zmq_strerror(errno));
    free(buf);
    /* a send can consume the descriptor's edge: look again, on the next
     * turn of the loop (not now: the caller may be walking the table an
     * acknowledgement would change) */
    if (!srv->closed)
        uv_timer_start(&srv->agents_kick, on_agents_kick, 0, 0);
}

/* The host of the agent behind a routing id, or SIZE_MAX. */
static size_t agent_host(const struct server *srv, const void *id,
                         size_t id_len)
{
    for (size_t h = 0; srv->totals.agent && h < srv->totals.n_hosts; h++) {
        const struct host_agent *a = &srv->totals.agent[h];
        if (a->identity && a->identity_len == id_len &&
            !memcmp(a->identity, id, id_len))
            return h;
    }
    return SIZE_MAX;
}

static void agent_state(struct server *srv, size_t h, enum host_agent_state st,
                        const Placer__AgentRegister *r)
{
    struct host_agent *a = &srv->totals.agent[h];
    a->state = st;
    struct plc_error err = PLC_ERROR_INIT;
    struct store_agent row = {srv->totals.node_names[h],
                              st == HOST_UP ? "up" : "down",
                              r && r->has_cores ? r->cores : 0,
                              r && r->has_core_capacity ? r->core_capacity : 0,
                              r && r->has_memory_bytes ? r->memory_bytes : 0,
                              a->summary,
                              r && r->version ? r->version : "",
                              a->has_platform ? (int64_t)a->overhead_ns : -1,
                              a->has_platform ? (int64_t)a->granularity_ns : -1,
                              a->has_platform ? (int64_t)a->wakeup_ns : -1,
                              a->has_platform ? a->platform_note : NULL};
    if (store_agent_put(srv->store, &row, &err) < 0)
        plc_log(PLC_LOG_ERROR, "%s", err.msg);
}

/* An agent's steal envelope changed: the supply delay it implies at the
 * host's capacity, computed once here for every later plan. */
static void steal_taken(struct server *srv, size_t h)
{
    struct host_agent *a = &srv->totals.agent[h];
    totals_supply_cache(&srv->totals, h);
    if (!a->n_steal)
        return;
    plc_log(PLC_LOG_INFO,
            "host %s: its host takes CPU time (steal, up to %llu us in "
            "%llu ms); plans add a supply delay of %llu us at capacity %.3f "
            "(usable %.3f)",
            srv->totals.node_names[h],
            (unsigned long long)a->steal_ns[0] / 1000,
            (unsigned long long)a->steal_window_ns[0] / 1000000,
            (unsigned long long)(a->supply_delay_ns + 999) / 1000,
            a->supply_for, a->supply_cap);
}

static void agent_register(struct server *srv, const void *id, size_t id_len,
                           const Placer__AgentRegister *r)
{
    size_t h = r->host ? totals_node(&srv->totals, r->host) : SIZE_MAX;
    if (h >= srv->totals.n_hosts) {
        plc_log(PLC_LOG_WARN,
                "refused an agent for '%s': no such host in the "
                "cluster",
                r->host ? r->host : "");
        agent_send(srv, id, id_len, false, "no such host in placerd's cluster");
        return;
    }
    struct host_agent *a = &srv->totals.agent[h];
    /* a second agent for a host whose agent is alive: refused (the same
     * agent restarted has the same instance and takes over at once) */
    bool other = a->identity && (a->identity_len != id_len ||
                                 memcmp(a->identity, id, id_len) != 0);
    if (other && a->state == HOST_UP &&
        plc_now_ms() - a->last_seen_ms < 2.5 * HEARTBEAT_MS && r->instance &&
        a->instance[0] && strcmp(a->instance, r->instance)) {
        if (plc_now_ms() - a->refused_log_ms > 60000) {
            plc_log(PLC_LOG_WARN,
                    "refused a second agent for %s (%s): the agent %s serves "
                    "it and is alive",
                    r->host, r->instance, a->instance);
            a->refused_log_ms = plc_now_ms();
        }
        agent_send(srv, id, id_len, false,
                   "another agent serves this host and is alive; stop it, "
                   "or start this one with the --host it serves");
        return;
    }
    snprintf(a->instance, sizeof a->instance, "%s",
             r->instance ? r->instance : "");
    void *copy = malloc(id_len + 1);
    if (!copy)
        return;
    memcpy(copy, id, id_len);
    free(a->identity);
    a->identity = copy;
    a->identity_len = id_len;
    a->last_seen_ms = plc_now_ms();
    char backends[96] = "";
    for (size_t i = 0; i < r->n_backends; i++)
        snprintf(backends + strlen(backends),
                 sizeof backends - strlen(backends), "%s%s", i ? "," : "",
                 r->backends[i]);
    /* and its network devices, as it listed them */
    char devices[96] = "";
    for (size_t i = 0; i < r->n_devices && r->devices[i]->name; i++)
        snprintf(devices + strlen(devices), sizeof devices - strlen(devices),
                 "%s%s%s%s", i ? ", " : "; ", r->devices[i]->name,
                 r->devices[i]->address ? " " : "",
                 r->devices[i]->address ? r->devices[i]->address : "");
    snprintf(a->summary, sizeof a->summary, "placer-agent %.16s (%.60s%.95s)",
             r->version ? r->version : "?", backends, devices);
    /* the kernel's deadline capacity as the agent probed it counts from
     * the next plan on */
    a->capacity =
        r->has_core_capacity && r->core_capacity > 0 && r->core_capacity <= 1
            ? r->core_capacity
            : 0;
    /* the kernel's bandwidth is global over its CPUs: spread it over the
     * cores the cluster file models */
    const Placer__Host *mh = srv->totals.cluster->hosts[h];
    int model_cores = mh->has_cores && mh->cores > 0 ? mh->cores : 1;
    if (a->capacity > 0 && r->has_cores && r->cores > 0 &&
        r->cores != model_cores)
        a->capacity = fmin(1.0, a->capacity * r->cores / model_cores);
    a->has_platform = r->platform && r->platform->overhead &&
                      r->platform->granularity && r->platform->wakeup_latency;
    if (a->has_platform) {
        a->overhead_ns = r->platform->overhead->ns;
        a->granularity_ns = r->platform->granularity->ns;
        a->wakeup_ns = r->platform->wakeup_latency->ns;
        a->hrtick = r->platform->has_hrtick && r->platform->hrtick;
        /* p99.9 figures without distributions leave 0.001 per term */
        a->exceed = r->platform->has_exceed_probability &&
                            r->platform->exceed_probability >= 0 &&
                            r->platform->exceed_probability < 1
                        ? r->platform->exceed_probability
                        : 0.002;
        a->n_q = r->platform->n_overhead_quantiles == 5 &&
                         r->platform->n_wakeup_quantiles == 5
                     ? 5
                     : 0;
        for (size_t i = 0; i < a->n_q; i++) {
            a->overhead_q[i] = r->platform->overhead_quantiles[i]->ns;
            a->wakeup_q[i] = r->platform->wakeup_quantiles[i]->ns;
        }
        snprintf(a->platform_note, sizeof a->platform_note, "%s",
                 r->platform_note ? r->platform_note : "");
        a->n_steal = 0;
        host_agent_set_steal(a, r->platform->steal, r->platform->n_steal);
        steal_taken(srv, h);
        plc_log(PLC_LOG_INFO,
                "agent for %s measured its platform: overhead %llu us, "
                "wake-up %llu us, budget overrun %llu us (%s)",
                r->host, (unsigned long long)(a->overhead_ns + 999) / 1000,
                (unsigned long long)(a->wakeup_ns + 999) / 1000,
                (unsigned long long)(a->granularity_ns + 999) / 1000,
                a->hrtick ? "HRTICK_DL on" : "HRTICK_DL off");
    }
    agent_state(srv, h, HOST_UP, r);
    char cap[32] = "capacity not probed";
    if (r->has_core_capacity)
        snprintf(cap, sizeof cap, "capacity %.3f", r->core_capacity);
    plc_log(PLC_LOG_INFO,
            "agent for %s registered: %d CPUs (%s), %llu bytes, backends %s",
            r->host, r->has_cores ? r->cores : 0, cap,
            (unsigned long long)(r->has_memory_bytes ? r->memory_bytes : 0),
            backends);
    agent_send(srv, id, id_len, true, "registered");
    /* then what it should enforce */
    a->synced = true;
    sync_host_up(&srv->sync, h);
}

static void agent_message(struct server *srv, const void *id, size_t id_len,
                          const uint8_t *data, size_t len)
{
    Placer__AgentToServer *m = placer__agent_to_server__unpack(NULL, len, data);
    if (!m) {
        plc_log(PLC_LOG_WARN,
                "dropped %zu bytes on the agents' socket that are "
                "not an AgentToServer message",
                len);
        return;
    }
    if (!srv->agents_allowed) {
        /* it retries every second */
        if (plc_now_ms() - srv->refused_agents_ms > 60000) {
            plc_log(PLC_LOG_WARN,
                    "refused an agent: placerd accepts agents only with "
                    "CURVE keys (--server-key, --agent-keys) or with "
                    "--insecure-agents on ipc:// or loopback");
            srv->refused_agents_ms = plc_now_ms();
        }
        agent_send(srv, id, id_len, false,
                   "placerd does not accept agents without keys on this "
                   "socket; run it with --server-key and --agent-keys, or "
                   "--insecure-agents on ipc:// or loopback");
    } else if (!m->has_protocol_version ||
               m->protocol_version != PROTOCOL_VERSION) {
        plc_log(PLC_LOG_WARN, "refused an agent message of protocol version %u",
                m->has_protocol_version ? m->protocol_version : 0);
        char msg[96];
        snprintf(msg, sizeof msg,
                 "protocol version %u is not spoken here; this placerd "
                 "speaks %d",
                 m->has_protocol_version ? m->protocol_version : 0,
                 PROTOCOL_VERSION);
        agent_send(srv, id, id_len, false, msg);
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_REGISTRATION) {
        agent_register(srv, id, id_len, m->registration);
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_HEARTBEAT) {
        const char *host = m->heartbeat->host;
        size_t h = host ? totals_node(&srv->totals, host) : SIZE_MAX;
        struct host_agent *a =
            h < srv->totals.n_hosts ? &srv->totals.agent[h] : NULL;
        if (a && a->identity && a->identity_len == id_len &&
            !memcmp(a->identity, id, id_len)) {
            a->last_seen_ms = plc_now_ms();
            if (a->has_platform && m->heartbeat->n_steal &&
                host_agent_set_steal(a, m->heartbeat->steal,
                                     m->heartbeat->n_steal))
                steal_taken(srv, h);
            /* echoed, so that the agent knows placerd is there */
            Placer__ServerToAgent echo = PLACER__SERVER_TO_AGENT__INIT;
            echo.msg_case = PLACER__SERVER_TO_AGENT__MSG_HEARTBEAT;
            echo.heartbeat = m->heartbeat;
            agent_send_to(srv, h, &echo);
            if (a->state == HOST_DOWN) {
                plc_log(PLC_LOG_INFO, "host %s is up again", host);
                agent_state(srv, h, HOST_UP, NULL);
                sync_host_up(&srv->sync, h);
            }
        } else {
            /* placerd restarted, or the cluster changed: register again */
            agent_send(srv, id, id_len, false, "unknown agent: register");
        }
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_ACK) {
        size_t h = agent_host(srv, id, id_len);
        const Placer__AgentAck *k = m->ack;
        if (h == SIZE_MAX) {
            agent_send(srv, id, id_len, false, "unknown agent: register");
        } else {
            if (!k->ok)
                plc_log(PLC_LOG_WARN, "agent of %s: %s %s failed: %s",
                        srv->totals.node_names[h],
                        k->op == PLACER__ACK_OP__ACK_OP_REMOVE ? "remove"
                                                               : "apply",
                        k->reservation_id ? k->reservation_id : "?",
                        k->error ? k->error : "no reason given");
            else
                plc_log(PLC_LOG_DEBUG, "agent of %s: %s %s done",
                        srv->totals.node_names[h],
                        k->op == PLACER__ACK_OP__ACK_OP_REMOVE ? "remove"
                                                               : "apply",
                        k->reservation_id ? k->reservation_id : "?");
            sync_ack(&srv->sync, h, k);
        }
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_REPORT) {
        size_t h = agent_host(srv, id, id_len);
        if (h != SIZE_MAX)
            plc_log(PLC_LOG_DEBUG, "agent of %s enforces %zu reservations",
                    srv->totals.node_names[h], m->report->n_active);
    }
    placer__agent_to_server__free_unpacked(m, NULL);
}

static void on_agents(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    struct server *srv = h->data;
    if (srv->agents_depth++ > 0 || srv->closed) {
        srv->agents_depth--;
        return; /* the outer call goes on reading */
    }
    zmq_msg_t f[3];
    int n;
    while (next_message(srv->agents, f, 3, &n)) {
        if (n == 2)
            agent_message(srv, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]),
                          zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
        else
            plc_log(PLC_LOG_WARN,
                    "dropped a message of %d frames on the agents' socket", n);
        close_frames(f, n, 3);
    }
    srv->agents_depth--;
}

/* A key file (placer keygen); 0 or an exit code after saying why. */
static int read_key(const char *path, char out[41])
{
    int rc = plc_keyfile_read(path, out);
    if (rc < 0)
        fprintf(stderr, "placerd: '%s' %s\n", path,
                rc == PLC_ENOENT ? "cannot be read"
                                 : "is not a key file of 'placer keygen' (one "
                                   "line of 40 Z85 characters)");
    return rc < 0 ? plc_exit_code(rc) : 0;
}

/* The public keys (*.pub) of the agents placerd accepts. */
static int load_agent_keys(struct server *srv, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "placerd: --agent-keys: cannot read '%s' (%s)\n", dir,
                strerror(errno));
        return PLC_EXIT_NOINPUT;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char(*k)[41] = realloc(srv->keys, (srv->n_keys + 1) * sizeof *k);
        if (!k) {
            rc = 70;
            break;
        }
        srv->keys = k;
        rc = read_key(path, srv->keys[srv->n_keys]);
        if (rc == 0)
            srv->n_keys++;
    }
    closedir(d);
    srv->keys_dir = dir;
    return rc;
}

/* ZAP (RFC 27): libzmq asks whether a CURVE client key may connect. */
static void on_zap(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    struct server *srv = h->data;
    /* version, request id, domain, address, identity, mechanism, client
     * key */
    zmq_msg_t f[8];
    int n;
    while (next_message(srv->zap, f, 8, &n)) {
        char key[41] = "?", addr[64] = "";
        bool ok = false;
        if (n == 7 && zmq_msg_size(&f[6]) == 32) {
            zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
            for (size_t i = 0; i < srv->n_keys && !ok; i++)
                ok = !strcmp(srv->keys[i], key);
            snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
                     (const char *)zmq_msg_data(&f[3]));
        }
        /* an agent refused retries its handshake every 100 ms: say so
         * once a minute per key */
        if (!ok && (strcmp(srv->refused_key, key) ||
                    plc_now_ms() - srv->refused_key_ms > 60000)) {
            plc_log(PLC_LOG_WARN,
                    "refused an agent from %s: its key %s is not in %s",
                    addr[0] ? addr : "?", key, srv->keys_dir);
            memcpy(srv->refused_key, key, sizeof srv->refused_key);
            srv->refused_key_ms = plc_now_ms();
        }
        const char *code = ok ? "200" : "400";
        zmq_send(srv->zap, "1.0", 3, ZMQ_SNDMORE);
        if (n >= 2)
            zmq_send(srv->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]),
                     ZMQ_SNDMORE);
        else
            zmq_send(srv->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(srv->zap, code, 3, ZMQ_SNDMORE);
        zmq_send(srv->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        zmq_send(srv->zap, ok ? key : "", ok ? 40 : 0, ZMQ_SNDMORE);
        zmq_send(srv->zap, "", 0, 0);
        close_frames(f, n, 8);
    }
}

/* Hosts whose agent missed three heartbeats are down. */
static void on_agents_timer(uv_timer_t *t)
{
    struct server *srv = t->data;
    double now = plc_now_ms();
    for (size_t h = 0; srv->totals.agent && h < srv->totals.n_hosts; h++) {
        struct host_agent *a = &srv->totals.agent[h];
        if (a->state == HOST_UP && now - a->last_seen_ms > 3 * HEARTBEAT_MS) {
            plc_log(PLC_LOG_WARN,
                    "host %s is down: its agent missed three heartbeats "
                    "(%.1f s of silence); nothing new is placed there",
                    srv->totals.node_names[h], (now - a->last_seen_ms) / 1000);
            agent_state(srv, h, HOST_DOWN, NULL);
        }
    }
    sync_tick(&srv->sync);
    /* the agents' descriptor is edge-triggered too, and so is ZAP's */
    on_agents(&srv->agents_poll, 0, 0);
    if (srv->zap)
        on_zap(&srv->zap_poll, 0, 0);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    drain(h->data);
}

/* SIGHUP: the configuration is read at start only; said, and ignored
 * (a daemon killed by a reload signal is worse than one that says no). */
static void on_sighup(uv_signal_t *h, int sig)
{
    (void)h;
    (void)sig;
    plc_log(PLC_LOG_WARN, "SIGHUP: placerd reads its configuration only at "
                          "start; restart it to apply changes (ignored)");
}

static void on_signal(uv_signal_t *h, int sig)
{
    struct server *srv = h->data;
    if (srv->draining)
        return;
    plc_log(PLC_LOG_INFO, "%s: stopping%s; %zu waiting will hear 'busy'",
            strsignal(sig),
            srv->running ? " after the admission in progress" : "",
            srv->queued);
    srv->draining = true;
    sd_notify(0, "STOPPING=1");
    start_next(srv);
}

/* ---- start-up -------------------------------------------------------------
 */

/* Hold DB.lock (flock, exclusive) for as long as this process lives, with
 * "pid endpoint" in it for the one that finds it taken.  0, or the exit
 * code: 75 when another placerd holds it, 73 when it cannot be made. */
static int lock_store(const char *db, const char *listen, int *fd_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.lock", db);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "placerd: cannot create the lock file '%s' (%s)\n",
                path, strerror(errno));
        return PLC_EXIT_CANTCREAT;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[256] = "";
        ssize_t n = pread(fd, who, sizeof who - 1, 0);
        who[n > 0 ? n : 0] = 0;
        who[strcspn(who, "\n")] = 0;
        int pid = 0;
        char ep[200] = "?";
        sscanf(who, "%d %199s", &pid, ep);
        close(fd);
        if (e == EWOULDBLOCK) {
            fprintf(stderr,
                    "placerd: another placerd (pid %d, listening on %s) "
                    "serves the store '%s'; stop it first, or give this one "
                    "another --db\n",
                    pid, ep, db);
            return PLC_EXIT_TEMPFAIL;
        }
        fprintf(stderr, "placerd: cannot lock '%s' (%s)\n", path, strerror(e));
        return PLC_EXIT_CANTCREAT;
    }
    char line[300];
    int len = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), listen);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
        fprintf(stderr, "placerd: cannot write the lock file '%s' (%s)\n", path,
                strerror(errno));
    *fd_out = fd;
    return 0;
}

struct options {
    const char *db, *listen, *agents, *config, *level;
    long queue;
    bool check, insecure_agents;
    const char *server_key, *agent_keys;
    char *owned[16]; /* values read from the config file */
    int n_owned;
};

static struct options o; /* static: freed at exit, whatever the path */

static void options_release(void)
{
    for (int i = 0; i < o.n_owned; i++)
        free(o.owned[i]);
    o.n_owned = 0;
}

static int set_level(const char *s)
{
    if (plc_log_set_level(s))
        return 0;
    fprintf(stderr,
            "placerd: --log-level: unknown level '%s' (accepted: error, "
            "warn, info, debug)\n",
            s);
    return -1;
}

/* A config file's key, for read_config() (inih calls it per key). */
struct config_ctx {
    struct options *opt;
    char why[320]; /* the first problem, without its line */
};

static int config_key(void *user, const char *section, const char *name,
                      const char *value)
{
    struct config_ctx *c = user;
    struct options *o_ = c->opt;
    if (section[0] && strcmp(section, "placerd")) {
        snprintf(c->why, sizeof c->why,
                 "unknown section [%s] (keys go before any section, or in "
                 "[placerd])",
                 section);
        return 0;
    }
    if (!value[0]) {
        snprintf(c->why, sizeof c->why, "'%s' needs a value (%s = VALUE)", name,
                 name);
        return 0;
    }
    const char **slot = !strcmp(name, "db")              ? &o_->db
                        : !strcmp(name, "listen")        ? &o_->listen
                        : !strcmp(name, "agents-listen") ? &o_->agents
                        : !strcmp(name, "log-level")     ? &o_->level
                        : !strcmp(name, "server-key")    ? &o_->server_key
                        : !strcmp(name, "agent-keys")    ? &o_->agent_keys
                                                         : NULL;
    if (slot) {
        if (!strcmp(name, "log-level") && strcmp(value, "error") &&
            strcmp(value, "warn") && strcmp(value, "info") &&
            strcmp(value, "debug")) {
            snprintf(c->why, sizeof c->why,
                     "log-level: unknown level '%.64s' (accepted: error, "
                     "warn, info, debug)",
                     value);
            return 0;
        }
        if (!*slot && o_->n_owned < (int)(sizeof o_->owned / sizeof *o_->owned))
            *slot = o_->owned[o_->n_owned++] = strdup(value);
        return 1;
    }
    if (!strcmp(name, "queue")) {
        char *end;
        long q = strtol(value, &end, 10);
        if (*end || q < 1 || q > 1000000) {
            snprintf(c->why, sizeof c->why,
                     "queue: '%.64s' is not a whole number from 1 to "
                     "1000000",
                     value);
            return 0;
        }
        if (o_->queue == 0)
            o_->queue = q;
        return 1;
    }
    if (!strcmp(name, "insecure-agents")) {
        bool yes = !strcmp(value, "true") || !strcmp(value, "yes");
        if (!yes && strcmp(value, "false") && strcmp(value, "no")) {
            snprintf(c->why, sizeof c->why,
                     "insecure-agents: '%.64s' is not true or false", value);
            return 0;
        }
        o_->insecure_agents |= yes;
        return 1;
    }
    snprintf(c->why, sizeof c->why,
             "unknown key '%.64s' (accepted: db, listen, agents-listen, "
             "log-level, queue, server-key, agent-keys, insecure-agents)",
             name);
    return 0;
}

/* Options from a config file (INI: "name = value", # or ; comments, an
 * optional [placerd] section), for those the command line left unset.
 * 0, 66 unreadable, 65 a problem, named with its line. */
static int read_config(struct options *opt, const char *path)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "placerd: --config: cannot read '%s' (%s)\n", path,
                strerror(errno));
        if (f)
            fclose(f);
        return PLC_EXIT_NOINPUT;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        fprintf(stderr,
                "placerd: --config: '%s' is %s; give a regular file of at "
                "most 1 MiB\n",
                path,
                S_ISDIR(st.st_mode)    ? "a directory"
                : !S_ISREG(st.st_mode) ? "not a regular file"
                                       : "larger than 1 MiB");
        fclose(f);
        return PLC_EXIT_DATAERR;
    }
    struct config_ctx c = {opt, ""};
    int line = ini_parse_file(f, config_key, &c);
    fclose(f);
    if (line == 0)
        return 0;
    if (line < 0) {
        fprintf(stderr, "placerd: --config: cannot read '%s'\n", path);
        return line == -2 ? PLC_EXIT_SOFTWARE : PLC_EXIT_NOINPUT;
    }
    fprintf(stderr, "placerd: %s:%d: %s\n", path, line,
            c.why[0] ? c.why
                     : "expected 'name = value', a [section] or a comment");
    return PLC_EXIT_DATAERR;
}

/* Whatever main made of srv, released (each part only if it was made). */
static void server_release(struct server *srv)
{
    if (srv->zap)
        zmq_close(srv->zap);
    if (srv->agents)
        zmq_close(srv->agents);
    if (srv->clients)
        zmq_close(srv->clients);
    if (srv->zctx)
        zmq_ctx_term(srv->zctx);
    free(srv->keys);
    srv->keys = NULL;
    sync_release_all(&srv->sync);
    totals_release(&srv->totals);
    store_close(srv->writer);
    store_close(srv->store);
    srv->writer = srv->store = NULL;
    if (srv->lock_fd > 0)
        close(srv->lock_fd);
}

int main(int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_LISTEN,
        O_AGENTS,
        O_CONFIG,
        O_LEVEL,
        O_QUEUE,
        O_CHECK,
        O_INSECURE,
        O_SKEY,
        O_AKEYS
    };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB},
        {"listen", required_argument, 0, O_LISTEN},
        {"agents-listen", required_argument, 0, O_AGENTS},
        {"config", required_argument, 0, O_CONFIG},
        {"log-level", required_argument, 0, O_LEVEL},
        {"queue", required_argument, 0, O_QUEUE},
        {"check", no_argument, 0, O_CHECK},
        {"insecure-agents", no_argument, 0, O_INSECURE},
        {"server-key", required_argument, 0, O_SKEY},
        {"agent-keys", required_argument, 0, O_AKEYS},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    atexit(options_release);
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_DB:
            o.db = optarg;
            break;
        case O_LISTEN:
            o.listen = optarg;
            break;
        case O_AGENTS:
            o.agents = optarg;
            break;
        case O_CONFIG:
            o.config = optarg;
            break;
        case O_LEVEL:
            o.level = optarg;
            break;
        case O_QUEUE:
            o.queue = atol(optarg);
            if (o.queue < 1) {
                fputs("placerd: --queue must be at least 1\n", stderr);
                return PLC_EXIT_USAGE;
            }
            break;
        case O_CHECK:
            o.check = true;
            break;
        case O_INSECURE:
            o.insecure_agents = true;
            break;
        case O_SKEY:
            o.server_key = optarg;
            break;
        case O_AKEYS:
            o.agent_keys = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case 'V':
            puts("placerd " PLC_VERSION);
            return 0;
        default:
            fputs("Try 'placerd --help'.\n", stderr);
            return PLC_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr,
                "placerd: unexpected argument '%s'\nTry 'placerd "
                "--help'.\n",
                argv[optind]);
        return PLC_EXIT_USAGE;
    }
    plc_log_init("placerd", PLC_LOG_INFO);
    if (o.config) {
        int rc = read_config(&o, o.config);
        if (rc)
            return rc;
    }
    if (!o.db)
        o.db = "placer.db";
    if (!o.listen)
        o.listen = "tcp://127.0.0.1:7460";
    if (!o.agents)
        o.agents = "tcp://127.0.0.1:7461";
    if (o.level && set_level(o.level) < 0)
        return PLC_EXIT_USAGE;
    struct server srv = {0};
    srv.refused_agents_ms = srv.refused_key_ms = -1e9;
    srv.sync.totals = &srv.totals;
    srv.sync.send = agent_send_to;
    srv.sync.arg = &srv;
    /* agents without keys only where no one else can reach them */
    bool local = !strncmp(o.agents, "ipc://", 6) ||
                 !strncmp(o.agents, "tcp://127.", 10) ||
                 !strncmp(o.agents, "tcp://[::1]", 11) ||
                 !strncmp(o.agents, "tcp://localhost:", 16);
    if (o.insecure_agents && !local) {
        fprintf(stderr,
                "placerd: --insecure-agents only on an ipc:// or loopback "
                "--agents-listen (got '%s')\n",
                o.agents);
        return PLC_EXIT_USAGE;
    }
    srv.agents_allowed = o.insecure_agents;
    char secret[41] = "";
    if (o.server_key || o.agent_keys) {
        if (!o.server_key || !o.agent_keys) {
            fputs("placerd: --server-key and --agent-keys go together\n",
                  stderr);
            return PLC_EXIT_USAGE;
        }
        int krc = read_key(o.server_key, secret);
        if (krc == 0)
            krc = load_agent_keys(&srv, o.agent_keys);
        if (krc)
            return krc;
        srv.agents_allowed = true;
    }
    srv.queue_max = o.queue > 0 ? (size_t)o.queue : 64;
    struct plc_error err = PLC_ERROR_INIT;
    /* one placerd per store: a second would take over the endpoints while
     * the first keeps running */
    /* every exit from here on releases what was made, at out: */
    int code = PLC_EXIT_OK;
#define LEAVE(c)                                                               \
    do {                                                                       \
        code = (c);                                                            \
        goto out;                                                              \
    } while (0)
    int lrc = lock_store(o.db, o.listen, &srv.lock_fd);
    if (lrc)
        LEAVE(lrc);
    int rc = store_open(o.db, &srv.store, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        LEAVE(plc_exit_code(rc));
    }
    rc = store_open(o.db, &srv.writer, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        LEAVE(plc_exit_code(rc));
    }
    /* the totals are a cache of the reservations: check, repair, log */
    long repaired;
    char first[256];
    rc = store_reserved_repair(srv.store, &repaired, first, sizeof first, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        LEAVE(plc_exit_code(rc));
    }
    if (repaired)
        plc_log(PLC_LOG_WARN,
                "the reserved totals differed from the reservations in %ld "
                "rows (first: %s); repaired",
                repaired, first);
    void *doc;
    size_t len;
    rc = store_cluster_get(srv.store, &doc, &len, &err);
    if (rc == 0) {
        Placer__Cluster *c = placer__cluster__unpack(NULL, len, doc);
        free(doc);
        long unknown = 0;
        if (!c || totals_set_cluster(&srv.totals, c) < 0 ||
            totals_load(&srv.totals, srv.store, &unknown, &err) < 0) {
            fprintf(stderr, "placerd: cannot load the stored cluster\n");
            LEAVE(PLC_EXIT_SOFTWARE);
        }
        if (unknown)
            plc_log(PLC_LOG_WARN,
                    "%ld reserved totals name what the cluster lacks", unknown);
        srv.sync.totals = &srv.totals;
        if (sync_load(&srv.sync, srv.store, &err) < 0) {
            fprintf(stderr, "placerd: cannot load the reservations: %s\n",
                    err.msg);
            LEAVE(PLC_EXIT_SOFTWARE);
        }
    } else if (rc != PLC_ENOENT) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        LEAVE(plc_exit_code(rc));
    }
    if (o.check) {
        printf("placerd: store '%s' at schema version %d%s\n", o.db,
               store_schema_version(srv.store),
               repaired ? " (reserved totals repaired)" : "");
        LEAVE(0);
    }
    srv.loop = uv_default_loop();
    srv.zctx = zmq_ctx_new();
    srv.clients = zmq_socket(srv.zctx, ZMQ_ROUTER);
    int64_t maxmsg = 4 * (int64_t)MAX_REQUEST_BYTES;
    int linger = 1000;
    zmq_setsockopt(srv.clients, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(srv.clients, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(srv.clients, o.listen) != 0) {
        fprintf(stderr, "placerd: --listen: cannot bind '%s' (%s)\n", o.listen,
                zmq_strerror(errno));
        LEAVE(PLC_EXIT_UNAVAILABLE);
    }
    srv.agents = zmq_socket(srv.zctx, ZMQ_ROUTER);
    zmq_setsockopt(srv.agents, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(srv.agents, ZMQ_LINGER, &linger, sizeof linger);
    if (secret[0]) {
        /* the ZAP handler first: libzmq asks it about every agent */
        srv.zap = zmq_socket(srv.zctx, ZMQ_REP);
        zmq_setsockopt(srv.zap, ZMQ_LINGER, &linger, sizeof linger);
        int one = 1;
        if (zmq_bind(srv.zap, "inproc://zeromq.zap.01") != 0 ||
            zmq_setsockopt(srv.agents, ZMQ_CURVE_SERVER, &one, sizeof one) !=
                0 ||
            zmq_setsockopt(srv.agents, ZMQ_CURVE_SECRETKEY, secret, 40) != 0) {
            fprintf(stderr, "placerd: cannot set up CURVE (%s)\n",
                    zmq_strerror(errno));
            LEAVE(PLC_EXIT_SOFTWARE);
        }
        int zfd;
        size_t zl = sizeof zfd;
        zmq_getsockopt(srv.zap, ZMQ_FD, &zfd, &zl);
        uv_poll_init(srv.loop, &srv.zap_poll, zfd);
        srv.zap_poll.data = &srv;
        uv_poll_start(&srv.zap_poll, UV_READABLE, on_zap);
    }
    if (zmq_bind(srv.agents, o.agents) != 0) {
        fprintf(stderr, "placerd: --agents-listen: cannot bind '%s' (%s)\n",
                o.agents, zmq_strerror(errno));
        LEAVE(PLC_EXIT_UNAVAILABLE);
    }
    int fd;
    size_t fdlen = sizeof fd;
    zmq_getsockopt(srv.agents, ZMQ_FD, &fd, &fdlen);
    uv_poll_init(srv.loop, &srv.agents_poll, fd);
    srv.agents_poll.data = &srv;
    uv_poll_start(&srv.agents_poll, UV_READABLE, on_agents);
    uv_timer_init(srv.loop, &srv.agents_timer);
    srv.agents_timer.data = &srv;
    uv_timer_init(srv.loop, &srv.agents_kick);
    srv.agents_kick.data = &srv;
    uv_timer_start(&srv.agents_timer, on_agents_timer, HEARTBEAT_MS / 2,
                   HEARTBEAT_MS / 2);
    zmq_getsockopt(srv.clients, ZMQ_FD, &fd, &fdlen);
    uv_poll_init(srv.loop, &srv.poll, fd);
    srv.poll.data = &srv;
    uv_poll_start(&srv.poll, UV_READABLE, on_poll);
    uv_signal_init(srv.loop, &srv.sigterm);
    uv_signal_init(srv.loop, &srv.sigint);
    srv.sigterm.data = srv.sigint.data = &srv;
    uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv.sigint, on_signal, SIGINT);
    uv_signal_init(srv.loop, &srv.sighup);
    uv_signal_start(&srv.sighup, on_sighup, SIGHUP);
    signal(SIGPIPE, SIG_IGN);
    plc_log(PLC_LOG_INFO,
            "serving %s (store %s, schema %d, %s); agents on %s %s", o.listen,
            o.db, store_schema_version(srv.store),
            srv.totals.cluster ? "cluster loaded" : "no cluster yet", o.agents,
            srv.zap              ? "(CURVE: the keys of --agent-keys)"
            : srv.agents_allowed ? "(without keys: --insecure-agents)"
                                 : "(refused: without CURVE keys agents need "
                                   "--insecure-agents on ipc:// or loopback)");
    /* systemd (Type=notify): serving now; nothing without NOTIFY_SOCKET */
    sd_notifyf(0, "READY=1\nSTATUS=serving %s; agents on %s; store %s",
               o.listen, o.agents, o.db);
    /* anything that arrived before the poll started */
    drain(&srv);
    uv_run(srv.loop, UV_RUN_DEFAULT);
    plc_log(PLC_LOG_INFO, "stopped after %ld replies", srv.served);
    uv_loop_close(srv.loop);
out:
#undef LEAVE
    server_release(&srv);
    return code;
}
