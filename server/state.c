/*
 * state.c: placerd's in-memory cluster and reserved totals (state.h).
 */
#include "plc/error.h"
#include "state.h"
#include "sched/arrival.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void srv__totals_release(struct totals *t)
{
    if (t->cluster)
        placer__cluster__free_unpacked(t->cluster, NULL);
    if (t->residual)
        placer__cluster__free_unpacked(t->residual, NULL);
    model_index_free(t->index);
    free(t->node_names);
    plc_name_index_release(&t->names);
    free(t->core);
    free(t->mem);
    free(t->link);
    free(t->link_a);
    free(t->link_b);
    free(t->host_dirty);
    free(t->host_changed);
    free(t->link_dirty);
    free(t->dirty_hosts);
    free(t->dirty_links);
    for (size_t h = 0; t->agent && h < t->n_hosts; h++)
        free(t->agent[h].identity);
    free(t->agent);
    memset(t, 0, sizeof *t);
}

static Placer__Cluster *residual_copy(const Placer__Cluster *base);

int srv__totals_set_cluster(struct totals *t, Placer__Cluster *c)
{
    srv__totals_release(t);
    if (!c)
        return 0;
    t->cluster = c;
    t->n_hosts = c->n_hosts;
    t->n_nodes = c->n_hosts + c->n_switches;
    t->n_links = c->n_links;
    t->max_cores = 1;
    for (size_t h = 0; h < c->n_hosts; h++)
        if (c->hosts[h]->has_cores && c->hosts[h]->cores > t->max_cores)
            t->max_cores = c->hosts[h]->cores;
    t->node_names = calloc(t->n_nodes + 1, sizeof *t->node_names);
    t->core = calloc(t->n_hosts * (size_t)t->max_cores + 1, sizeof *t->core);
    t->mem = calloc(t->n_hosts + 1, sizeof *t->mem);
    t->link = calloc(2 * t->n_links + 1, sizeof *t->link);
    t->link_a = calloc(t->n_links + 1, sizeof *t->link_a);
    t->link_b = calloc(t->n_links + 1, sizeof *t->link_b);
    t->residual = residual_copy(c);
    t->index = model_index_build(c);
    t->agent = calloc(t->n_hosts + 1, sizeof *t->agent);
    t->host_dirty = calloc(t->n_hosts + 1, sizeof *t->host_dirty);
    t->host_changed = calloc(t->n_hosts + 1, sizeof *t->host_changed);
    t->link_dirty = calloc(t->n_links + 1, sizeof *t->link_dirty);
    t->dirty_hosts = malloc((t->n_hosts + 1) * sizeof *t->dirty_hosts);
    t->dirty_links = malloc((t->n_links + 1) * sizeof *t->dirty_links);
    t->all_dirty = true;
    if (!t->node_names || !t->core || !t->mem || !t->link || !t->link_a ||
        !t->link_b || !t->residual || !t->index || !t->agent ||
        !t->host_dirty || !t->host_changed || !t->link_dirty ||
        !t->dirty_hosts || !t->dirty_links) {
        srv__totals_release(t);
        return PLC_ENOMEM;
    }
    for (size_t n = 0; n < t->n_nodes; n++) {
        t->node_names[n] = n < c->n_hosts ? c->hosts[n]->name
                                          : c->switches[n - c->n_hosts]->name;
    }
    if (!plc_name_index_build(&t->names, t->node_names, t->n_nodes)) {
        srv__totals_release(t);
        return PLC_ENOMEM;
    }
    for (size_t l = 0; l < t->n_links; l++) {
        t->link_a[l] = srv__totals_node(t, c->links[l]->a);
        t->link_b[l] = srv__totals_node(t, c->links[l]->b);
    }
    return 0;
}

void srv__totals_touch(struct totals *t, size_t h)
{
    if (h < t->n_hosts && !t->host_dirty[h]) {
        t->host_dirty[h] = true;
        t->dirty_hosts[t->n_dirty_hosts++] = h;
    }
}

void srv__totals_touch_agent(struct totals *t, size_t h)
{
    srv__totals_touch(t, h);
    if (h < t->n_hosts)
        t->host_changed[h] = true;
}

void srv__totals_touch_link(struct totals *t, size_t l)
{
    if (l < t->n_links && !t->link_dirty[l]) {
        t->link_dirty[l] = true;
        t->dirty_links[t->n_dirty_links++] = l;
    }
}

size_t srv__totals_node(const struct totals *t, const char *name)
{
    long k = plc_name_index_find(&t->names, name);
    return k < 0 ? SIZE_MAX : (size_t)k;
}

size_t srv__totals_link(const struct totals *t, size_t from, size_t to,
                        int *dir)
{
    if (from == SIZE_MAX || to == SIZE_MAX)
        return SIZE_MAX;
    for (size_t l = 0; l < t->n_links; l++) {
        if (t->link_a[l] == from && t->link_b[l] == to) {
            *dir = 0;
            return l;
        }
        if (t->link_a[l] == to && t->link_b[l] == from) {
            *dir = 1;
            return l;
        }
    }
    return SIZE_MAX;
}

struct load_ctx {
    struct totals *t;
    long unknown;
};

static void load_row(void *arg, const char *kind, const char *a, const char *b,
                     double amount)
{
    struct load_ctx *x = arg;
    struct totals *t = x->t;
    size_t n = srv__totals_node(t, a);
    if (!strcmp(kind, "core")) {
        int core = atoi(b);
        if (n < t->n_hosts && core >= 0 && core < t->max_cores)
            t->core[n * (size_t)t->max_cores + (size_t)core] += amount;
        else
            x->unknown++;
    } else if (!strcmp(kind, "mem")) {
        if (n < t->n_hosts)
            t->mem[n] += amount;
        else
            x->unknown++;
    } else if (!strcmp(kind, "link")) {
        int dir;
        size_t l = srv__totals_link(t, n, srv__totals_node(t, b), &dir);
        if (l != SIZE_MAX)
            t->link[2 * l + (size_t)dir] += amount;
        else
            x->unknown++;
    }
}

int srv__totals_load(struct totals *t, struct store *s, long *unknown,
                     struct plc_error *err)
{
    *unknown = 0;
    if (!t->cluster)
        return 0;
    memset(t->core, 0, t->n_hosts * (size_t)t->max_cores * sizeof *t->core);
    memset(t->mem, 0, t->n_hosts * sizeof *t->mem);
    memset(t->link, 0, 2 * t->n_links * sizeof *t->link);
    t->all_dirty = true;
    struct load_ctx x = {t, 0};
    int rc = store_reserved_each(s, load_row, &x, err);
    *unknown = x.unknown;
    return rc;
}

/* A deep copy of c (pack and unpack) with every field the residuals
 * write present: used per core, memory_used, used_rate. */
static Placer__Cluster *residual_copy(const Placer__Cluster *base)
{
    size_t len = placer__cluster__get_packed_size(base);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    placer__cluster__pack(base, buf);
    Placer__Cluster *c = placer__cluster__unpack(NULL, len, buf);
    free(buf);
    for (size_t h = 0; c && h < c->n_hosts; h++) {
        Placer__Host *x = c->hosts[h];
        size_t cores = (size_t)(x->has_cores ? x->cores : 1);
        if (x->n_used < cores) {
            double *u = realloc(x->used, cores * sizeof *u);
            if (!u)
                goto oom;
            for (size_t k = x->n_used; k < cores; k++)
                u[k] = 0;
            x->used = u;
            x->n_used = cores;
        }
        if (!x->memory_used) {
            if (!(x->memory_used = malloc(sizeof *x->memory_used)))
                goto oom;
            placer__size__init(x->memory_used);
        }
        x->memory_used->has_bytes = 1;
    }
    for (size_t l = 0; c && l < c->n_links; l++) {
        Placer__Link *x = c->links[l];
        if (!x->used_rate) {
            if (!(x->used_rate = malloc(sizeof *x->used_rate)))
                goto oom;
            placer__rate__init(x->used_rate);
        }
        x->used_rate->has_bps = 1;
    }
    return c;
oom:
    placer__cluster__free_unpacked(c, NULL);
    return NULL;
}

/* A host's capacity per core: the agent's probe of what the kernel
 * admits once it has one, else the cluster file's. */
double srv__totals_host_capacity(const struct totals *t, size_t h)
{
    const Placer__Host *b = t->cluster->hosts[h];
    if (t->agent[h].capacity > 0)
        return t->agent[h].capacity;
    return b->has_core_capacity ? b->core_capacity : 1.0;
}

static Placer__Time *time_of(Placer__Time *t, uint64_t ns, bool *oom)
{
    if (!t && !(t = malloc(sizeof *t))) {
        *oom = true;
        return NULL;
    }
    placer__time__init(t);
    t->has_ns = 1;
    t->ns = ns;
    return t;
}

/* The platform terms a plan uses for host h: the agent's measurement,
 * else the cluster file's block (or none: ideal).  `x` is the residual's
 * copy of the host. */
static bool set_platform(const struct totals *t, size_t h, Placer__Host *x)
{
    const struct host_agent *a = &t->agent[h];
    const Placer__Platform *b = t->cluster->hosts[h]->platform;
    if (!a->has_platform && !b) {
        if (x->platform)
            placer__platform__free_unpacked(x->platform, NULL);
        x->platform = NULL;
        return true;
    }
    bool oom = false;
    if (!x->platform) {
        if (!(x->platform = malloc(sizeof *x->platform)))
            return false;
        placer__platform__init(x->platform);
    }
    Placer__Platform *p = x->platform;
    p->overhead = time_of(p->overhead,
                          a->has_platform ? a->overhead_ns
                          : b->overhead   ? b->overhead->ns
                                          : 0,
                          &oom);
    p->granularity = time_of(p->granularity,
                             a->has_platform  ? a->granularity_ns
                             : b->granularity ? b->granularity->ns
                                              : 0,
                             &oom);
    p->wakeup_latency = time_of(p->wakeup_latency,
                                a->has_platform     ? a->wakeup_ns
                                : b->wakeup_latency ? b->wakeup_latency->ns
                                                    : 0,
                                &oom);
    /* an agent's figures are p99.9 of its calibration: two terms that a
     * job exceeds with 0.001 each */
    p->has_exceed_probability =
        a->has_platform || (b && b->has_exceed_probability);
    p->exceed_probability = a->has_platform ? a->exceed
                            : b             ? b->exceed_probability
                                            : 0;
    /* the agent's distributions (its figures are samples: beyond the
     * largest seen, one job in 1,000 for each term at the default 2,000
     * calibration jobs) */
    size_t nq = a->has_platform ? a->n_q : 0;
    if (nq && !p->n_overhead_quantiles) {
        p->overhead_quantiles = calloc(5, sizeof *p->overhead_quantiles);
        p->wakeup_quantiles = calloc(5, sizeof *p->wakeup_quantiles);
        if (!p->overhead_quantiles || !p->wakeup_quantiles)
            return false;
        p->n_overhead_quantiles = p->n_wakeup_quantiles = 5;
    }
    for (size_t i = 0; i < nq; i++) {
        p->overhead_quantiles[i] =
            time_of(p->overhead_quantiles[i], a->overhead_q[i], &oom);
        p->wakeup_quantiles[i] =
            time_of(p->wakeup_quantiles[i], a->wakeup_q[i], &oom);
    }

    p->has_hrtick = a->has_platform || (b && b->has_hrtick);
    p->hrtick = a->has_platform ? a->hrtick : b && b->hrtick;
    /* the steal envelope and the supply delay it implies at this host's
     * capacity (a cluster file's block passes through: the model derives
     * its delay); the copy is kept from plan to plan, remade only when the
     * number of points changes */
    size_t ns = a->has_platform ? a->n_steal : b ? b->n_steal : 0;
    if (p->n_steal != ns) {
        for (size_t i = 0; i < p->n_steal; i++)
            placer__steal_point__free_unpacked(p->steal[i], NULL);
        free(p->steal);
        p->n_steal = 0;
        if (!(p->steal = ns ? calloc(ns, sizeof *p->steal) : NULL) && ns)
            return false;
        for (; p->n_steal < ns; p->n_steal++) {
            Placer__StealPoint *q = malloc(sizeof *q);
            if (!q)
                return false;
            placer__steal_point__init(q);
            p->steal[p->n_steal] = q;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        Placer__StealPoint *q = p->steal[i];
        q->window = time_of(q->window,
                            a->has_platform ? a->steal_window_ns[i]
                                            : b->steal[i]->window->ns,
                            &oom);
        q->stolen = time_of(
            q->stolen,
            a->has_platform ? a->steal_ns[i] : b->steal[i]->stolen->ns, &oom);
    }
    double usable;
    bool delay = (a->has_platform && a->n_steal) ||
                 (!a->has_platform && b && b->supply_delay);
    if (delay)
        p->supply_delay =
            time_of(p->supply_delay,
                    a->has_platform ? srv__totals_supply_delay(t, h, &usable)
                                    : b->supply_delay->ns,
                    &oom);
    else if (p->supply_delay) {
        placer__time__free_unpacked(p->supply_delay, NULL);
        p->supply_delay = NULL;
    }
    return !oom;
}

bool srv__host_agent_set_steal(struct host_agent *a,
                               Placer__StealPoint *const *pt, size_t n)
{
    /* the usable points: windows ascending, stolen within its window */
    uint64_t win[16], st[16];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 16; i++)
        if (pt[i]->window && pt[i]->stolen && pt[i]->window->ns &&
            pt[i]->stolen->ns <= pt[i]->window->ns &&
            (!k || pt[i]->window->ns > win[k - 1])) {
            win[k] = pt[i]->window->ns;
            st[k++] = pt[i]->stolen->ns;
        }
    if (k == a->n_steal && !memcmp(win, a->steal_window_ns, k * sizeof *win) &&
        !memcmp(st, a->steal_ns, k * sizeof *st))
        return false;
    a->n_steal = k;
    memcpy(a->steal_window_ns, win, k * sizeof *win);
    memcpy(a->steal_ns, st, k * sizeof *st);
    a->supply_for = -1;
    return true;
}

uint64_t srv__totals_supply_delay(const struct totals *t, size_t h,
                                  double *usable)
{
    const struct host_agent *a = &t->agent[h];
    double cap = srv__totals_host_capacity(t, h);
    if (a->supply_for == cap) {
        *usable = a->supply_cap;
        return a->supply_delay_ns;
    }
    return sched_supply_delay(a->steal_window_ns, a->steal_ns, a->n_steal, cap,
                              usable);
}

void srv__totals_supply_cache(struct totals *t, size_t h)
{
    struct host_agent *a = &t->agent[h];
    a->supply_for = -1;
    a->supply_delay_ns = srv__totals_supply_delay(t, h, &a->supply_cap);
    a->supply_for = srv__totals_host_capacity(t, h);
}

/* Host h of the residual from the base cluster and the totals. */
static bool residual_host(struct totals *t, size_t h)
{
    const Placer__Host *b = t->cluster->hosts[h];
    Placer__Host *x = t->residual->hosts[h];
    /* a host whose agent is down takes nothing new: its cores full */
    bool down = t->agent[h].state == HOST_DOWN;
    double cap = srv__totals_host_capacity(t, h);
    x->has_core_capacity = 1;
    x->core_capacity = cap;
    if (!set_platform(t, h, x))
        return false;
    for (size_t k = 0; k < x->n_used; k++)
        x->used[k] = down ? cap
                          : (k < b->n_used ? b->used[k] : 0) +
                                ((int)k < t->max_cores
                                     ? t->core[h * (size_t)t->max_cores + k]
                                     : 0);
    x->memory_used->bytes =
        (b->memory_used && b->memory_used->has_bytes ? b->memory_used->bytes
                                                     : 0) +
        (uint64_t)llround(t->mem[h]);
    return true;
}

static void residual_link(struct totals *t, size_t l)
{
    const Placer__Link *b = t->cluster->links[l];
    t->residual->links[l]->used_rate->bps =
        (b->used_rate && b->used_rate->has_bps ? b->used_rate->bps : 0) +
        (uint64_t)llround(fmax(t->link[2 * l], t->link[2 * l + 1]));
}

const Placer__Cluster *srv__totals_residual(struct totals *t)
{
    if (!t->residual)
        return NULL;
    Placer__Cluster *c = t->residual;
    if (t->all_dirty) {
        for (size_t h = 0; h < c->n_hosts; h++)
            if (!residual_host(t, h))
                return NULL;
        for (size_t l = 0; l < c->n_links; l++)
            residual_link(t, l);
    } else {
        for (size_t i = 0; i < t->n_dirty_hosts; i++)
            if (!residual_host(t, t->dirty_hosts[i]))
                return NULL;
        for (size_t i = 0; i < t->n_dirty_links; i++)
            residual_link(t, t->dirty_links[i]);
    }
    /* the index's converted cluster likewise: the hosts whose load
     * changed, those whose agent changed, the links (sorted in place: a
     * load first, then the changed) */
    size_t n_load = 0;
    for (size_t i = 0; i < t->n_dirty_hosts; i++)
        if (!t->host_changed[t->dirty_hosts[i]]) {
            size_t h = t->dirty_hosts[n_load];
            t->dirty_hosts[n_load++] = t->dirty_hosts[i];
            t->dirty_hosts[i] = h;
        }
    if (model_index_refresh(t->index, c, t->dirty_hosts, n_load,
                            t->dirty_hosts + n_load, t->n_dirty_hosts - n_load,
                            t->dirty_links, t->n_dirty_links, t->all_dirty) < 0)
        plc_log(PLC_LOG_WARN, "out of memory keeping the converted cluster; "
                              "each plan converts its own");
    /* (on running out of memory above, everything stays marked) */
    for (size_t i = 0; i < t->n_dirty_hosts; i++)
        t->host_changed[t->dirty_hosts[i]] = false;
    for (size_t i = 0; i < t->n_dirty_hosts; i++)
        t->host_dirty[t->dirty_hosts[i]] = false;
    for (size_t i = 0; i < t->n_dirty_links; i++)
        t->link_dirty[t->dirty_links[i]] = false;
    t->n_dirty_hosts = t->n_dirty_links = 0;
    t->all_dirty = false;
    return c;
}

Placer__HostsReply *srv__totals_hosts_reply(const struct totals *t)
{
    Placer__HostsReply *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    placer__hosts_reply__init(r);
    r->has_schema = 1;
    r->schema = 1;
    size_t H = t->cluster ? t->cluster->n_hosts : 0;
    r->hosts = calloc(H + 1, sizeof *r->hosts);
    if (!r->hosts) {
        free(r);
        return NULL;
    }
    for (size_t h = 0; h < H; h++) {
        const Placer__Host *x = t->cluster->hosts[h];
        Placer__HostSummary *s = malloc(sizeof *s);
        int cores = x->has_cores ? x->cores : 1;
        double *res = s ? calloc((size_t)cores + 1, sizeof *res) : NULL;
        char *name = s ? strdup(x->name) : NULL;
        if (!s || !res || !name) {
            free(s);
            free(res);
            free(name);
            placer__hosts_reply__free_unpacked(r, NULL);
            return NULL;
        }
        placer__host_summary__init(s);
        s->name = name;
        /* up or down as its agent last told; unknown without one */
        const struct host_agent *ag = &t->agent[h];
        s->has_state = 1;
        s->state = ag->state == HOST_UP ? PLACER__HOST_STATE__HOST_STATE_UP
                   : ag->state == HOST_DOWN
                       ? PLACER__HOST_STATE__HOST_STATE_DOWN
                       : PLACER__HOST_STATE__HOST_STATE_UNKNOWN;
        if (ag->state != HOST_UNKNOWN && !(s->agent = strdup(ag->summary))) {
            free(res);
            free(name);
            free(s);
            placer__hosts_reply__free_unpacked(r, NULL);
            return NULL;
        }
        s->has_cores = 1;
        s->cores = cores;
        s->has_core_capacity = 1;
        s->core_capacity = srv__totals_host_capacity(t, h);
        /* the platform terms plans use for it, and where they came from */
        Placer__Host tmp = PLACER__HOST__INIT;
        if (!set_platform(t, h, &tmp) ||
            (ag->has_platform && ag->platform_note[0] &&
             !(s->platform_note = strdup(ag->platform_note)))) {
            if (tmp.platform)
                placer__platform__free_unpacked(tmp.platform, NULL);
            free(res);
            free(name);
            free(s->agent);
            free(s);
            placer__hosts_reply__free_unpacked(r, NULL);
            return NULL;
        }
        s->platform = tmp.platform;
        if (s->platform)
            s->platform_source = strdup(ag->has_platform ? "agent" : "cluster");
        for (int k = 0; k < cores; k++)
            res[k] = (k < t->max_cores
                          ? t->core[h * (size_t)t->max_cores + (size_t)k]
                          : 0);
        s->reserved = res;
        s->n_reserved = (size_t)cores;
        if (x->memory && x->memory->has_bytes) {
            s->has_memory_bytes = 1;
            s->memory_bytes = x->memory->bytes;
        }
        s->has_memory_reserved_bytes = 1;
        s->memory_reserved_bytes = (uint64_t)llround(t->mem[h]);
        r->hosts[r->n_hosts++] = s;
    }
    return r;
}
