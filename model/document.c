/* document.c: a place_plan as the Plan document of FORMATS.md. */
#include "model/model.h"
#include "plc/clock.h"
#include "plc/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocation helpers that record failure in *oom and keep going. */
static void *zalloc(size_t n, bool *oom)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        *oom = true;
    return p;
}

static char *dup(const char *s, bool *oom)
{
    char *d = strdup(s ? s : "");
    if (!d)
        *oom = true;
    return d;
}

static uint64_t to_us(uint64_t ns)
{
    return (ns + 999) / 1000;
}

static int rejection_code(enum place_reject r)
{
    static const int codes[] = {
        [PLACE_REJECT_NONE] = 0,
        [PLACE_REJECT_CPU] = PLACER__REJECTION_CODE__REJECTION_CODE_CPU,
        [PLACE_REJECT_MEMORY] = PLACER__REJECTION_CODE__REJECTION_CODE_MEMORY,
        [PLACE_REJECT_BANDWIDTH] =
            PLACER__REJECTION_CODE__REJECTION_CODE_BANDWIDTH,
        [PLACE_REJECT_DEADLINE] =
            PLACER__REJECTION_CODE__REJECTION_CODE_DEADLINE,
        [PLACE_REJECT_LINK_LATENCY] =
            PLACER__REJECTION_CODE__REJECTION_CODE_LINK_LATENCY,
        [PLACE_REJECT_NO_ROUTE] =
            PLACER__REJECTION_CODE__REJECTION_CODE_NO_ROUTE,
        [PLACE_REJECT_PROBABILITY] =
            PLACER__REJECTION_CODE__REJECTION_CODE_PROBABILITY,
        [PLACE_REJECT_PLACEMENT_RULES] =
            PLACER__REJECTION_CODE__REJECTION_CODE_PLACEMENT_RULES,
        [PLACE_REJECT_TIMEOUT] = PLACER__REJECTION_CODE__REJECTION_CODE_TIMEOUT,
        [PLACE_REJECT_NO_HOSTS] =
            PLACER__REJECTION_CODE__REJECTION_CODE_NO_HOSTS,
    };
    return codes[r];
}

static Placer__Rejection *rejection(const struct place_plan *plan, bool *oom)
{
    Placer__Rejection *r = zalloc(sizeof *r, oom);
    if (!r)
        return NULL;
    placer__rejection__init(r);
    r->has_code = 1;
    r->code = rejection_code(plan->reject);
    r->message = dup(plan->message, oom);
    r->details = zalloc(plan->n_details * sizeof *r->details, oom);
    for (size_t i = 0; r->details && i < plan->n_details; i++) {
        const struct place_detail *d = &plan->details[i];
        Placer__Rejection__DetailsEntry *e = zalloc(sizeof *e, oom);
        Placer__Scalar *v = zalloc(sizeof *v, oom);
        if (!e || !v) {
            free(e);
            free(v);
            break;
        }
        placer__rejection__details_entry__init(e);
        placer__scalar__init(v);
        e->key = dup(d->key, oom);
        if (d->text[0]) {
            v->kind_case = PLACER__SCALAR__KIND_TEXT;
            v->text = dup(d->text, oom);
        } else {
            v->kind_case = PLACER__SCALAR__KIND_NUMBER;
            v->number = d->number;
        }
        e->value = v;
        r->details[r->n_details++] = e;
    }
    return r;
}

static Placer__PlacedService *placed_service(const struct model_problem *mp,
                                             const struct place_plan *plan,
                                             size_t v, bool *oom)
{
    const struct place_service_plan *sp = &plan->services[v];
    const struct place_service *s = &mp->services[v];
    Placer__PlacedService *x = zalloc(sizeof *x, oom);
    if (!x)
        return NULL;
    placer__placed_service__init(x);
    x->name = dup(s->name, oom);
    x->host = dup(mp->hosts[sp->host].name, oom);
    x->cores = zalloc((size_t)s->vcpus * sizeof *x->cores, oom);
    for (int k = 0; x->cores && k < s->vcpus; k++)
        x->cores[x->n_cores++] = (uint32_t)sp->cores[k];
    x->has_budget_us = x->has_period_us = x->has_deadline_us = 1;
    x->has_utilization = x->has_stage_probability = 1;
    x->budget_us = to_us(sp->item.budget_ns);
    x->period_us = to_us(sp->item.period_ns);
    x->deadline_us = to_us(sp->item.deadline_ns);
    x->utilization = sp->item.utilization;
    x->stage_probability = sp->item.phi;
    uint64_t sd = mp->hosts[sp->host].platform.supply_delay_ns;
    if (sd) {
        x->has_supply_delay_us = 1;
        x->supply_delay_us = to_us(sd);
    }
    return x;
}

static const char *wf_node_name(const struct model_problem *mp, size_t n)
{
    return n < mp->problem.n_endpoints
               ? mp->endpoint_names[n]
               : mp->services[n - mp->problem.n_endpoints].name;
}

static Placer__PlacedLink *placed_link(const struct model_problem *mp,
                                       const struct place_plan *plan, size_t i,
                                       bool *oom)
{
    const struct place_vlink *e = &mp->vlinks[i];
    const struct place_vlink_plan *vp = &plan->vlinks[i];
    Placer__PlacedLink *x = zalloc(sizeof *x, oom);
    if (!x)
        return NULL;
    placer__placed_link__init(x);
    x->from = dup(wf_node_name(mp, e->from), oom);
    x->to = dup(wf_node_name(mp, e->to), oom);
    x->path = zalloc(vp->n_path * sizeof *x->path, oom);
    for (size_t k = 0; x->path && k < vp->n_path; k++)
        x->path[x->n_path++] = dup(mp->node_names[vp->path[k]], oom);
    x->has_rate_bps = x->has_latency_us = x->has_crossings = 1;
    x->rate_bps = e->rate_bps;
    x->latency_us = to_us(vp->latency_ns);
    x->crossings = e->crossings;
    return x;
}

static int solver_status(enum place_status s)
{
    switch (s) {
    case PLACE_OPTIMAL:
        return PLACER__SOLVER_STATUS__SOLVER_STATUS_OPTIMAL;
    case PLACE_FEASIBLE:
        return PLACER__SOLVER_STATUS__SOLVER_STATUS_FEASIBLE;
    case PLACE_INFEASIBLE:
        return PLACER__SOLVER_STATUS__SOLVER_STATUS_INFEASIBLE;
    case PLACE_TIMEOUT:
        return PLACER__SOLVER_STATUS__SOLVER_STATUS_TIMEOUT;
    }
    return 0;
}

static int objective_kind(enum place_objective o)
{
    static const int kinds[] = {
        [PLACE_OBJ_UTILIZATION] = PLACER__OBJECTIVE__OBJECTIVE_UTILIZATION,
        [PLACE_OBJ_COST] = PLACER__OBJECTIVE__OBJECTIVE_COST,
        [PLACE_OBJ_HOSTS] = PLACER__OBJECTIVE__OBJECTIVE_HOSTS,
        [PLACE_OBJ_BANDWIDTH] = PLACER__OBJECTIVE__OBJECTIVE_BANDWIDTH,
        [PLACE_OBJ_BALANCE] = PLACER__OBJECTIVE__OBJECTIVE_BALANCE,
    };
    return kinds[o];
}

/* The arrival model as the workflow file writes it. */
static Placer__Arrival *arrival_doc(struct sched_arrival a, bool *oom)
{
    Placer__Arrival *x = zalloc(sizeof *x, oom);
    if (!x)
        return NULL;
    placer__arrival__init(x);
    if (a.kind == SCHED_ARRIVAL_CLOSED) {
        x->arrival_case = PLACER__ARRIVAL__ARRIVAL_MODEL;
        x->model = dup("closed", oom);
        return x;
    }
    x->arrival_case = PLACER__ARRIVAL__ARRIVAL_RATE;
    x->rate = zalloc(sizeof *x->rate, oom);
    if (!x->rate)
        return x;
    placer__arrival_rate__init(x->rate);
    Placer__Time *t = zalloc(sizeof *t, oom);
    if (!t)
        return x;
    placer__time__init(t);
    t->has_ns = 1;
    t->ns = a.interarrival_ns;
    if (a.kind == SCHED_ARRIVAL_PERIODIC)
        x->rate->period = t;
    else
        x->rate->min_interarrival = t;
    return x;
}

/* "measured" when every host the plan uses has platform terms, "ideal"
 * when none has, else "mixed". */
static const char *platform_word(const struct model_problem *mp,
                                 const struct place_plan *plan)
{
    size_t with = 0, without = 0;
    for (size_t v = 0; v < mp->problem.n_services; v++) {
        if (mp->hosts[plan->services[v].host].platform.measured)
            with++;
        else
            without++;
    }
    return !with ? "ideal" : !without ? "measured" : "mixed";
}

/* The admitted parts: objective, guarantee, services, links, hosts. */
static void admitted_parts(const struct model_problem *mp,
                           const struct place_plan *plan, Placer__Plan *d,
                           bool *oom)
{
    const struct place_problem *p = &mp->problem;
    d->objective = zalloc(sizeof *d->objective, oom);
    if (d->objective) {
        placer__objective_value__init(d->objective);
        d->objective->has_kind = d->objective->has_value = 1;
        d->objective->kind = objective_kind(p->objective);
        d->objective->value = plan->objective;
    }
    d->guarantee = zalloc(sizeof *d->guarantee, oom);
    if (d->guarantee) {
        Placer__Guarantee *g = d->guarantee;
        placer__guarantee__init(g);
        if (p->deadline_ns != PLACE_UNLIMITED) {
            g->has_deadline_us = 1;
            g->deadline_us = p->deadline_ns / 1000;
        }
        g->has_latency_bound_us = g->has_probability_target = 1;
        g->has_probability_model = g->has_probability_bound = 1;
        g->has_probability_exact = 1;
        g->latency_bound_us = to_us(plan->latency_bound_ns);
        g->probability_target = p->probability;
        g->probability_model =
            p->prob_model == PLACE_PROB_INDEPENDENT
                ? PLACER__PROBABILITY_MODEL__PROBABILITY_MODEL_INDEPENDENT
                : PLACER__PROBABILITY_MODEL__PROBABILITY_MODEL_UNION;
        g->probability_bound = plan->probability_bound;
        g->probability_exact = plan->probability_exact;
        g->arrival = arrival_doc(mp->arrival, oom);
        g->platform = dup(platform_word(mp, plan), oom);
    }
    d->services = zalloc(p->n_services * sizeof *d->services, oom);
    for (size_t v = 0; d->services && v < p->n_services; v++) {
        Placer__PlacedService *x = placed_service(mp, plan, v, oom);
        if (x)
            d->services[d->n_services++] = x;
    }
    d->links = zalloc(p->n_vlinks * sizeof *d->links, oom);
    for (size_t i = 0; d->links && i < p->n_vlinks; i++) {
        Placer__PlacedLink *x = placed_link(mp, plan, i, oom);
        if (x)
            d->links[d->n_links++] = x;
    }
    d->hosts_used = zalloc(p->n_services * sizeof *d->hosts_used, oom);
    for (size_t h = 0; d->hosts_used && h < mp->cluster.n_hosts; h++) {
        bool used = false;
        for (size_t v = 0; v < p->n_services && !used; v++)
            used = plan->services[v].host == h;
        if (used)
            d->hosts_used[d->n_hosts_used++] = dup(mp->hosts[h].name, oom);
    }
}

int model_plan_document(const struct model_problem *mp,
                        const Placer__Workflow *w,
                        const struct place_plan *plan, Placer__Plan **out)
{
    bool oom = false;
    Placer__Plan *d = zalloc(sizeof *d, &oom);
    *out = NULL;
    if (!d)
        return PLC_ENOMEM;
    placer__plan__init(d);
    d->has_schema = d->has_admitted = 1;
    d->schema = 1;
    d->workflow = dup(w->name, &oom);
    d->admitted = plan->admitted;
    d->solver = zalloc(sizeof *d->solver, &oom);
    if (d->solver) {
        placer__solver_info__init(d->solver);
        d->solver->has_status = d->solver->has_time_ms = 1;
        d->solver->has_nodes = 1;
        d->solver->status = solver_status(plan->status);
        d->solver->time_ms = round(plan->time_ms * 10) / 10;
        d->solver->nodes = (uint64_t)(plan->nodes > 0 ? plan->nodes : 0);
        if (plan->admitted) {
            d->solver->has_gap = d->solver->has_bound = 1;
            d->solver->gap = plan->gap;
            d->solver->bound = plan->bound;
        }
        if (plan->local) {
            d->solver->has_scope = 1;
            d->solver->scope = PLACER__SCOPE__SCOPE_LOCAL;
        }
        if (plan->status == PLACE_OPTIMAL && plan->proof != PLACE_PROOF_NONE) {
            d->solver->has_proof = 1;
            d->solver->proof = plan->proof == PLACE_PROOF_DP
                                   ? PLACER__PROOF__PROOF_DYNAMIC_PROGRAM
                               : plan->proof == PLACE_PROOF_TIMING
                                   ? PLACER__PROOF__PROOF_TIMING_RELAXATION
                               : plan->proof == PLACE_PROOF_SEARCH
                                   ? PLACER__PROOF__PROOF_EXACT_SEARCH
                                   : PLACER__PROOF__PROOF_BRANCH_AND_BOUND;
        }
    }
    if (plan->admitted)
        admitted_parts(mp, plan, d, &oom);
    else
        d->rejection = rejection(plan, &oom);
    if (oom) {
        placer__plan__free_unpacked(d, NULL);
        return PLC_ENOMEM;
    }
    *out = d;
    return 0;
}

int model_plan(struct model_problem *mp, const Placer__Cluster *c,
               const struct model_index *idx, const Placer__Workflow *w,
               int objective, double time_limit_s, const char *export_lp,
               struct place_plan *plan, Placer__Plan **doc,
               struct plc_error *err)
{
    *doc = NULL;
    double t0 = plc_now_ms();
    int rc = idx ? model_problem_build_indexed(mp, c, idx, w, objective,
                                               time_limit_s, err)
                 : model_problem_build(mp, c, w, objective, time_limit_s, err);
    bool timed_out = rc == PLC_ETIMEDOUT;
    if (timed_out) {
        /* the limit ran out before there was a problem to solve: a
         * rejection like the solver's own timeout */
        memset(plan, 0, sizeof *plan);
        plan->status = PLACE_TIMEOUT;
        plan->reject = PLACE_REJECT_TIMEOUT;
        snprintf(plan->message, sizeof plan->message, "%s", err->msg);
        plan->time_ms = plc_now_ms() - t0;
        *err = (struct plc_error)PLC_ERROR_INIT;
        rc = 0;
    } else if (rc == 0 && export_lp) {
        rc = place_export_lp(&mp->problem, export_lp, err);
    }
    if (rc == 0 && !timed_out)
        rc = place_solve(&mp->problem, plan, err);
    if (rc == 0 && model_plan_document(mp, w, plan, doc) < 0)
        rc = plc_error_set(err, PLC_ENOMEM, "out of memory");
    return rc;
}
