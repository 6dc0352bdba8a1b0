/*
 * milp.h: the placement MILP of MATH.md §3 built with the GLPK C API.
 * Private to placement/.
 */
#ifndef PLACE_MILP_H
#define PLACE_MILP_H

#include <glpk.h>
#include <stdbool.h>
#include <stddef.h>

#include "place/plan.h"
#include "routes.h"

/* Constraint families that an explanation may switch off. */
enum milp_family {
    FAM_CPU = 1 << 0,
    FAM_MEMORY = 1 << 1,
    FAM_BANDWIDTH = 1 << 2,
    FAM_DEADLINE = 1 << 3,
    FAM_PROBABILITY = 1 << 4,
    FAM_RULES = 1 << 5,
    FAM_LINK_LATENCY = 1 << 6,
};

enum milp_goal {
    GOAL_PRIMARY,     /* the workflow's objective (+ tie-breaks) */
    GOAL_MAKESPAN,    /* the shortest achievable end-to-end latency */
    GOAL_PROBABILITY, /* the best achievable probability (its row off) */
    GOAL_TIEBREAK,    /* internal: see milp_tiebreak */
    GOAL_FIT,         /* the candidate columns alone, for a greedy policy
                         (fit.c): no bound, never finished; not even
                         listed: yn[v * H + h] is 1 when v has a column
                         on h (0 else) and m->kth says which (y empty) */
};

struct ycol {
    size_t v, h, m; /* service, host, menu item */
};

struct milp_vlink;

struct milp {
    const struct place_problem *p;
    const struct routes *r;
    bool single_location; /* a cluster without links */
    unsigned relax;       /* families switched off */
    enum milp_goal goal;
    glp_prob *lp;
    size_t ny;
    struct ycol *y;  /* column j + 1 of GLPK is y[j] for j < ny */
    size_t *ys, *yn; /* per service x host: first y, count */
    /* per service x host: the vCPUs-th freest core's free capacity when
     * the columns were built (-INFINITY: no place there), so that v's
     * columns on h are the items place__milp_item_ok() allows whose
     * utilisation fits it; NULL once any column is pruned */
    double *kth;
    struct milp_vlink *vl;
    int *t_col;             /* per service: start time */
    int *o_col;             /* per host: in use (hosts objective, symmetry) */
    int z_col;              /* balance: highest core utilisation */
    int mk_col;             /* makespan (GOAL_MAKESPAN) */
    uint64_t nc_delay_ns;   /* D of the port rows' b + r D */
    uint64_t *dcap;         /* per service: largest useful local deadline */
    size_t *first, *second; /* per group: two member hosts (or NONE) */
    bool tiebreak;          /* the objective is now the tie-break's */
    bool first_plan;        /* any plan will do: stop at the first */
    bool dp_done;           /* place__milp_dp() ran */
    bool has_dp;            /* the DP bound below was computed */
    bool dp_infeasible;     /* the DP's relaxation has no solution, so the
                               problem has none (any objective) */
    double dp_lb;           /* lower bound of total utilisation (bound.c) */
    bool dp_by_milp;        /* dp_lb is the timing relaxation's optimum,
                               proven by GLPK (bound.c, exact_timing) */
    double forced_bw; /* bandwidth x hops of a crossing every plan makes */
    bool has_tree;    /* tree_lb below was computed (treedp.c) */
    double tree_lb;   /* lower bound of the cost or bandwidth objective */
    double build_s;   /* how long place__milp_finish() took */
    struct sched_menu_item *dp_choice; /* the items attaining it */
    /* row under construction */
    int *ind;
    double *val;
    size_t len, cap;
    int *slot; /* per column: position in the row (row_end) */
    size_t slot_cap;
    bool oom;
};

/* Build the model.  Returns 0, PLC_ENOMEM, or PLC_EDATA when a service has
 * no candidate host at all (the caller explains).  milp_build is
 * milp_prepare (the candidate columns and the DP bound, enough for the
 * heuristic) then milp_finish (the GLPK problem); milp_prune may come
 * between them. */
int place__milp_build(struct milp *m, const struct place_problem *p,
                      const struct routes *r, unsigned relax,
                      enum milp_goal goal);
int place__milp_prepare(struct milp *m, const struct place_problem *p,
                        const struct routes *r, unsigned relax,
                        enum milp_goal goal);
int place__milp_finish(struct milp *m);
/* milp_prepare in two: the candidate columns, then the DP bound (a
 * caller that may not need the bound, the exact search's, asks for it
 * when it does; a second call does nothing).  Each 0, PLC_ENOMEM, or
 * (columns) PLC_EDATA, PLC_ETIMEDOUT as milp_prepare. */
int place__milp_prepare_columns(struct milp *m, const struct place_problem *p,
                                const struct routes *r, unsigned relax,
                                enum milp_goal goal);
int place__milp_dp(struct milp *m);

/* Objective "utilization" with a verified plan of utilisation ub in hand:
 * drop the candidate columns whose item is in no plan as good as ub
 * (bound.c), before milp_finish.  *removed: how many. */
int place__milp_prune(struct milp *m, double ub, size_t *removed);
/* Leave out the columns keep[] (per column) marks false, before the model
 * is built; returns how many. */
size_t place__milp_keep(struct milp *m, const bool *keep);
void place__milp_release(struct milp *m);

/* May service v take item it anywhere (its deadline and probability,
 * CPU aside)?  With m->kth, v's columns on h are those items whose
 * utilisation is at most m->kth[v * H + h] + 1e-9 (any, with the CPU
 * relaxed). */
bool place__milp_item_ok(const struct milp *m, size_t v,
                         const struct sched_menu_item *it);

/* Does service v fit host h at all (rules, memory, some item's cores)? */
bool place__milp_candidate(const struct milp *m, size_t v, size_t h);

/* The least utilisation (per vCPU) of any candidate column of service v:
 * what v reserves at least, wherever it runs; INFINITY with none. */
double place__milp_least_util(const struct milp *m, size_t v);

struct milp_result {
    int status;   /* PLACE_OPTIMAL ... PLACE_TIMEOUT */
    double obj;   /* objective of the incumbent */
    double bound; /* best proven bound */
    long nodes;
    size_t *host; /* per service */
    size_t *item; /* per service: index into its host's menu */
    int *route;   /* per vlink: route set taken (0 shortest, 1 detour) */
};

/* Solve within `time_limit_s`; fills res (host/item allocated).  `warm`,
 * when not NULL, is a feasible solution (milp_warm_vector) offered to the
 * search.  Returns 0 or PLC_ENOMEM. */
int place__milp_solve(struct milp *m, double time_limit_s, const double *warm,
                      struct milp_result *res);

/* The full column vector (1-based, as GLPK wants it) of the plan that puts
 * service v on host[v] with item[v], vlink i over route set route[i]
 * (route NULL: all shortest).  Caller frees *out.  Returns 0, PLC_EINVAL
 * (a pruned column) or PLC_ENOMEM. */
int place__milp_warm_vector(const struct milp *m, const size_t *host,
                            const size_t *item, const int *route, double **out);
void place__milp_result_release(struct milp_result *res);

/* Forbid the combination of (service, item) pairs on host h in `res`
 * (a no-good cut: their per-core packing failed). */
int place__milp_cut_host(struct milp *m, const struct milp_result *res,
                         size_t h);

/* Tie-break phase (FORMATS.md: ties are broken by total utilisation, then
 * bandwidth x hops): hold the current objective at `current_opt` and
 * minimise utilisation, or with `bandwidth` bandwidth x hops.  Then solve
 * again with place__milp_solve(). */
int place__milp_tiebreak(struct milp *m, double current_opt, bool bandwidth);

/* Free residual utilisation of core c of host h. */
double place__milp_core_free(const struct place_host *h, int c);
/* The free CPU of all h's cores (each at least 0). */
double place__milp_host_free(const struct place_host *h);
/* The free memory of host h in bytes (INFINITY: not constrained). */
double place__milp_host_mem_free(const struct place_host *h);

/* One traversal's delay between two hosts over route set k (routes.h)
 * (route + message/rate); 0 when the same host.  false when there is no
 * route. */
bool place__milp_pair_delay(const struct milp *m, const struct place_vlink *e,
                            int k, size_t h1, size_t h2, uint64_t *delay,
                            uint64_t *jitter);

#endif
