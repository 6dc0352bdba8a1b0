/*
 * place/plan.h: one workflow against a cluster's residual capacities —
 * the placement problem, its optimal plan, and why there is none.
 *
 * Plain C structs (no protobuf): model/ fills a place_problem from the
 * files, place_solve() returns a place_plan.  All times in nanoseconds,
 * rates in bit/s, sizes in bytes.
 */
#ifndef PLACE_PLAN_H
#define PLACE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc/limits.h"
#include "sched/reserve.h"

#define PLACE_NONE SIZE_MAX
#define PLACE_UNLIMITED UINT64_MAX

/* The most candidate placements (service, host, reservation) the MILP is
 * built with, about 1 GB of GLPK's memory: a larger problem gets the
 * heuristic's plan and the dynamic program's bound, status feasible. */
#define PLACE_MILP_COLS_MAX 1000000

struct place_host {
    const char *name;
    int cores;
    double core_capacity; /* schedulable utilisation per core */
    const double *used;   /* background utilisation per core, or NULL */
    uint64_t mem_bytes;   /* PLACE_UNLIMITED when not constrained */
    uint64_t mem_used_bytes;
    double speed;
    double cost;
    const char *zone; /* or NULL */
    bool forwarding;
    /* what the host's kernel adds (sched/arrival.h); measured false: the
     * ideal server */
    struct sched_platform platform;
};

struct place_link {
    size_t a, b;       /* node indices: hosts first, then switches */
    uint64_t rate_bps; /* each direction */
    uint64_t latency_ns;
    uint64_t jitter_ns;
    uint64_t buffer_bytes; /* 0: no port check */
    double cost;
    uint64_t used_bps; /* background, each direction */
};

struct place_cluster {
    size_t n_hosts;
    size_t n_nodes; /* hosts 0..n_hosts-1, then switches */
    const struct place_host *hosts;
    const char *const *node_names;
    size_t n_links;
    const struct place_link *links;
    /* per node: the delay of the longest least-delay route from it
     * (place_route_ecc()), which depends on the links' latencies, rates
     * and buffers and on which hosts forward, never on their load; or
     * NULL, and each problem finds the longest route itself */
    const uint64_t *route_ecc;
    /* routes found by earlier problems on this cluster, each kept while
     * no link's residual rate that could change it has changed
     * (place_route_cache_new); or NULL.  Problems on one cluster that
     * share a cache must be solved one at a time. */
    struct place_route_cache *route_cache;
};

/* A cache of a cluster's routes between problems: what a caller planning
 * many workflows on one cluster, whose links' residual rates change a
 * few at a time, keeps (a k=8 fat-tree's Dijkstra from each hub was a
 * fifth of a greedy decision).  It checks the cluster's shape, delays and
 * forwarding hosts itself, so one cache may follow a cluster through any
 * change.  It keeps at most 16 MiB of routes (the sources past that are
 * searched each time).  NULL when memory runs out. */
struct place_route_cache *place_route_cache_new(void);
void place_route_cache_free(struct place_route_cache *x);
/* How many route searches problems asked of x, and how many it answered
 * from what it kept. */
void place_route_cache_stats(const struct place_route_cache *x, size_t *asked,
                             size_t *kept);

/* c's route_ecc (n_nodes entries, for the caller to free): what a caller
 * planning many workflows on one cluster computes once.  0, PLC_ENOMEM. */
int place_route_ecc(const struct place_cluster *c, uint64_t **out);

enum place_objective {
    PLACE_OBJ_UTILIZATION,
    PLACE_OBJ_COST,
    PLACE_OBJ_HOSTS,
    PLACE_OBJ_BANDWIDTH,
    PLACE_OBJ_BALANCE,
};

enum place_prob_model {
    PLACE_PROB_UNION,
    PLACE_PROB_INDEPENDENT,
};

struct place_service {
    const char *name;
    int vcpus;
    uint64_t mem_bytes;
    /* menu[h]: the reservation menu on host h (it depends on the host's
     * speed).  A service without exec_time has a one-item menu
     * (0, 0, 0, phi 1). */
    const struct sched_menu *const *menu;
    const bool *allowed; /* per host: its pin, allowed hosts and zone */
    const double *price; /* per host: price of placing it there */
    /* exec[h]: execution time on host h (scaled by its speed), or NULL for
     * a service without one or a guest with tasks (its response time is
     * then its local deadline) */
    const struct sched_dist *const *exec;
    unsigned depth; /* services before it on its longest path */
    bool last;      /* no service after it */
    /* menu_reason[h]: why its menu on host h is empty (the platform's
     * overrun, arrivals it cannot keep up with), or NULL / the array NULL */
    const char *const *menu_reason;
};

struct place_vlink {
    size_t from, to; /* workflow nodes: endpoints, then services */
    uint64_t rate_bps;
    uint64_t burst_bytes;
    uint64_t message_bytes;
    int crossings;
    bool duplex;
    uint64_t max_latency_ns; /* PLACE_UNLIMITED: none */
    uint64_t max_jitter_ns;  /* PLACE_UNLIMITED: none */
};

struct place_problem {
    const struct place_cluster *cluster;
    size_t n_endpoints;
    const char *const *endpoint_names;
    const size_t *endpoint_node; /* cluster node of each endpoint */
    size_t n_services;
    const struct place_service *services;
    size_t n_vlinks;
    const struct place_vlink *vlinks;
    /* groups of service indices, each terminated by PLACE_NONE */
    size_t n_affinity;
    const size_t *const *affinity;
    size_t n_anti_affinity;
    const size_t *const *anti_affinity;
    uint64_t deadline_ns; /* PLACE_UNLIMITED: no latency bound */
    double probability;   /* target in (0, 1] */
    enum place_prob_model prob_model;
    enum place_objective objective;
    double time_limit_s;          /* default 2 */
    struct sched_arrival arrival; /* how jobs are released (closed: {0}) */
    uint64_t eps_ns;              /* the composition's credit step */
    /* when every phase stops (plc_now_s()): building the model, the
     * heuristic, the bounds, the solver, the explanation; 0: time_limit_s
     * after place_solve() starts */
    double deadline_s;
    /* a part of a larger problem (placement's own, local.c): solved
     * whole, its ties given a large cluster's share of time, and (when
     * stop_at >= 0) done as soon as it has a plan of objective stop_at or
     * less, the larger problem's bound */
    bool part;
    double stop_at;
    /* the exact search (search.c) left out, so that GLPK's models decide
     * alone: what a test compares the search with */
    bool no_search;
};

/* The stage context of service v on host h (arrivals, the host's
 * platform, v's depth): what its menu and its response were built with. */
struct sched_stage_ctx place_stage_ctx(const struct place_problem *p, size_t v,
                                       size_t h);

enum place_status {
    PLACE_OPTIMAL,    /* proven by GLPK */
    PLACE_FEASIBLE,   /* time limit: best plan, with its gap */
    PLACE_INFEASIBLE, /* proven: no plan exists */
    PLACE_TIMEOUT,    /* no plan found in time; not proven impossible */
};

enum place_proof {
    PLACE_PROOF_NONE,
    PLACE_PROOF_MILP, /* GLPK's branch and bound closed the gap */
    PLACE_PROOF_DP,   /* the plan meets the DP lower bound (bound.c) */
    /* the plan meets the timing relaxation's optimum, which GLPK proved
     * (bound.c, exact_timing) */
    PLACE_PROOF_TIMING,
    /* the exact branch and bound over hosts and menu items (search.c)
     * found no better plan */
    PLACE_PROOF_SEARCH,
};

enum place_reject {
    PLACE_REJECT_NONE,
    PLACE_REJECT_CPU,
    PLACE_REJECT_MEMORY,
    PLACE_REJECT_BANDWIDTH,
    PLACE_REJECT_DEADLINE,
    PLACE_REJECT_LINK_LATENCY,
    PLACE_REJECT_NO_ROUTE,
    PLACE_REJECT_PROBABILITY,
    PLACE_REJECT_PLACEMENT_RULES,
    PLACE_REJECT_TIMEOUT,
    PLACE_REJECT_NO_HOSTS,
};

#define PLACE_DETAILS_MAX 8

struct place_detail {
    char key[32];
    double number; /* when text[0] == '\0' */
    char text[64];
};

struct place_service_plan {
    size_t host;
    uint16_t cores[PLC_VCPUS_MAX]; /* vcpus entries (distinct cores) */
    struct sched_menu_item item;
};

struct place_vlink_plan {
    int route; /* 0: the shortest route of its pair of places; 1: the
                  detour around congested links */
    size_t n_path;
    size_t *path; /* cluster nodes, from the source's node; NULL
                     when co-located */
    size_t n_back;
    size_t *back;        /* duplex: the nodes of the way back, from the target's
                            node; else NULL */
    uint64_t latency_ns; /* one traversal: path latency + port bounds +
                            message/rate; 0 when co-located */
};

struct place_plan {
    size_t n_vlinks_alloc; /* entries of vlinks[] (internal) */
    size_t *heur_item;     /* internal: menu item per service (heuristic) */
    bool admitted;
    enum place_status status;
    enum place_proof proof; /* when status is PLACE_OPTIMAL */
    double objective;       /* the named objective of this plan alone */
    double bound;           /* best bound proven by the solver */
    double gap;             /* relative gap */
    double time_ms;
    long nodes; /* branch-and-bound nodes */
    bool local; /* made on the hosts near the workflow, proven against a
                   relaxation of the whole cluster (local.c) */
    struct place_service_plan *services; /* n_services */
    struct place_vlink_plan *vlinks;     /* n_vlinks */
    uint64_t latency_bound_ns; /* longest path of local deadlines + links */
    double probability_bound;  /* the model's guarantee */
    double probability_exact;  /* convolution of the response times */
    bool exact_is_exact;       /* false: a conservative lower bound */
    enum place_reject reject;
    char message[512];
    size_t n_details;
    struct place_detail details[PLACE_DETAILS_MAX];
};

/*
 * Find the optimal plan.  Returns 0 with *plan filled (admitted or a
 * rejection with its reason), or a negative PLC_E* code with detail in
 * `err` (PLC_ENOMEM; PLC_EINTERNAL when a solution failed exact
 * verification).  Release with place_plan_release().
 */
struct plc_error;
/* Every plan of this process, running or to come, stops at plc_now_s()
 * time `at_s` at the latest, as if its deadline were there (placerd's
 * SIGTERM: the plan in progress ends with what it has); 0 lifts it.
 * Safe from any thread. */
void place_cancel_at(double at_s);
/* When work due by `deadline_s` (plc_now_s(); 0: none) must stop: the
 * deadline, or an earlier cancel; 0 for never. */
double place_deadline(double deadline_s);
/* Whether that moment has passed: what every phase of a plan checks. */
bool place_deadline_passed(double deadline_s);

int place_solve(const struct place_problem *p, struct place_plan *plan,
                struct plc_error *err);

/* Write the MILP of `p` (objective as given) in CPLEX LP format. */
int place_export_lp(const struct place_problem *p, const char *path,
                    struct plc_error *err);

/*
 * The greedy policies placer simulate compares with placer's own: each
 * service in topological order on the first host, in the policy's order,
 * whose rules, memory and cores take its least-utilisation reservation
 * within an equal share of the deadline and probability (a shrinking
 * share on each retry); every plan then passes the same exact
 * verification as a solver plan (routes, link rates, ports, latency
 * bound, probability).  A rejection is not a proof: its code names what
 * stopped the last try (status PLACE_TIMEOUT when none was made in the
 * time limit, PLACE_FEASIBLE otherwise, admitted or not).
 */
enum place_fit {
    PLACE_FIT_FIRST = 1, /* hosts in their order */
    PLACE_FIT_BEST,      /* the least free CPU first */
    PLACE_FIT_WORST,     /* the most free CPU first (spread) */
};
int place_fit(const struct place_problem *p, enum place_fit rule,
              struct place_plan *plan, struct plc_error *err);

void place_plan_release(struct place_plan *plan);

/* What the solver keeps per thread (GLPK's environment), freed: call it
 * in a thread that planned, before it ends. */
void place_thread_release(void);

#endif
