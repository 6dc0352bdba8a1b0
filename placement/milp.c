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
#include "milp_internal.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows ---------------------------------------------------------------- */

void place__milp_row_add(struct milp *m, int col, double v)
{
    if (col <= 0 || v == 0 || m->oom)
        return;
    if (m->len + 1 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        int *ind = realloc(m->ind, (cap + 1) * sizeof *ind);
        if (ind)
            m->ind = ind;
        double *val = ind ? realloc(m->val, (cap + 1) * sizeof *val) : NULL;
        if (val)
            m->val = val;
        if (!ind || !val) {
            m->oom = true;
            return;
        }
        m->cap = cap;
    }
    m->len++;
    m->ind[m->len] = col;
    m->val[m->len] = v;
}

/* Add coef * X_v(h). */
void place__milp_row_add_x(struct milp *m, size_t v, size_t h, double coef)
{
    size_t k = v * m->p->cluster->n_hosts + h;
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
        place__milp_row_add(m, (int)j + 1, coef);
}

/* Add coef * (utilisation reserved on host h) = sum vcpus U y[., h, .]. */
void place__milp_row_add_util(struct milp *m, size_t h, double coef)
{
    size_t H = m->p->cluster->n_hosts;
    for (size_t v = 0; v < m->p->n_services; v++) {
        const struct place_service *s = &m->p->services[v];
        for (size_t j = m->ys[v * H + h];
             j < m->ys[v * H + h] + m->yn[v * H + h]; j++)
            place__milp_row_add(m, (int)j + 1,
                                coef * s->vcpus *
                                    s->menu[h]->v[m->y[j].m].utilization);
    }
}

/* Finish the row under construction with bounds (GLP_UP, GLP_LO, ...).
 * Coefficients of a repeated column are summed, as GLPK requires, through
 * `slot` (per column: its position in the row, 0 when absent). */
static void row_end(struct milp *m, int type, double lb, double ub, bool unit);

void place__milp_row_end(struct milp *m, int type, double lb, double ub)
{
    row_end(m, type, lb, ub, false);
}

/* A capacity row (bytes, bit/s) divided by its largest coefficient: GLPK's
 * branch and bound, even with its own scaling, pruned the optimum of a
 * model whose memory rows held 2^31 beside the 0/1 rows (a plan of cost
 * 34 returned as proven where 32 existed). */
void place__milp_row_end_cap(struct milp *m, int type, double lb, double ub)
{
    row_end(m, type, lb, ub, true);
}

static void row_end(struct milp *m, int type, double lb, double ub, bool unit)
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
    double big = 0;
    for (size_t i = 1; unit && i <= n; i++)
        big = fmax(big, fabs(m->val[i]));
    if (big > 0) {
        for (size_t i = 1; i <= n; i++)
            m->val[i] /= big;
        lb /= big;
        ub /= big;
    }
    int row = glp_add_rows(m->lp, 1);
    glp_set_row_bnds(m->lp, row, type, lb, ub);
    if (n)
        glp_set_mat_row(m->lp, row, (int)n, m->ind, m->val);
    m->len = 0;
}

int place__milp_add_col(struct milp *m, int kind, double lb, double ub,
                        double obj)
{
    int c = glp_add_cols(m->lp, 1);
    glp_set_col_kind(m->lp, c, kind);
    glp_set_col_bnds(
        m->lp, c, lb == ub ? GLP_FX : (ub >= 1e30 ? GLP_LO : GLP_DB), lb, ub);
    glp_set_obj_coef(m->lp, c, obj);
    return c;
}

/* ---- candidates ---------------------------------------------------------- */

double place__milp_core_free(const struct place_host *h, int c)
{
    double used = h->used ? h->used[c] : 0;
    return h->core_capacity - used;
}

double place__milp_host_free(const struct place_host *h)
{
    double f = 0;
    for (int c = 0; c < h->cores; c++)
        f += fmax(0, place__milp_core_free(h, c));
    return f;
}

double place__milp_host_mem_free(const struct place_host *h)
{
    if (h->mem_bytes == PLACE_UNLIMITED)
        return INFINITY;
    return h->mem_used_bytes > h->mem_bytes
               ? 0
               : (double)(h->mem_bytes - h->mem_used_bytes);
}

/* The vcpus-th largest free capacity of h's cores (-1 when it has fewer
 * cores): an item of utilisation u fits vcpus cores of h exactly when
 * u <= it + 1e-9.  Found once per service and host, not once per item
 * (the count per item was 40 % of a greedy decision on 128 hosts). */
static double kth_free(const struct place_host *h, int vcpus)
{
    if (vcpus < 1)
        vcpus = 1;
    if (h->cores < vcpus)
        return -1;
    double best[8];
    int k = vcpus <= 8 ? vcpus : 0;
    if (k == 0) {
        /* many vCPUs: count, per distinct candidate, the cores at least
         * as free (rare; cores x cores) */
        double kth = -1;
        for (int c = 0; c < h->cores; c++) {
            double f = place__milp_core_free(h, c);
            int n = 0;
            for (int d = 0; d < h->cores; d++)
                n += place__milp_core_free(h, d) >= f;
            if (n >= vcpus && f > kth)
                kth = f;
        }
        return kth;
    }
    /* the k largest, kept sorted (descending) */
    int n = 0;
    for (int c = 0; c < h->cores; c++) {
        double f = place__milp_core_free(h, c);
        if (n == k && f <= best[k - 1])
            continue;
        int i = n < k ? n++ : k - 1;
        while (i > 0 && best[i - 1] < f) {
            best[i] = best[i - 1];
            i--;
        }
        best[i] = f;
    }
    return best[k - 1];
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

/* kth: kth_free() of v's host for v's vCPUs. */
static bool item_allowed(const struct milp *m, size_t v, double kth,
                         const struct sched_menu_item *it)
{
    if (!(m->relax & FAM_CPU) && !(it->utilization <= kth + 1e-9))
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
 * The workflow is a DAG: longest paths in topological order (dag.c). */
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
        /* (hosts of a class share a menu: each run of one is read once;
         * reading every host's was half of first fit's model on 128) */
        const struct sched_menu *last = NULL;
        for (size_t h = 0; h < H; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            if (menu == last)
                continue;
            last = menu;
            for (size_t k = 0; menu && k < menu->n; k++)
                if (!probability_on(m) ||
                    menu->v[k].phi >= p->probability - SCHED_PROB_TOL)
                    lo = menu->v[k].deadline_ns < lo ? menu->v[k].deadline_ns
                                                     : lo;
        }
        least[E + v] = lo == UINT64_MAX ? 0 : lo;
    }
    int rc = place_longest_paths(p, least, head, tail);
    for (size_t v = 0; rc == 0 && v < p->n_services; v++) {
        uint64_t used = head[E + v] + tail[E + v];
        m->dcap[v] = p->deadline_ns > used ? p->deadline_ns - used : 0;
    }
    free(least);
    free(head);
    free(tail);
    return rc;
}

bool place__milp_item_ok(const struct milp *m, size_t v,
                         const struct sched_menu_item *it)
{
    return item_allowed(m, v, INFINITY, it);
}

bool place__milp_candidate(const struct milp *m, size_t v, size_t h)
{
    return m->yn[v * m->p->cluster->n_hosts + h] > 0;
}

double place__milp_least_util(const struct milp *m, size_t v)
{
    const struct place_service *s = &m->p->services[v];
    size_t H = m->p->cluster->n_hosts;
    double least = INFINITY;
    for (size_t h = 0; h < H; h++)
        for (size_t j = m->ys[v * H + h];
             j < m->ys[v * H + h] + m->yn[v * H + h]; j++)
            least = fmin(least, s->menu[h]->v[m->y[j].m].utilization);
    return least;
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

/* The candidate columns: (service, host, item) that the rules, memory,
 * cores, deadline and probability leave.  GLPK columns come later
 * (add_y_cols), after pruning may have dropped some. */
static int build_y(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, V = p->n_services;
    m->ys = calloc(V * H + 1, sizeof *m->ys);
    m->yn = calloc(V * H + 1, sizeof *m->yn);
    m->kth = malloc((V * H + 1) * sizeof *m->kth);
    size_t cap = 0;
    for (size_t v = 0; v < V; v++)
        for (size_t h = 0; h < H; h++)
            cap += p->services[v].menu[h] ? p->services[v].menu[h]->n : 0;
    /* (GOAL_FIT lists no columns: see below) */
    m->y = malloc((cap && m->goal != GOAL_FIT ? cap : 1) * sizeof *m->y);
    if (!m->ys || !m->yn || !m->y || !m->kth)
        return PLC_ENOMEM;
    /* hosts of one class share a menu: the items its deadline and
     * probability allow (item_allowed without the CPU) are listed once
     * per menu, in order, and each host then only checks their CPU */
    size_t *ok = malloc((cap ? cap : 1) * sizeof *ok);
    /* (each host's kth_free for a number of vCPUs, found once for all
     * the services with that many: a third of the model otherwise) */
    double *kv = malloc((H + 1) * sizeof *kv);
    int kv_for = -1;
    const struct sched_menu *last = NULL;
    size_t n_ok = 0;
    /* (GOAL_FIT: whether any column fits, from the least utilisation of
     * the menu's allowed items; listing them all was a quarter of first
     * fit's model on 128 hosts) */
    bool listed = m->goal != GOAL_FIT;
    double least_ok = INFINITY;
    if (!ok || !kv) {
        free(ok);
        free(kv);
        return PLC_ENOMEM;
    }
    for (size_t v = 0; v < V; v++) {
        if (v % 16 == 0 && place__expired(p)) {
            free(ok);
            free(kv);
            return PLC_ETIMEDOUT;
        }
        last = NULL;
        if (p->services[v].vcpus != kv_for) {
            kv_for = p->services[v].vcpus;
            for (size_t h = 0; h < H; h++)
                kv[h] = kth_free(&p->cluster->hosts[h], kv_for);
        }
        for (size_t h = 0; h < H; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            m->ys[v * H + h] = m->ny;
            m->kth[v * H + h] = -INFINITY;
            if (!menu || !host_allowed(m, v, h))
                continue;
            if (menu != last) {
                n_ok = 0;
                least_ok = INFINITY;
                for (size_t k = 0; k < menu->n; k++)
                    if (item_allowed(m, v, INFINITY, &menu->v[k])) {
                        ok[n_ok++] = k;
                        least_ok = fmin(least_ok, menu->v[k].utilization);
                    }
                last = menu;
            }
            double kth = kv[h];
            m->kth[v * H + h] = kth;
            bool cpu = !(m->relax & FAM_CPU);
            if (!listed) {
                m->yn[v * H + h] =
                    n_ok > 0 && (!cpu || least_ok <= kth + 1e-9) ? 1 : 0;
                continue;
            }
            for (size_t i = 0; i < n_ok; i++)
                if (!cpu || menu->v[ok[i]].utilization <= kth + 1e-9)
                    m->y[m->ny++] = (struct ycol){v, h, ok[i]};
            m->yn[v * H + h] = m->ny - m->ys[v * H + h];
        }
    }
    free(ok);
    free(kv);
    return 0;
}

static void add_y_cols(struct milp *m)
{
    for (size_t j = 0; j < m->ny; j++) {
        const struct ycol *y = &m->y[j];
        place__milp_add_col(
            m, GLP_BV, 0, 1,
            item_obj(m, y->v, y->h, &m->p->services[y->v].menu[y->h]->v[y->m]));
    }
}

int place__milp_prune(struct milp *m, double ub, size_t *removed)
{
    *removed = 0;
    if (!m->has_dp || m->lp)
        return 0;
    bool *keep = malloc((m->ny + 1) * sizeof *keep);
    if (!keep)
        return PLC_ENOMEM;
    int rc = place__dp_prune(m, ub, keep);
    if (rc != 0) {
        free(keep);
        return rc == PLC_ENOMEM ? rc : 0;
    }
    *removed = place__milp_keep(m, keep);
    free(keep);
    return 0;
}

size_t place__milp_keep(struct milp *m, const bool *keep)
{
    size_t H = m->p->cluster->n_hosts, n = 0;
    free(m->kth); /* (the columns are no longer what it says) */
    m->kth = NULL;
    for (size_t k = 0; k < m->p->n_services * H; k++) {
        size_t first = n;
        for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++)
            if (keep[j])
                m->y[n++] = m->y[j];
        m->ys[k] = first;
        m->yn[k] = n - first;
    }
    size_t removed = m->ny - n;
    m->ny = n;
    return removed;
}

/* Per-host rows: assignment, CPU, memory, anti-affinity, affinity. */
static int build_host_rows(struct milp *m)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, V = p->n_services;
    for (size_t v = 0; v < V; v++) {
        for (size_t h = 0; h < H; h++)
            place__milp_row_add_x(m, v, h, 1);
        if (m->len == 0)
            return PLC_EDATA; /* no candidate at all: explained by caller */
        place__milp_row_end(m, GLP_FX, 1, 1);
    }
    for (size_t h = 0; h < H && !(m->relax & FAM_CPU); h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        double free_cpu = place__milp_host_free(ho);
        place__milp_row_add_util(m, h, 1.0);
        if (m->len)
            place__milp_row_end(m, GLP_UP, 0, free_cpu + 1e-9);
    }
    for (size_t h = 0; h < H && !(m->relax & FAM_MEMORY); h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        if (ho->mem_bytes == PLACE_UNLIMITED)
            continue;
        for (size_t v = 0; v < V; v++)
            place__milp_row_add_x(m, v, h, (double)p->services[v].mem_bytes);
        if (m->len)
            place__milp_row_end_cap(
                m, GLP_UP, 0, (double)(ho->mem_bytes - ho->mem_used_bytes));
    }
    if (m->relax & FAM_RULES)
        return 0;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        for (size_t h = 0; h < H; h++) {
            for (const size_t *s = p->anti_affinity[g]; *s != PLACE_NONE; s++)
                place__milp_row_add_x(m, *s, h, 1);
            if (m->len > 1)
                place__milp_row_end(m, GLP_UP, 0, 1);
            m->len = 0;
        }
    for (size_t g = 0; g < p->n_affinity; g++) {
        const size_t *s = p->affinity[g];
        for (size_t k = 1; s[0] != PLACE_NONE && s[k] != PLACE_NONE; k++)
            for (size_t h = 0; h < H; h++) {
                place__milp_row_add_x(m, s[0], h, 1);
                place__milp_row_add_x(m, s[k], h, -1);
                if (m->len)
                    place__milp_row_end(m, GLP_FX, 0, 0);
            }
    }
    return 0;
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
        place__milp_row_add(m, (int)j + 1,
                            ind ? sched_prob_lambda(it->phi) : 1.0 - it->phi);
    }
    double rhs = ind ? -log(p->probability) : 1.0 - p->probability;
    place__milp_row_end(m, GLP_UP, 0, rhs + SCHED_PROB_TOL);
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
            any = place__milp_candidate(m, v, h);
        if (!any)
            continue;
        const struct place_host *ho = &c->hosts[h];
        bool in_use = ho->mem_used_bytes > 0;
        for (int k = 0; ho->used && k < ho->cores; k++)
            in_use |= ho->used[k] > 0;
        m->o_col[h] = place__milp_add_col(m, GLP_BV, 0, 1,
                                          hosts_obj && !in_use ? 1.0 : 0.0);
        /* o_h >= X_v(h) */
        for (size_t v = 0; v < p->n_services; v++) {
            if (!place__milp_candidate(m, v, h))
                continue;
            place__milp_row_add(m, m->o_col[h], 1);
            place__milp_row_add_x(m, v, h, -1);
            place__milp_row_end(m, GLP_LO, 0, 0);
        }
        /* o_h <= sum_v X_v(h) */
        place__milp_row_add(m, m->o_col[h], 1);
        for (size_t v = 0; v < p->n_services; v++)
            place__milp_row_add_x(m, v, h, -1);
        place__milp_row_end(m, GLP_UP, 0, 0);
        /* for the hosts objective: capacities only exist on a host in use,
         * sum mem X <= free o_h and sum U <= free o_h (the rows above with
         * o_h = 1, and nothing when o_h = 0); they make the relaxation
         * count whole hosts */
        if (!hosts_obj)
            continue;
        if (ho->mem_bytes != PLACE_UNLIMITED && !(m->relax & FAM_MEMORY)) {
            for (size_t v = 0; v < p->n_services; v++)
                place__milp_row_add_x(m, v, h,
                                      (double)p->services[v].mem_bytes);
            place__milp_row_add(m, m->o_col[h],
                                -(double)(ho->mem_bytes - ho->mem_used_bytes));
            place__milp_row_end_cap(m, GLP_UP, 0, 0);
        }
        if (!(m->relax & FAM_CPU)) {
            double free_cpu = 0;
            for (int k = 0; k < ho->cores; k++)
                free_cpu += fmax(0, place__milp_core_free(ho, k));
            place__milp_row_add_util(m, h, 1.0);
            if (m->len) {
                place__milp_row_add(m, m->o_col[h], -free_cpu - 1e-9);
                place__milp_row_end(m, GLP_UP, 0, 0);
            }
        }
    }
    if (m->goal == GOAL_PRIMARY && p->objective == PLACE_OBJ_BALANCE) {
        /* z >= (background + reserved) / cores on every host: the highest
         * average core load, a lower bound of the highest core load */
        m->z_col = place__milp_add_col(m, GLP_CV, 0, 1e30, 1);
        for (size_t h = 0; h < H; h++) {
            const struct place_host *ho = &c->hosts[h];
            double bg = 0;
            for (int k = 0; ho->used && k < ho->cores; k++)
                bg += ho->used[k];
            place__milp_row_add_util(m, h, 1.0 / ho->cores);
            place__milp_row_add(m, m->z_col, -1);
            place__milp_row_end(m, GLP_UP, 0, -bg / ho->cores);
        }
    }
    return 0;
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
            place__milp_candidate(m, v, a) != place__milp_candidate(m, v, b) ||
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
            place__milp_row_add(m, m->o_col[a], 1);
            place__milp_row_add(m, m->o_col[b], -1);
            place__milp_row_end(m, GLP_LO, 0, 0);
            break;
        }
    }
}

int place__milp_prepare(struct milp *m, const struct place_problem *p,
                        const struct routes *r, unsigned relax,
                        enum milp_goal goal)
{
    int rc = place__milp_prepare_columns(m, p, r, relax, goal);
    return rc == 0 ? place__milp_dp(m) : rc;
}

int place__milp_prepare_columns(struct milp *m, const struct place_problem *p,
                                const struct routes *r, unsigned relax,
                                enum milp_goal goal)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->r = r;
    m->relax = relax;
    m->goal = goal;
    m->single_location = p->cluster->n_links == 0;
    /* D of the port rows b + r D: a flow is shaped at its source, so the
     * delay it has met before any port of one traversal is at most its
     * route's delay, and every route's delay (with each port's bound
     * delta) is at most the longest route's (plus the access arcs) */
    m->nc_delay_ns = 0;
    /* (only ports with a buffer use it: without any, no route is needed) */
    bool buffers = false;
    for (size_t l = 0; l < p->cluster->n_links && !buffers; l++)
        buffers = p->cluster->links[l].buffer_bytes > 0;
    if (buffers)
        m->nc_delay_ns = place__routes_longest(r);
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
    for (size_t v = 0; rc == 0 && v < p->n_services; v++) {
        size_t n = 0, H = p->cluster->n_hosts;
        for (size_t h = 0; h < H; h++)
            n += m->yn[v * H + h];
        if (n == 0)
            rc = PLC_EDATA; /* no candidate at all: explained by caller */
    }
    return rc;
}

int place__milp_dp(struct milp *m)
{
    const struct place_problem *p = m->p;
    int rc = 0;
    if (m->dp_done)
        return 0;
    m->dp_done = true;
    if (m->goal == GOAL_PRIMARY && m->relax == 0) {
        /* a valid lower bound of the utilisation (bound.c): a row of the
         * model, the first try of the heuristic, and the pruning; and for
         * every objective, when even its relaxation has no solution, the
         * proof that no plan exists */
        m->dp_choice = malloc((p->n_services + 1) * sizeof *m->dp_choice);
        double lb = 0;
        int b = m->dp_choice ? place__dp_bound(m, 0, &lb, m->dp_choice,
                                               &m->forced_bw, &m->dp_by_milp)
                             : PLC_ENOMEM;
        if (b == PLC_ENOMEM)
            rc = b; /* (out of time: no bound, the rest stops itself) */
        m->dp_infeasible = b == 1;
        m->has_dp = b == 0 && p->objective == PLACE_OBJ_UTILIZATION;
        if (m->has_dp)
            m->dp_lb = lb;
    }
    return rc;
}

int place__milp_finish(struct milp *m)
{
    const struct place_problem *p = m->p;
    double t0 = plc_now_s();
    m->lp = glp_create_prob();
    glp_set_obj_dir(m->lp, GLP_MIN);
    add_y_cols(m);
    /* each family of rows in turn, until the time runs out */
#define FAMILY(call)                                                           \
    if (rc == 0 && place__expired(p))                                          \
        rc = PLC_ETIMEDOUT;                                                    \
    if (rc == 0)                                                               \
    call
    int rc = 0;
    FAMILY(rc = build_host_rows(m));
    FAMILY(rc = place__milp_build_vlinks(m));
    FAMILY(place__milp_build_pair_rows(m));
    FAMILY(rc = place__milp_build_timing(m));
    FAMILY(rc = place__milp_build_link_limits(m));
    FAMILY(rc = place__milp_build_arcs(m));
    FAMILY(build_probability(m));
    FAMILY(rc = build_objective_extras(m));
#undef FAMILY
    if (rc == 0 && m->has_dp) {
        /* sum vcpus U y >= the DP bound: valid (bound.c), and it is what
         * lets the search stop once an incumbent reaches it */
        for (size_t j = 0; j < m->ny; j++) {
            const struct place_service *sv = &p->services[m->y[j].v];
            place__milp_row_add(
                m, (int)j + 1,
                sv->vcpus * sv->menu[m->y[j].h]->v[m->y[j].m].utilization);
        }
        place__milp_row_end(m, GLP_LO, m->dp_lb - 1e-9, 0);
    }
    if (rc == 0 && m->goal == GOAL_PRIMARY) {
        /* the objective of FORMATS.md alone (ties: milp_tiebreak) */
        if (p->objective == PLACE_OBJ_BANDWIDTH)
            place__milp_set_bandwidth_objective(m, 1e-6); /* Mbit/s x hops */
        if (p->objective == PLACE_OBJ_COST)
            place__milp_set_cost_objective(m);
        build_symmetry(m);
    }
    if (rc == 0 && m->oom)
        rc = PLC_ENOMEM;
    if (rc != 0) {
        /* a model cut short (time, memory) is no model: nothing may warm
         * start or solve a problem with rows missing */
        glp_delete_prob(m->lp);
        m->lp = NULL;
    }
    m->build_s = plc_now_s() - t0;
    return rc;
}

int place__milp_build(struct milp *m, const struct place_problem *p,
                      const struct routes *r, unsigned relax,
                      enum milp_goal goal)
{
    int rc = place__milp_prepare(m, p, r, relax, goal);
    return rc == 0 ? place__milp_finish(m) : rc;
}

void place__milp_release(struct milp *m)
{
    if (m->lp)
        glp_delete_prob(m->lp);
    for (size_t i = 0; m->vl && i < m->p->n_vlinks; i++) {
        free(m->vl[i].ga);
        free(m->vl[i].gb);
        free(m->vl[i].c);
        free(m->vl[i].fo);
        free(m->vl[i].fi);
        free(m->vl[i].pa);
        free(m->vl[i].pc);
        free(m->vl[i].q);
    }
    free(m->vl);
    free(m->y);
    free(m->ys);
    free(m->yn);
    free(m->kth);
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
