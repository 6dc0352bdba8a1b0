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
 * has them, while every plan that spreads it pays a crossing on some
 * path and costs 3.15.  Every plan either puts all services on one host
 * or has a vlink between two services on two hosts (when the services
 * are connected by vlinks), and that vlink takes at least the least
 * route between two distinct hosts plus its message time.  So
 *   min( min over hosts h of the timing relaxation on h alone, its items
 *          on h's cores (sum u <= core's free capacity, per core),
 *        the timing relaxation with one vlink of its choice charged a
 *          crossing )
 * bounds every plan.  Hosts without room for the relaxation's optimum, or
 * for the services' memory, or where a service has no column, hold no
 * plan and are skipped; of hosts with the same menus, columns and free
 * cores (up to their order) one is solved: an idle cluster is one class
 * (a 10-service chain on 128 idle hosts: 3.7718 on one host, exact, where
 * the DP's rounded bound is 3.76835).  A service of several vCPUs takes
 * that many cores at once; with one, each host counts as one pool of its
 * free CPU instead of its cores (weaker, still a relaxation).  Placement
 * columns pruned against the plan in hand (bound.c) are left out: no plan as
 * good as it uses them, and a bound above that plan only says the plan is
 * optimal.
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int place__timing_milp(const struct place_problem *p,
                       const struct place_tcol *col, size_t n,
                       const double *core_free, int cores,
                       const uint64_t *cross_ns, const uint64_t *fixed_ns,
                       uint64_t D, double W, double tl, double *opt,
                       size_t *pick)
{
    size_t V = p->n_services, E = p->n_endpoints, N = E + V, L = p->n_vlinks;
    if (tl < 0.002)
        return 1;
    /* every service needs a column; a crossing needs a vlink to take it */
    bool *has = calloc(V + 1, sizeof *has);
    if (!has)
        return PLC_ENOMEM;
    for (size_t j = 0; j < n; j++)
        has[col[j].v] = true;
    bool none = false;
    for (size_t v = 0; v < V; v++)
        none |= !has[v];
    free(has);
    size_t nz = 0;
    for (size_t i = 0; cross_ns && i < L; i++)
        nz += cross_ns[i] > 0;
    if (none || (cross_ns && nz == 0))
        return 2;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* columns 1..n: x; n+1..n+N: t_n; then one z per charged vlink */
    glp_add_cols(lp, (int)(n + N + nz));
    for (size_t j = 0; j < n; j++) {
        glp_set_col_kind(lp, (int)j + 1, GLP_BV);
        glp_set_obj_coef(lp, (int)j + 1, col[j].u);
    }
    int tcol = (int)n + 1, zcol = (int)(n + N) + 1;
    for (size_t k = 0; k < N; k++)
        glp_set_col_bnds(lp, tcol + (int)k, GLP_LO, 0, 0);
    for (size_t k = 0; k < nz; k++)
        glp_set_col_kind(lp, zcol + (int)k, GLP_BV);
    size_t width = n + nz + 4;
    int *ind = malloc((width + 1) * sizeof *ind);
    double *val = malloc((width + 1) * sizeof *val);
    size_t *of = malloc((n + 1) * sizeof *of); /* columns by service */
    size_t *start = calloc(V + 2, sizeof *start);
    int rc = ind && val && of && start ? 0 : PLC_ENOMEM;
    if (rc == 0) {
        for (size_t j = 0; j < n; j++)
            start[col[j].v + 2]++;
        for (size_t v = 0; v < V; v++)
            start[v + 2] += start[v + 1];
        for (size_t j = 0; j < n; j++)
            of[start[col[j].v + 1]++] = j;
    }
    /* one item per service */
    for (size_t v = 0; rc == 0 && v < V; v++) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t i = start[v]; i < start[v + 1]; i++) {
            ind[++k] = (int)of[i] + 1;
            val[k] = 1;
        }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_FX, 1, 1);
    }
    /* the cores' free capacity */
    for (int c = 0; rc == 0 && core_free && c < cores; c++) {
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
    if (rc == 0 && isfinite(W)) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t j = 0; j < n; j++)
            if (col[j].w > 0) {
                ind[++k] = (int)j + 1;
                val[k] = col[j].w;
            }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_UP, 0, W);
    }
    /* exactly one vlink charged a crossing */
    if (rc == 0 && cross_ns) {
        int r = glp_add_rows(lp, 1), k = 0;
        for (size_t i = 0; i < nz; i++) {
            ind[++k] = zcol + (int)i;
            val[k] = 1;
        }
        glp_set_mat_row(lp, r, k, ind, val);
        glp_set_row_bnds(lp, r, GLP_FX, 1, 1);
    }
    /* times in ms: t_n + d_n <= D, and per vlink a -> b
     * t_b - t_a - d_a - crossing z >= 0 */
    double Dms = (double)D / 1e6;
    for (size_t i = 0, z = 0; rc == 0 && i < N + L; i++) {
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
        if (e && cross_ns && cross_ns[i - N] > 0) {
            ind[++k] = zcol + (int)z++;
            val[k] = -(double)cross_ns[i - N] / 1e6;
        }
        glp_set_mat_row(lp, r, k, ind, val);
        if (node)
            glp_set_row_bnds(lp, r, GLP_UP, 0, Dms);
        else
            glp_set_row_bnds(lp, r, GLP_LO,
                             fixed_ns ? (double)fixed_ns[i - N] / 1e6 : 0, 0);
    }
    if (rc == 0) {
        glp_iocp parm;
        glp_init_iocp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.presolve = GLP_ON;
        parm.tm_lim = (int)(tl * 1000);
        parm.mir_cuts = GLP_ON;
        parm.cov_cuts = GLP_ON;
        int ret = glp_intopt(lp, &parm);
        int ms = glp_mip_status(lp);
        if (ret == 0 && ms == GLP_OPT) {
            *opt = glp_mip_obj_val(lp);
            for (size_t v = 0; pick && v < V; v++) {
                pick[v] = SIZE_MAX;
                for (size_t s = start[v]; s < start[v + 1]; s++)
                    if (glp_mip_col_val(lp, (int)of[s] + 1) > 0.5)
                        pick[v] = of[s];
            }
        } else {
            /* (with the presolver on, an infeasible LP relaxation ends
             * in GLP_ENOPFS rather than a status) */
            rc = (ret == 0 && ms == GLP_NOFEAS) || ret == GLP_ENOPFS ? 2 : 1;
        }
    }
    glp_delete_prob(lp);
    free(ind);
    free(val);
    free(of);
    free(start);
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

/* The most classes of hosts whose single-host relaxation is solved, and
 * the share of the time left for the whole bound. */
#define CROSS_MAX_CLASSES 64
#define CROSS_SHARE 0.2

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

int place__cross_bound(const struct milp *m, struct place_cross *out)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts, E = p->n_endpoints;
    out->host = PLACE_NONE;
    out->host_opt = out->cut_opt = INFINITY;
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
    /* the hosts that could take every service: a column for each, their
     * memory, room for the relaxation's optimum; none when two of them
     * may not share a host; one of each class */
    bool apart = false;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        apart |= p->anti_affinity[g][0] != PLACE_NONE &&
                 p->anti_affinity[g][1] != PLACE_NONE;
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
    bool many = false;
    for (size_t h = 0; h < H && !apart && !many; h++) {
        const struct place_host *o = &c->hosts[h];
        bool all = true;
        for (size_t v = 0; v < V && all; v++)
            all = m->yn[v * H + h] > 0;
        if (!all || (o->mem_bytes != PLACE_UNLIMITED &&
                     o->mem_used_bytes + mem > o->mem_bytes))
            continue;
        double f = place__milp_host_free(o);
        if (f + 1e-9 * fmax(1, f) < m->dp_lb)
            continue;
        size_t k = 0;
        while (k < nh && !same_class(m, h, hosts[k], fa, fa + max_c + 1))
            k++;
        if (k < nh)
            continue;
        if (nh == CROSS_MAX_CLASSES)
            many = true;
        else
            hosts[nh++] = h;
    }
    free(fa);
    if (many) {
        free(hosts);
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
        int r = place__timing_milp(p, col, n, core_free, cores, NULL, NULL,
                                   p->deadline_ns, W, end - plc_now_s(), &opt,
                                   pick);
        if (r < 0 || r == 1) {
            rc = r; /* not proven in time: no bound */
            break;
        }
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
    /* the spread plans: one vlink between two services charged */
    uint64_t *cross = calloc(p->n_vlinks + 1, sizeof *cross);
    if (rc == 0 && !cross)
        rc = PLC_ENOMEM;
    if (rc == 0) {
        uint64_t pair = place__least_host_pair_delay(m);
        for (size_t i = 0; i < p->n_vlinks; i++) {
            const struct place_vlink *e = &p->vlinks[i];
            if (e->from >= E && e->to >= E && e->from != e->to)
                cross[i] = (uint64_t)(e->crossings > 0 ? e->crossings : 0) *
                           (pair + place__message_ns(e));
        }
        size_t n = 0;
        for (size_t v = 0; v < V; v++) {
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
            n += k;
            free(its);
        }
        double opt = INFINITY;
        int r = rc == 0 ? place__timing_milp(p, col, n, NULL, 0, cross, NULL,
                                             p->deadline_ns, W,
                                             end - plc_now_s(), &opt, NULL)
                        : rc;
        if (r < 0 || r == 1)
            rc = r;
        else if (r == 0)
            out->cut_opt = opt;
    }
    out->lb = fmin(out->host_opt, out->cut_opt);
    if (rc == 0 && !isfinite(out->lb))
        rc = 1; /* neither: left to the whole model */
    free(col);
    free(cross);
    free(pick);
    free(hosts);
    return rc;
}
