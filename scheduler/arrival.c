/* arrival.c: stage response bounds under periodic and sporadic arrivals on
 * a measured platform.  The model and why it is safe: sched/arrival.h. */
#include "sched/arrival.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Lattice of the lag: at most this many cells before the tail is handed
 * to the exponential bound. */
#define LAG_CELLS 2048
/* Distinct service values kept on the lattice (mass rounded up). */
#define SERVICE_POINTS 128
/* Iterations of the Lindley map from the exponential upper bound. */
#define LINDLEY_ITERS 400
/* ln(1e14): the lattice covers the lag up to where Kingman's bound is
 * below 1e-14. */
#define TAIL_LOG 32.2

uint64_t sched_eps_ns(uint64_t interarrival_ns, unsigned max_depth)
{
    uint64_t e = interarrival_ns / (2 * ((uint64_t)max_depth + 1));
    return e < 1000 ? 1000 : e;
}

uint64_t sched_stage_credit_ns(const struct sched_stage_ctx *ctx)
{
    uint64_t t = ctx->arrival.interarrival_ns;
    uint64_t cut = (uint64_t)ctx->depth * ctx->eps_ns;
    return t > cut ? t - cut : 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a >= SCHED_TIME_INF - b ? SCHED_TIME_INF : a + b;
}

uint64_t sched_stage_service_ns(uint64_t c_ns, uint64_t budget_ns,
                                uint64_t period_ns,
                                const struct sched_stage_ctx *ctx)
{
    const struct sched_platform *pf = &ctx->platform;
    uint64_t c = sat_add(c_ns, pf->overhead_ns);
    if (c >= SCHED_TIME_INF || budget_ns == 0)
        return SCHED_TIME_INF;
    uint64_t n = (c + budget_ns - 1) / budget_ns;
    if (n > SCHED_TIME_INF / (period_ns ? period_ns : 1))
        return SCHED_TIME_INF;
    uint64_t s = sat_add(n * period_ns, pf->wakeup_ns);
    /* a supply delay of a period or more can make the kernel restart a
     * late server's deadline from the time it ran out: then it lengthens
     * every job's service (shorter, it is added to the response once,
     * sched_stage_response()) */
    if (pf->supply_delay_ns >= period_ns)
        s = sat_add(s, pf->supply_delay_ns);
    /* closed, real kernel: the CBS wake-up rule may keep the previous
     * job's deadline, at most one period after it completed */
    if (ctx->arrival.kind == SCHED_ARRIVAL_CLOSED && pf->measured)
        s = sat_add(s, period_ns);
    return s;
}

/* The most the host can take in a window of r <= W_n covered by the
 * shortest measured window at least as long (or r itself). */
static double steal_cover(const double *w, const double *st, size_t n, double r)
{
    if (r <= 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] >= r)
            return fmin(r, st[i]);
    return r;
}

/* An upper bound of the steal in any window of length t <= W_n: the best
 * of covering it by one measured window or by whole windows of one length
 * and the remainder (steal is subadditive). */
static double steal_bound(const double *w, const double *st, size_t n, double t)
{
    double best = steal_cover(w, st, n, t);
    for (size_t j = 0; j < n; j++) {
        double m = floor(t / w[j]);
        if (m >= 1)
            best = fmin(best, m * st[j] + steal_cover(w, st, n, t - m * w[j]));
    }
    return best;
}

/* The long-run steal rate of an envelope: the most stolen in any measured
 * window over the longest window (the envelope made monotone). */
static double steal_rate(const uint64_t *window_ns, const uint64_t *stolen_ns,
                         size_t n)
{
    if (n == 0 || window_ns[n - 1] == 0)
        return 0;
    uint64_t most = 0;
    for (size_t i = 0; i < n; i++)
        most = stolen_ns[i] > most ? stolen_ns[i] : most;
    return (double)most / (double)window_ns[n - 1];
}

double sched_supply_capacity(const uint64_t *window_ns,
                             const uint64_t *stolen_ns, size_t n,
                             double core_capacity)
{
    return fmax(0,
                fmin(core_capacity, 1.0 - steal_rate(window_ns, stolen_ns, n)));
}

uint64_t sched_supply_delay(const uint64_t *window_ns,
                            const uint64_t *stolen_ns, size_t n,
                            double core_capacity, double *capacity)
{
    *capacity = sched_supply_capacity(window_ns, stolen_ns, n, core_capacity);
    if (n == 0 || window_ns[n - 1] == 0)
        return 0;
    double w[32], st[32];
    if (n > 32)
        n = 32;
    /* a longer window holds every shorter one: the envelope as measured
     * is made monotone */
    for (size_t i = 0; i < n; i++) {
        w[i] = (double)window_ns[i];
        st[i] = fmax(i ? st[i - 1] : 0, (double)stolen_ns[i]);
    }
    double sigma = fmax(1.0 - core_capacity, st[n - 1] / w[n - 1]);
    if (sigma >= 1.0)
        return SCHED_TIME_INF;
    /* b = sup over t of s(t) - sigma t: beyond W_n it is no larger (whole
     * windows of W_n take at most sigma each), so a grid over (0, W_n]
     * fine enough that the bound's steps fall on it; each grid point
     * stands for the cell after it (s is nondecreasing: its value at the
     * cell's end, sigma t at its start) */
    double h = w[0] / 64, b = 0;
    for (double t = 0; t < w[n - 1]; t += h)
        b = fmax(b, steal_bound(w, st, n, fmin(t + h, w[n - 1])) - sigma * t);
    double d = ceil(b / (1.0 - sigma));
    return d >= (double)SCHED_TIME_INF ? SCHED_TIME_INF : (uint64_t)d;
}

const double sched_platform_levels[SCHED_PLATFORM_Q] = {0.5, 0.9, 0.99, 0.999,
                                                        1.0};

/* A measured term as a distribution: each band between two quantile
 * levels at its upper end (never optimistic about the sampled law). */
static int quantile_dist(struct sched_dist *d, const uint64_t *q)
{
    double p[SCHED_PLATFORM_Q];
    double prev = 0;
    for (int i = 0; i < SCHED_PLATFORM_Q; i++) {
        p[i] = sched_platform_levels[i] - prev;
        prev = sched_platform_levels[i];
    }
    return sched_dist_from_pmf(d, q, p, SCHED_PLATFORM_Q);
}

/* The service distribution S of `exec` (times saturate at INF): with
 * measured quantiles, S = ceil((C + delta) / Q) P + w (+ P) for C, delta
 * and w independent; else the constants of sched_stage_service_ns(). */
static int service_dist(struct sched_dist *s, const struct sched_dist *exec,
                        uint64_t q, uint64_t p,
                        const struct sched_stage_ctx *ctx)
{
    const struct sched_platform *pf = &ctx->platform;
    struct sched_dist work = SCHED_DIST_INIT, d = SCHED_DIST_INIT,
                      w = SCHED_DIST_INIT, ceil_d = SCHED_DIST_INIT;
    const struct sched_dist *src = exec;
    struct sched_stage_ctx plain = *ctx;
    int rc = 0;
    if (pf->has_q) {
        /* the overhead and wake-up come from the distributions */
        plain.platform.overhead_ns = plain.platform.wakeup_ns = 0;
        if ((rc = quantile_dist(&d, pf->overhead_q)) == 0 &&
            (rc = sched_dist_convolve(&work, exec, &d, 0)) == 0)
            src = &work;
    }
    uint64_t *t = rc == 0 ? malloc((src->n ? src->n : 1) * sizeof *t) : NULL;
    if (rc == 0 && !t)
        rc = PLC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < src->n; i++)
        t[i] = sched_stage_service_ns(src->t_ns[i], q, p, &plain);
    if (rc == 0)
        rc = sched_dist_from_pmf(pf->has_q ? &ceil_d : s, t, src->p, src->n);
    free(t);
    if (rc == 0 && pf->has_q) {
        sched_dist_release(s);
        if ((rc = quantile_dist(&w, pf->wakeup_q)) == 0)
            rc = sched_dist_convolve(s, &ceil_d, &w, 0);
    }
    if (rc == 0)
        s->exact = exec->exact && !pf->has_q;
    sched_dist_release(&ceil_d);
    sched_dist_release(&work);
    sched_dist_release(&d);
    sched_dist_release(&w);
    return rc;
}

bool sched_stage_stable(const struct sched_dist *exec, uint64_t budget_ns,
                        uint64_t period_ns, const struct sched_stage_ctx *ctx,
                        double *mean_service_ns)
{
    double mean = 0;
    if (ctx->platform.has_q) {
        struct sched_dist s = SCHED_DIST_INIT;
        mean = service_dist(&s, exec, budget_ns, period_ns, ctx) == 0
                   ? sched_dist_mean(&s)
                   : INFINITY;
        sched_dist_release(&s);
    }
    for (size_t i = 0; !ctx->platform.has_q && i < exec->n; i++)
        mean += exec->p[i] * (double)sched_stage_service_ns(
                                 exec->t_ns[i], budget_ns, period_ns, ctx);
    if (mean_service_ns)
        *mean_service_ns = mean;
    if (ctx->arrival.kind == SCHED_ARRIVAL_CLOSED)
        return true;
    return mean < (double)sched_stage_credit_ns(ctx);
}

/* All mass at INF: a stage the analysis cannot bound. */
static int unbounded(struct sched_dist *out)
{
    int rc = sched_dist_point(out, SCHED_TIME_INF);
    if (rc == 0)
        out->exact = false;
    return rc;
}

/*
 * theta > 0 with E[exp(theta X)] = 1 for the increments x[i] (prob p[i]),
 * E[X] < 0 and some x > 0 (Kingman / Cramér-Lundberg: the walk's supremum
 * M has P(M >= y) <= exp(-theta y)).  ln E[e^{theta X}] is convex, zero
 * at 0 with negative slope, and grows without bound, so it crosses zero
 * once more; bisection keeps the root's lower side (a smaller theta is a
 * weaker, still valid bound).
 */
static double kingman_theta(const double *x, const double *p, size_t n)
{
    double xmax = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] > xmax)
            xmax = x[i];
    double hi = 1.0 / xmax;
    for (int i = 0; i < 200; i++) {
        double m = 0;
        for (size_t j = 0; j < n; j++)
            m += p[j] * exp(hi * (x[j] - xmax)); /* scaled by e^{-hi xmax} */
        if (log(m) + hi * xmax > 0)
            break;
        hi *= 2;
    }
    double lo = 0;
    for (int it = 0; it < 200; it++) {
        double mid = (lo + hi) / 2;
        double m = 0;
        for (size_t j = 0; j < n; j++)
            m += p[j] * exp(mid * (x[j] - xmax));
        if (log(m) + mid * xmax < 0)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* The stage's bound when no job can ever wait (max S <= T_v): R = S, and
 * P(Y > y) <= sum_m P(S > y + m eps), a finite sum. */
static int no_backlog(struct sched_dist *out, const struct sched_dist *s,
                      const struct sched_stage_ctx *ctx)
{
    if (ctx->last)
        return sched_dist_copy(out, s);
    size_t n = s->n;
    double *tail = malloc(n * sizeof *tail); /* tail[i] = P(S > t_i) */
    double *f = malloc(n * sizeof *f);
    if (!tail || !f) {
        free(tail);
        free(f);
        return PLC_ENOMEM;
    }
    double acc = 0;
    for (size_t i = n; i-- > 0;) {
        tail[i] = acc;
        acc += s->p[i];
    }
    uint64_t eps = ctx->eps_ns;
    for (size_t i = 0; i < n; i++) {
        /* G(t_i) = sum_m P(S > t_i + m eps); y never falls below the
         * support, so P(S > y) = tail[j], t_j the last point <= y */
        double g = 0;
        size_t j = i;
        for (uint64_t y = s->t_ns[i];; y += eps) {
            while (j + 1 < n && s->t_ns[j + 1] <= y)
                j++;
            if (tail[j] == 0)
                break;
            g += tail[j];
            if (g >= 1 || y > SCHED_TIME_INF - eps)
                break;
        }
        f[i] = g >= 1 ? 0 : 1 - g;
        if (i > 0 && f[i] < f[i - 1])
            f[i] = f[i - 1];
    }
    uint64_t *t = malloc((n + 1) * sizeof *t);
    double *p = malloc((n + 1) * sizeof *p);
    int rc = PLC_ENOMEM;
    if (t && p) {
        double prev = 0;
        for (size_t i = 0; i < n; i++) {
            t[i] = s->t_ns[i];
            p[i] = f[i] - prev;
            prev = f[i];
        }
        t[n] = SCHED_TIME_INF;
        p[n] = 1 - prev;
        rc = sched_dist_from_pmf(out, t, p, n + 1);
        if (rc == 0)
            out->exact = false;
    }
    free(t);
    free(p);
    free(tail);
    free(f);
    return rc;
}

/* The lattice analysis: everything in cells of h ns. */
struct lattice {
    uint64_t h;
    size_t ncell;   /* lag cells 0 .. ncell-1 */
    size_t ns;      /* service points */
    int64_t *sx;    /* service in cells */
    double *sp;     /* its probability */
    double theta;   /* Kingman's exponent of the true walk, per ns */
    double *lag;    /* P(L = cell) */
    double lag_inf; /* P(L >= ncell) */
};

static void lattice_release(struct lattice *l)
{
    free(l->sx);
    free(l->sp);
    free(l->lag);
}

/*
 * The stationary lag on the lattice, from above: start at Kingman's bound
 * of the rounded walk and apply the Lindley map, which is monotone and has
 * the stationary law as its fixed point, so every iterate stays above it.
 */
static int lattice_lag(struct lattice *l, int64_t tcell)
{
    size_t n = l->ns, N = l->ncell;
    double *x = malloc(n * sizeof *x);
    double *nxt = calloc(N, sizeof *nxt);
    l->lag = calloc(N, sizeof *l->lag);
    if (!x || !nxt || !l->lag) {
        free(x);
        free(nxt);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (double)(l->sx[i] - tcell);
    double th = kingman_theta(x, l->sp, n);
    free(x);
    /* P(U >= j) = exp(-th j): cell j gets exp(-th j) - exp(-th (j+1)) */
    for (size_t j = 0; j < N; j++)
        l->lag[j] = exp(-th * (double)j) - exp(-th * (double)(j + 1));
    l->lag_inf = exp(-th * (double)N);
    for (int it = 0; it < LINDLEY_ITERS; it++) {
        memset(nxt, 0, N * sizeof *nxt);
        double inf = l->lag_inf;
        for (size_t j = 0; j < N; j++) {
            double m = l->lag[j];
            if (m == 0)
                continue;
            for (size_t i = 0; i < n; i++) {
                int64_t to = (int64_t)j + l->sx[i] - tcell;
                if (to < 0)
                    to = 0;
                if ((size_t)to >= N)
                    inf += m * l->sp[i];
                else
                    nxt[to] += m * l->sp[i];
            }
        }
        double diff = fabs(inf - l->lag_inf);
        for (size_t j = 0; j < N; j++)
            diff = fmax(diff, fabs(nxt[j] - l->lag[j]));
        double *tmp = l->lag;
        l->lag = nxt;
        nxt = tmp;
        l->lag_inf = inf;
        if (diff < 1e-15)
            break;
    }
    free(nxt);
    return 0;
}

/* P(R > x) <= sum_s p_s exp(-theta (x - s)): Kingman's bound of the true
 * lag, for x beyond the lattice. */
static double kingman_tail(const struct lattice *l, double x_ns)
{
    double t = 0;
    for (size_t i = 0; i < l->ns; i++) {
        double d = x_ns - (double)l->sx[i] * (double)l->h;
        t += l->sp[i] * (d <= 0 ? 1.0 : exp(-l->theta * d));
    }
    return t;
}

/* R = L + S on the lattice and, unless last, Y with
 * G(y) = P(R > y) + G(y + eps). */
static int lattice_response(struct sched_dist *out, const struct lattice *l,
                            const struct sched_stage_ctx *ctx)
{
    int64_t smax = 0;
    for (size_t i = 0; i < l->ns; i++)
        if (l->sx[i] > smax)
            smax = l->sx[i];
    size_t M = l->ncell + (size_t)smax + 1; /* cells of R */
    double *r = calloc(M, sizeof *r);
    double *g = malloc(M * sizeof *g);
    if (!r || !g) {
        free(r);
        free(g);
        return PLC_ENOMEM;
    }
    for (size_t j = 0; j < l->ncell; j++)
        for (size_t i = 0; i < l->ns; i++)
            r[j + (size_t)l->sx[i]] += l->lag[j] * l->sp[i];
    /* tail[c] = P(R > c): lattice mass above c plus what went to INF,
     * capped by Kingman's bound */
    double above = l->lag_inf;
    for (size_t c = M; c-- > 0;) {
        double k = kingman_tail(l, (double)c * (double)l->h);
        g[c] = fmin(above, k);
        above += r[c];
    }
    if (!ctx->last) {
        uint64_t e = ctx->eps_ns / l->h; /* eps rounded down: safe */
        if (e == 0)
            e = 1;
        double q = exp(-l->theta * (double)(e * l->h));
        for (size_t c = M; c-- > 0;) {
            double rest;
            if (c + e < M)
                rest = g[c + e];
            else /* sum_{m>=1} of Kingman's bound at c + m e */
                rest = q < 1 ? kingman_tail(l, (double)(c + e) * (double)l->h) /
                                   (1 - q)
                             : 1.0;
            g[c] = fmin(1.0, g[c] + rest);
        }
    }
    /* the distribution with CDF 1 - g at each cell */
    uint64_t *t = malloc((M + 1) * sizeof *t);
    double *p = malloc((M + 1) * sizeof *p);
    int rc = PLC_ENOMEM;
    if (t && p) {
        double prev = 0;
        size_t n = 0;
        for (size_t c = 0; c < M; c++) {
            double f = fmax(prev, 1 - g[c]);
            if (f > prev) {
                t[n] = (uint64_t)c * l->h;
                p[n++] = f - prev;
                prev = f;
            }
        }
        t[n] = SCHED_TIME_INF;
        p[n++] = fmax(0, 1 - prev);
        rc = sched_dist_from_pmf(out, t, p, n);
        if (rc == 0) {
            out->exact = false;
            rc = sched_dist_reduce(out, SCHED_DIST_MAX_POINTS);
        }
    }
    free(t);
    free(p);
    free(r);
    free(g);
    return rc;
}

static int backlog(struct sched_dist *out, const struct sched_dist *s,
                   uint64_t credit, uint64_t period_ns,
                   const struct sched_stage_ctx *ctx)
{
    /* Kingman's exponent of the true walk X = S - T_v fixes the range */
    double *x = malloc(s->n * sizeof *x);
    if (!x)
        return PLC_ENOMEM;
    for (size_t i = 0; i < s->n; i++)
        x[i] = (double)s->t_ns[i] - (double)credit;
    double theta = kingman_theta(x, s->p, s->n);
    free(x);
    if (!(theta > 0))
        return unbounded(out);
    double range = TAIL_LOG / theta;
    uint64_t h0 = (uint64_t)ceil(range / LAG_CELLS);
    if (h0 < 1000)
        h0 = 1000;
    /* cells that divide the period (or are a multiple of it), so that
     * whole periods of service are not rounded up */
    uint64_t h;
    if (period_ns >= h0) {
        uint64_t k = period_ns / h0;
        while (period_ns % k)
            k--;
        h = period_ns / k;
    } else {
        h = period_ns * ((h0 + period_ns - 1) / period_ns);
    }
    struct lattice l = {.h = h, .theta = theta};
    l.ncell = (size_t)ceil(range / (double)h) + 1;
    if (l.ncell > LAG_CELLS)
        l.ncell = LAG_CELLS;
    /* service in cells, rounded up, at most SERVICE_POINTS values */
    struct sched_dist sc = SCHED_DIST_INIT;
    int rc = sched_dist_copy(&sc, s);
    if (rc == 0)
        rc = sched_dist_reduce(&sc, SERVICE_POINTS);
    if (rc < 0) {
        sched_dist_release(&sc);
        return rc;
    }
    l.ns = sc.n;
    l.sx = malloc(sc.n * sizeof *l.sx);
    l.sp = malloc(sc.n * sizeof *l.sp);
    if (!l.sx || !l.sp) {
        sched_dist_release(&sc);
        lattice_release(&l);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < sc.n; i++) {
        l.sx[i] = (int64_t)((sc.t_ns[i] + h - 1) / h);
        l.sp[i] = sc.p[i];
    }
    sched_dist_release(&sc);
    int64_t tcell = (int64_t)(credit / h); /* credit rounded down: safe */
    double mean = 0;
    for (size_t i = 0; i < l.ns; i++)
        mean += l.sp[i] * (double)l.sx[i];
    if (mean >= (double)tcell) { /* rounding lost stability */
        lattice_release(&l);
        return unbounded(out);
    }
    rc = lattice_lag(&l, tcell);
    if (rc == 0)
        rc = lattice_response(out, &l, ctx);
    lattice_release(&l);
    return rc;
}

/* A supply delay below the period leaves the server deadlines where they
 * were (a chunk of budget runs out by its deadline + Delta, before the
 * next deadline, so the kernel never restarts one): the lag recursion
 * holds as it is, and every job completes at most Delta after its bound.
 * In a series of stages Delta enters once per stage, as a link's delay
 * would (the next stage's arrival is the late departure), so each
 * stage's response carries it once. */
static void late_supply(struct sched_dist *out, uint64_t period_ns,
                        const struct sched_stage_ctx *ctx)
{
    uint64_t d = ctx->platform.supply_delay_ns;
    if (d == 0 || d >= period_ns)
        return;
    for (size_t i = 0; i < out->n; i++)
        out->t_ns[i] = sat_add(out->t_ns[i], d);
}

int sched_stage_response(struct sched_dist *out, const struct sched_dist *exec,
                         uint64_t budget_ns, uint64_t period_ns,
                         const struct sched_stage_ctx *ctx)
{
    struct sched_dist s = SCHED_DIST_INIT;
    int rc = service_dist(&s, exec, budget_ns, period_ns, ctx);
    if (rc < 0)
        return rc;
    if (ctx->arrival.kind == SCHED_ARRIVAL_CLOSED) {
        sched_dist_release(out);
        *out = s;
        late_supply(out, period_ns, ctx);
        return 0;
    }
    sched_dist_release(out);
    /* stable iff the mean service is below the credit (of the S just
     * built: sched_stage_stable() would build it again) */
    uint64_t credit = sched_stage_credit_ns(ctx);
    if (credit == 0 || !(sched_dist_mean(&s) < (double)credit))
        rc = unbounded(out);
    else if (sched_dist_max(&s) <= credit)
        rc = no_backlog(out, &s, ctx);
    else {
        /* S = n P + w with w constant (the wake-up bound, when not a
         * distribution, and a supply delay of a period or more): the walk
         * is n P - (T_v - w), and w is added back to the response, so the
         * lattice can follow P */
        uint64_t w = (ctx->platform.has_q ? 0 : ctx->platform.wakeup_ns) +
                     (ctx->platform.supply_delay_ns >= period_ns
                          ? ctx->platform.supply_delay_ns
                          : 0);
        for (size_t i = 0; i < s.n; i++)
            if (s.t_ns[i] < SCHED_TIME_INF)
                s.t_ns[i] -= w;
        rc = backlog(out, &s, credit - w, period_ns, ctx);
        for (size_t i = 0; rc == 0 && i < out->n; i++)
            if (out->t_ns[i] < SCHED_TIME_INF)
                out->t_ns[i] += w;
    }
    sched_dist_release(&s);
    if (rc == 0)
        late_supply(out, period_ns, ctx);
    return rc;
}
