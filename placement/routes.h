/*
 * routes.h: fixed shortest routes between the places a service can be,
 * and groups of interchangeable hosts.  Private to placement/.
 *
 * Arcs: link l gives arc 2l (a -> b) and 2l + 1 (b -> a).
 *
 * A *group* is a set of hosts that each have exactly one link, to the same
 * node (their hub), with identical link attributes; any other host is a
 * group of its own and its own hub.  Every route between hosts of groups A
 * and B is then: the access arc of the source host (proper groups), the
 * shortest route hub(A) -> hub(B), the access arc into the target host.
 * So routes, latencies and the arcs used between hubs depend on the pair
 * of groups only, which is what keeps the model small.
 */
#ifndef PLACE_ROUTES_H
#define PLACE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "path.h"
#include "place/plan.h"

struct routes {
    const struct place_cluster *c;
    /* the static part (groups to the graphs) is the cluster's route
     * cache's, not freed with these routes */
    bool borrowed;
    size_t n_groups;
    size_t *group_of;    /* per host */
    size_t *hub;         /* per group: a cluster node */
    bool *proper;        /* per group: hosts hang off the hub */
    size_t *access_link; /* per host: its only link (proper groups) */
    /* per-arc constants */
    uint64_t *arc_delay; /* link latency + buffer/rate of the port */
    /* shortest routes from every source node (hubs, endpoint nodes) */
    size_t n_src;
    size_t *src_node;    /* per source */
    size_t *src_of_node; /* per node: its source index or PLACE_NONE */
    uint64_t *dist;      /* n_src x n_nodes: delay, PLACE_UNLIMITED if none */
    uint64_t *jit;       /* n_src x n_nodes: summed jitter */
    size_t *pred;        /* n_src x n_nodes: arc into the node */
    /* route set 1, the detours: shortest routes when every congested link
     * (one that the workflow's whole rate would overfill) costs a large
     * penalty; only when some link is congested (n_sets 2, else 1).
     * dist/jit hold the real delay and jitter of those routes. */
    int n_sets;
    uint64_t *dist1, *jit1;
    size_t *pred1;
    size_t *adj_start; /* per node: its first outgoing arc in adj */
    size_t *adj;       /* outgoing arcs, grouped by tail node */
    size_t *arc_head;  /* per arc: the node it enters */
    uint64_t *width;   /* per arc: its link's residual rate */
    bool *relay;       /* per node: routes pass through it */
    uint64_t *step1;   /* per arc, set 1: its delay plus its penalty */
    struct place__graph graph, any_graph; /* any_graph: relay ignored */
    /* graph without the arcs into hosts that hang off a switch (their
     * route is their hub's and their access arc: filled in afterwards,
     * so a search from a hub of a fat-tree settles 80 nodes, not 208) */
    struct place__graph trunk;
    size_t *trunk_start, *trunk_adj;
    /* computing on first use: which (set, source) are done, scratch */
    bool *done;
    size_t *heap, *slot;
    uint32_t *hops;
    uint64_t *room, *cost;
    size_t *order;
};

/* Build groups and routes from every hub and from every node in
 * `extra_src` (endpoint nodes); with the workflow's whole rate
 * `demand_bps` (each vlink once, twice when duplex) also the detours
 * (route set 1) when some link cannot carry it.  Returns 0 or
 * PLC_ENOMEM. */
int place__routes_build(struct routes *r, const struct place_cluster *c,
                        const size_t *extra_src, size_t n_extra,
                        double demand_bps);
void place__routes_release(struct routes *r);

/* The largest delay of any shortest route (computes them all). */
uint64_t place__routes_longest(const struct routes *r);

/* The functions below take the route set k: 0 the shortest routes, 1 the
 * detours (k < n_sets). */

/* Delay and jitter of the route from node `from` (a source) to `to`;
 * false when there is none. */
bool place__routes_between(const struct routes *r, int k, size_t from,
                           size_t to, uint64_t *delay, uint64_t *jitter);

/* The arcs of the route from source node `from` to `to`, in order, into
 * arcs[] (room for n_nodes); returns how many, or PLACE_NONE if none. */
size_t place__routes_arcs(const struct routes *r, int k, size_t from, size_t to,
                          size_t *arcs);

/* The route between two distinct hosts: delay and jitter, including the
 * access arcs; false when there is none. */
bool place__routes_hosts(const struct routes *r, int k, size_t h1, size_t h2,
                         uint64_t *delay, uint64_t *jitter);

/* The arcs between two distinct hosts, in order; count or PLACE_NONE. */
size_t place__routes_host_arcs(const struct routes *r, int k, size_t h1,
                               size_t h2, size_t *arcs);

/* hops[n]: the fewest links between `from` and node n over any path
 * (PLACE_NONE when unreachable); queue has room for n_nodes. */
void place__routes_hops_from(const struct routes *r, size_t from, size_t *hops,
                             size_t *queue);

/* The node an arc leaves from and the node it enters. */
size_t place__routes_arc_tail(const struct routes *r, size_t arc);
size_t place__routes_arc_head(const struct routes *r, size_t arc);

#endif
