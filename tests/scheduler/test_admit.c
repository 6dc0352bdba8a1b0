/* Per-core admission and packing (MATH.md §6). */
#include <criterion/criterion.h>

#include "sched/admit.h"

Test(sched_admit, capacity_is_inclusive)
{
    cr_assert(sched_core_admits(0.6, 0.3, 0.9));
    cr_assert_not(sched_core_admits(0.6, 0.31, 0.9));
}

Test(sched_admit, first_fit_decreasing_packs_the_published_set_in_3_cores)
{
    const double u[] = {0.6, 0.5, 0.4, 0.3, 0.2};
    size_t core[5];
    cr_assert_eq(sched_pack(u, 5, 0.9, SCHED_FIRST_FIT, 100, core), 3);
    /* 0.6+0.3, 0.5+0.4, 0.2 */
    cr_assert_eq(core[0], core[3]);
    cr_assert_eq(core[1], core[2]);
    cr_assert_eq(sched_pack(u, 5, 0.9, SCHED_FIRST_FIT, 2, core), 0);
    /* worst fit spreads: also 3 cores, but 0.2 joins the emptiest */
    cr_assert_eq(sched_pack(u, 5, 0.9, SCHED_WORST_FIT, 100, core), 3);
    const double big[] = {0.95};
    cr_assert_eq(sched_pack(big, 1, 0.9, SCHED_FIRST_FIT, 100, core), 0);
}
