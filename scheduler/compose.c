/*
 * compose.c: supply and demand bound functions, exact EDF and fixed-
 * priority tests inside a resource, minimum interfaces (see
 * sched/compose.h for the equations and their sources).
 */
#include "plc/num.h"
#include "sched/compose.h"
#include "plc/error.h"
#include "plc/limits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define US 1000ULL /* budgets are rounded to whole microseconds */

struct sched_resource sched_resource_periodic(uint64_t period_ns,
                                              uint64_t budget_ns)
{
    return (struct sched_resource){period_ns, budget_ns, period_ns};
}

struct sched_resource sched_resource_dedicated(void)
{
    /* any Pi with Theta = Pi supplies t in every interval t */
    return (struct sched_resource){US, US, US};
}

uint64_t sched_sbf(const struct sched_resource *r, uint64_t t)
{
    uint64_t pi = r->period_ns, th = r->budget_ns, de = r->deadline_ns;
    if (th == 0 || t < de - th)
        return 0;
    uint64_t x = pi + de - 2 * th;
    uint64_t y = (t - (de - th)) / pi;
    uint64_t s = y * th;
    uint64_t used = x + y * pi;
    return t > used ? s + (t - used) : s;
}

uint64_t sched_dbf(const struct sched_task *tasks, size_t n, uint64_t t)
{
    uint64_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (t >= tasks[i].deadline_ns)
            d += ((t - tasks[i].deadline_ns) / tasks[i].period_ns + 1) *
                 tasks[i].wcet_ns;
    return d;
}

double sched_liu_layland_bound(size_t n)
{
    return n ? (double)n * (pow(2.0, 1.0 / (double)n) - 1.0) : 1.0;
}

double sched_utilization(const struct sched_task *tasks, size_t n)
{
    double u = 0;
    for (size_t i = 0; i < n; i++)
        u += (double)tasks[i].wcet_ns / (double)tasks[i].period_ns;
    return u;
}

/* ---- EDF: the processor-demand criterion in a resource ------------------ */

#define HORIZON_CAP (1ULL << 62)

/* lcm(T_1..T_n, Pi) + max D, or HORIZON_CAP when it overflows. */
static uint64_t hyper_horizon(const struct sched_task *t, size_t n, uint64_t pi)
{
    uint64_t l = pi, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = plc_gcd64(l, t[i].period_ns);
        uint64_t f = t[i].period_ns / g;
        if (l > HORIZON_CAP / f)
            return HORIZON_CAP;
        l *= f;
        if (t[i].deadline_ns > dmax)
            dmax = t[i].deadline_ns;
    }
    return l + dmax > HORIZON_CAP ? HORIZON_CAP : l + dmax;
}

/* The point beyond which dbf(t) <= U t + sum (T_i - D_i) U_i
 * <= (Theta/Pi)(t - x) <= sbf(t); HORIZON_CAP when Theta/Pi <= U. */
static uint64_t linear_horizon(const struct sched_task *t, size_t n,
                               const struct sched_resource *r)
{
    double alpha = (double)r->budget_ns / (double)r->period_ns;
    double u = 0, slack = 0;
    for (size_t i = 0; i < n; i++) {
        double ui = (double)t[i].wcet_ns / (double)t[i].period_ns;
        u += ui;
        slack += (double)(t[i].period_ns - t[i].deadline_ns) * ui;
    }
    double x = (double)(r->period_ns + r->deadline_ns - 2 * r->budget_ns);
    if (alpha - u < 1e-12)
        return HORIZON_CAP;
    double l = (slack + alpha * x) / (alpha - u);
    return l >= (double)HORIZON_CAP ? HORIZON_CAP : (uint64_t)ceil(l) + 1;
}

/* Absolute deadlines in increasing order with the demand up to each: a
 * min-heap of each task's next deadline. */
struct deadline_walk {
    const struct sched_task *tasks;
    size_t n;
    size_t *heap;    /* task indices */
    uint64_t *next;  /* next absolute deadline of each task */
    uint64_t demand; /* dbf at the last point returned */
};

static void walk_sift(struct deadline_walk *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < w->n && w->next[w->heap[l]] < w->next[w->heap[m]])
            m = l;
        if (l + 1 < w->n && w->next[w->heap[l + 1]] < w->next[w->heap[m]])
            m = l + 1;
        if (m == i)
            return;
        size_t t = w->heap[i];
        w->heap[i] = w->heap[m];
        w->heap[m] = t;
        i = m;
    }
}

static int walk_init(struct deadline_walk *w, const struct sched_task *t,
                     size_t n)
{
    w->tasks = t;
    w->n = n;
    w->demand = 0;
    w->heap = malloc((n ? n : 1) * sizeof *w->heap);
    w->next = malloc((n ? n : 1) * sizeof *w->next);
    if (!w->heap || !w->next) {
        free(w->heap);
        free(w->next);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        w->heap[i] = i;
        w->next[i] = t[i].deadline_ns;
    }
    for (size_t i = n / 2; i-- > 0;)
        walk_sift(w, i);
    return 0;
}

/* The next distinct absolute deadline; w->demand becomes dbf there. */
static uint64_t walk_next(struct deadline_walk *w)
{
    uint64_t t = w->next[w->heap[0]];
    while (w->next[w->heap[0]] == t) {
        size_t i = w->heap[0];
        w->demand += w->tasks[i].wcet_ns;
        w->next[i] += w->tasks[i].period_ns;
        walk_sift(w, 0);
    }
    return t;
}

static void walk_release(struct deadline_walk *w)
{
    free(w->heap);
    free(w->next);
}

static int edf_schedulable(const struct sched_task *t, size_t n,
                           const struct sched_resource *r)
{
    if (n == 0)
        return 1;
    /* U > Theta/Pi, compared without rounding: sum C_i/T_i vs Theta/Pi */
    double u = sched_utilization(t, n);
    double alpha = (double)r->budget_ns / (double)r->period_ns;
    if (u > alpha * (1 + 1e-12))
        return 0;
    uint64_t hl = linear_horizon(t, n, r),
             hh = hyper_horizon(t, n, r->period_ns);
    uint64_t horizon = hl < hh ? hl : hh;
    if (horizon >= HORIZON_CAP)
        return 0; /* U = Theta/Pi with no finite horizon: refuse, safely */
    struct deadline_walk w;
    if (walk_init(&w, t, n) < 0)
        return PLC_ENOMEM;
    int ok = 1;
    for (uint64_t x = walk_next(&w); x <= horizon; x = walk_next(&w))
        if (w.demand > sched_sbf(r, x)) {
            ok = 0;
            break;
        }
    walk_release(&w);
    return ok;
}

/* ---- fixed priorities --------------------------------------------------- */

struct prio {
    const struct sched_task *t;
    uint64_t key;
    size_t index;
};

static int cmp_prio(const void *a, const void *b)
{
    const struct prio *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Tasks in priority order (highest first).  Caller frees. */
static struct prio *by_priority(const struct sched_task *t, size_t n,
                                enum sched_policy policy)
{
    struct prio *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = (struct prio){
            &t[i],
            policy == SCHED_POLICY_DM ? t[i].deadline_ns : t[i].period_ns, i};
    qsort(p, n, sizeof *p, cmp_prio);
    return p;
}

static uint64_t rbf(const struct prio *p, size_t i, uint64_t t)
{
    uint64_t d = p[i].t->wcet_ns;
    for (size_t k = 0; k < i; k++)
        d += (t + p[k].t->period_ns - 1) / p[k].t->period_ns * p[k].t->wcet_ns;
    return d;
}

/*
 * Calls `visit` with every check point t of task i: the multiples of the
 * higher-priority periods up to D_i, and D_i (rbf_i is constant between
 * consecutive multiples and sbf nondecreasing, so the right end of each
 * step is the point to check).  Stops early when visit returns true.
 */
static bool fp_points(const struct prio *p, size_t i,
                      bool (*visit)(void *ctx, uint64_t t, uint64_t demand),
                      void *ctx)
{
    uint64_t d = p[i].t->deadline_ns;
    if (visit(ctx, d, rbf(p, i, d)))
        return true;
    for (size_t k = 0; k < i; k++)
        for (uint64_t t = p[k].t->period_ns; t < d; t += p[k].t->period_ns)
            if (visit(ctx, t, rbf(p, i, t)))
                return true;
    return false;
}

struct fp_check {
    const struct sched_resource *r;
};

static bool fp_fits(void *ctx, uint64_t t, uint64_t demand)
{
    const struct fp_check *c = ctx;
    return demand <= sched_sbf(c->r, t);
}

static int fp_schedulable(const struct sched_task *t, size_t n,
                          enum sched_policy policy,
                          const struct sched_resource *r)
{
    struct prio *p = by_priority(t, n, policy);
    if (!p)
        return PLC_ENOMEM;
    struct fp_check c = {r};
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++)
        ok = fp_points(p, i, fp_fits, &c);
    free(p);
    return ok;
}

int sched_schedulable(const struct sched_task *tasks, size_t n,
                      enum sched_policy policy, const struct sched_resource *r)
{
    if (policy == SCHED_POLICY_EDF)
        return edf_schedulable(tasks, n, r);
    return fp_schedulable(tasks, n, policy, r);
}

/* ---- minimum budgets ----------------------------------------------------- */

/*
 * theta(t, demand): the least Theta, in whole microseconds from `lo_us` to
 * Pi, with sbf_Gamma(Pi, Theta)(t) >= demand, by bisection (sbf is
 * nondecreasing in Theta); pi_us + 1 when even Theta = Pi falls short.
 */
static uint64_t theta_for(uint64_t pi_us, uint64_t lo_us, uint64_t t,
                          uint64_t demand)
{
    struct sched_resource full =
        sched_resource_periodic(pi_us * US, pi_us * US);
    if (sched_sbf(&full, t) < demand)
        return pi_us + 1;
    uint64_t lo = lo_us, hi = pi_us;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        struct sched_resource r = sched_resource_periodic(pi_us * US, mid * US);
        if (sched_sbf(&r, t) >= demand)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/*
 * EDF: Theta* = max over all t of theta(t, dbf(t)).  One pass over the
 * absolute deadlines in increasing order raises Theta* where needed; it
 * stops at the horizon of the current Theta* (a larger Theta only adds
 * supply, so points beyond that horizon hold for it too).
 */
static int edf_min_budget(const struct sched_task *t, size_t n, uint64_t pi_us,
                          uint64_t *budget_us)
{
    double u = sched_utilization(t, n);
    uint64_t th = (uint64_t)floor(u * (double)pi_us);
    if (th == 0)
        th = 1;
    struct deadline_walk w;
    if (walk_init(&w, t, n) < 0)
        return PLC_ENOMEM;
    uint64_t hh = hyper_horizon(t, n, pi_us * US);
    int rc = 1;
    for (;;) {
        struct sched_resource r = sched_resource_periodic(pi_us * US, th * US);
        /* Theta/Pi must exceed U for a finite linear horizon; U itself
         * needs Theta >= U Pi */
        if ((double)th < u * (double)pi_us * (1 - 1e-12)) {
            th++;
            continue;
        }
        uint64_t hl = linear_horizon(t, n, &r);
        uint64_t horizon = hl < hh ? hl : hh;
        if (horizon >= HORIZON_CAP) {
            if (th >= pi_us) {
                rc = 0;
                break;
            }
            th++;
            continue;
        }
        uint64_t x = walk_next(&w);
        if (x > horizon)
            break;
        if (w.demand > sched_sbf(&r, x)) {
            th = theta_for(pi_us, th, x, w.demand);
            if (th > pi_us) {
                rc = 0;
                break;
            }
        }
    }
    walk_release(&w);
    *budget_us = th;
    return rc;
}

struct fp_min {
    uint64_t pi_us;
    uint64_t floor_us; /* Theta* so far (over higher-priority tasks) */
    uint64_t best;     /* least theta found over this task's points */
};

/* A point only matters when it beats the best so far, and a point that
 * works at the current floor settles the task (Theta* is a max over
 * tasks, so nothing below the floor can be the answer). */
static bool fp_min_visit(void *ctx, uint64_t t, uint64_t demand)
{
    struct fp_min *c = ctx;
    struct sched_resource at_floor =
        sched_resource_periodic(c->pi_us * US, c->floor_us * US);
    if (sched_sbf(&at_floor, t) >= demand) {
        c->best = c->floor_us;
        return true;
    }
    struct sched_resource below =
        sched_resource_periodic(c->pi_us * US, (c->best - 1) * US);
    if (c->best > c->pi_us || sched_sbf(&below, t) >= demand)
        c->best = theta_for(c->pi_us, c->floor_us, t, demand);
    return false;
}

/* FP: Theta* = max over tasks of min over their points of theta. */
static int fp_min_budget(const struct sched_task *t, size_t n,
                         enum sched_policy policy, uint64_t pi_us,
                         uint64_t *budget_us)
{
    struct prio *p = by_priority(t, n, policy);
    if (!p)
        return PLC_ENOMEM;
    uint64_t th = 1;
    for (size_t i = 0; i < n && th <= pi_us; i++) {
        struct fp_min c = {pi_us, th, pi_us + 1};
        fp_points(p, i, fp_min_visit, &c);
        if (c.best > th)
            th = c.best;
    }
    free(p);
    *budget_us = th;
    return th <= pi_us;
}

int sched_min_budget(const struct sched_task *tasks, size_t n,
                     enum sched_policy policy, uint64_t period_ns,
                     uint64_t *budget_ns)
{
    uint64_t pi_us = period_ns / US, th = 0;
    *budget_ns = 0;
    if (pi_us == 0)
        return 0;
    /* the search steps through the period's microseconds: beyond what
     * SCHED_DEADLINE accepts (validation refuses those) it would not end */
    if (period_ns > PLC_PERIOD_MAX_NS)
        return PLC_EINVAL;
    int rc = policy == SCHED_POLICY_EDF
                 ? edf_min_budget(tasks, n, pi_us, &th)
                 : fp_min_budget(tasks, n, policy, pi_us, &th);
    if (rc == 1)
        *budget_ns = th * US;
    return rc;
}

long sched_select_interface(const struct sched_task *tasks, size_t n,
                            enum sched_policy policy,
                            const uint64_t *periods_ns, size_t n_periods,
                            struct sched_interface *out)
{
    long best = -1;
    for (size_t i = 0; i < n_periods; i++) {
        uint64_t q;
        int rc = sched_min_budget(tasks, n, policy, periods_ns[i], &q);
        if (rc < 0)
            return rc;
        out[i] = (struct sched_interface){
            periods_ns[i], q, rc ? (double)q / periods_ns[i] : 0, rc == 1};
        if (!out[i].feasible)
            continue;
        if (best < 0 || out[i].bandwidth < out[best].bandwidth ||
            (out[i].bandwidth == out[best].bandwidth &&
             out[i].period_ns > out[best].period_ns))
            best = (long)i;
    }
    return best;
}
