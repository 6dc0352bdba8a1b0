/*
 * place/topo.h: the physical topology as a graph (hosts, switches, full
 * duplex links) and shortest paths over it.  Plain C; no I/O, no protobuf
 * types: callers convert at their edge.
 */
#ifndef PLACE_TOPO_H
#define PLACE_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plc_error;
struct place_topo;

/* A graph of `n_nodes` nodes and no links.  Caller owns the result; free
 * with place_topo_free().  NULL when memory runs out. */
struct place_topo *place_topo_new(size_t n_nodes);
void place_topo_free(struct place_topo *t);

/* A full-duplex link between nodes a and b (a != b) with one-way latency.
 * Returns 0, PLC_EINVAL (bad node index) or PLC_ENOMEM. */
int place_topo_add_link(struct place_topo *t, size_t a, size_t b,
                        uint64_t latency_ns, uint64_t rate_bps);

/* Whether paths may pass through node v (FORMATS.md: a host with
 * "forwarding": false is an end point only).  Default true. */
void place_topo_set_forwarding(struct place_topo *t, size_t v, bool on);

size_t place_topo_nodes(const struct place_topo *t);
size_t place_topo_links(const struct place_topo *t);

/* Unreachable marker of the distance functions. */
#define PLACE_UNREACHABLE UINT64_MAX

/*
 * Shortest distances from `src` to every node into dist[n_nodes]: by hop
 * count (BFS) when `by_latency` is false, else by summed link latency
 * (Dijkstra with a binary heap).  Paths do not pass through non-forwarding
 * nodes (they may start or end there).  Returns 0 or PLC_ENOMEM.
 */
int place_topo_distances(const struct place_topo *t, size_t src,
                         bool by_latency, uint64_t *dist);

struct place_diameter {
    uint64_t hops;       /* largest hop distance between two terminals */
    uint64_t latency_ns; /* largest latency distance between two terminals */
    size_t unreachable_pairs; /* terminal pairs with no path at all */
};

/*
 * Diameter over the terminal nodes (those with is_terminal[v], e.g. the
 * hosts): the largest shortest distance, by hops and by latency
 * independently, over pairs that are connected.  Returns 0 or PLC_ENOMEM.
 */
int place_topo_diameter(const struct place_topo *t, const bool *is_terminal,
                        struct place_diameter *out);

#endif
