/* Probability bounds and the exact end-to-end distribution, which is never
 * below the bound. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "sched/prob.h"
#include "sched/reserve.h"

#define MS 1000000ULL

Test(sched_prob, product_union_and_moment_bounds)
{
    double phi[] = {0.9, 0.95, 1.0};
    cr_assert_float_eq(sched_prob_independent(phi, 3), 0.855, 1e-12);
    cr_assert_float_eq(sched_prob_union(phi, 3), 0.85, 1e-12);
    cr_assert(sched_prob_meets(0.855, 0.855 + 1e-12));
    cr_assert_not(sched_prob_meets(0.85, 0.86));
    cr_assert_float_eq(sched_normal_quantile(0.99), 2.326347874, 1e-8);
    cr_assert_float_eq(sched_normal_quantile(0.5), 0.0, 1e-12);
    cr_assert_float_eq(sched_cantelli_k(0.99), sqrt(99.0), 1e-12);
    cr_assert_float_eq(sched_moment_bound_cantelli(10, 1, 0.8), 12, 1e-12);
}

Test(sched_prob, exact_chain_probability_is_never_below_the_bounds)
{
    srand(21);
    for (int k = 0; k < 300; k++) {
        size_t n = 2 + (size_t)(rand() % 6);
        struct sched_dist stage[8];
        double phi[8];
        uint64_t sum_d = 0;
        struct sched_dag_edge edges[8];
        for (size_t v = 0; v < n; v++) {
            uint64_t t[5];
            double p[5], s = 0;
            for (int i = 0; i < 5; i++) {
                t[i] = (uint64_t)(1 + rand() % 40) * 100000;
                p[i] = 0.1 + (double)rand() / RAND_MAX;
                s += p[i];
            }
            for (int i = 0; i < 5; i++)
                p[i] /= s;
            struct sched_dist exec = SCHED_DIST_INIT;
            sched_dist_from_pmf(&exec, t, p, 5);
            uint64_t per = (uint64_t)(1 + rand() % 5) * MS;
            uint64_t q = per * (uint64_t)(2 + rand() % 8) / 10;
            uint64_t d = per * (uint64_t)(1 + rand() % 4);
            phi[v] = sched_stage_probability(&exec, q, per, d);
            stage[v] = (struct sched_dist)SCHED_DIST_INIT;
            cr_assert_eq(sched_response_dist(&stage[v], &exec, q, per), 0);
            sched_dist_release(&exec);
            sum_d += d;
            if (v)
                edges[v - 1] = (struct sched_dag_edge){v - 1, v, 100000};
        }
        uint64_t deadline = sum_d + (n - 1) * 100000;
        struct sched_dist e2e = SCHED_DIST_INIT;
        bool exact;
        cr_assert_eq(sched_e2e_dist(stage, n, edges, n - 1, &e2e, &exact), 0);
        cr_assert(exact);
        double pe = sched_dist_cdf(&e2e, deadline);
        cr_assert_geq(pe, sched_prob_independent(phi, n) - 1e-12);
        cr_assert_geq(pe, sched_prob_union(phi, n) - 1e-12);
        sched_dist_release(&e2e);
        for (size_t v = 0; v < n; v++)
            sched_dist_release(&stage[v]);
    }
}

Test(sched_prob, fork_join_with_a_shared_stage_is_reported_inexact)
{
    /* 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3: stage 0 is shared by both paths */
    struct sched_dist st[4];
    for (int v = 0; v < 4; v++) {
        uint64_t t[] = {1 * MS, 2 * MS};
        double p[] = {0.5, 0.5};
        st[v] = (struct sched_dist)SCHED_DIST_INIT;
        sched_dist_from_pmf(&st[v], t, p, 2);
    }
    struct sched_dag_edge e[] = {{0, 1, 0}, {0, 2, 0}, {1, 3, 0}, {2, 3, 0}};
    struct sched_dist out = SCHED_DIST_INIT;
    bool exact;
    cr_assert_eq(sched_e2e_dist(st, 4, e, 4, &out, &exact), 0);
    cr_assert_not(exact);
    /* T = R0 + max(R1, R2) + R3, each 1 or 2 ms with 1/2.  By hand:
     * R0 = 1: max + R3 <= 4 always; R0 = 2: max + R3 <= 3 with
     * P = 1/4 (max = 1) + 3/4 * 1/2 (max = 2, R3 = 1) = 5/8; so
     * P(T <= 5) = 1/2 + 5/16 = 0.8125.  Treating R0 + R1 and R0 + R2 as
     * independent gives 1/2 + (3/4)^2 / 2 = 0.78125: lower, as the
     * association argument promises. */
    cr_assert_float_eq(sched_dist_cdf(&out, 5 * MS), 0.78125, 1e-12);
    cr_assert_leq(sched_dist_cdf(&out, 5 * MS), 0.8125);
    /* an in-tree (disjoint paths) is exact */
    struct sched_dag_edge tree[] = {{0, 2, 0}, {1, 2, 0}, {2, 3, 0}};
    cr_assert_eq(sched_e2e_dist(st, 4, tree, 3, &out, &exact), 0);
    cr_assert(exact);
    sched_dist_release(&out);
    for (int v = 0; v < 4; v++)
        sched_dist_release(&st[v]);
}
