/* dist.c: discrete distributions (see sched/dist.h). */
#include "plc/num.h"
#include "sched/dist.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sched_dist_release(struct sched_dist *d)
{
    free(d->t_ns);
    free(d->p);
    d->t_ns = NULL;
    d->p = NULL;
    d->n = 0;
    d->exact = true;
}

/* Allocate room for n points (contents undefined). */
static int dist_alloc(struct sched_dist *d, size_t n)
{
    sched_dist_release(d);
    d->t_ns = malloc((n ? n : 1) * sizeof *d->t_ns);
    d->p = malloc((n ? n : 1) * sizeof *d->p);
    if (!d->t_ns || !d->p) {
        sched_dist_release(d);
        return PLC_ENOMEM;
    }
    d->n = n;
    return 0;
}

int sched_dist_copy(struct sched_dist *dst, const struct sched_dist *src)
{
    if (dist_alloc(dst, src->n) < 0)
        return PLC_ENOMEM;
    memcpy(dst->t_ns, src->t_ns, src->n * sizeof *src->t_ns);
    memcpy(dst->p, src->p, src->n * sizeof *src->p);
    dst->exact = src->exact;
    return 0;
}

int sched_dist_point(struct sched_dist *d, uint64_t t_ns)
{
    if (dist_alloc(d, 1) < 0)
        return PLC_ENOMEM;
    d->t_ns[0] = t_ns;
    d->p[0] = 1.0;
    return 0;
}

struct point {
    uint64_t t;
    double p;
};

static int cmp_point(const void *a, const void *b)
{
    uint64_t x = ((const struct point *)a)->t, y = ((const struct point *)b)->t;
    return (x > y) - (x < y);
}

/* Sort points, merge equal times, drop zero mass, store in d. */
static int from_points(struct sched_dist *d, struct point *pts, size_t n)
{
    qsort(pts, n, sizeof *pts, cmp_point);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (pts[i].p <= 0)
            continue;
        if (k > 0 && pts[k - 1].t == pts[i].t)
            pts[k - 1].p += pts[i].p;
        else
            pts[k++] = pts[i];
    }
    if (k == 0)
        return PLC_EINVAL;
    if (dist_alloc(d, k) < 0)
        return PLC_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        d->t_ns[i] = pts[i].t;
        d->p[i] = pts[i].p;
    }
    return 0;
}

int sched_dist_from_pmf(struct sched_dist *d, const uint64_t *t_ns,
                        const double *p, size_t n)
{
    struct point *pts = malloc((n ? n : 1) * sizeof *pts);
    if (!pts)
        return PLC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(p[i] >= 0) || !isfinite(p[i])) {
            free(pts);
            return PLC_EINVAL;
        }
        pts[i] = (struct point){t_ns[i], p[i]};
    }
    int rc = from_points(d, pts, n);
    free(pts);
    return rc;
}

int sched_dist_from_samples(struct sched_dist *d, const uint64_t *t_ns,
                            size_t n)
{
    struct point *pts = malloc((n ? n : 1) * sizeof *pts);
    if (!pts)
        return PLC_ENOMEM;
    for (size_t i = 0; i < n; i++)
        pts[i] = (struct point){t_ns[i], 1.0 / (double)n};
    int rc = from_points(d, pts, n);
    free(pts);
    return rc;
}

/* Standard normal CDF. */
static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

int sched_dist_from_normal(struct sched_dist *d, uint64_t mean_ns,
                           uint64_t stddev_ns)
{
    if (stddev_ns == 0)
        return sched_dist_point(d, mean_ns);
    double mu = (double)mean_ns, sigma = (double)stddev_ns;
    uint64_t h = (stddev_ns + 24) / 25;
    double lo = mu - 8.3 * sigma, hi = mu + 8.3 * sigma;
    /* first cell: everything from the truncation point 0 up to its upper
     * edge; then cells of width h up to the last edge >= hi */
    uint64_t first = lo > 0 ? ((uint64_t)lo / h + 1) * h : h;
    size_t n = (size_t)((hi - (double)first) / (double)h) + 2;
    if (dist_alloc(d, n) < 0)
        return PLC_ENOMEM;
    double z = 1.0 - phi(-mu / sigma); /* truncation at 0 */
    double prev = phi(-mu / sigma);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t edge = first + i * h;
        double c = i + 1 == n ? 1.0 : phi(((double)edge - mu) / sigma);
        double m = (c - prev) / z;
        prev = c;
        if (m <= 0)
            continue;
        d->t_ns[k] = edge;
        d->p[k] = m;
        k++;
    }
    d->n = k;
    return k ? 0 : PLC_EINVAL;
}

int sched_dist_scale(struct sched_dist *d, double speed)
{
    if (!(speed > 0) || !isfinite(speed))
        return PLC_EINVAL;
    if (speed == 1.0)
        return 0;
    struct point *pts = malloc((d->n ? d->n : 1) * sizeof *pts);
    if (!pts)
        return PLC_ENOMEM;
    for (size_t i = 0; i < d->n; i++)
        pts[i] =
            (struct point){(uint64_t)ceil((double)d->t_ns[i] / speed), d->p[i]};
    bool exact = d->exact;
    int rc = from_points(d, pts, d->n);
    d->exact = exact;
    free(pts);
    return rc;
}

double sched_dist_cdf(const struct sched_dist *d, uint64_t t_ns)
{
    /* at or past the worst case the answer is 1, whatever rounding the
     * summed probabilities carry */
    if (d->n && t_ns >= d->t_ns[d->n - 1])
        return 1.0;
    double c = 0;
    for (size_t i = 0; i < d->n && d->t_ns[i] <= t_ns; i++)
        c += d->p[i];
    return c > 1.0 ? 1.0 : c;
}

uint64_t sched_dist_quantile(const struct sched_dist *d, double q)
{
    double c = 0;
    for (size_t i = 0; i < d->n; i++) {
        c += d->p[i];
        if (c >= q - 1e-12)
            return d->t_ns[i];
    }
    return d->n ? d->t_ns[d->n - 1] : 0;
}

double sched_dist_mean(const struct sched_dist *d)
{
    double m = 0;
    for (size_t i = 0; i < d->n; i++)
        m += (double)d->t_ns[i] * d->p[i];
    return m;
}

double sched_dist_variance(const struct sched_dist *d)
{
    double m = sched_dist_mean(d), v = 0;
    for (size_t i = 0; i < d->n; i++) {
        double x = (double)d->t_ns[i] - m;
        v += x * x * d->p[i];
    }
    return v;
}

uint64_t sched_dist_max(const struct sched_dist *d)
{
    return d->n ? d->t_ns[d->n - 1] : 0;
}

/* Common step of the supports of a and b relative to their minima. */
static uint64_t lattice_step(const struct sched_dist *a,
                             const struct sched_dist *b)
{
    uint64_t g = 0;
    for (size_t i = 1; i < a->n; i++)
        g = plc_gcd64(g, a->t_ns[i] - a->t_ns[0]);
    for (size_t i = 1; i < b->n; i++)
        g = plc_gcd64(g, b->t_ns[i] - b->t_ns[0]);
    return g ? g : 1;
}

/* X + Y on a common lattice: a dense array indexed by (t - min) / step. */
static int convolve_dense(struct sched_dist *out, const struct sched_dist *a,
                          const struct sched_dist *b, uint64_t base,
                          uint64_t step, size_t cells)
{
    double *acc = calloc(cells, sizeof *acc);
    size_t *jb = malloc(b->n * sizeof *jb);
    if (!acc || !jb) {
        free(acc);
        free(jb);
        return PLC_ENOMEM;
    }
    /* cell offsets of b once, so the inner loop has no division */
    for (size_t j = 0; j < b->n; j++)
        jb[j] = (size_t)((b->t_ns[j] - b->t_ns[0]) / step);
    for (size_t i = 0; i < a->n; i++) {
        double *row = acc + (a->t_ns[i] - a->t_ns[0]) / step;
        double pa = a->p[i];
        for (size_t j = 0; j < b->n; j++)
            row[jb[j]] += pa * b->p[j];
    }
    free(jb);
    size_t k = 0;
    for (size_t c = 0; c < cells; c++)
        k += acc[c] > 0;
    int rc = dist_alloc(out, k);
    for (size_t c = 0, o = 0; rc == 0 && c < cells; c++)
        if (acc[c] > 0) {
            out->t_ns[o] = base + c * step;
            out->p[o++] = acc[c];
        }
    free(acc);
    return rc;
}

/* The finite part of `d`: a view without its point at SCHED_TIME_INF. */
static struct sched_dist finite_part(const struct sched_dist *d)
{
    struct sched_dist v = *d;
    if (v.n && v.t_ns[v.n - 1] >= SCHED_TIME_INF)
        v.n--;
    return v;
}

static int convolve_finite(struct sched_dist *out, const struct sched_dist *a,
                           const struct sched_dist *b, uint64_t shift_ns);

int sched_dist_convolve(struct sched_dist *out, const struct sched_dist *a,
                        const struct sched_dist *b, uint64_t shift_ns)
{
    if (a->n == 0 || b->n == 0)
        return PLC_EINVAL;
    struct sched_dist fa = finite_part(a), fb = finite_part(b);
    if (fa.n == a->n && fb.n == b->n)
        return convolve_finite(out, a, b, shift_ns);
    /* mass that is never bounded stays so: X + Y is finite only where
     * both are */
    if (fa.n == 0 || fb.n == 0) {
        int rc = sched_dist_point(out, SCHED_TIME_INF);
        if (rc == 0)
            out->exact = false;
        return rc;
    }
    int rc = convolve_finite(out, &fa, &fb, shift_ns);
    if (rc < 0)
        return rc;
    double m = 0;
    for (size_t i = 0; i < out->n; i++)
        m += out->p[i];
    uint64_t *t = realloc(out->t_ns, (out->n + 1) * sizeof *t);
    if (!t)
        return PLC_ENOMEM;
    out->t_ns = t;
    double *p = realloc(out->p, (out->n + 1) * sizeof *p);
    if (!p)
        return PLC_ENOMEM;
    out->p = p;
    if (m < 1) {
        out->t_ns[out->n] = SCHED_TIME_INF;
        out->p[out->n++] = 1 - m;
    }
    out->exact = false;
    return 0;
}

static int convolve_finite(struct sched_dist *out, const struct sched_dist *a,
                           const struct sched_dist *b, uint64_t shift_ns)
{
    uint64_t base = a->t_ns[0] + b->t_ns[0] + shift_ns;
    uint64_t step = lattice_step(a, b);
    uint64_t span =
        (sched_dist_max(a) - a->t_ns[0]) + (sched_dist_max(b) - b->t_ns[0]);
    uint64_t cells = span / step + 1;
    int rc;
    if (cells <= (1u << 16) || cells <= 4 * (uint64_t)a->n * b->n) {
        rc = convolve_dense(out, a, b, base, step, (size_t)cells);
    } else {
        /* no small common lattice: all sums, sorted and merged */
        size_t n = a->n * b->n;
        struct point *pts = malloc(n * sizeof *pts);
        if (!pts)
            return PLC_ENOMEM;
        for (size_t i = 0, k = 0; i < a->n; i++)
            for (size_t j = 0; j < b->n; j++, k++)
                pts[k] = (struct point){a->t_ns[i] + b->t_ns[j] + shift_ns,
                                        a->p[i] * b->p[j]};
        rc = from_points(out, pts, n);
        free(pts);
    }
    if (rc < 0)
        return rc;
    out->exact = a->exact && b->exact;
    return sched_dist_reduce(out, SCHED_DIST_MAX_POINTS);
}

int sched_dist_max_of(struct sched_dist *out, const struct sched_dist *a,
                      const struct sched_dist *b)
{
    if (a->n == 0 || b->n == 0)
        return PLC_EINVAL;
    if (dist_alloc(out, a->n + b->n) < 0)
        return PLC_ENOMEM;
    /* walk the union of the supports; mass = F(t) - F(previous point) */
    size_t i = 0, j = 0, k = 0;
    double fa = 0, fb = 0, prev = 0;
    while (i < a->n || j < b->n) {
        uint64_t t;
        if (j >= b->n || (i < a->n && a->t_ns[i] <= b->t_ns[j]))
            t = a->t_ns[i];
        else
            t = b->t_ns[j];
        while (i < a->n && a->t_ns[i] == t)
            fa += a->p[i++];
        while (j < b->n && b->t_ns[j] == t)
            fb += b->p[j++];
        double f = fa * fb;
        if (f > prev) {
            out->t_ns[k] = t;
            out->p[k++] = f - prev;
            prev = f;
        }
    }
    out->n = k;
    out->exact = a->exact && b->exact;
    return 0;
}

int sched_dist_reduce(struct sched_dist *d, size_t max_points)
{
    if (d->n <= max_points || max_points < 3)
        return 0;
    /* a point at SCHED_TIME_INF is kept as it is; the rest is reduced */
    size_t n_inf = d->t_ns[d->n - 1] >= SCHED_TIME_INF ? 1 : 0;
    if (n_inf) {
        struct sched_dist f = finite_part(d);
        int rc = sched_dist_reduce(&f, max_points - 1);
        if (rc < 0)
            return rc;
        f.t_ns[f.n] = d->t_ns[d->n - 1];
        f.p[f.n] = d->p[d->n - 1];
        d->n = f.n + 1;
        d->exact = false;
        return 0;
    }
    uint64_t lo = d->t_ns[0], hi = d->t_ns[d->n - 1];
    /* a multiple of the support's own lattice step, so that later
     * convolutions stay on a common lattice (dense and fast) */
    uint64_t lattice = lattice_step(d, d);
    uint64_t step = (hi - lo + (max_points - 2)) / (max_points - 1);
    step = (step + lattice - 1) / lattice * lattice;
    if (step == 0)
        step = 1;
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        /* the next grid point at or above t, never beyond the maximum */
        uint64_t off = d->t_ns[i] - lo;
        uint64_t g = lo + (off + step - 1) / step * step;
        if (g > hi)
            g = hi;
        if (k > 0 && d->t_ns[k - 1] == g) {
            d->p[k - 1] += d->p[i];
        } else {
            d->t_ns[k] = g;
            d->p[k++] = d->p[i];
        }
    }
    d->n = k;
    d->exact = false;
    return 0;
}
