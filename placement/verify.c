/*
 * verify.c: the per-core packing the MILP leaves open, and the exact
 * re-check of a plan outside the model (place_solve never reports a plan
 * admitted that fails here), with the guarantee and objective it reports.
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "sched/netcalc.h"
#include "sched/prob.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void place__detail_num(struct place_plan *plan, const char *key, double v)
{
    if (plan->n_details >= PLACE_DETAILS_MAX)
        return;
    struct place_detail *d = &plan->details[plan->n_details++];
    snprintf(d->key, sizeof d->key, "%s", key);
    d->number = v;
    d->text[0] = '\0';
}

void place__detail_text(struct place_plan *plan, const char *key, const char *v)
{
    if (plan->n_details >= PLACE_DETAILS_MAX)
        return;
    struct place_detail *d = &plan->details[plan->n_details++];
    snprintf(d->key, sizeof d->key, "%s", key);
    snprintf(d->text, sizeof d->text, "%s", v);
}

void place__reject(struct place_plan *plan, enum place_reject code,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void place__reject(struct place_plan *plan, enum place_reject code,
                   const char *fmt, ...)
{
    plan->admitted = false;
    plan->reject = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(plan->message, sizeof plan->message, fmt, ap);
    va_end(ap);
}

const char *place__fmt_time(uint64_t ns, char *buf)
{
    plc_qty_format(PLC_QTY_TIME, ns, buf, PLC_QTY_BUFSZ);
    return buf;
}

const char *place__node_name(const struct place_problem *p, size_t n)
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
                     double *free_, int cores, size_t *core_of)
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
        if (pack_dfs(it, n, k + 1, free_, cores, core_of))
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

/* Items it[0..n-1] (one per vCPU) on host h's free cores, exactly:
 * sorted in place, core_of[j] the core of it[j].  1, 0, PLC_ENOMEM. */
static int pack_on(const struct place_host *ho, struct pack_item *it, size_t n,
                   size_t *core_of)
{
    /* (on the stack for the usual host: the exact search packs a host
     * at every node it visits) */
    double stack[64];
    double *free_ = ho->cores <= 64
                        ? stack
                        : malloc(((size_t)ho->cores + 1) * sizeof *free_);
    if (!free_)
        return PLC_ENOMEM;
    qsort(it, n, sizeof *it, cmp_pack);
    for (int c = 0; c < ho->cores; c++)
        free_[c] = place__milp_core_free(ho, c);
    bool ok = pack_dfs(it, n, 0, free_, ho->cores, core_of);
    if (free_ != stack)
        free(free_);
    return ok;
}

/* Pack the reservations on host h; fills plan->services[].cores.
 * Returns 1 packed, 0 not, or PLC_ENOMEM. */
int place__pack_host(const struct place_problem *p, struct place_plan *plan,
                     size_t h)
{
    size_t n = 0;
    for (size_t v = 0; v < p->n_services; v++)
        if (plan->services[v].host == h)
            n += (size_t)p->services[v].vcpus;
    if (n == 0)
        return 1;
    struct pack_item *it = malloc(n * sizeof *it);
    size_t *core_of = malloc(n * sizeof *core_of);
    int ok = it && core_of ? 0 : PLC_ENOMEM;
    if (ok == 0) {
        size_t k = 0;
        for (size_t v = 0; v < p->n_services; v++)
            if (plan->services[v].host == h)
                for (int c = 0; c < p->services[v].vcpus; c++)
                    it[k++] = (struct pack_item){
                        v, plan->services[v].item.utilization};
        ok = pack_on(&p->cluster->hosts[h], it, n, core_of);
    }
    if (ok == 1) {
        size_t *next = calloc(p->n_services, sizeof *next);
        for (size_t j = 0; next && j < n; j++)
            plan->services[it[j].v].cores[next[it[j].v]++] =
                (uint16_t)core_of[j];
        free(next);
    }
    free(it);
    free(core_of);
    return ok;
}

int place__packs(const struct place_problem *p, size_t h, const size_t *v,
                 const double *u, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (size_t)p->services[v[i]].vcpus;
    if (k == 0)
        return 1;
    struct pack_item it_stack[64];
    size_t core_stack[64];
    bool small = k <= 64;
    struct pack_item *it = small ? it_stack : malloc(k * sizeof *it);
    size_t *core_of = small ? core_stack : malloc(k * sizeof *core_of);
    int ok = it && core_of ? 0 : PLC_ENOMEM;
    if (ok == 0) {
        k = 0;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < p->services[v[i]].vcpus; c++)
                it[k++] =
                    (struct pack_item){v[i], u[i] / p->services[v[i]].vcpus};
        ok = pack_on(&p->cluster->hosts[h], it, k, core_of);
    }
    if (!small) {
        free(it);
        free(core_of);
    }
    return ok;
}

size_t place__first_unpacked(const struct place_problem *p,
                             struct place_plan *plan, int *rc)
{
    size_t bad = PLACE_NONE;
    for (size_t h = 0; *rc == 0 && h < p->cluster->n_hosts; h++) {
        int ok = place__pack_host(p, plan, h);
        if (ok < 0)
            *rc = ok;
        else if (!ok && bad == PLACE_NONE)
            bad = h;
    }
    return bad;
}

int place__pack_all(const struct place_problem *p, struct place_plan *plan)
{
    /* the plan's hosts, in their order (not every host of the cluster) */
    size_t V = p->n_services, n = 0;
    size_t *hs = malloc((V + 1) * sizeof *hs);
    if (!hs)
        return PLC_ENOMEM;
    for (size_t v = 0; v < V; v++) {
        size_t h = plan->services[v].host, j = 0;
        if (h >= p->cluster->n_hosts)
            continue;
        while (j < n && hs[j] < h)
            j++;
        if (j < n && hs[j] == h)
            continue;
        memmove(hs + j + 1, hs + j, (n - j) * sizeof *hs);
        hs[j] = h;
        n++;
    }
    int ok = 1;
    for (size_t i = 0; i < n && ok == 1; i++)
        ok = place__pack_host(p, plan, hs[i]);
    free(hs);
    return ok;
}

int place__keyed_desc(const void *a, const void *b)
{
    const struct place_keyed *x = a, *y = b;
    return place__keyed_before(x, y) ? -1 : place__keyed_before(y, x) ? 1 : 0;
}

int place__try_plan(const struct milp *m, struct place_plan *plan,
                    const size_t *host, const size_t *item, double than)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, L = p->n_vlinks;
    struct place_service_plan *save = malloc((V + 1) * sizeof *save);
    size_t *was = malloc((V + 1) * sizeof *was);
    int *route = malloc((L + 1) * sizeof *route);
    if (!save || !was || !route) {
        free(save);
        free(was);
        free(route);
        return PLC_ENOMEM;
    }
    memcpy(save, plan->services, V * sizeof *save);
    memcpy(was, plan->heur_item, V * sizeof *was);
    for (size_t i = 0; i < L; i++) {
        route[i] = plan->vlinks[i].route;
        plan->vlinks[i].route = 0;
    }
    for (size_t v = 0; v < V; v++) {
        plan->services[v].host = host[v];
        plan->services[v].item = p->services[v].menu[host[v]]->v[item[v]];
        plan->heur_item[v] = item[v];
    }
    place__free_paths(plan, L);
    int packed = place__pack_all(p, plan);
    bool ok = packed == 1 && place__complete_plan(m, plan, NULL) == 0 &&
              place__plan_objective(m, plan) < than - 1e-12;
    place__free_paths(plan, L);
    if (!ok) {
        memcpy(plan->services, save, V * sizeof *save);
        memcpy(plan->heur_item, was, V * sizeof *was);
        for (size_t i = 0; i < L; i++)
            plan->vlinks[i].route = route[i];
    }
    free(save);
    free(was);
    free(route);
    return packed < 0 ? packed : ok;
}

void place__free_paths(struct place_plan *plan, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(plan->vlinks[i].path);
        free(plan->vlinks[i].back);
        plan->vlinks[i].path = plan->vlinks[i].back = NULL;
        plan->vlinks[i].n_path = plan->vlinks[i].n_back = 0;
    }
}

/* ---- the plan's network and timing ------------------------------------------
 */

/* Cluster node where workflow node n sits in the plan. */
size_t place__where(const struct place_problem *p,
                    const struct place_plan *plan, size_t n)
{
    return n < p->n_endpoints ? p->endpoint_node[n]
                              : plan->services[n - p->n_endpoints].host;
}

/* Route arcs of a vlink traversal from workflow node a to b. */
size_t place__plan_arcs(const struct milp *m, const struct place_plan *plan,
                        int k, size_t a, size_t b, size_t *arcs)
{
    const struct place_problem *p = m->p;
    size_t na = place__where(p, plan, a), nb = place__where(p, plan, b);
    return place__milp_pair_arcs(m, k, na, nb, a >= p->n_endpoints,
                                 b >= p->n_endpoints, arcs);
}

uint64_t place__message_ns(const struct place_vlink *e)
{
    if (!e->message_bytes || !e->rate_bps)
        return 0;
    return (uint64_t)ceil((double)e->message_bytes * 8e9 / (double)e->rate_bps);
}

/* Routes, delays, network checks, latency bound, probabilities, the
 * objective value.  Returns 0, PLC_ENOMEM, or PLC_EINTERNAL with `err`
 * when the plan breaks a constraint the model should have enforced. */
/* rc, with the family of the constraint a plan broke noted in *fam. */
static int failed_as(enum place_reject *fam, enum place_reject f, int rc)
{
    *fam = f;
    return rc;
}

/* Sort n keys ascending: the (arc, traversal) pairs of a plan's ports,
 * a few dozen, where qsort's calls cost more than the sort. */
static void sort_keys(uint64_t *k, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = k[i];
        size_t j = i;
        for (; j > 0 && k[j - 1] > x; j--)
            k[j] = k[j - 1];
        k[j] = x;
    }
}

/* Add the buffered arcs of traversal x (its n arcs) to the port pairs
 * (see place__complete_plan_why).  0 or PLC_ENOMEM. */
static int ports_add(const struct place_cluster *c, const size_t *arcs,
                     size_t n, size_t T, size_t x, uint64_t **port,
                     size_t *n_port, size_t *cap)
{
    for (size_t k = 0; k < n; k++) {
        if (!c->links[arcs[k] / 2].buffer_bytes)
            continue;
        if (*n_port == *cap) {
            uint64_t *y = realloc(*port, 2 * *cap * sizeof *y);
            if (!y)
                return PLC_ENOMEM;
            *port = y;
            *cap *= 2;
        }
        (*port)[(*n_port)++] = (uint64_t)arcs[k] * (T + 1) + x;
    }
    return 0;
}

int place__complete_plan_why(const struct milp *m, struct place_plan *plan,
                             struct plc_error *err, enum place_reject *why)
{
    enum place_reject fam = PLACE_REJECT_NONE;
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t A = 2 * c->n_links, nn = p->n_endpoints + p->n_services;
    size_t *tmp = malloc((c->n_nodes + 2) * sizeof *tmp);
    double *load = calloc(A ? A : 1, sizeof *load);
    /* (the arcs with load, each once: the rate check reads only them) */
    uint64_t *loaded = malloc((A ? A : 1) * sizeof *loaded);
    size_t n_loaded = 0;
    /* (buffered arc, traversal) pairs, as arc x (T + 1) + traversal:
     * vlink i's way there is traversal 2i, its way back 2i + 1 */
    size_t T = 2 * p->n_vlinks, n_port = 0, cap_port = 64;
    uint64_t *port = malloc(cap_port * sizeof *port);
    size_t *pos = malloc((nn ? nn : 1) * sizeof *pos);
    uint64_t *delay = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *delay);
    int rc =
        (!tmp || !load || !loaded || !port || !pos || !delay) ? PLC_ENOMEM : 0;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    /* routes and one-traversal delays */
    for (size_t i = 0; rc == 0 && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        struct place_vlink_plan *vp = &plan->vlinks[i];
        size_t n = place__plan_arcs(m, plan, vp->route, e->from, e->to, tmp);
        if (n == PLACE_NONE) {
            rc = failed_as(&fam, PLACE_REJECT_NO_ROUTE,
                           plc_error_set(err, PLC_EINTERNAL,
                                         "plan routes %s -> %s over no route",
                                         place__node_name(p, e->from),
                                         place__node_name(p, e->to)));
            break;
        }
        uint64_t d = 0, jit = 0;
        vp->path = malloc((n + 1) * sizeof *vp->path);
        if (!vp->path) {
            rc = PLC_ENOMEM;
            break;
        }
        vp->n_path = 0;
        bool apart =
            place__where(p, plan, e->from) != place__where(p, plan, e->to);
        if (apart && (rc = ports_add(c, tmp, n, T, 2 * i, &port, &n_port,
                                     &cap_port)) < 0)
            break;
        if (apart) {
            vp->path[vp->n_path++] = place__where(p, plan, e->from);
            for (size_t k = 0; k < n; k++) {
                vp->path[vp->n_path++] = place__routes_arc_head(m->r, tmp[k]);
                d += m->r->arc_delay[tmp[k]];
                jit += c->links[tmp[k] / 2].jitter_ns;
                if (load[tmp[k]] == 0 && e->rate_bps)
                    loaded[n_loaded++] = tmp[k];
                load[tmp[k]] += (double)e->rate_bps;
            }
            d += place__message_ns(e);
            if (e->duplex) {
                size_t back =
                    place__plan_arcs(m, plan, vp->route, e->to, e->from, tmp);
                free(vp->back);
                vp->n_back = 0;
                vp->back = back != PLACE_NONE
                               ? malloc((back + 1) * sizeof *vp->back)
                               : NULL;
                if (back != PLACE_NONE &&
                    (rc = ports_add(c, tmp, back, T, 2 * i + 1, &port, &n_port,
                                    &cap_port)) < 0)
                    break;
                if (vp->back)
                    vp->back[vp->n_back++] = place__where(p, plan, e->to);
                for (size_t k = 0; back != PLACE_NONE && k < back; k++) {
                    if (load[tmp[k]] == 0 && e->rate_bps)
                        loaded[n_loaded++] = tmp[k];
                    load[tmp[k]] += (double)e->rate_bps;
                    if (vp->back)
                        vp->back[vp->n_back++] =
                            place__routes_arc_head(m->r, tmp[k]);
                }
            }
        }
        vp->latency_ns = d;
        delay[i] = d * (uint64_t)e->crossings;
        if ((e->max_latency_ns != PLACE_UNLIMITED && d > e->max_latency_ns) ||
            (e->max_jitter_ns != PLACE_UNLIMITED && jit > e->max_jitter_ns))
            rc =
                failed_as(&fam, PLACE_REJECT_LINK_LATENCY,
                          plc_error_set(err, PLC_EINTERNAL,
                                        "vlink %s -> %s breaks its limits (%s, "
                                        "jitter %s)",
                                        place__node_name(p, e->from),
                                        place__node_name(p, e->to),
                                        err ? place__fmt_time(d, a) : "",
                                        err ? place__fmt_time(jit, b) : ""));
    }
    /* arc rates and ports (bursts grown by r D, as in the model): the
     * arcs the plan loads, in their order (a link already over its rate
     * without the plan is not the plan's doing, and validation allows
     * none) */
    if (rc == 0)
        sort_keys(loaded, n_loaded);
    for (size_t i = 0; rc == 0 && i < n_loaded; i++) {
        size_t arc = (size_t)loaded[i];
        const struct place_link *l = &c->links[arc / 2];
        if (load[arc] + (double)l->used_bps > (double)l->rate_bps + 1e-6)
            rc = failed_as(
                &fam, PLACE_REJECT_BANDWIDTH,
                plc_error_set(err, PLC_EINTERNAL, "link %s-%s is over its rate",
                              c->node_names[l->a], c->node_names[l->b]));
    }
    if (rc == 0 && A && !m->single_location) {
        /* port check per buffered arc with every flow through it, the
         * traversals found above: by arc, each port's flows in the order
         * of the vlinks, then the way back, as a scan of them would see
         * them (a route passes an arc once) */
        sort_keys(port, n_port);
        struct sched_flow *flows = malloc((n_port + 1) * sizeof *flows);
        if (!flows)
            rc = PLC_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n_port;) {
            size_t arc = (size_t)(port[i] / (T + 1)), nf = 0;
            for (; i < n_port && port[i] / (T + 1) == arc; i++) {
                const struct place_vlink *e = &p->vlinks[port[i] % (T + 1) / 2];
                flows[nf++] = (struct sched_flow){
                    e->rate_bps,
                    e->burst_bytes +
                        (uint64_t)ceil((double)e->rate_bps / 8.0 *
                                       (double)m->nc_delay_ns * 1e-9)};
            }
            const struct place_link *l = &c->links[arc / 2];
            struct sched_port port_of = {l->rate_bps - l->used_bps,
                                         l->buffer_bytes, 1500};
            struct sched_port_bound pb;
            sched_port_check(&port_of, flows, nf, &pb);
            if (!pb.admitted)
                rc = failed_as(
                    &fam, PLACE_REJECT_BANDWIDTH,
                    plc_error_set(
                        err, PLC_EINTERNAL,
                        "port %s->%s fails its network-calculus "
                        "check",
                        c->node_names[place__routes_arc_tail(m->r, arc)],
                        c->node_names[place__routes_arc_head(m->r, arc)]));
        }
        free(flows);
    }
    /* memory */
    uint64_t *mem = calloc(c->n_hosts + 1, sizeof *mem);
    if (rc == 0 && !mem)
        rc = PLC_ENOMEM;
    for (size_t v = 0; rc == 0 && v < p->n_services; v++)
        if (plan->services[v].host < c->n_hosts)
            mem[plan->services[v].host] += p->services[v].mem_bytes;
    for (size_t h = 0; rc == 0 && h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        if (ho->mem_bytes != PLACE_UNLIMITED &&
            mem[h] + ho->mem_used_bytes > ho->mem_bytes)
            rc = failed_as(&fam, PLACE_REJECT_MEMORY,
                           plc_error_set(err, PLC_EINTERNAL,
                                         "host %s is over memory", ho->name));
    }
    free(mem);
    /* latency bound: longest path of local deadlines and vlink delays */
    size_t *order = rc == 0 ? place__topo_order(p, pos) : NULL;
    if (rc == 0 && !order)
        rc = PLC_ENOMEM;
    uint64_t *finish = calloc(nn ? nn : 1, sizeof *finish);
    if (rc == 0 && !finish)
        rc = PLC_ENOMEM;
    plan->latency_bound_ns = 0;
    size_t *in_start = NULL, *in = NULL;
    if (rc == 0)
        rc = place__dag_adj(p, true, &in_start, &in);
    for (size_t k = 0; rc == 0 && k < nn; k++) {
        size_t v = order[k];
        uint64_t start = 0;
        for (size_t j = in_start[v]; j < in_start[v + 1]; j++) {
            size_t i = in[j];
            if (finish[p->vlinks[i].from] + delay[i] > start)
                start = finish[p->vlinks[i].from] + delay[i];
        }
        finish[v] =
            start + (v >= p->n_endpoints
                         ? plan->services[v - p->n_endpoints].item.deadline_ns
                         : 0);
        if (finish[v] > plan->latency_bound_ns)
            plan->latency_bound_ns = finish[v];
    }
    free(in_start);
    free(in);
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED &&
        plan->latency_bound_ns > p->deadline_ns)
        rc = failed_as(
            &fam, PLACE_REJECT_DEADLINE,
            plc_error_set(err, PLC_EINTERNAL,
                          "latency bound %s exceeds the deadline %s",
                          err ? place__fmt_time(plan->latency_bound_ns, a) : "",
                          err ? place__fmt_time(p->deadline_ns, b) : ""));
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
                rc = failed_as(
                    &fam, PLACE_REJECT_PROBABILITY,
                    plc_error_set(err, PLC_EINTERNAL,
                                  "probability bound %.6f is below the "
                                  "target %.6f",
                                  plan->probability_bound, p->probability));
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
            struct sched_stage_ctx sc = place_stage_ctx(p, v, sp->host);
            if (ex && sp->item.budget_ns)
                rc = sched_stage_response(d, ex, sp->item.budget_ns,
                                          sp->item.period_ns, &sc);
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
            /* jobs whose platform terms exceed the measured figures are
             * not covered by the distributions: counted as late */
            double miss = 0;
            for (size_t v = 0; v < p->n_services; v++)
                if (p->services[v].exec)
                    miss += p->cluster->hosts[plan->services[v].host]
                                .platform.exceed_probability;
            plan->probability_exact =
                fmax(0, sched_dist_cdf(&e2e, p->deadline_ns) - miss);
            plan->exact_is_exact = exact && miss == 0;
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
    free(loaded);
    free(port);
    free(pos);
    free(delay);
    if (why)
        *why = fam;
    return rc;
}

int place__complete_plan(const struct milp *m, struct place_plan *plan,
                         struct plc_error *err)
{
    return place__complete_plan_why(m, plan, err, NULL);
}

/* The named objective of the plan alone (FORMATS.md). */
double place__plan_bandwidth_hops(const struct milp *m,
                                  const struct place_plan *plan)
{
    const struct place_problem *p = m->p;
    size_t *arcs = malloc((p->cluster->n_nodes + 2) * sizeof *arcs);
    double v = 0;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        size_t hops =
            arcs ? place__plan_arcs(m, plan, plan->vlinks[i].route,
                                    p->vlinks[i].from, p->vlinks[i].to, arcs)
                 : PLACE_NONE;
        if (hops == PLACE_NONE) {
            v = INFINITY;
            break;
        }
        v += (double)p->vlinks[i].rate_bps * (double)hops *
             (p->vlinks[i].duplex ? 2 : 1);
    }
    free(arcs);
    return v;
}

double place__plan_objective(const struct milp *m,
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
                place__plan_arcs(m, plan, plan->vlinks[i].route,
                                 p->vlinks[i].from, p->vlinks[i].to, tmp);
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
        return place__plan_bandwidth_hops(m, plan);
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

/* GLPK's objective in the units of place__plan_objective(). */
double place__milp_units(const struct place_problem *p, double x)
{
    return p->objective == PLACE_OBJ_BANDWIDTH ? x * 1e6 : x;
}
