/* Reservations and menus: the finishing-time rule, stage probabilities,
 * and pruning that keeps exactly the Pareto set. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sched/compose.h"
#include "sched/reserve.h"

#define MS 1000000ULL
#define US 1000ULL

Test(sched_reserve, a_job_finishes_within_ceil_c_over_q_periods)
{
    cr_assert_eq(sched_finish_time(1 * MS, 1 * MS, 5 * MS), 5 * MS);
    cr_assert_eq(sched_finish_time(1 * MS + 1, 1 * MS, 5 * MS), 10 * MS);
    cr_assert_eq(sched_finish_time(3 * MS, 1 * MS, 5 * MS), 15 * MS);
}

Test(sched_reserve, stage_probability_of_the_formats_example)
{
    /* mme: pmf 1ms 0.6, 2ms 0.3, 3ms 0.1 */
    uint64_t t[] = {1 * MS, 2 * MS, 3 * MS};
    double p[] = {0.6, 0.3, 0.1};
    struct sched_dist d = SCHED_DIST_INIT;
    sched_dist_from_pmf(&d, t, p, 3);
    cr_assert_float_eq(sched_stage_probability(&d, 1 * MS, 5 * MS, 5 * MS), 0.6,
                       1e-12);
    cr_assert_float_eq(sched_stage_probability(&d, 1 * MS, 5 * MS, 10 * MS),
                       0.9, 1e-12);
    cr_assert_float_eq(sched_stage_probability(&d, 2 * MS, 5 * MS, 10 * MS),
                       1.0, 1e-12);
    struct sched_dist r = SCHED_DIST_INIT;
    cr_assert_eq(sched_response_dist(&r, &d, 1 * MS, 5 * MS), 0);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.t_ns[2], 15 * MS);
    sched_dist_release(&d);
    sched_dist_release(&r);
}

static bool dominates(const struct sched_menu_item *a,
                      const struct sched_menu_item *b)
{
    __extension__ unsigned __int128 ua = (unsigned __int128)a->budget_ns *
                                         b->period_ns,
                                    ub = (unsigned __int128)b->budget_ns *
                                         a->period_ns;
    return ua <= ub && a->deadline_ns <= b->deadline_ns && a->phi >= b->phi;
}

Test(sched_reserve, pruning_keeps_exactly_the_pareto_set)
{
    srand(9);
    for (int k = 0; k < 300; k++) {
        size_t n = 1 + (size_t)(rand() % 120);
        struct sched_menu_item *all = malloc(n * sizeof *all);
        for (size_t i = 0; i < n; i++) {
            uint64_t p = (uint64_t)(1 + rand() % 4) * MS;
            uint64_t q = (uint64_t)(1 + rand() % 10) * p / 10;
            all[i] = (struct sched_menu_item){
                q, p, p * (uint64_t)(1 + rand() % 3), (double)q / p,
                (double)(1 + rand() % 5) / 5};
        }
        struct sched_menu m = {malloc(n * sizeof *all), n};
        for (size_t i = 0; i < n; i++)
            m.v[i] = all[i];
        sched_menu_prune(&m);
        /* brute force: an item belongs iff nothing else dominates it
         * strictly; among identical (U, d, phi) exactly one stays */
        size_t want = 0;
        for (size_t i = 0; i < n; i++) {
            bool out = false;
            for (size_t j = 0; j < n && !out; j++) {
                if (i == j || !dominates(&all[j], &all[i]))
                    continue;
                bool same = dominates(&all[i], &all[j]);
                out = !same || j < i;
            }
            want += !out;
        }
        cr_assert_eq(m.n, want, "round %d: %zu kept, %zu in the Pareto set", k,
                     m.n, want);
        for (size_t i = 0; i < m.n; i++)
            for (size_t j = 0; j < m.n; j++)
                if (i != j)
                    cr_assert_not(dominates(&m.v[j], &m.v[i]),
                                  "a kept item is dominated");
        /* every original item is dominated by (or equal to) a kept one */
        for (size_t i = 0; i < n; i++) {
            bool covered = false;
            for (size_t j = 0; j < m.n && !covered; j++)
                covered = dominates(&m.v[j], &all[i]);
            cr_assert(covered);
        }
        sched_menu_release(&m);
        free(all);
    }
}

Test(sched_reserve, default_menu_of_a_pmf_service)
{
    uint64_t t[] = {1 * MS, 2 * MS, 3 * MS};
    double p[] = {0.6, 0.3, 0.1};
    struct sched_dist d = SCHED_DIST_INIT;
    sched_dist_from_pmf(&d, t, p, 3);
    struct sched_menu_spec spec = {0};
    struct sched_menu m;
    cr_assert_eq(sched_menu_build(&m, &d, &spec), 0);
    cr_assert_gt(m.n, 5);
    for (size_t i = 0; i < m.n; i++) {
        cr_assert_gt(m.v[i].phi, 0);
        cr_assert_leq(m.v[i].budget_ns, m.v[i].period_ns);
        cr_assert_eq(m.v[i].deadline_ns % m.v[i].period_ns, 0);
        if (i)
            cr_assert_geq(m.v[i].utilization, m.v[i - 1].utilization);
    }
    /* phi = 1 with Q = 3 ms, P = 5 ms, d = 5 ms must be offered or
     * dominated: some item has U <= 0.6, d <= 5 ms, phi = 1 */
    bool found = false;
    for (size_t i = 0; i < m.n; i++)
        found |= m.v[i].utilization <= 0.6 + 1e-12 &&
                 m.v[i].deadline_ns <= 5 * MS && m.v[i].phi >= 1.0;
    cr_assert(found);
    sched_menu_release(&m);
    /* restrictions of FORMATS.md's example: P 5ms, Q 1..3ms, d 5..15ms */
    uint64_t per[] = {5 * MS}, bud[] = {1 * MS, 2 * MS, 3 * MS},
             dl[] = {5 * MS, 10 * MS, 15 * MS};
    struct sched_menu_spec r = {per, 1, bud, 3, dl, 3, 0, 0, false, NULL};
    cr_assert_eq(sched_menu_build(&m, &d, &r), 0);
    for (size_t i = 0; i < m.n; i++)
        cr_assert_eq(m.v[i].period_ns, 5 * MS);
    /* Q=1ms at d=15ms reaches phi=1 with U=0.2: nothing cheaper exists */
    cr_assert_eq(m.v[0].budget_ns, 1 * MS);
    cr_assert_float_eq(m.v[0].utilization, 0.2, 1e-12);
    sched_menu_release(&m);
    /* probability target 1: only phi = 1 items */
    spec.require_certain = true;
    cr_assert_eq(sched_menu_build(&m, &d, &spec), 0);
    for (size_t i = 0; i < m.n; i++)
        cr_assert_float_eq(m.v[i].phi, 1.0, 1e-12);
    sched_menu_release(&m);
    sched_dist_release(&d);
}

Test(sched_reserve, a_guest_task_set_gets_its_interfaces_as_menu)
{
    struct sched_task ts[] = {{7 * MS, 50 * MS, 50 * MS},
                              {9 * MS, 75 * MS, 75 * MS}};
    uint64_t per[] = {5 * MS, 10 * MS, 25 * MS};
    struct sched_menu_spec spec = {per, 3, NULL, 0, NULL, 0, 0, 0, false, NULL};
    struct sched_menu m;
    cr_assert_eq(sched_menu_from_tasks(&m, ts, 2, 0 /* EDF */, &spec), 0);
    /* all three share d = 75 ms and phi = 1: only the least bandwidth
     * (5 ms: 1345 us) survives */
    cr_assert_eq(m.n, 1);
    cr_assert_eq(m.v[0].period_ns, 5 * MS);
    cr_assert_eq(m.v[0].budget_ns, 1345 * US);
    cr_assert_eq(m.v[0].deadline_ns, 75 * MS);
    cr_assert_eq(m.v[0].phi, 1.0);
    sched_menu_release(&m);
}
