/*
 * sched/admit.h: per-core admission and partitioned packing.
 *
 * Partitioned EDF with implicit deadlines: a core admits reservations while
 * their utilisations sum to at most its capacity (MATH.md §1; 0.90 per CPU
 * for this kernel's SCHED_DEADLINE).  Bounds are inclusive and compared with
 * a 1e-9 tolerance so that a sum equal to the capacity is admitted.
 * Constrained deadlines use sched_schedulable() on a dedicated CPU.
 */
#ifndef SCHED_ADMIT_H
#define SCHED_ADMIT_H

#include <stdbool.h>
#include <stddef.h>

/* Does a core already loaded with `used` admit `extra` more? */
bool sched_core_admits(double used, double extra, double capacity);

enum sched_fit {
    SCHED_FIRST_FIT, /* lowest-numbered core that fits */
    SCHED_WORST_FIT, /* core with the most room left */
};

/*
 * Pack `n` utilisations into cores of `capacity`, items in decreasing order
 * (first-fit decreasing / worst-fit decreasing), opening a new core when
 * none fits, up to `max_cores`.  core_of[i] receives item i's core.
 * Returns the number of cores used, or 0 when the items need more than
 * max_cores (or one item alone exceeds the capacity), or PLC_ENOMEM.
 */
long sched_pack(const double *util, size_t n, double capacity,
                enum sched_fit fit, size_t max_cores, size_t *core_of);

#endif
