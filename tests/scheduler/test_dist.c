/* Distributions: construction, CDF and quantiles, and convolution and max
 * checked against brute-force enumeration. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "sched/dist.h"

#define MS 1000000ULL

static void random_pmf(struct sched_dist *d, size_t n, uint64_t step,
                       uint64_t spread)
{
    uint64_t t[16];
    double p[16], s = 0;
    for (size_t i = 0; i < n; i++) {
        t[i] = (1 + (uint64_t)rand() % spread) * step;
        p[i] = 0.05 + (double)rand() / RAND_MAX;
        s += p[i];
    }
    for (size_t i = 0; i < n; i++)
        p[i] /= s;
    cr_assert_eq(sched_dist_from_pmf(d, t, p, n), 0);
}

Test(sched_dist, pmf_merges_duplicates_and_sorts)
{
    uint64_t t[] = {3 * MS, 1 * MS, 3 * MS, 2 * MS};
    double p[] = {0.25, 0.25, 0.25, 0.25};
    struct sched_dist d = SCHED_DIST_INIT;
    cr_assert_eq(sched_dist_from_pmf(&d, t, p, 4), 0);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.t_ns[0], 1 * MS);
    cr_assert_eq(d.t_ns[2], 3 * MS);
    cr_assert_float_eq(d.p[2], 0.5, 1e-15);
    cr_assert_float_eq(sched_dist_cdf(&d, 2 * MS), 0.5, 1e-15);
    cr_assert_float_eq(sched_dist_cdf(&d, 2 * MS - 1), 0.25, 1e-15);
    cr_assert_eq(sched_dist_quantile(&d, 0.5), 2 * MS);
    cr_assert_eq(sched_dist_quantile(&d, 0.51), 3 * MS);
    cr_assert_float_eq(sched_dist_mean(&d), 2.25 * MS, 1e-6);
    cr_assert_float_eq(sched_dist_variance(&d),
                       0.25 * 1.5625e12 + 0.25 * 0.0625e12 + 0.5 * 0.5625e12,
                       1);
    sched_dist_release(&d);
}

Test(sched_dist, samples_are_equally_likely)
{
    uint64_t s[] = {5, 1, 5, 9};
    struct sched_dist d = SCHED_DIST_INIT;
    cr_assert_eq(sched_dist_from_samples(&d, s, 4), 0);
    cr_assert_eq(d.n, 3);
    cr_assert_float_eq(d.p[1], 0.5, 1e-15);
    sched_dist_release(&d);
}

Test(sched_dist, normal_is_truncated_discretised_and_never_optimistic)
{
    struct sched_dist d = SCHED_DIST_INIT;
    cr_assert_eq(sched_dist_from_normal(&d, 4 * MS, 1 * MS), 0);
    double total = 0;
    for (size_t i = 0; i < d.n; i++)
        total += d.p[i];
    cr_assert_float_eq(total, 1.0, 1e-12);
    cr_assert_float_eq(sched_dist_mean(&d), 4 * MS, 0.05 * MS);
    /* the CDF at each support point is at most the true normal CDF */
    for (size_t i = 0; i + 1 < d.n; i++) {
        double x = ((double)d.t_ns[i] - 4e6) / 1e6;
        double truth = 0.5 * erfc(-x / sqrt(2.0));
        double trunc = (truth - 0.5 * erfc(4 / sqrt(2.0))) /
                       (1 - 0.5 * erfc(4 / sqrt(2.0)));
        cr_assert_leq(sched_dist_cdf(&d, d.t_ns[i]), trunc + 1e-12);
    }
    /* truncation at 0: a mean of 1 ms with sigma 2 ms has no mass below 0 */
    cr_assert_eq(sched_dist_from_normal(&d, 1 * MS, 2 * MS), 0);
    cr_assert_gt(d.t_ns[0], 0);
    cr_assert_eq(sched_dist_from_normal(&d, 3 * MS, 0), 0);
    cr_assert_eq(d.n, 1);
    sched_dist_release(&d);
}

Test(sched_dist, speed_scales_times_rounding_up)
{
    uint64_t t[] = {3, 10};
    double p[] = {0.5, 0.5};
    struct sched_dist d = SCHED_DIST_INIT;
    sched_dist_from_pmf(&d, t, p, 2);
    cr_assert_eq(sched_dist_scale(&d, 2.0), 0);
    cr_assert_eq(d.t_ns[0], 2); /* 1.5 rounds up */
    cr_assert_eq(d.t_ns[1], 5);
    sched_dist_release(&d);
}

/* P(X + Y + shift <= t) by enumeration */
static double brute_sum_cdf(const struct sched_dist *a,
                            const struct sched_dist *b, uint64_t shift,
                            uint64_t t)
{
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (a->t_ns[i] + b->t_ns[j] + shift <= t)
                s += a->p[i] * b->p[j];
    return s;
}

static double brute_max_cdf(const struct sched_dist *a,
                            const struct sched_dist *b, uint64_t t)
{
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++)
            if (a->t_ns[i] <= t && b->t_ns[j] <= t)
                s += a->p[i] * b->p[j];
    return s;
}

Test(sched_dist, convolution_and_max_match_brute_force)
{
    srand(3);
    for (int k = 0; k < 500; k++) {
        struct sched_dist a = SCHED_DIST_INIT, b = SCHED_DIST_INIT,
                          c = SCHED_DIST_INIT, m = SCHED_DIST_INIT;
        /* lattice supports (dense path) and arbitrary ones (sort path) */
        uint64_t step = k % 2 ? 1000 : 1, spread = k % 2 ? 50 : 10000000;
        random_pmf(&a, 1 + (size_t)(rand() % 8), step, spread);
        random_pmf(&b, 1 + (size_t)(rand() % 8), step, spread);
        uint64_t shift = (uint64_t)(rand() % 3) * 777;
        cr_assert_eq(sched_dist_convolve(&c, &a, &b, shift), 0);
        cr_assert_eq(sched_dist_max_of(&m, &a, &b), 0);
        cr_assert(c.exact);
        for (size_t i = 0; i < a.n; i++)
            for (size_t j = 0; j < b.n; j++) {
                uint64_t t = a.t_ns[i] + b.t_ns[j] + shift;
                cr_assert_float_eq(sched_dist_cdf(&c, t),
                                   brute_sum_cdf(&a, &b, shift, t), 1e-12);
                cr_assert_float_eq(sched_dist_cdf(&c, t - 1),
                                   brute_sum_cdf(&a, &b, shift, t - 1), 1e-12);
                uint64_t u = a.t_ns[i] > b.t_ns[j] ? a.t_ns[i] : b.t_ns[j];
                cr_assert_float_eq(sched_dist_cdf(&m, u),
                                   brute_max_cdf(&a, &b, u), 1e-12);
                cr_assert_float_eq(sched_dist_cdf(&m, u - 1),
                                   brute_max_cdf(&a, &b, u - 1), 1e-12);
            }
        sched_dist_release(&a);
        sched_dist_release(&b);
        sched_dist_release(&c);
        sched_dist_release(&m);
    }
}

Test(sched_dist, reduction_bounds_the_support_and_only_moves_mass_up)
{
    srand(5);
    struct sched_dist a = SCHED_DIST_INIT, r = SCHED_DIST_INIT;
    uint64_t t[1000];
    double p[1000];
    for (int i = 0; i < 1000; i++) {
        t[i] = (uint64_t)rand() % 1000000;
        p[i] = 1.0 / 1000;
    }
    cr_assert_eq(sched_dist_from_pmf(&a, t, p, 1000), 0);
    cr_assert_eq(sched_dist_copy(&r, &a), 0);
    cr_assert_eq(sched_dist_reduce(&r, 50), 0);
    cr_assert_leq(r.n, 50);
    cr_assert_not(r.exact);
    cr_assert_eq(sched_dist_max(&r), sched_dist_max(&a));
    for (uint64_t x = 0; x < 1000000; x += 997)
        cr_assert_leq(sched_dist_cdf(&r, x), sched_dist_cdf(&a, x) + 1e-12);
    sched_dist_release(&a);
    sched_dist_release(&r);
}
