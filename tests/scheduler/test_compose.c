/* Task sets inside resources: the published checks of MATH.md §5 and a
 * randomized cross-check of the exact tests against a discrete-time
 * simulation of the worst-case supply. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plc/error.h"
#include "plc/limits.h"
#include "sched/compose.h"

#define MS 1000000ULL
#define US 1000ULL

static struct sched_task task(uint64_t c, uint64_t t, uint64_t d)
{
    return (struct sched_task){c, t, d};
}

Test(sched_compose, sbf_of_gamma_3_2_is_the_published_sequence)
{
    struct sched_resource r = sched_resource_periodic(3, 2);
    const uint64_t want[] = {0, 0, 0, 1, 2, 2, 3, 4, 4, 5};
    for (uint64_t t = 0; t < 10; t++)
        cr_assert_eq(sched_sbf(&r, t), want[t], "sbf(%lu)", (unsigned long)t);
}

Test(sched_compose, edp_sbf_reduces_to_the_periodic_one_and_to_t)
{
    struct sched_resource edp = {10, 4, 10},
                          per = sched_resource_periodic(10, 4);
    for (uint64_t t = 0; t < 100; t++)
        cr_assert_eq(sched_sbf(&edp, t), sched_sbf(&per, t));
    struct sched_resource ded = sched_resource_dedicated();
    for (uint64_t t = 0; t < 5000; t += 7)
        cr_assert_eq(sched_sbf(&ded, t), t);
    /* an EDP resource with Delta < Pi supplies earlier: its blackout is
     * (Pi - Theta) + (Delta - Theta) = 6 + 2 = 8, not 2 (Pi - Theta) = 12 */
    struct sched_resource early = {10, 4, 6};
    cr_assert_eq(sched_sbf(&early, 8), 0);
    cr_assert_eq(sched_sbf(&early, 9), 1);
    cr_assert_eq(sched_sbf(&per, 12), 0);
    cr_assert_eq(sched_sbf(&per, 13), 1);
}

Test(sched_compose, kernel_documentation_set_is_edf_schedulable_at_density_1_1)
{
    /* Documentation/scheduler/sched-deadline.rst: (C, D, T) = (50, 50,
     * 100) and (10, 100, 100): density 1.1, yet schedulable by EDF */
    struct sched_task ts[] = {task(50 * MS, 100 * MS, 50 * MS),
                              task(10 * MS, 100 * MS, 100 * MS)};
    struct sched_resource cpu = sched_resource_dedicated();
    cr_assert_eq(sched_schedulable(ts, 2, SCHED_POLICY_EDF, &cpu), 1);
    cr_assert_eq(sched_dbf(ts, 2, 50 * MS), 50 * MS);
    cr_assert_eq(sched_dbf(ts, 2, 100 * MS), 60 * MS);
    /* one more millisecond of the first task breaks it at t = 50 ms */
    ts[0].wcet_ns = 51 * MS;
    cr_assert_eq(sched_schedulable(ts, 2, SCHED_POLICY_EDF, &cpu), 0);
}

Test(sched_compose, one_four_two_six_three_eight_is_edf_but_not_rm)
{
    struct sched_task ts[] = {task(1 * MS, 4 * MS, 4 * MS),
                              task(2 * MS, 6 * MS, 6 * MS),
                              task(3 * MS, 8 * MS, 8 * MS)};
    struct sched_resource cpu = sched_resource_dedicated();
    cr_assert(fabs(sched_utilization(ts, 3) - 23.0 / 24) < 1e-12);
    cr_assert_eq(sched_schedulable(ts, 3, SCHED_POLICY_EDF, &cpu), 1);
    cr_assert_eq(sched_schedulable(ts, 3, SCHED_POLICY_RM, &cpu), 0);
}

Test(sched_compose, liu_layland_bounds)
{
    cr_assert(fabs(sched_liu_layland_bound(2) - 0.8284) < 5e-5);
    cr_assert(fabs(sched_liu_layland_bound(3) - 0.7798) < 5e-5);
    cr_assert_eq(sched_liu_layland_bound(1), 1.0);
}

Test(sched_compose, every_set_under_the_liu_layland_bound_is_rm_schedulable)
{
    srand(11);
    struct sched_resource cpu = sched_resource_dedicated();
    int tested = 0;
    for (int k = 0; k < 3000; k++) {
        size_t n = 2 + (size_t)(rand() % 4);
        struct sched_task ts[6];
        for (size_t i = 0; i < n; i++) {
            uint64_t t = (uint64_t)(5 + rand() % 200) * US;
            uint64_t c = 1 + (uint64_t)rand() % (t / n);
            ts[i] = task(c, t, t);
        }
        if (sched_utilization(ts, n) > sched_liu_layland_bound(n))
            continue;
        tested++;
        cr_assert_eq(sched_schedulable(ts, n, SCHED_POLICY_RM, &cpu), 1);
    }
    cr_assert_gt(tested, 500);
}

/* The largest period SCHED_DEADLINE accepts is answered at once (the
 * search steps through its microseconds); one beyond is refused, where
 * 2^64 ns once looped for good. */
Test(sched_compose, minimum_budgets_end_at_the_kernel_period_limit)
{
    struct sched_task ts[] = {
        task(7 * MS, 50 * MS, 50 * MS),
        task(1 * MS, 18446744073ULL * 1000 * MS, 18446744073ULL * 1000 * MS)};
    uint64_t q;
    for (int p = 0; p < 3; p++)
        cr_assert_eq(sched_min_budget(ts, 2, (enum sched_policy)p,
                                      PLC_PERIOD_MAX_NS, &q),
                     1, "policy %d", p);
    /* a 50 ms deadline under a 4.19 s period: 2 (Pi - Theta) < 50 ms */
    cr_assert_gt(q, PLC_PERIOD_MAX_NS - 25 * MS);
    cr_assert_eq(
        sched_min_budget(ts, 2, SCHED_POLICY_EDF, PLC_PERIOD_MAX_NS + 1000, &q),
        PLC_EINVAL);
    cr_assert_eq(
        sched_min_budget(ts, 2, SCHED_POLICY_EDF, 18446744073000000ULL, &q),
        PLC_EINVAL);
}

Test(sched_compose, compositional_interface_of_the_example_task_set)
{
    /* (7 ms, 50 ms) and (9 ms, 75 ms), U = 0.26, inside a 10 ms period */
    struct sched_task ts[] = {task(7 * MS, 50 * MS, 50 * MS),
                              task(9 * MS, 75 * MS, 75 * MS)};
    uint64_t q;
    cr_assert_eq(sched_min_budget(ts, 2, SCHED_POLICY_EDF, 10 * MS, &q), 1);
    cr_assert_eq(q % US, 0);
    struct sched_resource r = sched_resource_periodic(10 * MS, q);
    cr_assert_eq(sched_schedulable(ts, 2, SCHED_POLICY_EDF, &r), 1);
    r.budget_ns = q - US;
    cr_assert_eq(sched_schedulable(ts, 2, SCHED_POLICY_EDF, &r), 0);
    cr_assert_geq((double)q / (10 * MS), 0.26);
    /* selecting over periods: shorter periods cost less bandwidth here */
    const uint64_t periods[] = {5 * MS, 10 * MS, 25 * MS, 100 * MS};
    struct sched_interface out[4];
    long best =
        sched_select_interface(ts, 2, SCHED_POLICY_EDF, periods, 4, out);
    cr_assert_geq(best, 0);
    for (int i = 0; i < 4; i++)
        if (out[i].feasible)
            cr_assert_leq(out[best].bandwidth, out[i].bandwidth);
    /* a 100 ms period must nearly dedicate the CPU: its blackout of
     * 2 (Pi - Theta) has to fit before the 50 ms deadline's slack */
    cr_assert(out[3].feasible);
    cr_assert_gt(out[3].bandwidth, 0.75, "%f", out[3].bandwidth);
    for (int i = 0; i < 4; i++)
        cr_log_info("period %lu ms: budget %lu us, bandwidth %.4f",
                    (unsigned long)(out[i].period_ns / MS),
                    (unsigned long)(out[i].budget_ns / US), out[i].bandwidth);
}

/* ---- the simulator -------------------------------------------------------
 * Discrete time in units of 1 us.  The worst-case supply of Gamma(Pi,
 * Theta) relative to a synchronous release at 0: nothing for 2(Pi - Theta),
 * then Theta units, then Pi - Theta idle, repeating.  Every job of every
 * task is released at k T_i with deadline k T_i + D_i; EDF or fixed
 * priorities run the ready job of highest priority in each supplied unit.
 */
static bool supplied(long t, long pi, long th)
{
    long b = pi - th;
    if (th == 0 || t < 2 * b)
        return false;
    return (t - 2 * b) % pi < th;
}

static long lcm(long a, long b)
{
    long x = a, y = b;
    while (y) {
        long r = x % y;
        x = y;
        y = r;
    }
    return a / x * b;
}

/* true when every job meets its deadline up to the horizon */
static bool simulate(const long (*ts)[3], int n, bool edf, long pi, long th)
{
    long h = pi, dmax = 0;
    for (int i = 0; i < n; i++) {
        h = lcm(h, ts[i][1]);
        if (ts[i][2] > dmax)
            dmax = ts[i][2];
    }
    h += dmax + 2 * pi;
    long rem[8] = {0}, dl[8] = {0};
    for (long t = 0; t < h; t++) {
        for (int i = 0; i < n; i++) {
            if (t % ts[i][1] == 0) {
                if (rem[i] > 0)
                    return false; /* previous job still running */
                rem[i] = ts[i][0];
                dl[i] = t + ts[i][2];
            }
            if (rem[i] > 0 && t >= dl[i])
                return false;
        }
        if (!supplied(t, pi, th))
            continue;
        int pick = -1;
        for (int i = 0; i < n; i++) {
            if (rem[i] == 0)
                continue;
            bool better;
            if (pick < 0)
                better = true;
            else if (edf)
                better = dl[i] < dl[pick];
            else
                better = ts[i][1] < ts[pick][1];
            if (better)
                pick = i;
        }
        if (pick >= 0)
            rem[pick]--;
    }
    return true;
}

static void cross_check(bool edf, unsigned seed, int want_sets)
{
    srand(seed);
    int sets = 0, infeasible = 0;
    while (sets < want_sets) {
        int n = 1 + rand() % 4;
        long ts[4][3];
        struct sched_task st[4];
        double u = 0;
        for (int i = 0; i < n; i++) {
            long t = 3 + rand() % 22;
            long c = 1 + rand() % (t / 2);
            long d = c + rand() % (t - c + 1);
            ts[i][0] = c;
            ts[i][1] = t;
            ts[i][2] = d;
            st[i] = task((uint64_t)c * US, (uint64_t)t * US, (uint64_t)d * US);
            u += (double)c / (double)t;
        }
        if (u > 0.95)
            continue;
        long pi = 2 + rand() % 10;
        uint64_t q;
        int rc = sched_min_budget(st, (size_t)n,
                                  edf ? SCHED_POLICY_EDF : SCHED_POLICY_RM,
                                  (uint64_t)pi * US, &q);
        cr_assert_geq(rc, 0);
        sets++;
        if (rc == 0) {
            infeasible++;
            cr_assert_not(simulate((const long(*)[3])ts, n, edf, pi, pi),
                          "set %d: no budget found but Theta = Pi works", sets);
            continue;
        }
        long th = (long)(q / US);
        cr_assert(simulate((const long(*)[3])ts, n, edf, pi, th),
                  "set %d: misses at the computed minimum %ld/%ld", sets, th,
                  pi);
        cr_assert_not(simulate((const long(*)[3])ts, n, edf, pi, th - 1),
                      "set %d: still schedulable one us below %ld/%ld", sets,
                      th, pi);
        /* and the exact test agrees with itself at both budgets */
        struct sched_resource r = sched_resource_periodic((uint64_t)pi * US, q);
        enum sched_policy pol = edf ? SCHED_POLICY_EDF : SCHED_POLICY_RM;
        cr_assert_eq(sched_schedulable(st, (size_t)n, pol, &r), 1);
        r.budget_ns -= US;
        cr_assert_eq(sched_schedulable(st, (size_t)n, pol, &r), 0);
    }
    cr_assert_lt(infeasible, want_sets, "every set was infeasible");
}

Test(sched_compose, edf_minimum_budgets_agree_with_the_simulator)
{
    cross_check(true, 1, 2000);
}

Test(sched_compose, rm_minimum_budgets_agree_with_the_simulator)
{
    cross_check(false, 2, 2000);
}
