/*
 * topo.c: the topology graph (adjacency arrays) and shortest paths.
 * Hop distances by breadth-first search; latency distances by Dijkstra's
 * algorithm with a binary heap, O((V + E) log V) per source.
 */
#include "place/topo.h"
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

/* May a path leave node v?  The source always may; others only when they
 * forward. */
static bool may_expand(const struct place_topo *t, size_t v, size_t src)
{
    return v == src || t->forwarding[v];
}

static int bfs(const struct place_topo *t, size_t src, uint64_t *dist)
{
    size_t *queue = malloc(t->n_nodes * sizeof *queue);
    if (!queue)
        return PLC_ENOMEM;
    size_t head = 0, tail = 0;
    dist[src] = 0;
    queue[tail++] = src;
    while (head < tail) {
        size_t v = queue[head++];
        if (!may_expand(t, v, src))
            continue;
        for (size_t i = 0; i < t->adj[v].n; i++) {
            size_t u = t->adj[v].v[i].to;
            if (dist[u] == PLACE_UNREACHABLE) {
                dist[u] = dist[v] + 1;
                queue[tail++] = u;
            }
        }
    }
    free(queue);
    return 0;
}

struct heap_item {
    uint64_t d;
    size_t v;
};

static void heap_push(struct heap_item *h, size_t *n, struct heap_item x)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2].d > x.d) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static struct heap_item heap_pop(struct heap_item *h, size_t *n)
{
    struct heap_item top = h[0], x = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].d < h[c].d)
            c++;
        if (h[c].d >= x.d)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
    return top;
}

static int dijkstra(const struct place_topo *t, size_t src, uint64_t *dist)
{
    /* lazy deletion: at most one heap entry per arc relaxation */
    size_t cap = 1;
    for (size_t v = 0; v < t->n_nodes; v++)
        cap += t->adj[v].n;
    struct heap_item *h = malloc(cap * sizeof *h);
    if (!h)
        return PLC_ENOMEM;
    size_t n = 0;
    dist[src] = 0;
    heap_push(h, &n, (struct heap_item){0, src});
    while (n > 0) {
        struct heap_item x = heap_pop(h, &n);
        if (x.d != dist[x.v] || !may_expand(t, x.v, src))
            continue;
        for (size_t i = 0; i < t->adj[x.v].n; i++) {
            const struct arc *a = &t->adj[x.v].v[i];
            uint64_t nd = x.d + a->latency_ns;
            if (nd < dist[a->to]) {
                dist[a->to] = nd;
                heap_push(h, &n, (struct heap_item){nd, a->to});
            }
        }
    }
    free(h);
    return 0;
}

int place_topo_distances(const struct place_topo *t, size_t src,
                         bool by_latency, uint64_t *dist)
{
    for (size_t i = 0; i < t->n_nodes; i++)
        dist[i] = PLACE_UNREACHABLE;
    if (src >= t->n_nodes)
        return PLC_EINVAL;
    return by_latency ? dijkstra(t, src, dist) : bfs(t, src, dist);
}

int place_topo_diameter(const struct place_topo *t, const bool *is_terminal,
                        struct place_diameter *out)
{
    memset(out, 0, sizeof *out);
    uint64_t *hops = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof *hops);
    uint64_t *lat = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof *lat);
    int rc = (!hops || !lat) ? PLC_ENOMEM : 0;
    for (size_t s = 0; rc == 0 && s < t->n_nodes; s++) {
        if (!is_terminal[s])
            continue;
        rc = place_topo_distances(t, s, false, hops);
        if (rc == 0)
            rc = place_topo_distances(t, s, true, lat);
        for (size_t v = s + 1; rc == 0 && v < t->n_nodes; v++) {
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
    free(hops);
    free(lat);
    return rc;
}
