/*
 * place.c: solving a placement problem end to end — the MILP, the per-core
 * packing it leaves to us, exact verification, the reported guarantee, and
 * the explanation of a rejection.
 */
#include "plc/clock.h"
#include "internal.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "routes.h"
#include "sched/netcalc.h"
#include "sched/prob.h"

#include <math.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void place_thread_release(void)
{
    glp_free_env();
}

void place_plan_release(struct place_plan *plan)
{
    for (size_t i = 0; plan->vlinks && i < plan->n_vlinks_alloc; i++) {
        free(plan->vlinks[i].path);
        free(plan->vlinks[i].back);
    }
    free(plan->services);
    free(plan->vlinks);
    free(plan->heur_item);
    memset(plan, 0, sizeof *plan);
}

/* Take the tie-break's plan when its cores pack; else keep the one we
 * have.  Returns whether it was taken. */
static bool adopt(const struct place_problem *p, struct place_plan *plan,
                  const struct milp_result *tie)
{
    struct place_service_plan *save = malloc(p->n_services * sizeof *save);
    int *route = malloc((p->n_vlinks + 1) * sizeof *route);
    if (!save || !route) {
        free(save);
        free(route);
        return false;
    }
    memcpy(save, plan->services, p->n_services * sizeof *save);
    for (size_t v = 0; v < p->n_services; v++) {
        plan->services[v].host = tie->host[v];
        plan->services[v].item =
            p->services[v].menu[tie->host[v]]->v[tie->item[v]];
    }
    for (size_t i = 0; i < p->n_vlinks; i++) {
        route[i] = plan->vlinks[i].route;
        plan->vlinks[i].route = tie->route[i];
    }
    bool packed = place__pack_all(p, plan) == 1;
    if (!packed) {
        memcpy(plan->services, save, p->n_services * sizeof *save);
        for (size_t i = 0; i < p->n_vlinks; i++)
            plan->vlinks[i].route = route[i];
    }
    free(save);
    free(route);
    return packed;
}

/* The local plan (local.c) instead of the whole solve's when that found
 * none in time, or a worse one; either way the better of the two bounds
 * holds (both are bounds of the whole problem). */
static void take_spare(struct place_plan *plan, struct place_plan *spare,
                       double spare_lb)
{
    bool better = plan->admitted
                      ? !place__meets(plan->objective, spare->objective)
                      : plan->status == PLACE_TIMEOUT;
    if (!better)
        return;
    double lb = plan->admitted       ? fmax(plan->bound, spare_lb)
                : isfinite(spare_lb) ? spare_lb
                                     : 0;
    place_plan_release(plan);
    *plan = *spare;
    memset(spare, 0, sizeof *spare);
    plan->bound = fmin(fmax(lb, 0), plan->objective);
    double scale = fmax(fabs(plan->objective), 1e-9);
    plan->gap = fmax(0, (plan->objective - plan->bound) / scale);
    plan->status = plan->gap <= 1e-7 ? PLACE_OPTIMAL : PLACE_FEASIBLE;
    if (plan->status == PLACE_OPTIMAL) {
        plan->gap = 0;
        plan->proof = PLACE_PROOF_MILP;
    }
}

/* Does the plan meet the DP's lower bound (bound.c), so it is optimal?
 * (For a part of a larger problem, also: does it meet that problem's
 * bound, so nothing better is wanted.) */
static bool meets_dp(const struct milp *m, const struct place_plan *plan)
{
    double obj = place__plan_objective(m, plan);
    if (m->p->part && m->p->stop_at >= 0 && place__meets(obj, m->p->stop_at))
        return true;
    return (m->has_dp || m->has_tree) &&
           place__meets(obj, m->has_dp ? m->dp_lb : m->tree_lb);
}

/* The optimum of the tree program (treedp.c) as the plan, when it fits
 * the capacities it leaves out: 1 (the plan proven optimal, ties
 * included), 0 (none; its value, if any, kept as a bound), PLC_ENOMEM. */
static int tree_plan(struct milp *m, struct place_plan *plan)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, L = p->n_vlinks;
    size_t *host = malloc((V + 1) * sizeof *host);
    size_t *item = calloc(V + 1, sizeof *item);
    int *route = calloc(L + 1, sizeof *route);
    double lb = 0;
    int rc = host && item && route ? place__tree_dp(m, host, item, route, &lb)
                                   : PLC_ENOMEM;
    if (rc == 1) {
        m->has_tree = true;
        m->tree_lb = lb;
        for (size_t v = 0; v < V; v++) {
            plan->services[v].host = host[v];
            plan->services[v].item = p->services[v].menu[host[v]]->v[item[v]];
        }
        for (size_t i = 0; i < L; i++)
            plan->vlinks[i].route = route[i];
        int packed = place__pack_all(p, plan);
        if (packed == 1 && place__complete_plan(m, plan, NULL) == 0) {
            plan->heur_item = item;
            item = NULL;
        } else {
            place__free_paths(plan, L);
            for (size_t i = 0; i < L; i++)
                plan->vlinks[i].route = 0;
            rc = packed < 0 ? packed : 0;
        }
    }
    free(host);
    free(item);
    free(route);
    return rc;
}

/* Leave out of the model what cannot be in a plan as good as this one
 * (objective utilization; bound.c).  0 or PLC_ENOMEM. */
static int prune_to(struct milp *m, const struct place_plan *plan)
{
    if (m->p->objective != PLACE_OBJ_UTILIZATION)
        return 0;
    size_t removed;
    return place__milp_prune(m, place__plan_objective(m, plan), &removed);
}

/* Service v on host[v] with menu item item[v] in place of the greedy
 * plan (heur_host, plan->heur_item, heur_route), when it packs, passes
 * verification and has a lower objective (than any, without a greedy
 * plan: has false): 1 taken, 0 not, PLC_ENOMEM. */
static int take_plan(const struct milp *m, struct place_plan *plan, bool has,
                     const size_t *host, const size_t *item, size_t *heur_host,
                     int *heur_route)
{
    int rc = place__try_plan(m, plan, host, item,
                             has ? place__plan_objective(m, plan) : INFINITY);
    for (size_t v = 0; rc == 1 && v < m->p->n_services; v++)
        heur_host[v] = host[v];
    for (size_t i = 0; rc == 1 && i < m->p->n_vlinks; i++)
        heur_route[i] = 0;
    return rc;
}

/* The hub bound (bound.c) against the plan in hand: the model's bound
 * raised, and the columns no plan as good uses left out.  0 or
 * PLC_ENOMEM. */
static int hub_step(struct milp *m, const struct place_plan *plan)
{
    double hub = 0;
    bool by_milp = false;
    bool *keep = m->lp ? NULL : malloc((m->ny + 1) * sizeof *keep);
    for (size_t j = 0; keep && j < m->ny; j++)
        keep[j] = true;
    int rc = place__hub_bound(m, place__plan_objective(m, plan), &hub, &by_milp,
                              keep);
    if (rc == 0 && keep)
        place__milp_keep(m, keep);
    free(keep);
    if (rc == 0 && hub > m->dp_lb) {
        m->dp_lb = hub;
        m->dp_by_milp = by_milp;
    }
    return rc;
}

/* The local pass's plan (spare, a plan of the whole cluster) as the plan
 * in hand when it is better: its items found in the whole problem's
 * menus, verified on shortest routes (take_plan).  1 taken, 0 not,
 * PLC_ENOMEM. */
static int take_spare_plan(const struct milp *m, struct place_plan *plan,
                           const struct place_plan *spare, size_t *heur_host,
                           int *heur_route)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    if (!spare->admitted ||
        !(spare->objective < place__plan_objective(m, plan) - 1e-9))
        return 0;
    size_t *host = malloc((V + 1) * sizeof *host);
    size_t *item = malloc((V + 1) * sizeof *item);
    int rc = host && item ? 1 : PLC_ENOMEM;
    for (size_t v = 0; rc == 1 && v < V; v++) {
        host[v] = spare->services[v].host;
        const struct sched_menu *mu = p->services[v].menu[host[v]];
        const struct sched_menu_item *it = &spare->services[v].item;
        rc = 0;
        for (size_t k = 0; mu && k < mu->n && rc == 0; k++)
            if (mu->v[k].budget_ns == it->budget_ns &&
                mu->v[k].period_ns == it->period_ns &&
                mu->v[k].deadline_ns == it->deadline_ns) {
                item[v] = k;
                rc = 1;
            }
    }
    if (rc == 1)
        rc = take_plan(m, plan, true, host, item, heur_host, heur_route);
    free(host);
    free(item);
    return rc;
}

/* The exact search against the plan in hand (has; else none): its plan
 * taken when better (*found; heur_host, plan->heur_item and heur_route
 * follow).  1 proven (the plan in hand optimal, ties included, or with
 * none, no plan at all), 0 not, PLC_ENOMEM. */
static int search_step(const struct milp *m, struct place_plan *plan, bool has,
                       size_t *heur_host, int *heur_route, double share,
                       long max_nodes, bool *found_out)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, L = p->n_vlinks;
    size_t *host = malloc((V + 1) * sizeof *host);
    size_t *item = malloc((V + 1) * sizeof *item);
    if (!host || !item) {
        free(host);
        free(item);
        return PLC_ENOMEM;
    }
    bool found = false;
    long nodes = 0;
    double end = fmin(place__deadline(p), plc_now_s() + share);
    double ub[3] = {INFINITY, INFINITY, INFINITY};
    if (has) {
        /* (new hosts, utilisation, bandwidth x hops) */
        double u = 0;
        for (size_t v = 0; v < V; v++)
            u += p->services[v].vcpus * plan->services[v].item.utilization;
        ub[0] = p->objective == PLACE_OBJ_HOSTS ? place__plan_objective(m, plan)
                                                : 0;
        ub[1] = u;
        ub[2] = place__plan_bandwidth_hops(m, plan);
    }
    int rc = place__search(m, ub, end, max_nodes, host, item, &found, &nodes);
    *found_out = found;
    if (rc >= 0 && found) {
        for (size_t v = 0; v < V; v++) {
            plan->services[v].host = heur_host[v] = host[v];
            plan->services[v].item = p->services[v].menu[host[v]]->v[item[v]];
            plan->heur_item[v] = item[v];
        }
        for (size_t i = 0; i < L; i++)
            plan->vlinks[i].route = heur_route[i] = 0;
        int packed = place__pack_all(p, plan);
        if (packed < 0)
            rc = packed;
        else if (packed == 0)
            rc = 0; /* (the search packed it: never) */
    }
    plan->nodes += nodes;
    free(host);
    free(item);
    return rc;
}

/* The whole model's columns, about: the candidate placements and, per
 * vlink between two services, a pair column per pair of their candidate
 * host groups (on a fat-tree of 1,024 hosts a fork/join's pairs are most
 * of it: counting only the placements let its build run 0.2 s past a
 * 2 s limit). */
static double model_columns(const struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts, G = m->r->n_groups;
    size_t E = p->n_endpoints;
    double cols = (double)m->ny;
    size_t *groups = calloc(V + 1, sizeof *groups);
    size_t *seen = malloc((G + 1) * sizeof *seen);
    for (size_t v = 0; groups && seen && v < V; v++) {
        for (size_t g = 0; g < G; g++)
            seen[g] = 0;
        for (size_t h = 0; h < H; h++)
            if (place__milp_candidate(m, v, h) && !seen[m->r->group_of[h]]) {
                seen[m->r->group_of[h]] = 1;
                groups[v]++;
            }
    }
    for (size_t i = 0; groups && seen && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from >= E && e->to >= E)
            cols += (double)groups[e->from - E] * (double)groups[e->to - E];
    }
    free(groups);
    free(seen);
    return cols;
}

/* The workflow's whole rate: every vlink once, twice when duplex. */
double place__demand_bps(const struct place_problem *p)
{
    double d = 0;
    for (size_t i = 0; i < p->n_vlinks; i++)
        d += (double)p->vlinks[i].rate_bps * (p->vlinks[i].duplex ? 2 : 1);
    return d;
}

/* res->host and res->item from a plan's hosts and menu items. */
static int plan_result(const struct place_problem *p, const size_t *host,
                       const size_t *item, struct milp_result *res)
{
    size_t V = p->n_services;
    res->host = malloc((V + 1) * sizeof *res->host);
    res->item = malloc((V + 1) * sizeof *res->item);
    res->route = calloc(p->n_vlinks + 1, sizeof *res->route); /* shortest */
    if (!res->host || !res->item || !res->route)
        return PLC_ENOMEM;
    memcpy(res->host, host, V * sizeof *host);
    memcpy(res->item, item, V * sizeof *item);
    return 0;
}

/* GLPK prints some cut statistics whatever its message level; placer's
 * libraries print nothing, so its terminal output is dropped. */
static int glpk_silent(void *info, const char *s)
{
    (void)info;
    (void)s;
    return 1;
}

/* The most candidate placements a tie-break builds its own model for
 * (one built for the plan is reused whatever its size). */
#define PLACE_TIE_COLS_MAX 50000
/* The whole model is not built when it has more columns than this per
 * second left: at 8,192 hosts (327,680 for a 10-service chain) building
 * alone took the rest of a 2 s limit and went past it, with 0.6 GB, for no
 * better plan.  Building is not all: a fork/join on 1,024 busy hosts
 * (197,000 columns) took 0.30 s to build, 0.65 s to scale and its first
 * LP ran 0.19 s past the 2 s limit (GLPK's simplex looks at the clock
 * between iterations), for no plan (none in 30 s either); at 50,000 per
 * second it is not begun. */
#define PLACE_COLS_PER_S 50000.0

static _Atomic double cancel_s;

void place_cancel_at(double at_s)
{
    atomic_store(&cancel_s, at_s);
}

double place_deadline(double deadline_s)
{
    double c = atomic_load_explicit(&cancel_s, memory_order_relaxed);
    return c > 0 && (deadline_s <= 0 || c < deadline_s) ? c : deadline_s;
}

bool place_deadline_passed(double deadline_s)
{
    double d = place_deadline(deadline_s);
    return d > 0 && plc_now_s() >= d;
}

int place_solve(const struct place_problem *p0, struct place_plan *plan,
                struct plc_error *err)
{
    double t0 = plc_now_ms();
    /* one deadline for every phase below */
    double limit = p0->time_limit_s > 0 ? p0->time_limit_s : 2.0;
    struct place_problem q = *p0;
    if (q.deadline_s <= 0)
        q.deadline_s = t0 / 1000 + limit;
    else
        limit = fmax(0.001, q.deadline_s - t0 / 1000);
    const struct place_problem *p = &q;
    glp_term_hook(glpk_silent, NULL);
    memset(plan, 0, sizeof *plan);
    /* a large cluster: the hosts near the workflow first (local.c); a
     * plan of theirs not proven optimal is kept in case the whole solve
     * does no better */
    struct place_plan spare = {0};
    double spare_lb;
    int lr = place__local(p, PLACE_LOCAL_MIN_HOSTS, -INFINITY, plan, &spare,
                          &spare_lb, err);
    if (lr != 0) {
        if (lr == 1)
            plan->time_ms = plc_now_ms() - t0;
        return lr < 0 ? plc_error_set(err, lr, "cannot plan (%s)",
                                      plc_strerror(lr))
                      : 0;
    }
    plan->services =
        calloc(p->n_services ? p->n_services : 1, sizeof *plan->services);
    plan->vlinks = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *plan->vlinks);
    plan->n_vlinks_alloc = p->n_vlinks;
    if (!plan->services || !plan->vlinks)
        return plc_error_set(err, PLC_ENOMEM, "cannot plan (%s)",
                             plc_strerror(PLC_ENOMEM));
    struct routes r;
    int rc = place__routes_build(&r, p->cluster, p->endpoint_node,
                                 p->n_endpoints, place__demand_bps(p));
    if (rc < 0)
        return plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc));
    struct milp m;
    struct milp_result res = {0};
    if (!place__check_routes(p, &r, plan)) {
        place__routes_release(&r);
        plan->status = PLACE_INFEASIBLE;
        plan->time_ms = plc_now_ms() - t0;
        return 0;
    }
    /* the exact search (search.c) comes first where it applies, and the DP
     * bound (bound.c; a third of the time of decisions the search proves
     * in a few hundred nodes) only when it is needed */
    bool searchable =
        place__search_applies(p) && (p->objective == PLACE_OBJ_UTILIZATION ||
                                     p->objective == PLACE_OBJ_HOSTS);
    rc = searchable ? place__milp_prepare_columns(&m, p, &r, 0, GOAL_PRIMARY)
                    : place__milp_prepare(&m, p, &r, 0, GOAL_PRIMARY);
    if (rc == PLC_ETIMEDOUT) {
        rc = 0;
        plan->status = PLACE_TIMEOUT;
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "the time limit of %.3g s ran out while the model was "
                      "built (%zu services on %zu hosts); give a longer "
                      "time limit",
                      limit, p->n_services, p->cluster->n_hosts);
        goto out;
    }
    if (rc == PLC_EDATA) {
        /* a service fits no host at all: what keeps it off every host
         * (its rules, memory, CPU) is the answer, found without relaxing
         * each family in turn (0.3 s of solves on 1,024 full hosts); a
         * rule contradiction first, as the full explanation has it */
        plan->status = PLACE_INFEASIBLE;
        rc = 0;
        if (!place__rules_contradict(p, plan))
            place__explain_no_candidate_clear(p, &m, plan);
        if (plan->reject == PLACE_REJECT_NONE)
            rc = place__explain(p, &r, NULL, limit / 4, plan);
        if (rc == 0 && plan->reject == PLACE_REJECT_NONE)
            place__explain_no_candidate(p, &m, plan);
        goto out;
    }
    if (place__cpu_short(p, &m, plan)) {
        /* too few places for the reservations in the free cores: proven
         * by counting, without the solver */
        plan->status = PLACE_INFEASIBLE;
        goto out;
    }
    if (m.dp_infeasible) {
        /* even the DP's relaxation has no solution (bound.c): proven
         * without the solver */
        plan->status = PLACE_INFEASIBLE;
        double left = place__deadline(p) - plc_now_s();
        rc = place__explain_dp(p, &r, &m, fmax(left, 0.001), plan);
        goto out;
    }
    /* a greedy plan: offered to the solver, and the answer if the solver
     * finds none in time */
    size_t *heur_host = malloc((p->n_services + 1) * sizeof *heur_host);
    double *warm = NULL;
    /* a route-priced tree without a deadline: the program's optimum
     * (treedp.c) is the plan when it fits, ties and all */
    int hf = heur_host ? tree_plan(&m, plan) : PLC_ENOMEM;
    bool tree_exact = hf == 1;
    int *heur_route = calloc(p->n_vlinks + 1, sizeof *heur_route);
    if (!heur_route && hf >= 0)
        hf = PLC_ENOMEM;
    /* the exact search (search.c) first, before the greedy plan and any
     * GLPK model: when it ends within its share, its plan is optimal,
     * ties included, or there is none; when it does not, a plan it found
     * is the one in hand */
    bool searched = false;
    bool first_search = false;
    if (hf == 0 && searchable && !plan->heur_item &&
        !(plan->heur_item = calloc(p->n_services + 1, sizeof *plan->heur_item)))
        hf = PLC_ENOMEM;
    if (hf == 0 && searchable) {
        bool found = false;
        int sr = search_step(&m, plan, false, heur_host, heur_route,
                             PLACE_SEARCH_FIRST_SHARE * limit,
                             PLACE_SEARCH_FIRST_NODES, &found);
        if (sr < 0)
            hf = sr;
        else if (found)
            hf = 1;
        searched = sr == 1;
        first_search = true;
        /* the DP bound, unless the search's plan is proven */
        if (hf >= 0 && !(searched && found) && (rc = place__milp_dp(&m)) < 0)
            hf = rc;
        if (hf >= 0 && (m.dp_infeasible || (searched && !found))) {
            /* proven: no plan; what keeps it out is the explanation's (the
             * DP's, when even its relaxation has none) */
            free(heur_host);
            free(heur_route);
            plan->status = PLACE_INFEASIBLE;
            double left = place__deadline(p) - plc_now_s();
            rc = m.dp_infeasible
                     ? place__explain_dp(p, &r, &m, fmax(left, 0.001), plan)
                     : place__explain(p, &r, &m, fmax(left, 0.001), plan);
            goto out;
        }
    }
    if (hf == 0)
        hf = place__heur_plan(&m, plan);
    if (hf < 0) {
        free(heur_host);
        free(heur_route);
        rc = hf;
        goto out;
    }
    if (hf == 1 && !searched)
        rc = prune_to(&m, plan);
    if (rc < 0) {
        free(heur_host);
        free(heur_route);
        goto out;
    }
    if (hf == 1 && !searched) {
        for (size_t v = 0; v < p->n_services; v++)
            heur_host[v] = plan->services[v].host;
        for (size_t i = 0; i < p->n_vlinks; i++) {
            heur_route[i] = plan->vlinks[i].route;
            free(plan->vlinks[i].path);
            plan->vlinks[i].path = NULL;
        }
    }
    /* the network each service's places force (bound.c, hub bound) */
    if (hf == 1 && !searched && m.has_dp && !meets_dp(&m, plan) &&
        (rc = hub_step(&m, plan)) < 0) {
        free(heur_host);
        free(heur_route);
        goto out;
    }
    /* the first search ran out: again, on the model the plan in hand and
     * the bounds pruned, with the rest of its share */
    if (first_search && !searched && hf == 1 && !meets_dp(&m, plan)) {
        bool found = false;
        int sr =
            search_step(&m, plan, true, heur_host, heur_route,
                        PLACE_SEARCH_SHARE * limit, PLACE_SEARCH_NODES, &found);
        if (sr < 0) {
            free(heur_host);
            free(heur_route);
            rc = sr;
            goto out;
        }
        searched = sr == 1;
    }
    /* a workflow no host takes at the bound's items, or no greedy plan
     * (crossing.c): the better of one host alone and the plans over
     * several hosts bounds it, and the plans of both relaxations may
     * beat the greedy plan; when neither has a solution, there is no
     * plan */
    if (!searched && ((hf == 1 && !meets_dp(&m, plan)) || hf == 0)) {
        size_t V = p->n_services;
        struct place_cross x;
        x.than = hf == 1 ? place__plan_objective(&m, plan) : INFINITY;
        x.item = malloc((V + 1) * sizeof *x.item);
        x.spread_host = malloc((V + 1) * sizeof *x.spread_host);
        x.spread_item = malloc((V + 1) * sizeof *x.spread_item);
        size_t *xhost = malloc((V + 1) * sizeof *xhost);
        int xr = x.item && x.spread_host && x.spread_item && xhost
                     ? place__cross_bound(&m, &x)
                     : PLC_ENOMEM;
        /* (a single host's plan is a plan even when the bound over
         * several hosts was not proven) */
        if ((xr == 0 || xr == 1) && x.host != PLACE_NONE) {
            for (size_t v = 0; v < V; v++)
                xhost[v] = x.host;
            rc = take_plan(&m, plan, hf == 1, xhost, x.item, heur_host,
                           heur_route);
            if (rc == 1)
                hf = 1;
        }
        if (xr == 0 && x.spread && rc >= 0) {
            int t = take_plan(&m, plan, hf == 1, x.spread_host, x.spread_item,
                              heur_host, heur_route);
            if (t != 0)
                rc = t;
            if (t == 1)
                hf = 1;
        }
        if (xr < 0)
            rc = xr;
        free(x.item);
        free(x.spread_host);
        free(x.spread_item);
        free(xhost);
        if (rc >= 0 && xr == 0 && hf == 1 && isfinite(x.lb) && x.lb > m.dp_lb) {
            m.dp_lb = x.lb;
            m.dp_by_milp = true;
        }
        if (rc >= 0 && xr == 0 && hf == 0 && x.lb == INFINITY) {
            /* neither relaxation has a plan: proven without the solver,
             * and said with their figures */
            free(heur_host);
            free(heur_route);
            plan->status = PLACE_INFEASIBLE;
            rc = place__explain_spread(p, &m, &x, plan);
            goto out;
        }
        /* a plan taken: less is left of the model once it prunes with
         * that, and less again with the network its places force (when
         * the single host's plan charged its endpoints' routes and was
         * taken here, the whole model of the 63rd vepc-attach on k=8
         * kept 1,804 columns, not 444, and took 2 s, not 0.8) */
        if (rc == 1 && (rc = prune_to(&m, plan)) == 0 && m.has_dp &&
            !meets_dp(&m, plan))
            rc = hub_step(&m, plan);
        if (rc < 0) {
            free(heur_host);
            free(heur_route);
            goto out;
        }
        rc = 0;
    }
    if (!searched && hf == 1 && !meets_dp(&m, plan) &&
        p->cluster->n_hosts < PLACE_LOCAL_MIN_HOSTS &&
        m.ny > PLACE_SMALL_COLS) {
        /* a mid-size cluster, where the whole model is cheap to build but
         * its solve may not prove the plan in time: the hosts near the
         * workflow now (local.c), before the solver */
        struct place_plan lp = {0};
        int mid = place__local(p, PLACE_LOCAL_MID_HOSTS,
                               m.has_dp ? m.dp_lb : -INFINITY, &lp, &spare,
                               &spare_lb, err);
        if (mid != 0) {
            free(heur_host);
            free(heur_route);
            rc = mid < 0 ? mid : 0;
            if (mid == 1) {
                place_plan_release(plan);
                *plan = lp;
            }
            goto out;
        }
        /* its plan, when better, is the plan in hand: less is left of
         * the model once it prunes with that */
        rc = take_spare_plan(&m, plan, &spare, heur_host, heur_route);
        if (rc == 1 && (rc = prune_to(&m, plan)) == 0 && m.has_dp &&
            !meets_dp(&m, plan))
            rc = hub_step(&m, plan);
        if (rc < 0) {
            free(heur_host);
            free(heur_route);
            goto out;
        }
        rc = 0;
    }
    /* on a large cluster, the solver on a few hosts around that plan
     * (neighbour.c), unless the plan is proven already */
    if (!searched && hf == 1 && !meets_dp(&m, plan) &&
        m.ny > PLACE_SMALL_COLS) {
        double left = place__deadline(p) - plc_now_s();
        int nb = place__neighbourhood(p, &r, &m, plan, heur_host,
                                      plan->heur_item, heur_route, 0.3 * left);
        if (nb < 0) {
            free(heur_host);
            free(heur_route);
            rc = nb;
            goto out;
        }
        for (size_t v = 0; nb == 1 && v < p->n_services; v++) {
            plan->services[v].host = heur_host[v];
            plan->services[v].item =
                p->services[v].menu[heur_host[v]]->v[plan->heur_item[v]];
        }
        for (size_t i = 0; nb == 1 && i < p->n_vlinks; i++)
            plan->vlinks[i].route = heur_route[i];
        if (nb == 1) {
            rc = prune_to(&m, plan);
            if (rc < 0) {
                free(heur_host);
                free(heur_route);
                goto out;
            }
        }
    }
    /* the heuristic's plan meets the DP's lower bound: it is optimal
     * (bound.c proves the bound), and the solver is only needed for the
     * ties */
    bool too_large = false, too_slow = false;
    double heur_obj = hf == 1 ? place__plan_objective(&m, plan) : INFINITY;
    double cols = 0;
    bool dp_proven = hf == 1 && (searched || meets_dp(&m, plan));
    if (dp_proven) {
        rc = plan_result(p, heur_host, plan->heur_item, &res);
        if (rc == 0)
            memcpy(res.route, heur_route, p->n_vlinks * sizeof *res.route);
        res.status = PLACE_OPTIMAL;
        res.obj = res.bound = place__plan_objective(&m, plan);
    } else if (m.ny > PLACE_MILP_COLS_MAX ||
               (cols = model_columns(&m)) >
                   PLACE_COLS_PER_S * (place__deadline(p) - plc_now_s())) {
        /* too large for the solver's memory, or for the time left (with a
         * plan in hand or not: a model that cannot be built in time finds
         * none either, and building it ran a heavy fork/join on 8,192
         * hosts 1.6 s past a 2 s limit with 1 GB): the heuristic's plan
         * and the DP bound, or no plan */
        res.status = PLACE_TIMEOUT;
        res.bound = -INFINITY;
        too_large = m.ny > PLACE_MILP_COLS_MAX;
        too_slow = !too_large;
    } else {
        rc = place__milp_finish(&m);
        if (rc == PLC_ETIMEDOUT) {
            rc = 0;
            res.status = PLACE_TIMEOUT;
            res.bound = -INFINITY;
        }
        if (rc == 0 && m.lp && hf == 1 &&
            place__milp_warm_vector(&m, heur_host, plan->heur_item, heur_route,
                                    &warm) == PLC_ENOMEM)
            rc = PLC_ENOMEM;
    }
    for (int round = 0;
         rc == 0 && !dp_proven && !too_large && !too_slow && m.lp && round < 50;
         round++) {
        double left = place__deadline(p) - plc_now_s();
        place__milp_result_release(&res);
        rc = place__milp_solve(&m, left > 0.01 ? left : 0.01,
                               round ? NULL : warm, &res);
        if (rc < 0 || res.status == PLACE_INFEASIBLE ||
            res.status == PLACE_TIMEOUT)
            break;
        /* the per-core packing the model leaves to us */
        for (size_t v = 0; v < p->n_services; v++) {
            plan->services[v].host = res.host[v];
            plan->services[v].item =
                p->services[v].menu[res.host[v]]->v[res.item[v]];
        }
        for (size_t i = 0; i < p->n_vlinks; i++)
            plan->vlinks[i].route = res.route[i];
        size_t bad = place__first_unpacked(p, plan, &rc);
        if (rc < 0 || bad == PLACE_NONE)
            break;
        rc = place__milp_cut_host(&m, &res, bad);
        res.status = PLACE_TIMEOUT; /* unless the next round finds one */
    }
    free(warm);
    warm = NULL;
    /* a solver plan worse than the greedy one: after a packing cut the
     * next round starts without the greedy plan, and on 16 busy hosts
     * a fork/join ended at 4.15 where the greedy plan had 3.15 */
    bool worse = rc == 0 && res.status == PLACE_FEASIBLE && hf == 1 &&
                 place__plan_objective(&m, plan) >
                     heur_obj + 1e-9 * fmax(1, fabs(heur_obj));
    if (rc == 0 && (res.status == PLACE_TIMEOUT || worse) && hf == 1) {
        /* no solver plan in time (or a worse one): the verified greedy
         * one, with the solver's bound */
        for (size_t v = 0; v < p->n_services; v++) {
            plan->services[v].host = heur_host[v];
            plan->services[v].item =
                p->services[v].menu[heur_host[v]]->v[plan->heur_item[v]];
        }
        for (size_t i = 0; i < p->n_vlinks; i++)
            plan->vlinks[i].route = heur_route[i];
        for (size_t h = 0; h < p->cluster->n_hosts; h++)
            place__pack_host(p, plan, h);
        res.status = PLACE_FEASIBLE;
    }
    free(heur_host);
    free(heur_route);
    if (rc < 0)
        goto out;
    plan->nodes += res.nodes;
    if (res.status == PLACE_INFEASIBLE) {
        plan->status = PLACE_INFEASIBLE;
        double left = place__deadline(p) - plc_now_s();
        rc = place__explain(p, &r, &m, fmax(left, 0.001), plan);
        goto out;
    }
    if (res.status == PLACE_TIMEOUT && too_large) {
        plan->status = PLACE_TIMEOUT;
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "no plan was found: the model has %zu candidate "
                      "placements, more than the %d the solver is given, "
                      "and the heuristic found none",
                      m.ny, PLACE_MILP_COLS_MAX);
        goto out;
    }
    if (res.status == PLACE_TIMEOUT && too_slow) {
        plan->status = PLACE_TIMEOUT;
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "no plan was found within the time limit of %.3g s, and "
                      "none was proven impossible: the heuristic found none, "
                      "and the whole model (about %.0f columns) is too large "
                      "to build and solve in the time left; give a longer "
                      "time limit",
                      limit, cols);
        goto out;
    }
    if (res.status == PLACE_TIMEOUT) {
        plan->status = PLACE_TIMEOUT;
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "no plan was found within the time limit of %.3g s, and "
                      "none was proven impossible",
                      limit);
        goto out;
    }
    /* ties: hold each optimum in turn, then minimise utilisation, then
     * bandwidth x hops; together they get a quarter of the limit at most,
     * the primary optimum being proven already */
    /* ...and at most half as long as the primary solve took: ties matter
     * less */
    /* (at least 0.1 s on up to 64 hosts, where the tie-break's model is
     * small; on more, half the plan's own time, 10 ms at least: a model
     * of a thousand hosts takes longer than that to build, and with it
     * the admission rate of placerd on a busy cluster went from 1,500 to
     * 17 per second; ties.c's moves come first) */
    double spent = (plc_now_ms() - t0) / 1000;
    double floor_s = p->cluster->n_hosts <= 64 && !p->part ? 0.1 : 0.01;
    double held = res.obj,
           tie_end = spent + fmin(limit / 4, fmax(floor_s, spent / 2));
    /* building the tie-break's model counts against its share too: on a
     * large cluster it can take longer than the plan did */
    double saved_deadline = q.deadline_s;
    q.deadline_s = fmin(q.deadline_s, t0 / 1000 + fmin(limit, tie_end));
    /* (and never on a model too large to build in that share: its memory
     * alone, 0.5 GB for a 10-service chain on 8,192 hosts, would be
     * spent for nothing) */
    bool ties =
        rc == 0 && !tree_exact && !searched && res.status == PLACE_OPTIMAL;
    double bw_lb = ties && p->n_vlinks ? place__bandwidth_lb(&m) : 0;
    /* moves that keep every reservation first (ties.c), whatever the
     * size of the tie-break's model */
    if (ties && p->n_vlinks && p->objective == PLACE_OBJ_UTILIZATION) {
        int moved = place__ties_local(&m, plan, res.host, res.item, bw_lb);
        if (moved < 0)
            rc = moved;
    }
    for (int phase = p->objective == PLACE_OBJ_UTILIZATION ? 1 : 0;
         rc == 0 && ties && phase < 2 && (m.lp || m.ny <= PLACE_TIE_COLS_MAX);
         phase++) {
        if (phase == 1 && p->n_vlinks == 0)
            break;
        /* a plan that meets the bandwidth bound wins every tie already */
        if (phase == 1 &&
            place__plan_bandwidth_hops(&m, plan) <= bw_lb * (1 + 1e-9))
            break;
        double tl = fmin(limit, tie_end) - (plc_now_ms() - t0) / 1000;
        tl = fmin(tl, place__deadline(p) - plc_now_s());
        if (tl <= 0.02)
            break;
        if (!m.lp && (rc = place__milp_finish(&m)) < 0) {
            if (rc == PLC_ETIMEDOUT)
                rc = 0;
            break;
        }
        /* the plan in hand is a solution of the tie-break's model: offered
         * as a start, it also keeps the LP presolver (which cannot be
         * interrupted) out of the way of the time limit */
        struct milp_result tie = {0};
        rc = place__milp_tiebreak(&m, held, phase == 1);
        if (rc == 0)
            rc = place__milp_warm_vector(&m, res.host, res.item, res.route,
                                         &warm);
        if (rc == PLC_EINVAL)
            rc = 0; /* not expressible: no start */
        bool better =
            rc == 0 && place__milp_solve(&m, tl, warm, &tie) == 0 &&
            (tie.status == PLACE_OPTIMAL || tie.status == PLACE_FEASIBLE);
        free(warm);
        warm = NULL;
        if (better)
            better = adopt(p, plan, &tie);
        if (better) {
            memcpy(res.host, tie.host, p->n_services * sizeof *res.host);
            memcpy(res.item, tie.item, p->n_services * sizeof *res.item);
            memcpy(res.route, tie.route, p->n_vlinks * sizeof *res.route);
        }
        bool proven = better && tie.status == PLACE_OPTIMAL;
        held = tie.obj;
        place__milp_result_release(&tie);
        if (!proven)
            break; /* the next level needs this one proven */
    }
    q.deadline_s = saved_deadline;
    if (rc < 0)
        goto out;
    rc = place__complete_plan(&m, plan, err);
    if (rc < 0)
        goto out;
    plan->admitted = true;
    plan->objective = place__plan_objective(&m, plan);
    /* every objective is nonnegative: 0 bounds it when the solver had no
     * bound yet, and GLPK's -1.3e-16 is 0 (against a plan of 0 hosts
     * added, it was a relative gap of 1.3e-7, and 2 of 19 control loops
     * of a simulation were not called optimal) */
    plan->bound =
        isfinite(res.bound) ? fmax(0, place__milp_units(p, res.bound)) : 0;
    if (searched)
        plan->bound = plan->objective; /* proven by the search */
    if (m.has_dp && m.dp_lb > plan->bound)
        plan->bound = m.dp_lb; /* proven by the DP (bound.c) */
    if (m.has_tree && m.tree_lb > plan->bound)
        plan->bound = m.tree_lb; /* proven by the tree program */
    double scale = fmax(fabs(plan->objective), 1e-9);
    plan->gap = fmax(0, (plan->objective - plan->bound) / scale);
    /* optimal only when GLPK proved it and the plan's own value is the
     * proven bound (balance: the model bounds the highest core by host
     * averages) */
    plan->status = res.status == PLACE_OPTIMAL && plan->gap <= 1e-7
                       ? PLACE_OPTIMAL
                       : PLACE_FEASIBLE;
    if (plan->status == PLACE_OPTIMAL) {
        plan->gap = 0;
        plan->proof = !dp_proven     ? PLACE_PROOF_MILP
                      : searched     ? PLACE_PROOF_SEARCH
                      : m.dp_by_milp ? PLACE_PROOF_TIMING
                                     : PLACE_PROOF_DP;
    }
out:
    place__milp_result_release(&res);
    place__milp_release(&m);
    place__routes_release(&r);
    if (rc == 0 && spare.admitted)
        take_spare(plan, &spare, spare_lb);
    place_plan_release(&spare);
    plan->time_ms = plc_now_ms() - t0;
    return rc < 0 ? plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc))
                  : 0;
}

int place_export_lp(const struct place_problem *p, const char *path,
                    struct plc_error *err)
{
    glp_term_hook(glpk_silent, NULL);
    struct routes r;
    int rc = place__routes_build(&r, p->cluster, p->endpoint_node,
                                 p->n_endpoints, place__demand_bps(p));
    if (rc < 0)
        return plc_error_set(err, rc, "cannot build the model (%s)",
                             plc_strerror(rc));
    struct milp m;
    rc = place__milp_build(&m, p, &r, 0, GOAL_PRIMARY);
    if (rc == PLC_EDATA)
        rc = plc_error_set(err, PLC_EDATA,
                           "a service fits no host; there is no model to "
                           "export");
    else if (rc == 0 && glp_write_lp(m.lp, NULL, path) != 0)
        rc = plc_error_set(err, PLC_EIO, "cannot write '%s'", path);
    place__milp_release(&m);
    place__routes_release(&r);
    return rc;
}

struct sched_stage_ctx place_stage_ctx(const struct place_problem *p, size_t v,
                                       size_t h)
{
    struct sched_stage_ctx c = {0};
    c.arrival = p->arrival;
    c.platform = p->cluster->hosts[h].platform;
    c.depth = p->services[v].depth;
    c.last = p->services[v].last;
    c.eps_ns = p->eps_ns;
    return c;
}
