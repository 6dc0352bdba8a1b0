/* reserve.c: reservations, stage probabilities, reservation menus. */
#include "sched/reserve.h"
#include "plc/error.h"
#include "sched/compose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t sched_finish_time(uint64_t c_ns, uint64_t budget_ns,
                           uint64_t period_ns)
{
    return (c_ns + budget_ns - 1) / budget_ns * period_ns;
}

double sched_stage_probability(const struct sched_dist *exec,
                               uint64_t budget_ns, uint64_t period_ns,
                               uint64_t deadline_ns)
{
    uint64_t k = deadline_ns / period_ns;
    return sched_dist_cdf(exec, k * budget_ns);
}

int sched_response_dist(struct sched_dist *out, const struct sched_dist *exec,
                        uint64_t budget_ns, uint64_t period_ns)
{
    uint64_t *t = malloc((exec->n ? exec->n : 1) * sizeof *t);
    if (!t)
        return PLC_ENOMEM;
    for (size_t i = 0; i < exec->n; i++)
        t[i] = sched_finish_time(exec->t_ns[i], budget_ns, period_ns);
    int rc = sched_dist_from_pmf(out, t, exec->p, exec->n);
    free(t);
    if (rc == 0)
        out->exact = exec->exact;
    return rc;
}

void sched_menu_release(struct sched_menu *m)
{
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

/* U = Q/P compared exactly: Q1 P2 vs Q2 P1 in 128 bits. */
__extension__ typedef unsigned __int128 u128;

static int cmp_util(const struct sched_menu_item *a,
                    const struct sched_menu_item *b)
{
    /* a charged utilisation (Q + g) / P differs from Q / P: compare the
     * charged figures, exactly when they are plain ratios */
    double ua = a->utilization, ub = b->utilization;
    if (fabs(ua - ub) > 1e-12 * fmax(ua, ub))
        return (ua > ub) - (ua < ub);
    u128 x = (u128)a->budget_ns * b->period_ns;
    u128 y = (u128)b->budget_ns * a->period_ns;
    return (x > y) - (x < y);
}

/* Sort order of the sweep: deadline, then utilisation, then phi
 * descending, so that the first of equal items survives. */
static int cmp_sweep(const void *pa, const void *pb)
{
    const struct sched_menu_item *a = pa, *b = pb;
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns ? -1 : 1;
    int c = cmp_util(a, b);
    if (c)
        return c;
    return (a->phi < b->phi) - (a->phi > b->phi);
}

static int cmp_final(const void *pa, const void *pb)
{
    const struct sched_menu_item *a = pa, *b = pb;
    int c = cmp_util(a, b);
    if (c)
        return c;
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns ? -1 : 1;
    return (a->phi < b->phi) - (a->phi > b->phi);
}

/*
 * Pareto filter over (U min, d min, phi max).  Items are swept by
 * increasing d; `stair` holds the non-dominated (U, phi) points of the
 * items seen so far, by increasing U with strictly increasing phi.  An item
 * is dominated iff the stair point with the largest U' <= U has phi' >= phi
 * (every earlier item has d' <= d).
 */
void sched_menu_prune(struct sched_menu *m)
{
    if (m->n == 0)
        return;
    qsort(m->v, m->n, sizeof *m->v, cmp_sweep);
    struct sched_menu_item **stair = malloc(m->n * sizeof *stair);
    struct sched_menu_item *keep = malloc(m->n * sizeof *keep);
    if (!stair || !keep) {
        /* without memory the menu stays unpruned: larger, still correct */
        free(stair);
        free(keep);
        return;
    }
    size_t ns = 0, nk = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct sched_menu_item *x = &m->v[i];
        /* last stair point with U' <= U */
        size_t lo = 0, hi = ns;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cmp_util(stair[mid], x) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && stair[lo - 1]->phi >= x->phi)
            continue; /* dominated */
        keep[nk++] = *x;
        /* insert at lo, then drop following points with phi <= x->phi */
        size_t end = lo;
        while (end < ns && stair[end]->phi <= x->phi)
            end++;
        memmove(&stair[lo + 1], &stair[end], (ns - end) * sizeof *stair);
        stair[lo] = x;
        ns = ns - (end - lo) + 1;
    }
    memcpy(m->v, keep, nk * sizeof *keep);
    m->n = nk;
    free(stair);
    free(keep);
    qsort(m->v, m->n, sizeof *m->v, cmp_final);
}

/* The stage response of one (Q, P), computed once for all its deadlines. */
struct cached_response {
    uint64_t q, p;
    struct sched_dist r;
};

struct builder {
    struct sched_menu *m;
    size_t cap;
    const struct sched_dist *exec;
    const struct sched_menu_spec *spec;
    bool oom;
    struct cached_response *cache;
    size_t n_cache, cap_cache;
};

/* Whether the stage context changes anything: arrivals other than closed,
 * or a measured platform. */
static bool stage_matters(const struct sched_stage_ctx *c)
{
    return c &&
           (c->arrival.kind != SCHED_ARRIVAL_CLOSED || c->platform.measured);
}

/* phi of (q, p, d) under the stage context; -1 when out of memory. */
static double stage_phi(struct builder *b, uint64_t q, uint64_t p, uint64_t d)
{
    const struct sched_stage_ctx *c = b->spec->stage;
    for (size_t i = 0; i < b->n_cache; i++)
        if (b->cache[i].q == q && b->cache[i].p == p)
            return sched_dist_cdf(&b->cache[i].r, d);
    if (b->n_cache == b->cap_cache) {
        size_t cap = b->cap_cache ? 2 * b->cap_cache : 64;
        struct cached_response *v = realloc(b->cache, cap * sizeof *v);
        if (!v)
            return -1;
        b->cache = v;
        b->cap_cache = cap;
    }
    struct cached_response *e = &b->cache[b->n_cache];
    *e = (struct cached_response){q, p, SCHED_DIST_INIT};
    /* an unstable stage comes back with all its mass unbounded */
    if (sched_stage_response(&e->r, b->exec, q, p, c) < 0)
        return -1;
    b->n_cache++;
    return sched_dist_cdf(&e->r, d);
}

static void add_item(struct builder *b, uint64_t q, uint64_t p, uint64_t d)
{
    if (q == 0 || q > p || b->oom)
        return;
    const struct sched_stage_ctx *c = b->spec->stage;
    uint64_t g = c ? c->platform.granularity_ns : 0;
    double u = (double)(q + g) / (double)p;
    double maxu = b->spec->max_utilization > 0 ? b->spec->max_utilization : 1.0;
    if (u > maxu + 1e-12)
        return;
    if (b->spec->max_deadline_ns && d > b->spec->max_deadline_ns)
        return;
    double phi = stage_matters(c) ? stage_phi(b, q, p, d)
                                  : sched_stage_probability(b->exec, q, p, d);
    if (phi < 0) {
        b->oom = true;
        return;
    }
    if (c && c->platform.exceed_probability > 0)
        phi = fmax(0, phi - c->platform.exceed_probability);
    if (phi <= 0)
        return;
    if (b->spec->require_certain && phi < 1.0 - 1e-9)
        return;
    if (b->m->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        struct sched_menu_item *v = realloc(b->m->v, cap * sizeof *v);
        if (!v) {
            b->oom = true;
            return;
        }
        b->m->v = v;
        b->cap = cap;
    }
    b->m->v[b->m->n++] = (struct sched_menu_item){q, p, d, u, phi};
}

static const uint64_t default_periods[] = {
    1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000};

/* Budgets are whole microseconds, as plans report them (a larger budget
 * only raises phi). */
static uint64_t round_us(uint64_t ns)
{
    return (ns + 999) / 1000 * 1000;
}

/* Budgets for period p and multiple k: the execution-time breakpoints
 * ceil(c/k) and the grid p/20 .. p. */
static void add_default_budgets(struct builder *b, uint64_t p, uint64_t d)
{
    uint64_t k = d / p;
    const struct sched_dist *e = b->exec;
    size_t n = e->n, picks = n <= 64 ? n : 64;
    /* the budget a job of length c needs includes the platform's per-job
     * overhead; with a kept deadline (closed, measured) one period less
     * is left for the work */
    const struct sched_stage_ctx *sc = b->spec->stage;
    uint64_t delta = sc ? sc->platform.overhead_ns : 0;
    if (sc && sc->platform.measured &&
        sc->arrival.kind == SCHED_ARRIVAL_CLOSED && k > 1)
        k--;
    for (size_t i = 0; i < picks; i++) {
        uint64_t c =
            n <= 64 ? e->t_ns[i]
                    : sched_dist_quantile(e, (double)(i + 1) / (double)picks);
        add_item(b, round_us((c + delta + k - 1) / k), p, d);
    }
    for (uint64_t j = 1; j <= 20; j++)
        add_item(b, round_us((p * j + 19) / 20), p, d);
}

int sched_menu_build(struct sched_menu *m, const struct sched_dist *exec,
                     const struct sched_menu_spec *spec)
{
    *m = (struct sched_menu)SCHED_MENU_INIT;
    struct builder b = {m, 0, exec, spec, false, NULL, 0, 0};
    const uint64_t *periods =
        spec->n_periods ? spec->periods_ns : default_periods;
    size_t np = spec->n_periods
                    ? spec->n_periods
                    : sizeof default_periods / sizeof *default_periods;
    for (size_t i = 0; i < np; i++) {
        uint64_t p = periods[i];
        if (p == 0)
            continue;
        /* local deadlines: given ones that this period divides, or k P */
        uint64_t ds[10];
        size_t nd = 0;
        const uint64_t *dl = ds;
        /* on a measured platform a job ends a wake-up latency after a
         * period boundary, and a closed source's job may lose one period
         * to a kept deadline: the default deadlines follow */
        const struct sched_stage_ctx *c = spec->stage;
        uint64_t w =
            c && c->platform.measured ? round_us(c->platform.wakeup_ns) : 0;
        /* and the host's supply delay (steal), after all of it */
        uint64_t sd = c ? round_us(c->platform.supply_delay_ns) : 0;
        uint64_t kmax =
            c && c->platform.measured && c->arrival.kind == SCHED_ARRIVAL_CLOSED
                ? 5
                : 4;
        if (spec->n_deadlines) {
            dl = spec->deadlines_ns;
            nd = spec->n_deadlines;
        } else {
            /* measured quantiles: a deadline past the p99.9 wake-up and
             * one past the largest seen */
            uint64_t w2 =
                c && c->platform.has_q ? round_us(c->platform.wakeup_q[4]) : w;
            if (c && c->platform.has_q)
                w = round_us(c->platform.wakeup_q[3]);
            for (uint64_t k = 1; k <= kmax; k++) {
                ds[nd++] = k * p + (w < p ? w : 0) + sd;
                if (w2 != w && w2 < p)
                    ds[nd++] = k * p + w2 + sd;
            }
        }
        for (size_t j = 0; j < nd; j++) {
            if (dl[j] < p || (spec->n_deadlines && dl[j] % p))
                continue;
            if (spec->n_budgets)
                for (size_t q = 0; q < spec->n_budgets; q++)
                    add_item(&b, spec->budgets_ns[q], p, dl[j]);
            else
                add_default_budgets(&b, p, dl[j]);
        }
    }
    for (size_t i = 0; i < b.n_cache; i++)
        sched_dist_release(&b.cache[i].r);
    free(b.cache);
    if (b.oom) {
        sched_menu_release(m);
        return PLC_ENOMEM;
    }
    sched_menu_prune(m);
    return 0;
}

int sched_menu_from_tasks(struct sched_menu *m, const struct sched_task *tasks,
                          size_t n, int policy,
                          const struct sched_menu_spec *spec)
{
    *m = (struct sched_menu)SCHED_MENU_INIT;
    const uint64_t *periods =
        spec->n_periods ? spec->periods_ns : default_periods;
    size_t np = spec->n_periods
                    ? spec->n_periods
                    : sizeof default_periods / sizeof *default_periods;
    uint64_t dmax = 0;
    for (size_t i = 0; i < n; i++)
        if (tasks[i].deadline_ns > dmax)
            dmax = tasks[i].deadline_ns;
    m->v = malloc((np ? np : 1) * sizeof *m->v);
    if (!m->v)
        return PLC_ENOMEM;
    double maxu = spec->max_utilization > 0 ? spec->max_utilization : 1.0;
    for (size_t i = 0; i < np; i++) {
        uint64_t q;
        int rc = sched_min_budget(tasks, n, (enum sched_policy)policy,
                                  periods[i], &q);
        if (rc < 0) {
            sched_menu_release(m);
            return rc;
        }
        uint64_t g = spec->stage ? spec->stage->platform.granularity_ns : 0;
        double u = (double)(q + g) / (double)periods[i];
        if (rc == 0 || u > maxu + 1e-12 ||
            (spec->max_deadline_ns && dmax > spec->max_deadline_ns))
            continue;
        m->v[m->n++] = (struct sched_menu_item){q, periods[i], dmax, u, 1.0};
    }
    sched_menu_prune(m);
    return 0;
}
