/*
 * sim.c: placer simulate's engine (sim.h): the events of a scenario, and
 * one run of them on one cluster under one policy.
 */
#include "sim/sim.h"
#include "rng.h"
#include "plc/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double secs(const Placer__Time *t)
{
    return t && t->has_ns ? (double)t->ns / 1e9 : 0;
}

static double draw_hold(const Placer__Holding *h, uint64_t *s)
{
    if (!h)
        return INFINITY;
    if (h->fixed && h->fixed->has_ns)
        return secs(h->fixed);
    if (h->exponential && h->exponential->has_ns)
        return -secs(h->exponential) * log(sim__unit(s));
    if (h->n_samples)
        return secs(h->samples[sim__mix(s) % h->n_samples]);
    return INFINITY;
}

static int cmp_event(const void *a, const void *b)
{
    const struct sim_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->tmpl != y->tmpl)
        return x->tmpl < y->tmpl ? -1 : 1;
    return 0;
}

int sim_events_from_scenario(const Placer__Scenario *s, double horizon_s,
                             uint64_t max_arrivals, struct sim_event **out,
                             size_t *n)
{
    size_t cap = 1024, k = 0;
    struct sim_event *ev = malloc(cap * sizeof *ev);
    if (!ev)
        return PLC_ENOMEM;
    uint64_t seed = s->has_seed ? s->seed : 1;
    for (size_t i = 0; i < s->n_workflows; i++) {
        const Placer__ScenarioWorkflow *w = s->workflows[i];
        const Placer__ArrivalProcess *a = w->arrival;
        if (!a)
            continue;
        /* a stream per template: adding one leaves the others' draws */
        uint64_t st = seed * 0x100000001b3ULL + i, hs = st ^ 0x5bd1e995ULL;
        double t = secs(a->start);
        for (size_t j = 0;; j++) {
            if (a->n_at) {
                if (j == a->n_at)
                    break;
                t = secs(a->at[j]);
            } else if (a->every && a->every->has_ns) {
                t += secs(a->every);
            } else {
                t += -secs(a->poisson) * log(sim__unit(&st));
            }
            if (horizon_s > 0 && t > horizon_s)
                break;
            /* (each template alone never beyond the cap; cut below) */
            if (max_arrivals && j >= max_arrivals)
                break;
            if (k == cap) {
                struct sim_event *x = realloc(ev, 2 * cap * sizeof *ev);
                if (!x) {
                    free(ev);
                    return PLC_ENOMEM;
                }
                ev = x;
                cap *= 2;
            }
            ev[k++] = (struct sim_event){.t = t,
                                         .kind = SIM_SUBMIT,
                                         .tmpl = (uint32_t)i,
                                         .hold = draw_hold(w->holding, &hs)};
        }
    }
    qsort(ev, k, sizeof *ev, cmp_event);
    if (max_arrivals && k > max_arrivals)
        k = (size_t)max_arrivals;
    *out = ev;
    *n = k;
    return 0;
}

const char *sim_family_name(enum place_reject r)
{
    static const char *const names[SIM_FAMILIES] = {
        [PLACE_REJECT_NONE] = "none",
        [PLACE_REJECT_CPU] = "cpu",
        [PLACE_REJECT_MEMORY] = "memory",
        [PLACE_REJECT_BANDWIDTH] = "bandwidth",
        [PLACE_REJECT_DEADLINE] = "deadline",
        [PLACE_REJECT_LINK_LATENCY] = "link_latency",
        [PLACE_REJECT_NO_ROUTE] = "no_route",
        [PLACE_REJECT_PROBABILITY] = "probability",
        [PLACE_REJECT_PLACEMENT_RULES] = "placement_rules",
        [PLACE_REJECT_TIMEOUT] = "timeout",
        [PLACE_REJECT_NO_HOSTS] = "no_hosts",
    };
    return (unsigned)r < SIM_FAMILIES && names[r] ? names[r] : "other";
}

const char *sim_status_name(enum place_status s)
{
    switch (s) {
    case PLACE_OPTIMAL:
        return "optimal";
    case PLACE_FEASIBLE:
        return "feasible";
    case PLACE_INFEASIBLE:
        return "infeasible";
    case PLACE_TIMEOUT:
        return "timeout";
    }
    return "other";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sim_percentile(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    double r = q * (double)(n - 1);
    size_t lo = (size_t)floor(r), hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (r - (double)lo);
}

/* ---- one run -------------------------------------------------------------
 */

/* A copy that holds reservations. */
struct copy {
    uint32_t tmpl;
    size_t submit; /* its submit event */
    double end;    /* departure time (INFINITY: never) */
    struct place_plan plan;
    bool live;
};

struct run {
    const struct sim_run_in *in;
    struct sim_result *out;
    struct srv_decider *d;
    const Placer__Cluster *base; /* the decider's cluster (residual's
                                    shape) */
    size_t H, L;
    double *cap; /* per host: its cores x capacity */
    bool *down;
    struct copy *copies;
    size_t n_copies, cap_copies;
    size_t *of_event; /* submit event -> copy index + 1 (0: none) */
    size_t *heap;     /* copies by departure time */
    size_t n_heap;
    size_t active;
    /* the interval in progress */
    size_t iv_arrivals, iv_admitted;
    /* room in the result's arrays that grow by one entry per decision */
    size_t cap_solver, cap_mc, cap_decisions;
    size_t *iv_t_arr, *iv_t_adm; /* per template */
    double next_point;
};

static double host_capacity(const Placer__Host *h)
{
    int cores = h->has_cores ? h->cores : 1;
    double cap = h->has_core_capacity ? h->core_capacity : 1.0;
    return cores * cap;
}

static void heap_push(struct run *r, size_t c)
{
    size_t i = r->n_heap++;
    r->heap[i] = c;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (r->copies[r->heap[p]].end <= r->copies[r->heap[i]].end)
            break;
        size_t t = r->heap[p];
        r->heap[p] = r->heap[i];
        r->heap[i] = t;
        i = p;
    }
}

static size_t heap_pop(struct run *r)
{
    size_t top = r->heap[0];
    r->heap[0] = r->heap[--r->n_heap];
    for (size_t i = 0;;) {
        size_t a = 2 * i + 1, b = a + 1, m = i;
        if (a < r->n_heap &&
            r->copies[r->heap[a]].end < r->copies[r->heap[m]].end)
            m = a;
        if (b < r->n_heap &&
            r->copies[r->heap[b]].end < r->copies[r->heap[m]].end)
            m = b;
        if (m == i)
            break;
        size_t t = r->heap[m];
        r->heap[m] = r->heap[i];
        r->heap[i] = t;
        i = m;
    }
    return top;
}

/* Room for entry n of the array at *v (entries of `size` bytes, *cap of
 * them): doubled when full.  false when memory runs out (*v as it was). */
static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 64;
    void *x = realloc(*v, c * size);
    if (!x)
        return false;
    *v = x;
    *cap = c;
    return true;
}

/* The state at the end of an interval, and the interval's counts. */
static int take_point(struct run *r, double t)
{
    struct sim_result *o = r->out;
    struct sim_point *p = realloc(o->points, (o->n_points + 1) * sizeof *p);
    if (!p)
        return PLC_ENOMEM;
    o->points = p;
    double *hc = realloc(o->host_cpu, (o->n_points + 1) * r->H * sizeof *hc);
    if (!hc)
        return PLC_ENOMEM;
    o->host_cpu = hc;
    size_t T = r->in->n_tmpl;
    size_t *pa = realloc(o->pt_arrivals, (o->n_points + 1) * T * sizeof *pa);
    if (!pa)
        return PLC_ENOMEM;
    o->pt_arrivals = pa;
    size_t *pd = realloc(o->pt_admitted, (o->n_points + 1) * T * sizeof *pd);
    if (!pd)
        return PLC_ENOMEM;
    o->pt_admitted = pd;
    memcpy(pa + o->n_points * T, r->iv_t_arr, T * sizeof *pa);
    memcpy(pd + o->n_points * T, r->iv_t_adm, T * sizeof *pd);
    memset(r->iv_t_arr, 0, T * sizeof *r->iv_t_arr);
    memset(r->iv_t_adm, 0, T * sizeof *r->iv_t_adm);
    double used = 0, all = 0, lf = 0;
    const Placer__Cluster *res = srv_decider_residual(r->d);
    for (size_t h = 0; h < r->H; h++) {
        double u = srv_decider_host_cpu(r->d, h);
        hc[o->n_points * r->H + h] = r->cap[h] > 0 ? u / r->cap[h] : 0;
        if (r->down[h])
            continue;
        used += u;
        all += r->cap[h];
        const Placer__Host *x = res ? res->hosts[h] : NULL;
        double cc = x && x->has_core_capacity ? x->core_capacity : 1.0;
        for (size_t k = 0; x && k < x->n_used; k++)
            lf = fmax(lf, cc - x->used[k]);
        if (x && x->n_used == 0)
            lf = fmax(lf, cc);
    }
    double ls = 0;
    size_t nl = 0;
    for (size_t l = 0; l < r->L; l++) {
        const Placer__Link *x = r->base->links[l];
        double rate = x->rate && x->rate->has_bps ? (double)x->rate->bps : 0;
        if (rate <= 0)
            continue;
        ls += fmax(srv_decider_link_rate(r->d, l, 0),
                   srv_decider_link_rate(r->d, l, 1)) /
              rate;
        nl++;
    }
    p[o->n_points++] = (struct sim_point){t,
                                          r->iv_arrivals,
                                          r->iv_admitted,
                                          all > 0 ? used / all : 0,
                                          nl ? ls / (double)nl : 0,
                                          lf,
                                          r->active};
    r->iv_arrivals = r->iv_admitted = 0;
    return 0;
}

/* Points up to time t (exclusive of events at t). */
static int points_until(struct run *r, double t)
{
    while (r->in->interval_s > 0 && r->next_point < t &&
           r->next_point <= r->in->horizon_s + 1e-9) {
        int rc = take_point(r, r->next_point);
        if (rc < 0)
            return rc;
        r->next_point += r->in->interval_s;
    }
    return 0;
}

static char *describe(const struct run *r, const Placer__Workflow *w,
                      const struct place_plan *plan)
{
    size_t cap = 64 + w->n_services * 160, n = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t v = 0; v < w->n_services; v++) {
        const struct place_service_plan *sp = &plan->services[v];
        int vc = w->services[v]->has_vcpus ? w->services[v]->vcpus : 1;
        n += (size_t)snprintf(s + n, cap - n, "%s%s %s ", v ? "; " : "",
                              w->services[v]->name,
                              r->base->hosts[sp->host]->name);
        for (int k = 0; k < vc && n < cap; k++)
            n += (size_t)snprintf(s + n, cap - n, "%s%u", k ? "+" : "",
                                  (unsigned)sp->cores[k]);
        if (n < cap)
            n += (size_t)snprintf(s + n, cap - n, " %llu/%llu",
                                  (unsigned long long)sp->item.budget_ns,
                                  (unsigned long long)sp->item.period_ns);
        if (n >= cap)
            break;
    }
    return s;
}

static int record(struct run *r, double t, uint32_t tmpl, bool replaced,
                  const struct place_plan *plan)
{
    struct sim_result *o = r->out;
    if (!r->in->keep_decisions)
        return 0;
    if (!grow((void **)&o->decisions, &r->cap_decisions, o->n_decisions,
              sizeof *o->decisions))
        return PLC_ENOMEM;
    struct sim_decision *d = &o->decisions[o->n_decisions++];
    *d = (struct sim_decision){
        t,    tmpl,          plan->admitted, replaced, plan->reject,
        NULL, plan->time_ms, plan->status};
    if (plan->admitted && !(d->plan = describe(r, r->in->tmpl[tmpl].w, plan)))
        return PLC_ENOMEM;
    return 0;
}

/* The Monte-Carlo check of a copy just admitted, on the cores as they are
 * now (for reservations, what others do later changes nothing). */
static int check_copy(struct run *r, const struct model_problem *mp,
                      const struct place_plan *plan, double t, uint32_t tmpl,
                      bool self_loaded)
{
    struct sim_result *o = r->out;
    double t0 = plc_now_ms();
    if (!grow((void **)&o->mc, &r->cap_mc, o->n_mc, sizeof *o->mc))
        return PLC_ENOMEM;
    struct sim_mc_copy *m = &o->mc[o->n_mc];
    size_t ok = 0;
    int rc = sim_mc_check(mp, plan, r->in->mc_jobs,
                          r->in->seed * 1000003u + o->n_mc, self_loaded, &ok);
    if (rc < 0)
        return rc;
    *m = (struct sim_mc_copy){tmpl,
                              t,
                              mp->problem.probability,
                              plan->probability_bound,
                              r->in->mc_jobs,
                              ok,
                              0,
                              0};
    sim_clopper_pearson(ok, m->jobs, 0.95, &m->lo, &m->hi);
    o->mc_broken += m->hi < m->promise;
    o->n_mc++;
    o->mc_ms += plc_now_ms() - t0;
    return 0;
}

/* Decide a submission at time t that holds until `end`; admitted, it
 * becomes a copy.  *admitted says which. */
static int submit(struct run *r, double t, uint32_t tmpl, size_t event,
                  double end, bool replaced, bool *admitted)
{
    const struct sim_run_in *in = r->in;
    struct sim_result *o = r->out;
    const Placer__Workflow *w = in->tmpl[tmpl].w;
    struct model_problem mp;
    struct place_plan plan;
    struct plc_error err = PLC_ERROR_INIT;
    memset(&mp, 0, sizeof mp);
    memset(&plan, 0, sizeof plan);
    int rc = srv_decide_policy(r->d, w, in->policy, in->objective,
                               in->time_limit_s, &mp, &plan, &err);
    /* (requests-only: checked when it leaves, with what came after) */
    if (rc == 0 && plan.admitted && in->mc_jobs &&
        in->policy != SRV_POLICY_REQUESTS_ONLY &&
        mp.problem.deadline_ns != PLACE_UNLIMITED)
        rc = check_copy(r, &mp, &plan, t, tmpl, false);
    model_problem_release(&mp);
    if (rc < 0) {
        place_plan_release(&plan);
        return rc;
    }
    if (!grow((void **)&o->solver_ms, &r->cap_solver, o->n_solver,
              sizeof *o->solver_ms)) {
        place_plan_release(&plan);
        return PLC_ENOMEM;
    }
    o->solver_ms[o->n_solver++] = plan.time_ms;
    *admitted = plan.admitted;
    rc = record(r, t, tmpl, replaced, &plan);
    if (rc == 0 && plan.admitted)
        rc = srv_decide_admit(r->d, w, &plan);
    if (rc < 0 || !plan.admitted) {
        if (!plan.admitted)
            o->rejected[(unsigned)plan.reject < SIM_FAMILIES ? plan.reject
                                                             : 0]++;
        place_plan_release(&plan);
        return rc;
    }
    if (r->n_copies == r->cap_copies) {
        size_t nc = r->cap_copies ? 2 * r->cap_copies : 256;
        struct copy *c = realloc(r->copies, nc * sizeof *c);
        size_t *hp = realloc(r->heap, nc * sizeof *hp);
        if (c)
            r->copies = c;
        if (hp)
            r->heap = hp;
        if (!c || !hp) {
            place_plan_release(&plan);
            return PLC_ENOMEM;
        }
        r->cap_copies = nc;
    }
    size_t k = r->n_copies++;
    r->copies[k] = (struct copy){tmpl, event, end, plan, true};
    if (event != SIZE_MAX)
        r->of_event[event] = k + 1;
    if (isfinite(end))
        heap_push(r, k);
    r->active++;
    return 0;
}

/* Copy k leaves at time t.  Without a reservation (requests-only) its
 * check comes now: its cores as they are when it leaves, with every copy
 * admitted beside it since, its own load included. */
static int depart(struct run *r, size_t k, double t)
{
    struct copy *c = &r->copies[k];
    if (!c->live)
        return 0;
    const Placer__Workflow *w = r->in->tmpl[c->tmpl].w;
    int rc = 0;
    if (r->in->policy == SRV_POLICY_REQUESTS_ONLY && r->in->mc_jobs) {
        struct model_problem mp;
        struct plc_error err = PLC_ERROR_INIT;
        memset(&mp, 0, sizeof mp);
        rc = srv_decider_problem(r->d, w, 0, 0, &mp, &err);
        if (rc == 0 && mp.problem.deadline_ns != PLACE_UNLIMITED)
            rc = check_copy(r, &mp, &c->plan, t, c->tmpl, true);
        model_problem_release(&mp);
        if (rc < 0)
            return rc;
    }
    rc = srv_decide_release(r->d, w, &c->plan);
    place_plan_release(&c->plan);
    c->live = false;
    r->active--;
    return rc;
}

/* Departures due by time t (inclusive: capacity is free before an
 * arrival at the same time). */
static int departures_until(struct run *r, double t)
{
    while (r->n_heap && r->copies[r->heap[0]].end <= t) {
        size_t k = heap_pop(r);
        int rc = points_until(r, r->copies[k].end);
        if (rc == 0)
            rc = depart(r, k, r->copies[k].end);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static size_t host_index(const struct run *r, const char *name)
{
    for (size_t h = 0; name && h < r->H; h++)
        if (!strcmp(r->base->hosts[h]->name, name))
            return h;
    return SIZE_MAX;
}

/* Host h fails at t: its copies are evicted (released) and submitted
 * again at once for what is left of their holding. */
static int host_down(struct run *r, size_t h, double t)
{
    if (r->down[h])
        return 0;
    r->down[h] = true;
    srv_decider_set_host_down(r->d, h, true);
    size_t n = r->n_copies;
    for (size_t k = 0; k < n; k++) {
        struct copy *c = &r->copies[k];
        if (!c->live)
            continue;
        const Placer__Workflow *w = r->in->tmpl[c->tmpl].w;
        bool on = false;
        for (size_t v = 0; v < w->n_services && !on; v++)
            on = c->plan.services[v].host == h;
        if (!on)
            continue;
        uint32_t tmpl = c->tmpl;
        double end = c->end;
        size_t ev = c->submit;
        int rc = depart(r, k, t); /* (its heap entry is skipped when due) */
        if (rc < 0)
            return rc;
        r->out->evicted++;
        if (ev != SIZE_MAX)
            r->of_event[ev] = 0;
        bool again = false;
        rc = submit(r, t, tmpl, ev, end, true, &again);
        if (rc < 0)
            return rc;
        r->out->replaced += again;
    }
    return 0;
}

int sim_run(const struct sim_run_in *in, struct sim_result *out,
            struct plc_error *err)
{
    double t0 = plc_now_ms();
    memset(out, 0, sizeof *out);
    struct run r = {.in = in, .out = out};
    /* the decider takes a copy of the variant's cluster */
    Placer__Cluster *c = sim_variant_cluster(in->cluster, NULL, err);
    if (!c || srv_decider_new(c, &r.d) < 0)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    r.base = in->cluster;
    r.H = in->cluster->n_hosts;
    r.L = in->cluster->n_links;
    out->n_hosts = r.H;
    out->t_arrivals = calloc(in->n_tmpl + 1, sizeof *out->t_arrivals);
    out->t_admitted = calloc(in->n_tmpl + 1, sizeof *out->t_admitted);
    out->host_names = calloc(r.H + 1, sizeof *out->host_names);
    r.cap = calloc(r.H + 1, sizeof *r.cap);
    r.down = calloc(r.H + 1, sizeof *r.down);
    r.of_event = calloc(in->n_ev + 1, sizeof *r.of_event);
    r.iv_t_arr = calloc(in->n_tmpl + 1, sizeof *r.iv_t_arr);
    r.iv_t_adm = calloc(in->n_tmpl + 1, sizeof *r.iv_t_adm);
    int rc = out->t_arrivals && out->t_admitted && out->host_names && r.cap &&
                     r.down && r.of_event && r.iv_t_arr && r.iv_t_adm
                 ? 0
                 : PLC_ENOMEM;
    for (size_t h = 0; rc == 0 && h < r.H; h++) {
        r.cap[h] = host_capacity(in->cluster->hosts[h]);
        if (!(out->host_names[h] = strdup(in->cluster->hosts[h]->name)))
            rc = PLC_ENOMEM;
    }
    r.next_point = in->interval_s;
    for (size_t i = 0; rc == 0 && i < in->n_ev; i++) {
        const struct sim_event *e = &in->ev[i];
        rc = departures_until(&r, e->t);
        if (rc == 0)
            rc = points_until(&r, e->t);
        if (rc < 0)
            break;
        switch (e->kind) {
        case SIM_SUBMIT: {
            bool ok = false;
            rc = submit(&r, e->t, e->tmpl, i, e->t + e->hold, false, &ok);
            out->arrivals++;
            out->t_arrivals[e->tmpl]++;
            r.iv_arrivals++;
            r.iv_t_arr[e->tmpl]++;
            if (ok) {
                out->admitted++;
                out->t_admitted[e->tmpl]++;
                r.iv_admitted++;
                r.iv_t_adm[e->tmpl]++;
                out->revenue += in->tmpl[e->tmpl].price;
            }
            break;
        }
        case SIM_RELEASE:
            if (e->of < in->n_ev && r.of_event[e->of]) {
                size_t k = r.of_event[e->of] - 1;
                r.of_event[e->of] = 0;
                rc = depart(&r, k, e->t);
            }
            break;
        case SIM_HOST_DOWN:
        case SIM_HOST_UP: {
            size_t h = host_index(&r, e->host);
            if (h == SIZE_MAX)
                break; /* (a host the variant removed) */
            if (e->kind == SIM_HOST_DOWN)
                rc = host_down(&r, h, e->t);
            else if (r.down[h]) {
                r.down[h] = false;
                srv_decider_set_host_down(r.d, h, false);
            }
            break;
        }
        }
        if (in->progress)
            atomic_fetch_add(in->progress, 1);
    }
    /* the departures and points to the horizon */
    if (rc == 0)
        rc = departures_until(&r, in->horizon_s);
    if (rc == 0)
        rc = points_until(&r, in->horizon_s + in->interval_s * 0.5);
    /* a last, shorter interval up to the horizon */
    if (rc == 0 && in->interval_s > 0 &&
        (!out->n_points ||
         out->points[out->n_points - 1].t < in->horizon_s - 1e-9))
        rc = take_point(&r, in->horizon_s);
    /* what holds to the end: requests-only copies checked there */
    for (size_t k = 0; rc == 0 && k < r.n_copies; k++)
        if (r.copies[k].live && in->policy == SRV_POLICY_REQUESTS_ONLY)
            rc = depart(&r, k, in->horizon_s);
    for (size_t k = 0; k < r.n_copies; k++)
        if (r.copies[k].live)
            place_plan_release(&r.copies[k].plan);
    free(r.copies);
    free(r.heap);
    free(r.of_event);
    free(r.iv_t_arr);
    free(r.iv_t_adm);
    free(r.cap);
    free(r.down);
    srv_decider_free(r.d);
    out->wall_ms = plc_now_ms() - t0;
    if (rc < 0)
        return plc_error_set(err, rc, "simulation failed (%s)",
                             plc_strerror(rc));
    return 0;
}

void sim_result_release(struct sim_result *r)
{
    free(r->t_arrivals);
    free(r->t_admitted);
    free(r->solver_ms);
    free(r->points);
    free(r->host_cpu);
    free(r->pt_arrivals);
    free(r->pt_admitted);
    for (size_t h = 0; r->host_names && h < r->n_hosts; h++)
        free(r->host_names[h]);
    free(r->host_names);
    for (size_t i = 0; i < r->n_decisions; i++)
        free(r->decisions[i].plan);
    free(r->decisions);
    free(r->mc);
    memset(r, 0, sizeof *r);
}
