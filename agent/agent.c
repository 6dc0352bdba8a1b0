/* agent.c: the table of applied reservations, the backends behind it, its
 * journal, and reconciliation with placerd's desired set. */
#define _GNU_SOURCE
#include "agent/agent.h"
#include "plc/error.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct agent {
    struct agent_config cfg;
    struct agent_applied **e;
    bool *done; /* per entry: the journal says it was carried out */
    size_t n, cap;
    struct agent_htb *htb;
};

int agent_backends_parse(const char *list, struct plc_error *err)
{
    int flags = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *w = strtok_r(buf, ",", &save); w;
         w = strtok_r(NULL, ",", &save)) {
        int f = !strcmp(w, "dryrun")     ? AGENT_BE_DRYRUN
                : !strcmp(w, "deadline") ? AGENT_BE_DEADLINE
                : !strcmp(w, "cgroup")   ? AGENT_BE_CGROUP
                : !strcmp(w, "htb")      ? AGENT_BE_HTB
                                         : 0;
        if (!f) {
            plc_error_set(err, PLC_EUSAGE,
                          "unknown backend '%s' (deadline, cgroup, htb or "
                          "dryrun, combined with commas)",
                          w);
            return 0;
        }
        flags |= f;
    }
    if ((flags & AGENT_BE_DRYRUN) && flags != AGENT_BE_DRYRUN) {
        plc_error_set(err, PLC_EUSAGE,
                      "dryrun records and enforces nothing: it does not "
                      "combine with other backends");
        return 0;
    }
    if (!flags)
        plc_error_set(err, PLC_EUSAGE, "no backend given");
    return flags;
}

/* ---- journal ---- */

static json_t *flow_json(const struct agent_flow *f)
{
    if (!f->set)
        return json_null();
    return json_pack("{s:I,s:I,s:i,s:i,s:i}", "src", (json_int_t)f->src, "dst",
                     (json_int_t)f->dst, "sport", f->sport, "dport", f->dport,
                     "proto", f->proto);
}

static json_t *entry_json(const struct agent_applied *e, bool done)
{
    const struct agent_res *r = &e->res;
    json_t *cores = json_array(), *tids = json_array();
    for (int i = 0; i < r->n_cores; i++)
        json_array_append_new(cores, json_integer(r->cores[i]));
    for (size_t i = 0; i < e->n_tids; i++)
        json_array_append_new(tids, json_integer(e->tids[i]));
    json_t *o = json_pack(
        "{s:s,s:I,s:i,s:s,s:s,s:s,s:I,s:I,s:I,s:i,s:o,s:i,s:s,s:I,s:I,s:I,"
        "s:o,s:o,s:s,s:s,s:s,s:I,s:b}",
        "id", r->id, "generation", (json_int_t)r->generation, "kind", r->kind,
        "backend", e->backend, "workflow", r->workflow, "service", r->service,
        "budget_ns", (json_int_t)r->budget_ns, "period_ns",
        (json_int_t)r->period_ns, "deadline_ns", (json_int_t)r->deadline_ns,
        "vcpus", r->vcpus, "cores", cores, "pid", (int)r->pid, "next_hop",
        r->next_hop, "rate_bps", (json_int_t)r->rate_bps, "burst_bytes",
        (json_int_t)r->burst_bytes, "link_rate_bps",
        (json_int_t)r->link_rate_bps, "flow", flow_json(&r->flow), "tids", tids,
        "cgroup", e->cgroup, "cpuset", e->cpuset, "device", e->device,
        "classid", (json_int_t)e->classid, "done", done);
    return o;
}

static int journal_write(struct agent *a)
{
    if (!a->cfg.journal)
        return 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < a->n; i++)
        json_array_append_new(arr, entry_json(a->e[i], a->done[i]));
    json_t *doc = json_pack("{s:i,s:o}", "schema", 1, "applied", arr);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return ENOMEM;
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->cfg.journal);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), e = 0;
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    if (!e && rename(tmp, a->cfg.journal) != 0)
        e = errno;
    free(text);
    return e;
}

static void copy_str(char *dst, size_t cap, json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", v ? v : "");
}

static uint64_t get_u64(json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static const char *backend_name(const char *s)
{
    static const char *const names[] = {"dryrun", "deadline", "cgroup", "htb"};
    for (size_t i = 0; i < 4; i++)
        if (s && !strcmp(s, names[i]))
            return names[i];
    return "dryrun";
}

static int add_entry(struct agent *a, struct agent_applied *e, bool done)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 16;
        struct agent_applied **g = realloc(a->e, cap * sizeof *g);
        if (!g)
            return ENOMEM;
        a->e = g;
        bool *d = realloc(a->done, cap * sizeof *d);
        if (!d)
            return ENOMEM;
        a->done = d;
        a->cap = cap;
    }
    a->e[a->n] = e;
    a->done[a->n] = done;
    a->n++;
    return 0;
}

static int journal_read(struct agent *a, struct plc_error *err)
{
    if (!a->cfg.journal || access(a->cfg.journal, F_OK) != 0)
        return 0;
    json_error_t je;
    json_t *doc = json_load_file(a->cfg.journal, 0, &je);
    json_t *arr = json_object_get(doc, "applied");
    if (!doc || !json_is_array(arr)) {
        json_decref(doc);
        return plc_error_set(err, PLC_EDATA,
                             "%s:%d: not a journal of placer-agent (%s); "
                             "move it away to start afresh",
                             a->cfg.journal, je.line, je.text);
    }
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        struct agent_applied *e = calloc(1, sizeof *e);
        if (!e) {
            json_decref(doc);
            return PLC_ENOMEM;
        }
        struct agent_res *r = &e->res;
        copy_str(r->id, sizeof r->id, o, "id");
        r->generation = get_u64(o, "generation");
        r->kind = (enum agent_kind)get_u64(o, "kind");
        e->backend =
            backend_name(json_string_value(json_object_get(o, "backend")));
        copy_str(r->workflow, sizeof r->workflow, o, "workflow");
        copy_str(r->service, sizeof r->service, o, "service");
        r->budget_ns = get_u64(o, "budget_ns");
        r->period_ns = get_u64(o, "period_ns");
        r->deadline_ns = get_u64(o, "deadline_ns");
        r->vcpus = (int)get_u64(o, "vcpus");
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(o, "cores"), k, v) if (k < 64)
            r->cores[r->n_cores++] = (int)json_integer_value(v);
        r->pid = (pid_t)get_u64(o, "pid");
        copy_str(r->next_hop, sizeof r->next_hop, o, "next_hop");
        r->rate_bps = get_u64(o, "rate_bps");
        r->burst_bytes = get_u64(o, "burst_bytes");
        r->link_rate_bps = get_u64(o, "link_rate_bps");
        json_t *f = json_object_get(o, "flow");
        if (json_is_object(f)) {
            r->flow.set = true;
            r->flow.src = (uint32_t)get_u64(f, "src");
            r->flow.dst = (uint32_t)get_u64(f, "dst");
            r->flow.sport = (uint16_t)get_u64(f, "sport");
            r->flow.dport = (uint16_t)get_u64(f, "dport");
            r->flow.proto = (uint8_t)get_u64(f, "proto");
        }
        json_t *tids = json_object_get(o, "tids");
        e->n_tids = json_array_size(tids);
        e->tids = calloc(e->n_tids ? e->n_tids : 1, sizeof *e->tids);
        json_array_foreach(tids, k, v) e->tids[k] =
            (pid_t)json_integer_value(v);
        copy_str(e->cgroup, sizeof e->cgroup, o, "cgroup");
        copy_str(e->cpuset, sizeof e->cpuset, o, "cpuset");
        copy_str(e->device, sizeof e->device, o, "device");
        e->classid = (uint32_t)get_u64(o, "classid");
        bool done = json_is_true(json_object_get(o, "done"));
        if (!done) {
            e->errnum = EINTR;
            snprintf(e->error, sizeof e->error,
                     "an earlier run stopped while applying it");
        }
        if (add_entry(a, e, done) != 0) {
            free(e->tids);
            free(e);
            json_decref(doc);
            return PLC_ENOMEM;
        }
    }
    json_decref(doc);
    return 0;
}

int agent_open(struct agent **out, const struct agent_config *c,
               struct plc_error *err)
{
    struct agent *a = calloc(1, sizeof *a);
    if (!a)
        return PLC_ENOMEM;
    a->cfg = *c;
    if (!a->cfg.cgroup_root)
        a->cfg.cgroup_root = "/sys/fs/cgroup";
    int rc = journal_read(a, err);
    if (rc == 0 && (c->backends & AGENT_BE_HTB)) {
        int e = agent_htb_open(&a->htb, err);
        if (e)
            rc = PLC_EIO;
    }
    if (rc < 0) {
        agent_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

static void entry_free(struct agent_applied *e)
{
    if (e) {
        free(e->tids);
        free(e);
    }
}

void agent_close(struct agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        entry_free(a->e[i]);
    free(a->e);
    free(a->done);
    agent_htb_close(a->htb);
    free(a);
}

size_t agent_count(const struct agent *a)
{
    return a->n;
}

const struct agent_applied *agent_at(const struct agent *a, size_t i)
{
    return i < a->n ? a->e[i] : NULL;
}

double agent_deadline_held(const struct agent *a)
{
    double bw = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct agent_applied *e = a->e[i];
        if (!strcmp(e->backend, "deadline") && e->res.period_ns)
            bw += (double)e->n_tids * (double)e->res.budget_ns /
                  (double)e->res.period_ns;
    }
    return bw;
}

static long find(const struct agent *a, const char *id)
{
    for (size_t i = 0; i < a->n; i++)
        if (!strcmp(a->e[i]->res.id, id))
            return (long)i;
    return -1;
}

/* ---- backends ---- */

static const char *choose(const struct agent *a, enum agent_kind k)
{
    int b = a->cfg.backends;
    if (b & AGENT_BE_DRYRUN)
        return "dryrun";
    if (k == AGENT_CPU)
        return b & AGENT_BE_DEADLINE ? "deadline"
               : b & AGENT_BE_CGROUP ? "cgroup"
                                     : NULL;
    return b & AGENT_BE_HTB ? "htb" : NULL;
}

static const char *device_for(const struct agent *a, const char *next_hop)
{
    const char *def = NULL;
    for (size_t i = 0; i < a->cfg.n_links; i++) {
        if (!strcmp(a->cfg.links[i].next_hop, next_hop))
            return a->cfg.links[i].device;
        if (!a->cfg.links[i].next_hop[0])
            def = a->cfg.links[i].device;
    }
    return def;
}

static uint32_t free_minor(const struct agent *a)
{
    for (uint32_t m = 0x10; m < 0xfff0; m++) {
        bool used = false;
        for (size_t i = 0; i < a->n && !used; i++)
            used = a->e[i]->classid == m;
        if (!used)
            return m;
    }
    return 0;
}

static int be_apply(struct agent *a, struct agent_applied *e,
                    struct plc_error *err)
{
    const char *b = e->backend;
    if (!strcmp(b, "dryrun"))
        return 0;
    if (!strcmp(b, "deadline"))
        return agent_deadline_apply(e, err);
    if (!strcmp(b, "cgroup"))
        return agent_cgroup_apply(e, a->cfg.cgroup_root, err);
    const char *dev = device_for(a, e->res.next_hop);
    if (!dev) {
        plc_error_set(err, PLC_EDATA,
                      "no network device toward '%s': start placer-agent with "
                      "--link %s=DEVICE (or --link DEVICE for every next hop)",
                      e->res.next_hop, e->res.next_hop);
        return ENODEV;
    }
    if (e->device[0] && strcmp(e->device, dev)) {
        int r = agent_htb_remove(a->htb, e, err);
        if (r)
            return r;
    }
    return agent_htb_apply(a->htb, e, dev, err);
}

static int be_remove(struct agent *a, struct agent_applied *e,
                     struct plc_error *err)
{
    const char *b = e->backend;
    if (!strcmp(b, "deadline"))
        return agent_deadline_remove(e, err);
    if (!strcmp(b, "cgroup"))
        return agent_cgroup_remove(e, a->cfg.cgroup_root, err);
    if (!strcmp(b, "htb"))
        return a->htb ? agent_htb_remove(a->htb, e, err) : 0;
    return 0;
}

static bool same(const struct agent_res *x, const struct agent_res *y)
{
    struct agent_res a = *x, b = *y;
    a.generation = b.generation = 0;
    return !memcmp(&a, &b, sizeof a);
}

static void report(agent_result_fn fn, void *arg, const struct agent_res *r,
                   int op, int errnum, const char *msg)
{
    if (fn)
        fn(arg, r, op, errnum, msg);
}

int agent_apply(struct agent *a, const struct agent_res *r, agent_result_fn fn,
                void *arg)
{
    struct plc_error err = PLC_ERROR_INIT;
    long i = find(a, r->id);
    struct agent_applied *e = i >= 0 ? a->e[i] : NULL;
    if (e && e->errnum == 0 && same(&e->res, r)) {
        /* unchanged: only the generation (and new threads) */
        int x =
            !strcmp(e->backend, "deadline") ? agent_deadline_apply(e, &err) : 0;
        if (x == 0 && e->res.generation != r->generation) {
            e->res.generation = r->generation;
            journal_write(a);
        }
        e->errnum = x;
        snprintf(e->error, sizeof e->error, "%s", x ? err.msg : "");
        report(fn, arg, r, 1, x, e->error);
        return x;
    }
    const char *be = choose(a, r->kind);
    if (!be) {
        snprintf(err.msg, sizeof err.msg,
                 "this agent has no backend for %s reservations: start it "
                 "with --backend %s",
                 r->kind == AGENT_CPU ? "CPU" : "network",
                 r->kind == AGENT_CPU ? "deadline or cgroup" : "htb");
        report(fn, arg, r, 1, ENOTSUP, err.msg);
        return ENOTSUP;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e || add_entry(a, e, false) != 0) {
            free(e);
            report(fn, arg, r, 1, ENOMEM, "out of memory");
            return ENOMEM;
        }
        i = (long)a->n - 1;
        e->backend = be;
        if (!strcmp(be, "htb"))
            e->classid = free_minor(a);
    } else if (r->kind == AGENT_CPU && e->res.pid != r->pid && e->res.pid > 0) {
        /* bound to another process now: let the old one go */
        int x = be_remove(a, e, &err);
        if (x) {
            report(fn, arg, r, 1, x, err.msg);
            return x;
        }
    }
    e->res = *r;
    a->done[i] = false;
    journal_write(a); /* what is about to change, before it changes */
    int x = be_apply(a, e, &err);
    e->errnum = x;
    snprintf(e->error, sizeof e->error, "%s", x ? err.msg : "");
    a->done[i] = true;
    journal_write(a);
    report(fn, arg, r, 1, x, e->error);
    return x;
}

int agent_remove(struct agent *a, const char *id, uint64_t generation,
                 agent_result_fn fn, void *arg)
{
    long i = find(a, id);
    if (i < 0) {
        struct agent_res r;
        memset(&r, 0, sizeof r);
        snprintf(r.id, sizeof r.id, "%s", id);
        r.generation = generation;
        report(fn, arg, &r, 2, 0, "");
        return 0;
    }
    struct agent_applied *e = a->e[i];
    struct plc_error err = PLC_ERROR_INIT;
    int x = be_remove(a, e, &err);
    if (x) {
        report(fn, arg, &e->res, 2, x, err.msg);
        return x;
    }
    struct agent_res r = e->res;
    entry_free(e);
    a->e[i] = a->e[a->n - 1];
    a->done[i] = a->done[a->n - 1];
    a->n--;
    journal_write(a);
    report(fn, arg, &r, 2, 0, "");
    return 0;
}

void agent_reconcile(struct agent *a, const struct agent_res *want, size_t n,
                     agent_result_fn fn, void *arg)
{
    /* what is not wanted goes first: it frees what the rest may need */
    for (size_t i = a->n; i-- > 0;) {
        bool wanted = false;
        for (size_t k = 0; k < n && !wanted; k++)
            wanted = !strcmp(want[k].id, a->e[i]->res.id);
        if (!wanted)
            agent_remove(a, a->e[i]->res.id, a->e[i]->res.generation, fn, arg);
    }
    for (size_t k = 0; k < n; k++)
        agent_apply(a, &want[k], fn, arg);
    /* classes of an earlier run the journal does not know */
    if (!a->htb)
        return;
    for (size_t l = 0; l < a->cfg.n_links; l++) {
        const char *dev = a->cfg.links[l].device;
        uint32_t keep[1024];
        size_t nk = 0;
        for (size_t i = 0; i < a->n && nk < 1024; i++)
            if (!strcmp(a->e[i]->device, dev))
                keep[nk++] = a->e[i]->classid;
        int removed = 0;
        agent_htb_prune(a->htb, dev, keep, nk, &removed, NULL);
    }
}

void agent_rescan(struct agent *a, agent_result_fn fn, void *arg)
{
    for (size_t i = 0; i < a->n; i++) {
        struct agent_applied *e = a->e[i];
        if (e->res.kind != AGENT_CPU || e->res.pid <= 0 ||
            !strcmp(e->backend, "dryrun"))
            continue;
        struct plc_error err = PLC_ERROR_INIT;
        int x;
        if (!strcmp(e->backend, "deadline")) {
            size_t before = e->n_tids;
            x = agent_deadline_apply(e, &err);
            if (x == 0 && e->n_tids != before)
                journal_write(a);
        } else {
            char p[64];
            snprintf(p, sizeof p, "/proc/%d", (int)e->res.pid);
            x = access(p, F_OK) == 0 ? 0 : ESRCH;
            if (x)
                plc_error_set(&err, PLC_EIO, "bound process %d has exited",
                              (int)e->res.pid);
        }
        if (x != e->errnum) {
            e->errnum = x;
            snprintf(e->error, sizeof e->error, "%s", x ? err.msg : "");
            report(fn, arg, &e->res, 1, x, e->error);
        }
    }
}
