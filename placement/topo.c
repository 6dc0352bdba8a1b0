/*
 * topo.c: the topology graph (adjacency arrays) and its distances, by
 * path.h's breadth-first search (hops) and Dijkstra (latency).
 */
#include "place/topo.h"
#include "path.h"
#include "place/plan.h"
#include "plc/error.h"

#include <stdlib.h>
#include <string.h>

struct arc {
    size_t to;
    uint64_t latency_ns;
    uint64_t rate_bps;
};

struct adj {
    struct arc *v;
    size_t n, cap;
};

struct place_topo {
    size_t n_nodes;
    size_t n_links;
    struct adj *adj;
    bool *forwarding;
};

struct place_topo *place_topo_new(size_t n_nodes)
{
    struct place_topo *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_nodes = n_nodes;
    t->adj = calloc(n_nodes ? n_nodes : 1, sizeof *t->adj);
    t->forwarding = malloc((n_nodes ? n_nodes : 1) * sizeof *t->forwarding);
    if (!t->adj || !t->forwarding) {
        place_topo_free(t);
        return NULL;
    }
    for (size_t i = 0; i < n_nodes; i++)
        t->forwarding[i] = true;
    return t;
}

void place_topo_free(struct place_topo *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->adj && i < t->n_nodes; i++)
        free(t->adj[i].v);
    free(t->adj);
    free(t->forwarding);
    free(t);
}

static int adj_push(struct adj *a, struct arc arc)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        struct arc *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return PLC_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = arc;
    return 0;
}

int place_topo_add_link(struct place_topo *t, size_t a, size_t b,
                        uint64_t latency_ns, uint64_t rate_bps)
{
    if (a >= t->n_nodes || b >= t->n_nodes || a == b)
        return PLC_EINVAL;
    if (adj_push(&t->adj[a], (struct arc){b, latency_ns, rate_bps}) < 0)
        return PLC_ENOMEM;
    if (adj_push(&t->adj[b], (struct arc){a, latency_ns, rate_bps}) < 0) {
        t->adj[a].n--;
        return PLC_ENOMEM;
    }
    t->n_links++;
    return 0;
}

void place_topo_set_forwarding(struct place_topo *t, size_t v, bool on)
{
    if (v < t->n_nodes)
        t->forwarding[v] = on;
}

size_t place_topo_nodes(const struct place_topo *t)
{
    return t->n_nodes;
}

size_t place_topo_links(const struct place_topo *t)
{
    return t->n_links;
}

/* The graph in compressed rows for path.h, and each arc's latency; arc
 * ids number each node's arcs in turn. */
struct rows {
    struct place__graph g;
    size_t *adj_start, *adj, *head;
    uint64_t *latency;
    /* scratch of the searches */
    struct place__paths paths;
    size_t *hops, *queue;
};

static void rows_release(struct rows *r)
{
    free(r->adj_start);
    free(r->adj);
    free(r->head);
    free(r->latency);
    place__paths_release(&r->paths);
    free(r->hops);
    free(r->queue);
}

static int rows_build(struct rows *r, const struct place_topo *t)
{
    memset(r, 0, sizeof *r);
    size_t n = t->n_nodes, arcs = 0;
    for (size_t v = 0; v < n; v++)
        arcs += t->adj[v].n;
    r->adj_start = malloc((n + 1) * sizeof *r->adj_start);
    r->adj = malloc((arcs + 1) * sizeof *r->adj);
    r->head = malloc((arcs + 1) * sizeof *r->head);
    r->latency = malloc((arcs + 1) * sizeof *r->latency);
    int pa = place__paths_alloc(&r->paths, n);
    r->hops = malloc((n + 1) * sizeof *r->hops);
    r->queue = malloc((n + 1) * sizeof *r->queue);
    if (!r->adj_start || !r->adj || !r->head || !r->latency || pa < 0 ||
        !r->hops || !r->queue) {
        rows_release(r);
        return PLC_ENOMEM;
    }
    size_t k = 0;
    for (size_t v = 0; v < n; v++) {
        r->adj_start[v] = k;
        for (size_t i = 0; i < t->adj[v].n; i++, k++) {
            r->adj[k] = k;
            r->head[k] = t->adj[v].v[i].to;
            r->latency[k] = t->adj[v].v[i].latency_ns;
        }
    }
    r->adj_start[n] = k;
    r->g =
        (struct place__graph){n, r->adj_start, r->adj, r->head, t->forwarding};
    return 0;
}

/* Distances from src into dist[], by hops or by latency. */
static void rows_distances(struct rows *r, size_t src, bool by_latency,
                           uint64_t *dist)
{
    size_t n = r->g.n_nodes;
    if (by_latency) {
        place__paths_from(&r->g, src, r->latency, NULL, &r->paths);
        for (size_t v = 0; v < n; v++)
            dist[v] = r->paths.cost[v] == PLACE_UNLIMITED ? PLACE_UNREACHABLE
                                                          : r->paths.cost[v];
    } else {
        place__hops_from(&r->g, src, r->hops, r->queue);
        for (size_t v = 0; v < n; v++)
            dist[v] = r->hops[v] == PLACE_NONE ? PLACE_UNREACHABLE : r->hops[v];
    }
}

int place_topo_distances(const struct place_topo *t, size_t src,
                         bool by_latency, uint64_t *dist)
{
    for (size_t i = 0; i < t->n_nodes; i++)
        dist[i] = PLACE_UNREACHABLE;
    if (src >= t->n_nodes)
        return PLC_EINVAL;
    struct rows r;
    if (rows_build(&r, t) < 0)
        return PLC_ENOMEM;
    rows_distances(&r, src, by_latency, dist);
    rows_release(&r);
    return 0;
}

int place_topo_diameter(const struct place_topo *t, const bool *is_terminal,
                        struct place_diameter *out)
{
    memset(out, 0, sizeof *out);
    uint64_t *hops = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof *hops);
    uint64_t *lat = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof *lat);
    struct rows r;
    int rc = (!hops || !lat) ? PLC_ENOMEM : rows_build(&r, t);
    if (rc < 0) {
        free(hops);
        free(lat);
        return rc;
    }
    for (size_t s = 0; s < t->n_nodes; s++) {
        if (!is_terminal[s])
            continue;
        rows_distances(&r, s, false, hops);
        rows_distances(&r, s, true, lat);
        for (size_t v = s + 1; v < t->n_nodes; v++) {
            if (!is_terminal[v])
                continue;
            if (hops[v] == PLACE_UNREACHABLE) {
                out->unreachable_pairs++;
                continue;
            }
            if (hops[v] > out->hops)
                out->hops = hops[v];
            if (lat[v] > out->latency_ns)
                out->latency_ns = lat[v];
        }
    }
    rows_release(&r);
    free(hops);
    free(lat);
    return 0;
}
