/* routes.c: host groups and fixed shortest routes (see routes.h). */
#include "routes.h"
#include "plc/error.h"

#include <stdlib.h>
#include <string.h>

size_t place__routes_arc_tail(const struct routes *r, size_t arc)
{
    const struct place_link *l = &r->c->links[arc / 2];
    return arc % 2 ? l->b : l->a;
}

size_t place__routes_arc_head(const struct routes *r, size_t arc)
{
    const struct place_link *l = &r->c->links[arc / 2];
    return arc % 2 ? l->a : l->b;
}

/* Delay an arc adds: propagation plus, on a port with a buffer, its
 * queueing bound delta = buffer / rate (MATH.md §3, lat_a + delta_a). */
static uint64_t arc_delay(const struct place_link *l)
{
    uint64_t d = l->latency_ns;
    if (l->buffer_bytes && l->rate_bps)
        d += (uint64_t)((double)l->buffer_bytes * 8e9 / (double)l->rate_bps +
                        0.5);
    return d;
}

/* Do hosts i and j hang off the same hub through identical links? */
static bool same_access(const struct place_cluster *c, size_t li, size_t lj,
                        size_t hub)
{
    const struct place_link *a = &c->links[li], *b = &c->links[lj];
    size_t ha = a->a == hub ? a->a : a->b, hb = b->a == hub ? b->a : b->b;
    return ha == hub && hb == hub && a->rate_bps == b->rate_bps &&
           a->latency_ns == b->latency_ns && a->jitter_ns == b->jitter_ns &&
           a->buffer_bytes == b->buffer_bytes && a->cost == b->cost;
}

static int make_groups(struct routes *r)
{
    const struct place_cluster *c = r->c;
    size_t *degree = calloc(c->n_nodes ? c->n_nodes : 1, sizeof *degree);
    r->group_of = malloc((c->n_hosts ? c->n_hosts : 1) * sizeof *r->group_of);
    r->hub = malloc((c->n_hosts ? c->n_hosts : 1) * sizeof *r->hub);
    r->proper = calloc(c->n_hosts ? c->n_hosts : 1, sizeof *r->proper);
    r->access_link =
        malloc((c->n_hosts ? c->n_hosts : 1) * sizeof *r->access_link);
    size_t *hub_group = malloc((c->n_nodes + 1) * sizeof *hub_group);
    size_t *first_member = malloc((c->n_hosts + 1) * sizeof *first_member);
    size_t *next_group = malloc((c->n_hosts + 1) * sizeof *next_group);
    if (!degree || !r->group_of || !r->hub || !r->proper || !r->access_link ||
        !hub_group || !first_member || !next_group) {
        free(degree);
        free(hub_group);
        free(first_member);
        free(next_group);
        return PLC_ENOMEM;
    }
    for (size_t n = 0; n < c->n_nodes; n++)
        hub_group[n] = PLACE_NONE;
    for (size_t h = 0; h < c->n_hosts; h++)
        r->access_link[h] = PLACE_NONE;
    for (size_t l = 0; l < c->n_links; l++) {
        degree[c->links[l].a]++;
        degree[c->links[l].b]++;
        if (c->links[l].a < c->n_hosts)
            r->access_link[c->links[l].a] = l;
        if (c->links[l].b < c->n_hosts)
            r->access_link[c->links[l].b] = l;
    }
    r->n_groups = 0;
    for (size_t h = 0; h < c->n_hosts; h++) {
        size_t l = r->access_link[h];
        size_t other = PLACE_NONE;
        if (degree[h] == 1)
            other = c->links[l].a == h ? c->links[l].b : c->links[l].a;
        /* a host with one link to a switch hangs off that switch; hosts
         * joined directly to hosts, and hosts with several links, are
         * places of their own */
        bool leaf = other != PLACE_NONE && other >= c->n_hosts;
        if (!leaf)
            r->access_link[h] = PLACE_NONE;
        size_t hub = leaf ? other : h;
        size_t g = PLACE_NONE;
        /* join an earlier proper group with the same hub and link (the
         * groups of one hub are chained from hub_group through next) */
        for (size_t k = leaf ? hub_group[hub] : PLACE_NONE;
             k != PLACE_NONE && g == PLACE_NONE; k = next_group[k])
            if (same_access(c, r->access_link[first_member[k]], l, hub))
                g = k;
        if (g == PLACE_NONE) {
            g = r->n_groups++;
            r->hub[g] = hub;
            r->proper[g] = leaf;
            first_member[g] = h;
            next_group[g] = PLACE_NONE;
            if (leaf) {
                next_group[g] = hub_group[hub];
                hub_group[hub] = g;
            }
        }
        r->group_of[h] = g;
    }
    free(degree);
    free(hub_group);
    free(first_member);
    free(next_group);
    return 0;
}

static uint64_t link_room(const struct place_link *l)
{
    return l->rate_bps > l->used_bps ? l->rate_bps - l->used_bps : 0;
}

/* The access arc of host h, towards its hub (up) or from it (down). */
static size_t access_arc(const struct routes *r, size_t h, bool up)
{
    size_t l = r->access_link[h];
    bool h_is_a = r->c->links[l].a == h;
    return 2 * l + (up == h_is_a ? 0 : 1);
}

/* Does node v hang off a switch (a host with one link, to it)?  Its
 * routes are its hub's and its access arc: it is off the trunk. */
static bool off_trunk(const struct routes *r, size_t v)
{
    return v < r->c->n_hosts && r->access_link[v] != PLACE_NONE;
}

/*
 * The route cache (plan.h).  What depends on the links' delays and the
 * forwarding hosts alone (groups, arcs, the graphs) is built once; it
 * and everything else are dropped when any of those changes.  Per source
 * node, the routes of set 0 as routes_from() found them: per node its
 * delay, jitter and arc in, and its label on the trunk (hops and room:
 * the delay is the cost).  The search's result is a function of the
 * labels (path.c's total order), so it stands while, for every arc whose
 * width changed, the label it now offers its head is that head's own
 * when the arc is on the routes, and after it when not: then every
 * label and every comparison the search made come out as before.
 */
struct route_block {
    bool valid;
    uint64_t *dist, *jit, *room;
    uint32_t *hops;
    size_t *pred;
};

/* The most the blocks of a cache take: a source's routes on a cluster of
 * n nodes take 36 n bytes, so on 1,024 hosts and 320 switches 346 of
 * them (a fat-tree's hubs and the hosts endpoints name). */
#define ROUTE_CACHE_BYTES ((size_t)16 << 20)

struct place_route_cache {
    bool ready;
    struct routes stat; /* its static part (build_static) */
    size_t n_nodes, n_links, n_hosts;
    struct place_link *links;   /* as stat was built (used_bps aside) */
    bool *forwarding;           /* per host */
    uint64_t *width;            /* per arc, as the blocks were found */
    struct route_block **block; /* per node as a source, or NULL */
    size_t *sources, n_sources; /* the nodes with a block */
    size_t asked, kept;         /* (place_route_cache_stats) */
};

static void free_static(struct routes *r);

struct place_route_cache *place_route_cache_new(void)
{
    return calloc(1, sizeof(struct place_route_cache));
}

void place_route_cache_stats(const struct place_route_cache *x, size_t *asked,
                             size_t *kept)
{
    *asked = x->asked;
    *kept = x->kept;
}

static void cache_clear(struct place_route_cache *x)
{
    size_t asked = x->asked, kept = x->kept;
    for (size_t i = 0; x->block && i < x->n_sources; i++)
        free(x->block[x->sources[i]]);
    free(x->block);
    free(x->sources);
    free(x->links);
    free(x->forwarding);
    free(x->width);
    free_static(&x->stat);
    memset(x, 0, sizeof *x);
    x->asked = asked;
    x->kept = kept;
}

void place_route_cache_free(struct place_route_cache *x)
{
    if (!x)
        return;
    cache_clear(x);
    free(x);
}

/* Was x built for c as it is now (its links' residual rates aside)? */
static bool cache_fits(const struct place_route_cache *x,
                       const struct place_cluster *c)
{
    if (!x->ready || x->n_nodes != c->n_nodes || x->n_links != c->n_links ||
        x->n_hosts != c->n_hosts)
        return false;
    for (size_t l = 0; l < c->n_links; l++) {
        const struct place_link *a = &x->links[l], *b = &c->links[l];
        if (a->a != b->a || a->b != b->b || a->rate_bps != b->rate_bps ||
            a->latency_ns != b->latency_ns || a->jitter_ns != b->jitter_ns ||
            a->buffer_bytes != b->buffer_bytes || a->cost != b->cost)
            return false;
    }
    for (size_t h = 0; h < c->n_hosts; h++)
        if (x->forwarding[h] != c->hosts[h].forwarding)
            return false;
    return true;
}

static int build_static(struct routes *r);

/* x made ready for c: 0, or PLC_ENOMEM (x then empty). */
static int cache_ready(struct place_route_cache *x,
                       const struct place_cluster *c)
{
    if (cache_fits(x, c))
        return 0;
    cache_clear(x);
    size_t n = c->n_nodes, L = c->n_links, A = 2 * L;
    x->stat.c = c;
    x->links = malloc((L + 1) * sizeof *x->links);
    x->forwarding = malloc((c->n_hosts + 1) * sizeof *x->forwarding);
    x->width = malloc((A + 1) * sizeof *x->width);
    x->block = calloc(n + 1, sizeof *x->block);
    x->sources = malloc((n + 1) * sizeof *x->sources);
    if (!x->links || !x->forwarding || !x->width || !x->block || !x->sources ||
        build_static(&x->stat) < 0) {
        cache_clear(x);
        return PLC_ENOMEM;
    }
    x->stat.c = NULL; /* (only building it read the cluster) */
    memcpy(x->links, c->links, L * sizeof *x->links);
    for (size_t h = 0; h < c->n_hosts; h++)
        x->forwarding[h] = c->hosts[h].forwarding;
    for (size_t a = 0; a < A; a++)
        x->width[a] = link_room(&c->links[a / 2]);
    x->n_nodes = n;
    x->n_links = L;
    x->n_hosts = c->n_hosts;
    x->ready = true;
    return 0;
}

/* Is (c1, h1, r1) before or equal to (c2, h2, r2) in path.c's order? */
static bool not_after(uint64_t c1, uint32_t h1, uint64_t r1, uint64_t c2,
                      uint32_t h2, uint64_t r2)
{
    if (c1 != c2)
        return c1 < c2;
    if (h1 != h2)
        return h1 < h2;
    return r1 >= r2;
}

/* Drop each block an arc's new width (r->width) could change. */
static void cache_sync(struct place_route_cache *x, const struct routes *r)
{
    const struct place_cluster *c = r->c;
    for (size_t a = 0; a < 2 * c->n_links; a++) {
        if (x->width[a] == r->width[a])
            continue;
        x->width[a] = r->width[a];
        size_t u = place__routes_arc_tail(r, a), w = r->arc_head[a];
        if (off_trunk(r, w))
            continue; /* into a host off the trunk: on no search */
        for (size_t i = 0; i < x->n_sources; i++) {
            size_t s = x->sources[i];
            struct route_block *b = x->block[s];
            if (!b->valid)
                continue;
            uint64_t room = b->room[u] < r->width[a] ? b->room[u] : r->width[a];
            if (b->pred[w] == a) {
                /* on the routes: they stand while it is not their
                 * narrowest arc, before or now (w's label the same) */
                if (room != b->room[w])
                    b->valid = false;
                continue;
            }
            if (b->hops[u] == UINT32_MAX || (u != s && !r->relay[u]))
                continue; /* not reached, or carries nothing on */
            if (b->dist[w] == PLACE_UNLIMITED ||
                not_after(b->dist[u] + r->arc_delay[a], b->hops[u] + 1, room,
                          b->dist[w], b->hops[w], b->room[w]))
                b->valid = false;
        }
    }
}

/* The routes of set k from source s: shortest by delay (plus, in set 1,
 * the penalties), then by hops, then the widest: among equal routes (the
 * many equal-cost paths of a fat-tree) the one whose busiest link has
 * the most residual rate.  Non-forwarding hosts end routes but do not
 * carry them.  The real delay and the jitter are summed along the routes
 * found, in the order their labels became final. */
static void routes_from(struct routes *r, int k, size_t s)
{
    const struct place_cluster *c = r->c;
    size_t n = c->n_nodes, src = r->src_node[s];
    uint64_t *dist = (k ? r->dist1 : r->dist) + s * n;
    uint64_t *jit = (k ? r->jit1 : r->jit) + s * n;
    size_t *pred = (k ? r->pred1 : r->pred) + s * n;
    struct place__paths out = {k ? r->cost : dist, r->hops, r->room, pred,
                               r->order,           0,       r->heap, r->slot};
    place__paths_from(&r->trunk, src, k ? r->step1 : r->arc_delay, r->width,
                      &out);
    if (k)
        for (size_t v = 0; v < n; v++)
            dist[v] = PLACE_UNLIMITED;
    for (size_t v = 0; v < n; v++)
        jit[v] = 0;
    dist[src] = 0;
    for (size_t i = 1; i < out.n_order; i++) {
        size_t v = out.order[i], arc = out.pred[v],
               t = place__routes_arc_tail(r, arc);
        dist[v] = dist[t] + r->arc_delay[arc];
        jit[v] = jit[t] + c->links[arc / 2].jitter_ns;
    }
    /* the hosts off the trunk: their hub's route and their access arc
     * (their only way in, so the route the whole graph would give) */
    for (size_t h = 0; h < c->n_hosts; h++) {
        if (!off_trunk(r, h) || h == src)
            continue;
        size_t hub = r->hub[r->group_of[h]], arc = access_arc(r, h, false);
        if (hub != src && pred[hub] == PLACE_NONE)
            continue;
        dist[h] = dist[hub] + r->arc_delay[arc];
        jit[h] = jit[hub] + c->links[arc / 2].jitter_ns;
        pred[h] = arc;
    }
}

/* The part of r that depends on r->c's links and forwarding hosts alone
 * (what a route cache keeps): groups, arcs, the graphs. */
static int build_static(struct routes *r)
{
    const struct place_cluster *c = r->c;
    int rc = make_groups(r);
    if (rc < 0) {
        free_static(r);
        return rc;
    }
    size_t n = c->n_nodes, arcs = 2 * c->n_links;
    r->arc_delay = malloc((arcs ? arcs : 1) * sizeof *r->arc_delay);
    size_t *adj_start = r->adj_start = calloc(n + 2, sizeof *adj_start);
    size_t *adj = r->adj = malloc((arcs ? arcs : 1) * sizeof *adj);
    r->arc_head = malloc((arcs ? arcs : 1) * sizeof *r->arc_head);
    r->relay = malloc((n ? n : 1) * sizeof *r->relay);
    r->trunk_start = calloc(n + 2, sizeof *r->trunk_start);
    r->trunk_adj = malloc((arcs ? arcs : 1) * sizeof *r->trunk_adj);
    if (!r->arc_delay || !adj_start || !adj || !r->arc_head || !r->relay ||
        !r->trunk_start || !r->trunk_adj) {
        free_static(r);
        return PLC_ENOMEM;
    }
    for (size_t a = 0; a < arcs; a++) {
        r->arc_delay[a] = arc_delay(&c->links[a / 2]);
        r->arc_head[a] = place__routes_arc_head(r, a);
        adj_start[place__routes_arc_tail(r, a) + 2]++;
    }
    for (size_t v = 0; v < n; v++)
        adj_start[v + 2] += adj_start[v + 1];
    for (size_t a = 0; a < arcs; a++)
        adj[adj_start[place__routes_arc_tail(r, a) + 1]++] = a;
    for (size_t v = 0; v < n; v++)
        r->relay[v] = v >= c->n_hosts || c->hosts[v].forwarding;
    r->graph = (struct place__graph){n, adj_start, adj, r->arc_head, r->relay};
    /* the hop counts of place__routes_hops_from() pass through any node */
    r->any_graph = r->graph;
    r->any_graph.relay = NULL;
    /* the trunk: the arcs into hosts off a switch left out */
    for (size_t v = 0; v < n; v++) {
        r->trunk_start[v + 1] = r->trunk_start[v];
        for (size_t k = adj_start[v]; k < adj_start[v + 1]; k++) {
            size_t to = r->arc_head[adj[k]];
            if (!off_trunk(r, to))
                r->trunk_adj[r->trunk_start[v + 1]++] = adj[k];
        }
    }
    r->trunk = (struct place__graph){n, r->trunk_start, r->trunk_adj,
                                     r->arc_head, r->relay};
    return 0;
}

static void free_static(struct routes *r)
{
    free(r->group_of);
    free(r->hub);
    free(r->proper);
    free(r->access_link);
    free(r->arc_delay);
    free(r->adj_start);
    free(r->adj);
    free(r->trunk_start);
    free(r->trunk_adj);
    free(r->arc_head);
    free(r->relay);
    r->group_of = r->hub = r->access_link = NULL;
    r->proper = r->relay = NULL;
    r->arc_delay = NULL;
    r->adj_start = r->adj = r->trunk_start = r->trunk_adj = NULL;
    r->arc_head = NULL;
}

int place__routes_build(struct routes *r, const struct place_cluster *c,
                        const size_t *extra_src, size_t n_extra,
                        double demand_bps)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    int rc = 0;
    struct place_route_cache *x = c->route_cache;
    if (x && cache_ready(x, c) == 0) {
        /* the static part lent by the cache (x->stat holds nothing
         * else) */
        *r = x->stat;
        r->c = c;
        r->borrowed = true;
    } else {
        x = NULL;
        rc = build_static(r);
        if (rc < 0) {
            memset(r, 0, sizeof *r);
            return rc;
        }
    }
    size_t n = c->n_nodes, arcs = 2 * c->n_links;
    r->src_of_node = malloc((n ? n : 1) * sizeof *r->src_of_node);
    r->src_node = malloc((r->n_groups + n_extra + 1) * sizeof *r->src_node);
    r->width = malloc((arcs ? arcs : 1) * sizeof *r->width);
    r->heap = malloc((n + 1) * sizeof *r->heap);
    r->slot = malloc((n + 1) * sizeof *r->slot);
    r->hops = malloc((n ? n : 1) * sizeof *r->hops);
    r->room = malloc((n ? n : 1) * sizeof *r->room);
    r->order = malloc((n ? n : 1) * sizeof *r->order);
    if (!r->src_of_node || !r->src_node || !r->width || !r->heap || !r->slot ||
        !r->hops || !r->room || !r->order) {
        rc = PLC_ENOMEM;
        goto out;
    }
    for (size_t a = 0; a < arcs; a++)
        r->width[a] = link_room(&c->links[a / 2]);
    if (x)
        cache_sync(x, r);
    for (size_t v = 0; v < n; v++)
        r->src_of_node[v] = PLACE_NONE;
    for (size_t g = 0; g < r->n_groups + n_extra; g++) {
        size_t node = g < r->n_groups ? r->hub[g] : extra_src[g - r->n_groups];
        if (r->src_of_node[node] != PLACE_NONE)
            continue;
        r->src_of_node[node] = r->n_src;
        r->src_node[r->n_src++] = node;
    }
    size_t cells = r->n_src * n + 1;
    r->dist = malloc(cells * sizeof *r->dist);
    r->jit = malloc(cells * sizeof *r->jit);
    r->pred = malloc(cells * sizeof *r->pred);
    r->done = calloc(2 * r->n_src + 1, sizeof *r->done);
    if (!r->dist || !r->jit || !r->pred || !r->done) {
        rc = PLC_ENOMEM;
        goto out;
    }
    /* the routes from a source are computed when first asked for
     * (ensure()): a workflow usually needs few of them */
    /* the detours: a congested link costs more than any route without
     * one (the sum of all arc delays, plus one) */
    r->n_sets = 1;
    uint64_t big = 1;
    bool congested = false;
    for (size_t a = 0; a < arcs; a++) {
        big += r->arc_delay[a];
        congested |= (double)c->links[a / 2].used_bps + demand_bps >
                     (double)c->links[a / 2].rate_bps;
    }
    if (congested) {
        r->step1 = malloc(arcs * sizeof *r->step1);
        r->cost = malloc((n ? n : 1) * sizeof *r->cost);
        r->dist1 = malloc(cells * sizeof *r->dist1);
        r->jit1 = malloc(cells * sizeof *r->jit1);
        r->pred1 = malloc(cells * sizeof *r->pred1);
        if (!r->step1 || !r->cost || !r->dist1 || !r->jit1 || !r->pred1) {
            rc = PLC_ENOMEM;
            goto out;
        }
        for (size_t a = 0; a < arcs; a++)
            r->step1[a] = r->arc_delay[a] +
                          ((double)c->links[a / 2].used_bps + demand_bps >
                                   (double)c->links[a / 2].rate_bps
                               ? big
                               : 0);
        r->n_sets = 2;
    }
out:
    if (rc < 0)
        place__routes_release(r);
    return rc;
}

void place__routes_release(struct routes *r)
{
    if (!r->borrowed)
        free_static(r);
    free(r->src_node);
    free(r->src_of_node);
    free(r->dist);
    free(r->jit);
    free(r->pred);
    free(r->dist1);
    free(r->jit1);
    free(r->pred1);
    free(r->width);
    free(r->heap);
    free(r->slot);
    free(r->hops);
    free(r->room);
    free(r->order);
    free(r->step1);
    free(r->cost);
    free(r->done);
    memset(r, 0, sizeof *r);
}

void place__routes_hops_from(const struct routes *r, size_t from, size_t *hops,
                             size_t *queue)
{
    place__hops_from(&r->any_graph, from, hops, queue);
}

/* The routes of set k from source s, computed on first use.  The routes
 * are a cache of the cluster's shortest paths: filling it does not change
 * what any accessor answers, hence the const parameter. */
static void ensure(const struct routes *cr, int k, size_t s)
{
    struct routes *r = (struct routes *)cr;
    bool *done = &r->done[(size_t)k * r->n_src + s];
    if (*done)
        return;
    *done = true;
    struct place_route_cache *x = r->c->route_cache;
    size_t n = r->c->n_nodes, src = r->src_node[s];
    if (k != 0 || !r->borrowed) {
        routes_from(r, k, s);
        return;
    }
    struct route_block *b = x->block[src];
    x->asked++;
    if (b && b->valid) {
        x->kept++;
        memcpy(r->dist + s * n, b->dist, n * sizeof *b->dist);
        memcpy(r->jit + s * n, b->jit, n * sizeof *b->jit);
        memcpy(r->pred + s * n, b->pred, n * sizeof *b->pred);
        return;
    }
    routes_from(r, 0, s);
    if (!b) {
        /* one allocation: the block, then its arrays; none past the
         * cache's bound (what is not kept is searched again) */
        size_t u64 = 3 * n * sizeof(uint64_t), sz = n * sizeof(size_t),
               u32 = n * sizeof(uint32_t);
        size_t size = sizeof *b + u64 + sz + u32 + 1;
        if ((x->n_sources + 1) * size > ROUTE_CACHE_BYTES)
            return;
        char *m = malloc(size);
        if (!m)
            return; /* (not kept) */
        b = (struct route_block *)(void *)m;
        b->dist = (uint64_t *)(void *)(m + sizeof *b);
        b->jit = b->dist + n;
        b->room = b->jit + n;
        b->pred = (size_t *)(void *)(b->room + n);
        b->hops = (uint32_t *)(void *)(b->pred + n);
        x->block[src] = b;
        x->sources[x->n_sources++] = src;
    }
    memcpy(b->dist, r->dist + s * n, n * sizeof *b->dist);
    memcpy(b->jit, r->jit + s * n, n * sizeof *b->jit);
    memcpy(b->pred, r->pred + s * n, n * sizeof *b->pred);
    memcpy(b->room, r->room, n * sizeof *b->room);
    memcpy(b->hops, r->hops, n * sizeof *b->hops);
    b->valid = true;
}

uint64_t place__routes_longest(const struct routes *r)
{
    uint64_t most = 0;
    size_t n = r->c->n_nodes;
    if (r->c->route_ecc) {
        /* (the same figures, found once for the cluster) */
        for (size_t s = 0; s < r->n_src; s++)
            if (r->c->route_ecc[r->src_node[s]] > most)
                most = r->c->route_ecc[r->src_node[s]];
        return most;
    }
    for (size_t s = 0; s < r->n_src; s++) {
        ensure(r, 0, s);
        for (size_t v = 0; v < n; v++)
            if (r->dist[s * n + v] != PLACE_UNLIMITED &&
                r->dist[s * n + v] > most)
                most = r->dist[s * n + v];
    }
    return most;
}

int place_route_ecc(const struct place_cluster *c0, uint64_t **out)
{
    struct place_cluster c = *c0;
    c.route_ecc = NULL;
    c.route_cache = NULL;
    size_t n = c.n_nodes;
    size_t *all = calloc(n + 1, sizeof *all);
    *out = calloc(n + 1, sizeof **out);
    if (!all || !*out) {
        free(all);
        free(*out);
        *out = NULL;
        return PLC_ENOMEM;
    }
    for (size_t v = 0; v < n; v++)
        all[v] = v;
    struct routes r;
    int rc = place__routes_build(&r, &c, all, n, 0);
    for (size_t v = 0; rc == 0 && v < n; v++) {
        size_t s = r.src_of_node[v];
        ensure(&r, 0, s);
        for (size_t u = 0; u < n; u++)
            if (r.dist[s * n + u] != PLACE_UNLIMITED &&
                r.dist[s * n + u] > (*out)[v])
                (*out)[v] = r.dist[s * n + u];
    }
    if (rc == 0)
        place__routes_release(&r);
    free(all);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

bool place__routes_between(const struct routes *r, int k, size_t from,
                           size_t to, uint64_t *delay, uint64_t *jitter)
{
    size_t s = r->src_of_node[from];
    if (s == PLACE_NONE)
        return false;
    ensure(r, k, s);
    size_t i = s * r->c->n_nodes + to;
    const uint64_t *dist = k ? r->dist1 : r->dist, *jit = k ? r->jit1 : r->jit;
    if (dist[i] == PLACE_UNLIMITED)
        return false;
    *delay = dist[i];
    *jitter = jit[i];
    return true;
}

size_t place__routes_arcs(const struct routes *r, int k, size_t from, size_t to,
                          size_t *arcs)
{
    size_t s = r->src_of_node[from];
    if (s == PLACE_NONE)
        return PLACE_NONE;
    ensure(r, k, s);
    const size_t *pred = (k ? r->pred1 : r->pred) + s * r->c->n_nodes;
    if (from != to && pred[to] == PLACE_NONE)
        return PLACE_NONE;
    size_t n = 0;
    for (size_t v = to; v != from; v = place__routes_arc_tail(r, pred[v]))
        arcs[n++] = pred[v];
    for (size_t i = 0; i < n / 2; i++) {
        size_t t = arcs[i];
        arcs[i] = arcs[n - 1 - i];
        arcs[n - 1 - i] = t;
    }
    return n;
}

bool place__routes_hosts(const struct routes *r, int k, size_t h1, size_t h2,
                         uint64_t *delay, uint64_t *jitter)
{
    size_t g1 = r->group_of[h1], g2 = r->group_of[h2];
    uint64_t d = 0, j = 0;
    if (!place__routes_between(r, k, r->hub[g1], r->hub[g2], &d, &j))
        return false;
    if (r->proper[g1]) {
        size_t a = access_arc(r, h1, true);
        d += r->arc_delay[a];
        j += r->c->links[a / 2].jitter_ns;
    }
    if (r->proper[g2]) {
        size_t a = access_arc(r, h2, false);
        d += r->arc_delay[a];
        j += r->c->links[a / 2].jitter_ns;
    }
    *delay = d;
    *jitter = j;
    return true;
}

size_t place__routes_host_arcs(const struct routes *r, int k, size_t h1,
                               size_t h2, size_t *arcs)
{
    size_t g1 = r->group_of[h1], g2 = r->group_of[h2], n = 0;
    if (r->proper[g1])
        arcs[n++] = access_arc(r, h1, true);
    size_t m = place__routes_arcs(r, k, r->hub[g1], r->hub[g2], arcs + n);
    if (m == PLACE_NONE)
        return PLACE_NONE;
    n += m;
    if (r->proper[g2])
        arcs[n++] = access_arc(r, h2, false);
    return n;
}
