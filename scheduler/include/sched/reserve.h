/*
 * sched/reserve.h: hard CPU reservations (constant-bandwidth server,
 * SCHED_DEADLINE) and the reservation menu of a service (MATH.md §1).
 *
 * Under a hard reservation (Q budget, P period) a job of length c that
 * starts on an idle server finishes within ceil(c/Q) * P.  With a local
 * deadline d = k P the stage meets d with probability
 *     phi(Q, P, d) = F(k Q),        F the CDF of the execution time.
 */
#ifndef SCHED_RESERVE_H
#define SCHED_RESERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/arrival.h"
#include "sched/dist.h"

/* ceil(c/Q) * P: the finishing time of a job of length c. Q > 0. */
uint64_t sched_finish_time(uint64_t c_ns, uint64_t budget_ns,
                           uint64_t period_ns);

/* phi(Q, P, d) = F(floor(d/P) * Q). */
double sched_stage_probability(const struct sched_dist *exec,
                               uint64_t budget_ns, uint64_t period_ns,
                               uint64_t deadline_ns);

/* Distribution of the response time ceil(C/Q) * P for C ~ exec. */
int sched_response_dist(struct sched_dist *out, const struct sched_dist *exec,
                        uint64_t budget_ns, uint64_t period_ns);

/* One menu item: a reservation and what it guarantees. */
struct sched_menu_item {
    uint64_t budget_ns;   /* Q */
    uint64_t period_ns;   /* P */
    uint64_t deadline_ns; /* d = k P */
    double utilization;   /* U = Q / P; (Q + g) / P on a platform whose
                             budgets overrun by up to g */
    double phi;           /* P(finish within d) */
};

struct sched_menu {
    struct sched_menu_item *v;
    size_t n;
};

#define SCHED_MENU_INIT                                                        \
    {                                                                          \
        NULL, 0                                                                \
    }

/*
 * What a menu may contain.  Empty lists take the documented defaults:
 *   periods    1, 2, 5, 10, 20, 50, 100 ms
 *   deadlines  k P for k = 1, 2, 3, 4
 *   budgets    for every period P and multiple k: every Q = ceil(c / k)
 *              with c a support point of the execution time (at most 64,
 *              taken at evenly spaced quantiles when there are more) --
 *              the budgets at which phi steps up -- and the grid
 *              P/20, 2P/20, ..., P; all rounded up to whole microseconds
 * Given lists replace the defaults: budgets are used as given, deadlines
 * are used with each period that divides them.
 */
struct sched_menu_spec {
    const uint64_t *periods_ns;
    size_t n_periods;
    const uint64_t *budgets_ns;
    size_t n_budgets;
    const uint64_t *deadlines_ns;
    size_t n_deadlines;
    uint64_t max_deadline_ns; /* drop items with d above (0: no limit) */
    double max_utilization;   /* drop items above (0: 1.0) */
    bool require_certain;     /* keep only phi = 1 (probability target 1) */
    /* Arrivals and platform (sched/arrival.h), or NULL: the idle ideal
     * server, phi = F(k Q).  With a context, phi = P(Y <= d) for the
     * stage's bound Y, items whose mean demand reaches the supply are
     * dropped, and an item's utilisation is what it takes on its core
     * with the platform's overrun: (Q + granularity) / P. */
    const struct sched_stage_ctx *stage;
};

/*
 * Build the menu of a service with execution time `exec`: all candidate
 * items, minus those with phi = 0, minus the dominated ones (another item
 * with U' <= U, d' <= d and phi' >= phi), keeping exactly the Pareto set
 * (one item per distinct (U, d, phi)).  Items are sorted by utilisation.
 * Returns 0 or PLC_ENOMEM; release with sched_menu_release().
 */
int sched_menu_build(struct sched_menu *m, const struct sched_dist *exec,
                     const struct sched_menu_spec *spec);

struct sched_task;

/*
 * The menu of a guest running its own task set (exec_time.tasks): for each
 * period (the spec's, else the defaults) whose minimum periodic-resource
 * interface exists, the item (Theta, Pi, largest task deadline, phi = 1)
 * (RT-Xen's compositional scheduling; MATH.md §5), pruned to the Pareto
 * set.  `policy` is an enum sched_policy.  Returns 0 or PLC_ENOMEM.
 */
int sched_menu_from_tasks(struct sched_menu *m, const struct sched_task *tasks,
                          size_t n, int policy,
                          const struct sched_menu_spec *spec);

/* Keep only the Pareto set of `m` (exposed for tests and callers that
 * assemble items themselves). */
void sched_menu_prune(struct sched_menu *m);

void sched_menu_release(struct sched_menu *m);

#endif
