/*
 * milp_solve.c: solving the placement MILP with GLPK: scaling, the
 * integral cut, the warm start, bounds and node counts from the callback,
 * no-good cuts, the tie-break phase.
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- solving ------------------------------------------------------------- */

/* models with more columns than this are solved without GLPK's presolver */
#define LP_FIRST_COLS 4000

/* GLPK's scaling and first factorisation, over the model's building time:
 * measured 2.4 on a model of 1.2 million columns (scaling 6.1 s and the
 * first simplex 3.3 s after 4.0 s of building); 3 leaves a margin */
#define GLPK_START_PER_BUILD 3.0

struct cb_state {
    double bound;
    long nodes;
    const double *warm; /* a plan to offer once, or NULL */
    const struct place_problem *p;
    bool first; /* stop at the first plan */
};

static void callback(glp_tree *t, void *info)
{
    struct cb_state *s = info;
    /* tm_lim was set at the start: a cancel comes later */
    if (place__expired(s->p)) {
        glp_ios_terminate(t);
        return;
    }
    /* a part of a larger problem: a plan at that problem's bound is all
     * it asks for */
    const struct place_problem *p = s->p;
    if (glp_ios_reason(t) == GLP_IBINGO && s->first) {
        glp_ios_terminate(t);
        return;
    }
    if (glp_ios_reason(t) == GLP_IBINGO && p->part && p->stop_at >= 0 &&
        place__meets(place__milp_units(p, glp_mip_obj_val(glp_ios_get_prob(t))),
                     p->stop_at)) {
        glp_ios_terminate(t);
        return;
    }
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

int place__milp_solve(struct milp *m, double time_limit_s, const double *warm,
                      struct milp_result *res)
{
    memset(res, 0, sizeof *res);
    size_t V = m->p->n_services;
    res->host = malloc((V ? V : 1) * sizeof *res->host);
    res->item = malloc((V ? V : 1) * sizeof *res->item);
    res->route = calloc(m->p->n_vlinks + 1, sizeof *res->route);
    if (!res->host || !res->item || !res->route)
        return PLC_ENOMEM;
    /* GLPK's scaling and the first factorisation of the LP never look at
     * the clock; they take about GLPK_START_PER_BUILD times as long as
     * building the model took (measured): a solve that cannot start
     * within the deadline is not begun */
    double deadline = place__deadline(m->p);
    if (deadline > 0) {
        double left = deadline - plc_now_s();
        if (left < GLPK_START_PER_BUILD * m->build_s || left <= 0.001) {
            res->status = PLACE_TIMEOUT;
            res->bound = -INFINITY;
            return 0;
        }
        time_limit_s = fmin(time_limit_s, left);
    }
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    parm.tm_lim = (int)(time_limit_s * 1000);
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = GLP_ON;
    parm.clq_cuts = GLP_ON;
    /* the feasibility pump runs between two callbacks and does not look at
     * the clock: on a fork/join over 128 hosts (11,000-17,000 columns) it
     * took 0.4-1.2 s and ran the plan 0.1-0.5 s past a 2 s limit.  Large
     * models have the greedy plan offered, or the last round's, instead */
    parm.fp_heur = glp_get_num_cols(m->lp) > LP_FIRST_COLS ? GLP_OFF : GLP_ON;
    parm.br_tech = GLP_BR_DTH;
    parm.bt_tech = GLP_BT_BLB;
    struct cb_state st = {-1e300, 0, warm, m->p, m->first_plan};
    parm.cb_func = callback;
    parm.cb_info = &st;
    /* rates in bit/s and times in ns make wide coefficient ranges; the
     * scaling never looks at the clock (0.7 s on a 6-service DAG over
     * 1,024 hosts), so what it took comes off the limit */
    double t_scale = plc_now_s();
    glp_scale_prob(m->lp, GLP_SF_AUTO);
    parm.tm_lim -= (int)((plc_now_s() - t_scale) * 1000);
    if (parm.tm_lim <= 0) {
        res->status = PLACE_TIMEOUT;
        res->bound = -INFINITY;
        return 0;
    }
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
                place__milp_row_add(m, j, glp_get_obj_coef(m->lp, j));
            place__milp_row_end(m, GLP_LO, z, 0);
        }
    }
    /* a solution is offered in terms of the model's own columns, so the
     * MIP presolver (which renumbers them) stays off, and the LP
     * relaxation is solved first, as glp_intopt then requires; on a large
     * model the same keeps the time limit, which GLPK's LP presolver
     * (used by the MIP presolver) does not honour */
    if (warm || glp_get_num_cols(m->lp) > LP_FIRST_COLS) {
        parm.presolve = GLP_OFF;
        glp_smcp sp;
        glp_init_smcp(&sp);
        sp.msg_lev = GLP_MSG_OFF;
        /* the LP presolver cannot be interrupted; without it the simplex
         * honours the time limit */
        sp.presolve = GLP_OFF;
        /* the simplex looks at the clock between iterations, which on a
         * large model overran its limit by 5 % (0.1 s in 1.85 s) */
        sp.tm_lim = parm.tm_lim - parm.tm_lim / 10;
        double t0 = glp_time();
        int lr = glp_simplex(m->lp, &sp);
        /* the LP's time counts against the limit */
        int lp_ms = (int)(glp_difftime(glp_time(), t0) * 1000);
        parm.tm_lim -= lp_ms;
        if (lr == 0 && glp_get_status(m->lp) == GLP_NOFEAS) {
            res->status = PLACE_INFEASIBLE;
            return 0;
        }
        if (lr == GLP_ETMLIM) {
            res->status = PLACE_TIMEOUT;
            res->bound = -INFINITY;
            return 0;
        }
        if (lr != 0 || glp_get_status(m->lp) != GLP_OPT) {
            /* fall back to the presolver without the offer */
            parm.presolve = GLP_ON;
            st.warm = NULL;
        } else if (parm.tm_lim < lp_ms / 2) {
            /* GLPK looks at the clock between nodes only, and the LP of
             * the first node after the root took up to 0.7 s of a 1.1 s
             * root (a fork/join over 128 hosts, 17,000 columns): with less
             * than half the root's time left, branch and bound would end
             * past the limit, so it is not begun; the LP bounds the MIP */
            res->status = PLACE_TIMEOUT;
            res->bound = glp_get_obj_val(m->lp);
            return 0;
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
    /* the detours taken */
    for (size_t i = 0; i < m->p->n_vlinks; i++) {
        const struct milp_vlink *x = &m->vl[i];
        size_t n = x->pa ? x->nga * x->ngb : x->q ? m->p->cluster->n_hosts : 0;
        const int *cols = x->pa ? x->pa : x->q;
        for (size_t k = 0; k < n; k++)
            if (cols[k] && glp_mip_col_val(m->lp, cols[k]) > 0.5)
                res->route[i] = 1;
    }
    return 0;
}

void place__milp_result_release(struct milp_result *res)
{
    free(res->host);
    free(res->item);
    free(res->route);
    memset(res, 0, sizeof *res);
}

int place__milp_cut_host(struct milp *m, const struct milp_result *res,
                         size_t h)
{
    size_t n = 0;
    for (size_t j = 0; j < m->ny; j++)
        if (m->y[j].h == h && res->host[m->y[j].v] == h &&
            res->item[m->y[j].v] == m->y[j].m) {
            place__milp_row_add(m, (int)j + 1, 1);
            n++;
        }
    place__milp_row_end(m, GLP_UP, 0, (double)n - 1);
    return m->oom ? PLC_ENOMEM : 0;
}

int place__milp_tiebreak(struct milp *m, double current_opt, bool bandwidth)
{
    m->tiebreak = true;
    /* keep the current objective at its optimum (a row holding it), then
     * minimise the next criterion */
    int n = glp_get_num_cols(m->lp);
    for (int j = 1; j <= n; j++)
        place__milp_row_add(m, j, glp_get_obj_coef(m->lp, j));
    place__milp_row_end(
        m, GLP_UP, 0,
        current_opt + 1e-9 * (fabs(current_opt) > 1 ? fabs(current_opt) : 1));
    for (int j = 1; j <= n; j++)
        glp_set_obj_coef(m->lp, j, 0);
    if (bandwidth) {
        place__milp_set_bandwidth_objective(m, 1e-6); /* Mbit/s x hops */
        return m->oom ? PLC_ENOMEM : 0;
    }
    for (size_t j = 0; j < m->ny; j++) {
        const struct place_service *s = &m->p->services[m->y[j].v];
        glp_set_obj_coef(m->lp, (int)j + 1,
                         s->vcpus *
                             s->menu[m->y[j].h]->v[m->y[j].m].utilization);
    }
    return m->oom ? PLC_ENOMEM : 0;
}

int place__milp_warm_vector(const struct milp *m, const size_t *host,
                            const size_t *item, const int *route, double **out)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, E = p->n_endpoints;
    int n = glp_get_num_cols(m->lp);
    double *x = calloc((size_t)n + 1, sizeof *x);
    double *start = calloc(E + p->n_services + 1, sizeof *start);
    if (!x || !start) {
        free(x);
        free(start);
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
            int k = route ? route[i] : 0;
            if (xl->kind == VL_SS)
                place__milp_pair_delay(m, e, k, host[xl->u], host[xl->w], &d,
                                       &j);
            else
                place__milp_node_host_delay(m, e, k, p->endpoint_node[e->from],
                                            host[xl->w], true, &d, &j);
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
        bool detour = route && route[i];
        if (xl->kind == VL_ES || xl->kind == VL_SE) {
            size_t h = host[xl->kind == VL_ES ? xl->w : xl->u];
            if (detour && !(xl->q && xl->q[h]))
                rc = PLC_EINVAL; /* a detour the model does not have */
            else if (detour)
                x[xl->q[h]] = 1;
        }
        if (xl->kind != VL_SS)
            continue;
        size_t hu = host[xl->u], hw = host[xl->w];
        for (size_t a = 0; a < xl->nga; a++)
            for (size_t b = 0; b < xl->ngb; b++) {
                if (xl->ga[a] != m->r->group_of[hu] ||
                    xl->gb[b] != m->r->group_of[hw])
                    continue;
                int alt = xl->pa ? xl->pa[a * xl->ngb + b] : 0;
                int col = detour ? alt : place__milp_pcol(xl, a, b);
                if (!col)
                    rc = PLC_EINVAL; /* a pair or detour the model lacks */
                else
                    x[col] = 1;
            }
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
    free(start);
    if (rc < 0) {
        free(x);
        return rc;
    }
    *out = x;
    return 0;
}
