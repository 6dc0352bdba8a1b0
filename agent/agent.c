/* agent.c: the table of applied reservations, the backends behind it, its
 * journal, and reconciliation with placerd's desired set. */
#define _GNU_SOURCE
#include "agent/agent.h"
#include "plc/error.h"
#include "plc/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <search.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct agent {
    struct agent_config cfg;
    struct agent_applied **e;
    bool *done;  /* per entry: the journal says it was carried out */
    bool *dirty; /* per entry: changed since the journal was written */
    size_t n, cap;
    char **gone; /* ids removed since the journal was written */
    size_t n_gone, cap_gone;
    size_t records; /* lines in the journal file (0: write it whole) */
    void *index;    /* tsearch() of the entries' ids */
    struct agent_htb *htb;
};

static int by_str(const void *x, const void *y)
{
    return strcmp(x, y);
}

static void nofree(void *p)
{
    (void)p;
}

static void entry_free(struct agent_applied *e)
{
    if (e) {
        free(e->tids);
        free(e);
    }
}

/* The table index of id, or -1. */
static long find(const struct agent *a, const char *id)
{
    void *const *f = tfind(id, &a->index, by_str);
    if (!f)
        return -1;
    const char *key = *(const char *const *)f;
    const struct agent_applied *e =
        (const void *)(key - offsetof(struct agent_applied, res.id));
    return (long)e->pos;
}

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
    json_object_set_new(o, "pid_start", json_integer((json_int_t)e->pid_start));
    json_object_set_new(o, "cgroup_path", json_string(r->cgroup_path));
    return o;
}

/* This boot of the kernel ("" if unknown). */
static void boot_id(char *out, size_t cap)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    out[0] = 0;
    if (f) {
        if (!fgets(out, (int)cap, f))
            out[0] = 0;
        fclose(f);
    }
    out[strcspn(out, "\n")] = 0;
}

/* One line of the journal (with its newline), or NULL. */
static char *record(json_t *o)
{
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!t)
        return NULL;
    size_t l = strlen(t);
    char *line = realloc(t, l + 2);
    if (!line) {
        free(t);
        return NULL;
    }
    line[l] = '\n';
    line[l + 1] = 0;
    return line;
}

struct text {
    char *p;
    size_t len, cap;
    bool oom;
};

static void text_add(struct text *t, char *line)
{
    if (!line) {
        t->oom = true;
        return;
    }
    size_t l = strlen(line);
    if (t->len + l + 1 > t->cap) {
        size_t cap = (t->len + l + 1) * 2;
        char *g = realloc(t->p, cap);
        if (!g) {
            t->oom = true;
            free(line);
            return;
        }
        t->p = g;
        t->cap = cap;
    }
    memcpy(t->p + t->len, line, l + 1);
    t->len += l;
    free(line);
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return errno ? errno : EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/*
 * The journal: JSON lines, a header ({"schema":2,"boot_id":...}) then
 * {"put":ENTRY} and {"del":ID} records.  Each write appends the entries
 * changed and the ids removed since the last one (its cost follows the
 * change, not the table); when the records outnumber twice the table the
 * file is written whole again (to a temporary file, renamed).  No fsync:
 * what it describes (threads, cgroups, classes) does not outlive the host
 * either; it has to outlive the agent, which write() and rename() do.
 */
static int journal_write(struct agent *a)
{
    size_t changed = a->n_gone;
    for (size_t i = 0; i < a->n; i++)
        changed += a->dirty[i];
    int e = 0;
    if (!a->cfg.journal || (!changed && a->records))
        goto clean;
    struct text t = {0};
    bool whole = !a->records || a->records + changed > 2 * a->n + 64;
    if (whole) {
        char boot[64];
        boot_id(boot, sizeof boot);
        text_add(&t,
                 record(json_pack("{s:i,s:s}", "schema", 2, "boot_id", boot)));
        for (size_t i = 0; i < a->n; i++)
            text_add(&t, record(json_pack("{s:o}", "put",
                                          entry_json(a->e[i], a->done[i]))));
    } else {
        for (size_t i = 0; i < a->n_gone; i++)
            text_add(&t, record(json_pack("{s:s}", "del", a->gone[i])));
        for (size_t i = 0; i < a->n; i++)
            if (a->dirty[i])
                text_add(&t,
                         record(json_pack("{s:o}", "put",
                                          entry_json(a->e[i], a->done[i]))));
    }
    if (t.oom) {
        free(t.p);
        return ENOMEM;
    }
    if (whole) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.tmp", a->cfg.journal);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        e = fd < 0 ? errno : write_all(fd, t.p, t.len);
        if (fd >= 0)
            close(fd);
        if (!e && rename(tmp, a->cfg.journal) != 0)
            e = errno;
        if (!e)
            a->records = a->n + 1;
    } else {
        int fd = open(a->cfg.journal, O_WRONLY | O_APPEND | O_CLOEXEC);
        e = fd < 0 ? errno : write_all(fd, t.p, t.len);
        if (fd >= 0)
            close(fd);
        if (!e)
            a->records += changed;
        else
            a->records = 0; /* whole next time */
    }
    free(t.p);
    if (e)
        return e;
clean:
    for (size_t i = 0; i < a->n; i++)
        a->dirty[i] = false;
    for (size_t i = 0; i < a->n_gone; i++)
        free(a->gone[i]);
    a->n_gone = 0;
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
        d = realloc(a->dirty, cap * sizeof *d);
        if (!d)
            return ENOMEM;
        a->dirty = d;
        a->cap = cap;
    }
    if (!tsearch(e->res.id, &a->index, by_str))
        return ENOMEM;
    e->pos = a->n;
    a->e[a->n] = e;
    a->done[a->n] = done;
    a->dirty[a->n] = true;
    a->n++;
    return 0;
}

/* Entry i leaves the table (its id is recorded as removed). */
static void drop_entry(struct agent *a, size_t i)
{
    if (a->n_gone == a->cap_gone) {
        size_t cap = a->cap_gone ? 2 * a->cap_gone : 16;
        char **g = realloc(a->gone, cap * sizeof *g);
        if (g) {
            a->gone = g;
            a->cap_gone = cap;
        }
    }
    if (a->n_gone < a->cap_gone &&
        (a->gone[a->n_gone] = strdup(a->e[i]->res.id)))
        a->n_gone++;
    else
        a->records = 0; /* cannot say it: write the journal whole */
    tdelete(a->e[i]->res.id, &a->index, by_str);
    entry_free(a->e[i]);
    a->n--;
    if (i < a->n) { /* the last takes its place */
        a->e[i] = a->e[a->n];
        a->e[i]->pos = i;
        a->done[i] = a->done[a->n];
        a->dirty[i] = a->dirty[a->n];
    }
}

static struct agent_applied *entry_from_json(json_t *o, bool *done)
{
    struct agent_applied *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    struct agent_res *r = &e->res;
    copy_str(r->id, sizeof r->id, o, "id");
    r->generation = get_u64(o, "generation");
    r->kind = (enum agent_kind)get_u64(o, "kind");
    e->backend = backend_name(json_string_value(json_object_get(o, "backend")));
    copy_str(r->workflow, sizeof r->workflow, o, "workflow");
    copy_str(r->service, sizeof r->service, o, "service");
    r->budget_ns = get_u64(o, "budget_ns");
    r->period_ns = get_u64(o, "period_ns");
    r->deadline_ns = get_u64(o, "deadline_ns");
    r->vcpus = (int)get_u64(o, "vcpus");
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(o, "cores"), k, v) if (k < PLC_VCPUS_MAX)
        r->cores[r->n_cores++] = (int)json_integer_value(v);
    r->pid = (pid_t)get_u64(o, "pid");
    copy_str(r->cgroup_path, sizeof r->cgroup_path, o, "cgroup_path");
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
    if (!e->tids) {
        free(e);
        return NULL;
    }
    json_array_foreach(tids, k, v) e->tids[k] = (pid_t)json_integer_value(v);
    copy_str(e->cgroup, sizeof e->cgroup, o, "cgroup");
    copy_str(e->cpuset, sizeof e->cpuset, o, "cpuset");
    copy_str(e->device, sizeof e->device, o, "device");
    e->classid = (uint32_t)get_u64(o, "classid");
    e->pid_start = get_u64(o, "pid_start");
    *done = json_is_true(json_object_get(o, "done"));
    if (!*done) {
        e->errnum = EINTR;
        snprintf(e->error, sizeof e->error,
                 "an earlier run stopped while applying it");
    }
    return e;
}

static int journal_read(struct agent *a, struct plc_error *err)
{
    if (!a->cfg.journal)
        return 0;
    FILE *f = fopen(a->cfg.journal, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long no = 0;
    int rc = 0;
    char boot[64];
    boot_id(boot, sizeof boot);
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        no++;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        if (!o) {
            /* a last line cut short by a crash is no record */
            if (line[len - 1] != '\n')
                break;
            rc = plc_error_set(err, PLC_EDATA,
                               "%s:%ld: not a journal of placer-agent (%s); "
                               "move it away to start afresh",
                               a->cfg.journal, no, je.text);
            break;
        }
        if (no == 1) {
            const char *was = json_string_value(json_object_get(o, "boot_id"));
            if (json_integer_value(json_object_get(o, "schema")) != 2) {
                rc = plc_error_set(err, PLC_EDATA,
                                   "%s:1: not a journal of this "
                                   "placer-agent; move it away to start "
                                   "afresh",
                                   a->cfg.journal);
            } else if (was && boot[0] && strcmp(was, boot)) {
                /* an earlier boot's: nothing it describes exists */
                json_decref(o);
                break;
            }
        } else if (json_is_string(json_object_get(o, "del"))) {
            long i = find(a, json_string_value(json_object_get(o, "del")));
            if (i >= 0)
                drop_entry(a, (size_t)i);
        } else if (json_is_object(json_object_get(o, "put"))) {
            bool done;
            struct agent_applied *e =
                entry_from_json(json_object_get(o, "put"), &done);
            if (!e) {
                rc = PLC_ENOMEM;
            } else {
                long i = find(a, e->res.id);
                if (i >= 0) {
                    /* the record replaces the entry */
                    tdelete(a->e[i]->res.id, &a->index, by_str);
                    entry_free(a->e[i]);
                    e->pos = (size_t)i;
                    a->e[i] = e;
                    a->done[i] = done;
                    if (!tsearch(e->res.id, &a->index, by_str))
                        rc = PLC_ENOMEM;
                } else if (add_entry(a, e, done) != 0) {
                    entry_free(e);
                    rc = PLC_ENOMEM;
                }
            }
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    for (size_t i = 0; i < a->n; i++)
        a->dirty[i] = false;
    for (size_t i = 0; i < a->n_gone; i++)
        free(a->gone[i]);
    a->n_gone = 0;
    a->records = 0; /* written whole the first time */
    return rc;
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

void agent_close(struct agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        entry_free(a->e[i]);
    free(a->e);
    free(a->done);
    free(a->dirty);
    tdestroy(a->index, nofree);
    for (size_t i = 0; i < a->n_gone; i++)
        free(a->gone[i]);
    free(a->gone);
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
    static uint8_t used[0x10000 / 8];
    memset(used, 0, sizeof used);
    for (size_t i = 0; i < a->n; i++)
        used[(a->e[i]->classid & 0xffff) / 8] |=
            (uint8_t)(1u << (a->e[i]->classid % 8));
    for (uint32_t m = 0x10; m < 0xfff0; m++)
        if (!(used[m / 8] & (1u << (m % 8))))
            return m;
    return 0;
}

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* The start time of a process (field 22 of /proc/PID/stat), 0 if gone;
 * *kthread when it is a kernel thread (flags, field 9). */
static unsigned long long start_time(pid_t pid, bool *kthread)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long long v = 0;
    unsigned flags = 0;
    if (p && sscanf(p + 2,
                    "%*c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u "
                    "%*u %*d %*d %*d %*d %*d %*d %llu",
                    &flags, &v) != 2)
        v = 0;
    *kthread = (flags & PF_KTHREAD) != 0;
    return v;
}

/* The bound process is still the one bound: not exited, its pid not
 * taken by another process since.  0 or ESRCH. */
static int check_process(struct agent_applied *e, struct plc_error *err)
{
    bool kthread = false;
    unsigned long long st = start_time(e->res.pid, &kthread);
    /* never init, a kernel thread or the agent itself: a binding must not
     * starve what keeps the host alive */
    if (st && (e->res.pid == 1 || kthread || e->res.pid == getpid())) {
        plc_error_set(err, PLC_EDATA,
                      "pid %d is %s: not a process a reservation may hold",
                      (int)e->res.pid,
                      e->res.pid == 1 ? "init"
                      : kthread       ? "a kernel thread"
                                      : "placer-agent itself");
        return EPERM;
    }
    if (!st) {
        plc_error_set(err, PLC_EIO,
                      "the bound process %d has exited: bind the service's "
                      "new process (placer bind --pid)",
                      (int)e->res.pid);
        return ESRCH;
    }
    if (e->pid_start && e->pid_start != st) {
        plc_error_set(err, PLC_EIO,
                      "pid %d is another process now (the bound one exited): "
                      "bind the service's new process (placer bind --pid)",
                      (int)e->res.pid);
        return ESRCH;
    }
    e->pid_start = st;
    return 0;
}

/* The netlink socket, opened on first use (a journal may name classes
 * an agent without the htb backend must still remove).  0 or an errno. */
static int htb_of(struct agent *a, struct plc_error *err)
{
    return a->htb ? 0 : agent_htb_open(&a->htb, err);
}

static int be_apply(struct agent *a, struct agent_applied *e,
                    struct plc_error *err)
{
    const char *b = e->backend;
    if (!strcmp(b, "dryrun"))
        return 0;
    if (e->res.kind == AGENT_CPU && e->res.pid > 0) {
        int x = check_process(e, err);
        if (x)
            return x;
    }
    if (e->res.kind == AGENT_CPU && e->res.cgroup_path[0] &&
        strcmp(b, "deadline")) {
        plc_error_set(err, PLC_EDATA,
                      "a service bound to a cgroup needs the deadline "
                      "backend (this agent enforces CPU with '%s')",
                      b);
        return ENOTSUP;
    }
    if (!strcmp(b, "deadline"))
        return agent_deadline_apply(e, a->cfg.partition, err);
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
    int r = htb_of(a, err);
    if (!r && e->device[0] && strcmp(e->device, dev))
        r = agent_htb_remove(a->htb, e, err);
    return r ? r : agent_htb_apply(a->htb, e, dev, err);
}

static int be_remove(struct agent *a, struct agent_applied *e,
                     struct plc_error *err)
{
    const char *b = e->backend;
    if (!strcmp(b, "deadline"))
        return agent_deadline_remove(e, a->cfg.partition, err);
    if (!strcmp(b, "cgroup"))
        return agent_cgroup_remove(e, a->cfg.cgroup_root, err);
    if (!strcmp(b, "htb") && e->device[0]) {
        int r = htb_of(a, err);
        return r ? r : agent_htb_remove(a->htb, e, err);
    }
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

/* Phase one of an apply: 1 when it is settled (reported), 0 when entry
 * *idx must be carried out; *dirty when the journal must be written. */
static int apply_prepare(struct agent *a, const struct agent_res *r,
                         agent_result_fn fn, void *arg, long *idx, bool *dirty)
{
    struct plc_error err = PLC_ERROR_INIT;
    long i = find(a, r->id);
    struct agent_applied *e = i >= 0 ? a->e[i] : NULL;
    const char *be = choose(a, r->kind);
    if (e && e->errnum == 0 && same(&e->res, r) && be &&
        !strcmp(e->backend, be)) {
        /* unchanged: only the generation (and new threads) */
        bool bound =
            !strcmp(be, "deadline") && (r->pid > 0 || r->cgroup_path[0]);
        int x = bound && r->pid > 0 ? check_process(e, &err) : 0;
        if (!x && bound)
            x = agent_deadline_apply(e, a->cfg.partition, &err);
        if (x == 0 && e->res.generation != r->generation) {
            e->res.generation = r->generation;
            *dirty = true;
            a->dirty[i] = true;
        }
        e->errnum = x;
        snprintf(e->error, sizeof e->error, "%s", x ? err.msg : "");
        report(fn, arg, r, 1, x, e->error);
        return 1;
    }
    if (!be) {
        snprintf(err.msg, sizeof err.msg,
                 "this agent has no backend for %s reservations: start it "
                 "with --backend %s",
                 r->kind == AGENT_CPU ? "CPU" : "network",
                 r->kind == AGENT_CPU ? "deadline or cgroup" : "htb");
        report(fn, arg, r, 1, ENOTSUP, err.msg);
        return 1;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (e)
            e->res = *r; /* its id is its key in the index */
        if (!e || add_entry(a, e, false) != 0) {
            free(e);
            report(fn, arg, r, 1, ENOMEM, "out of memory");
            return 1;
        }
        i = (long)a->n - 1;
        e->backend = be;
        if (!strcmp(be, "htb"))
            e->classid = free_minor(a);
    } else if (strcmp(e->backend, be) ||
               (r->kind == AGENT_CPU &&
                (e->res.pid != r->pid ||
                 strcmp(e->res.cgroup_path, r->cgroup_path)))) {
        /* another backend now (the agent restarted with others), or bound
         * to another process: let the old go first */
        int x = be_remove(a, e, &err);
        if (x) {
            report(fn, arg, r, 1, x, err.msg);
            return 1;
        }
        e->pid_start = 0;
        if (strcmp(e->backend, be)) {
            e->backend = be;
            e->classid = !strcmp(be, "htb") ? free_minor(a) : 0;
        }
    }
    e->res = *r;
    a->done[i] = false;
    a->dirty[i] = true;
    *idx = i;
    *dirty = true;
    return 0;
}

static void apply_execute(struct agent *a, long i, agent_result_fn fn,
                          void *arg)
{
    struct agent_applied *e = a->e[i];
    struct plc_error err = PLC_ERROR_INIT;
    int x = be_apply(a, e, &err);
    e->errnum = x;
    snprintf(e->error, sizeof e->error, "%s", x ? err.msg : "");
    a->done[i] = true;
    a->dirty[i] = true;
    report(fn, arg, &e->res, 1, x, e->error);
}

void agent_apply_many(struct agent *a, const struct agent_res *r, size_t n,
                      agent_result_fn fn, void *arg)
{
    long *todo = calloc(n + 1, sizeof *todo);
    bool *later = calloc(n + 1, sizeof *later);
    size_t k = 0;
    bool dirty = false;
    /* the last of two applies of one id wins */
    void *seen = NULL;
    for (size_t j = n; later && j-- > 0;) {
        void *const *f = tfind(r[j].id, &seen, by_str);
        later[j] = f != NULL;
        if (!f && !tsearch(r[j].id, &seen, by_str))
            break; /* no memory: the rest are applied as they come */
    }
    tdestroy(seen, nofree);
    for (size_t j = 0; j < n; j++) {
        long i;
        if (later && later[j])
            continue;
        if (apply_prepare(a, &r[j], fn, arg, &i, &dirty) == 0) {
            if (todo)
                todo[k++] = i;
            else
                apply_execute(a, i, fn, arg); /* no memory: one by one */
        }
    }
    if (dirty)
        journal_write(a); /* what is about to change, before it changes */
    for (size_t j = 0; j < k; j++)
        apply_execute(a, todo[j], fn, arg);
    if (k)
        journal_write(a);
    free(todo);
    free(later);
}

int agent_apply(struct agent *a, const struct agent_res *r, agent_result_fn fn,
                void *arg)
{
    agent_apply_many(a, r, 1, fn, arg);
    long i = find(a, r->id);
    return i >= 0 ? a->e[i]->errnum : ENOTSUP;
}

void agent_remove_many(struct agent *a, const char *const *ids,
                       const uint64_t *generations, size_t n,
                       agent_result_fn fn, void *arg)
{
    bool dirty = false;
    for (size_t j = 0; j < n; j++) {
        long i = find(a, ids[j]);
        if (i < 0) {
            struct agent_res r;
            memset(&r, 0, sizeof r);
            snprintf(r.id, sizeof r.id, "%s", ids[j]);
            r.generation = generations[j];
            report(fn, arg, &r, 2, 0, "");
            continue;
        }
        struct agent_applied *e = a->e[i];
        struct plc_error err = PLC_ERROR_INIT;
        int x = be_remove(a, e, &err);
        if (x) {
            report(fn, arg, &e->res, 2, x, err.msg);
            continue;
        }
        struct agent_res r = e->res;
        r.generation = generations[j];
        drop_entry(a, (size_t)i);
        dirty = true;
        report(fn, arg, &r, 2, 0, "");
    }
    if (dirty)
        journal_write(a); /* a crash before this removes again: harmless */
}

int agent_remove(struct agent *a, const char *id, uint64_t generation,
                 agent_result_fn fn, void *arg)
{
    agent_remove_many(a, &id, &generation, 1, fn, arg);
    return find(a, id) >= 0 ? EIO : 0;
}

void agent_reconcile(struct agent *a, const struct agent_res *want, size_t n,
                     agent_result_fn fn, void *arg)
{
    /* what is not wanted goes first: it frees what the rest may need */
    size_t m = 0;
    char(*ids)[sizeof a->e[0]->res.id] = calloc(a->n + 1, sizeof *ids);
    const char **idp = calloc(a->n + 1, sizeof *idp);
    uint64_t *gens = calloc(a->n + 1, sizeof *gens);
    void *wanted = NULL;
    bool oom = false;
    for (size_t k = 0; k < n && !oom; k++)
        oom = !tsearch(want[k].id, &wanted, by_str);
    for (size_t i = 0; !oom && ids && idp && gens && i < a->n; i++) {
        if (!tfind(a->e[i]->res.id, &wanted, by_str)) {
            memcpy(ids[m], a->e[i]->res.id, sizeof ids[m]);
            idp[m] = ids[m];
            gens[m++] = a->e[i]->res.generation;
        }
    }
    tdestroy(wanted, nofree);
    agent_remove_many(a, idp, gens, m, fn, arg);
    free(ids);
    free(idp);
    free(gens);
    agent_apply_many(a, want, n, fn, arg);
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
        bool cg = e->res.cgroup_path[0] != 0;
        if (e->res.kind != AGENT_CPU || (e->res.pid <= 0 && !cg) ||
            !strcmp(e->backend, "dryrun"))
            continue;
        struct plc_error err = PLC_ERROR_INIT;
        int x;
        if (cg) {
            /* a cgroup: its threads now, the new ones included */
            size_t before = e->n_tids;
            x = !strcmp(e->backend, "deadline")
                    ? agent_deadline_apply(e, a->cfg.partition, &err)
                    : ENOTSUP;
            if (x == ENOTSUP)
                plc_error_set(&err, PLC_EDATA,
                              "a service bound to a cgroup needs the "
                              "deadline backend");
            if (x == 0 && e->n_tids != before)
                a->dirty[i] = true;
        } else if ((x = check_process(e, &err)) != 0) {
            /* gone, or its pid taken by another process */
        } else if (!strcmp(e->backend, "deadline")) {
            size_t before = e->n_tids;
            x = agent_deadline_apply(e, a->cfg.partition, &err);
            if (x == 0 && e->n_tids != before)
                a->dirty[i] = true;
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
            a->dirty[i] = true;
            report(fn, arg, &e->res, 1, x, e->error);
        }
    }
    journal_write(a); /* what changed, if anything */
}
