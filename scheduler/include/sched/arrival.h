/*
 * sched/arrival.h: response times of a stage under a hard reservation when
 * jobs arrive periodically or sporadically and the host is a real kernel
 * (MATH.md §1, "what the bound assumes, and what the platform adds").
 *
 * The plain bound ceil(c/Q) P assumes every job starts on an idle server
 * with a fresh budget.  This module removes that assumption: it bounds
 * the response time of a job that can find its server backlogged by
 * earlier jobs, and adds the platform terms a host measured (per-job
 * overhead, wake-up latency, the budget overrun of tick enforcement).
 *
 * The model.  Let D_k be the server deadline in force when job k-1
 * completes (SCHED_DEADLINE / CBS: the deadline is postponed by P at each
 * replenishment; a wake-up keeps deadline and budget unless the budget
 * would overflow the bandwidth before the deadline -- the CBS rule, Abeni
 * & Buttazzo 1998 -- and starts a fresh period otherwise).  Under EDF with
 * the core's utilisation within its capacity every server deadline is met,
 * so job k, arriving at a_k with c_k of work, completes by
 *
 *     f_k <= max(a_k, D_k) + S_k,     S_k = ceil((c_k + delta) / Q) P + w
 *
 * (a fresh period at a_k gives Q per period from a_k; a kept deadline D_k
 * gives at least Q per period after D_k), and the deadline in force when it
 * completes is within the same bound, D_{k+1} <= max(a_k, D_k) + S_k.
 * delta is the per-job overhead charged to the budget, w the wake-up
 * latency (the kernel sets the deadline from the enqueue time).
 *
 * One stage, arrivals at least T apart: the lag L_k = max(0, D_k - a_k)
 * obeys L_{k+1} <= max(0, L_k + S_k - T), Lindley's recursion of a
 * D/G/1 queue with service S and interarrival T (Abeni & Buttazzo,
 * ECRTS 1999, use the same recursion in budget units on a period grid;
 * Díaz et al., RTSS 2002, and Palopoli et al., TPDS 2016, solve its
 * stationary law).  Starting idle, L_k is stochastically below the
 * stationary lag M = sup_n (X_1 + ... + X_n)^+, X = S - T, so a bound on
 * M bounds every job, the first ones included.
 *
 * Stages in series (why the composition is safe).  A stage's arrivals are
 * the previous stage's departures: they bunch, so stage v+1 does NOT see
 * arrivals T apart and its isolated analysis would be optimistic.  Write
 * the completion bounds as the max-plus recursion of a tandem of FIFO
 * servers, F(v,k) = max(F(v-1,k) + link, F(v,k-1)) + S(v,k).  Its solution
 * is a maximum over monotone lattice paths: with j <= i_1 <= ... <= i_n = k
 *
 *     F(n,k) - a_k = max  sum_v [ sum_{i=i_{v-1}}^{i_v} S(v,i)
 *                                 - (i_v - i_{v-1}) T ]   (+ links).
 *
 * Give the v-th stage of a path the credit T_v = T - (v-1) eps per job it
 * spans instead of T; the credit left over, sum_v (v-1) eps (i_v -
 * i_{v-1}), equals sum_v (k - i_v) eps.  Charging it back stage by stage,
 *
 *     F(n,k) - a_k <= sum_v Y(v,k),
 *     Y(v,k) = max_{b <= k} [ R(v,b) - (k - b) eps ],
 *
 * where R(v,b) is stage v's response to job b computed in isolation with
 * arrivals exactly T_v apart.  Y depends on stage v alone and is
 * stationary; P(Y > y) <= sum_{m >= 0} P(R > y + m eps) by the union
 * bound over m.  So every stage gets a distribution of its own, and the
 * end-to-end time of a path is at most the sum of the stages' Y: the union
 * bound over the stages needs no independence, the product bound and the
 * convolution need the stages' execution times independent (as the
 * independent model already states).  A fork or join takes the max over
 * paths; `depth` (the number of services before this one on its longest
 * path) fixes the credit.  A stage with no service after it is the last
 * one of each of its paths (b = k) and uses R itself.
 *
 * Closed arrivals: the next job is released only after the previous one
 * left the workflow, so no job queues behind another.  On an ideal server
 * the response is the plain ceil(c/Q) P.  On a real kernel the CBS rule can
 * keep the previous job's deadline, up to P after it completed, so the
 * response is at most one period more: S_k + P.
 */
#ifndef SCHED_ARRIVAL_H
#define SCHED_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sched/dist.h"

enum sched_arrival_kind {
    SCHED_ARRIVAL_CLOSED,   /* next job after the previous one completes */
    SCHED_ARRIVAL_PERIODIC, /* exactly every interarrival */
    SCHED_ARRIVAL_SPORADIC, /* at least interarrival apart */
};

struct sched_arrival {
    enum sched_arrival_kind kind;
    uint64_t interarrival_ns; /* periodic / sporadic: T > 0 */
};

/*
 * What a host adds to the model.  `measured` false is the ideal server of
 * MATH.md §1 (every other field 0): exact enforcement, no overhead, jobs
 * that find a fresh period.
 */
/* The probability levels of a platform's quantiles (p50, p90, p99,
 * p99.9, the largest seen). */
#define SCHED_PLATFORM_Q 5
extern const double sched_platform_levels[SCHED_PLATFORM_Q];

struct sched_platform {
    bool measured;
    uint64_t overhead_ns;    /* delta: CPU a job uses beyond its work */
    uint64_t granularity_ns; /* g: how far a budget can overrun */
    uint64_t wakeup_ns;      /* w: wake-up latency bound */
    /* the probability that a job's overhead or wake-up exceeds the terms
     * above (measured percentiles are not bounds: p99.9 figures leave
     * 0.001 each); every stage probability is lowered by it, so a host
     * with measured terms never promises 1 */
    double exceed_probability;
    /* when has_q: the measured distributions of the overhead and the
     * wake-up latency as quantiles at sched_platform_levels, used in
     * place of the constants above (each band's mass at its upper end) */
    bool has_q;
    uint64_t overhead_q[SCHED_PLATFORM_Q];
    uint64_t wakeup_q[SCHED_PLATFORM_Q];
    /* Delta: how late, beyond its server deadlines, a job can complete
     * because the host takes the CPU (sched_supply_delay()); added to every
     * stage's service once */
    uint64_t supply_delay_ns;
};

/*
 * Supply lost to the host (steal).  A virtual CPU the hypervisor takes for
 * s(t) of a window t supplies t - s(t).  From an envelope of measured
 * points -- s_i the most taken in any window of length W_i, W ascending --
 * with sigma = max(1 - c, s_n / W_n) for a core capacity c:
 *
 *     s(t) <= sigma t + b,   b = max_i sup_{W_{i-1} < t <= W_i}
 *                                     (min(t, s_i) - sigma t)   (W_0 = 0)
 *
 * for every t (beyond W_n, split t into windows of W_n and a remainder:
 * s_n / W_n <= sigma).  Under EDF, reservations of total utilisation U <=
 * 1 - sigma on a supply of at least (1 - sigma) t - b meet every deadline
 * late by at most Delta = b / (1 - sigma): the demand of any interval t is
 * at most U t <= (1 - sigma)(t + Delta) - b.  So the host's capacity per
 * core becomes min(c, 1 - s_n / W_n) and each stage's service grows by
 * Delta.  Returns Delta (SCHED_TIME_INF when sigma >= 1) and sets
 * *capacity to the usable capacity; no points: 0 and c.
 */
uint64_t sched_supply_delay(const uint64_t *window_ns,
                            const uint64_t *stolen_ns, size_t n,
                            double core_capacity, double *capacity);

/* The capacity per core left by an envelope's long-run rate (what
 * sched_supply_delay() sets in *capacity), without the delay. */
double sched_supply_capacity(const uint64_t *window_ns,
                             const uint64_t *stolen_ns, size_t n,
                             double core_capacity);

/* Everything the response of one stage depends on besides (Q, P). */
struct sched_stage_ctx {
    struct sched_arrival arrival;
    struct sched_platform platform;
    unsigned depth;  /* services before this one on its longest path */
    bool last;       /* no service after it */
    uint64_t eps_ns; /* the credit step eps of the composition (> 0 unless
                        closed); sched_eps_ns() gives the default */
};

/* The default credit step: T / (2 (max depth + 1)), at least 1 us, so that
 * the deepest stage keeps half the interarrival.  A larger step makes the
 * union over m in Y tighter and the credit of deep stages smaller. */
uint64_t sched_eps_ns(uint64_t interarrival_ns, unsigned max_depth);

/* The credit T_v of a stage: T - depth eps (0 when that is not positive). */
uint64_t sched_stage_credit_ns(const struct sched_stage_ctx *ctx);

/* Service time bound S = ceil((c + delta) / Q) P + w (+ P when closed on a
 * measured platform), saturating at SCHED_TIME_INF. */
uint64_t sched_stage_service_ns(uint64_t c_ns, uint64_t budget_ns,
                                uint64_t period_ns,
                                const struct sched_stage_ctx *ctx);

/*
 * The distribution of the stage's bound Y (or of R for the last stage, S
 * for closed arrivals) for execution time `exec` under (Q, P): mass that
 * cannot be bounded -- the stage is unstable (mean service at least the
 * credit) or the lag is beyond the analysed range -- sits at
 * SCHED_TIME_INF.  Every approximation rounds times up, so the CDF is
 * never above the truth.  Returns 0 or PLC_ENOMEM.
 */
int sched_stage_response(struct sched_dist *out, const struct sched_dist *exec,
                         uint64_t budget_ns, uint64_t period_ns,
                         const struct sched_stage_ctx *ctx);

/*
 * Mean demand against supply: the stage is stable iff the mean service
 * E[S] is below its credit T_v.  *mean_service_ns gets E[S] (may be NULL).
 * Closed arrivals are always stable.
 */
bool sched_stage_stable(const struct sched_dist *exec, uint64_t budget_ns,
                        uint64_t period_ns, const struct sched_stage_ctx *ctx,
                        double *mean_service_ns);

#endif
