/*
 * montecarlo.c: the Monte-Carlo check of an admitted plan's guarantee
 * (sim.h, sim_mc_check), and Clopper-Pearson intervals.
 *
 * Jobs of the workflow run through its DAG as its arrival model releases
 * them.  A service with a reservation (Q, P) runs as SCHED_DEADLINE's hard
 * CBS: a job that finds its server idle starts a fresh period; in each
 * period the server gets its budget Q in one slot at a uniformly drawn
 * place in the period (where the other reservations of the core, under
 * EDF, leave it), and is throttled when it is spent.  Execution times are
 * drawn from the service's distribution on its host (its speed applied),
 * plus the host's platform terms: the per-job overhead and the wake-up
 * latency (drawn from their measured quantiles, or the stated bounds),
 * up to the host's supply delay, and with the platform's exceed
 * probability a job that is late.  A vlink adds, per traversal, the
 * propagation of its route and the transmission of its message on each
 * hop and at its own rate, times its crossings.  Without a reservation
 * (requests-only), a job shares its core with what else runs there: each
 * other load is busy with the probability of its utilisation, and the
 * core is shared equally among the busy ones (the core's load from
 * before the copy, an aggregate, is taken as loads of the copy's size).
 */
#include "sim/sim.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A distribution ready to sample: cumulative probabilities. */
struct sampler {
    const uint64_t *t;
    double *cum;
    size_t n;
};

static uint64_t draw(const struct sampler *s, uint64_t *rng)
{
    if (s->n == 1)
        return s->t[0];
    double u = sim__unit(rng) * s->cum[s->n - 1];
    size_t lo = 0, hi = s->n - 1;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        if (s->cum[m] >= u)
            hi = m;
        else
            lo = m + 1;
    }
    return s->t[lo];
}

/* A platform term drawn from its quantile bands (each band's mass at its
 * upper end), or the bound. */
static uint64_t draw_term(const uint64_t *q, bool has_q, uint64_t bound,
                          uint64_t *rng)
{
    if (!has_q)
        return bound;
    double u = sim__unit(rng);
    for (int i = 0; i < SCHED_PLATFORM_Q; i++)
        if (u <= sched_platform_levels[i])
            return q[i];
    return q[SCHED_PLATFORM_Q - 1];
}

struct stage {
    bool timed;     /* has an execution time */
    bool reserved;  /* a CBS server; else shared (requests-only) */
    uint64_t fixed; /* no distribution: its local deadline */
    struct sampler s;
    uint64_t Q, P;
    const struct sched_platform *pf;
    double *others; /* shared: utilisations of the other loads */
    size_t n_others;
    double free_at; /* FIFO: when its last job completes */
};

/* Completion of a job of work c (ns) starting at `a` on stage x. */
static double run_job(struct stage *x, double a, double c, uint64_t *rng)
{
    if (!x->reserved) {
        /* equal shares among the busy loads, drawn once per job */
        size_t busy = 0;
        for (size_t i = 0; i < x->n_others; i++)
            busy += sim__unit(rng) < x->others[i];
        return a + c * (double)(1 + busy);
    }
    /* hard CBS: a fresh period at a, Q in a drawn slot of each period */
    double P = (double)x->P, Q = (double)x->Q, start = a;
    for (;;) {
        double off = (P - Q) * sim__unit(rng);
        if (c <= Q)
            return start + off + c;
        c -= Q;
        start += P;
    }
}

/* Kahn order of the workflow's nodes (endpoints, then services). */
static size_t *topo(const struct place_problem *p)
{
    size_t N = p->n_endpoints + p->n_services;
    size_t *order = malloc((N + 1) * sizeof *order);
    size_t *indeg = calloc(N + 1, sizeof *indeg);
    if (!order || !indeg) {
        free(order);
        free(indeg);
        return NULL;
    }
    for (size_t i = 0; i < p->n_vlinks; i++)
        indeg[p->vlinks[i].to]++;
    size_t n = 0;
    for (size_t v = 0; v < N; v++)
        if (!indeg[v])
            order[n++] = v;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < p->n_vlinks; i++)
            if (p->vlinks[i].from == order[k] && --indeg[p->vlinks[i].to] == 0)
                order[n++] = p->vlinks[i].to;
    free(indeg);
    if (n != N) {
        free(order);
        return NULL;
    }
    return order;
}

int sim_mc_check(const struct model_problem *mp, const struct place_plan *plan,
                 size_t jobs, uint64_t seed, bool self_loaded, size_t *on_time)
{
    const struct place_problem *p = &mp->problem;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, E = p->n_endpoints, N = E + V, L = p->n_vlinks;
    *on_time = 0;
    if (!jobs)
        return 0;
    if (p->deadline_ns == PLACE_UNLIMITED) {
        *on_time = jobs;
        return 0;
    }
    struct stage *st = calloc(V + 1, sizeof *st);
    double *edge = calloc(L + 1, sizeof *edge);
    double *fin = calloc(N + 1, sizeof *fin);
    size_t *order = topo(p);
    int rc = st && edge && fin && order ? 0 : PLC_ENOMEM;
    double miss = 0; /* platform exceed: a late job */
    for (size_t v = 0; rc == 0 && v < V; v++) {
        const struct place_service_plan *sp = &plan->services[v];
        const struct place_host *ho = &c->hosts[sp->host];
        const struct sched_dist *d =
            p->services[v].exec ? p->services[v].exec[sp->host] : NULL;
        struct stage *x = &st[v];
        x->pf = &ho->platform;
        x->Q = sp->item.budget_ns;
        x->P = sp->item.period_ns;
        x->reserved = x->Q > 0 && x->P > 0;
        x->timed = d != NULL;
        x->fixed = sp->item.deadline_ns;
        if (d) {
            miss += ho->platform.exceed_probability;
            x->s.t = d->t_ns;
            x->s.n = d->n;
            x->s.cum = malloc((d->n + 1) * sizeof *x->s.cum);
            if (!x->s.cum) {
                rc = PLC_ENOMEM;
                break;
            }
            double acc = 0;
            for (size_t i = 0; i < d->n; i++)
                x->s.cum[i] = acc += d->p[i];
        }
        if (!x->reserved && d) {
            /* the other loads of its core: the background and what is
             * placed there, this plan's other services included */
            /* the core's load before this copy is an aggregate: taken
             * as loads the size of this one's (at most 64) */
            unsigned core = sp->cores[0];
            double bg = ho->used ? ho->used[core] : 0;
            for (size_t u = 0; self_loaded && u < V; u++)
                if (plan->services[u].host == sp->host &&
                    plan->services[u].cores[0] == core)
                    bg -= plan->services[u].item.utilization;
            bg = fmin(1, fmax(0, bg));
            double own = fmax(sp->item.utilization, 0.01);
            size_t nb = bg > 0 ? (size_t)fmin(64, fmax(1, round(bg / own))) : 0;
            size_t k = nb + V + 1;
            x->others = malloc(k * sizeof *x->others);
            if (!x->others) {
                rc = PLC_ENOMEM;
                break;
            }
            for (size_t i = 0; i < nb; i++)
                x->others[x->n_others++] = bg / (double)nb;
            for (size_t u = 0; u < V && x->n_others < k; u++)
                if (u != v && plan->services[u].host == sp->host &&
                    plan->services[u].cores[0] == core)
                    x->others[x->n_others++] =
                        fmin(1, plan->services[u].item.utilization);
        }
    }
    /* vlinks: propagation and transmission per traversal, x crossings */
    for (size_t i = 0; rc == 0 && i < L; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct place_vlink_plan *vp = &plan->vlinks[i];
        double t = 0;
        for (size_t k = 0; vp->path && k + 1 < vp->n_path; k++) {
            size_t a = vp->path[k], b = vp->path[k + 1];
            for (size_t l = 0; l < c->n_links; l++) {
                const struct place_link *x = &c->links[l];
                if ((x->a == a && x->b == b) || (x->a == b && x->b == a)) {
                    t += (double)x->latency_ns;
                    if (x->rate_bps)
                        t += (double)e->message_bytes * 8e9 /
                             (double)x->rate_bps;
                    break;
                }
            }
        }
        if (vp->n_path > 1 && e->rate_bps)
            t += (double)e->message_bytes * 8e9 / (double)e->rate_bps;
        edge[i] = t * (e->crossings > 0 ? e->crossings : 1);
    }
    double T = p->arrival.kind == SCHED_ARRIVAL_CLOSED
                   ? 0
                   : (double)p->arrival.interarrival_ns;
    double D = (double)p->deadline_ns;
    uint64_t rng = seed * 0x2545f4914f6cdd1dULL + 7;
    size_t ok = 0;
    for (size_t j = 0; rc == 0 && j < jobs; j++) {
        double rel = (double)j * T; /* closed: every job alone, from 0 */
        bool late = miss > 0 && sim__unit(&rng) < miss;
        double end = rel;
        for (size_t k = 0; k < N; k++) {
            size_t n = order[k];
            double ready = rel;
            for (size_t i = 0; i < L; i++)
                if (p->vlinks[i].to == n)
                    ready = fmax(ready, fin[p->vlinks[i].from] + edge[i]);
            if (n < E) {
                fin[n] = ready;
                continue;
            }
            struct stage *x = &st[n - E];
            double done;
            if (!x->timed)
                done = ready + (double)x->fixed;
            else {
                const struct sched_platform *pf = x->pf;
                double a = fmax(ready, T > 0 ? x->free_at : 0);
                double w = (double)draw_term(pf->wakeup_q, pf->has_q,
                                             pf->wakeup_ns, &rng);
                double o = (double)draw_term(pf->overhead_q, pf->has_q,
                                             pf->overhead_ns, &rng);
                double work = (double)draw(&x->s, &rng) + o;
                done = run_job(x, a + w, work, &rng) +
                       (double)pf->supply_delay_ns * sim__unit(&rng);
                x->free_at = done;
            }
            fin[n] = done;
            end = fmax(end, done);
        }
        ok += !late && end - rel <= D;
    }
    *on_time = ok;
    for (size_t v = 0; st && v < V; v++) {
        free(st[v].s.cum);
        free(st[v].others);
    }
    free(st);
    free(edge);
    free(fin);
    free(order);
    return rc;
}

/* ---- Clopper-Pearson -------------------------------------------------------
 */

/* The continued fraction of the regularized incomplete beta function
 * (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = fabs(d) < tiny ? tiny : d;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

/* I_x(a, b) */
static double incbeta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lb =
        lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lb) * beta_cf(a, b, x) / a;
    return 1 - exp(lb) * beta_cf(b, a, 1 - x) / b;
}

/* x with I_x(a, b) = q, by bisection. */
static double beta_quantile(double a, double b, double q)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 100; i++) {
        double m = (lo + hi) / 2;
        if (incbeta(a, b, m) < q)
            lo = m;
        else
            hi = m;
    }
    return (lo + hi) / 2;
}

void sim_clopper_pearson(size_t k, size_t n, double conf, double *lo,
                         double *hi)
{
    double alpha = 1 - conf;
    if (n == 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    *lo = k == 0 ? 0 : beta_quantile((double)k, (double)(n - k) + 1, alpha / 2);
    *hi = k == n ? 1
                 : beta_quantile((double)k + 1, (double)(n - k), 1 - alpha / 2);
}
