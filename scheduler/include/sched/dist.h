/*
 * sched/dist.h: discrete distributions of execution and response times.
 *
 * A distribution is a sorted support (nanoseconds, strictly increasing) with
 * positive probabilities summing to 1 (within 1e-9).  Every operation that
 * approximates rounds mass *up* in time, so a derived CDF is never above the
 * true one: a probability of meeting a deadline computed from it is never
 * optimistic.
 */
#ifndef SCHED_DIST_H
#define SCHED_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched_dist {
    size_t n;
    uint64_t *t_ns; /* support, strictly increasing */
    double *p;      /* probabilities, > 0 */
    bool exact;     /* false once a reduction rounded mass up */
};

#define SCHED_DIST_INIT                                                        \
    {                                                                          \
        0, NULL, NULL, true                                                    \
    }

/* A time that never meets a deadline: where an analysis puts mass it
 * cannot bound (a last support point at this value).  Convolution and
 * reduction keep it apart from the finite support. */
#define SCHED_TIME_INF (UINT64_MAX / 4)

/* Default support bound of sched_dist_reduce() used by convolutions. */
#define SCHED_DIST_MAX_POINTS 4096

void sched_dist_release(struct sched_dist *d);

/* Copy `src` into `dst` (released first).  Returns 0 or PLC_ENOMEM. */
int sched_dist_copy(struct sched_dist *dst, const struct sched_dist *src);

/* A point mass at `t_ns`. */
int sched_dist_point(struct sched_dist *d, uint64_t t_ns);

/* From (time, probability) pairs in any order: duplicates merge, zero
 * probabilities drop.  Returns 0, PLC_EINVAL (negative or non-finite
 * probability, nothing left) or PLC_ENOMEM. */
int sched_dist_from_pmf(struct sched_dist *d, const uint64_t *t_ns,
                        const double *p, size_t n);

/* The empirical distribution of `n` samples (each 1/n). */
int sched_dist_from_samples(struct sched_dist *d, const uint64_t *t_ns,
                            size_t n);

/*
 * A normal distribution truncated at 0 and discretised: cells of width
 * h = max(1 ns, ceil(sigma / 25)) from the truncation point to
 * mean + 8.3 sigma (the tail beyond is below 1e-16, under the resolution of
 * a double next to 1), each cell's mass placed at its upper end.  sigma = 0
 * is a point mass at the mean.
 */
int sched_dist_from_normal(struct sched_dist *d, uint64_t mean_ns,
                           uint64_t stddev_ns);

/* Times divided by a host speed (2.0 = twice as fast), rounded up to 1 ns:
 * the distribution on a host of that speed.  speed > 0. */
int sched_dist_scale(struct sched_dist *d, double speed);

/* P(X <= t). */
double sched_dist_cdf(const struct sched_dist *d, uint64_t t_ns);

/* Smallest support point t with P(X <= t) >= q (q in (0, 1]); the largest
 * point when q exceeds the total mass by rounding. */
uint64_t sched_dist_quantile(const struct sched_dist *d, double q);

double sched_dist_mean(const struct sched_dist *d);
double sched_dist_variance(const struct sched_dist *d);

/* Largest support point (the worst case). */
uint64_t sched_dist_max(const struct sched_dist *d);

/* Distribution of X + Y for independent X ~ a, Y ~ b, plus a constant
 * shift (network terms).  Exact; reduced to SCHED_DIST_MAX_POINTS points
 * when larger (then out->exact is false).  `out` may not alias a or b. */
int sched_dist_convolve(struct sched_dist *out, const struct sched_dist *a,
                        const struct sched_dist *b, uint64_t shift_ns);

/* Distribution of max(X, Y) for independent X ~ a, Y ~ b:
 * F(t) = Fa(t) Fb(t). */
int sched_dist_max_of(struct sched_dist *out, const struct sched_dist *a,
                      const struct sched_dist *b);

/*
 * Reduce to at most `max_points` points by moving every point's mass up to
 * the next point of a uniform grid over the support (the largest point is
 * kept).  Never lowers a time, so the CDF only decreases.  No-op when the
 * support is already small enough.
 */
int sched_dist_reduce(struct sched_dist *d, size_t max_points);

#endif
