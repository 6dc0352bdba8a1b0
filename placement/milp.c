/*
 * milp.c: the placement MILP (MATH.md §3), GLPK C API.
 *
 * Variables
 *   y[v,h,m]   binary: service v on host h with menu item m.  X_v(h) is
 *              the sum over m; a service on a host where no item fits
 *              (rules, memory, no vcpus cores with room) has no columns.
 *   P[e,A,B]   in [0,1]: vlink e runs from host group A to group B.  With
 *              the transportation rows sum_B P = X_u(A), sum_A P = X_w(B)
 *              and binary X this is exactly X_u(A) X_w(B), with a far
 *              tighter relaxation than P >= X_u + X_w - 1.  Routes depend
 *              only on the pair of groups (routes.h), so latency, jitter,
 *              cost and the arcs between hubs are constants of (A, B).
 *   c[e,h]     in [0,1], <= X_u(h), <= X_w(h): both ends on host h; it
 *              removes the intra-group route (co-located services use no
 *              network); it is only bounded above and lowers latency, so an
 *              optimum takes it at min(X_u(h), X_w(h)).
 *   fo, fi     >= 0: the access arc of host h (proper groups) carries e
 *              outward when u is on h and w is not (fo >= X_u - X_w), and
 *              inward symmetrically; only bounded below, and they only
 *              consume capacity, so they are exact at any optimum.
 *   t_v        >= 0: start time of service v (longest-path potentials).
 *   o_h        binary: host h in use (hosts objective; symmetry).
 * Rows
 *   assignment, CPU per host (sum of reserved utilisation, with vcpus, at
 *   most the residual of its cores; the per-core packing is checked after
 *   the solve and a failed packing is cut off: place.c), memory per host,
 *   arc rates per direction, port rows sum (b + r D) <= buffer - MTU on
 *   ports with a buffer (MATH.md §4: delay <= delta and backlog <= buffer
 *   both reduce to sigma <= buffer - C T), timing t_w >= t_u + d_u +
 *   crossings x delay(e), t_v + d_v <= D, per-vlink max latency and jitter,
 *   the probability row (union or independent), affinity (X_u = X_w per
 *   host), anti-affinity (sum X <= 1 per host), symmetry between
 *   interchangeable hosts (o_h1 >= o_h2 for h1 < h2: any plan can be
 *   relabelled so that the lower-numbered of identical hosts is used).
 */
#include "internal.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTU_BYTES 1500

enum vl_kind { VL_SS, VL_ES, VL_SE, VL_EE };

struct milp_vlink {
    enum vl_kind kind;
    size_t u, w;     /* service indices (or endpoint for E ends) */
    size_t *ga, *gb; /* candidate groups of u and w (VL_SS) */
    size_t nga, ngb;
    int p0;            /* first P column */
    int *c;            /* per host: co-location column or 0 */
    int *fo, *fi;      /* per host: access columns or 0 */
    bool limited_same; /* inside a group only the same host meets limits */
};

/* ---- rows ---------------------------------------------------------------- */

static void row_add(struct milp *m, int col, double v)
{
    if (col <= 0 || v == 0)
        return;
    if (m->len + 1 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        int *ind = realloc(m->ind, (cap + 1) * sizeof *ind);
        double *val = realloc(m->val, (cap + 1) * sizeof *val);
        if (!ind || !val) {
            free(ind == m->ind ? NULL : ind);
            m->oom = true;
            if (ind)
                m->ind = ind;
            if (val)
                m->val = val;
            return;
        }
        m->ind = ind;
        m->val = val;
        m->cap = cap;
    }
    m->len++;
    m->ind[m->len] = col;
    m->val[m->len] = v;
}

/* Add coef * X_v(h). */
static void row_add_x(struct milp *m, size_t v, size_t h, double coef)
{
    size_t k = v * m->p->cluster->n_hosts + h;
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
        row_add(m, (int)j + 1, coef);
}

/* Add coef * (utilisation reserved on host h) = sum vcpus U y[., h, .]. */
static void row_add_util(struct milp *m, size_t h, double coef)
{
    size_t H = m->p->cluster->n_hosts;
    for (size_t v = 0; v < m->p->n_services; v++) {
        const struct place_service *s = &m->p->services[v];
        for (size_t j = m->ys[v * H + h];
             j < m->ys[v * H + h] + m->yn[v * H + h]; j++)
            row_add(m, (int)j + 1,
                    coef * s->vcpus * s->menu[h]->v[m->y[j].m].utilization);
    }
}

/* Finish the row under construction with bounds (GLP_UP, GLP_LO, ...).
 * Coefficients of a repeated column are summed, as GLPK requires, through
 * `slot` (per column: its position in the row, 0 when absent). */
static void row_end(struct milp *m, int type, double lb, double ub)
{
    int ncols = glp_get_num_cols(m->lp);
    if (!m->oom && (size_t)ncols + 1 > m->slot_cap) {
        int *s = realloc(m->slot, ((size_t)ncols + 1) * 2 * sizeof *s);
        if (!s) {
            m->oom = true;
        } else {
            memset(s + m->slot_cap, 0,
                   (((size_t)ncols + 1) * 2 - m->slot_cap) * sizeof *s);
            m->slot = s;
            m->slot_cap = ((size_t)ncols + 1) * 2;
        }
    }
    if (m->oom) {
        m->len = 0;
        return;
    }
    size_t n = 0;
    for (size_t i = 1; i <= m->len; i++) {
        int c = m->ind[i];
        if (m->slot[c]) {
            m->val[m->slot[c]] += m->val[i];
        } else {
            n++;
            m->slot[c] = (int)n;
            m->ind[n] = c;
            m->val[n] = m->val[i];
        }
    }
    for (size_t i = 1; i <= n; i++)
        m->slot[m->ind[i]] = 0;
    int row = glp_add_rows(m->lp, 1);
    glp_set_row_bnds(m->lp, row, type, lb, ub);
    if (n)
        glp_set_mat_row(m->lp, row, (int)n, m->ind, m->val);
    m->len = 0;
}

static int add_col(struct milp *m, int kind, double lb, double ub, double obj)
{
    int c = glp_add_cols(m->lp, 1);
    glp_set_col_kind(m->lp, c, kind);
    glp_set_col_bnds(
        m->lp, c, lb == ub ? GLP_FX : (ub >= 1e30 ? GLP_LO : GLP_DB), lb, ub);
    glp_set_obj_coef(m->lp, c, obj);
    return c;
}

/* ---- candidates ---------------------------------------------------------- */

double milp_core_free(const struct place_host *h, int c)
{
    double used = h->used ? h->used[c] : 0;
    return h->core_capacity - used;
}

/* Do `vcpus` distinct cores of h have room for utilisation u? */
static bool item_fits(const struct place_host *h, int vcpus, double u)
{
    int n = 0;
    for (int c = 0; c < h->cores; c++)
        n += milp_core_free(h, c) + 1e-9 >= u;
    return n >= vcpus;
}

static bool host_allowed(const struct milp *m, size_t v, size_t h)
{
    const struct place_service *s = &m->p->services[v];
    const struct place_host *ho = &m->p->cluster->hosts[h];
    if (!(m->relax & FAM_RULES) && s->allowed && !s->allowed[h])
        return false;
    if (!(m->relax & FAM_MEMORY) && ho->mem_bytes != PLACE_UNLIMITED &&
        ho->mem_used_bytes + s->mem_bytes > ho->mem_bytes)
        return false;
    return true;
}

/* Is the probability row in force? */
static bool probability_on(const struct milp *m)
{
    return !(m->relax & FAM_PROBABILITY) && m->goal != GOAL_PROBABILITY &&
           m->p->deadline_ns != PLACE_UNLIMITED;
}

static bool deadline_on(const struct milp *m)
{
    return !(m->relax & FAM_DEADLINE) && m->goal != GOAL_MAKESPAN &&
           m->p->deadline_ns != PLACE_UNLIMITED;
}

static bool item_allowed(const struct milp *m, size_t v, size_t h,
                         const struct sched_menu_item *it)
{
    const struct place_service *s = &m->p->services[v];
    if (!(m->relax & FAM_CPU) &&
        !item_fits(&m->p->cluster->hosts[h], s->vcpus, it->utilization))
        return false;
    /* a local deadline beyond what the rest of the longest path through v
     * leaves (m->dcap, from the least local deadlines of the others) can
     * be in no plan that meets the deadline */
    if (deadline_on(m) && it->deadline_ns > m->dcap[v])
        return false;
    /* both probability rows need phi_v >= p of every single stage:
     * 1 - phi_v <= sum (1 - phi) <= 1 - p, and
     * -ln phi_v <= sum -ln phi <= -ln p */
    if (probability_on(m) && it->phi < m->p->probability - SCHED_PROB_TOL)
        return false;
    return true;
}

/* dcap[v] = D - (longest path of least local deadlines through v,
 * without v): a bound on v's own local deadline (network delays only add).
 * The workflow is a DAG, so |nodes| rounds of relaxation settle it. */
static int compute_dcap(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t E = p->n_endpoints, N = E + p->n_services, H = p->cluster->n_hosts;
    m->dcap = malloc((p->n_services + 1) * sizeof *m->dcap);
    uint64_t *least = calloc(N + 1, sizeof *least);
    uint64_t *head = calloc(N + 1, sizeof *head),
             *tail = calloc(N + 1, sizeof *tail);
    if (!m->dcap || !least || !head || !tail) {
        free(least);
        free(head);
        free(tail);
        return PLC_ENOMEM;
    }
    for (size_t v = 0; v < p->n_services; v++) {
        uint64_t lo = UINT64_MAX;
        for (size_t h = 0; h < H; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            for (size_t k = 0; menu && k < menu->n; k++)
                if (!probability_on(m) ||
                    menu->v[k].phi >= p->probability - SCHED_PROB_TOL)
                    lo = menu->v[k].deadline_ns < lo ? menu->v[k].deadline_ns
                                                     : lo;
        }
        least[E + v] = lo == UINT64_MAX ? 0 : lo;
    }
    for (size_t round = 0; round < N; round++)
        for (size_t i = 0; i < p->n_vlinks; i++) {
            size_t a = p->vlinks[i].from, b = p->vlinks[i].to;
            if (head[a] + least[a] > head[b])
                head[b] = head[a] + least[a];
            if (tail[b] + least[b] > tail[a])
                tail[a] = tail[b] + least[b];
        }
    for (size_t v = 0; v < p->n_services; v++) {
        uint64_t used = head[E + v] + tail[E + v];
        m->dcap[v] = p->deadline_ns > used ? p->deadline_ns - used : 0;
    }
    free(least);
    free(head);
    free(tail);
    return 0;
}

bool milp_candidate(const struct milp *m, size_t v, size_t h)
{
    return m->yn[v * m->p->cluster->n_hosts + h] > 0;
}

/* ---- objective coefficients ------------------------------------------------
 */

static double item_obj(const struct milp *m, size_t v, size_t h,
                       const struct sched_menu_item *it)
{
    const struct place_service *s = &m->p->services[v];
    double u = s->vcpus * it->utilization;
    if (m->goal == GOAL_MAKESPAN)
        return 0;
    if (m->goal == GOAL_PROBABILITY)
        return m->p->prob_model == PLACE_PROB_INDEPENDENT
                   ? sched_prob_lambda(it->phi)
                   : 1.0 - it->phi;
    if (m->goal == GOAL_TIEBREAK)
        return u;
    switch (m->p->objective) {
    case PLACE_OBJ_UTILIZATION:
        return u;
    case PLACE_OBJ_COST:
        return s->price ? s->price[h] : m->p->cluster->hosts[h].cost;
    default:
        return 0;
    }
}

/* ---- building ------------------------------------------------------------ */

static int build_y(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, V = p->n_services;
    m->ys = calloc(V * H + 1, sizeof *m->ys);
    m->yn = calloc(V * H + 1, sizeof *m->yn);
    size_t cap = 0;
    for (size_t v = 0; v < V; v++)
        for (size_t h = 0; h < H; h++)
            cap += p->services[v].menu[h] ? p->services[v].menu[h]->n : 0;
    m->y = malloc((cap ? cap : 1) * sizeof *m->y);
    if (!m->ys || !m->yn || !m->y)
        return PLC_ENOMEM;
    for (size_t v = 0; v < V; v++) {
        for (size_t h = 0; h < H; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            m->ys[v * H + h] = m->ny;
            if (!menu || !host_allowed(m, v, h))
                continue;
            for (size_t k = 0; k < menu->n; k++) {
                if (!item_allowed(m, v, h, &menu->v[k]))
                    continue;
                m->y[m->ny++] = (struct ycol){v, h, k};
                add_col(m, GLP_BV, 0, 1, item_obj(m, v, h, &menu->v[k]));
            }
            m->yn[v * H + h] = m->ny - m->ys[v * H + h];
        }
    }
    return 0;
}

/* Per-host rows: assignment, CPU, memory, anti-affinity, affinity. */
static int build_host_rows(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, V = p->n_services;
    for (size_t v = 0; v < V; v++) {
        for (size_t h = 0; h < H; h++)
            row_add_x(m, v, h, 1);
        if (m->len == 0)
            return PLC_EDATA; /* no candidate at all: explained by caller */
        row_end(m, GLP_FX, 1, 1);
    }
    for (size_t h = 0; h < H && !(m->relax & FAM_CPU); h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        double free_cpu = 0;
        for (int c = 0; c < ho->cores; c++)
            free_cpu += fmax(0, milp_core_free(ho, c));
        row_add_util(m, h, 1.0);
        if (m->len)
            row_end(m, GLP_UP, 0, free_cpu + 1e-9);
    }
    for (size_t h = 0; h < H && !(m->relax & FAM_MEMORY); h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        if (ho->mem_bytes == PLACE_UNLIMITED)
            continue;
        for (size_t v = 0; v < V; v++)
            row_add_x(m, v, h, (double)p->services[v].mem_bytes);
        if (m->len)
            row_end(m, GLP_UP, 0, (double)(ho->mem_bytes - ho->mem_used_bytes));
    }
    if (m->relax & FAM_RULES)
        return 0;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        for (size_t h = 0; h < H; h++) {
            for (const size_t *s = p->anti_affinity[g]; *s != PLACE_NONE; s++)
                row_add_x(m, *s, h, 1);
            if (m->len > 1)
                row_end(m, GLP_UP, 0, 1);
            m->len = 0;
        }
    for (size_t g = 0; g < p->n_affinity; g++) {
        const size_t *s = p->affinity[g];
        for (size_t k = 1; s[0] != PLACE_NONE && s[k] != PLACE_NONE; k++)
            for (size_t h = 0; h < H; h++) {
                row_add_x(m, s[0], h, 1);
                row_add_x(m, s[k], h, -1);
                if (m->len)
                    row_end(m, GLP_FX, 0, 0);
            }
    }
    return 0;
}

static size_t vl_service(const struct place_problem *p, size_t node)
{
    return node >= p->n_endpoints ? node - p->n_endpoints : PLACE_NONE;
}

bool milp_pair_delay(const struct milp *m, const struct place_vlink *e,
                     size_t h1, size_t h2, uint64_t *delay, uint64_t *jitter)
{
    *delay = *jitter = 0;
    if (h1 == h2)
        return true;
    if (m->single_location)
        return true;
    if (!routes_hosts(m->r, h1, h2, delay, jitter))
        return false;
    *delay += message_ns(e);
    return true;
}

/* Delay of one traversal between an endpoint node and host h. */
static bool node_host_delay(const struct milp *m, const struct place_vlink *e,
                            size_t node, size_t h, bool to_host,
                            uint64_t *delay, uint64_t *jitter)
{
    *delay = *jitter = 0;
    if (node == h || m->single_location)
        return true;
    bool ok = to_host ? routes_between(m->r, node, h, delay, jitter)
                      : routes_between(m->r, h, node, delay, jitter);
    if (!ok && !to_host) {
        /* from h: its hub's route plus its access arc */
        size_t g = m->r->group_of[h];
        uint64_t d, j;
        if (!routes_between(m->r, m->r->hub[g], node, &d, &j))
            return false;
        if (m->r->proper[g]) {
            size_t l = m->r->access_link[h];
            d += m->r->arc_delay[2 * l];
            j += m->p->cluster->links[l].jitter_ns;
        }
        *delay = d;
        *jitter = j;
        ok = true;
    }
    if (ok)
        *delay += message_ns(e);
    return ok;
}

/* Arcs between two hosts / a node and a host, for capacity rows. */
static size_t pair_arcs(const struct milp *m, size_t from, size_t to,
                        bool from_host, bool to_host, size_t *arcs)
{
    if (m->single_location || from == to)
        return 0;
    if (from_host && to_host)
        return routes_host_arcs(m->r, from, to, arcs);
    if (!from_host)
        return routes_arcs(m->r, from, to, arcs);
    /* host -> node: access arc, then the hub's route */
    size_t g = m->r->group_of[from], n = 0;
    if (m->r->proper[g]) {
        size_t l = m->r->access_link[from];
        arcs[n++] = 2 * l + (m->p->cluster->links[l].a == from ? 0 : 1);
    }
    size_t k = routes_arcs(m->r, m->r->hub[g], to, arcs + n);
    return k == PLACE_NONE ? PLACE_NONE : n + k;
}

/* Two distinct hosts, one of group a and one of group b (hb PLACE_NONE
 * when a == b has a single member): the route between any such pair is
 * the same (routes.h), so they stand for the pair of groups. */
static void pair_hosts(const struct milp *m, size_t a, size_t b, size_t *ha,
                       size_t *hb)
{
    *ha = m->first[a];
    *hb = a == b ? m->second[a] : m->first[b];
}

/* Columns of the vlinks and their timing/latency rows. */
static int build_vlinks(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, G = m->r->n_groups;
    m->first = malloc((G + 1) * sizeof *m->first);
    m->second = malloc((G + 1) * sizeof *m->second);
    if (!m->first || !m->second)
        return PLC_ENOMEM;
    for (size_t g = 0; g < G; g++)
        m->first[g] = m->second[g] = PLACE_NONE;
    for (size_t h = 0; h < H; h++) {
        size_t g = m->r->group_of[h];
        if (m->first[g] == PLACE_NONE)
            m->first[g] = h;
        else if (m->second[g] == PLACE_NONE)
            m->second[g] = h;
    }
    m->vl = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *m->vl);
    m->t_col = calloc(p->n_services ? p->n_services : 1, sizeof *m->t_col);
    if (!m->vl || !m->t_col)
        return PLC_ENOMEM;
    for (size_t v = 0; v < p->n_services; v++)
        m->t_col[v] = add_col(m, GLP_CV, 0, 1e30, 0);
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        struct milp_vlink *x = &m->vl[i];
        size_t su = vl_service(p, e->from), sw = vl_service(p, e->to);
        x->kind = su != PLACE_NONE ? (sw != PLACE_NONE ? VL_SS : VL_SE)
                                   : (sw != PLACE_NONE ? VL_ES : VL_EE);
        x->u = su;
        x->w = sw;
        if (x->kind != VL_SS)
            continue;
        x->ga = malloc(G * sizeof *x->ga);
        x->gb = malloc(G * sizeof *x->gb);
        x->c = calloc(H, sizeof *x->c);
        x->fo = calloc(H, sizeof *x->fo);
        x->fi = calloc(H, sizeof *x->fi);
        bool *ina = calloc(G, 1), *inb = calloc(G, 1);
        if (!x->ga || !x->gb || !x->c || !x->fo || !x->fi || !ina || !inb) {
            free(ina);
            free(inb);
            return PLC_ENOMEM;
        }
        for (size_t h = 0; h < H; h++) {
            if (milp_candidate(m, su, h))
                ina[m->r->group_of[h]] = true;
            if (milp_candidate(m, sw, h))
                inb[m->r->group_of[h]] = true;
        }
        for (size_t g = 0; g < G; g++) {
            if (ina[g])
                x->ga[x->nga++] = g;
            if (inb[g])
                x->gb[x->ngb++] = g;
        }
        free(ina);
        free(inb);
        /* P columns; a pair with no route, or beyond the link's own
         * limits, is fixed at 0 */
        x->p0 = 0;
        for (size_t a = 0; a < x->nga; a++)
            for (size_t b = 0; b < x->ngb; b++) {
                size_t ha, hb;
                pair_hosts(m, x->ga[a], x->gb[b], &ha, &hb);
                uint64_t d = 0, j = 0;
                bool ok =
                    hb == PLACE_NONE || milp_pair_delay(m, e, ha, hb, &d, &j);
                /* beyond the link's own limits only co-location is left:
                 * between two groups nothing, inside one group the same
                 * host (row P <= sum c, added with the pair rows) */
                bool limited = !(m->relax & FAM_LINK_LATENCY) &&
                               hb != PLACE_NONE &&
                               ((e->max_latency_ns != PLACE_UNLIMITED &&
                                 d > e->max_latency_ns) ||
                                (e->max_jitter_ns != PLACE_UNLIMITED &&
                                 j > e->max_jitter_ns));
                if (limited && x->ga[a] != x->gb[b])
                    ok = false;
                int c = add_col(m, GLP_CV, 0, ok ? 1 : 0, 0);
                if (x->p0 == 0)
                    x->p0 = c;
                if (limited && ok)
                    x->limited_same = true;
            }
        for (size_t h = 0; h < H; h++) {
            if (milp_candidate(m, su, h) && milp_candidate(m, sw, h))
                x->c[h] = add_col(m, GLP_CV, 0, 1, 0);
            size_t g = m->r->group_of[h];
            if (m->r->proper[g] && !m->single_location &&
                (milp_candidate(m, su, h) || milp_candidate(m, sw, h))) {
                x->fo[h] = add_col(m, GLP_CV, 0, 1e30, 0);
                x->fi[h] = add_col(m, GLP_CV, 0, 1e30, 0);
            }
        }
    }
    return 0;
}

static int pcol(const struct milp_vlink *x, size_t a, size_t b)
{
    return x->p0 + (int)(a * x->ngb + b);
}

/* Sum over groups of X_v(group). */
static void row_add_xg(struct milp *m, size_t v, size_t g, double coef)
{
    for (size_t h = 0; h < m->p->cluster->n_hosts; h++)
        if (m->r->group_of[h] == g)
            row_add_x(m, v, h, coef);
}

/* Add the delay of one traversal of vlink i (times `k`) to the row. */
static void row_add_delay(struct milp *m, size_t i, double k)
{
    const struct place_problem *p = m->p;
    const struct place_vlink *e = &p->vlinks[i];
    const struct milp_vlink *x = &m->vl[i];
    size_t H = p->cluster->n_hosts;
    uint64_t d, j;
    switch (x->kind) {
    case VL_SS:
        for (size_t a = 0; a < x->nga; a++)
            for (size_t b = 0; b < x->ngb; b++) {
                /* delay between distinct hosts of the two groups */
                size_t ha, hb;
                pair_hosts(m, x->ga[a], x->gb[b], &ha, &hb);
                if (hb == PLACE_NONE || !milp_pair_delay(m, e, ha, hb, &d, &j))
                    continue;
                row_add(m, pcol(x, a, b), k * (double)d);
                /* co-location inside the group removes that delay */
                if (x->ga[a] == x->gb[b])
                    for (size_t h = 0; h < H; h++)
                        if (x->c[h] && m->r->group_of[h] == x->ga[a])
                            row_add(m, x->c[h], -k * (double)d);
            }
        break;
    case VL_ES:
        for (size_t h = 0; h < H; h++)
            if (milp_candidate(m, x->w, h) &&
                node_host_delay(m, e, p->endpoint_node[e->from], h, true, &d,
                                &j))
                row_add_x(m, x->w, h, k * (double)d);
        break;
    case VL_SE:
        for (size_t h = 0; h < H; h++)
            if (milp_candidate(m, x->u, h) &&
                node_host_delay(m, e, p->endpoint_node[e->to], h, false, &d,
                                &j))
                row_add_x(m, x->u, h, k * (double)d);
        break;
    case VL_EE:
        break;
    }
}

/* Add the local deadline of service v (sum of d_m y). */
static void row_add_local_deadline(struct milp *m, size_t v, double k)
{
    size_t H = m->p->cluster->n_hosts;
    for (size_t h = 0; h < H; h++) {
        size_t s = m->ys[v * H + h];
        for (size_t j = s; j < s + m->yn[v * H + h]; j++)
            row_add(m, (int)j + 1,
                    k * (double)m->p->services[v]
                            .menu[h]
                            ->v[m->y[j].m]
                            .deadline_ns);
    }
}

static int build_timing(struct milp *m)
{
    const struct place_problem *p = m->p;
    bool deadline =
        !(m->relax & FAM_DEADLINE) && p->deadline_ns != PLACE_UNLIMITED;
    if (m->goal == GOAL_MAKESPAN) {
        m->mk_col = add_col(m, GLP_CV, 0, 1e30, 1);
        deadline = true;
    }
    if (!deadline)
        return 0;
    double D = m->goal == GOAL_MAKESPAN ? 0 : (double)p->deadline_ns;
    /* precedence: t_w >= t_u + d_u + crossings x delay(e) */
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct milp_vlink *x = &m->vl[i];
        double k = e->crossings;
        if (x->kind == VL_EE)
            continue; /* constant: checked before solving (place.c) */
        if (x->w != PLACE_NONE)
            row_add(m, m->t_col[x->w], 1);
        if (x->u != PLACE_NONE) {
            row_add(m, m->t_col[x->u], -1);
            row_add_local_deadline(m, x->u, -1);
        }
        row_add_delay(m, i, -k);
        if (x->w != PLACE_NONE) {
            row_end(m, GLP_LO, 0, 0);
        } else {
            /* into an endpoint: arrival within the deadline */
            for (size_t j = 1; j <= m->len; j++)
                m->val[j] = -m->val[j];
            if (m->goal == GOAL_MAKESPAN) {
                row_add(m, m->mk_col, -1);
                row_end(m, GLP_UP, 0, 0);
            } else {
                row_end(m, GLP_UP, 0, D);
            }
        }
    }
    /* every service finishes within the deadline */
    for (size_t v = 0; v < p->n_services; v++) {
        row_add(m, m->t_col[v], 1);
        row_add_local_deadline(m, v, 1);
        if (m->goal == GOAL_MAKESPAN) {
            row_add(m, m->mk_col, -1);
            row_end(m, GLP_UP, 0, 0);
        } else {
            row_end(m, GLP_UP, 0, D);
        }
    }
    return 0;
}

static int build_link_limits(struct milp *m)
{
    const struct place_problem *p = m->p;
    if (m->relax & FAM_LINK_LATENCY)
        return 0;
    size_t H = p->cluster->n_hosts;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct milp_vlink *x = &m->vl[i];
        uint64_t d, j;
        if (x->kind == VL_ES || x->kind == VL_SE) {
            /* hosts whose route breaks a limit are excluded */
            size_t s = x->kind == VL_ES ? x->w : x->u;
            size_t node = p->endpoint_node[x->kind == VL_ES ? e->from : e->to];
            for (size_t h = 0; h < H; h++) {
                if (!milp_candidate(m, s, h))
                    continue;
                bool ok =
                    node_host_delay(m, e, node, h, x->kind == VL_ES, &d, &j);
                if (ok &&
                    (e->max_latency_ns == PLACE_UNLIMITED ||
                     d <= e->max_latency_ns) &&
                    (e->max_jitter_ns == PLACE_UNLIMITED ||
                     j <= e->max_jitter_ns))
                    continue;
                row_add_x(m, s, h, 1);
                row_end(m, GLP_FX, 0, 0);
            }
        }
    }
    return 0;
}

/* ---- arcs: rates and ports -------------------------------------------------
 */

struct arc_row {
    size_t n, cap;
    int *col;
    double *rate;  /* bit/s carried per unit of the column */
    double *burst; /* bytes of b + r D per unit */
};

static void arc_push(struct milp *m, struct arc_row *a, int col, double rate,
                     double burst)
{
    if (col <= 0)
        return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        int *c = realloc(a->col, cap * sizeof *c);
        double *r = realloc(a->rate, cap * sizeof *r);
        double *b = realloc(a->burst, cap * sizeof *b);
        if (c)
            a->col = c;
        if (r)
            a->rate = r;
        if (b)
            a->burst = b;
        if (!c || !r || !b) {
            m->oom = true;
            return;
        }
        a->cap = cap;
    }
    a->col[a->n] = col;
    a->rate[a->n] = rate;
    a->burst[a->n] = burst;
    a->n++;
}

/* Record that column `col` (a 0/1 quantity) sends vlink e over the arcs of
 * the route from -> to. */
static void arcs_for(struct milp *m, struct arc_row *rows, size_t *tmp,
                     const struct place_vlink *e, int col, size_t from,
                     size_t to, bool from_host, bool to_host, double times)
{
    size_t n = pair_arcs(m, from, to, from_host, to_host, tmp);
    if (n == PLACE_NONE)
        return;
    double burst = (double)e->burst_bytes +
                   (double)e->rate_bps / 8.0 * (double)m->nc_delay_ns * 1e-9;
    for (size_t k = 0; k < n; k++)
        arc_push(m, &rows[tmp[k]], col, times * (double)e->rate_bps,
                 times * burst);
}

/* X columns of service v on host h, each sending e along a route */
static void arcs_for_x(struct milp *m, struct arc_row *rows, size_t *tmp,
                       const struct place_vlink *e, size_t v, size_t h,
                       size_t from, size_t to, bool from_host, bool to_host)
{
    size_t k = v * m->p->cluster->n_hosts + h;
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
        arcs_for(m, rows, tmp, e, (int)j + 1, from, to, from_host, to_host, 1);
}

/* The hub-to-hub arcs of groups a, b (no access arcs). */
static void arcs_hubs(struct milp *m, struct arc_row *rows, size_t *tmp,
                      const struct place_vlink *e, int col, size_t ga,
                      size_t gb)
{
    arcs_for(m, rows, tmp, e, col, m->r->hub[ga], m->r->hub[gb], false, false,
             1);
}

static void access_arcs(struct milp *m, struct arc_row *rows,
                        const struct place_vlink *e, int col, size_t h,
                        bool out)
{
    size_t l = m->r->access_link[h];
    bool h_is_a = m->p->cluster->links[l].a == h;
    size_t arc = 2 * l + (out == h_is_a ? 0 : 1);
    double burst = (double)e->burst_bytes +
                   (double)e->rate_bps / 8.0 * (double)m->nc_delay_ns * 1e-9;
    arc_push(m, &rows[arc], col, (double)e->rate_bps, burst);
}

static int build_arcs(struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, A = 2 * c->n_links;
    if (m->single_location || A == 0)
        return 0;
    struct arc_row *rows = calloc(A, sizeof *rows);
    size_t *tmp = malloc((c->n_nodes + 2) * sizeof *tmp);
    if (!rows || !tmp) {
        free(rows);
        free(tmp);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct milp_vlink *x = &m->vl[i];
        if (e->rate_bps == 0 && e->burst_bytes == 0)
            continue;
        size_t ef = x->kind == VL_ES || x->kind == VL_EE
                        ? p->endpoint_node[e->from]
                        : PLACE_NONE;
        size_t et = x->kind == VL_SE || x->kind == VL_EE
                        ? p->endpoint_node[e->to]
                        : PLACE_NONE;
        for (int dir = 0; dir < (e->duplex ? 2 : 1); dir++) {
            switch (x->kind) {
            case VL_SS:
                for (size_t a = 0; a < x->nga; a++)
                    for (size_t b = 0; b < x->ngb; b++)
                        if (dir == 0)
                            arcs_hubs(m, rows, tmp, e, pcol(x, a, b), x->ga[a],
                                      x->gb[b]);
                        else
                            arcs_hubs(m, rows, tmp, e, pcol(x, a, b), x->gb[b],
                                      x->ga[a]);
                for (size_t h = 0; h < H; h++) {
                    if (!x->fo[h])
                        continue;
                    /* fo: u here, w elsewhere: out (or in, replying) */
                    access_arcs(m, rows, e, x->fo[h], h, dir == 0);
                    access_arcs(m, rows, e, x->fi[h], h, dir != 0);
                }
                break;
            case VL_ES:
                for (size_t h = 0; h < H; h++)
                    if (milp_candidate(m, x->w, h))
                        arcs_for_x(m, rows, tmp, e, x->w, h, dir ? h : ef,
                                   dir ? ef : h, dir, !dir);
                break;
            case VL_SE:
                for (size_t h = 0; h < H; h++)
                    if (milp_candidate(m, x->u, h))
                        arcs_for_x(m, rows, tmp, e, x->u, h, dir ? et : h,
                                   dir ? h : et, !dir, dir);
                break;
            case VL_EE:
                break;
            }
        }
    }
    /* constant loads of endpoint-to-endpoint vlinks */
    double *fixed_rate = calloc(A, sizeof *fixed_rate);
    double *fixed_burst = calloc(A, sizeof *fixed_burst);
    for (size_t i = 0; fixed_rate && fixed_burst && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (m->vl[i].kind != VL_EE)
            continue;
        for (int dir = 0; dir < (e->duplex ? 2 : 1); dir++) {
            size_t a = p->endpoint_node[dir ? e->to : e->from];
            size_t b = p->endpoint_node[dir ? e->from : e->to];
            size_t n = a == b ? 0 : routes_arcs(m->r, a, b, tmp);
            for (size_t k = 0; n != PLACE_NONE && k < n; k++) {
                fixed_rate[tmp[k]] += (double)e->rate_bps;
                fixed_burst[tmp[k]] +=
                    (double)e->burst_bytes +
                    (double)e->rate_bps / 8.0 * (double)m->nc_delay_ns * 1e-9;
            }
        }
    }
    int rc = (!fixed_rate || !fixed_burst) ? PLC_ENOMEM : 0;
    for (size_t a = 0; rc == 0 && a < A; a++) {
        const struct place_link *l = &c->links[a / 2];
        if (!(m->relax & FAM_BANDWIDTH) && rows[a].n) {
            for (size_t k = 0; k < rows[a].n; k++)
                row_add(m, rows[a].col[k], rows[a].rate[k]);
            /* access columns are only bounded below: keep them honest by
             * adding their rows too (done above), then the capacity */
            row_end(m, GLP_UP, 0,
                    (double)l->rate_bps - (double)l->used_bps - fixed_rate[a]);
            if (l->buffer_bytes) {
                for (size_t k = 0; k < rows[a].n; k++)
                    row_add(m, rows[a].col[k], rows[a].burst[k]);
                row_end(m, GLP_UP, 0,
                        (double)l->buffer_bytes - MTU_BYTES - fixed_burst[a]);
            }
        }
        free(rows[a].col);
        free(rows[a].rate);
        free(rows[a].burst);
    }
    free(rows);
    free(tmp);
    free(fixed_rate);
    free(fixed_burst);
    return rc;
}

/* Transportation, co-location and access rows of service-service vlinks. */
static void build_pair_rows(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct milp_vlink *x = &m->vl[i];
        if (x->kind != VL_SS)
            continue;
        for (size_t a = 0; a < x->nga; a++) {
            for (size_t b = 0; b < x->ngb; b++)
                row_add(m, pcol(x, a, b), 1);
            row_add_xg(m, x->u, x->ga[a], -1);
            row_end(m, GLP_FX, 0, 0);
        }
        for (size_t b = 0; b < x->ngb; b++) {
            for (size_t a = 0; a < x->nga; a++)
                row_add(m, pcol(x, a, b), 1);
            row_add_xg(m, x->w, x->gb[b], -1);
            row_end(m, GLP_FX, 0, 0);
        }
        if (x->limited_same)
            for (size_t a = 0; a < x->nga; a++)
                for (size_t b = 0; b < x->ngb; b++) {
                    if (x->ga[a] != x->gb[b])
                        continue;
                    row_add(m, pcol(x, a, b), 1);
                    for (size_t h = 0; h < H; h++)
                        if (x->c[h] && m->r->group_of[h] == x->ga[a])
                            row_add(m, x->c[h], -1);
                    row_end(m, GLP_UP, 0, 0);
                }
        for (size_t h = 0; h < H; h++) {
            if (x->c[h]) {
                row_add(m, x->c[h], 1);
                row_add_x(m, x->u, h, -1);
                row_end(m, GLP_UP, 0, 0);
                row_add(m, x->c[h], 1);
                row_add_x(m, x->w, h, -1);
                row_end(m, GLP_UP, 0, 0);
            }
            if (x->fo[h]) {
                row_add(m, x->fo[h], 1);
                row_add_x(m, x->u, h, -1);
                row_add_x(m, x->w, h, 1);
                row_end(m, GLP_LO, 0, 0);
                row_add(m, x->fi[h], 1);
                row_add_x(m, x->w, h, -1);
                row_add_x(m, x->u, h, 1);
                row_end(m, GLP_LO, 0, 0);
            }
        }
    }
}

static void build_probability(struct milp *m)
{
    const struct place_problem *p = m->p;
    if ((m->relax & FAM_PROBABILITY) || m->goal == GOAL_PROBABILITY ||
        p->probability >= 1.0 || p->deadline_ns == PLACE_UNLIMITED)
        return; /* target 1: menus hold phi = 1 items only; no deadline:
                   nothing to be probable about */
    bool ind = p->prob_model == PLACE_PROB_INDEPENDENT;
    for (size_t j = 0; j < m->ny; j++) {
        const struct sched_menu_item *it =
            &p->services[m->y[j].v].menu[m->y[j].h]->v[m->y[j].m];
        row_add(m, (int)j + 1,
                ind ? sched_prob_lambda(it->phi) : 1.0 - it->phi);
    }
    double rhs = ind ? -log(p->probability) : 1.0 - p->probability;
    row_end(m, GLP_UP, 0, rhs + SCHED_PROB_TOL);
}

/* Hosts objective, balance, bandwidth objective, symmetry breaking. */
static int build_objective_extras(struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts;
    bool hosts_obj = (m->goal == GOAL_PRIMARY || m->goal == GOAL_TIEBREAK) &&
                     p->objective == PLACE_OBJ_HOSTS;
    m->o_col = calloc(H ? H : 1, sizeof *m->o_col);
    if (!m->o_col)
        return PLC_ENOMEM;
    for (size_t h = 0; h < H; h++) {
        bool any = false;
        for (size_t v = 0; v < p->n_services && !any; v++)
            any = milp_candidate(m, v, h);
        if (!any)
            continue;
        const struct place_host *ho = &c->hosts[h];
        bool in_use = ho->mem_used_bytes > 0;
        for (int k = 0; ho->used && k < ho->cores; k++)
            in_use |= ho->used[k] > 0;
        m->o_col[h] =
            add_col(m, GLP_BV, 0, 1, hosts_obj && !in_use ? 1.0 : 0.0);
        /* o_h >= X_v(h) */
        for (size_t v = 0; v < p->n_services; v++) {
            if (!milp_candidate(m, v, h))
                continue;
            row_add(m, m->o_col[h], 1);
            row_add_x(m, v, h, -1);
            row_end(m, GLP_LO, 0, 0);
        }
        /* o_h <= sum_v X_v(h) */
        row_add(m, m->o_col[h], 1);
        for (size_t v = 0; v < p->n_services; v++)
            row_add_x(m, v, h, -1);
        row_end(m, GLP_UP, 0, 0);
        /* capacities only exist on a host in use: sum mem X <= free o_h
         * and sum U <= free o_h (the rows above with o_h = 1, and nothing
         * when o_h = 0); they make the relaxation count whole hosts */
        if (ho->mem_bytes != PLACE_UNLIMITED && !(m->relax & FAM_MEMORY)) {
            for (size_t v = 0; v < p->n_services; v++)
                row_add_x(m, v, h, (double)p->services[v].mem_bytes);
            row_add(m, m->o_col[h],
                    -(double)(ho->mem_bytes - ho->mem_used_bytes));
            row_end(m, GLP_UP, 0, 0);
        }
        if (!(m->relax & FAM_CPU)) {
            double free_cpu = 0;
            for (int k = 0; k < ho->cores; k++)
                free_cpu += fmax(0, milp_core_free(ho, k));
            row_add_util(m, h, 1.0);
            if (m->len) {
                row_add(m, m->o_col[h], -free_cpu - 1e-9);
                row_end(m, GLP_UP, 0, 0);
            }
        }
    }
    if (m->goal == GOAL_PRIMARY && p->objective == PLACE_OBJ_BALANCE) {
        /* z >= (background + reserved) / cores on every host: the highest
         * average core load, a lower bound of the highest core load */
        m->z_col = add_col(m, GLP_CV, 0, 1e30, 1);
        for (size_t h = 0; h < H; h++) {
            const struct place_host *ho = &c->hosts[h];
            double bg = 0;
            for (int k = 0; ho->used && k < ho->cores; k++)
                bg += ho->used[k];
            row_add_util(m, h, 1.0 / ho->cores);
            row_add(m, m->z_col, -1);
            row_end(m, GLP_UP, 0, -bg / ho->cores);
        }
    }
    return 0;
}

/* Bandwidth x hops of the pair columns (objective "bandwidth"). */
static void set_bandwidth_objective(struct milp *m, double weight)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    size_t *tmp = malloc((p->cluster->n_nodes + 2) * sizeof *tmp);
    if (!tmp) {
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct milp_vlink *x = &m->vl[i];
        double r = (double)e->rate_bps * (e->duplex ? 2 : 1) * weight;
        if (x->kind == VL_SS) {
            for (size_t a = 0; a < x->nga; a++)
                for (size_t b = 0; b < x->ngb; b++) {
                    size_t n =
                        pair_arcs(m, m->r->hub[x->ga[a]], m->r->hub[x->gb[b]],
                                  false, false, tmp);
                    if (n != PLACE_NONE && n)
                        glp_set_obj_coef(m->lp, pcol(x, a, b), r * (double)n);
                }
            for (size_t h = 0; h < H; h++)
                if (x->fo[h]) {
                    glp_set_obj_coef(m->lp, x->fo[h], r);
                    glp_set_obj_coef(m->lp, x->fi[h], r);
                }
        } else if (x->kind != VL_EE) {
            size_t s = x->kind == VL_ES ? x->w : x->u;
            size_t node = p->endpoint_node[x->kind == VL_ES ? e->from : e->to];
            for (size_t h = 0; h < H; h++) {
                if (!milp_candidate(m, s, h))
                    continue;
                size_t n = pair_arcs(m, node, h, false, true, tmp);
                size_t k = s * H + h;
                for (size_t j = m->ys[k];
                     n != PLACE_NONE && j < m->ys[k] + m->yn[k]; j++)
                    glp_set_obj_coef(m->lp, (int)j + 1,
                                     glp_get_obj_coef(m->lp, (int)j + 1) +
                                         r * (double)n);
            }
        }
    }
    free(tmp);
}

/* Link cost of the routes (objective "cost"): every physical link on a
 * route is charged once, whether or not the vlink is duplex. */
static void set_cost_objective(struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts;
    size_t *tmp = malloc((c->n_nodes + 2) * sizeof *tmp);
    if (!tmp) {
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        const struct milp_vlink *x = &m->vl[i];
        if (x->kind == VL_SS) {
            for (size_t a = 0; a < x->nga; a++)
                for (size_t b = 0; b < x->ngb; b++) {
                    size_t n =
                        pair_arcs(m, m->r->hub[x->ga[a]], m->r->hub[x->gb[b]],
                                  false, false, tmp);
                    double cost = 0;
                    for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                        cost += c->links[tmp[k] / 2].cost;
                    glp_set_obj_coef(m->lp, pcol(x, a, b), cost);
                }
            for (size_t h = 0; h < H; h++)
                if (x->fo[h]) {
                    double lc = c->links[m->r->access_link[h]].cost;
                    glp_set_obj_coef(m->lp, x->fo[h], lc);
                    glp_set_obj_coef(m->lp, x->fi[h], lc);
                }
        } else if (x->kind != VL_EE) {
            size_t s = x->kind == VL_ES ? x->w : x->u;
            size_t node = p->endpoint_node[x->kind == VL_ES ? e->from : e->to];
            for (size_t h = 0; h < H; h++) {
                if (!milp_candidate(m, s, h))
                    continue;
                size_t n = pair_arcs(m, node, h, false, true, tmp);
                double cost = 0;
                for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                    cost += c->links[tmp[k] / 2].cost;
                size_t k = s * H + h;
                for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
                    glp_set_obj_coef(m->lp, (int)j + 1,
                                     glp_get_obj_coef(m->lp, (int)j + 1) +
                                         cost);
            }
        }
    }
    free(tmp);
}

/* Hosts that nothing tells apart: same group, resources, prices, rules,
 * menus, and no endpoint on them. */
static bool interchangeable(const struct milp *m, size_t a, size_t b)
{
    const struct place_problem *p = m->p;
    const struct place_host *x = &p->cluster->hosts[a],
                            *y = &p->cluster->hosts[b];
    if (m->r->group_of[a] != m->r->group_of[b] || x->cores != y->cores ||
        x->core_capacity != y->core_capacity || x->mem_bytes != y->mem_bytes ||
        x->mem_used_bytes != y->mem_used_bytes || x->speed != y->speed ||
        x->cost != y->cost || (x->used == NULL) != (y->used == NULL))
        return false;
    for (int k = 0; x->used && k < x->cores; k++)
        if (x->used[k] != y->used[k])
            return false;
    if ((x->zone == NULL) != (y->zone == NULL) ||
        (x->zone && strcmp(x->zone, y->zone)))
        return false;
    for (size_t e = 0; e < p->n_endpoints; e++)
        if (p->endpoint_node[e] == a || p->endpoint_node[e] == b)
            return false;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        if (s->menu[a] != s->menu[b] ||
            milp_candidate(m, v, a) != milp_candidate(m, v, b) ||
            (s->price && s->price[a] != s->price[b]) ||
            (s->exec && s->exec[a] != s->exec[b]))
            return false;
    }
    return true;
}

static void build_symmetry(struct milp *m)
{
    size_t H = m->p->cluster->n_hosts;
    for (size_t a = 0; a < H; a++) {
        if (!m->o_col[a])
            continue;
        for (size_t b = a + 1; b < H; b++) {
            if (!m->o_col[b] || !interchangeable(m, a, b))
                continue;
            /* o_a >= o_b, then the chain continues from b */
            row_add(m, m->o_col[a], 1);
            row_add(m, m->o_col[b], -1);
            row_end(m, GLP_LO, 0, 0);
            break;
        }
    }
}

int milp_build(struct milp *m, const struct place_problem *p,
               const struct routes *r, unsigned relax, enum milp_goal goal)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->r = r;
    m->relax = relax;
    m->goal = goal;
    m->single_location = p->cluster->n_links == 0;
    m->lp = glp_create_prob();
    glp_set_obj_dir(m->lp, GLP_MIN);
    /* D of the port rows b + r D: a flow is shaped at its source, so the
     * delay it has met before any port of one traversal is at most its
     * route's delay, and every route's delay (with each port's bound
     * delta) is at most the longest route's (plus the access arcs) */
    m->nc_delay_ns = 0;
    for (size_t i = 0; i < r->n_src * p->cluster->n_nodes; i++)
        if (r->dist[i] != PLACE_UNLIMITED && r->dist[i] > m->nc_delay_ns)
            m->nc_delay_ns = r->dist[i];
    uint64_t access = 0;
    for (size_t l = 0; l < p->cluster->n_links; l++)
        if (r->arc_delay[2 * l] > access)
            access = r->arc_delay[2 * l];
    m->nc_delay_ns += 2 * access;
    if (p->deadline_ns != PLACE_UNLIMITED && p->deadline_ns < m->nc_delay_ns)
        m->nc_delay_ns = p->deadline_ns;
    int rc = compute_dcap(m);
    if (rc == 0)
        rc = build_y(m);
    if (rc == 0)
        rc = build_host_rows(m);
    if (rc == 0)
        rc = build_vlinks(m);
    if (rc == 0)
        build_pair_rows(m);
    if (rc == 0)
        rc = build_timing(m);
    if (rc == 0)
        rc = build_link_limits(m);
    if (rc == 0)
        rc = build_arcs(m);
    if (rc == 0)
        build_probability(m);
    if (rc == 0)
        rc = build_objective_extras(m);
    if (rc == 0 && goal == GOAL_PRIMARY && relax == 0 &&
        p->objective == PLACE_OBJ_UTILIZATION) {
        /* sum vcpus U y >= the DP bound: valid (bound.c), and it is what
         * lets the search stop once an incumbent reaches it */
        m->dp_choice = malloc((p->n_services + 1) * sizeof *m->dp_choice);
        int b =
            m->dp_choice ? dp_bound(m, 0, &m->dp_lb, m->dp_choice) : PLC_ENOMEM;
        if (b == PLC_ENOMEM)
            rc = b;
        if (b == 0) {
            m->has_dp = true;
            for (size_t j = 0; j < m->ny; j++) {
                const struct place_service *sv = &p->services[m->y[j].v];
                row_add(m, (int)j + 1,
                        sv->vcpus *
                            sv->menu[m->y[j].h]->v[m->y[j].m].utilization);
            }
            row_end(m, GLP_LO, m->dp_lb - 1e-9, 0);
        }
    }
    if (rc == 0 && goal == GOAL_PRIMARY) {
        /* the objective of FORMATS.md alone (ties: milp_tiebreak) */
        if (p->objective == PLACE_OBJ_BANDWIDTH)
            set_bandwidth_objective(m, 1e-6); /* Mbit/s x hops */
        if (p->objective == PLACE_OBJ_COST)
            set_cost_objective(m);
        build_symmetry(m);
    }
    if (rc == 0 && m->oom)
        rc = PLC_ENOMEM;
    return rc;
}

void milp_release(struct milp *m)
{
    if (m->lp)
        glp_delete_prob(m->lp);
    for (size_t i = 0; m->vl && i < m->p->n_vlinks; i++) {
        free(m->vl[i].ga);
        free(m->vl[i].gb);
        free(m->vl[i].c);
        free(m->vl[i].fo);
        free(m->vl[i].fi);
    }
    free(m->vl);
    free(m->y);
    free(m->ys);
    free(m->yn);
    free(m->t_col);
    free(m->o_col);
    free(m->dcap);
    free(m->dp_choice);
    free(m->first);
    free(m->second);
    free(m->ind);
    free(m->val);
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* ---- solving ------------------------------------------------------------- */

struct cb_state {
    double bound;
    long nodes;
    const double *warm; /* a plan to offer once, or NULL */
};

static void callback(glp_tree *t, void *info)
{
    struct cb_state *s = info;
    if (glp_ios_reason(t) == GLP_IHEUR && s->warm) {
        glp_ios_heur_sol(t, s->warm);
        s->warm = NULL;
    }
    int a, n, total;
    glp_ios_tree_size(t, &a, &n, &total);
    s->nodes = total;
    int best = glp_ios_best_node(t);
    if (best)
        s->bound = glp_ios_node_bound(t, best);
}

int milp_solve(struct milp *m, double time_limit_s, const double *warm,
               struct milp_result *res)
{
    memset(res, 0, sizeof *res);
    size_t V = m->p->n_services;
    res->host = malloc((V ? V : 1) * sizeof *res->host);
    res->item = malloc((V ? V : 1) * sizeof *res->item);
    if (!res->host || !res->item)
        return PLC_ENOMEM;
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    parm.tm_lim = (int)(time_limit_s * 1000);
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = GLP_ON;
    parm.clq_cuts = GLP_ON;
    parm.fp_heur = GLP_ON;
    parm.br_tech = GLP_BR_DTH;
    parm.bt_tech = GLP_BT_BLB;
    struct cb_state st = {-1e300, 0, warm};
    parm.cb_func = callback;
    parm.cb_info = &st;
    /* rates in bit/s and times in ns make wide coefficient ranges */
    glp_scale_prob(m->lp, GLP_SF_AUTO);
    if (m->goal == GOAL_PRIMARY && m->p->objective == PLACE_OBJ_HOSTS &&
        !m->tiebreak) {
        /* the hosts objective is a sum of binaries with integer
         * coefficients, so any plan's value is a whole number: the LP
         * bound rounded up is a valid row, obj >= ceil(z_LP) */
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = GLP_MSG_OFF;
        sp.presolve = GLP_ON;
        sp.tm_lim = parm.tm_lim;
        if (glp_simplex(m->lp, &sp) == 0 && glp_get_status(m->lp) == GLP_OPT) {
            double z = ceil(glp_get_obj_val(m->lp) - 1e-6);
            int n = glp_get_num_cols(m->lp);
            for (int j = 1; j <= n; j++)
                row_add(m, j, glp_get_obj_coef(m->lp, j));
            row_end(m, GLP_LO, z, 0);
        }
    }
    if (warm) {
        /* a solution is offered in terms of the model's own columns, so
         * the MIP presolver (which renumbers them) stays off, and the LP
         * relaxation is solved first, as glp_intopt then requires */
        parm.presolve = GLP_OFF;
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = GLP_MSG_OFF;
        sp.presolve = GLP_ON;
        sp.tm_lim = parm.tm_lim;
        double t0 = glp_time();
        int lr = glp_simplex(m->lp, &sp);
        /* the LP's time counts against the limit */
        parm.tm_lim -= (int)(glp_difftime(glp_time(), t0) * 1000);
        if (lr == 0 && glp_get_status(m->lp) == GLP_NOFEAS) {
            res->status = PLACE_INFEASIBLE;
            return 0;
        }
        if (lr != 0 || glp_get_status(m->lp) != GLP_OPT) {
            /* fall back to the presolver without the offer */
            parm.presolve = GLP_ON;
            st.warm = NULL;
        }
    }
    if (parm.tm_lim <= 0) {
        res->status = PLACE_TIMEOUT;
        res->bound = -INFINITY;
        return 0;
    }
    int ret = glp_intopt(m->lp, &parm);
    int ms = glp_mip_status(m->lp);
    res->nodes = st.nodes;
    if (ms == GLP_OPT) {
        res->status = PLACE_OPTIMAL;
        res->obj = glp_mip_obj_val(m->lp);
        res->bound = res->obj;
    } else if (ms == GLP_FEAS) {
        res->status = PLACE_FEASIBLE;
        res->obj = glp_mip_obj_val(m->lp);
        res->bound = st.bound > -1e299 ? st.bound : -INFINITY;
    } else if (ms == GLP_NOFEAS || (ret == GLP_ENOPFS || ret == GLP_ENODFS)) {
        res->status = PLACE_INFEASIBLE;
        return 0;
    } else {
        res->status = PLACE_TIMEOUT;
        res->bound = st.bound > -1e299 ? st.bound : -INFINITY;
        return 0;
    }
    for (size_t v = 0; v < V; v++)
        res->host[v] = res->item[v] = PLACE_NONE;
    for (size_t j = 0; j < m->ny; j++)
        if (glp_mip_col_val(m->lp, (int)j + 1) > 0.5) {
            res->host[m->y[j].v] = m->y[j].h;
            res->item[m->y[j].v] = m->y[j].m;
        }
    return 0;
}

void milp_result_release(struct milp_result *res)
{
    free(res->host);
    free(res->item);
    memset(res, 0, sizeof *res);
}

int milp_cut_host(struct milp *m, const struct milp_result *res, size_t h)
{
    size_t n = 0;
    for (size_t j = 0; j < m->ny; j++)
        if (m->y[j].h == h && res->host[m->y[j].v] == h &&
            res->item[m->y[j].v] == m->y[j].m) {
            row_add(m, (int)j + 1, 1);
            n++;
        }
    row_end(m, GLP_UP, 0, (double)n - 1);
    return m->oom ? PLC_ENOMEM : 0;
}

int milp_tiebreak(struct milp *m, double primary_opt)
{
    m->tiebreak = true;
    /* keep the primary objective at its optimum, then minimise total
     * utilisation: copy the objective into a row, set the new one */
    int n = glp_get_num_cols(m->lp);
    for (int j = 1; j <= n; j++)
        row_add(m, j, glp_get_obj_coef(m->lp, j));
    row_end(m, GLP_UP, 0,
            primary_opt +
                1e-9 * (fabs(primary_opt) > 1 ? fabs(primary_opt) : 1));
    for (int j = 1; j <= n; j++)
        glp_set_obj_coef(m->lp, j, 0);
    for (size_t j = 0; j < m->ny; j++) {
        const struct place_service *s = &m->p->services[m->y[j].v];
        glp_set_obj_coef(m->lp, (int)j + 1,
                         s->vcpus *
                             s->menu[m->y[j].h]->v[m->y[j].m].utilization);
    }
    return m->oom ? PLC_ENOMEM : 0;
}

int milp_warm_vector(const struct milp *m, const size_t *host,
                     const size_t *item, double **out)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, E = p->n_endpoints;
    int n = glp_get_num_cols(m->lp);
    double *x = calloc((size_t)n + 1, sizeof *x);
    double *start = calloc(E + p->n_services + 1, sizeof *start);
    size_t *pos = malloc((E + p->n_services + 1) * sizeof *pos);
    if (!x || !start || !pos) {
        free(x);
        free(start);
        free(pos);
        return PLC_ENOMEM;
    }
    int rc = 0;
    for (size_t v = 0; v < p->n_services; v++) {
        size_t k = v * H + host[v];
        bool found = false;
        for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
            if (m->y[j].m == item[v]) {
                x[j + 1] = 1;
                found = true;
            }
        if (!found)
            rc = PLC_EINVAL; /* the plan uses a column the model pruned */
    }
    /* longest-path start times, with the rows' own delays */
    for (size_t round = 0; rc == 0 && round <= p->n_vlinks; round++)
        for (size_t i = 0; i < p->n_vlinks; i++) {
            const struct place_vlink *e = &p->vlinks[i];
            const struct milp_vlink *xl = &m->vl[i];
            if (xl->kind == VL_EE || xl->w == PLACE_NONE)
                continue;
            uint64_t d = 0, j = 0;
            if (xl->kind == VL_SS)
                milp_pair_delay(m, e, host[xl->u], host[xl->w], &d, &j);
            else
                node_host_delay(m, e, p->endpoint_node[e->from], host[xl->w],
                                true, &d, &j);
            double ready = (xl->u != PLACE_NONE
                                ? start[E + xl->u] + (double)p->services[xl->u]
                                                         .menu[host[xl->u]]
                                                         ->v[item[xl->u]]
                                                         .deadline_ns
                                : 0) +
                           e->crossings * (double)d;
            if (ready > start[E + xl->w])
                start[E + xl->w] = ready;
        }
    for (size_t v = 0; v < p->n_services; v++)
        if (m->t_col[v])
            x[m->t_col[v]] = start[E + v];
    for (size_t i = 0; rc == 0 && i < p->n_vlinks; i++) {
        const struct milp_vlink *xl = &m->vl[i];
        if (xl->kind != VL_SS)
            continue;
        size_t hu = host[xl->u], hw = host[xl->w];
        for (size_t a = 0; a < xl->nga; a++)
            for (size_t b = 0; b < xl->ngb; b++)
                if (xl->ga[a] == m->r->group_of[hu] &&
                    xl->gb[b] == m->r->group_of[hw])
                    x[pcol(xl, a, b)] = 1;
        if (hu == hw && xl->c[hu])
            x[xl->c[hu]] = 1;
        if (hu != hw) {
            if (xl->fo[hu])
                x[xl->fo[hu]] = 1;
            if (xl->fi[hw])
                x[xl->fi[hw]] = 1;
        }
    }
    for (size_t h = 0; m->o_col && h < H; h++)
        for (size_t v = 0; v < p->n_services; v++)
            if (m->o_col[h] && host[v] == h)
                x[m->o_col[h]] = 1;
    if (m->z_col) {
        double z = 0;
        for (size_t h = 0; h < H; h++) {
            const struct place_host *ho = &p->cluster->hosts[h];
            double l = 0;
            for (int k = 0; ho->used && k < ho->cores; k++)
                l += ho->used[k];
            for (size_t v = 0; v < p->n_services; v++)
                if (host[v] == h)
                    l += p->services[v].vcpus *
                         p->services[v].menu[h]->v[item[v]].utilization;
            z = fmax(z, l / ho->cores);
        }
        x[m->z_col] = z;
    }
    (void)pos;
    free(pos);
    free(start);
    if (rc < 0) {
        free(x);
        return rc;
    }
    *out = x;
    return 0;
}
