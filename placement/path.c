/* path.c: Dijkstra and breadth-first search (see path.h). */
#include "path.h"
#include "place/plan.h"

/* The order of labels: cost, then hops, then the widest, then the node:
 * a total order, so that the nodes become final in an order that their
 * labels alone decide, and with them which of two equal routes is taken
 * (what lets routes.c keep a search's result while no label changes) */
static bool before(struct place__label a, struct place__label b)
{
    if (a.cost != b.cost)
        return a.cost < b.cost;
    if (a.hops != b.hops)
        return a.hops < b.hops;
    if (a.room != b.room)
        return a.room > b.room;
    return a.v < b.v;
}

static void push(struct place__label *h, size_t *n, struct place__label x)
{
    size_t i = (*n)++;
    while (i > 0 && before(x, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static struct place__label pop(struct place__label *h, size_t *n)
{
    struct place__label top = h[0], x = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= *n)
            break;
        if (k + 1 < *n && before(h[k + 1], h[k]))
            k++;
        if (!before(h[k], x))
            break;
        h[i] = h[k];
        i = k;
    }
    h[i] = x;
    return top;
}

void place__paths_from(const struct place__graph *g, size_t src,
                       const uint64_t *step, const uint64_t *width,
                       struct place__paths *out)
{
    for (size_t v = 0; v < g->n_nodes; v++) {
        out->cost[v] = PLACE_UNLIMITED;
        out->hops[v] = UINT32_MAX;
        out->room[v] = 0;
        out->pred[v] = PLACE_NONE;
    }
    out->n_order = 0;
    /* lazy deletion: a stale entry (its node since labelled better) is
     * skipped when popped; at most one push per arc */
    size_t hn = 0;
    out->cost[src] = 0;
    out->hops[src] = 0;
    out->room[src] = UINT64_MAX;
    push(out->heap, &hn, (struct place__label){0, 0, UINT64_MAX, src});
    while (hn) {
        struct place__label x = pop(out->heap, &hn);
        if (x.cost != out->cost[x.v] || x.hops != out->hops[x.v] ||
            x.room != out->room[x.v])
            continue;
        out->order[out->n_order++] = x.v;
        if (x.v != src && g->relay && !g->relay[x.v])
            continue;
        for (size_t k = g->adj_start[x.v]; k < g->adj_start[x.v + 1]; k++) {
            size_t arc = g->adj[k], to = g->head[arc];
            uint64_t w = width ? width[arc] : UINT64_MAX;
            struct place__label y = {x.cost + (step ? step[arc] : 0),
                                     x.hops + 1, x.room < w ? x.room : w, to};
            struct place__label now = {out->cost[to], out->hops[to],
                                       out->room[to], to};
            if (before(y, now)) {
                out->cost[to] = y.cost;
                out->hops[to] = y.hops;
                out->room[to] = y.room;
                out->pred[to] = arc;
                push(out->heap, &hn, y);
            }
        }
    }
}

void place__hops_from(const struct place__graph *g, size_t src, size_t *hops,
                      size_t *queue)
{
    for (size_t v = 0; v < g->n_nodes; v++)
        hops[v] = PLACE_NONE;
    size_t head = 0, tail = 0;
    hops[src] = 0;
    queue[tail++] = src;
    while (head < tail) {
        size_t v = queue[head++];
        if (v != src && g->relay && !g->relay[v])
            continue;
        for (size_t k = g->adj_start[v]; k < g->adj_start[v + 1]; k++) {
            size_t to = g->head[g->adj[k]];
            if (hops[to] == PLACE_NONE) {
                hops[to] = hops[v] + 1;
                queue[tail++] = to;
            }
        }
    }
}
