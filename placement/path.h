/*
 * path.h: the shortest-path routines of placement/ (private): one
 * Dijkstra and one breadth-first search over a graph in compressed rows.
 * routes.c (the routes a plan uses) and topo.c (the cluster's diameter)
 * both call them.
 */
#ifndef PLACE_PATH_H
#define PLACE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A directed graph: the arcs leaving node v are adj[adj_start[v]] ..
 * adj[adj_start[v + 1] - 1], each an arc id; head[arc] is the node it
 * enters.  relay[v] says whether a path may pass through v (it may
 * always start or end there); NULL: every node relays. */
struct place__graph {
    size_t n_nodes;
    const size_t *adj_start; /* n_nodes + 1 */
    const size_t *adj;
    const size_t *head;
    const bool *relay;
};

/* What place__paths_from() fills, arrays the caller owns: per node its
 * label (cost PLACE_UNLIMITED when unreachable) and the arc into it on
 * its path (PLACE_NONE at the source and where unreachable); order[]
 * the nodes reached, in the order their labels became final (each
 * node's predecessor before it: sums along the paths can be taken in
 * one pass); heap and slot, room for one entry per node (scratch: the
 * nodes whose labels are not final, and each one's place there). */
struct place__paths {
    uint64_t *cost;
    uint32_t *hops;
    uint64_t *room;
    size_t *pred;
    size_t *order;
    size_t n_order;
    size_t *heap, *slot;
};

/* Room in o for searches over n nodes: 0, or PLC_ENOMEM (o released). */
int place__paths_alloc(struct place__paths *o, size_t n);
void place__paths_release(struct place__paths *o);
/*
 * Shortest paths from `src`: least cost (the sum of step[arc]; NULL: 0
 * per arc), then fewest arcs, then the widest (the largest least
 * width[arc]; NULL: all alike).  Extending a path by one arc never
 * reverses that order, so the labels are exact.  O((V + E) log V).
 */
void place__paths_from(const struct place__graph *g, size_t src,
                       const uint64_t *step, const uint64_t *width,
                       struct place__paths *out);

/* hops[v]: the fewest arcs from `src` to v (PLACE_NONE when none), by
 * breadth-first search; queue has room for n_nodes.  O(V + E). */
void place__hops_from(const struct place__graph *g, size_t src, size_t *hops,
                      size_t *queue);

#endif
