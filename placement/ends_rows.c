/*
 * ends_rows.c: the rows the spread model's endpoint hosts and rings add
 * (spread.h), the hosts of a solution's groups by its route delays, and
 * the cuts when it has none.
 */
#include "plc/error.h"
#include "routes.h"
#include "spread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A new a[v,j,c] (column j's service in class c) with its row a <= x_j;
 * its column. */
static int a_column(struct tmodel *t, size_t j, size_t c)
{
    int a = glp_add_cols(t->lp, 1), r = glp_add_rows(t->lp, 1);
    glp_set_col_kind(t->lp, a, GLP_BV);
    t->a[t->na++] = (struct acol){j, c, a};
    t->ind[1] = a;
    t->val[1] = 1;
    t->ind[2] = (int)j + 1;
    t->val[2] = -1;
    glp_set_mat_row(t->lp, r, 2, t->ind, t->val);
    glp_set_row_bnds(t->lp, r, GLP_UP, 0, 0);
    return a;
}

/* Endpoint host k's columns: a[v,j,k] and its cores' b, with the rows
 * a <= x_j, sum_q b = vcpus a, b <= a, each core's free capacity and the
 * host's memory (cap: room for that many columns in all).  0,
 * PLC_ENOMEM. */
static int ehost_columns(struct tmodel *t, const struct place_problem *p,
                         const struct spread_ehosts *x, size_t k, size_t cap)
{
    glp_prob *lp = t->lp;
    const struct place_tcol *col = t->col;
    size_t n = t->n;
    int *ind = t->ind;
    double *val = t->val;
    const struct ehost *h = &x->h[k];
    /* per core its b columns, in one row each at the end */
    int *first_b = malloc((cap * (size_t)h->cores + 1) * sizeof *first_b);
    if (!first_b)
        return PLC_ENOMEM;
    size_t nb = 0, a0 = t->na;
    for (size_t j = 0; j < n; j++) {
        const struct place_service *sv = &p->services[col[j].v];
        int vc = sv->vcpus > 0 ? sv->vcpus : 1, nq = 0;
        double u1 = col[j].u / vc;
        if (!h->has[j] || (double)sv->mem_bytes > h->mem_free)
            continue;
        for (int q = 0; q < h->cores; q++)
            nq += u1 <= h->core_free[q] + 1e-9;
        if (nq < vc)
            continue;
        int a = a_column(t, j, k), b = glp_add_cols(lp, nq), r;
        /* sum_q b = vcpus a, each b <= a */
        int kk = 0;
        for (int q = 0; q < nq; q++) {
            glp_set_col_kind(lp, b + q, GLP_BV);
            ind[++kk] = b + q;
            val[kk] = 1;
        }
        ind[++kk] = a;
        val[kk] = -vc;
        r = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, r, kk, ind, val);
        glp_set_row_bnds(lp, r, GLP_FX, 0, 0);
        for (int q = 0; vc > 1 && q < nq; q++) {
            ind[1] = b + q;
            val[1] = 1;
            ind[2] = a;
            val[2] = -1;
            r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, 2, ind, val);
            glp_set_row_bnds(lp, r, GLP_UP, 0, 0);
        }
        /* which core each b is: the cores in order, those it fits */
        int q2 = 0;
        for (int q = 0; q < h->cores; q++)
            first_b[nb * (size_t)h->cores + (size_t)q] =
                u1 <= h->core_free[q] + 1e-9 ? b + q2++ : 0;
        nb++;
    }
    /* each core's free capacity, and the host's memory */
    for (int q = 0; q < h->cores; q++) {
        int kk = 0;
        for (size_t i = 0; i < nb; i++) {
            int b = first_b[i * (size_t)h->cores + (size_t)q];
            const struct acol *ac = &t->a[a0 + i];
            int vc = p->services[col[ac->j].v].vcpus;
            if (b) {
                ind[++kk] = b;
                val[kk] = col[ac->j].u / (vc > 0 ? vc : 1);
            }
        }
        if (kk) {
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, kk, ind, val);
            glp_set_row_bnds(lp, r, GLP_UP, 0, fmax(0, h->core_free[q]));
        }
    }
    free(first_b);
    if (isfinite(h->mem_free) && t->na > a0) {
        int kk = 0;
        for (size_t i = a0; i < t->na; i++) {
            ind[++kk] = t->a[i].c;
            val[kk] = (double)p->services[col[t->a[i].j].v].mem_bytes;
        }
        int r = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, r, kk, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, h->mem_free);
    }
    return 0;
}

/* Ring q's columns a[v,j,q]: an item within the largest free core and a
 * host's memory, all of them within the ring's free CPU and memory. */
static void ring_columns(struct tmodel *t, const struct place_problem *p,
                         const struct spread_ehosts *x, size_t q)
{
    glp_prob *lp = t->lp;
    const struct place_tcol *col = t->col;
    size_t n = t->n;
    int *ind = t->ind;
    double *val = t->val;
    const struct ring *g = &x->ring[q];
    size_t a0 = t->na;
    for (size_t j = 0; j < n; j++) {
        const struct place_service *sv = &p->services[col[j].v];
        int vc = sv->vcpus > 0 ? sv->vcpus : 1;
        if (!g->has[j] || (double)sv->mem_bytes > g->host_mem ||
            col[j].u / vc > g->core + 1e-9)
            continue;
        a_column(t, j, x->n + q);
    }
    for (int mem = 0; mem < 2 && t->na > a0; mem++) {
        if (mem && !isfinite(g->mem))
            break;
        int kk = 0;
        for (size_t i = a0; i < t->na; i++) {
            ind[++kk] = t->a[i].c;
            val[kk] = mem ? (double)p->services[col[t->a[i].j].v].mem_bytes
                          : col[t->a[i].j].u;
        }
        int r = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, r, kk, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, mem ? g->mem : g->cpu + 1e-9);
    }
}

/* The endpoint hosts' columns and rows (struct spread_ehosts above),
 * but for the vlinks' rows: 0, PLC_ENOMEM. */
int place__ehost_rows(struct tmodel *t, const struct place_problem *p,
                      const struct spread_ehosts *x)
{
    glp_prob *lp = t->lp;
    const struct place_tcol *col = t->col;
    size_t n = t->n, V = t->V;
    int *ind = t->ind;
    double *val = t->val;
    size_t cap = 0;
    for (size_t k = 0; k < x->n; k++)
        for (size_t j = 0; j < n; j++)
            cap += x->h[k].has[j];
    for (size_t q = 0; q < x->n_rings; q++)
        for (size_t j = 0; j < n; j++)
            cap += x->ring[q].has[j];
    t->a = malloc((cap + 1) * sizeof *t->a);
    if (!t->a)
        return PLC_ENOMEM;
    t->na = 0;
    for (size_t k = 0; k < x->n; k++)
        if (ehost_columns(t, p, x, k, cap) < 0)
            return PLC_ENOMEM;
    for (size_t q = 0; q < x->n_rings; q++)
        ring_columns(t, p, x, q);
    /* a service on one host at most; with the rings, in one class */
    for (size_t v = 0; v < V; v++) {
        int kk = 0;
        for (size_t i = 0; i < t->na; i++)
            if (col[t->a[i].j].v == v) {
                ind[++kk] = t->a[i].c;
                val[kk] = 1;
            }
        if (kk > 1 || x->n_rings) {
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, kk, ind, val);
            if (x->n_rings)
                glp_set_row_bnds(lp, r, GLP_FX, 1, 1);
            else
                glp_set_row_bnds(lp, r, GLP_UP, 0, 1);
        }
    }
    /* the pairs: apart when one is in class k and the other not, together
     * when both are on endpoint host k:
     *   y - z_a + z_b >= 0, y + z_a - z_b >= 0, y + z_a + z_b <= 2 */
    static const double sa[3] = {-1, 1, 1}, sb[3] = {1, -1, 1};
    for (size_t k = 0; k < x->n + x->n_rings; k++)
        for (size_t a = 0; a < V; a++)
            for (size_t b = a + 1; b < V; b++)
                for (int form = 0; form < 3; form++) {
                    int kk = 0;
                    ind[++kk] = t->ycol + (int)pair_of(V, a, b);
                    val[kk] = 1;
                    for (size_t i = 0; i < t->na; i++) {
                        size_t v = col[t->a[i].j].v;
                        if (t->a[i].k != k || (v != a && v != b))
                            continue;
                        ind[++kk] = t->a[i].c;
                        val[kk] = v == a ? sa[form] : sb[form];
                    }
                    if (kk == 1 || (form == 2 && k >= x->n))
                        break;
                    int r = glp_add_rows(lp, 1);
                    glp_set_mat_row(lp, r, kk, ind, val);
                    if (form < 2)
                        glp_set_row_bnds(lp, r, GLP_LO, 0, 0);
                    else
                        glp_set_row_bnds(lp, r, GLP_UP, 0, 2);
                }
    return 0;
}

/* The z[v, e] terms of service v on endpoint host k into ind/val from
 * kk + 1, each times c; the new count. */
int place__z_terms(const struct tmodel *t, size_t v, size_t k, double c, int kk)
{
    for (size_t i = 0; i < t->na; i++)
        if (t->a[i].k == k && t->col[t->a[i].j].v == v) {
            t->ind[++kk] = t->a[i].c;
            t->val[kk] = c;
        }
    return kk;
}

/* The routes' delays r_i and the paths between endpoints' hosts (struct
 * spread_ehosts), but for the vlinks' rows; in ms, D the deadline. */
void place__route_rows(struct tmodel *t, const struct place_problem *p,
                       const struct spread_ehosts *x, double Dms)
{
    glp_prob *lp = t->lp;
    int *ind = t->ind;
    double *val = t->val;
    size_t V = t->V, E = p->n_endpoints, N = E + V, L = p->n_vlinks;
    double pair = (double)x->pair / 1e6;
    int rc = t->rcol = glp_add_cols(lp, (int)L);
    for (size_t i = 0; i < L; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        glp_set_col_bnds(lp, rc + (int)i, GLP_DB, 0, Dms);
        if (e->from == e->to)
            continue;
        bool two = e->from >= E && e->to >= E;
        if (!two && x->at[i] == PLACE_NONE)
            continue;
        /* two services: r - pair y >= 0, r - D y <= 0; at an endpoint's
         * host: r + pair z >= pair, r + D z <= D; with the rings,
         * r >= sum_c delay(c, e) z[s, c] for the first */
        if (!two && x->n_rings) {
            size_t k0 = x->at[i], C = x->n + x->n_rings;
            size_t sv = e->from >= E ? e->from - E : e->to - E;
            int kk = 0;
            ind[++kk] = rc + (int)i;
            val[kk] = 1;
            for (size_t c = 0; c < C; c++) {
                uint64_t dc = c == k0    ? 0
                              : c < x->n ? x->gap[c * C + k0]
                                         : x->ring[c - x->n].d[k0];
                if (dc != 0 && dc != PLACE_UNLIMITED)
                    kk = place__z_terms(t, sv, c, -(double)dc / 1e6, kk);
            }
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, kk, ind, val);
            glp_set_row_bnds(lp, r, GLP_LO, 0, 0);
        }
        if (two && x->n_rings) {
            /* r >= gap(c1, c2) (z[a,c1] + z[b,c2] + y - 2) */
            size_t C = x->n + x->n_rings, a = e->from - E, b = e->to - E;
            for (size_t c1 = 0; c1 < C; c1++)
                for (size_t c2 = 0; c2 < C; c2++) {
                    uint64_t gp = x->gap[c1 * C + c2];
                    if (gp == PLACE_UNLIMITED || gp <= x->pair)
                        continue;
                    double g = (double)gp / 1e6;
                    int kk = 0;
                    ind[++kk] = rc + (int)i;
                    val[kk] = 1;
                    ind[++kk] = t->ycol + (int)pair_of(V, a, b);
                    val[kk] = -g;
                    int k1 = kk;
                    kk = place__z_terms(t, a, c1, -g, kk);
                    if (kk == k1)
                        continue;
                    int k2 = kk;
                    kk = place__z_terms(t, b, c2, -g, kk);
                    if (kk == k2)
                        continue;
                    int r = glp_add_rows(lp, 1);
                    glp_set_mat_row(lp, r, kk, ind, val);
                    glp_set_row_bnds(lp, r, GLP_LO, -2 * g, 0);
                }
        }
        for (int up = 0; up < 2; up++) {
            if (up == 0 && !two && x->n_rings)
                continue;
            double c = up ? Dms : pair;
            int kk = 0;
            ind[++kk] = rc + (int)i;
            val[kk] = 1;
            if (two) {
                ind[++kk] = t->ycol + (int)pair_of(V, e->from - E, e->to - E);
                val[kk] = -c;
            } else {
                kk = place__z_terms(t, e->from >= E ? e->from - E : e->to - E,
                                    x->at[i], c, kk);
            }
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, kk, ind, val);
            double rhs = two ? 0 : c;
            if (up)
                glp_set_row_bnds(lp, r, GLP_UP, 0, rhs);
            else
                glp_set_row_bnds(lp, r, GLP_LO, rhs, 0);
        }
    }
    for (size_t q = 0; q < x->n_ends; q++) {
        const struct ends *en = &x->ends[q];
        int sc = glp_add_cols(lp, (int)N);
        for (size_t n = 0; n < N; n++)
            glp_set_col_bnds(lp, sc + (int)n, GLP_FR, 0, 0);
        glp_set_col_bnds(lp, sc + (int)en->s, GLP_FX, 0, 0);
        glp_set_col_bnds(lp, sc + (int)en->t, GLP_LO, (double)en->dist / 1e6,
                         0);
        for (size_t i = 0; i < L; i++) {
            if (!en->on[i])
                continue;
            const struct place_vlink *e = &p->vlinks[i];
            ind[1] = sc + (int)e->to;
            val[1] = 1;
            ind[2] = sc + (int)e->from;
            val[2] = -1;
            ind[3] = rc + (int)i;
            val[3] = -1;
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, 3, ind, val);
            glp_set_row_bnds(lp, r, GLP_UP, 0, 0);
        }
        /* the step: a cut of g = 1 on every path, r_i >= step g_i */
        if (en->step <= x->pair)
            continue;
        int gc = glp_add_cols(lp, (int)L), pc = glp_add_cols(lp, (int)N);
        for (size_t n = 0; n < N; n++)
            glp_set_col_bnds(lp, pc + (int)n, GLP_FR, 0, 0);
        glp_set_col_bnds(lp, pc + (int)en->s, GLP_FX, 0, 0);
        glp_set_col_bnds(lp, pc + (int)en->t, GLP_LO, 1, 0);
        for (size_t i = 0; i < L; i++) {
            glp_set_col_kind(lp, gc + (int)i, GLP_BV);
            if (!en->on[i]) {
                glp_set_col_bnds(lp, gc + (int)i, GLP_FX, 0, 0);
                continue;
            }
            const struct place_vlink *e = &p->vlinks[i];
            ind[1] = rc + (int)i;
            val[1] = 1;
            ind[2] = gc + (int)i;
            val[2] = -(double)en->step / 1e6;
            int r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, 2, ind, val);
            glp_set_row_bnds(lp, r, GLP_LO, 0, 0);
            ind[1] = pc + (int)e->to;
            val[1] = 1;
            ind[2] = pc + (int)e->from;
            val[2] = -1;
            ind[3] = gc + (int)i;
            val[3] = -1;
            r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, 3, ind, val);
            glp_set_row_bnds(lp, r, GLP_UP, 0, 0);
        }
    }
}

/* Where a group is already: the host of group g, of endpoint n when on a
 * host, else PLACE_NONE. */
static size_t placed_at(const struct place_problem *p, const size_t *grp,
                        const size_t *cur, size_t node)
{
    size_t E = p->n_endpoints;
    if (node < E)
        return p->endpoint_node[node] < p->cluster->n_hosts
                   ? p->endpoint_node[node]
                   : PLACE_NONE;
    return cur[grp[node - E]];
}

/* Hosts for the groups (fit[g * H ..], nfit[g] of them) such that the
 * route of every vlink between two groups, or a group and an endpoint's
 * host, is no slower than the model's r_i (rlim, ns).  The groups in
 * order (a group of one host first, then the one with the most vlinks to
 * those before it), each on a host that meets the vlinks to those before
 * it, the least largest delay first, backtracking within REALIZE_STEPS
 * hosts tried: the nearest host to a camera is no use to a group whose
 * other vlink must reach the viewer's edge.  false when none is found. */
#define REALIZE_STEPS 4096

struct by_routes {
    const struct milp *m;
    const size_t *grp, *fit, *nfit, *order;
    const uint64_t *rlim;
    size_t ng, *cur;
    long steps;
};

/* The largest delay of a vlink between group g on host h and what is
 * placed (UINT64_MAX when one is over its limit). */
static uint64_t by_routes_worst(const struct by_routes *b, size_t g, size_t h)
{
    const struct place_problem *p = b->m->p;
    size_t E = p->n_endpoints;
    uint64_t worst = 0;
    for (size_t k = 0; k < b->ng; k++)
        if (b->cur[k] == h)
            return UINT64_MAX;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        size_t other;
        if (e->from >= E && b->grp[e->from - E] == g)
            other = placed_at(p, b->grp, b->cur, e->to);
        else if (e->to >= E && b->grp[e->to - E] == g)
            other = placed_at(p, b->grp, b->cur, e->from);
        else
            continue;
        uint64_t d, j;
        if (other == PLACE_NONE || other == h)
            continue;
        if (!place__routes_hosts(b->m->r, 0, h, other, &d, &j) ||
            d > b->rlim[i])
            return UINT64_MAX;
        if (d > worst)
            worst = d;
    }
    return worst;
}

static bool by_routes_from(struct by_routes *b, size_t k)
{
    if (k == b->ng)
        return true;
    size_t g = b->order[k], H = b->m->p->cluster->n_hosts;
    const size_t *f = b->fit + g * H;
    /* the hosts that meet the limits, least largest delay first: one
     * pass per distinct delay would cost more than picking the least
     * untried each time */
    bool *tried = calloc(b->nfit[g] + 1, sizeof *tried);
    if (!tried)
        return false;
    bool ok = false;
    while (!ok && b->steps > 0) {
        size_t at = PLACE_NONE;
        uint64_t least = UINT64_MAX;
        for (size_t i = 0; i < b->nfit[g]; i++) {
            if (tried[i])
                continue;
            uint64_t w = by_routes_worst(b, g, f[i]);
            b->steps--;
            if (w == UINT64_MAX)
                tried[i] = true;
            else if (w < least) {
                least = w;
                at = i;
            }
        }
        if (at == PLACE_NONE)
            break;
        tried[at] = true;
        b->cur[g] = f[at];
        ok = by_routes_from(b, k + 1);
        if (!ok)
            b->cur[g] = PLACE_NONE;
    }
    free(tried);
    return ok;
}

bool place__place_by_routes(const struct milp *m, const size_t *grp, size_t ng,
                            const size_t *fit, const size_t *nfit,
                            const uint64_t *rlim, size_t *cur)
{
    const struct place_problem *p = m->p;
    size_t E = p->n_endpoints;
    size_t *order = malloc((ng + 1) * sizeof *order);
    bool *in = calloc(ng + 1, sizeof *in);
    if (!order || !in) {
        free(order);
        free(in);
        return false;
    }
    /* the order: (cur marks the groups ordered, as if placed) */
    for (size_t g = 0; g < ng; g++)
        cur[g] = PLACE_NONE;
    for (size_t k = 0; k < ng; k++) {
        size_t g = PLACE_NONE;
        long most = -1;
        for (size_t c = 0; c < ng; c++) {
            if (in[c])
                continue;
            long links = nfit[c] == 1 ? 1000000 : 0;
            for (size_t i = 0; i < p->n_vlinks; i++) {
                const struct place_vlink *e = &p->vlinks[i];
                size_t a = e->from, b = e->to;
                bool a_in = a >= E && grp[a - E] == c,
                     b_in = b >= E && grp[b - E] == c;
                size_t other = a_in ? b : b_in ? a : PLACE_NONE;
                if (other == PLACE_NONE || (a_in && b_in))
                    continue;
                links += other < E
                             ? p->endpoint_node[other] < p->cluster->n_hosts
                             : in[grp[other - E]];
            }
            if (links > most) {
                most = links;
                g = c;
            }
        }
        in[g] = true;
        order[k] = g;
    }
    struct by_routes b = {m,    grp, fit, nfit,         order,
                          rlim, ng,  cur, REALIZE_STEPS};
    bool ok = by_routes_from(&b, 0);
    free(order);
    free(in);
    return ok;
}

/* A group g whose services are together at the picked sizes or larger
 * is on a host that fits it at those sizes (sfit[g * H ..], nsfit[g] of
 * them, monotone in the sizes); when none but endpoint host e is within
 * rho of e, a vlink i between e and a service s of g has r_i >= rho
 * unless s is on e:
 *   r_i + rho (sum_{a<b in g} y_ab + sum_{a in g} sum_{u_j < u_pick(a)}
 *              x_j + z[s,e]) >= rho.
 * The cuts the solution breaks, added to t; how many. */
int place__route_cuts(const struct milp *m, struct tmodel *t,
                      const struct spread_ehosts *x, const size_t *pick,
                      const size_t *grp, size_t ng, const size_t *sfit,
                      const size_t *nsfit, double Dms)
{
    const struct place_problem *p = m->p;
    size_t V = t->V, E = p->n_endpoints, H = p->cluster->n_hosts;
    int added = 0;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (x->at[i] == PLACE_NONE)
            continue;
        size_t s = e->from >= E ? e->from - E : e->to - E, g = grp[s];
        size_t eh = x->h[x->at[i]].host;
        bool there = false;
        for (size_t k = 0; k < t->na; k++)
            there |= t->a[k].k == x->at[i] && t->col[t->a[k].j].v == s &&
                     glp_mip_col_val(t->lp, t->a[k].c) > 0.5;
        if (there)
            continue;
        double rho = Dms;
        for (size_t f = 0; f < nsfit[g]; f++) {
            uint64_t d, j;
            size_t h = sfit[g * H + f];
            if (h != eh && place__routes_hosts(m->r, 0, eh, h, &d, &j))
                rho = fmin(rho, (double)d / 1e6);
        }
        if (glp_mip_col_val(t->lp, t->rcol + (int)i) >= rho - 1e-6)
            continue;
        int *ind = t->ind, kk = 0;
        double *val = t->val;
        ind[++kk] = t->rcol + (int)i;
        val[kk] = 1;
        for (size_t a = 0; a < V; a++) {
            if (grp[a] != g)
                continue;
            for (size_t b = a + 1; b < V; b++)
                if (grp[b] == g) {
                    ind[++kk] = t->ycol + (int)pair_of(V, a, b);
                    val[kk] = rho;
                }
            double ua = t->col[pick[a]].u;
            for (size_t q = t->start[a]; q < t->start[a + 1]; q++)
                if (t->col[t->of[q]].u < ua) {
                    ind[++kk] = (int)t->of[q] + 1;
                    val[kk] = rho;
                }
        }
        kk = place__z_terms(t, s, x->at[i], rho, kk);
        int r = glp_add_rows(t->lp, 1);
        glp_set_mat_row(t->lp, r, kk, ind, val);
        glp_set_row_bnds(t->lp, r, GLP_LO, rho, 0);
        added++;
        (void)ng;
    }
    return added;
}

/* Is host h in class c of x (an endpoint host, or a ring)? */
bool place__in_class(const struct spread_ehosts *x, size_t h, size_t c)
{
    if (x->class_of)
        return x->class_of[h] == c;
    return c < x->n && x->h[c].host == h;
}

/* No host of class c has the room for group g at its picked sizes or
 * larger (monotone): not all of g together at those sizes in c,
 *   sum_{a<b in g} y_ab + sum_{a in g} sum_{u_j < u_pick(a)} x_j
 *     - z[s, c] >= 0   (s: g's first service). */
void place__class_cut(struct tmodel *t, const size_t *pick, const size_t *grp,
                      size_t g, size_t c)
{
    size_t V = t->V, s = PLACE_NONE;
    int k = 0;
    for (size_t a = 0; a < V; a++) {
        if (grp[a] != g)
            continue;
        if (s == PLACE_NONE)
            s = a;
        for (size_t b = a + 1; b < V; b++)
            if (grp[b] == g) {
                t->ind[++k] = t->ycol + (int)pair_of(V, a, b);
                t->val[k] = 1;
            }
        double ua = t->col[pick[a]].u;
        for (size_t q = t->start[a]; q < t->start[a + 1]; q++)
            if (t->col[t->of[q]].u < ua) {
                t->ind[++k] = (int)t->of[q] + 1;
                t->val[k] = 1;
            }
    }
    k = place__z_terms(t, s, c, -1, k);
    int r = glp_add_rows(t->lp, 1);
    glp_set_mat_row(t->lp, r, k, t->ind, t->val);
    glp_set_row_bnds(t->lp, r, GLP_LO, 0, 0);
}
