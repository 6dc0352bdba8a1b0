/*
 * decide.c: the decision path placerd and the offline commands share
 * (decide.h): plan against the residual, count an admission.
 */
#include "server/decide.h"
#include "admit.h"
#include "internal.h"

#include "plc/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int srv__decide_plan(const Placer__Cluster *residual,
                     const struct model_index *index, const Placer__Workflow *w,
                     int objective, double limit_s, struct model_problem *mp,
                     struct place_plan *plan, Placer__Plan **doc,
                     struct plc_error *err)
{
    return model_plan(mp, residual, index, w, objective, limit_s, NULL, plan,
                      doc, err);
}

int srv__decide_admit(struct totals *t, const Placer__Workflow *w,
                      const struct place_plan *plan,
                      struct admission_rows *rows)
{
    int rc = srv__admission_rows_build(rows, t, w, plan);
    if (rc == 0)
        srv__admission_rows_apply(rows, t, plan);
    return rc;
}

struct srv_decider {
    struct totals t;
};

int srv_decider_new(Placer__Cluster *c, struct srv_decider **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        placer__cluster__free_unpacked(c, NULL);
        return PLC_ENOMEM;
    }
    int rc = srv__totals_set_cluster(&(*out)->t, c);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void srv_decider_free(struct srv_decider *d)
{
    if (!d)
        return;
    srv__totals_release(&d->t);
    free(d);
}

int srv_decide_plan(struct srv_decider *d, const Placer__Workflow *w,
                    int objective, double limit_s, struct model_problem *mp,
                    struct place_plan *plan, Placer__Plan **doc,
                    struct plc_error *err)
{
    const Placer__Cluster *residual = srv__totals_residual(&d->t);
    if (!residual)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    return srv__decide_plan(residual, d->t.index, w, objective, limit_s, mp,
                            plan, doc, err);
}

int srv_decide_admit(struct srv_decider *d, const Placer__Workflow *w,
                     const struct place_plan *plan)
{
    struct admission_rows rows;
    int rc = srv__decide_admit(&d->t, w, plan, &rows);
    srv__admission_rows_release(&rows);
    return rc;
}

const Placer__Cluster *srv_decider_residual(struct srv_decider *d)
{
    return srv__totals_residual(&d->t);
}

double srv_decider_host_cpu(const struct srv_decider *d, size_t h)
{
    double u = 0;
    for (int k = 0; h < d->t.n_hosts && k < d->t.max_cores; k++)
        u += d->t.core[h * (size_t)d->t.max_cores + (size_t)k];
    return u;
}

double srv_decider_link_rate(const struct srv_decider *d, size_t l, int dir)
{
    return l < d->t.n_links ? d->t.link[2 * l + (dir ? 1 : 0)] : 0;
}

int srv_decide_release(struct srv_decider *d, const Placer__Workflow *w,
                       const struct place_plan *plan)
{
    struct admission_rows rows;
    int rc = srv__admission_rows_build(&rows, &d->t, w, plan);
    if (rc == 0)
        srv__admission_rows_unapply(&rows, &d->t, plan);
    srv__admission_rows_release(&rows);
    return rc;
}

static const char *const policy_names[SRV_POLICIES] = {
    "placer", "first-fit", "best-fit", "worst-fit", "requests-only"};

const char *srv_policy_name(enum srv_policy p)
{
    return (unsigned)p < SRV_POLICIES ? policy_names[p] : "?";
}

int srv_policy_parse(const char *name, enum srv_policy *out)
{
    for (int i = 0; i < SRV_POLICIES; i++)
        if (!strcmp(name, policy_names[i])) {
            *out = (enum srv_policy)i;
            return 0;
        }
    return PLC_EINVAL;
}

/* A service's mean time on host h. */
static double mean_time(const struct place_service *s, size_t h)
{
    if (s->exec && s->exec[h])
        return sched_dist_mean(s->exec[h]);
    /* a guest known by its tasks: its least interface's local deadline */
    const struct sched_menu *m = s->menu ? s->menu[h] : NULL;
    size_t best = SIZE_MAX;
    for (size_t i = 0; m && i < m->n; i++)
        if (best == SIZE_MAX || m->v[i].utilization < m->v[best].utilization)
            best = i;
    return best == SIZE_MAX ? 0 : (double)m->v[best].deadline_ns;
}

/* The mean time of one job of the workflow through its DAG (the longest
 * path of mean_time() on host h's speed): how often a closed workflow's
 * jobs come. */
static double mean_cycle(const struct model_problem *mp, size_t h)
{
    const struct place_problem *p = &mp->problem;
    size_t E = p->n_endpoints, N = E + p->n_services;
    double *fin = calloc(N + 1, sizeof *fin), cycle = 0;
    if (!fin)
        return 0;
    /* (relaxed N times: a DAG's longest path needs at most N rounds) */
    for (size_t round = 0; round < N; round++) {
        bool changed = false;
        for (size_t i = 0; i < p->n_vlinks; i++) {
            size_t a = p->vlinks[i].from, b = p->vlinks[i].to;
            double f =
                fin[a] + (b >= E ? mean_time(&p->services[b - E], h) : 0);
            if (f > fin[b] + 1e-9) {
                fin[b] = f;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (size_t n = 0; n < N; n++)
        cycle = fmax(cycle, fin[n]);
    for (size_t v = 0; v < p->n_services; v++)
        cycle = fmax(cycle, mean_time(&p->services[v], h)); /* (alone) */
    free(fin);
    return cycle;
}

double srv_cpu_request(const struct model_problem *mp, size_t v, size_t h)
{
    const struct place_problem *p = &mp->problem;
    const struct place_service *s = &p->services[v];
    const struct sched_dist *ex = s->exec ? s->exec[h] : NULL;
    if (!ex) {
        /* a guest with tasks: its least interface; else nothing */
        const struct sched_menu *m = s->menu ? s->menu[h] : NULL;
        double u = 0;
        for (size_t i = 0; m && i < m->n; i++)
            if (i == 0 || m->v[i].utilization < u)
                u = m->v[i].utilization;
        return u;
    }
    double per = p->arrival.interarrival_ns ? (double)p->arrival.interarrival_ns
                                            : mean_cycle(mp, h);
    return per > 0 ? fmin(1, sched_dist_mean(ex) / per) : 0;
}

/* requests-only (decide.h): first fit of the requests, nothing checked
 * beyond cores and memory. */
static int requests_plan(const struct model_problem *mp,
                         struct place_plan *plan, struct plc_error *err)
{
    const struct place_problem *p = &mp->problem;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts;
    double t0 = plc_now_ms();
    memset(plan, 0, sizeof *plan);
    int max_cores = 1;
    for (size_t h = 0; h < H; h++)
        if (c->hosts[h].cores > max_cores)
            max_cores = c->hosts[h].cores;
    plan->services = calloc(V + 1, sizeof *plan->services);
    plan->vlinks = calloc(p->n_vlinks + 1, sizeof *plan->vlinks);
    plan->n_vlinks_alloc = p->n_vlinks;
    double *load = calloc(H * (size_t)max_cores + 1, sizeof *load);
    uint64_t *mem = calloc(H + 1, sizeof *mem);
    if (!plan->services || !plan->vlinks || !load || !mem) {
        free(load);
        free(mem);
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    }
    plan->status = PLACE_FEASIBLE;
    plan->admitted = true;
    for (size_t v = 0; v < V && plan->admitted; v++) {
        const struct place_service *s = &p->services[v];
        bool placed = false, roomy = false;
        for (size_t h = 0; h < H && !placed; h++) {
            const struct place_host *ho = &c->hosts[h];
            if (s->allowed && !s->allowed[h])
                continue;
            if (ho->mem_bytes != PLACE_UNLIMITED &&
                ho->mem_used_bytes + mem[h] + s->mem_bytes > ho->mem_bytes)
                continue;
            roomy = true;
            double u = srv_cpu_request(mp, v, h);
            double *l = load + h * (size_t)max_cores;
            int got = 0;
            uint16_t cores[PLC_VCPUS_MAX];
            for (int k = 0; k < ho->cores && got < s->vcpus; k++)
                if ((ho->used ? ho->used[k] : 0) + l[k] + u <=
                    ho->core_capacity + 1e-9)
                    cores[got++] = (uint16_t)k;
            if (got < s->vcpus)
                continue;
            for (int i = 0; i < got; i++) {
                l[cores[i]] += u;
                plan->services[v].cores[i] = cores[i];
            }
            mem[h] += s->mem_bytes;
            plan->services[v].host = h;
            plan->services[v].item = (struct sched_menu_item){0, 0, 0, u, 0};
            placed = true;
        }
        if (!placed) {
            plan->admitted = false;
            plan->reject = roomy ? PLACE_REJECT_CPU : PLACE_REJECT_MEMORY;
            snprintf(plan->message, sizeof plan->message,
                     "no host has room for the %s of service %s",
                     roomy ? "CPU request" : "memory", s->name);
        }
    }
    free(load);
    free(mem);
    plan->time_ms = plc_now_ms() - t0;
    return 0;
}

int srv_decide_policy(struct srv_decider *d, const Placer__Workflow *w,
                      enum srv_policy pol, int objective, double limit_s,
                      struct model_problem *mp, struct place_plan *plan,
                      struct plc_error *err)
{
    if (pol == SRV_POLICY_PLACER) {
        Placer__Plan *doc = NULL;
        int rc = srv_decide_plan(d, w, objective, limit_s, mp, plan, &doc, err);
        if (doc)
            placer__plan__free_unpacked(doc, NULL);
        return rc;
    }
    double t0 = plc_now_ms();
    int rc = srv_decider_problem(d, w, objective, limit_s, mp, err);
    if (rc == PLC_ETIMEDOUT) {
        memset(plan, 0, sizeof *plan);
        plan->status = PLACE_TIMEOUT;
        plan->reject = PLACE_REJECT_TIMEOUT;
        snprintf(plan->message, sizeof plan->message, "%s", err->msg);
        plan->time_ms = plc_now_ms() - t0;
        *err = (struct plc_error)PLC_ERROR_INIT;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (pol == SRV_POLICY_REQUESTS_ONLY)
        return requests_plan(mp, plan, err);
    enum place_fit rule = pol == SRV_POLICY_FIRST_FIT  ? PLACE_FIT_FIRST
                          : pol == SRV_POLICY_BEST_FIT ? PLACE_FIT_BEST
                                                       : PLACE_FIT_WORST;
    return place_fit(&mp->problem, rule, plan, err);
}

void srv_decider_set_host_down(struct srv_decider *d, size_t h, bool down)
{
    if (h >= d->t.n_hosts)
        return;
    d->t.agent[h].state = down ? HOST_DOWN : HOST_UNKNOWN;
    srv__totals_touch_agent(&d->t, h);
}

int srv_decider_problem(struct srv_decider *d, const Placer__Workflow *w,
                        int objective, double limit_s, struct model_problem *mp,
                        struct plc_error *err)
{
    const Placer__Cluster *residual = srv__totals_residual(&d->t);
    if (!residual)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    return model_problem_build_indexed(mp, residual, d->t.index, w, objective,
                                       limit_s, err);
}
