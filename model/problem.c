/* problem.c: a validated cluster and workflow into a place_problem, and a
 * place_plan back into the Plan document of FORMATS.md. */
#include "model/model.h"
#include "place/topo.h"
#include "plc/clock.h"
#include "plc/names.h"
#include "plc/quantity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t lookup(const struct plc_name_index *ix, const char *name)
{
    long k = plc_name_index_find(ix, name);
    return k < 0 ? PLACE_NONE : (size_t)k;
}

/* Index a cluster's node names: hosts 0..H-1, then switches. */
static bool index_nodes(struct plc_name_index *ix, const Placer__Cluster *c)
{
    size_t H = c->n_hosts, N = H + c->n_switches;
    const char **names = malloc((N + 1) * sizeof *names);
    if (!names)
        return false;
    for (size_t i = 0; i < N; i++)
        names[i] = i < H ? c->hosts[i]->name : c->switches[i - H]->name;
    bool ok = plc_name_index_build(ix, names, N);
    free(names);
    return ok;
}

struct model_index {
    size_t n_nodes, n_links;
    struct plc_name_index nodes;
    size_t *link_a, *link_b;
    size_t *merged; /* per link: its link in the model (parallels merged) */
    size_t n_merged;
    /* the cluster converted (model_index_refresh): its hosts, links, names
     * and host classes, lent to the problems built on it */
    bool cached;
    struct model_problem conv;
    uint64_t *route_ecc; /* the converted cluster's (place_route_ecc) */
    /* its routes between problems (place_route_cache_new) */
    struct place_route_cache *routes;
    /* menus already built for a service on a host class (menu_cache_*):
     * a pure function of the service's fields, the class and the stage's
     * context, so a copy serves every later problem with the same; written
     * by the problem being built (one at a time per index) */
    struct menu_entry *menus;
    size_t n_menus;
};

/* One cached menu: its key (the service packed, the class, the stage
 * context) and what build_menus makes of it. */
struct menu_entry {
    uint8_t *service;
    size_t service_len;
    double speed;
    struct sched_stage_ctx ctx;
    struct sched_menu menu;
    bool has_dist;
    struct sched_dist dist;
    char *reason;
};

#define MENU_CACHE_MAX 512

struct link_key {
    size_t lo, hi, l;
};

static int cmp_link_key(const void *a, const void *b)
{
    const struct link_key *x = a, *y = b;
    if (x->lo != y->lo)
        return (x->lo > y->lo) - (x->lo < y->lo);
    if (x->hi != y->hi)
        return (x->hi > y->hi) - (x->hi < y->hi);
    return (x->l > y->l) - (x->l < y->l);
}

/*
 * Parallel links (two links joining the same two nodes) are one link of
 * the model: placer reserves bandwidth per pair of nodes (routes are node
 * paths, and placerd records reservations by link direction between two
 * nodes), so the pair's rates, and what is used of them, add up.  merged[l]
 * is the model link of cluster link l, numbered in order of first
 * appearance; returns how many there are, or 0 when memory runs out.
 */
static size_t merge_parallel(const size_t *a, const size_t *b, size_t L,
                             size_t *merged)
{
    struct link_key *k = malloc((L + 1) * sizeof *k);
    if (!k)
        return 0;
    for (size_t l = 0; l < L; l++)
        k[l] = (struct link_key){a[l] < b[l] ? a[l] : b[l],
                                 a[l] < b[l] ? b[l] : a[l], l};
    qsort(k, L, sizeof *k, cmp_link_key);
    /* each link's first parallel (the lowest index of its pair) */
    for (size_t i = 0; i < L; i++)
        merged[k[i].l] =
            i > 0 && k[i].lo == k[i - 1].lo && k[i].hi == k[i - 1].hi
                ? merged[k[i - 1].l]
                : k[i].l;
    free(k);
    /* number the first parallels in link order */
    size_t n = 0;
    for (size_t l = 0; l < L; l++)
        merged[l] = merged[l] == l ? n++ : merged[merged[l]];
    return n;
}

static void conv_release(struct model_problem *mp);
static void menu_cache_clear(struct model_index *x);

void model_index_free(struct model_index *x)
{
    if (!x)
        return;
    conv_release(&x->conv);
    free(x->route_ecc);
    place_route_cache_free(x->routes);
    menu_cache_clear(x);
    plc_name_index_release(&x->nodes);
    free(x->link_a);
    free(x->link_b);
    free(x->merged);
    free(x);
}

struct model_index *model_index_build(const Placer__Cluster *c)
{
    size_t H = c->n_hosts, N = H + c->n_switches;
    struct model_index *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->n_nodes = N;
    x->n_links = c->n_links;
    x->link_a = malloc((c->n_links + 1) * sizeof *x->link_a);
    x->link_b = malloc((c->n_links + 1) * sizeof *x->link_b);
    x->merged = malloc((c->n_links + 1) * sizeof *x->merged);
    x->routes = place_route_cache_new();
    if (!x->link_a || !x->link_b || !x->merged || !x->routes ||
        !index_nodes(&x->nodes, c)) {
        model_index_free(x);
        return NULL;
    }
    for (size_t l = 0; l < c->n_links; l++) {
        x->link_a[l] = lookup(&x->nodes, c->links[l]->a);
        x->link_b[l] = lookup(&x->nodes, c->links[l]->b);
    }
    x->n_merged = merge_parallel(x->link_a, x->link_b, c->n_links, x->merged);
    if (c->n_links && !x->n_merged) {
        model_index_free(x);
        return NULL;
    }
    return x;
}

/* Whether two hosts have the same core capacity and steal terms (and so
 * the same supply delay and usable capacity). */
static bool same_supply(const Placer__Host *a, const Placer__Host *b)
{
    double ca = a->has_core_capacity ? a->core_capacity : 1.0,
           cb = b->has_core_capacity ? b->core_capacity : 1.0;
    const Placer__Platform *x = a->platform, *y = b->platform;
    if (ca != cb || !x != !y)
        return false;
    if (!x)
        return true;
    if (x->n_steal != y->n_steal || !x->supply_delay != !y->supply_delay ||
        (x->supply_delay && x->supply_delay->ns != y->supply_delay->ns))
        return false;
    for (size_t i = 0; i < x->n_steal; i++)
        if (x->steal[i]->window->ns != y->steal[i]->window->ns ||
            x->steal[i]->stolen->ns != y->steal[i]->stolen->ns)
            return false;
    return true;
}

/* Host x as the model has it; the supply delay (a few ms per envelope)
 * taken from `prev`, the host before it converted from px, when both have
 * the same supply terms (a cluster of identical machines). */
static void convert_host(struct place_host *out, const Placer__Host *x,
                         const Placer__Host *px, const struct place_host *prev)
{
    double cap;
    uint64_t sd;
    if (prev && same_supply(x, px)) {
        cap = prev->core_capacity;
        sd = prev->platform.supply_delay_ns;
    } else
        sd = model_supply_delay(x, &cap);
    *out = (struct place_host){x->name,
                               x->has_cores ? x->cores : 1,
                               cap,
                               x->n_used ? x->used : NULL,
                               x->memory ? x->memory->bytes : PLACE_UNLIMITED,
                               x->memory_used ? x->memory_used->bytes : 0,
                               x->has_speed ? x->speed : 1.0,
                               x->has_cost ? x->cost : 1.0,
                               x->zone,
                               x->has_forwarding ? x->forwarding : true,
                               model_platform(x)};
    out->platform.supply_delay_ns = sd;
}

/* The model's links from the cluster's: ends la/lb, parallels merged. */
static int build_links(struct place_link *links, const Placer__Cluster *c,
                       const size_t *la, const size_t *lb, const size_t *merged,
                       size_t n_merged)
{
    size_t L = c->n_links;
    bool *seen = calloc(n_merged + 1, sizeof *seen);
    if (!seen)
        return PLC_ENOMEM;
    for (size_t l = 0; l < L; l++) {
        const Placer__Link *x = c->links[l];
        struct place_link y = {la[l],
                               lb[l],
                               x->rate->bps,
                               x->latency ? x->latency->ns : 0,
                               x->jitter ? x->jitter->ns : 0,
                               x->buffer ? x->buffer->bytes : 0,
                               x->has_cost ? x->cost : 0,
                               x->used_rate ? x->used_rate->bps : 0};
        struct place_link *m = &links[merged[l]];
        if (!seen[merged[l]]) {
            *m = y;
            seen[merged[l]] = true;
            continue;
        }
        /* a parallel link: the pair carries both; the slower latency,
         * the smaller buffer hold for either */
        m->rate_bps += y.rate_bps;
        m->used_bps += y.used_bps;
        m->latency_ns =
            y.latency_ns > m->latency_ns ? y.latency_ns : m->latency_ns;
        m->jitter_ns = y.jitter_ns > m->jitter_ns ? y.jitter_ns : m->jitter_ns;
        if (y.buffer_bytes &&
            (!m->buffer_bytes || y.buffer_bytes < m->buffer_bytes))
            m->buffer_bytes = y.buffer_bytes;
    }
    free(seen);
    return 0;
}

static int build_cluster(struct model_problem *mp, const Placer__Cluster *c,
                         const struct model_index *idx)
{
    size_t H = c->n_hosts, N = c->n_hosts + c->n_switches;
    mp->hosts = calloc(H + 1, sizeof *mp->hosts);
    mp->links = calloc(c->n_links + 1, sizeof *mp->links);
    mp->node_names = calloc(N + 1, sizeof *mp->node_names);
    if (!mp->hosts || !mp->links || !mp->node_names)
        return PLC_ENOMEM;
    for (size_t h = 0; h < H; h++)
        convert_host(&mp->hosts[h], c->hosts[h], h ? c->hosts[h - 1] : NULL,
                     h ? &mp->hosts[h - 1] : NULL);
    for (size_t i = 0; i < N; i++)
        mp->node_names[i] =
            i < H ? c->hosts[i]->name : c->switches[i - H]->name;
    /* the sorted names and link ends of this cluster's shape, when given */
    if (idx)
        mp->node_index = &idx->nodes;
    else if (plc_name_index_build(&mp->nodes, mp->node_names, N))
        mp->node_index = &mp->nodes;
    else
        return PLC_ENOMEM;
    mp->n_nodes = N;
    /* the link ends, and which links are parallel */
    size_t L = c->n_links, n_merged = 0;
    size_t *ends = idx ? NULL : malloc((2 * L + 1) * sizeof *ends),
           *own = idx ? NULL : malloc((L + 1) * sizeof *own);
    const size_t *la = idx ? idx->link_a : ends,
                 *lb = idx ? idx->link_b : ends + L,
                 *merged = idx ? idx->merged : own;
    if (!idx) {
        if (!ends || !own) {
            free(ends);
            free(own);
            return PLC_ENOMEM;
        }
        for (size_t l = 0; l < L; l++) {
            ends[l] = lookup(mp->node_index, c->links[l]->a);
            ends[L + l] = lookup(mp->node_index, c->links[l]->b);
        }
        n_merged = L ? merge_parallel(ends, ends + L, L, own) : 0;
    } else {
        n_merged = idx->n_merged;
    }
    int rc = L && !n_merged
                 ? PLC_ENOMEM
                 : build_links(mp->links, c, la, lb, merged, n_merged);
    free(ends);
    free(own);
    if (rc < 0)
        return rc;
    mp->cluster = (struct place_cluster){
        H, N, mp->hosts, mp->node_names, n_merged, mp->links, NULL, NULL};
    return 0;
}

static bool same_platform(const struct sched_platform *a,
                          const struct sched_platform *b)
{
    return a->measured == b->measured && a->overhead_ns == b->overhead_ns &&
           a->granularity_ns == b->granularity_ns &&
           a->wakeup_ns == b->wakeup_ns &&
           a->supply_delay_ns == b->supply_delay_ns &&
           a->exceed_probability == b->exceed_probability &&
           a->has_q == b->has_q &&
           !memcmp(a->overhead_q, b->overhead_q, sizeof a->overhead_q) &&
           !memcmp(a->wakeup_q, b->wakeup_q, sizeof a->wakeup_q);
}

/* Each service's depth (services before it on its longest path) and
 * whether any service follows it: what the composition of sched/arrival.h
 * charges.  The workflow is acyclic (validated): one pass in topological
 * order (Kahn) settles the depths, O(V + L) with the names indexed. */
static int build_depths(struct model_problem *mp, const Placer__Workflow *w)
{
    size_t V = w->n_services, L = w->n_links;
    mp->depth = calloc(V + 1, sizeof *mp->depth);
    mp->last = malloc((V + 1) * sizeof *mp->last);
    size_t *from = malloc((L + 1) * sizeof *from),
           *to = malloc((L + 1) * sizeof *to);
    size_t *indeg = calloc(V + 1, sizeof *indeg),
           *first = calloc(V + 2, sizeof *first),
           *next = malloc((L + 1) * sizeof *next),
           *queue = malloc((V + 1) * sizeof *queue);
    const char **names = malloc((V + 1) * sizeof *names);
    struct plc_name_index ix = {0};
    int rc = 0;
    if (!mp->depth || !mp->last || !from || !to || !indeg || !first || !next ||
        !queue || !names) {
        rc = PLC_ENOMEM;
        goto out;
    }
    for (size_t v = 0; v < V; v++) {
        mp->last[v] = true;
        names[v] = w->services[v]->name;
    }
    if (!plc_name_index_build(&ix, names, V)) {
        rc = PLC_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < L; i++) {
        long a = plc_name_index_find(&ix, w->links[i]->from),
             b = plc_name_index_find(&ix, w->links[i]->to);
        from[i] = a < 0 ? PLACE_NONE : (size_t)a;
        to[i] = b < 0 ? PLACE_NONE : (size_t)b;
        if (from[i] != PLACE_NONE && to[i] != PLACE_NONE) {
            mp->last[from[i]] = false;
            indeg[to[i]]++;
        }
    }
    /* the links out of each service: a list through next[], by first[] */
    for (size_t v = 0; v <= V; v++)
        first[v] = PLACE_NONE;
    for (size_t i = L; i-- > 0;)
        if (from[i] != PLACE_NONE && to[i] != PLACE_NONE) {
            next[i] = first[from[i]];
            first[from[i]] = i;
        }
    size_t head = 0, tail = 0;
    for (size_t v = 0; v < V; v++)
        if (indeg[v] == 0)
            queue[tail++] = v;
    while (head < tail) {
        size_t u = queue[head++];
        for (size_t i = first[u]; i != PLACE_NONE; i = next[i]) {
            size_t t = to[i];
            if (mp->depth[t] < mp->depth[u] + 1)
                mp->depth[t] = mp->depth[u] + 1;
            if (--indeg[t] == 0)
                queue[tail++] = t;
        }
    }
out:
    plc_name_index_release(&ix);
    free(names);
    free(queue);
    free(next);
    free(first);
    free(indeg);
    free(from);
    free(to);
    return rc;
}

/* Whether the menu of s is empty under `ctx`. */
static bool menu_empty(const Placer__Service *s, double speed,
                       const struct sched_stage_ctx *ctx)
{
    struct sched_menu m = SCHED_MENU_INIT;
    bool empty =
        model_service_menu(s, speed, 0, false, ctx, &m, NULL) == 0 && m.n == 0;
    sched_menu_release(&m);
    return empty;
}

/*
 * Why service s has no reservation at all on a host class: arrivals that
 * outrun even a whole core, budgets that overrun by more than its periods
 * leave, or a per-job overhead and wake-up latency its restricted menu
 * has no room for.  Each cause is the one whose removal gives the menu
 * items back.  Returns a malloc'd message, or NULL when none explains it
 * (the menu is empty on an ideal host too).
 */
static char *empty_menu_reason(const Placer__Service *s, double speed,
                               const struct sched_dist *exec,
                               const struct sched_stage_ctx *ctx)
{
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ], c[PLC_QTY_BUFSZ];
    char msg[512];
    const struct sched_platform *pf = &ctx->platform;
    double mean = sched_dist_mean(exec) + (double)pf->overhead_ns;
    if (ctx->arrival.kind != SCHED_ARRIVAL_CLOSED) {
        uint64_t t = sched_stage_credit_ns(ctx);
        if (mean >= (double)t) {
            plc_qty_format(PLC_QTY_TIME, (uint64_t)ceil(mean), a, sizeof a);
            plc_qty_format(PLC_QTY_TIME, ctx->arrival.interarrival_ns, b,
                           sizeof b);
            plc_qty_format(PLC_QTY_TIME, t, c, sizeof c);
            snprintf(msg, sizeof msg,
                     "service '%s' cannot keep up with its arrivals: a job "
                     "every %s needs %s of CPU on average (with the per-job "
                     "overhead), %.4f of a core, but a stage at its depth "
                     "gets at most %s between two releases (mean demand "
                     "reaches the supply); release jobs less often or make "
                     "them shorter",
                     s->name, b, a, mean / (double)ctx->arrival.interarrival_ns,
                     c);
            return strdup(msg);
        }
        /* the work fits, but every reservation of its menu serves a job in
         * whole periods: the least mean service of the items a closed
         * source would get, against the interarrival */
        struct sched_stage_ctx closed = *ctx;
        closed.arrival = (struct sched_arrival){SCHED_ARRIVAL_CLOSED, 0};
        struct sched_menu m = SCHED_MENU_INIT;
        double least = INFINITY;
        if (model_service_menu(s, speed, 0, false, &closed, &m, NULL) == 0)
            for (size_t i = 0; i < m.n; i++) {
                double ms;
                sched_stage_stable(exec, m.v[i].budget_ns, m.v[i].period_ns,
                                   ctx, &ms);
                least = fmin(least, ms);
            }
        sched_menu_release(&m);
        if (least < INFINITY && least >= (double)t) {
            plc_qty_format(PLC_QTY_TIME, (uint64_t)ceil(least), a, sizeof a);
            plc_qty_format(PLC_QTY_TIME, ctx->arrival.interarrival_ns, b,
                           sizeof b);
            plc_qty_format(PLC_QTY_TIME, t, c, sizeof c);
            snprintf(msg, sizeof msg,
                     "service '%s' cannot keep up with its arrivals: a job "
                     "every %s, but its reservations serve a job in whole "
                     "periods and the fastest of its menu takes %s on "
                     "average (a stage at its depth gets %s between two "
                     "releases); allow shorter periods (reservation.periods) "
                     "or release jobs less often",
                     s->name, b, a, c);
            return strdup(msg);
        }
    }
    struct sched_stage_ctx x = *ctx;
    x.platform.granularity_ns = 0;
    if (pf->granularity_ns && !menu_empty(s, speed, &x)) {
        plc_qty_format(PLC_QTY_TIME, pf->granularity_ns, a, sizeof a);
        plc_qty_format(PLC_QTY_TIME, 10 * pf->granularity_ns, b, sizeof b);
        snprintf(msg, sizeof msg,
                 "service '%s' has no reservation its hosts can enforce: "
                 "their budgets overrun by up to %s (the enforcement "
                 "granularity), charged to every period, so no period of "
                 "its menu leaves a reservation within a core; allow "
                 "periods of %s or more (reservation.periods) or use hosts "
                 "with finer enforcement",
                 s->name, a, b);
        return strdup(msg);
    }
    x.platform = (struct sched_platform){0};
    if (pf->measured && !menu_empty(s, speed, &x)) {
        plc_qty_format(PLC_QTY_TIME, pf->overhead_ns, a, sizeof a);
        plc_qty_format(PLC_QTY_TIME, pf->wakeup_ns, b, sizeof b);
        snprintf(msg, sizeof msg,
                 "service '%s' has no reservation with room for what the "
                 "host adds to each job: %s of CPU beyond its work and %s "
                 "of wake-up latency (measured); its reservation menu "
                 "(budgets, deadlines) is exact for an ideal server, so "
                 "allow a larger budget or a longer local deadline",
                 s->name, a, b);
        return strdup(msg);
    }
    return NULL;
}

/* The host classes: distinct (speed, platform) pairs, each host's. */
static int host_classes(struct model_problem *mp)
{
    size_t H = mp->cluster.n_hosts;
    free(mp->speeds);
    free(mp->platforms);
    free(mp->speed_of);
    mp->n_speeds = 0;
    mp->speeds = malloc((H + 1) * sizeof *mp->speeds);
    mp->platforms = malloc((H + 1) * sizeof *mp->platforms);
    mp->speed_of = malloc((H + 1) * sizeof *mp->speed_of);
    if (!mp->speeds || !mp->platforms || !mp->speed_of)
        return PLC_ENOMEM;
    for (size_t h = 0; h < H; h++) {
        size_t k = 0;
        while (k < mp->n_speeds &&
               (mp->speeds[k] != mp->hosts[h].speed ||
                !same_platform(&mp->platforms[k], &mp->hosts[h].platform)))
            k++;
        if (k == mp->n_speeds) {
            mp->speeds[k] = mp->hosts[h].speed;
            mp->platforms[mp->n_speeds++] = mp->hosts[h].platform;
        }
        mp->speed_of[h] = k;
    }
    return 0;
}

/* Per service and host class (speed, platform): the menu and the
 * distribution. */
static bool same_ctx(const struct sched_stage_ctx *a,
                     const struct sched_stage_ctx *b)
{
    return a->arrival.kind == b->arrival.kind &&
           a->arrival.interarrival_ns == b->arrival.interarrival_ns &&
           same_platform(&a->platform, &b->platform) && a->depth == b->depth &&
           a->last == b->last && a->eps_ns == b->eps_ns;
}

static void menu_entry_release(struct menu_entry *e)
{
    free(e->service);
    free(e->menu.v);
    sched_dist_release(&e->dist);
    free(e->reason);
}

static void menu_cache_clear(struct model_index *x)
{
    for (size_t i = 0; i < x->n_menus; i++)
        menu_entry_release(&x->menus[i]);
    free(x->menus);
    x->menus = NULL;
    x->n_menus = 0;
}

/* The entry of (packed service, speed, ctx), or NULL. */
static const struct menu_entry *menu_cache_find(const struct model_index *x,
                                                const uint8_t *svc, size_t len,
                                                double speed,
                                                const struct sched_stage_ctx *c)
{
    for (size_t i = 0; x && i < x->n_menus; i++) {
        const struct menu_entry *e = &x->menus[i];
        if (e->service_len == len && e->speed == speed &&
            same_ctx(&e->ctx, c) && !memcmp(e->service, svc, len))
            return e;
    }
    return NULL;
}

/* Copy an entry into slot k of the problem's stores.  0 or PLC_ENOMEM. */
static int menu_from_cache(struct model_problem *mp, size_t k,
                           const struct menu_entry *e)
{
    struct sched_menu *m = &mp->menu_store[k];
    m->n = e->menu.n;
    m->v = malloc((m->n + 1) * sizeof *m->v);
    if (!m->v)
        return PLC_ENOMEM;
    memcpy(m->v, e->menu.v, m->n * sizeof *m->v);
    mp->dist_store[k] = (struct sched_dist)SCHED_DIST_INIT;
    if (e->has_dist && sched_dist_copy(&mp->dist_store[k], &e->dist) < 0)
        return PLC_ENOMEM;
    if (e->reason && !(mp->reason_store[k] = strdup(e->reason)))
        return PLC_ENOMEM;
    return 0;
}

/* Keep slot k of the problem's stores (its key taken); a full cache
 * starts again.  Running out of memory keeps nothing. */
static void menu_cache_put(struct model_index *x, uint8_t *svc, size_t len,
                           double speed, const struct sched_stage_ctx *c,
                           const struct model_problem *mp, size_t k,
                           bool has_dist)
{
    if (x->n_menus == MENU_CACHE_MAX)
        menu_cache_clear(x);
    struct menu_entry *v =
        realloc(x->menus, (x->n_menus + 1) * sizeof *x->menus);
    if (!v) {
        free(svc);
        return;
    }
    x->menus = v;
    struct menu_entry e = {svc,       len,      speed,           *c,
                           {NULL, 0}, has_dist, SCHED_DIST_INIT, NULL};
    const struct sched_menu *m = &mp->menu_store[k];
    e.menu.v = malloc((m->n + 1) * sizeof *m->v);
    e.menu.n = m->n;
    bool ok = e.menu.v != NULL;
    if (ok)
        memcpy(e.menu.v, m->v, m->n * sizeof *m->v);
    if (ok && has_dist)
        ok = sched_dist_copy(&e.dist, &mp->dist_store[k]) == 0;
    if (ok && mp->reason_store[k])
        ok = (e.reason = strdup(mp->reason_store[k])) != NULL;
    if (!ok) {
        menu_entry_release(&e);
        return;
    }
    x->menus[x->n_menus++] = e;
}

static int build_menus(struct model_problem *mp, const Placer__Workflow *w,
                       struct model_index *cache, double deadline_s,
                       struct plc_error *err)
{
    size_t V = w->n_services;
    if (!mp->borrowed && host_classes(mp) < 0)
        return PLC_ENOMEM;
    int drc = build_depths(mp, w);
    if (drc < 0)
        return drc;
    mp->arrival = model_arrival(w);
    unsigned max_depth = 0;
    for (size_t v = 0; v < V; v++)
        if (mp->depth[v] > max_depth)
            max_depth = mp->depth[v];
    mp->eps_ns = mp->arrival.kind == SCHED_ARRIVAL_CLOSED
                     ? 0
                     : sched_eps_ns(mp->arrival.interarrival_ns, max_depth);
    size_t S = mp->n_speeds;
    mp->menu_store = calloc(V * S + 1, sizeof *mp->menu_store);
    mp->dist_store = calloc(V * S + 1, sizeof *mp->dist_store);
    mp->reason_store = calloc(V * S + 1, sizeof *mp->reason_store);
    if (!mp->menu_store || !mp->dist_store || !mp->reason_store)
        return PLC_ENOMEM;
    /* menus are not cut by the deadline or the probability target: the
     * MILP prunes them itself, and an explanation needs the full menus to
     * relax those families */
    uint64_t dl = 0;
    bool certain = false;
    for (size_t v = 0; v < V; v++) {
        const Placer__Service *s = w->services[v];
        if (place_deadline_passed(deadline_s))
            return plc_error_set(
                err, PLC_ETIMEDOUT,
                "the time limit ran out while the reservation menus were "
                "analysed (%zu of %zu services); give a longer time limit",
                v, V);
        for (size_t k = 0; k < S; k++) {
            struct sched_menu *menu = &mp->menu_store[v * S + k];
            if (!s->exec_time) {
                /* nothing to reserve: one item of no cost and no delay */
                menu->v = malloc(sizeof *menu->v);
                if (!menu->v)
                    return PLC_ENOMEM;
                menu->v[0] = (struct sched_menu_item){0, 0, 0, 0, 1.0};
                menu->n = 1;
                continue;
            }
            struct sched_stage_ctx ctx = {mp->arrival, mp->platforms[k],
                                          mp->depth[v], mp->last[v],
                                          mp->eps_ns};
            /* the index's copy of the same menu, when it has one */
            size_t len =
                cache ? protobuf_c_message_get_packed_size(&s->base) : 0;
            uint8_t *key = cache ? malloc(len + 1) : NULL;
            if (key)
                protobuf_c_message_pack(&s->base, key);
            const struct menu_entry *hit =
                key ? menu_cache_find(cache, key, len, mp->speeds[k], &ctx)
                    : NULL;
            if (hit) {
                free(key);
                if (menu_from_cache(mp, v * S + k, hit) < 0)
                    return PLC_ENOMEM;
                continue;
            }
            int rc = model_service_menu(s, mp->speeds[k], dl, certain, &ctx,
                                        menu, err);
            if (rc < 0) {
                free(key);
                return rc;
            }
            if (rc < 0)
                return rc;
            mp->dist_store[v * S + k] = (struct sched_dist)SCHED_DIST_INIT;
            if (!s->exec_time->n_tasks) {
                rc = model_exec_dist(s->exec_time, mp->speeds[k],
                                     &mp->dist_store[v * S + k], err);
                if (rc < 0) {
                    free(key);
                    return rc;
                }
                if (menu->n == 0)
                    mp->reason_store[v * S + k] = empty_menu_reason(
                        s, mp->speeds[k], &mp->dist_store[v * S + k], &ctx);
            }
            if (key)
                menu_cache_put(cache, key, len, mp->speeds[k], &ctx, mp,
                               v * S + k, !s->exec_time->n_tasks);
        }
    }
    return 0;
}

static int build_services(struct model_problem *mp, const Placer__Workflow *w)
{
    size_t H = mp->cluster.n_hosts, V = w->n_services, S = mp->n_speeds;
    mp->services = calloc(V + 1, sizeof *mp->services);
    mp->menus = calloc(V * H + 1, sizeof *mp->menus);
    mp->execs = calloc(V * H + 1, sizeof *mp->execs);
    mp->reasons = calloc(V * H + 1, sizeof *mp->reasons);
    if (!mp->reasons)
        return PLC_ENOMEM;
    mp->allowed = calloc(V * H + 1, sizeof *mp->allowed);
    mp->prices = calloc(V * H + 1, sizeof *mp->prices);
    if (!mp->services || !mp->menus || !mp->execs || !mp->allowed ||
        !mp->prices)
        return PLC_ENOMEM;
    for (size_t v = 0; v < V; v++) {
        const Placer__Service *s = w->services[v];
        for (size_t h = 0; h < H; h++) {
            const struct place_host *ho = &mp->hosts[h];
            size_t k = mp->speed_of[h];
            mp->menus[v * H + h] = &mp->menu_store[v * S + k];
            mp->reasons[v * H + h] = mp->reason_store[v * S + k];
            bool has_dist = s->exec_time && !s->exec_time->n_tasks;
            mp->execs[v * H + h] = has_dist ? &mp->dist_store[v * S + k] : NULL;
            bool ok = !s->host || !strcmp(s->host, ho->name);
            if (ok && s->n_hosts) {
                ok = false;
                for (size_t j = 0; j < s->n_hosts && !ok; j++)
                    ok = !strcmp(s->hosts[j], ho->name);
            }
            if (ok && s->zone)
                ok = ho->zone && !strcmp(ho->zone, s->zone);
            mp->allowed[v * H + h] = ok;
            mp->prices[v * H + h] = ho->cost;
            for (size_t j = 0; j < s->n_prices; j++)
                if (!strcmp(s->prices[j]->key, ho->name))
                    mp->prices[v * H + h] = s->prices[j]->value;
        }
        mp->services[v] = (struct place_service){
            s->name,
            s->has_vcpus ? s->vcpus : 1,
            s->memory ? s->memory->bytes : 0,
            (const struct sched_menu *const *)&mp->menus[v * H],
            &mp->allowed[v * H],
            &mp->prices[v * H],
            (const struct sched_dist *const *)&mp->execs[v * H],
            mp->depth[v],
            mp->last[v],
            (const char *const *)&mp->reasons[v * H]};
    }
    return 0;
}

static size_t *group_of(const struct plc_name_index *ix, size_t offset,
                        const Placer__NameGroup *g)
{
    size_t *v = malloc((g->n_items + 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < g->n_items; i++)
        v[i] = lookup(ix, g->items[i]) - offset;
    v[g->n_items] = PLACE_NONE;
    return v;
}

static int build_graph(struct model_problem *mp, const Placer__Workflow *w)
{
    size_t E = w->n_endpoints, V = w->n_services, N = E + V;
    const char **names = malloc((N + 1) * sizeof *names);
    mp->endpoint_node = malloc((E + 1) * sizeof *mp->endpoint_node);
    mp->endpoint_names = malloc((E + 1) * sizeof *mp->endpoint_names);
    mp->vlinks = calloc(w->n_links + 1, sizeof *mp->vlinks);
    mp->aff = calloc(w->n_affinity + 1, sizeof *mp->aff);
    mp->anti = calloc(w->n_anti_affinity + 1, sizeof *mp->anti);
    if (!names || !mp->endpoint_node || !mp->endpoint_names || !mp->vlinks ||
        !mp->aff || !mp->anti) {
        free(names);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < N; i++)
        names[i] = i < E ? w->endpoints[i]->name : w->services[i - E]->name;
    bool indexed = plc_name_index_build(&mp->wf_nodes, names, N);
    free(names);
    if (!indexed)
        return PLC_ENOMEM;
    for (size_t i = 0; i < E; i++) {
        mp->endpoint_names[i] = w->endpoints[i]->name;
        mp->endpoint_node[i] = lookup(mp->node_index, w->endpoints[i]->node);
        if (mp->endpoint_node[i] == PLACE_NONE)
            return PLC_EDATA;
    }
    for (size_t i = 0; i < w->n_links; i++) {
        const Placer__VirtualLink *l = w->links[i];
        mp->vlinks[i] = (struct place_vlink){
            lookup(&mp->wf_nodes, l->from),
            lookup(&mp->wf_nodes, l->to),
            l->rate ? l->rate->bps : 0,
            l->burst ? l->burst->bytes : 1500,
            l->message ? l->message->bytes : 0,
            l->has_crossings ? l->crossings : 1,
            l->has_duplex && l->duplex,
            l->max_latency ? l->max_latency->ns : PLACE_UNLIMITED,
            l->max_jitter ? l->max_jitter->ns : PLACE_UNLIMITED};
    }
    for (size_t g = 0; g < w->n_affinity; g++)
        if (!(mp->aff[g] = group_of(&mp->wf_nodes, E, w->affinity[g])))
            return PLC_ENOMEM;
    for (size_t g = 0; g < w->n_anti_affinity; g++)
        if (!(mp->anti[g] = group_of(&mp->wf_nodes, E, w->anti_affinity[g])))
            return PLC_ENOMEM;
    return 0;
}

static enum place_objective objective_of(int o)
{
    switch (o) {
    case PLACER__OBJECTIVE__OBJECTIVE_COST:
        return PLACE_OBJ_COST;
    case PLACER__OBJECTIVE__OBJECTIVE_HOSTS:
        return PLACE_OBJ_HOSTS;
    case PLACER__OBJECTIVE__OBJECTIVE_BANDWIDTH:
        return PLACE_OBJ_BANDWIDTH;
    case PLACER__OBJECTIVE__OBJECTIVE_BALANCE:
        return PLACE_OBJ_BALANCE;
    default:
        return PLACE_OBJ_UTILIZATION;
    }
}

static void conv_release(struct model_problem *mp)
{
    free(mp->hosts);
    free(mp->links);
    free(mp->node_names);
    free(mp->speeds);
    free(mp->platforms);
    free(mp->speed_of);
    memset(mp, 0, sizeof *mp);
}

/* The converted cluster's longest routes, found once for every problem
 * built on the index. */
static int index_ecc(struct model_index *x)
{
    free(x->route_ecc);
    x->route_ecc = NULL;
    x->conv.cluster.route_ecc = NULL;
    int rc = place_route_ecc(&x->conv.cluster, &x->route_ecc);
    if (rc == 0)
        x->conv.cluster.route_ecc = x->route_ecc;
    /* (the cache checks the cluster itself: it follows any change) */
    x->conv.cluster.route_cache = x->routes;
    return rc;
}

int model_index_refresh(struct model_index *x, const Placer__Cluster *c,
                        const size_t *load, size_t n_load,
                        const size_t *changed, size_t n_changed,
                        const size_t *links, size_t n_links, bool all)
{
    if (x->n_nodes != c->n_hosts + c->n_switches || x->n_links != c->n_links) {
        x->cached = false; /* not this cluster's shape */
        conv_release(&x->conv);
        return PLC_EINVAL;
    }
    struct model_problem *m = &x->conv;
    if (all || !x->cached) {
        x->cached = false;
        conv_release(m);
        int rc = build_cluster(m, c, x);
        if (rc == 0)
            rc = host_classes(m);
        if (rc == 0)
            rc = index_ecc(x);
        if (rc < 0) {
            conv_release(m);
            return rc;
        }
        x->cached = true;
        return 0;
    }
    /* the load of a host: its cores are read through the cluster's own
     * array (x->used), its memory is copied */
    for (size_t i = 0; i < n_load; i++) {
        const Placer__Host *h = c->hosts[load[i]];
        m->hosts[load[i]].used = h->n_used ? h->used : NULL;
        m->hosts[load[i]].mem_used_bytes =
            h->memory_used ? h->memory_used->bytes : 0;
    }
    /* a host whose capacity or platform changed: converted again, and the
     * classes made again when it left its own */
    bool classes = false;
    for (size_t i = 0; i < n_changed; i++) {
        size_t h = changed[i];
        convert_host(&m->hosts[h], c->hosts[h], NULL, NULL);
        size_t k = m->speed_of[h];
        classes |= m->speeds[k] != m->hosts[h].speed ||
                   !same_platform(&m->platforms[k], &m->hosts[h].platform);
    }
    /* (a host that no longer forwards changes the routes) */
    if (n_changed && index_ecc(x) < 0) {
        x->cached = false;
        conv_release(m);
        return PLC_ENOMEM;
    }
    if (classes && host_classes(m) < 0) {
        x->cached = false;
        conv_release(m);
        return PLC_ENOMEM;
    }
    if (x->n_merged == c->n_links) {
        for (size_t i = 0; i < n_links; i++) {
            const Placer__Link *l = c->links[links[i]];
            m->links[x->merged[links[i]]].used_bps =
                l->used_rate ? l->used_rate->bps : 0;
        }
    } else if (n_links && build_links(m->links, c, x->link_a, x->link_b,
                                      x->merged, x->n_merged) < 0) {
        x->cached = false;
        conv_release(m);
        return PLC_ENOMEM;
    }
    return 0;
}

int model_problem_build(struct model_problem *mp, const Placer__Cluster *c,
                        const Placer__Workflow *w, int objective,
                        double time_limit_s, struct plc_error *err)
{
    return model_problem_build_indexed(mp, c, NULL, w, objective, time_limit_s,
                                       err);
}

int model_problem_build_indexed(struct model_problem *mp,
                                const Placer__Cluster *c,
                                const struct model_index *idx,
                                const Placer__Workflow *w, int objective,
                                double time_limit_s, struct plc_error *err)
{
    memset(mp, 0, sizeof *mp);
    mp->n_services = w->n_services;
    mp->n_affinity = w->n_affinity;
    mp->n_anti = w->n_anti_affinity;
    if (idx && (idx->n_nodes != c->n_hosts + c->n_switches ||
                idx->n_links != c->n_links))
        idx = NULL; /* not this cluster's shape */
    double deadline = time_limit_s > 0 ? plc_now_s() + time_limit_s : 0;
    int rc = 0;
    if (idx && idx->cached) {
        /* the index's converted cluster, lent (model_index_refresh) */
        const struct model_problem *x = &idx->conv;
        mp->borrowed = true;
        mp->hosts = x->hosts;
        mp->links = x->links;
        mp->node_names = x->node_names;
        mp->node_index = &idx->nodes;
        mp->n_nodes = x->n_nodes;
        mp->cluster = x->cluster;
        mp->speeds = x->speeds;
        mp->platforms = x->platforms;
        mp->speed_of = x->speed_of;
        mp->n_speeds = x->n_speeds;
    } else {
        rc = build_cluster(mp, c, idx);
    }
    if (rc == 0)
        rc = build_menus(mp, w,
                         idx && idx->cached ? (struct model_index *)idx : NULL,
                         deadline, err);
    if (rc == PLC_ETIMEDOUT)
        return rc; /* err says where */
    if (rc == 0)
        rc = build_services(mp, w);
    if (rc == 0)
        rc = build_graph(mp, w);
    if (rc == PLC_EDATA)
        return plc_error_set(err, PLC_EDATA,
                             "the workflow names a node the cluster does "
                             "not have (run 'placer validate' on both)");
    if (rc < 0)
        return plc_error_set(err, rc, "cannot build the problem (%s)",
                             plc_strerror(rc));
    int obj =
        objective ? objective : (w->has_objective ? (int)w->objective : 0);
    mp->problem = (struct place_problem){
        &mp->cluster,
        w->n_endpoints,
        mp->endpoint_names,
        mp->endpoint_node,
        w->n_services,
        mp->services,
        w->n_links,
        mp->vlinks,
        w->n_affinity,
        (const size_t *const *)mp->aff,
        w->n_anti_affinity,
        (const size_t *const *)mp->anti,
        w->deadline ? w->deadline->ns : PLACE_UNLIMITED,
        w->has_probability ? w->probability : 1.0,
        w->has_probability_model &&
                w->probability_model ==
                    PLACER__PROBABILITY_MODEL__PROBABILITY_MODEL_INDEPENDENT
            ? PLACE_PROB_INDEPENDENT
            : PLACE_PROB_UNION,
        objective_of(obj),
        time_limit_s,
        mp->arrival,
        mp->eps_ns,
        deadline,
        false,
        -1,
        false};
    return 0;
}

void model_problem_release(struct model_problem *mp)
{
    size_t S = mp->n_speeds;
    for (size_t i = 0; mp->menu_store && i < mp->n_services * S; i++)
        sched_menu_release(&mp->menu_store[i]);
    for (size_t i = 0; mp->dist_store && i < mp->n_services * S; i++)
        sched_dist_release(&mp->dist_store[i]);
    for (size_t g = 0; mp->aff && g < mp->n_affinity; g++)
        free(mp->aff[g]);
    for (size_t g = 0; mp->anti && g < mp->n_anti; g++)
        free(mp->anti[g]);
    free(mp->aff);
    free(mp->anti);
    free(mp->menu_store);
    free(mp->dist_store);
    if (mp->borrowed) {
        /* the index's: not ours to free */
        mp->speeds = NULL;
        mp->platforms = NULL;
        mp->speed_of = NULL;
        mp->hosts = NULL;
        mp->links = NULL;
        mp->node_names = NULL;
    }
    free(mp->speeds);
    free(mp->platforms);
    for (size_t i = 0; mp->reason_store && i < mp->n_services * S; i++)
        free(mp->reason_store[i]);
    free(mp->reason_store);
    free(mp->reasons);
    free(mp->depth);
    free(mp->last);
    free(mp->speed_of);
    free(mp->hosts);
    free(mp->links);
    free(mp->node_names);
    plc_name_index_release(&mp->nodes);
    free(mp->services);
    free(mp->menus);
    free(mp->execs);
    free(mp->allowed);
    free(mp->prices);
    plc_name_index_release(&mp->wf_nodes);
    free(mp->endpoint_node);
    free(mp->endpoint_names);
    free(mp->vlinks);
    memset(mp, 0, sizeof *mp);
}

/* Build the topology graph of a cluster: hosts 0..nh-1, then switches. */
struct place_topo *model_cluster_topo(const Placer__Cluster *c, bool **is_host)
{
    size_t n = c->n_hosts + c->n_switches;
    struct plc_name_index ix = {0};
    struct place_topo *t = place_topo_new(n);
    *is_host = calloc(n ? n : 1, sizeof **is_host);
    if (!t || !*is_host || !index_nodes(&ix, c))
        goto fail;
    for (size_t i = 0; i < c->n_hosts; i++) {
        (*is_host)[i] = true;
        if (c->hosts[i]->has_forwarding && !c->hosts[i]->forwarding)
            place_topo_set_forwarding(t, i, false);
    }
    for (size_t i = 0; i < c->n_links; i++) {
        const Placer__Link *l = c->links[i];
        size_t a = lookup(&ix, l->a), b = lookup(&ix, l->b);
        if (a == PLACE_NONE || b == PLACE_NONE ||
            place_topo_add_link(t, a, b, l->latency ? l->latency->ns : 0,
                                l->rate ? l->rate->bps : 0) < 0)
            goto fail;
    }
    plc_name_index_release(&ix);
    return t;
fail:
    plc_name_index_release(&ix);
    free(*is_host);
    *is_host = NULL;
    place_topo_free(t);
    return NULL;
}
