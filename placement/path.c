/* path.c: Dijkstra and breadth-first search (see path.h). */
#include "path.h"
#include "place/plan.h"
#include "plc/error.h"

#include <stdlib.h>

/* The order of the labels of nodes a and b: cost, then hops, then the
 * widest, then the node: a total order, so that the nodes become final in
 * an order that their labels alone decide, and with them which of two
 * equal routes is taken (what lets routes.c keep a search's result while
 * no label changes). */
static bool before(const struct place__paths *o, size_t a, size_t b)
{
    if (o->cost[a] != o->cost[b])
        return o->cost[a] < o->cost[b];
    if (o->hops[a] != o->hops[b])
        return o->hops[a] < o->hops[b];
    if (o->room[a] != o->room[b])
        return o->room[a] > o->room[b];
    return a < b;
}

/* The heap of nodes whose labels are not final, by label, each node once
 * (its place in slot[]): a label that improves moves its node up. */
static void up(struct place__paths *o, size_t i)
{
    size_t v = o->heap[i];
    while (i > 0 && before(o, v, o->heap[(i - 1) / 2])) {
        o->heap[i] = o->heap[(i - 1) / 2];
        o->slot[o->heap[i]] = i;
        i = (i - 1) / 2;
    }
    o->heap[i] = v;
    o->slot[v] = i;
}

static size_t pop(struct place__paths *o, size_t *n)
{
    size_t top = o->heap[0], v = o->heap[--(*n)], i = 0;
    o->slot[top] = PLACE_NONE;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= *n)
            break;
        if (k + 1 < *n && before(o, o->heap[k + 1], o->heap[k]))
            k++;
        if (!before(o, o->heap[k], v))
            break;
        o->heap[i] = o->heap[k];
        o->slot[o->heap[i]] = i;
        i = k;
    }
    if (*n > 0) {
        o->heap[i] = v;
        o->slot[v] = i;
    }
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
        out->slot[v] = PLACE_NONE;
    }
    out->n_order = 0;
    size_t hn = 0;
    out->cost[src] = 0;
    out->hops[src] = 0;
    out->room[src] = UINT64_MAX;
    out->heap[hn++] = src;
    out->slot[src] = 0;
    while (hn) {
        size_t x = pop(out, &hn);
        out->order[out->n_order++] = x;
        if (x != src && g->relay && !g->relay[x])
            continue;
        uint64_t cx = out->cost[x], rx = out->room[x];
        uint32_t hx = out->hops[x];
        for (size_t k = g->adj_start[x]; k < g->adj_start[x + 1]; k++) {
            size_t arc = g->adj[k], to = g->head[arc];
            uint64_t w = width ? width[arc] : UINT64_MAX;
            uint64_t c = cx + (step ? step[arc] : 0), r = rx < w ? rx : w;
            uint32_t h = hx + 1;
            /* (before, for a label not yet stored: to's own node breaks
             * no tie with itself) */
            bool better = c != out->cost[to]   ? c < out->cost[to]
                          : h != out->hops[to] ? h < out->hops[to]
                                               : r > out->room[to];
            if (!better)
                continue;
            out->cost[to] = c;
            out->hops[to] = h;
            out->room[to] = r;
            out->pred[to] = arc;
            if (out->slot[to] == PLACE_NONE) {
                out->heap[hn] = to;
                out->slot[to] = hn++;
            }
            up(out, out->slot[to]);
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

int place__paths_alloc(struct place__paths *o, size_t n)
{
    *o = (struct place__paths){
        .cost = malloc((n + 1) * sizeof *o->cost),
        .hops = malloc((n + 1) * sizeof *o->hops),
        .room = malloc((n + 1) * sizeof *o->room),
        .pred = malloc((n + 1) * sizeof *o->pred),
        .order = malloc((n + 1) * sizeof *o->order),
        .heap = malloc((n + 1) * sizeof *o->heap),
        .slot = malloc((n + 1) * sizeof *o->slot),
    };
    if (o->cost && o->hops && o->room && o->pred && o->order && o->heap &&
        o->slot)
        return 0;
    place__paths_release(o);
    return PLC_ENOMEM;
}

void place__paths_release(struct place__paths *o)
{
    free(o->cost);
    free(o->hops);
    free(o->room);
    free(o->pred);
    free(o->order);
    free(o->heap);
    free(o->slot);
    *o = (struct place__paths){0};
}
