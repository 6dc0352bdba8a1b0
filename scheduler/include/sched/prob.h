/*
 * sched/prob.h: end-to-end probability bounds (MATH.md §2).
 *
 * If every stage v meets its local deadline with probability phi_v and the
 * local deadlines plus network terms along every path sum to at most D,
 * then P(end-to-end <= D) is at least
 *     independent stages:  prod phi_v           (log form: sum -ln phi_v)
 *     no assumption:       1 - sum (1 - phi_v)  (union bound)
 * Probabilities are compared with a 1e-9 tolerance, so that a target equal
 * to an achievable product is not decided by rounding.
 */
#ifndef SCHED_PROB_H
#define SCHED_PROB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/dist.h"

#define SCHED_PROB_TOL 1e-9

double sched_prob_independent(const double *phi, size_t n);
double sched_prob_union(const double *phi, size_t n);

/* -ln phi, the weight of a stage in the linear form of the product. */
double sched_prob_lambda(double phi);

/* Does `bound` meet `target` (with the tolerance)? */
bool sched_prob_meets(double bound, double target);

/* z_p: the standard normal quantile, Phi(z_p) = p, for p in (0, 1). */
double sched_normal_quantile(double p);

/* Cantelli's one-sided factor sqrt(p / (1 - p)): P(X <= mu + k sigma) >= p
 * for any distribution; p in [0, 1). */
double sched_cantelli_k(double p);

/*
 * Moment bounds on a sum with mean `mean_ns` and standard deviation
 * `stddev_ns`: the time t with P(X <= t) >= p, under a normal assumption
 * (mu + z_p sigma) or for any distribution (Cantelli, mu + k sigma).
 */
double sched_moment_bound_normal(double mean_ns, double stddev_ns, double p);
double sched_moment_bound_cantelli(double mean_ns, double stddev_ns, double p);

/*
 * End-to-end time of a DAG of stages.  Node v completes at
 *     C_v = max over predecessors u (C_u + delay(u, v)) + R_v
 * with R_v ~ stage[v] independent and delay(u, v) constant (network terms).
 * The max of predecessors is taken as if independent: exact when their
 * paths share no stage (chains, in-trees), and otherwise a lower bound of
 * the true CDF, because completion times are nondecreasing functions of
 * independent variables and hence associated (Esary, Proschan & Walkup,
 * 1967), so P(max <= t) >= prod P(C_u + delay <= t).  The end-to-end time
 * is the max over sinks.
 */
struct sched_dag_edge {
    size_t from, to;
    uint64_t delay_ns;
};

/*
 * Distribution of the end-to-end time into `out`; nodes 0..n-1 must be in
 * topological order (edges go from lower to higher index).  Nodes without
 * a stage distribution (stage[v].n == 0) take no time.  *exact says whether
 * no predecessors shared a stage and no support was reduced.
 * Returns 0, PLC_EINVAL (edge out of order) or PLC_ENOMEM.
 */
int sched_e2e_dist(const struct sched_dist *stage, size_t n,
                   const struct sched_dag_edge *edges, size_t n_edges,
                   struct sched_dist *out, bool *exact);

#endif
