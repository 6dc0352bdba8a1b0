/*
 * place.c: solving a placement problem end to end — the MILP, the per-core
 * packing it leaves to us, exact verification, the reported guarantee, and
 * the explanation of a rejection.
 */
#include "place/plan.h"
#include "milp.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "routes.h"
#include "sched/netcalc.h"
#include "sched/prob.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void place_plan_release(struct place_plan *plan)
{
    for (size_t i = 0; plan->vlinks && i < plan->n_vlinks_alloc; i++)
        free(plan->vlinks[i].path);
    free(plan->services);
    free(plan->vlinks);
    memset(plan, 0, sizeof *plan);
}

static void detail_num(struct place_plan *plan, const char *key, double v)
{
    if (plan->n_details >= PLACE_DETAILS_MAX)
        return;
    struct place_detail *d = &plan->details[plan->n_details++];
    snprintf(d->key, sizeof d->key, "%s", key);
    d->number = v;
    d->text[0] = '\0';
}

static void detail_text(struct place_plan *plan, const char *key, const char *v)
{
    if (plan->n_details >= PLACE_DETAILS_MAX)
        return;
    struct place_detail *d = &plan->details[plan->n_details++];
    snprintf(d->key, sizeof d->key, "%s", key);
    snprintf(d->text, sizeof d->text, "%s", v);
}

static void reject(struct place_plan *plan, enum place_reject code,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reject(struct place_plan *plan, enum place_reject code,
                   const char *fmt, ...)
{
    plan->admitted = false;
    plan->reject = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(plan->message, sizeof plan->message, fmt, ap);
    va_end(ap);
}

static const char *fmt_time(uint64_t ns, char *buf)
{
    plc_qty_format(PLC_QTY_TIME, ns, buf, PLC_QTY_BUFSZ);
    return buf;
}

static const char *node_name(const struct place_problem *p, size_t n)
{
    return n < p->n_endpoints ? p->endpoint_names[n]
                              : p->services[n - p->n_endpoints].name;
}

/* ---- per-core packing ------------------------------------------------------
 */

struct pack_item {
    size_t v;
    double u;
};

/* Exact: place items (decreasing) on cores, copies of one service on
 * distinct cores; identical free space is tried once. */
static bool pack_dfs(const struct pack_item *it, size_t n, size_t k,
                     double *free_, size_t *owner_mask_v, int cores,
                     size_t *core_of)
{
    if (k == n)
        return true;
    for (int c = 0; c < cores; c++) {
        if (free_[c] + 1e-9 < it[k].u)
            continue;
        bool same_service_here = false;
        for (size_t j = 0; j < k; j++)
            if (it[j].v == it[k].v && core_of[j] == (size_t)c)
                same_service_here = true;
        if (same_service_here)
            continue;
        bool tried = false;
        for (int d = 0; d < c && !tried; d++)
            if (free_[d] == free_[c]) {
                bool dsame = false;
                for (size_t j = 0; j < k; j++)
                    if (it[j].v == it[k].v && core_of[j] == (size_t)d)
                        dsame = true;
                tried = !dsame;
            }
        if (tried)
            continue;
        free_[c] -= it[k].u;
        core_of[k] = (size_t)c;
        if (pack_dfs(it, n, k + 1, free_, owner_mask_v, cores, core_of))
            return true;
        free_[c] += it[k].u;
    }
    return false;
}

static int cmp_pack(const void *a, const void *b)
{
    const struct pack_item *x = a, *y = b;
    return (x->u < y->u) - (x->u > y->u);
}

/* Pack the reservations on host h; fills plan->services[].cores.
 * Returns 1 packed, 0 not, or PLC_ENOMEM. */
static int pack_host(const struct place_problem *p, struct place_plan *plan,
                     size_t h)
{
    const struct place_host *ho = &p->cluster->hosts[h];
    size_t n = 0;
    for (size_t v = 0; v < p->n_services; v++)
        if (plan->services[v].host == h)
            n += (size_t)p->services[v].vcpus;
    if (n == 0)
        return 1;
    struct pack_item *it = malloc(n * sizeof *it);
    size_t *core_of = malloc(n * sizeof *core_of);
    double *free_ = malloc((size_t)ho->cores * sizeof *free_);
    if (!it || !core_of || !free_) {
        free(it);
        free(core_of);
        free(free_);
        return PLC_ENOMEM;
    }
    size_t k = 0;
    for (size_t v = 0; v < p->n_services; v++)
        if (plan->services[v].host == h)
            for (int c = 0; c < p->services[v].vcpus; c++)
                it[k++] =
                    (struct pack_item){v, plan->services[v].item.utilization};
    qsort(it, n, sizeof *it, cmp_pack);
    for (int c = 0; c < ho->cores; c++)
        free_[c] = milp_core_free(ho, c);
    bool ok = pack_dfs(it, n, 0, free_, NULL, ho->cores, core_of);
    if (ok) {
        size_t *next = calloc(p->n_services, sizeof *next);
        for (size_t j = 0; next && j < n; j++)
            plan->services[it[j].v].cores[next[it[j].v]++] = core_of[j];
        free(next);
    }
    free(it);
    free(core_of);
    free(free_);
    return ok;
}

/* ---- the plan's network and timing ------------------------------------------
 */

/* Cluster node where workflow node n sits in the plan. */
static size_t where(const struct place_problem *p,
                    const struct place_plan *plan, size_t n)
{
    return n < p->n_endpoints ? p->endpoint_node[n]
                              : plan->services[n - p->n_endpoints].host;
}

/* Route arcs of a vlink traversal from workflow node a to b. */
static size_t plan_arcs(const struct milp *m, const struct place_plan *plan,
                        size_t a, size_t b, size_t *arcs)
{
    const struct place_problem *p = m->p;
    size_t na = where(p, plan, a), nb = where(p, plan, b);
    bool ha = a >= p->n_endpoints, hb = b >= p->n_endpoints;
    if (na == nb || m->single_location)
        return 0;
    if (!ha) {
        return routes_arcs(m->r, na, nb, arcs);
    }
    if (hb)
        return routes_host_arcs(m->r, na, nb, arcs);
    /* host -> endpoint node */
    size_t g = m->r->group_of[na], n = 0;
    if (m->r->proper[g]) {
        size_t l = m->r->access_link[na];
        arcs[n++] = 2 * l + (p->cluster->links[l].a == na ? 0 : 1);
    }
    size_t k = routes_arcs(m->r, m->r->hub[g], nb, arcs + n);
    return k == PLACE_NONE ? PLACE_NONE : n + k;
}

static uint64_t message_ns(const struct place_vlink *e)
{
    if (!e->message_bytes || !e->rate_bps)
        return 0;
    return (uint64_t)ceil((double)e->message_bytes * 8e9 / (double)e->rate_bps);
}

/* Workflow nodes in topological order (the workflow is a DAG). */
static size_t *topo_order(const struct place_problem *p, size_t *pos)
{
    size_t n = p->n_endpoints + p->n_services;
    size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!indeg || !order) {
        free(indeg);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < p->n_vlinks; i++)
        indeg[p->vlinks[i].to]++;
    size_t head = 0, tail = 0;
    for (size_t v = 0; v < n; v++)
        if (!indeg[v])
            order[tail++] = v;
    while (head < tail) {
        size_t v = order[head++];
        for (size_t i = 0; i < p->n_vlinks; i++)
            if (p->vlinks[i].from == v && --indeg[p->vlinks[i].to] == 0)
                order[tail++] = p->vlinks[i].to;
    }
    for (size_t k = 0; k < tail; k++)
        pos[order[k]] = k;
    free(indeg);
    if (tail != n) {
        free(order);
        return NULL;
    }
    return order;
}

/* Routes, delays, network checks, latency bound, probabilities, the
 * objective value.  Returns 0, PLC_ENOMEM, or PLC_EINTERNAL with `err`
 * when the plan breaks a constraint the model should have enforced. */
static int complete_plan(const struct milp *m, struct place_plan *plan,
                         struct plc_error *err)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t A = 2 * c->n_links, nn = p->n_endpoints + p->n_services;
    size_t *tmp = malloc((c->n_nodes + 2) * sizeof *tmp);
    double *load = calloc(A ? A : 1, sizeof *load);
    size_t *pos = malloc((nn ? nn : 1) * sizeof *pos);
    uint64_t *delay = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *delay);
    int rc = (!tmp || !load || !pos || !delay) ? PLC_ENOMEM : 0;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    /* routes and one-traversal delays */
    for (size_t i = 0; rc == 0 && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        struct place_vlink_plan *vp = &plan->vlinks[i];
        size_t n = plan_arcs(m, plan, e->from, e->to, tmp);
        if (n == PLACE_NONE) {
            rc = plc_error_set(err, PLC_EINTERNAL,
                               "plan routes %s -> %s over no route",
                               node_name(p, e->from), node_name(p, e->to));
            break;
        }
        uint64_t d = 0, jit = 0;
        vp->path = malloc((n + 1) * sizeof *vp->path);
        if (!vp->path) {
            rc = PLC_ENOMEM;
            break;
        }
        vp->n_path = 0;
        if (where(p, plan, e->from) != where(p, plan, e->to)) {
            vp->path[vp->n_path++] = where(p, plan, e->from);
            for (size_t k = 0; k < n; k++) {
                vp->path[vp->n_path++] = routes_arc_head(m->r, tmp[k]);
                d += m->r->arc_delay[tmp[k]];
                jit += c->links[tmp[k] / 2].jitter_ns;
                load[tmp[k]] += (double)e->rate_bps;
            }
            d += message_ns(e);
            if (e->duplex) {
                size_t back = plan_arcs(m, plan, e->to, e->from, tmp);
                for (size_t k = 0; back != PLACE_NONE && k < back; k++)
                    load[tmp[k]] += (double)e->rate_bps;
            }
        }
        vp->latency_ns = d;
        delay[i] = d * (uint64_t)e->crossings;
        if ((e->max_latency_ns != PLACE_UNLIMITED && d > e->max_latency_ns) ||
            (e->max_jitter_ns != PLACE_UNLIMITED && jit > e->max_jitter_ns))
            rc = plc_error_set(err, PLC_EINTERNAL,
                               "vlink %s -> %s breaks its limits (%s, "
                               "jitter %s)",
                               node_name(p, e->from), node_name(p, e->to),
                               fmt_time(d, a), fmt_time(jit, b));
    }
    /* arc rates and ports (bursts grown by r D, as in the model) */
    for (size_t arc = 0; rc == 0 && arc < A; arc++) {
        const struct place_link *l = &c->links[arc / 2];
        if (load[arc] + (double)l->used_bps > (double)l->rate_bps + 1e-6)
            rc =
                plc_error_set(err, PLC_EINTERNAL, "link %s-%s is over its rate",
                              c->node_names[l->a], c->node_names[l->b]);
    }
    if (rc == 0 && A && !m->single_location) {
        /* port check per buffered arc with every flow through it */
        struct sched_flow *flows =
            malloc((2 * p->n_vlinks + 1) * sizeof *flows);
        for (size_t arc = 0; rc == 0 && flows && arc < A; arc++) {
            const struct place_link *l = &c->links[arc / 2];
            if (!l->buffer_bytes)
                continue;
            size_t nf = 0;
            for (size_t i = 0; i < p->n_vlinks; i++) {
                const struct place_vlink *e = &p->vlinks[i];
                for (int dir = 0; dir < (e->duplex ? 2 : 1); dir++) {
                    size_t n = plan_arcs(m, plan, dir ? e->to : e->from,
                                         dir ? e->from : e->to, tmp);
                    for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                        if (tmp[k] == arc)
                            flows[nf++] = (struct sched_flow){
                                e->rate_bps,
                                e->burst_bytes +
                                    (uint64_t)ceil((double)e->rate_bps / 8.0 *
                                                   (double)m->nc_delay_ns *
                                                   1e-9)};
                }
            }
            if (!nf)
                continue;
            struct sched_port port = {l->rate_bps - l->used_bps,
                                      l->buffer_bytes, 1500};
            struct sched_port_bound pb;
            sched_port_check(&port, flows, nf, &pb);
            if (!pb.admitted)
                rc = plc_error_set(err, PLC_EINTERNAL,
                                   "port %s->%s fails its network-calculus "
                                   "check",
                                   c->node_names[routes_arc_tail(m->r, arc)],
                                   c->node_names[routes_arc_head(m->r, arc)]);
        }
        if (!flows)
            rc = PLC_ENOMEM;
        free(flows);
    }
    /* memory */
    for (size_t h = 0; rc == 0 && h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        uint64_t mem = ho->mem_used_bytes;
        for (size_t v = 0; v < p->n_services; v++)
            if (plan->services[v].host == h)
                mem += p->services[v].mem_bytes;
        if (ho->mem_bytes != PLACE_UNLIMITED && mem > ho->mem_bytes)
            rc = plc_error_set(err, PLC_EINTERNAL, "host %s is over memory",
                               ho->name);
    }
    /* latency bound: longest path of local deadlines and vlink delays */
    size_t *order = rc == 0 ? topo_order(p, pos) : NULL;
    if (rc == 0 && !order)
        rc = PLC_ENOMEM;
    uint64_t *finish = calloc(nn ? nn : 1, sizeof *finish);
    if (rc == 0 && !finish)
        rc = PLC_ENOMEM;
    plan->latency_bound_ns = 0;
    for (size_t k = 0; rc == 0 && k < nn; k++) {
        size_t v = order[k];
        uint64_t start = 0;
        for (size_t i = 0; i < p->n_vlinks; i++)
            if (p->vlinks[i].to == v &&
                finish[p->vlinks[i].from] + delay[i] > start)
                start = finish[p->vlinks[i].from] + delay[i];
        finish[v] =
            start + (v >= p->n_endpoints
                         ? plan->services[v - p->n_endpoints].item.deadline_ns
                         : 0);
        if (finish[v] > plan->latency_bound_ns)
            plan->latency_bound_ns = finish[v];
    }
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED &&
        plan->latency_bound_ns > p->deadline_ns)
        rc = plc_error_set(
            err, PLC_EINTERNAL, "latency bound %s exceeds the deadline %s",
            fmt_time(plan->latency_bound_ns, a), fmt_time(p->deadline_ns, b));
    /* the probability the model guarantees, and the exact one */
    double *phi = malloc((p->n_services ? p->n_services : 1) * sizeof *phi);
    if (rc == 0 && !phi)
        rc = PLC_ENOMEM;
    for (size_t v = 0; rc == 0 && v < p->n_services; v++)
        phi[v] = plan->services[v].item.phi;
    if (rc == 0) {
        if (p->deadline_ns == PLACE_UNLIMITED) {
            plan->probability_bound = plan->probability_exact = 1.0;
            plan->exact_is_exact = true;
        } else {
            plan->probability_bound =
                p->prob_model == PLACE_PROB_INDEPENDENT
                    ? sched_prob_independent(phi, p->n_services)
                    : sched_prob_union(phi, p->n_services);
            if (!sched_prob_meets(plan->probability_bound, p->probability))
                rc = plc_error_set(err, PLC_EINTERNAL,
                                   "probability bound %.6f is below the "
                                   "target %.6f",
                                   plan->probability_bound, p->probability);
        }
    }
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED) {
        struct sched_dist *stage = calloc(nn, sizeof *stage);
        struct sched_dag_edge *edges =
            malloc((p->n_vlinks ? p->n_vlinks : 1) * sizeof *edges);
        if (!stage || !edges)
            rc = PLC_ENOMEM;
        for (size_t v = 0; rc == 0 && v < p->n_services; v++) {
            const struct place_service_plan *sp = &plan->services[v];
            struct sched_dist *d = &stage[pos[p->n_endpoints + v]];
            const struct sched_dist *ex =
                p->services[v].exec ? p->services[v].exec[sp->host] : NULL;
            if (ex && sp->item.budget_ns)
                rc = sched_response_dist(d, ex, sp->item.budget_ns,
                                         sp->item.period_ns);
            else if (sp->item.deadline_ns)
                rc = sched_dist_point(d, sp->item.deadline_ns);
        }
        for (size_t i = 0; rc == 0 && i < p->n_vlinks; i++)
            edges[i] = (struct sched_dag_edge){pos[p->vlinks[i].from],
                                               pos[p->vlinks[i].to], delay[i]};
        struct sched_dist e2e = SCHED_DIST_INIT;
        bool exact = false;
        if (rc == 0)
            rc = sched_e2e_dist(stage, nn, edges, p->n_vlinks, &e2e, &exact);
        if (rc == 0) {
            plan->probability_exact = sched_dist_cdf(&e2e, p->deadline_ns);
            plan->exact_is_exact = exact;
        }
        sched_dist_release(&e2e);
        for (size_t v = 0; stage && v < nn; v++)
            sched_dist_release(&stage[v]);
        free(stage);
        free(edges);
    }
    free(phi);
    free(finish);
    free(order);
    free(tmp);
    free(load);
    free(pos);
    free(delay);
    return rc;
}

/* The named objective of the plan alone (FORMATS.md). */
static double plan_objective(const struct milp *m,
                             const struct place_plan *plan)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    double v = 0;
    switch (p->objective) {
    case PLACE_OBJ_UTILIZATION:
        for (size_t s = 0; s < p->n_services; s++)
            v += p->services[s].vcpus * plan->services[s].item.utilization;
        return v;
    case PLACE_OBJ_COST: {
        for (size_t s = 0; s < p->n_services; s++) {
            size_t h = plan->services[s].host;
            v += p->services[s].price ? p->services[s].price[h]
                                      : c->hosts[h].cost;
        }
        size_t *tmp = malloc((c->n_nodes + 2) * sizeof *tmp);
        for (size_t i = 0; tmp && i < p->n_vlinks; i++) {
            size_t n =
                plan_arcs(m, plan, p->vlinks[i].from, p->vlinks[i].to, tmp);
            for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                v += c->links[tmp[k] / 2].cost;
        }
        free(tmp);
        return v;
    }
    case PLACE_OBJ_HOSTS:
        for (size_t h = 0; h < c->n_hosts; h++) {
            const struct place_host *ho = &c->hosts[h];
            bool in_use = ho->mem_used_bytes > 0, used_now = false;
            for (int k = 0; ho->used && k < ho->cores; k++)
                in_use |= ho->used[k] > 0;
            for (size_t s = 0; s < p->n_services; s++)
                used_now |= plan->services[s].host == h;
            v += used_now && !in_use;
        }
        return v;
    case PLACE_OBJ_BANDWIDTH:
        for (size_t i = 0; i < p->n_vlinks; i++) {
            const struct place_vlink_plan *vp = &plan->vlinks[i];
            size_t hops = vp->n_path ? vp->n_path - 1 : 0;
            v += (double)p->vlinks[i].rate_bps * (double)hops *
                 (p->vlinks[i].duplex ? 2 : 1);
        }
        return v;
    case PLACE_OBJ_BALANCE:
        for (size_t h = 0; h < c->n_hosts; h++) {
            const struct place_host *ho = &c->hosts[h];
            for (int k = 0; k < ho->cores; k++) {
                double u = ho->used ? ho->used[k] : 0;
                for (size_t s = 0; s < p->n_services; s++)
                    if (plan->services[s].host == h)
                        for (int j = 0; j < p->services[s].vcpus; j++)
                            if (plan->services[s].cores[j] == (size_t)k)
                                u += plan->services[s].item.utilization;
                v = fmax(v, u);
            }
        }
        return v;
    }
    return v;
}

/* GLPK's objective in the units of plan_objective(). */
static double milp_units(const struct place_problem *p, double x)
{
    return p->objective == PLACE_OBJ_BANDWIDTH ? x * 1e6 : x;
}

/* ---- explanations
 * ------------------------------------------------------------ */

static int try_relaxed(const struct place_problem *p, const struct routes *r,
                       unsigned relax, enum milp_goal goal, double limit,
                       struct milp_result *res)
{
    struct milp m;
    int rc = milp_build(&m, p, r, relax, goal);
    if (rc == PLC_EDATA) {
        milp_release(&m);
        memset(res, 0, sizeof *res);
        res->status = PLACE_INFEASIBLE;
        return 0;
    }
    if (rc == 0)
        rc = milp_solve(&m, limit, res);
    milp_release(&m);
    return rc;
}

static void explain_cpu(const struct place_problem *p, const struct milp *m,
                        struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    double best_core = 0;
    size_t best_host = 0;
    for (size_t h = 0; h < c->n_hosts; h++)
        for (int k = 0; k < c->hosts[h].cores; k++)
            if (milp_core_free(&c->hosts[h], k) > best_core) {
                best_core = milp_core_free(&c->hosts[h], k);
                best_host = h;
            }
    /* the service whose cheapest admissible reservation is largest */
    double worst = -1;
    size_t sv = 0;
    for (size_t v = 0; v < p->n_services; v++) {
        double least = INFINITY;
        for (size_t h = 0; h < c->n_hosts; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            for (size_t k = 0; menu && k < menu->n; k++)
                if (menu->v[k].phi >= p->probability - SCHED_PROB_TOL ||
                    p->n_services > 1)
                    least = fmin(least, menu->v[k].utilization);
        }
        if (least > worst && least < INFINITY) {
            worst = least;
            sv = v;
        }
    }
    (void)m;
    reject(plan, PLACE_REJECT_CPU,
           "not enough CPU: service '%s' needs a reservation of at least "
           "%.4f of a core (x %d vCPU); the largest free core is %.4f on "
           "host '%s'",
           p->services[sv].name, worst, p->services[sv].vcpus, best_core,
           c->hosts[best_host].name);
    detail_text(plan, "service", p->services[sv].name);
    detail_num(plan, "needed_utilization", worst);
    detail_num(plan, "largest_free_core", best_core);
    detail_text(plan, "host", c->hosts[best_host].name);
}

static void explain_memory(const struct place_problem *p,
                           struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    uint64_t best = 0;
    size_t bh = 0, sv = 0;
    for (size_t h = 0; h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        uint64_t f = ho->mem_bytes == PLACE_UNLIMITED
                         ? UINT64_MAX
                         : ho->mem_bytes - ho->mem_used_bytes;
        if (f > best) {
            best = f;
            bh = h;
        }
    }
    for (size_t v = 0; v < p->n_services; v++)
        if (p->services[v].mem_bytes > p->services[sv].mem_bytes)
            sv = v;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    plc_qty_format(PLC_QTY_SIZE, p->services[sv].mem_bytes, a, sizeof a);
    plc_qty_format(PLC_QTY_SIZE, best, b, sizeof b);
    reject(plan, PLACE_REJECT_MEMORY,
           "not enough memory: service '%s' needs %s; the most free memory "
           "on a host is %s ('%s'), and the services do not fit together",
           p->services[sv].name, a, b, c->hosts[bh].name);
    detail_text(plan, "service", p->services[sv].name);
    detail_num(plan, "needed_bytes", (double)p->services[sv].mem_bytes);
    detail_num(plan, "largest_free_bytes", (double)best);
}

static void explain_bandwidth(const struct place_problem *p,
                              struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    size_t big = 0;
    for (size_t i = 1; i < p->n_vlinks; i++)
        if (p->vlinks[i].rate_bps > p->vlinks[big].rate_bps)
            big = i;
    double best = 0;
    size_t bl = 0;
    for (size_t l = 0; l < c->n_links; l++) {
        double f = (double)c->links[l].rate_bps - (double)c->links[l].used_bps;
        if (l == 0 || f < best) {
            best = f;
            bl = l;
        }
    }
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    const struct place_vlink *e = &p->vlinks[big];
    plc_qty_format(PLC_QTY_RATE, e->rate_bps, a, sizeof a);
    plc_qty_format(PLC_QTY_RATE, (uint64_t)best, b, sizeof b);
    reject(plan, PLACE_REJECT_BANDWIDTH,
           "not enough bandwidth: %s -> %s needs %s on every link of its "
           "route; the tightest link, %s-%s, has %s free",
           node_name(p, e->from), node_name(p, e->to), a,
           c->node_names[c->links[bl].a], c->node_names[c->links[bl].b], b);
    detail_text(plan, "from", node_name(p, e->from));
    detail_text(plan, "to", node_name(p, e->to));
    detail_num(plan, "rate_bps", (double)e->rate_bps);
    detail_num(plan, "tightest_free_bps", best);
}

static int explain_deadline(const struct place_problem *p,
                            const struct routes *r, double limit,
                            struct place_plan *plan)
{
    struct milp_result res;
    int rc = try_relaxed(p, r, FAM_DEADLINE, GOAL_MAKESPAN, limit, &res);
    if (rc < 0)
        return rc;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    if (res.status == PLACE_OPTIMAL || res.status == PLACE_FEASIBLE) {
        uint64_t best = (uint64_t)ceil(res.obj);
        reject(plan, PLACE_REJECT_DEADLINE,
               "the deadline cannot be met: the shortest achievable "
               "end-to-end latency is %s%s against a deadline of %s",
               res.status == PLACE_OPTIMAL ? "" : "at least ",
               fmt_time(res.status == PLACE_OPTIMAL
                            ? best
                            : (uint64_t)fmax(0, ceil(res.bound)),
                        a),
               fmt_time(p->deadline_ns, b));
        detail_num(
            plan, "latency_us",
            ceil((res.status == PLACE_OPTIMAL ? res.obj : res.bound) / 1000));
    } else {
        reject(plan, PLACE_REJECT_DEADLINE, "the deadline of %s cannot be met",
               fmt_time(p->deadline_ns, b));
    }
    detail_num(plan, "deadline_us", (double)p->deadline_ns / 1000);
    milp_result_release(&res);
    return 0;
}

static int explain_probability(const struct place_problem *p,
                               const struct routes *r, double limit,
                               struct place_plan *plan)
{
    struct milp_result res;
    int rc = try_relaxed(p, r, 0, GOAL_PROBABILITY, limit, &res);
    if (rc < 0)
        return rc;
    double best = -1;
    if (res.status == PLACE_OPTIMAL)
        best = p->prob_model == PLACE_PROB_INDEPENDENT ? exp(-res.obj)
                                                       : 1 - res.obj;
    if (best >= 0)
        reject(plan, PLACE_REJECT_PROBABILITY,
               "the probability cannot be met: the best achievable "
               "guarantee is %.6f (%s model) against a target of %.6f",
               best,
               p->prob_model == PLACE_PROB_INDEPENDENT ? "independent"
                                                       : "union",
               p->probability);
    else
        reject(plan, PLACE_REJECT_PROBABILITY,
               "the probability %.6f cannot be met within the deadline",
               p->probability);
    if (best >= 0)
        detail_num(plan, "best_probability", best);
    detail_num(plan, "target", p->probability);
    milp_result_release(&res);
    return 0;
}

/* Which family alone makes it infeasible, and its figures. */
static int explain(const struct place_problem *p, const struct routes *r,
                   const struct milp *m, double limit, struct place_plan *plan)
{
    static const unsigned order[] = {
        FAM_RULES,        FAM_MEMORY,   FAM_CPU,        FAM_BANDWIDTH,
        FAM_LINK_LATENCY, FAM_DEADLINE, FAM_PROBABILITY};
    unsigned cause = 0;
    for (size_t k = 0; k < sizeof order / sizeof *order && !cause; k++) {
        struct milp_result res;
        int rc = try_relaxed(p, r, order[k], GOAL_PRIMARY, limit, &res);
        if (rc < 0)
            return rc;
        if (res.status == PLACE_OPTIMAL || res.status == PLACE_FEASIBLE)
            cause = order[k];
        milp_result_release(&res);
    }
    switch (cause) {
    case FAM_RULES:
        reject(plan, PLACE_REJECT_PLACEMENT_RULES,
               "the placement rules (pins, allowed hosts, zones, affinity, "
               "anti-affinity) leave no feasible placement; without them "
               "the workflow fits");
        return 0;
    case FAM_MEMORY:
        explain_memory(p, plan);
        return 0;
    case FAM_CPU:
        explain_cpu(p, m, plan);
        return 0;
    case FAM_BANDWIDTH:
        explain_bandwidth(p, plan);
        return 0;
    case FAM_LINK_LATENCY:
        reject(plan, PLACE_REJECT_LINK_LATENCY,
               "a virtual link's max_latency or max_jitter cannot be met by "
               "any placement; without those limits the workflow fits");
        return 0;
    case FAM_DEADLINE:
        return explain_deadline(p, r, limit, plan);
    case FAM_PROBABILITY:
        return explain_probability(p, r, limit, plan);
    }
    /* no single family: report the tightest by the deadline figures when
     * there is a deadline, else CPU */
    if (!m)
        return 0; /* the caller has a more specific explanation */
    if (p->deadline_ns != PLACE_UNLIMITED) {
        int rc = explain_deadline(p, r, limit, plan);
        if (rc == 0)
            snprintf(plan->message + strlen(plan->message),
                     sizeof plan->message - strlen(plan->message),
                     "; several constraint families bind together");
        return rc;
    }
    explain_cpu(p, m, plan);
    return 0;
}

/* A service that fits no host even alone: rules, memory or CPU. */
static void explain_no_candidate(const struct place_problem *p,
                                 const struct milp *m, struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    for (size_t v = 0; v < p->n_services; v++) {
        bool any = false, allowed = false, mem = false;
        for (size_t h = 0; h < c->n_hosts && !any; h++) {
            any = milp_candidate(m, v, h);
            bool al = !p->services[v].allowed || p->services[v].allowed[h];
            allowed |= al;
            const struct place_host *ho = &c->hosts[h];
            mem |= al && (ho->mem_bytes == PLACE_UNLIMITED ||
                          ho->mem_used_bytes + p->services[v].mem_bytes <=
                              ho->mem_bytes);
        }
        if (any)
            continue;
        if (c->n_hosts == 0) {
            reject(plan, PLACE_REJECT_NO_HOSTS, "the cluster has no hosts");
        } else if (!allowed) {
            reject(plan, PLACE_REJECT_PLACEMENT_RULES,
                   "service '%s' may run on no host of the cluster (its "
                   "pin, allowed hosts or zone)",
                   p->services[v].name);
            detail_text(plan, "service", p->services[v].name);
        } else if (!mem) {
            explain_memory(p, plan);
        } else {
            explain_cpu(p, m, plan);
        }
        return;
    }
}

/* Endpoint pairs joined by a vlink must be connected. */
static bool check_routes(const struct place_problem *p, const struct routes *r,
                         struct place_plan *plan)
{
    if (p->cluster->n_links == 0)
        return true;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from >= p->n_endpoints || e->to >= p->n_endpoints)
            continue;
        size_t a = p->endpoint_node[e->from], b = p->endpoint_node[e->to];
        uint64_t d, j;
        if (a != b && !routes_between(r, a, b, &d, &j)) {
            reject(plan, PLACE_REJECT_NO_ROUTE,
                   "endpoints '%s' and '%s' are not connected in the "
                   "cluster",
                   p->endpoint_names[e->from], p->endpoint_names[e->to]);
            return false;
        }
        char x[PLC_QTY_BUFSZ], y[PLC_QTY_BUFSZ];
        if (p->deadline_ns != PLACE_UNLIMITED &&
            d * (uint64_t)e->crossings > p->deadline_ns) {
            reject(plan, PLACE_REJECT_DEADLINE,
                   "the deadline cannot be met: %s -> %s alone takes %s "
                   "against a deadline of %s",
                   p->endpoint_names[e->from], p->endpoint_names[e->to],
                   fmt_time(d * (uint64_t)e->crossings, x),
                   fmt_time(p->deadline_ns, y));
            return false;
        }
    }
    return true;
}

/* GLPK prints some cut statistics whatever its message level; placer's
 * libraries print nothing, so its terminal output is dropped. */
static int glpk_silent(void *info, const char *s)
{
    (void)info;
    (void)s;
    return 1;
}

int place_solve(const struct place_problem *p, struct place_plan *plan,
                struct plc_error *err)
{
    double t0 = now_ms();
    glp_term_hook(glpk_silent, NULL);
    memset(plan, 0, sizeof *plan);
    plan->services =
        calloc(p->n_services ? p->n_services : 1, sizeof *plan->services);
    plan->vlinks = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *plan->vlinks);
    plan->n_vlinks_alloc = p->n_vlinks;
    if (!plan->services || !plan->vlinks)
        return plc_error_set(err, PLC_ENOMEM, "cannot plan (%s)",
                             plc_strerror(PLC_ENOMEM));
    double limit = p->time_limit_s > 0 ? p->time_limit_s : 2.0;
    struct routes r;
    int rc = routes_build(&r, p->cluster, p->endpoint_node, p->n_endpoints);
    if (rc < 0)
        return plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc));
    struct milp m;
    struct milp_result res = {0};
    if (!check_routes(p, &r, plan)) {
        routes_release(&r);
        plan->status = PLACE_INFEASIBLE;
        plan->time_ms = now_ms() - t0;
        return 0;
    }
    rc = milp_build(&m, p, &r, 0, GOAL_PRIMARY);
    if (rc == PLC_EDATA) {
        /* a service fits no host at all: which family takes them all */
        plan->status = PLACE_INFEASIBLE;
        rc = explain(p, &r, NULL, limit / 4, plan);
        if (rc == 0 && plan->reject == PLACE_REJECT_NONE)
            explain_no_candidate(p, &m, plan);
        goto out;
    }
    for (int round = 0; rc == 0 && round < 50; round++) {
        double left = limit - (now_ms() - t0) / 1000;
        milp_result_release(&res);
        rc = milp_solve(&m, left > 0.01 ? left : 0.01, &res);
        if (rc < 0 || res.status == PLACE_INFEASIBLE ||
            res.status == PLACE_TIMEOUT)
            break;
        /* the per-core packing the model leaves to us */
        for (size_t v = 0; v < p->n_services; v++) {
            plan->services[v].host = res.host[v];
            plan->services[v].item =
                p->services[v].menu[res.host[v]]->v[res.item[v]];
        }
        size_t bad = PLACE_NONE;
        for (size_t h = 0; rc == 0 && h < p->cluster->n_hosts; h++) {
            int ok = pack_host(p, plan, h);
            if (ok < 0)
                rc = ok;
            else if (!ok && bad == PLACE_NONE)
                bad = h;
        }
        if (rc < 0 || bad == PLACE_NONE)
            break;
        rc = milp_cut_host(&m, &res, bad);
        res.status = PLACE_TIMEOUT; /* unless the next round finds one */
    }
    if (rc < 0)
        goto out;
    plan->nodes = res.nodes;
    if (res.status == PLACE_INFEASIBLE) {
        plan->status = PLACE_INFEASIBLE;
        double left = limit - (now_ms() - t0) / 1000;
        rc = explain(p, &r, &m, left > 0.2 ? left / 4 : 0.2, plan);
        goto out;
    }
    if (res.status == PLACE_TIMEOUT) {
        plan->status = PLACE_TIMEOUT;
        reject(plan, PLACE_REJECT_TIMEOUT,
               "no plan was found within the time limit of %.3g s, and "
               "none was proven impossible",
               limit);
        goto out;
    }
    /* ties: hold the primary optimum, minimise utilisation */
    if (res.status == PLACE_OPTIMAL && p->objective != PLACE_OBJ_UTILIZATION) {
        struct milp_result tie;
        double left = limit - (now_ms() - t0) / 1000;
        if (left > 0.05 && milp_tiebreak(&m, res.obj) == 0 &&
            milp_solve(&m, left, &tie) == 0 &&
            (tie.status == PLACE_OPTIMAL || tie.status == PLACE_FEASIBLE)) {
            struct place_service_plan *save =
                malloc(p->n_services * sizeof *save);
            if (save) {
                memcpy(save, plan->services, p->n_services * sizeof *save);
                for (size_t v = 0; v < p->n_services; v++) {
                    plan->services[v].host = tie.host[v];
                    plan->services[v].item =
                        p->services[v].menu[tie.host[v]]->v[tie.item[v]];
                }
                bool packed = true;
                for (size_t h = 0; h < p->cluster->n_hosts && packed; h++)
                    packed = pack_host(p, plan, h) == 1;
                if (!packed) /* keep the primary plan */
                    memcpy(plan->services, save, p->n_services * sizeof *save);
                free(save);
            }
        }
        milp_result_release(&tie);
    }
    rc = complete_plan(&m, plan, err);
    if (rc < 0)
        goto out;
    plan->admitted = true;
    plan->objective = plan_objective(&m, plan);
    plan->bound = milp_units(p, res.bound);
    double scale = fmax(fabs(plan->objective), 1e-9);
    plan->gap = fmax(0, (plan->objective - plan->bound) / scale);
    /* optimal only when GLPK proved it and the plan's own value is the
     * proven bound (balance: the model bounds the highest core by host
     * averages) */
    plan->status = res.status == PLACE_OPTIMAL && plan->gap <= 1e-7
                       ? PLACE_OPTIMAL
                       : PLACE_FEASIBLE;
    if (plan->status == PLACE_OPTIMAL)
        plan->gap = 0;
out:
    milp_result_release(&res);
    milp_release(&m);
    routes_release(&r);
    plan->time_ms = now_ms() - t0;
    return rc < 0 ? plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc))
                  : 0;
}

int place_export_lp(const struct place_problem *p, const char *path,
                    struct plc_error *err)
{
    glp_term_hook(glpk_silent, NULL);
    struct routes r;
    int rc = routes_build(&r, p->cluster, p->endpoint_node, p->n_endpoints);
    if (rc < 0)
        return plc_error_set(err, rc, "cannot build the model (%s)",
                             plc_strerror(rc));
    struct milp m;
    rc = milp_build(&m, p, &r, 0, GOAL_PRIMARY);
    if (rc == PLC_EDATA)
        rc = plc_error_set(err, PLC_EDATA,
                           "a service fits no host; there is no model to "
                           "export");
    else if (rc == 0 && glp_write_lp(m.lp, NULL, path) != 0)
        rc = plc_error_set(err, PLC_EIO, "cannot write '%s'", path);
    milp_release(&m);
    routes_release(&r);
    return rc;
}
