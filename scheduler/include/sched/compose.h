/*
 * sched/compose.h: task sets inside resources (MATH.md §5) — the
 * compositional analysis of RT-Xen / CARTS (Shin & Lee, "Compositional
 * real-time scheduling framework", RTSS 2004 and TECS 2008; Easwaran et
 * al., "Compositional analysis framework using EDP resource models", RTSS
 * 2007).
 *
 * A dedicated CPU is the periodic resource with Theta = Pi (sbf(t) = t), so
 * the same tests serve per-core admission with constrained deadlines.
 */
#ifndef SCHED_COMPOSE_H
#define SCHED_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A periodic task: worst-case execution time, period, relative deadline
 * (0 < wcet <= deadline <= period). */
struct sched_task {
    uint64_t wcet_ns;
    uint64_t period_ns;
    uint64_t deadline_ns;
};

enum sched_policy {
    SCHED_POLICY_EDF,
    SCHED_POLICY_RM, /* fixed priorities by period */
    SCHED_POLICY_DM, /* fixed priorities by deadline */
};

/* A supply: the explicit-deadline periodic (EDP) resource <Pi, Theta,
 * Delta> supplies Theta within Delta of the start of every period Pi.
 * Delta = Pi is the periodic resource Gamma(Pi, Theta). */
struct sched_resource {
    uint64_t period_ns;   /* Pi > 0 */
    uint64_t budget_ns;   /* Theta <= Delta */
    uint64_t deadline_ns; /* Delta <= Pi */
};

/* Gamma(Pi, Theta) and a dedicated CPU. */
struct sched_resource sched_resource_periodic(uint64_t period_ns,
                                              uint64_t budget_ns);
struct sched_resource sched_resource_dedicated(void);

/*
 * Supply bound function: the least supply in any interval of length t.
 * EDP (Easwaran et al. 2007, Thm 1), with x = Pi + Delta - 2 Theta and
 * y = floor((t - (Delta - Theta)) / Pi):
 *     sbf(t) = y Theta + max(0, t - x - y Pi)   if t >= Delta - Theta
 *            = 0                                otherwise
 * For Delta = Pi this is the periodic resource's
 *     sbf(t) = n Theta + max(0, t - 2B - n Pi), B = Pi - Theta,
 *     n = floor((t - B) / Pi)    (MATH.md §5).
 */
uint64_t sched_sbf(const struct sched_resource *r, uint64_t t_ns);

/* Demand bound of a task set: sum over tasks of
 * max(0, floor((t - D_i)/T_i) + 1) C_i. */
uint64_t sched_dbf(const struct sched_task *tasks, size_t n, uint64_t t_ns);

/* Liu & Layland's RM utilisation bound n (2^(1/n) - 1) (JACM 1973): any
 * implicit-deadline set of n tasks at or below it is RM-schedulable on a
 * dedicated CPU.  0.8284 for n = 2, 0.7798 for n = 3. */
double sched_liu_layland_bound(size_t n);

/* Total utilisation sum C_i / T_i. */
double sched_utilization(const struct sched_task *tasks, size_t n);

/*
 * Is the task set schedulable by `policy` inside resource `r`?
 *   EDF: dbf(t) <= sbf(t) at every absolute deadline t up to the horizon:
 *        the smaller of lcm(T_1..T_n, Pi) + max D and the point beyond which
 *        the linear bounds U t + sum (T_i - D_i) U_i <= (Theta/Pi)(t - x)
 *        guarantee it; not schedulable when U > Theta/Pi.
 *   RM/DM: every task i has some t <= D_i with
 *        rbf_i(t) = C_i + sum_{k < i} ceil(t / T_k) C_k <= sbf(t),
 *        checked at the multiples of higher-priority periods and at D_i.
 * Returns 1 schedulable, 0 not, or PLC_ENOMEM.
 */
int sched_schedulable(const struct sched_task *tasks, size_t n,
                      enum sched_policy policy, const struct sched_resource *r);

/*
 * The minimum budget Theta, rounded up to a whole microsecond, for which
 * the task set is schedulable inside Gamma(period, Theta): bisection over
 * whole microseconds (schedulability is monotone in Theta).  Returns 1 with
 * *budget_ns set, 0 when not even Theta = Pi suffices, PLC_EINVAL for a
 * period above PLC_PERIOD_MAX_NS, or PLC_ENOMEM.  `period_ns` must be a
 * whole number of microseconds.
 */
int sched_min_budget(const struct sched_task *tasks, size_t n,
                     enum sched_policy policy, uint64_t period_ns,
                     uint64_t *budget_ns);

/* One interface per candidate period, and the one to choose. */
struct sched_interface {
    uint64_t period_ns;
    uint64_t budget_ns; /* 0 when no budget works for this period */
    double bandwidth;   /* budget / period */
    bool feasible;
};

/*
 * Minimum interfaces for each period of `periods_ns` (whole microseconds);
 * out[] gets n_periods entries.  Returns the index of the interface with the
 * least bandwidth (ties: the longer period, fewer context switches), -1 if
 * none is feasible, or PLC_ENOMEM.
 */
long sched_select_interface(const struct sched_task *tasks, size_t n,
                            enum sched_policy policy,
                            const uint64_t *periods_ns, size_t n_periods,
                            struct sched_interface *out);

#endif
