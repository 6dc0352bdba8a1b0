/*
 * milp_net.c: the network side of the placement MILP: vlink columns
 * (group pairs, co-location, access arcs), timing and per-link limit rows,
 * link rates and port rows, and the route-dependent objectives.
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t place__milp_vl_service(const struct place_problem *p, size_t node)
{
    return node >= p->n_endpoints ? node - p->n_endpoints : PLACE_NONE;
}

bool place__milp_pair_delay(const struct milp *m, const struct place_vlink *e,
                            int k, size_t h1, size_t h2, uint64_t *delay,
                            uint64_t *jitter)
{
    *delay = *jitter = 0;
    if (h1 == h2)
        return true;
    if (m->single_location)
        return true;
    if (!place__routes_hosts(m->r, k, h1, h2, delay, jitter))
        return false;
    *delay += place__message_ns(e);
    return true;
}

/* Delay of one traversal between an endpoint node and host h. */
bool place__milp_node_host_delay(const struct milp *m,
                                 const struct place_vlink *e, int k,
                                 size_t node, size_t h, bool to_host,
                                 uint64_t *delay, uint64_t *jitter)
{
    *delay = *jitter = 0;
    if (node == h || m->single_location)
        return true;
    bool ok = to_host ? place__routes_between(m->r, k, node, h, delay, jitter)
                      : place__routes_between(m->r, k, h, node, delay, jitter);
    if (!ok && !to_host) {
        /* from h: its hub's route plus its access arc */
        size_t g = m->r->group_of[h];
        uint64_t d, j;
        if (!place__routes_between(m->r, k, m->r->hub[g], node, &d, &j))
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
        *delay += place__message_ns(e);
    return ok;
}

/* Arcs between two hosts / a node and a host, for capacity rows. */
size_t place__milp_pair_arcs(const struct milp *m, int k, size_t from,
                             size_t to, bool from_host, bool to_host,
                             size_t *arcs)
{
    if (m->single_location || from == to)
        return 0;
    if (from_host && to_host)
        return place__routes_host_arcs(m->r, k, from, to, arcs);
    if (!from_host)
        return place__routes_arcs(m->r, k, from, to, arcs);
    /* host -> node: access arc, then the hub's route */
    size_t g = m->r->group_of[from], n = 0;
    if (m->r->proper[g]) {
        size_t l = m->r->access_link[from];
        arcs[n++] = 2 * l + (m->p->cluster->links[l].a == from ? 0 : 1);
    }
    size_t got = place__routes_arcs(m->r, k, m->r->hub[g], to, arcs + n);
    return got == PLACE_NONE ? PLACE_NONE : n + got;
}

/* Do routes k = 0 and 1 from `from` to `to` differ (either way, for a
 * duplex vlink)?  false when route 1 does not exist. */
static bool detour_differs(const struct milp *m, const struct place_vlink *e,
                           size_t from, size_t to, bool from_host, bool to_host,
                           size_t *t0, size_t *t1)
{
    if (m->r->n_sets < 2)
        return false;
    for (int dir = 0; dir < (e->duplex ? 2 : 1); dir++) {
        size_t a = dir ? to : from, b = dir ? from : to;
        bool ah = dir ? to_host : from_host, bh = dir ? from_host : to_host;
        size_t n0 = place__milp_pair_arcs(m, 0, a, b, ah, bh, t0);
        size_t n1 = place__milp_pair_arcs(m, 1, a, b, ah, bh, t1);
        if (n1 == PLACE_NONE)
            return false;
        if (n0 != n1 || memcmp(t0, t1, n0 * sizeof *t0))
            return true;
    }
    return false;
}

/* Is a traversal of delay d and jitter j within e's own limits? */
static bool within_limits(const struct milp *m, const struct place_vlink *e,
                          uint64_t d, uint64_t j)
{
    return (m->relax & FAM_LINK_LATENCY) ||
           ((e->max_latency_ns == PLACE_UNLIMITED || d <= e->max_latency_ns) &&
            (e->max_jitter_ns == PLACE_UNLIMITED || j <= e->max_jitter_ns));
}

/* Detour columns of vlink i (route set 1, routes.h): for a pair of
 * distinct groups, P'[a,b] = u in a, w in b, over the detour; for an
 * endpoint vlink, Q[h] <= X(h) = the service on h uses the detour.  Only
 * where the detour differs from the shortest route and keeps the vlink's
 * limits. */
static int build_detours(struct milp *m, size_t i)
{
    const struct place_problem *p = m->p;
    const struct place_vlink *e = &p->vlinks[i];
    struct milp_vlink *x = &m->vl[i];
    size_t H = p->cluster->n_hosts;
    if (m->r->n_sets < 2 || (m->relax & FAM_BANDWIDTH))
        return 0;
    size_t *t0 = malloc((p->cluster->n_nodes + 2) * sizeof *t0);
    size_t *t1 = malloc((p->cluster->n_nodes + 2) * sizeof *t1);
    if (x->kind == VL_SS)
        x->pa = calloc(x->nga * x->ngb + 1, sizeof *x->pa);
    else if (x->kind != VL_EE)
        x->q = calloc(H + 1, sizeof *x->q);
    if (!t0 || !t1 || (x->kind == VL_SS && !x->pa) ||
        (x->kind != VL_SS && x->kind != VL_EE && !x->q)) {
        free(t0);
        free(t1);
        return PLC_ENOMEM;
    }
    uint64_t d, j;
    if (x->kind == VL_SS) {
        for (size_t a = 0; a < x->nga; a++)
            for (size_t b = 0; b < x->ngb; b++) {
                size_t ha, hb;
                place__milp_pair_hosts(m, x->ga[a], x->gb[b], &ha, &hb);
                if (x->ga[a] == x->gb[b] ||
                    !detour_differs(m, e, m->r->hub[x->ga[a]],
                                    m->r->hub[x->gb[b]], false, false, t0,
                                    t1) ||
                    !place__milp_pair_delay(m, e, 1, ha, hb, &d, &j) ||
                    !within_limits(m, e, d, j))
                    continue;
                x->pa[a * x->ngb + b] = place__milp_add_col(m, GLP_CV, 0, 1, 0);
            }
    } else if (x->kind != VL_EE) {
        size_t s = x->kind == VL_ES ? x->w : x->u;
        size_t node = p->endpoint_node[x->kind == VL_ES ? e->from : e->to];
        for (size_t h = 0; h < H; h++) {
            bool es = x->kind == VL_ES;
            if (!place__milp_candidate(m, s, h) ||
                !detour_differs(m, e, es ? node : h, es ? h : node, !es, es, t0,
                                t1) ||
                !place__milp_node_host_delay(m, e, 1, node, h, es, &d, &j) ||
                !within_limits(m, e, d, j))
                continue;
            x->q[h] = place__milp_add_col(m, GLP_CV, 0, 1, 0);
        }
    }
    free(t0);
    free(t1);
    return 0;
}

/* Two distinct hosts, one of group a and one of group b (hb PLACE_NONE
 * when a == b has a single member): the route between any such pair is
 * the same (routes.h), so they stand for the pair of groups. */
void place__milp_pair_hosts(const struct milp *m, size_t a, size_t b,
                            size_t *ha, size_t *hb)
{
    *ha = m->first[a];
    *hb = a == b ? m->second[a] : m->first[b];
}

/* Columns of the vlinks and their timing/latency rows. */
int place__milp_build_vlinks(struct milp *m)
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
        m->t_col[v] = place__milp_add_col(m, GLP_CV, 0, 1e30, 0);
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        struct milp_vlink *x = &m->vl[i];
        size_t su = place__milp_vl_service(p, e->from),
               sw = place__milp_vl_service(p, e->to);
        x->kind = su != PLACE_NONE ? (sw != PLACE_NONE ? VL_SS : VL_SE)
                                   : (sw != PLACE_NONE ? VL_ES : VL_EE);
        x->u = su;
        x->w = sw;
        if (x->kind != VL_SS) {
            int rc = build_detours(m, i);
            if (rc < 0)
                return rc;
            continue;
        }
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
            if (place__milp_candidate(m, su, h))
                ina[m->r->group_of[h]] = true;
            if (place__milp_candidate(m, sw, h))
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
         * limits, has none (on a full mesh of sites with latency bounds
         * most pairs are out of reach) */
        x->pc = calloc(x->nga * x->ngb + 1, sizeof *x->pc);
        if (!x->pc)
            return PLC_ENOMEM;
        for (size_t a = 0; a < x->nga; a++)
            for (size_t b = 0; b < x->ngb; b++) {
                size_t ha, hb;
                place__milp_pair_hosts(m, x->ga[a], x->gb[b], &ha, &hb);
                uint64_t d = 0, j = 0;
                bool ok = hb == PLACE_NONE ||
                          place__milp_pair_delay(m, e, 0, ha, hb, &d, &j);
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
                if (ok)
                    x->pc[a * x->ngb + b] =
                        place__milp_add_col(m, GLP_CV, 0, 1, 0);
                if (limited && ok)
                    x->limited_same = true;
            }
        for (size_t h = 0; h < H; h++) {
            if (place__milp_candidate(m, su, h) &&
                place__milp_candidate(m, sw, h))
                x->c[h] = place__milp_add_col(m, GLP_CV, 0, 1, 0);
            size_t g = m->r->group_of[h];
            if (m->r->proper[g] && !m->single_location &&
                (place__milp_candidate(m, su, h) ||
                 place__milp_candidate(m, sw, h))) {
                x->fo[h] = place__milp_add_col(m, GLP_CV, 0, 1e30, 0);
                x->fi[h] = place__milp_add_col(m, GLP_CV, 0, 1e30, 0);
            }
        }
        int rc = build_detours(m, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int place__milp_pcol(const struct milp_vlink *x, size_t a, size_t b)
{
    return x->pc[a * x->ngb + b];
}

/* Sum over groups of X_v(group). */
void place__milp_row_add_xg(struct milp *m, size_t v, size_t g, double coef)
{
    for (size_t h = 0; h < m->p->cluster->n_hosts; h++)
        if (m->r->group_of[h] == g)
            place__milp_row_add_x(m, v, h, coef);
}

/* Add the delay of one traversal of vlink i (times `k`) to the row. */
void place__milp_row_add_delay(struct milp *m, size_t i, double k)
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
                place__milp_pair_hosts(m, x->ga[a], x->gb[b], &ha, &hb);
                if (hb == PLACE_NONE ||
                    !place__milp_pair_delay(m, e, 0, ha, hb, &d, &j))
                    continue;
                place__milp_row_add(m, place__milp_pcol(x, a, b),
                                    k * (double)d);
                /* the detour's own delay */
                int alt = x->pa ? x->pa[a * x->ngb + b] : 0;
                if (alt && place__milp_pair_delay(m, e, 1, ha, hb, &d, &j))
                    place__milp_row_add(m, alt, k * (double)d);
                /* co-location inside the group removes that delay */
                if (x->ga[a] == x->gb[b])
                    for (size_t h = 0; h < H; h++)
                        if (x->c[h] && m->r->group_of[h] == x->ga[a])
                            place__milp_row_add(m, x->c[h], -k * (double)d);
            }
        break;
    case VL_ES:
    case VL_SE: {
        /* X(h) d0 on the shortest route, plus Q(h) (d1 - d0) on the
         * detour */
        bool es = x->kind == VL_ES;
        size_t s = es ? x->w : x->u,
               node = p->endpoint_node[es ? e->from : e->to];
        for (size_t h = 0; h < H; h++) {
            if (!place__milp_candidate(m, s, h) ||
                !place__milp_node_host_delay(m, e, 0, node, h, es, &d, &j))
                continue;
            place__milp_row_add_x(m, s, h, k * (double)d);
            uint64_t d1;
            if (x->q && x->q[h] &&
                place__milp_node_host_delay(m, e, 1, node, h, es, &d1, &j))
                place__milp_row_add(m, x->q[h], k * ((double)d1 - (double)d));
        }
        break;
    }
    case VL_EE:
        break;
    }
}

/* Add the local deadline of service v (sum of d_m y). */
void place__milp_row_add_local_deadline(struct milp *m, size_t v, double k)
{
    size_t H = m->p->cluster->n_hosts;
    for (size_t h = 0; h < H; h++) {
        size_t s = m->ys[v * H + h];
        for (size_t j = s; j < s + m->yn[v * H + h]; j++)
            place__milp_row_add(m, (int)j + 1,
                                k * (double)m->p->services[v]
                                        .menu[h]
                                        ->v[m->y[j].m]
                                        .deadline_ns);
    }
}

int place__milp_build_timing(struct milp *m)
{
    const struct place_problem *p = m->p;
    bool deadline =
        !(m->relax & FAM_DEADLINE) && p->deadline_ns != PLACE_UNLIMITED;
    if (m->goal == GOAL_MAKESPAN) {
        m->mk_col = place__milp_add_col(m, GLP_CV, 0, 1e30, 1);
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
            place__milp_row_add(m, m->t_col[x->w], 1);
        if (x->u != PLACE_NONE) {
            place__milp_row_add(m, m->t_col[x->u], -1);
            place__milp_row_add_local_deadline(m, x->u, -1);
        }
        place__milp_row_add_delay(m, i, -k);
        if (x->w != PLACE_NONE) {
            place__milp_row_end(m, GLP_LO, 0, 0);
        } else {
            /* into an endpoint: arrival within the deadline */
            for (size_t j = 1; j <= m->len; j++)
                m->val[j] = -m->val[j];
            if (m->goal == GOAL_MAKESPAN) {
                place__milp_row_add(m, m->mk_col, -1);
                place__milp_row_end(m, GLP_UP, 0, 0);
            } else {
                place__milp_row_end(m, GLP_UP, 0, D);
            }
        }
    }
    /* every service finishes within the deadline */
    for (size_t v = 0; v < p->n_services; v++) {
        place__milp_row_add(m, m->t_col[v], 1);
        place__milp_row_add_local_deadline(m, v, 1);
        if (m->goal == GOAL_MAKESPAN) {
            place__milp_row_add(m, m->mk_col, -1);
            place__milp_row_end(m, GLP_UP, 0, 0);
        } else {
            place__milp_row_end(m, GLP_UP, 0, D);
        }
    }
    return 0;
}

int place__milp_build_link_limits(struct milp *m)
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
                if (!place__milp_candidate(m, s, h))
                    continue;
                bool ok = place__milp_node_host_delay(m, e, 0, node, h,
                                                      x->kind == VL_ES, &d, &j);
                if (ok &&
                    (e->max_latency_ns == PLACE_UNLIMITED ||
                     d <= e->max_latency_ns) &&
                    (e->max_jitter_ns == PLACE_UNLIMITED ||
                     j <= e->max_jitter_ns))
                    continue;
                place__milp_row_add_x(m, s, h, 1);
                place__milp_row_end(m, GLP_FX, 0, 0);
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
                     const struct place_vlink *e, int col, int k, size_t from,
                     size_t to, bool from_host, bool to_host, double times)
{
    size_t n = place__milp_pair_arcs(m, k, from, to, from_host, to_host, tmp);
    if (n == PLACE_NONE)
        return;
    double burst = (double)e->burst_bytes +
                   (double)e->rate_bps / 8.0 * (double)m->nc_delay_ns * 1e-9;
    for (size_t i = 0; i < n; i++)
        arc_push(m, &rows[tmp[i]], col, times * (double)e->rate_bps,
                 times * burst);
}

/* X columns of service v on host h, each sending e along a route */
static void arcs_for_x(struct milp *m, struct arc_row *rows, size_t *tmp,
                       const struct place_vlink *e, size_t v, size_t h,
                       size_t from, size_t to, bool from_host, bool to_host)
{
    size_t k = v * m->p->cluster->n_hosts + h;
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
        arcs_for(m, rows, tmp, e, (int)j + 1, 0, from, to, from_host, to_host,
                 1);
}

/* The hub-to-hub arcs of groups a, b (no access arcs). */
static void arcs_hubs(struct milp *m, struct arc_row *rows, size_t *tmp,
                      const struct place_vlink *e, int col, int k, size_t ga,
                      size_t gb)
{
    arcs_for(m, rows, tmp, e, col, k, m->r->hub[ga], m->r->hub[gb], false,
             false, 1);
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

int place__milp_build_arcs(struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, A = 2 * c->n_links;
    if (m->single_location || A == 0 || (m->relax & FAM_BANDWIDTH))
        return 0;
    /* rows no plan can violate are left out: a vlink crosses an arc at
     * most once each way, so the whole workflow's rate (twice for duplex
     * links) and its bursts b + r D bound what any arc can carry */
    double all_rate = 0, all_burst = 0;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        double k = e->duplex ? 2 : 1;
        all_rate += k * (double)e->rate_bps;
        all_burst +=
            k * ((double)e->burst_bytes +
                 (double)e->rate_bps / 8.0 * (double)m->nc_delay_ns * 1e-9);
    }
    bool any = false;
    for (size_t a = 0; a < A && !any; a++) {
        const struct place_link *l = &c->links[a / 2];
        any = (double)l->used_bps + all_rate > (double)l->rate_bps ||
              (l->buffer_bytes &&
               all_burst > (double)l->buffer_bytes - MTU_BYTES);
    }
    if (!any)
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
                        for (int k = 0; k < 2; k++) {
                            int col = k == 0  ? place__milp_pcol(x, a, b)
                                      : x->pa ? x->pa[a * x->ngb + b]
                                              : 0;
                            if (col)
                                arcs_hubs(m, rows, tmp, e, col, k,
                                          dir ? x->gb[b] : x->ga[a],
                                          dir ? x->ga[a] : x->gb[b]);
                        }
                for (size_t h = 0; h < H; h++) {
                    if (!x->fo[h])
                        continue;
                    /* fo: u here, w elsewhere: out (or in, replying) */
                    access_arcs(m, rows, e, x->fo[h], h, dir == 0);
                    access_arcs(m, rows, e, x->fi[h], h, dir != 0);
                }
                break;
            case VL_ES:
                for (size_t h = 0; h < H; h++) {
                    if (!place__milp_candidate(m, x->w, h))
                        continue;
                    arcs_for_x(m, rows, tmp, e, x->w, h, dir ? h : ef,
                               dir ? ef : h, dir, !dir);
                    /* the detour moves the flow from route 0 to route 1 */
                    for (int k = 0; x->q && x->q[h] && k < 2; k++)
                        arcs_for(m, rows, tmp, e, x->q[h], k, dir ? h : ef,
                                 dir ? ef : h, dir, !dir, k ? 1 : -1);
                }
                break;
            case VL_SE:
                for (size_t h = 0; h < H; h++) {
                    if (!place__milp_candidate(m, x->u, h))
                        continue;
                    arcs_for_x(m, rows, tmp, e, x->u, h, dir ? et : h,
                               dir ? h : et, !dir, dir);
                    for (int k = 0; x->q && x->q[h] && k < 2; k++)
                        arcs_for(m, rows, tmp, e, x->q[h], k, dir ? et : h,
                                 dir ? h : et, !dir, dir, k ? 1 : -1);
                }
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
            size_t n = a == b ? 0 : place__routes_arcs(m->r, 0, a, b, tmp);
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
        double cap = (double)l->rate_bps - (double)l->used_bps;
        if (rows[a].n && fixed_rate[a] + all_rate > cap) {
            for (size_t k = 0; k < rows[a].n; k++)
                place__milp_row_add(m, rows[a].col[k], rows[a].rate[k]);
            place__milp_row_end_cap(m, GLP_UP, 0, cap - fixed_rate[a]);
        }
        if (rows[a].n) {
            if (l->buffer_bytes && fixed_burst[a] + all_burst >
                                       (double)l->buffer_bytes - MTU_BYTES) {
                for (size_t k = 0; k < rows[a].n; k++)
                    place__milp_row_add(m, rows[a].col[k], rows[a].burst[k]);
                place__milp_row_end_cap(m, GLP_UP, 0,
                                        (double)l->buffer_bytes - MTU_BYTES -
                                            fixed_burst[a]);
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
void place__milp_build_pair_rows(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct milp_vlink *x = &m->vl[i];
        /* Q(h) <= X(h): only a service on h takes its detour */
        for (size_t h = 0; x->q && h < H; h++)
            if (x->q[h]) {
                place__milp_row_add(m, x->q[h], 1);
                place__milp_row_add_x(m, x->kind == VL_ES ? x->w : x->u, h, -1);
                place__milp_row_end(m, GLP_UP, 0, 0);
            }
        if (x->kind != VL_SS)
            continue;
        for (size_t a = 0; a < x->nga; a++) {
            for (size_t b = 0; b < x->ngb; b++) {
                place__milp_row_add(m, place__milp_pcol(x, a, b), 1);
                if (x->pa)
                    place__milp_row_add(m, x->pa[a * x->ngb + b], 1);
            }
            place__milp_row_add_xg(m, x->u, x->ga[a], -1);
            place__milp_row_end(m, GLP_FX, 0, 0);
        }
        for (size_t b = 0; b < x->ngb; b++) {
            for (size_t a = 0; a < x->nga; a++) {
                place__milp_row_add(m, place__milp_pcol(x, a, b), 1);
                if (x->pa)
                    place__milp_row_add(m, x->pa[a * x->ngb + b], 1);
            }
            place__milp_row_add_xg(m, x->w, x->gb[b], -1);
            place__milp_row_end(m, GLP_FX, 0, 0);
        }
        if (x->limited_same)
            for (size_t a = 0; a < x->nga; a++)
                for (size_t b = 0; b < x->ngb; b++) {
                    if (x->ga[a] != x->gb[b])
                        continue;
                    place__milp_row_add(m, place__milp_pcol(x, a, b), 1);
                    for (size_t h = 0; h < H; h++)
                        if (x->c[h] && m->r->group_of[h] == x->ga[a])
                            place__milp_row_add(m, x->c[h], -1);
                    place__milp_row_end(m, GLP_UP, 0, 0);
                }
        for (size_t h = 0; h < H; h++) {
            if (x->c[h]) {
                place__milp_row_add(m, x->c[h], 1);
                place__milp_row_add_x(m, x->u, h, -1);
                place__milp_row_end(m, GLP_UP, 0, 0);
                place__milp_row_add(m, x->c[h], 1);
                place__milp_row_add_x(m, x->w, h, -1);
                place__milp_row_end(m, GLP_UP, 0, 0);
            }
            if (x->fo[h]) {
                place__milp_row_add(m, x->fo[h], 1);
                place__milp_row_add_x(m, x->u, h, -1);
                place__milp_row_add_x(m, x->w, h, 1);
                place__milp_row_end(m, GLP_LO, 0, 0);
                place__milp_row_add(m, x->fi[h], 1);
                place__milp_row_add_x(m, x->w, h, -1);
                place__milp_row_add_x(m, x->u, h, 1);
                place__milp_row_end(m, GLP_LO, 0, 0);
            }
        }
    }
}

/* Route-dependent objective terms: per route, the sum over its links of
 * the link's cost ("cost": every physical link charged once, duplex or
 * not) or of one hop times the rate, both ways for duplex ("bandwidth",
 * scaled by `weight`). */
static void set_route_objective(struct milp *m, bool cost, double weight)
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
        double f =
            cost ? 1 : (double)e->rate_bps * (e->duplex ? 2 : 1) * weight;
        if (x->kind == VL_SS) {
            for (size_t a = 0; a < x->nga; a++)
                for (size_t b = 0; b < x->ngb; b++) {
                    for (int r = 0; r < 2; r++) {
                        int col = r == 0  ? place__milp_pcol(x, a, b)
                                  : x->pa ? x->pa[a * x->ngb + b]
                                          : 0;
                        if (!col)
                            continue;
                        size_t n = place__milp_pair_arcs(
                            m, r, m->r->hub[x->ga[a]], m->r->hub[x->gb[b]],
                            false, false, tmp);
                        double w = 0;
                        for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                            w += cost ? c->links[tmp[k] / 2].cost : 1;
                        glp_set_obj_coef(m->lp, col, f * w);
                    }
                }
            for (size_t h = 0; h < H; h++)
                if (x->fo[h]) {
                    double w = cost ? c->links[m->r->access_link[h]].cost : 1;
                    glp_set_obj_coef(m->lp, x->fo[h], f * w);
                    glp_set_obj_coef(m->lp, x->fi[h], f * w);
                }
        } else if (x->kind != VL_EE) {
            size_t s = x->kind == VL_ES ? x->w : x->u;
            size_t node = p->endpoint_node[x->kind == VL_ES ? e->from : e->to];
            for (size_t h = 0; h < H; h++) {
                if (!place__milp_candidate(m, s, h))
                    continue;
                size_t n =
                    place__milp_pair_arcs(m, 0, node, h, false, true, tmp);
                double w = 0;
                for (size_t k = 0; n != PLACE_NONE && k < n; k++)
                    w += cost ? c->links[tmp[k] / 2].cost : 1;
                if (x->q && x->q[h]) {
                    /* the detour's weight, less the shortest route's */
                    size_t n1 =
                        place__milp_pair_arcs(m, 1, node, h, false, true, tmp);
                    double w1 = 0;
                    for (size_t k = 0; n1 != PLACE_NONE && k < n1; k++)
                        w1 += cost ? c->links[tmp[k] / 2].cost : 1;
                    glp_set_obj_coef(m->lp, x->q[h], f * (w1 - w));
                }
                size_t k = s * H + h;
                for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
                    glp_set_obj_coef(m->lp, (int)j + 1,
                                     glp_get_obj_coef(m->lp, (int)j + 1) +
                                         f * w);
            }
        }
    }
    free(tmp);
}

void place__milp_set_bandwidth_objective(struct milp *m, double weight)
{
    set_route_objective(m, false, weight);
}

void place__milp_set_cost_objective(struct milp *m)
{
    set_route_objective(m, true, 1);
}
