/*
 * crossing.c: small exact MILPs over the timing rows alone, and the bound
 * of a workflow that no host can take with its cheapest reservations.
 *
 * The timing relaxation keeps every path's deadline row and the
 * probability row and leaves out placement and the network: one binary per
 * reservation item a service may take, a start time per workflow node,
 *   t_b >= t_a + sum_k d_k x[a,k] (+ the crossing charged on a -> b)
 *   t_n + sum_k d_k x[n,k] <= D,   sum w x <= W,   one item per service,
 * min sum u x.  Its proven optimum bounds every plan from below.
 *
 * On a busy cluster that optimum is often on one host only where no host
 * has the room for it: the fork/join of six services whose optimum, 3.0,
 * needs cores with 0.9, 0.9, 0.6 and 0.6 free, on 16 hosts none of which
 * has them.  Every plan either puts all services on one host or spreads
 * them over several (when the services are connected by vlinks), so
 *   min( min over hosts h of the timing relaxation on h alone, its items
 *          on h's cores (sum u <= core's free capacity, per core),
 *        the spread model )
 * bounds every plan.  Hosts without room for the relaxation's optimum, or
 * for the services' memory, or where a service has no column, hold no
 * plan and are skipped; of hosts with the same menus, columns and free
 * cores (up to their order) one is solved: an idle cluster is one class
 * (a 10-service chain on 128 idle hosts: 3.7718 on one host, exact, where
 * the DP's rounded bound is 3.76835).  A service of several vCPUs takes
 * that many cores at once; with one, each host counts as one pool of its
 * free CPU instead of its cores (weaker, still a relaxation).
 *
 * The spread model adds a binary y_ab per pair of services, 1 when they
 * are on distinct hosts: some vlink between two services has y = 1; a
 * vlink whose services are apart is charged the least route between two
 * distinct hosts plus its message time; y_ac <= y_ab + y_bc (sharing a
 * host is transitive); two items that no host has the room for side by
 * side (its two largest free cores, its free CPU, its memory) put their
 * services apart; the services beside one on its host take at most the
 * largest free CPU and memory of any host; the rules fix pairs.  Its
 * solution's groups (services pairwise together) are put on hosts that
 * pack them, near one another, and that plan is offered to the caller.
 * A group that no host packs at its items' sizes (or larger) is cut off,
 *   sum_{a<b in g} y_ab - sum_{a in g} sum_{u_j >= u_a} x_j >= 1 - |g|,
 * and the model solved again: on 16 busy hosts the identical fork/join's
 * bound went from 3.15 (one crossing charged) to 3.3, the optimum, and
 * its plan from 3.6 to 3.3.  When neither model has a solution there is
 * no plan.
 *
 * Placement columns pruned against the plan in hand (bound.c) are left
 * out: no plan as good as it uses them, and a bound above that plan only
 * says the plan is optimal.
 */
#include "internal.h"
#include "spread.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most services whose spread model gets every pair's triangle and
 * clash rows (3 C(V, 3) + about V n rows); above it only the vlinks'. */
#define SPREAD_FULL_MAX 24

/* Rows of a spread model over pair columns from ycol: which pairs are
 * apart.  Any two services sharing a host with a third share it with
 * each other (y_ac <= y_ab + y_bc); columns that no host holds together
 * put their services apart (x_i - sum of the columns of b that fit
 * beside i <= y_ab); the rules fix pairs; and some vlink between two
 * services crosses. */
static void spread_rows(glp_prob *lp, const struct place_problem *p,
                        const struct place_tcol *col, size_t n,
                        const size_t *start, const size_t *of,
                        const struct place_spread *sp, int ycol, int *ind,
                        double *val, bool *mark)
{
    size_t V = p->n_services, E = p->n_endpoints, P = V * (V - 1) / 2;
    for (size_t a = 0; sp->rule && a < V; a++)
        for (size_t b = a + 1; b < V; b++) {
            signed char r = sp->rule[a * V + b];
            if (r != 0)
                glp_set_col_bnds(lp, ycol + (int)pair_of(V, a, b), GLP_FX,
                                 r > 0 ? 1 : 0, r > 0 ? 1 : 0);
        }
    /* some vlink between two services crosses */
    int r = glp_add_rows(lp, 1), k = 0;
    memset(mark, 0, (P + 1) * sizeof *mark);
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from < E || e->to < E || e->from == e->to)
            continue;
        size_t q = pair_of(V, e->from - E, e->to - E);
        if (!mark[q]) {
            mark[q] = true;
            ind[++k] = ycol + (int)q;
            val[k] = 1;
        }
    }
    glp_set_mat_row(lp, r, k, ind, val);
    glp_set_row_bnds(lp, r, GLP_LO, 1, 0);
    if (!sp->full)
        return;
    for (size_t a = 0; a < V; a++)
        for (size_t b = a + 1; b < V; b++)
            for (size_t c = b + 1; c < V; c++) {
                int q[3] = {ycol + (int)pair_of(V, a, b),
                            ycol + (int)pair_of(V, b, c),
                            ycol + (int)pair_of(V, a, c)};
                for (int o = 0; o < 3; o++) {
                    r = glp_add_rows(lp, 1);
                    for (int t = 0; t < 3; t++) {
                        ind[t + 1] = q[t];
                        val[t + 1] = t == o ? 1 : -1;
                    }
                    glp_set_mat_row(lp, r, 3, ind, val);
                    glp_set_row_bnds(lp, r, GLP_UP, 0, 0);
                }
            }
    for (size_t i = 0; sp->clash && i < n; i++)
        for (size_t b = 0; b < V; b++) {
            size_t a = col[i].v;
            if (b == a)
                continue;
            k = 0;
            ind[++k] = (int)i + 1;
            val[k] = 1;
            for (size_t s = start[b]; s < start[b + 1]; s++)
                if (!sp->clash[i * n + of[s]]) {
                    ind[++k] = (int)of[s] + 1;
                    val[k] = -1;
                }
            if (k - 1 == (int)(start[b + 1] - start[b]))
                continue; /* every item of b fits beside i somewhere */
            ind[++k] = ycol + (int)pair_of(V, a, b);
            val[k] = -1;
            r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, k, ind, val);
            glp_set_row_bnds(lp, r, GLP_UP, 0, 0);
        }
    /* the services on a's host take at most the largest room: w_ab >=
     * u_b - umax_b y_ab (w_ab the CPU of b beside a), u_a + sum w_ab <=
     * room; memory the same without w */
    for (size_t a = 0; isfinite(sp->room) && a < V; a++) {
        int wcol = glp_add_cols(lp, (int)V - 1);
        size_t t = 0;
        for (size_t b = 0; b < V; b++) {
            if (b == a)
                continue;
            int w = wcol + (int)t++;
            glp_set_col_bnds(lp, w, GLP_LO, 0, 0);
            double umax = 0;
            k = 0;
            for (size_t s = start[b]; s < start[b + 1]; s++) {
                ind[++k] = (int)of[s] + 1;
                val[k] = -col[of[s]].u;
                umax = fmax(umax, col[of[s]].u);
            }
            ind[++k] = w;
            val[k] = 1;
            ind[++k] = ycol + (int)pair_of(V, a, b);
            val[k] = umax;
            r = glp_add_rows(lp, 1);
            glp_set_mat_row(lp, r, k, ind, val);
            glp_set_row_bnds(lp, r, GLP_LO, 0, 0);
        }
        k = 0;
        for (size_t s = start[a]; s < start[a + 1]; s++) {
            ind[++k] = (int)of[s] + 1;
            val[k] = col[of[s]].u;
        }
        for (size_t b = 0; b + 1 < V; b++) {
            ind[++k] = wcol + (int)b;
            val[k] = 1;
        }
        r = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, sp->room + 1e-9);
    }
    for (size_t a = 0; isfinite(sp->mem_room) && a < V; a++) {
        /* sum_b mem_b (1 - y_ab) <= mem_room - mem_a */
        double rhs = sp->mem_room - (double)p->services[a].mem_bytes;
        k = 0;
        for (size_t b = 0; b < V; b++) {
            if (b == a)
                continue;
            double mb = (double)p->services[b].mem_bytes;
            rhs -= mb;
            ind[++k] = ycol + (int)pair_of(V, a, b);
            val[k] = -mb;
        }
        r = glp_add_rows(lp, 1);
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, rhs);
    }
}

static void tmodel_free(struct tmodel *t)
{
    if (t->lp)
        glp_delete_prob(t->lp);
    free(t->ind);
    free(t->val);
    free(t->of);
    free(t->start);
    free(t->a);
    *t = (struct tmodel){0};
}

/* Build the timing MILP (place__timing_milp) into *t: 0, 2 when a
 * service has no column (or a spread plan has one service), PLC_ENOMEM. */
static int tmodel_build(struct tmodel *t, const struct place_problem *p,
                        const struct place_tcol *col, size_t n,
                        const double *core_free, int cores,
                        const struct place_spread *sp, const uint64_t *fixed_ns,
                        uint64_t D, double W)
{
    size_t V = p->n_services, E = p->n_endpoints, N = E + V, L = p->n_vlinks;
    *t = (struct tmodel){0};
    /* every service needs a column; a spread plan two services */
    bool *has = calloc(V + 1, sizeof *has);
    if (!has)
        return PLC_ENOMEM;
    for (size_t j = 0; j < n; j++)
        has[col[j].v] = true;
    bool none = false;
    for (size_t v = 0; v < V; v++)
        none |= !has[v];
    free(has);
    if (none || (sp && V < 2))
        return 2;
    size_t P = sp ? V * (V - 1) / 2 : 0;
    t->col = col;
    t->n = n;
    t->V = V;
    glp_prob *lp = t->lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* columns 1..n: x; n+1..n+N: t_n; then y per pair of services */
    glp_add_cols(lp, (int)(n + N + P));
    for (size_t j = 0; j < n; j++) {
        glp_set_col_kind(lp, (int)j + 1, GLP_BV);
        glp_set_obj_coef(lp, (int)j + 1, col[j].u);
    }
    int tcol = (int)n + 1, ycol = t->ycol = (int)(n + N) + 1;
    for (size_t k = 0; k < N; k++)
        glp_set_col_bnds(lp, tcol + (int)k, GLP_LO, 0, 0);
    for (size_t k = 0; k < P; k++)
        glp_set_col_kind(lp, ycol + (int)k, GLP_BV);
    const struct spread_ehosts *eh = sp && sp->eh && sp->eh->n ? sp->eh : NULL;
    size_t width =
        (eh ? (SPREAD_EHOSTS + SPREAD_RINGS + 2) * n : n) + P + V + 4;
    int *ind = t->ind = malloc((width + 1) * sizeof *ind);
    double *val = t->val = malloc((width + 1) * sizeof *val);
    size_t *of = t->of = malloc((n + 1) * sizeof *of);
    size_t *start = t->start = calloc(V + 2, sizeof *start);
    bool *mark = calloc(P + 1, sizeof *mark);
    if (!ind || !val || !of || !start || !mark) {
        free(mark);
        tmodel_free(t);
        return PLC_ENOMEM;
    }
    for (size_t j = 0; j < n; j++)
        start[col[j].v + 2]++;
    for (size_t v = 0; v < V; v++)
        start[v + 2] += start[v + 1];
    for (size_t j = 0; j < n; j++)
        of[start[col[j].v + 1]++] = j;
    /* one item per service */
    for (size_t v = 0; v < V; v++) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t i = start[v]; i < start[v + 1]; i++) {
            ind[++k] = (int)of[i] + 1;
            val[k] = 1;
        }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_FX, 1, 1);
    }
    /* the cores' free capacity */
    for (int c = 0; core_free && c < cores; c++) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t j = 0; j < n; j++)
            if (col[j].core == c) {
                ind[++k] = (int)j + 1;
                val[k] = col[j].u;
            }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, core_free[c]);
    }
    /* the weight budget */
    if (isfinite(W)) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t j = 0; j < n; j++)
            if (col[j].w > 0) {
                ind[++k] = (int)j + 1;
                val[k] = col[j].w;
            }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, W);
    }
    if (sp)
        spread_rows(lp, p, col, n, start, of, sp, ycol, ind, val, mark);
    free(mark);
    if (eh && place__ehost_rows(t, p, eh) < 0) {
        tmodel_free(t);
        return PLC_ENOMEM;
    }
    /* with endpoint hosts, each vlink's crossing is its route's delay r_i
     * (ends_rows.c) plus its message time */
    double Dms = (double)D / 1e6;
    if (eh)
        place__route_rows(t, p, eh, Dms);
    /* times in ms: t_n + d_n <= D, and per vlink a -> b
     * t_b - t_a - d_a - crossing y_ab >= 0 */
    for (size_t i = 0; i < N + L; i++) {
        bool node = i < N;
        const struct place_vlink *e = node ? NULL : &p->vlinks[i - N];
        if (e && e->from == e->to)
            continue;
        size_t a = node ? i : e->from;
        int r = glp_add_rows(lp, 1), k = 0;
        double sign = node ? 1 : -1;
        ind[++k] = tcol + (int)a;
        val[k] = sign;
        if (e) {
            ind[++k] = tcol + (int)e->to;
            val[k] = 1;
        }
        for (size_t s = a >= E ? start[a - E] : 0;
             a >= E && s < start[a - E + 1]; s++) {
            ind[++k] = (int)of[s] + 1;
            val[k] = sign * (double)col[of[s]].d / 1e6;
        }
        double kx = e && e->crossings > 0 ? e->crossings : 0,
               msg = e ? (double)place__message_ns(e) / 1e6 : 0;
        if (e && sp && sp->cross_ns[i - N] > 0 && e->from >= E && e->to >= E) {
            ind[++k] = ycol + (int)pair_of(V, e->from - E, e->to - E);
            val[k] = eh ? -kx * msg : -(double)sp->cross_ns[i - N] / 1e6;
        }
        if (e && eh && kx > 0) {
            ind[++k] = t->rcol + (int)(i - N);
            val[k] = -kx;
        }
        /* a vlink to an endpoint's host: crossing unless its service is
         * there */
        double lo = fixed_ns && e ? (double)fixed_ns[i - N] / 1e6 : 0;
        if (e && eh && eh->at[i - N] != PLACE_NONE) {
            double cms = kx * msg;
            lo += cms;
            k = place__z_terms(t, e->from >= E ? e->from - E : e->to - E,
                               eh->at[i - N], cms, k);
        }
        glp_set_mat_row(lp, r, k, ind, val);
        if (node)
            glp_set_row_bnds(lp, r, GLP_UP, 0, Dms);
        else
            glp_set_row_bnds(lp, r, GLP_LO, lo, 0);
    }
    return 0;
}

/* Branch and bound stops after a number of nodes, whatever the clock
 * says: with a time limit alone, which bound a decision got (and so which
 * of its tied plans it took) depended on how busy the machine was, and
 * placer capacity's count on a loaded machine differed from placerd's.
 * The number falls with the model's columns (a node costs about as many),
 * TMODEL_WORK / columns, from TMODEL_NODES_MIN to TMODEL_NODES_MAX: the
 * one-host relaxation of a 10-service chain (155 columns) is proven in
 * 453 nodes. */
#define TMODEL_WORK 200000
#define TMODEL_NODES_MIN 100
#define TMODEL_NODES_MAX 5000

static void tmodel_callback(glp_tree *tree, void *info)
{
    const int *limit = info;
    int a, n, total;
    glp_ios_tree_size(tree, &a, &n, &total);
    if (total > *limit)
        glp_ios_terminate(tree);
}

/* Solve it within its nodes (above) and tl seconds (a safety net): 0
 * with *opt (and, with pick, the column per service), 1 not proven in
 * that, 2 no solution. */
static int tmodel_solve(struct tmodel *t, double tl, double *opt, size_t *pick)
{
    if (tl < 0.002)
        return 1;
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    parm.tm_lim = (int)(tl * 1000);
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = GLP_ON;
    int cols = glp_get_num_cols(t->lp);
    int limit = TMODEL_WORK / (cols > 0 ? cols : 1);
    limit = limit < TMODEL_NODES_MIN   ? TMODEL_NODES_MIN
            : limit > TMODEL_NODES_MAX ? TMODEL_NODES_MAX
                                       : limit;
    parm.cb_func = tmodel_callback;
    parm.cb_info = &limit;
    int ret = glp_intopt(t->lp, &parm);
    int ms = glp_mip_status(t->lp);
    if (ret != 0 || ms != GLP_OPT)
        /* (with the presolver on, an infeasible LP relaxation ends in
         * GLP_ENOPFS rather than a status) */
        return (ret == 0 && ms == GLP_NOFEAS) || ret == GLP_ENOPFS ? 2 : 1;
    *opt = glp_mip_obj_val(t->lp);
    for (size_t v = 0; pick && v < t->V; v++) {
        pick[v] = SIZE_MAX;
        for (size_t s = t->start[v]; s < t->start[v + 1]; s++)
            if (glp_mip_col_val(t->lp, (int)t->of[s] + 1) > 0.5)
                pick[v] = t->of[s];
    }
    return 0;
}

int place__timing_milp(const struct place_problem *p,
                       const struct place_tcol *col, size_t n,
                       const double *core_free, int cores,
                       const struct place_spread *sp, const uint64_t *fixed_ns,
                       uint64_t D, double W, double tl, double *opt,
                       size_t *pick)
{
    if (tl < 0.002)
        return 1;
    struct tmodel t;
    int rc = tmodel_build(&t, p, col, n, core_free, cores, sp, fixed_ns, D, W);
    if (rc == 0)
        rc = tmodel_solve(&t, tl, opt, pick);
    tmodel_free(&t);
    return rc;
}

/* Are the services one connected whole through vlinks between two of
 * them?  (Else they may sit on two hosts without any crossing.) */
static bool connected(const struct place_problem *p)
{
    size_t V = p->n_services, E = p->n_endpoints;
    size_t *root = malloc((V + 1) * sizeof *root);
    if (!root)
        return false;
    for (size_t v = 0; v < V; v++)
        root[v] = v;
    size_t parts = V;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from < E || e->to < E)
            continue;
        size_t a = e->from - E, b = e->to - E;
        while (root[a] != a)
            a = root[a] = root[root[a]];
        while (root[b] != b)
            b = root[b] = root[root[b]];
        if (a != b) {
            root[a] = b;
            parts--;
        }
    }
    free(root);
    return parts == 1;
}

/* Which pairs of items may share a host: hosts are grouped by the menus
 * their columns come from (up to CLASH_GROUPS groups), and within a group
 * only the hosts that no other host dominates count (in free CPU of the
 * largest and second largest core, free CPU in all and free memory; up to
 * CLASH_POINTS).  Beyond either cap no pair is called a clash. */
#define CLASH_GROUPS 16
#define CLASH_POINTS 512
/* (and only up to this many distinct items in all: the pairs of items
 * are checked against every point) */
#define CLASH_COLS_MAX 600

struct room {
    double f1, f2, all, mem;
};

static bool room_covers(const struct room *a, const struct room *b)
{
    return a->f1 >= b->f1 && a->f2 >= b->f2 && a->all >= b->all &&
           a->mem >= b->mem;
}

/* Do services a and b (items of utilisation ua, ub in all) fit together
 * in room r?  Two single cores: on the two largest cores, or both on the
 * largest; otherwise (a relaxation) in the host's free CPU, each vCPU's
 * share within the largest core. */
static bool room_fits(const struct place_problem *p, const struct room *r,
                      size_t a, double ua, size_t b, double ub)
{
    const struct place_service *sa = &p->services[a], *sb = &p->services[b];
    const double eps = 1e-9;
    if ((double)sa->mem_bytes + (double)sb->mem_bytes > r->mem)
        return false;
    if (sa->vcpus == 1 && sb->vcpus == 1)
        return (ua <= r->f1 + eps && ub <= r->f2 + eps) ||
               (ub <= r->f1 + eps && ua <= r->f2 + eps) ||
               ua + ub <= r->f1 + eps;
    return ua + ub <= r->all + eps && ua / sa->vcpus <= r->f1 + eps &&
           ub / sb->vcpus <= r->f1 + eps;
}

struct clash_group {
    const struct sched_menu **menu; /* per service; NULL: no column */
    struct room *pt;
    size_t n_pt;
};

/* Add host room r to group g's undominated points; false past the cap. */
static bool group_add(struct clash_group *g, const struct room *r)
{
    for (size_t k = 0; k < g->n_pt; k++)
        if (room_covers(&g->pt[k], r))
            return true;
    size_t k = 0;
    for (size_t i = 0; i < g->n_pt; i++)
        if (!room_covers(r, &g->pt[i]))
            g->pt[k++] = g->pt[i];
    if (k == CLASH_POINTS)
        return false;
    g->pt[k++] = *r;
    g->n_pt = k;
    return true;
}

/* The index in menu of column c's item (of service c->v: utilisation,
 * deadline, weight), or PLACE_NONE. */
static size_t menu_find(const struct place_problem *p,
                        const struct sched_menu *menu,
                        const struct place_tcol *c)
{
    int vcpus = p->services[c->v].vcpus;
    for (size_t k = 0; k < menu->n; k++) {
        const struct sched_menu_item *it = &menu->v[k];
        if (it->deadline_ns == c->d && vcpus * it->utilization == c->u &&
            place__prob_weight(p, it->phi) == c->w)
            return k;
    }
    return PLACE_NONE;
}

/* clash[i * n + j] for columns of two services that no host's room
 * holds together (see CLASH_GROUPS); NULL with *rc 0 past a cap, or
 * *rc PLC_ENOMEM. */
static bool *clashes(const struct milp *m, const struct place_tcol *col,
                     size_t n, double *room, double *mem_room, int *rc)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts, G = 0;
    struct clash_group g[CLASH_GROUPS];
    const struct sched_menu **tuple = malloc((V + 1) * sizeof *tuple);
    bool *clash = NULL, *has = NULL;
    bool ok = tuple != NULL;
    *rc = ok ? 0 : PLC_ENOMEM;
    for (size_t h = 0; ok && h < H; h++) {
        const struct place_host *o = &c->hosts[h];
        bool any = false;
        for (size_t v = 0; v < V; v++) {
            tuple[v] = m->yn[v * H + h] ? p->services[v].menu[h] : NULL;
            any |= tuple[v] != NULL;
        }
        if (!any)
            continue;
        struct room r = {0, 0, 0, INFINITY};
        for (int k = 0; k < o->cores; k++) {
            double f = fmax(0, place__milp_core_free(o, k));
            r.all += f;
            if (f > r.f1) {
                r.f2 = r.f1;
                r.f1 = f;
            } else if (f > r.f2) {
                r.f2 = f;
            }
        }
        r.mem = place__milp_host_mem_free(o);
        *room = fmax(*room, r.all);
        *mem_room = fmax(*mem_room, r.mem);
        size_t k = 0;
        while (k < G && memcmp(g[k].menu, tuple, V * sizeof *tuple) != 0)
            k++;
        if (k == G) {
            if (G == CLASH_GROUPS) {
                ok = false;
                break;
            }
            g[G].menu = malloc((V + 1) * sizeof *tuple);
            g[G].pt = malloc((CLASH_POINTS + 1) * sizeof *g[G].pt);
            g[G].n_pt = 0;
            G++;
            if (!g[k].menu || !g[k].pt) {
                *rc = PLC_ENOMEM;
                ok = false;
                break;
            }
            memcpy(g[k].menu, tuple, V * sizeof *tuple);
        }
        ok = group_add(&g[k], &r);
    }
    /* has[k * n + i]: column i's item is on group k's menu */
    if (ok) {
        clash = malloc((n * n + 1) * sizeof *clash);
        has = malloc((G * n + 1) * sizeof *has);
        if (!clash || !has) {
            *rc = PLC_ENOMEM;
            ok = false;
        }
    }
    for (size_t k = 0; ok && k < G; k++)
        for (size_t i = 0; i < n; i++)
            has[k * n + i] =
                g[k].menu[col[i].v] &&
                menu_find(p, g[k].menu[col[i].v], &col[i]) != PLACE_NONE;
    for (size_t i = 0; ok && i < n; i++)
        for (size_t j = i; j < n; j++) {
            bool fit = col[i].v == col[j].v;
            for (size_t k = 0; k < G && !fit; k++) {
                if (!has[k * n + i] || !has[k * n + j])
                    continue;
                for (size_t t = 0; t < g[k].n_pt && !fit; t++)
                    fit = room_fits(p, &g[k].pt[t], col[i].v, col[i].u,
                                    col[j].v, col[j].u);
            }
            clash[i * n + j] = clash[j * n + i] = !fit;
        }
    for (size_t k = 0; k < G; k++) {
        free(g[k].menu);
        free(g[k].pt);
    }
    free(tuple);
    free(has);
    if (!ok) {
        free(clash);
        return NULL;
    }
    return clash;
}

signed char *place__pair_rules(const struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    signed char *rule = calloc(V * V + 1, sizeof *rule);
    if (!rule || (m->relax & FAM_RULES))
        return rule;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        for (const size_t *a = p->anti_affinity[g]; *a != PLACE_NONE; a++)
            for (const size_t *b = a + 1; *b != PLACE_NONE; b++)
                if (*a != *b)
                    rule[*a * V + *b] = rule[*b * V + *a] = 1;
    for (size_t g = 0; g < p->n_affinity; g++)
        for (const size_t *a = p->affinity[g]; *a != PLACE_NONE; a++)
            for (const size_t *b = a + 1; *b != PLACE_NONE; b++)
                if (*a != *b)
                    rule[*a * V + *b] = rule[*b * V + *a] = -1;
    return rule;
}

/* The groups of a spread solution (services pairwise on one host,
 * y = 0; the triangle rows make it a partition): grp[v], their count. */
static size_t spread_groups(const struct tmodel *t, size_t *grp)
{
    size_t V = t->V, ng = 0;
    for (size_t v = 0; v < V; v++)
        grp[v] = PLACE_NONE;
    for (size_t a = 0; a < V; a++) {
        if (grp[a] != PLACE_NONE)
            continue;
        grp[a] = ng;
        for (size_t b = a + 1; b < V; b++)
            if (grp[b] == PLACE_NONE &&
                glp_mip_col_val(t->lp, t->ycol + (int)pair_of(V, a, b)) < 0.5)
                grp[b] = ng;
        ng++;
    }
    return ng;
}

/* Are the groups of spread_groups() exactly the pairs with y = 0? */
static bool partition(const struct tmodel *t, const size_t *grp)
{
    for (size_t a = 0; a < t->V; a++)
        for (size_t b = a + 1; b < t->V; b++)
            if ((grp[a] == grp[b]) !=
                (glp_mip_col_val(t->lp, t->ycol + (int)pair_of(t->V, a, b)) <
                 0.5))
                return false;
    return true;
}

/* Can host h take group g's services with the sizes of their picked
 * columns (1, 0, PLC_ENOMEM), and which menu items are they there
 * (item[v], PLACE_NONE when h's menu lacks one)? */
static int group_fits(const struct milp *m, const struct tmodel *t,
                      const size_t *pick, const size_t *mem, size_t nm,
                      size_t h, double *u, size_t *item)
{
    const struct place_problem *p = m->p;
    const struct place_host *o = &p->cluster->hosts[h];
    size_t H = p->cluster->n_hosts;
    uint64_t need = 0;
    double all = 0;
    for (size_t i = 0; i < nm; i++) {
        if (!m->yn[mem[i] * H + h])
            return 0;
        need += p->services[mem[i]].mem_bytes;
        u[i] = t->col[pick[mem[i]]].u;
        all += u[i];
    }
    if ((o->mem_bytes != PLACE_UNLIMITED &&
         o->mem_used_bytes + need > o->mem_bytes) ||
        all > place__milp_host_free(o) + 1e-9)
        return 0;
    int ok = place__packs(p, h, mem, u, nm);
    for (size_t i = 0; ok == 1 && i < nm; i++)
        item[mem[i]] =
            menu_find(p, p->services[mem[i]].menu[h], &t->col[pick[mem[i]]]);
    return ok;
}

/* Hosts for a spread solution: each group on a host of its own that
 * takes its items, the other groups as near the largest group's host as
 * they can be (the least largest delay, over up to REALIZE_FIRST hosts
 * for it).  1 with host[] and item[] (menu items there); 0 without, *bad
 * a group that no host has the room for at these sizes or larger (or
 * PLACE_NONE); PLC_ENOMEM. */
#define REALIZE_FIRST 32

static int realize(const struct milp *m, struct tmodel *t,
                   const struct place_spread *sp, const size_t *pick,
                   const size_t *grp, size_t ng, const size_t *on,
                   const uint64_t *rlim, size_t *host, size_t *item,
                   size_t *bad, size_t *cbad, int *cuts)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts;
    *bad = *cbad = PLACE_NONE;
    *cuts = 0;
    size_t *mem = malloc((V + 1) * sizeof *mem);
    size_t *fit = malloc((ng * H + 1) * sizeof *fit);
    size_t *sfit = malloc((ng * H + 1) * sizeof *sfit);
    size_t *nsfit = calloc(ng + 1, sizeof *nsfit);
    size_t *nfit = calloc(ng + 1, sizeof *nfit);
    size_t *it = malloc((V + 1) * sizeof *it);
    size_t *best = malloc((ng + 1) * sizeof *best);
    size_t *cur = malloc((ng + 1) * sizeof *cur);
    double *u = malloc((V + 1) * sizeof *u);
    int rc = mem && fit && sfit && nsfit && nfit && it && best && cur && u
                 ? 0
                 : PLC_ENOMEM;
    /* the hosts that fit each group; the largest group first */
    size_t g0 = 0, size0 = 0;
    for (size_t g = 0; rc == 0 && g < ng; g++) {
        size_t nm = 0;
        for (size_t v = 0; v < V; v++)
            if (grp[v] == g)
                mem[nm++] = v;
        if (nm > size0) {
            size0 = nm;
            g0 = g;
        }
        /* a group the model put on an endpoint's host goes there (two
         * such hosts in one group: no plan from it) */
        size_t at = PLACE_NONE;
        bool split = false;
        for (size_t i = 0; i < nm; i++)
            if (on[mem[i]] != PLACE_NONE) {
                split |= at != PLACE_NONE && at != on[mem[i]];
                at = on[mem[i]];
            }
        bool sizes = false, here = false;
        for (size_t h = 0; rc == 0 && h < H; h++) {
            int f = group_fits(m, t, pick, mem, nm, h, u, it);
            if (f < 0)
                rc = f;
            if (f != 1)
                continue;
            sizes = true;
            sfit[g * H + nsfit[g]++] = h;
            bool in = at == PLACE_NONE || place__in_class(sp->eh, h, at);
            here |= in;
            bool all = !split && in;
            for (size_t i = 0; i < nm; i++)
                all &= it[mem[i]] != PLACE_NONE;
            if (all)
                fit[g * H + nfit[g]++] = h;
        }
        if (rc == 0 && nfit[g] == 0) {
            if (!sizes)
                *bad = g;
            else if (!split && !here && *cbad == PLACE_NONE)
                *cbad = g;
            rc = 1; /* no plan */
        }
    }
    uint64_t best_d = UINT64_MAX;
    if (rc == 0 && rlim &&
        place__place_by_routes(m, grp, ng, fit, nfit, rlim, best))
        best_d = 0;
    else if (rc == 0 && rlim)
        *cuts = place__route_cuts(m, t, sp->eh, pick, grp, ng, sfit, nsfit,
                                  (double)p->deadline_ns / 1e6);
    for (size_t f0 = 0; rc == 0 && !rlim && f0 < nfit[g0] && f0 < REALIZE_FIRST;
         f0++) {
        size_t h0 = fit[g0 * H + f0];
        uint64_t worst = 0;
        bool ok = true;
        for (size_t g = 0; g < ng && ok; g++) {
            cur[g] = g == g0 ? h0 : PLACE_NONE;
            if (g == g0)
                continue;
            uint64_t least = UINT64_MAX;
            for (size_t f = 0; f < nfit[g]; f++) {
                size_t h = fit[g * H + f];
                bool used = false;
                for (size_t e = 0; e < g && !used; e++)
                    used = cur[e] == h;
                used |= h == h0;
                uint64_t d, j;
                if (used || !place__routes_hosts(m->r, 0, h0, h, &d, &j))
                    continue;
                if (d < least) {
                    least = d;
                    cur[g] = h;
                }
            }
            ok = cur[g] != PLACE_NONE;
            if (ok && least > worst)
                worst = least;
        }
        if (ok && worst < best_d) {
            best_d = worst;
            memcpy(best, cur, ng * sizeof *best);
        }
    }
    if (rc == 0 && best_d == UINT64_MAX)
        rc = 1;
    if (rc == 0) {
        for (size_t v = 0; v < V; v++) {
            host[v] = best[grp[v]];
            item[v] =
                menu_find(p, p->services[v].menu[host[v]], &t->col[pick[v]]);
        }
    }
    free(mem);
    free(fit);
    free(sfit);
    free(nsfit);
    free(nfit);
    free(it);
    free(best);
    free(cur);
    free(u);
    return rc < 0 ? rc : rc == 0;
}

/* No plan puts group g's services on one host with items of their
 * picked sizes or larger (no host has the room):
 *   sum_{a<b in g} y_ab - sum_{a in g} sum_{u_j >= u_pick(a)} x_j >= 1 - |g| */
static void group_cut(struct tmodel *t, const size_t *pick, const size_t *grp,
                      size_t g)
{
    size_t V = t->V, nm = 0;
    int k = 0;
    for (size_t a = 0; a < V; a++) {
        if (grp[a] != g)
            continue;
        nm++;
        for (size_t b = a + 1; b < V; b++)
            if (grp[b] == g) {
                t->ind[++k] = t->ycol + (int)pair_of(V, a, b);
                t->val[k] = 1;
            }
        double ua = t->col[pick[a]].u;
        for (size_t s = t->start[a]; s < t->start[a + 1]; s++)
            if (t->col[t->of[s]].u >= ua) {
                t->ind[++k] = (int)t->of[s] + 1;
                t->val[k] = -1;
            }
    }
    int r = glp_add_rows(t->lp, 1);
    glp_set_mat_row(t->lp, r, k, t->ind, t->val);
    glp_set_row_bnds(t->lp, r, GLP_LO, 1 - (double)nm, 0);
}

/* The spread model solved by `end`, its groups put on hosts; a group no
 * host takes is cut off and the model solved again (at most
 * SPREAD_ROUNDS times).  0 with *opt (INFINITY: no spread plan) and, when
 * its groups have hosts, out->spread with them; 1 not proven in time;
 * PLC_ENOMEM. */
#define SPREAD_ROUNDS 64

static int spread_solve(const struct milp *m, const struct place_tcol *col,
                        size_t n, const struct place_spread *sp, double W,
                        double end, struct place_cross *out, double *opt)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    struct tmodel t = {0};
    size_t *grp = malloc((V + 1) * sizeof *grp);
    size_t *pick = malloc((V + 1) * sizeof *pick);
    size_t *on = malloc((V + 1) * sizeof *on);
    uint64_t *rlim = malloc((p->n_vlinks + 1) * sizeof *rlim);
    int r = grp && pick && on && rlim ? tmodel_build(&t, p, col, n, NULL, 0, sp,
                                                     NULL, p->deadline_ns, W)
                                      : PLC_ENOMEM;
    if (r == 2) {
        *opt = INFINITY;
        r = 0;
    }
    for (int round = 0; r == 0 && round < SPREAD_ROUNDS; round++) {
        double o;
        int s = tmodel_solve(&t, end - plc_now_s(), &o, pick);
        if (s == 1 && round == 0)
            r = 1;
        if (s == 2)
            *opt = INFINITY; /* no spread plan (the cuts leave none) */
        if (s != 0)
            break;
        *opt = o;
        if (!out->spread_host)
            break;
        size_t bad, ng = spread_groups(&t, grp);
        /* (without the triangle rows the pairs may not be a partition) */
        if (!sp->full && !partition(&t, grp))
            break;
        for (size_t v = 0; v < V; v++)
            on[v] = PLACE_NONE;
        for (size_t i = 0; i < t.na; i++)
            if (glp_mip_col_val(t.lp, t.a[i].c) > 0.5)
                on[t.col[t.a[i].j].v] = t.a[i].k;
        for (size_t i = 0; t.rcol && i < p->n_vlinks; i++)
            rlim[i] =
                (uint64_t)(glp_mip_col_val(t.lp, t.rcol + (int)i) * 1e6 + 0.5) +
                1000;
        int cuts;
        size_t cbad;
        int z = realize(m, &t, sp, pick, grp, ng, on, t.rcol ? rlim : NULL,
                        out->spread_host, out->spread_item, &bad, &cbad, &cuts);
        if (z < 0)
            r = z;
        out->spread = z == 1;
        if (z != 0 || (bad == PLACE_NONE && cbad == PLACE_NONE && cuts == 0))
            break;
        if (bad != PLACE_NONE)
            group_cut(&t, pick, grp, bad);
        else if (cbad != PLACE_NONE) {
            size_t s0 = 0;
            while (grp[s0] != cbad)
                s0++;
            place__class_cut(&t, pick, grp, cbad, on[s0]);
        }
    }
    tmodel_free(&t);
    free(grp);
    free(pick);
    free(on);
    free(rlim);
    return r;
}

/* The most classes of hosts whose single-host relaxation is solved, and
 * the share of the time left for the whole bound: a safety net, as the
 * solves end on their node limits (tmodel_solve).  At 0.2, with the
 * light spread model given a quarter of what was left of that, a busy
 * machine (a sanitized build on a quarter of a core) ran the light
 * model of a 10-service chain out of time at 1.05 s of its 1.05 s, and
 * the solver did not prove in 30 s what the bound proves in 1.3. */
#define CROSS_MAX_CLASSES 64

#define CROSS_SHARE 0.5

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Does host h hold the same single-host relaxation as host r: the same
 * menus and columns per service, the same free cores up to their order? */
static bool same_class(const struct milp *m, size_t h, size_t r, double *fh,
                       double *fr)
{
    const struct place_problem *p = m->p;
    const struct place_host *a = &p->cluster->hosts[h],
                            *b = &p->cluster->hosts[r];
    size_t H = p->cluster->n_hosts;
    if (a->cores != b->cores)
        return false;
    for (size_t v = 0; v < p->n_services; v++)
        if (p->services[v].menu[h] != p->services[v].menu[r] ||
            m->yn[v * H + h] != m->yn[v * H + r])
            return false;
    for (int k = 0; k < a->cores; k++) {
        fh[k] = place__milp_core_free(a, k);
        fr[k] = place__milp_core_free(b, k);
    }
    qsort(fh, (size_t)a->cores, sizeof *fh, cmp_desc);
    qsort(fr, (size_t)a->cores, sizeof *fr, cmp_desc);
    for (int k = 0; k < a->cores; k++)
        if (fh[k] != fr[k])
            return false;
    return true;
}

/* The delay of each vlink between an endpoint and a service when the
 * services are on host h: crossings x (the route + its message time), 0
 * when the endpoint is on h (beyond the deadline when no route reaches
 * h).  Whether any vlink has one. */
static bool host_fixed(const struct milp *m, size_t h, uint64_t *fixed)
{
    const struct place_problem *p = m->p;
    size_t E = p->n_endpoints;
    bool any = false;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        fixed[i] = 0;
        if ((e->from < E) == (e->to < E) || e->crossings <= 0)
            continue;
        size_t node = p->endpoint_node[e->from < E ? e->from : e->to];
        uint64_t d, j;
        if (node == h)
            continue;
        if (!place__routes_between(m->r, 0, node, h, &d, &j))
            d = p->deadline_ns;
        fixed[i] = (uint64_t)e->crossings * (d + place__message_ns(e));
        any |= fixed[i] > 0;
    }
    return any;
}

/* The spread model's optimum by `end` (charged: each crossing its least
 * delay, else none), with out->spread and its hosts when its groups have
 * some (out->spread_host non-NULL).  0 with *opt (INFINITY: no spread
 * plan), 1 not proven in time, PLC_ENOMEM. */
static int spread_part(const struct milp *m, bool charged, double end,
                       struct place_cross *out, double *opt)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, E = p->n_endpoints;
    uint64_t *cross = calloc(p->n_vlinks + 1, sizeof *cross);
    signed char *rule = place__pair_rules(m);
    bool *clash = NULL;
    struct place_tcol *col = NULL;
    int rc = cross && rule ? 0 : PLC_ENOMEM;
    uint64_t pair = place__least_host_pair_delay(m);
    for (size_t i = 0; rc == 0 && charged && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from >= E && e->to >= E && e->from != e->to)
            cross[i] = (uint64_t)(e->crossings > 0 ? e->crossings : 0) *
                       (pair + place__message_ns(e));
    }
    size_t n = 0;
    double most = 0, mem = 0;
    for (size_t v = 0; rc == 0 && v < V; v++) {
        struct place_tcol *its;
        size_t k = place__distinct_items(m, v, &its);
        if (k == SIZE_MAX) {
            rc = PLC_ENOMEM;
            break;
        }
        struct place_tcol *grown = realloc(col, (n + k + 1) * sizeof *col);
        if (!grown) {
            free(its);
            rc = PLC_ENOMEM;
            break;
        }
        col = grown;
        memcpy(col + n, its, k * sizeof *its);
        double u = 0;
        for (size_t i = 0; i < k; i++)
            u = fmax(u, its[i].u);
        most += u;
        mem += (double)p->services[v].mem_bytes;
        n += k;
        free(its);
    }
    double room = 0, mem_room = 0;
    if (rc == 0 && V <= SPREAD_FULL_MAX && n <= CLASH_COLS_MAX)
        clash = clashes(m, col, n, &room, &mem_room, &rc);
    if (!clash)
        room = mem_room = INFINITY;
    /* the pairs' rows bind only where two items clash or all services at
     * their largest items exceed a host's room */
    bool binds = most > room + 1e-9 || mem > mem_room;
    for (size_t i = 0; clash && i < n * n && !binds; i++)
        binds = clash[i];
    struct spread_ehosts eh = {0};
    if (rc == 0 && charged)
        rc = place__ehosts_build(m, col, n, pair, &eh);
    struct place_spread sp = {cross,    clash,          rule, room,
                              mem_room, clash && binds, &eh};
    /* the vlinks' rows alone first (quick, in half the time left).  The
     * full model is solved (in the rest) only when it could change the
     * answer: the light bound is below the best single host's and below
     * the plan in hand (an idle 10-service chain spent 180 ms in it for a
     * bound the plan already met).  When it is not solved in time the light
     * bound stands (a 20-service chain's triangles may not be). */
    *opt = INFINITY;
    bool full = sp.full;
    double light = INFINITY;
    struct place_cross none = *out;
    none.spread_host = NULL; /* the light model's groups are no partition */
    sp.full = false;
    if (rc == 0)
        rc = spread_solve(m, col, n, &sp, place__prob_budget(p),
                          full ? plc_now_s() + (end - plc_now_s()) / 2 : end,
                          full ? &none : out, &light);
    *opt = light;
    double reach = fmin(out->host_opt, light);
    if (rc == 0 && full && light < out->host_opt &&
        !place__meets(out->than, reach)) {
        sp.full = true;
        int r =
            spread_solve(m, col, n, &sp, place__prob_budget(p), end, out, opt);
        if (r == 1)
            *opt = light; /* not solved in time: the light bound stands */
        else
            rc = r;
    }
    place__ehosts_free(&eh);
    free(clash);
    free(rule);
    free(col);
    free(cross);
    return rc;
}

int place__spread_uncharged(const struct milp *m, double tl)
{
    /* (no single host, no plan in hand: the full model is wanted) */
    struct place_cross out = {.than = INFINITY, .host_opt = INFINITY};
    double opt;
    int rc = spread_part(m, false, plc_now_s() + tl, &out, &opt);
    return rc != 0 ? rc : isfinite(opt) ? 0 : 2;
}

int place__cross_bound(const struct milp *m, struct place_cross *out)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts;
    out->host = PLACE_NONE;
    out->host_opt = out->cut_opt = INFINITY;
    out->spread = false;
    out->no_place = out->no_memory = out->no_cpu = out->no_cores = 0;
    if (p->objective != PLACE_OBJ_UTILIZATION || !m->has_dp ||
        p->deadline_ns == PLACE_UNLIMITED || V < 2 || H < 2 ||
        m->single_location || !connected(p))
        return 1;
    /* a service of several vCPUs takes several cores at once: then each
     * host is one pool of its free CPU (a relaxation of its cores) */
    bool pooled = false;
    for (size_t v = 0; v < V; v++)
        pooled |= p->services[v].vcpus != 1;
    double end = plc_now_s() + CROSS_SHARE * (place__deadline(p) - plc_now_s());
    double W = place__prob_budget(p);
    out->apart = false;
    /* the hosts that could take every service: a column for each, their
     * memory, room for the relaxation's optimum; none when two of them
     * may not share a host; one of each class */
    bool apart = false;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        apart |= p->anti_affinity[g][0] != PLACE_NONE &&
                 p->anti_affinity[g][1] != PLACE_NONE;
    out->apart = apart;
    uint64_t mem = 0;
    int max_c = 1;
    for (size_t v = 0; v < V; v++)
        mem += p->services[v].mem_bytes;
    for (size_t h = 0; h < H; h++)
        if (c->hosts[h].cores > max_c)
            max_c = c->hosts[h].cores;
    size_t *hosts = malloc((CROSS_MAX_CLASSES + 1) * sizeof *hosts), nh = 0;
    double *fa = malloc(2 * ((size_t)max_c + 1) * sizeof *fa);
    if (!hosts || !fa) {
        free(hosts);
        free(fa);
        return PLC_ENOMEM;
    }
    size_t *members = calloc(CROSS_MAX_CLASSES + 1, sizeof *members);
    /* each class's delays of the vlinks to endpoints (host_fixed), the
     * least of its hosts' (splitting the classes by their distances made
     * three times as many on a fat-tree, and the bound of a workflow with
     * an endpoint on a switch ran out of its share on a busy machine) */
    size_t L = p->n_vlinks;
    uint64_t *fix = malloc((CROSS_MAX_CLASSES + 1) * (L + 1) * sizeof *fix);
    uint64_t *hfix = malloc((L + 1) * sizeof *hfix);
    if (!members || !fix || !hfix) {
        free(members);
        free(fix);
        free(hfix);
        free(hosts);
        free(fa);
        return PLC_ENOMEM;
    }
    bool ends = false, many = false;
    for (size_t h = 0; h < H && !apart && !many; h++) {
        const struct place_host *o = &c->hosts[h];
        bool all = true;
        for (size_t v = 0; v < V && all; v++)
            all = m->yn[v * H + h] > 0;
        if (!all) {
            out->no_place++;
            continue;
        }
        if (o->mem_bytes != PLACE_UNLIMITED &&
            o->mem_used_bytes + mem > o->mem_bytes) {
            out->no_memory++;
            continue;
        }
        double f = place__milp_host_free(o);
        if (f + 1e-9 * fmax(1, f) < m->dp_lb) {
            out->no_cpu++;
            continue;
        }
        ends |= host_fixed(m, h, hfix);
        size_t k = 0;
        while (k < nh && !same_class(m, h, hosts[k], fa, fa + max_c + 1))
            k++;
        if (k < nh) {
            /* the class's relaxation charges the least of its hosts'
             * delays (a relaxation of each) */
            for (size_t i = 0; i < L; i++)
                if (hfix[i] < fix[k * L + i])
                    fix[k * L + i] = hfix[i];
            members[k]++;
            continue;
        }
        if (nh == CROSS_MAX_CLASSES) {
            many = true;
        } else {
            memcpy(fix + nh * L, hfix, L * sizeof *hfix);
            members[nh] = 1;
            hosts[nh++] = h;
        }
    }
    free(fa);
    free(hfix);
    if (many) {
        free(hosts);
        free(members);
        free(fix);
        return 1;
    }
    int rc = 0;
    size_t *pick = malloc((V + 1) * sizeof *pick);
    double *core_free = NULL;
    int *rank = NULL;
    struct place_tcol *col = NULL;
    if (!pick)
        rc = PLC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < nh; i++) {
        size_t h = hosts[i];
        const struct place_host *o = &c->hosts[h];
        int cores = pooled ? 1 : o->cores;
        size_t n = 0;
        for (size_t v = 0; v < V; v++)
            n += m->yn[v * H + h] * (size_t)cores;
        free(col);
        free(core_free);
        free(rank);
        col = malloc((n + 1) * sizeof *col);
        core_free = malloc(((size_t)cores + 1) * sizeof *core_free);
        rank = malloc(((size_t)cores + 1) * sizeof *rank);
        if (!col || !core_free || !rank) {
            rc = PLC_ENOMEM;
            break;
        }
        for (int k = 0; k < cores; k++)
            core_free[k] =
                pooled ? place__milp_host_free(o) : place__milp_core_free(o, k);
        /* cores with the same free capacity are interchangeable: number
         * each within its group; service v (in order) need only be
         * offered the first v + 1 of a group (relabel the group's cores by
         * the first service each holds).  On idle hosts without this the
         * solve of a 10-service chain did not end within its share. */
        for (int k = 0; k < cores; k++) {
            rank[k] = 0;
            for (int k2 = 0; k2 < k; k2++)
                rank[k] += core_free[k2] == core_free[k];
        }
        n = 0;
        for (size_t v = 0; v < V; v++)
            for (size_t j = m->ys[v * H + h];
                 j < m->ys[v * H + h] + m->yn[v * H + h]; j++) {
                const struct sched_menu_item *it =
                    &p->services[v].menu[h]->v[m->y[j].m];
                double u = p->services[v].vcpus * it->utilization;
                for (int k = 0; k < cores; k++)
                    if (pooled ||
                        (u <= core_free[k] + 1e-9 && (size_t)rank[k] <= v))
                        col[n++] =
                            (struct place_tcol){v,
                                                u,
                                                it->deadline_ns,
                                                place__prob_weight(p, it->phi),
                                                k,
                                                m->y[j].m};
            }
        double opt;
        int r = place__timing_milp(p, col, n, core_free, cores, NULL,
                                   ends ? fix + i * L : NULL, p->deadline_ns, W,
                                   end - plc_now_s(), &opt, pick);
        if (r < 0 || r == 1) {
            rc = r; /* not proven in time: no bound */
            break;
        }
        if (r == 2)
            out->no_cores += members[i];
        if (r == 0 && opt < out->host_opt) {
            out->host_opt = opt;
            out->host = h;
            for (size_t v = 0; v < V; v++)
                out->item[v] = col[pick[v]].ref;
        }
    }
    free(col);
    free(core_free);
    free(rank);
    col = NULL;
    if (rc == 0) {
        double opt = INFINITY;
        rc = spread_part(m, true, end, out, &opt);
        if (rc == 0)
            out->cut_opt = opt;
    }
    out->lb = fmin(out->host_opt, out->cut_opt);
    free(col);
    free(pick);
    free(hosts);
    free(members);
    free(fix);
    return rc;
}
