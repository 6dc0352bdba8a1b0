/*
 * bound.c: a dynamic program over local-deadline budgets that bounds the
 * least total reserved utilisation from below, and the item choice that
 * attains it.
 *
 * Relaxation: drop CPU, memory, bandwidth and placement; take network
 * delays as 0 (they only add); keep, of the deadline rows, a single path
 * P of the DAG (every path's row holds in any plan, so one of them is a
 * relaxation): the one with the largest sum of least local deadlines, or
 * the one with the most network besides (netpath.c), whichever bounds
 * higher; keep the probability row (sum of lambda = -ln phi, or of
 * 1 - phi, at most its budget W); and reduce P's deadline by the least
 * network P takes in any plan: the shortest route between its endpoints
 * when it runs from one to another, the network its services' places
 * force (netpath.c), or one crossing between two hosts when no host can
 * take all of P (see forced_crossing), whichever is most.  What remains is a
 * multiple-choice knapsack with two budgets, min sum vcpus_v U_v   s.t.  sum_{v
 * in P} d_v <= D,  sum_v w_v <= W, solved exactly by dynamic programming over
 * (deadline used, weight used) after rounding every d and w *down* to the grid
 * (g, W/B): rounding down only admits more combinations, so the optimum of the
 * rounded program is still at most that of the real one.  Its value is a valid
 * lower bound of the MILP's optimum (objective "utilization"), added to the
 * model as the row  sum vcpus U y >= bound, which lets GLPK close the gap as
 * soon as an incumbent reaches it.
 *
 * Pruning (dp_prune): with the forward table F_v(s) (least cost of the
 * services before v that use exactly the cells s) and the backward table
 * G_v(r) (least cost of v and the services after it within at most r), the
 * least cost of a relaxed plan in which v takes item x is
 *   min_s F_v(s) + u_x + G_{v+1}(full - s - x).
 * It is a lower bound of the utilisation of every plan of the MILP in
 * which v takes x (same relaxation), so when it exceeds the utilisation UB
 * of a plan already in hand, no plan that uses x is as good as that plan
 * and x can be left out of the model without losing the optimum or any
 * plan that ties with it (the tie-breaks still see all of those).
 */
#include "plc/num.h"
#include "internal.h"
#include "plc/error.h"
#include "sched/prob.h"
#include "plc/clock.h"

#include <glpk.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DL 600      /* deadline cells */
#define MAX_W 1000      /* probability-weight cells */
#define MIN_W 60        /* ... at least, whatever the deadline cells */
#define MAX_CELLS 60000 /* deadline x weight cells (time and memory) */

struct cand {
    double u; /* vcpus x utilisation */
    uint64_t d;
    double w;
    struct sched_menu_item item;
    size_t j; /* its column */
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    if (x->w != y->w)
        return (x->w > y->w) - (x->w < y->w);
    return (x->j > y->j) - (x->j < y->j);
}

/* Distinct (U, d, w) of the items v may take on some host. */
static size_t candidates(const struct milp *m, size_t v, bool ind,
                         struct cand **out)
{
    const struct place_problem *p = m->p;
    /* v's columns are one run of y (build_y, milp_prune keep them so) */
    size_t H = p->cluster->n_hosts;
    size_t lo = H ? m->ys[v * H] : 0,
           hi = H ? m->ys[v * H + H - 1] + m->yn[v * H + H - 1] : 0;
    size_t n = 0;
    struct cand *c = malloc((hi - lo + 1) * sizeof *c);
    if (!c)
        return (size_t)-1;
        /* hosts of one class share a menu: an item met once through a menu
         * needs no second entry (up to SEEN_MENUS menus; others unfiltered),
         * which keeps the sort to items, not hosts x items */
#define SEEN_MENUS 32
    const struct sched_menu *menus[SEEN_MENUS];
    bool *seen[SEEN_MENUS];
    size_t n_menus = 0;
    for (size_t j = lo; j < hi; j++) {
        const struct sched_menu *menu = p->services[v].menu[m->y[j].h];
        size_t k = 0;
        while (k < n_menus && menus[k] != menu)
            k++;
        if (k == n_menus && n_menus < SEEN_MENUS &&
            (seen[k] = calloc(menu->n + 1, sizeof *seen[k])) != NULL)
            menus[n_menus++] = menu;
        if (k < n_menus) {
            if (seen[k][m->y[j].m])
                continue;
            seen[k][m->y[j].m] = true;
        }
        const struct sched_menu_item *it = &menu->v[m->y[j].m];
        c[n++] = (struct cand){
            p->services[v].vcpus * it->utilization, it->deadline_ns,
            ind ? sched_prob_lambda(it->phi) : 1.0 - it->phi, *it, j};
    }
    for (size_t k = 0; k < n_menus; k++)
        free(seen[k]);
#undef SEEN_MENUS
    /* distinct (U, d, w): the first column of each */
    qsort(c, n, sizeof *c, cmp_cand);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || c[k - 1].u != c[i].u || c[k - 1].d != c[i].d ||
            c[k - 1].w != c[i].w)
            c[k++] = c[i];
    *out = c;
    return k;
}

/* The path with the largest sum of least local deadlines: its nodes in
 * order into seq, *n of them. */
static int critical_path(const struct milp *m, const uint64_t *least,
                         size_t *seq, size_t *n)
{
    const struct place_problem *p = m->p;
    size_t E = p->n_endpoints, N = E + p->n_services;
    uint64_t *head = calloc(N + 1, sizeof *head);
    size_t *via = malloc((N + 1) * sizeof *via);
    if (!head || !via) {
        free(head);
        free(via);
        return PLC_ENOMEM;
    }
    for (size_t v = 0; v < N; v++) {
        head[v] = v >= E ? least[v - E] : 0;
        via[v] = PLACE_NONE;
    }
    size_t *pos = malloc((N + 1) * sizeof *pos), *start = NULL, *out = NULL;
    size_t *order = pos ? place__topo_order(p, pos) : NULL;
    int rc = order ? place__dag_adj(p, false, &start, &out) : PLC_ENOMEM;
    for (size_t k = 0; rc == 0 && k < N; k++) {
        size_t a = order[k];
        for (size_t j = start[a]; j < start[a + 1]; j++) {
            size_t b = p->vlinks[out[j]].to;
            uint64_t add = b >= E ? least[b - E] : 0;
            /* on a tie a path that starts at an endpoint wins: the
             * network between two endpoints is then counted below */
            if (head[a] + add > head[b] ||
                (head[a] + add == head[b] && a < E && via[b] == PLACE_NONE)) {
                head[b] = head[a] + add;
                via[b] = a;
            }
        }
    }
    free(pos);
    free(order);
    free(start);
    free(out);
    if (rc < 0) {
        free(head);
        free(via);
        return rc;
    }
    size_t end = 0;
    for (size_t v = 1; v < N; v++)
        if (head[v] > head[end])
            end = v;
    *n = 0;
    for (size_t v = end, k = 0; v != PLACE_NONE && k < N; v = via[v], k++)
        seq[(*n)++] = v;
    for (size_t i = 0; i < *n / 2; i++) {
        size_t t = seq[i];
        seq[i] = seq[*n - 1 - i];
        seq[*n - 1 - i] = t;
    }
    free(head);
    free(via);
    return 0;
}

/* The rounded program: candidates per service, the grid, the path. */
struct dp {
    size_t V;
    struct cand **c;
    size_t *nc;
    bool *on; /* on the critical path: its d counts */
    uint64_t g;
    double W;
    size_t DN, WN, S; /* cells: (DN + 1) x (WN + 1) = S */
};

static void dp_free(struct dp *x)
{
    for (size_t v = 0; x->c && v < x->V; v++)
        free(x->c[v]);
    free(x->c);
    free(x->nc);
    free(x->on);
    memset(x, 0, sizeof *x);
}

/* Cells of candidate k of v, as one offset into the state space. */
static size_t dp_step(const struct dp *x, size_t v, size_t k)
{
    const struct cand *c = &x->c[v][k];
    size_t du = x->on[v] && x->DN ? (size_t)(c->d / x->g) : 0;
    size_t wu = x->WN ? (size_t)floor(c->w / (x->W / (double)x->WN)) : 0;
    if (du > x->DN || wu > x->WN)
        return SIZE_MAX;
    return du * (x->WN + 1) + wu;
}

/* The cells s that leave room for step t (componentwise): for each
 * deadline row d with d + t's deadline cells <= DN, the weights from 0 to
 * WN - t's weight cells; *n per row, the rows' first cells at stride
 * WN + 1.  (Divisions per cell cost the DP and the pruning two thirds of
 * their time.) */
static size_t dp_rows(const struct dp *x, size_t t, size_t *n)
{
    size_t td = t / (x->WN + 1), tw = t % (x->WN + 1);
    *n = x->WN - tw + 1;
    return x->DN - td + 1;
}

/* The grid for deadline D less the network `net`: the items' common step,
 * or coarser (rounding down, see above) when that makes too many cells;
 * the finer the weight grid, the less rounding down gives away (at most
 * W / WN per service). */
static void dp_grid(struct dp *x, const struct place_problem *p, uint64_t D,
                    uint64_t net, bool with_w)
{
    if (D != PLACE_UNLIMITED)
        D = D > net ? D - net : 0;
    x->g = 0;
    x->DN = x->WN = 0;
    for (size_t v = 0; v < x->V; v++)
        for (size_t k = 0; x->on[v] && k < x->nc[v]; k++)
            x->g = plc_gcd64(x->g, x->c[v][k].d);
    if (p->deadline_ns != PLACE_UNLIMITED) {
        if (x->g == 0)
            x->g = 1;
        if (D / x->g > MAX_DL)
            x->g = D / MAX_DL + 1;
        x->DN = (size_t)(D / x->g);
    }
    if (with_w) {
        x->WN = MAX_CELLS / (x->DN + 1);
        x->WN = x->WN > MAX_W ? MAX_W : x->WN < MIN_W ? MIN_W : x->WN;
    }
    x->S = (x->DN + 1) * (x->WN + 1);
}

/* The least cost of the services `only` marks (all when NULL) on the
 * grid: 0 and *lb, 1 when no combination fits, or an error.  With `pick`
 * (V x S), the item each service took at each cell, and *cell the best
 * final cell. */
static int dp_solve(const struct milp *m, const struct dp *x, const bool *only,
                    double *lb, unsigned short *pick, size_t *cell)
{
    size_t S = x->S;
    double *cost = malloc(S * sizeof *cost), *next = malloc(S * sizeof *next);
    int rc = cost && next ? 0 : PLC_ENOMEM;
    for (size_t s = 0; rc == 0 && s < S; s++)
        cost[s] = INFINITY;
    if (rc == 0)
        cost[0] = 0;
    for (size_t v = 0; rc == 0 && v < x->V; v++) {
        if (only && !only[v])
            continue;
        if (place__expired(m->p)) {
            rc = PLC_ETIMEDOUT;
            break;
        }
        for (size_t s = 0; s < S; s++)
            next[s] = INFINITY;
        for (size_t k = 0; k < x->nc[v] && k < 65535; k++) {
            size_t step = dp_step(x, v, k);
            if (step == SIZE_MAX)
                continue;
            double u = x->c[v][k].u;
            size_t nw, nd = dp_rows(x, step, &nw);
            for (size_t d = 0; d < nd; d++)
                for (size_t s = d * (x->WN + 1), e = s + nw; s < e; s++) {
                    if (cost[s] == INFINITY || cost[s] + u >= next[s + step])
                        continue;
                    next[s + step] = cost[s] + u;
                    if (pick)
                        pick[v * S + s + step] = (unsigned short)k;
                }
        }
        double *tmp = cost;
        cost = next;
        next = tmp;
    }
    if (rc == 0) {
        size_t best = 0;
        for (size_t s = 1; s < S; s++)
            if (cost[s] < cost[best])
                best = s;
        if (cost[best] == INFINITY) {
            rc = 1;
        } else {
            *lb = cost[best];
            if (cell)
                *cell = best;
        }
    }
    free(cost);
    free(next);
    return rc;
}

/* The least delay of any route between two distinct hosts: it leaves its
 * first host by one of that host's arcs and enters the last by one of its
 * own (the same arc when they are linked directly). */
static uint64_t least_host_pair_delay(const struct milp *m)
{
    const struct place_cluster *c = m->p->cluster;
    size_t H = c->n_hosts;
    /* the two least out-arcs and in-arcs, with their hosts */
    uint64_t out[2] = {PLACE_UNLIMITED, PLACE_UNLIMITED},
             in[2] = {PLACE_UNLIMITED, PLACE_UNLIMITED};
    size_t out_h[2] = {PLACE_NONE, PLACE_NONE},
           in_h[2] = {PLACE_NONE, PLACE_NONE};
    uint64_t direct = PLACE_UNLIMITED;
    /* per host its least arcs first: a host's arcs count once */
    uint64_t *lo = malloc((2 * H + 1) * sizeof *lo);
    if (!lo)
        return 0; /* no bound: 0 is always valid */
    for (size_t h = 0; h < 2 * H; h++)
        lo[h] = PLACE_UNLIMITED;
    for (size_t l = 0; l < c->n_links; l++)
        for (int dir = 0; dir < 2; dir++) {
            size_t from = dir ? c->links[l].b : c->links[l].a,
                   to = dir ? c->links[l].a : c->links[l].b;
            uint64_t d = m->r->arc_delay[2 * l + (size_t)dir];
            if (from < H && to < H && from != to && d < direct)
                direct = d;
            if (from < H && d < lo[2 * from])
                lo[2 * from] = d;
            if (to < H && d < lo[2 * to + 1])
                lo[2 * to + 1] = d;
        }
    for (size_t h = 0; h < H; h++) {
        for (int w = 0; w < 2; w++) {
            uint64_t d = lo[2 * h + (size_t)w], *best = w ? in : out;
            size_t *who = w ? in_h : out_h;
            if (d < best[0]) {
                best[1] = best[0];
                who[1] = who[0];
                best[0] = d;
                who[0] = h;
            } else if (d < best[1]) {
                best[1] = d;
                who[1] = h;
            }
        }
    }
    free(lo);
    uint64_t two = PLACE_UNLIMITED;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (out_h[i] != PLACE_NONE && in_h[j] != PLACE_NONE &&
                out_h[i] != in_h[j] && out[i] + in[j] < two)
                two = out[i] + in[j];
    uint64_t d = direct < two ? direct : two;
    return d == PLACE_UNLIMITED ? 0 : d;
}

/*
 * A crossing the critical path P cannot avoid.  When no host can take all
 * of P's services, some vlink of P joins two distinct hosts, and its
 * traversal costs at least crossings x (the least route between two
 * distinct hosts + its message time); the least of that over the vlinks
 * between services of P bounds P's network from below.  No host takes
 * all of P when an anti-affinity group holds two of them, or when for
 * every host some service of P has no column there (its pins, zone, a
 * core with room), or their memory exceeds the host's free memory, or the
 * least utilisation P's services need under the deadline (this DP over P
 * alone, network 0) exceeds the host's free CPU.  *cross is 0 when no
 * crossing is forced.
 */
static int forced_crossing(const struct milp *m, const struct dp *x,
                           uint64_t *cross, double *bw)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts, E = p->n_endpoints;
    *cross = 0;
    *bw = 0;
    /* the vlinks between services of P, and their least traversal and
     * least bandwidth x hops (one hop when two hosts are linked directly,
     * else two) */
    uint64_t least = PLACE_UNLIMITED, pair = 0;
    double least_bw = INFINITY;
    bool have_pair = false;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from < E || e->to < E || !x->on[e->from - E] ||
            !x->on[e->to - E] || e->from == e->to)
            continue;
        if (!have_pair) {
            pair = least_host_pair_delay(m);
            have_pair = true;
        }
        uint64_t d = (uint64_t)(e->crossings > 0 ? e->crossings : 0) *
                     (pair + place__message_ns(e));
        if (d < least)
            least = d;
        least_bw = fmin(least_bw, (double)e->rate_bps * (e->duplex ? 2 : 1));
    }
    if (least == PLACE_UNLIMITED || least == 0 || H < 2)
        return 0;
    bool forced = false;
    for (size_t g = 0; g < p->n_anti_affinity && !forced; g++) {
        int n = 0;
        for (const size_t *s = p->anti_affinity[g]; *s != PLACE_NONE; s++)
            n += x->on[*s];
        forced = n >= 2;
    }
    if (!forced) {
        double need = 0;
        int rc = dp_solve(m, x, x->on, &need, NULL, NULL);
        if (rc != 0)
            return rc == 1 ? 0 : rc; /* infeasible: the full DP says so */
        uint64_t mem = 0;
        for (size_t v = 0; v < V; v++)
            if (x->on[v])
                mem += p->services[v].mem_bytes;
        forced = true;
        for (size_t h = 0; h < H && forced; h++) {
            const struct place_host *o = &c->hosts[h];
            bool all = true;
            for (size_t v = 0; v < V && all; v++)
                all = !x->on[v] || m->yn[v * H + h] > 0;
            if (!all)
                continue;
            if (o->mem_bytes != PLACE_UNLIMITED &&
                mem + o->mem_used_bytes > o->mem_bytes)
                continue;
            double free_cpu = place__milp_host_free(o);
            if (need > free_cpu + 1e-9 * fmax(1, free_cpu))
                continue;
            forced = false; /* h could take all of P */
        }
    }
    if (forced) {
        *cross = least;
        bool direct = false;
        for (size_t l = 0; l < c->n_links && !direct; l++)
            direct = c->links[l].a < H && c->links[l].b < H &&
                     c->links[l].a != c->links[l].b;
        *bw = least_bw * (direct ? 1 : 2);
    }
    return 0;
}

/* The DP over path seq (n nodes; none: no deadline) with what its
 * network takes at least off the deadline: the route between its
 * endpoints when it runs from one to another, the network its places
 * force (netpath.c), a crossing it cannot avoid (forced_crossing); each
 * is a lower bound of the path's network, so the largest is (their sum
 * need not be).  *bw: the forced crossing's bandwidth.  0 or an error. */
static int path_grid(const struct milp *m, const struct place_net *places,
                     struct dp *x, const size_t *seq, size_t n,
                     uint64_t slack_ns, bool with_w, double *bw)
{
    const struct place_problem *p = m->p;
    size_t E = p->n_endpoints;
    for (size_t v = 0; v < x->V; v++)
        x->on[v] = false;
    for (size_t i = 0; i < n; i++)
        if (seq[i] >= E)
            x->on[seq[i] - E] = true;
    *bw = 0;
    uint64_t D = p->deadline_ns, net = 0, jit;
    if (n && D != PLACE_UNLIMITED && seq[0] < E && seq[n - 1] < E &&
        !m->single_location &&
        p->endpoint_node[seq[0]] != p->endpoint_node[seq[n - 1]])
        place__routes_between(m->r, 0, p->endpoint_node[seq[0]],
                              p->endpoint_node[seq[n - 1]], &net, &jit);
    uint64_t forced = 0, cross = 0;
    int rc = n && D != PLACE_UNLIMITED
                 ? place__path_net(places, seq, n, &forced)
                 : 0;
    if (forced > net)
        net = forced;
    dp_grid(x, p, D, net + slack_ns, with_w);
    if (rc == 0 && D != PLACE_UNLIMITED && !m->single_location)
        rc = forced_crossing(m, x, &cross, bw);
    if (rc == 0 && cross > net)
        dp_grid(x, p, D, cross + slack_ns, with_w);
    return rc;
}

static int dp_setup(const struct milp *m, uint64_t slack_ns, struct dp *x,
                    double *forced_bw)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    memset(x, 0, sizeof *x);
    x->V = V;
    bool ind = p->prob_model == PLACE_PROB_INDEPENDENT;
    bool with_w = p->deadline_ns != PLACE_UNLIMITED && p->probability < 1;
    x->W = !with_w ? 0 : ind ? -log(p->probability) : 1 - p->probability;
    x->W += SCHED_PROB_TOL;
    x->c = calloc(V + 1, sizeof *x->c);
    x->nc = calloc(V + 1, sizeof *x->nc);
    x->on = calloc(V + 1, sizeof *x->on);
    uint64_t *least = calloc(V + 1, sizeof *least);
    int rc = (!x->c || !x->nc || !least || !x->on) ? PLC_ENOMEM : 0;
    for (size_t v = 0; rc == 0 && v < V; v++) {
        x->nc[v] = candidates(m, v, ind, &x->c[v]);
        if (x->nc[v] == (size_t)-1) {
            x->nc[v] = 0;
            rc = PLC_ENOMEM;
        } else if (x->nc[v] == 0) {
            rc = PLC_EDATA; /* no item at all: nothing to bound */
        } else {
            least[v] = x->c[v][0].d; /* sorted by d */
        }
    }
    size_t N = p->n_endpoints + V, n1 = 0, n2 = 0;
    size_t *seq = malloc((2 * N + 1) * sizeof *seq);
    if (rc == 0 && !seq)
        rc = PLC_ENOMEM;
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED)
        rc = critical_path(m, least, seq, &n1);
    /* the network the places force (netpath.c), and the path with the
     * most of it besides */
    struct place_net *net = NULL;
    if (rc == 0 && n1)
        rc = place__net_new(m, p->n_vlinks + 2 * N, &net);
    if (rc == 0 && net)
        rc = place__net_critical_path(net, least, seq + N, &n2);
    free(least);
    bool two = n2 && !(n1 == n2 && memcmp(seq, seq + N, n1 * sizeof *seq) == 0);
    double bw = 0;
    if (rc == 0)
        rc = path_grid(m, net, x, seq, n1, slack_ns, with_w, &bw);
    if (rc == 0 && two) {
        /* the DP on both paths; the one that bounds higher is kept */
        double lb1 = INFINITY, lb2 = INFINITY, bw2 = 0;
        int r1 = dp_solve(m, x, NULL, &lb1, NULL, NULL), r2 = r1;
        if (r1 >= 0 && (rc = path_grid(m, net, x, seq + N, n2, slack_ns, with_w,
                                       &bw2)) == 0)
            r2 = dp_solve(m, x, NULL, &lb2, NULL, NULL);
        if (rc == 0 && r2 < 0)
            rc = r2;
        /* "no combination fits" (1) is the strongest answer */
        bool second = rc == 0 && r1 != 1 && (r2 == 1 || lb2 > lb1);
        if (second)
            bw = bw2;
        else if (rc == 0)
            rc = path_grid(m, net, x, seq, n1, slack_ns, with_w, &bw);
    }
    place__net_free(net);
    free(seq);
    if (forced_bw)
        *forced_bw = bw;
    if (rc != 0)
        dp_free(x);
    return rc;
}

/*
 * The series-parallel bound.  On a workflow that is not a chain the path
 * DP above keeps the deadline of one path only: the other branches of a
 * fork/join take their cheapest items as if they had the whole deadline
 * to themselves.  When the workflow's graph is series-parallel (fork/join,
 * nested, chains of those), every path's deadline row can be kept at once:
 * with f_X(T) the least cost of part X within T grid steps, a service is
 * its cheapest item of at most T steps, X then Y is the min-plus
 * convolution  min_t f_X(t) + f_Y(T - t), and X beside Y is f_X(T) +
 * f_Y(T) (both must fit in T).  The probability row enters through a
 * Lagrange multiplier: for any lambda >= 0,
 *   min sum (u + lambda w) over items meeting every path - lambda W
 * is at most the utilisation of every plan (weak duality), so the best of
 * a few lambdas is a valid bound.  Deadlines are rounded down to the grid
 * (a relaxation, as above) and network delays taken as 0.
 */
#define SP_MAX_DL 256       /* deadline cells */
#define SP_MAX_SERVICES 600 /* larger workflows keep the path bound */
#define SP_LAMBDAS 14       /* evaluations of the dual function */
#define SP_WORK 2e7         /* about the most cell operations in all */

/* SP_DELAY: a vlink, taking its least network (a constant) or nothing */
enum sp_kind { SP_EMPTY, SP_LEAF, SP_SERIES, SP_PARALLEL, SP_DELAY };

struct sp_expr {
    enum sp_kind kind;
    size_t a, b;       /* children (series, parallel), the service (leaf) or the
                          vlink (delay) */
    double *f;         /* f(T), T = 0..DN; freed once its parent has it */
    bool timed;        /* f was computed (NULL: takes no time, costs nothing) */
    unsigned short *k; /* per T: the leaf's item / the series' split */
};

struct sp_edge {
    size_t tail, head, expr;
    bool dead;
};

struct sp {
    struct sp_expr *e;
    size_t ne, cap_e;
    struct sp_edge *ed;
    size_t ned, cap_ed;
    size_t root;
    size_t DN;
    uint64_t g;
    const uint64_t *delay; /* per vlink, or NULL: none */
};

static size_t sp_new_expr(struct sp *t, enum sp_kind kind, size_t a, size_t b)
{
    if (t->ne == t->cap_e) {
        size_t n = t->cap_e ? 2 * t->cap_e : 64;
        struct sp_expr *e = realloc(t->e, n * sizeof *e);
        if (!e)
            return PLACE_NONE;
        t->e = e;
        t->cap_e = n;
    }
    t->e[t->ne] = (struct sp_expr){kind, a, b, NULL, false, NULL};
    return t->ne++;
}

static size_t sp_new_edge(struct sp *t, size_t tail, size_t head, size_t expr)
{
    if (expr == PLACE_NONE)
        return PLACE_NONE;
    if (t->ned == t->cap_ed) {
        size_t n = t->cap_ed ? 2 * t->cap_ed : 64;
        struct sp_edge *e = realloc(t->ed, n * sizeof *e);
        if (!e)
            return PLACE_NONE;
        t->ed = e;
        t->cap_ed = n;
    }
    t->ed[t->ned] = (struct sp_edge){tail, head, expr, false};
    return t->ned++;
}

static void sp_free(struct sp *t)
{
    for (size_t i = 0; i < t->ne; i++) {
        free(t->e[i].f);
        free(t->e[i].k);
    }
    free(t->e);
    free(t->ed);
    memset(t, 0, sizeof *t);
}

/* Decompose: 0 and t->root, 1 when the graph is not series-parallel, or
 * PLC_ENOMEM.  Vertices: node n of the workflow (endpoints, then
 * services) is 2n -> 2n + 1 (its leaf), a vlink u -> v is 2u + 1 -> 2v,
 * and a source 2N and a sink 2N + 1 close the graph. */
static int sp_decompose(const struct place_problem *p, struct sp *t)
{
    size_t E = p->n_endpoints, N = E + p->n_services, X = 2 * N + 2;
    size_t S = 2 * N, T = 2 * N + 1;
    bool *has_in = calloc(N + 1, sizeof *has_in),
         *has_out = calloc(N + 1, sizeof *has_out);
    size_t *deg_in = calloc(X, sizeof *deg_in),
           *deg_out = calloc(X, sizeof *deg_out);
    size_t *queue = malloc((X + 1) * sizeof *queue);
    int rc = has_in && has_out && deg_in && deg_out && queue ? 0 : PLC_ENOMEM;
    for (size_t i = 0; rc == 0 && i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from == e->to)
            continue;
        has_out[e->from] = has_in[e->to] = true;
        if (sp_new_edge(t, 2 * e->from + 1, 2 * e->to,
                        sp_new_expr(t, SP_DELAY, i, 0)) == PLACE_NONE)
            rc = PLC_ENOMEM;
    }
    for (size_t n = 0; rc == 0 && n < N; n++) {
        size_t x = n < E ? sp_new_expr(t, SP_EMPTY, 0, 0)
                         : sp_new_expr(t, SP_LEAF, n - E, 0);
        if (sp_new_edge(t, 2 * n, 2 * n + 1, x) == PLACE_NONE ||
            (!has_in[n] &&
             sp_new_edge(t, S, 2 * n, sp_new_expr(t, SP_EMPTY, 0, 0)) ==
                 PLACE_NONE) ||
            (!has_out[n] &&
             sp_new_edge(t, 2 * n + 1, T, sp_new_expr(t, SP_EMPTY, 0, 0)) ==
                 PLACE_NONE))
            rc = PLC_ENOMEM;
    }
    /* Reduce.  Parallel: two live edges with the same ends become one.
     * Series: a vertex with one edge in and one out is bypassed.  Out-
     * and in-edges are found by scanning the edge list per vertex, which
     * the size cap keeps cheap enough. */
    size_t live = t->ned;
    for (size_t i = 0; rc == 0 && i < t->ned; i++) {
        deg_out[t->ed[i].tail]++;
        deg_in[t->ed[i].head]++;
    }
    bool changed = rc == 0;
    while (changed && rc == 0 && live > 1) {
        changed = false;
        /* parallel: sort-free, by the first live edge of each (tail, head)
         * found among the later ones */
        for (size_t i = 0; i < t->ned && rc == 0; i++) {
            if (t->ed[i].dead)
                continue;
            for (size_t j = i + 1; j < t->ned; j++) {
                if (t->ed[j].dead || t->ed[j].tail != t->ed[i].tail ||
                    t->ed[j].head != t->ed[i].head)
                    continue;
                size_t x =
                    sp_new_expr(t, SP_PARALLEL, t->ed[i].expr, t->ed[j].expr);
                if (x == PLACE_NONE) {
                    rc = PLC_ENOMEM;
                    break;
                }
                t->ed[i].expr = x;
                t->ed[j].dead = true;
                deg_out[t->ed[j].tail]--;
                deg_in[t->ed[j].head]--;
                live--;
                changed = true;
            }
        }
        /* series */
        size_t *in_of = queue; /* per vertex: its one live in-edge */
        for (size_t v = 0; v < X; v++)
            in_of[v] = PLACE_NONE;
        for (size_t i = 0; i < t->ned; i++)
            if (!t->ed[i].dead && deg_in[t->ed[i].head] == 1)
                in_of[t->ed[i].head] = i;
        size_t n_ed = t->ned;
        for (size_t i = 0; i < n_ed && rc == 0; i++) {
            size_t v = t->ed[i].tail;
            if (t->ed[i].dead || v == S || v == T || deg_in[v] != 1 ||
                deg_out[v] != 1 || in_of[v] == PLACE_NONE ||
                t->ed[in_of[v]].dead)
                continue;
            size_t a = in_of[v];
            size_t x = sp_new_expr(t, SP_SERIES, t->ed[a].expr, t->ed[i].expr);
            size_t tail = t->ed[a].tail, head = t->ed[i].head;
            size_t ne = sp_new_edge(t, tail, head, x);
            if (ne == PLACE_NONE) {
                rc = PLC_ENOMEM;
                break;
            }
            t->ed[a].dead = t->ed[i].dead = true;
            deg_in[v] = deg_out[v] = 0;
            live--;
            if (deg_in[head] == 1)
                in_of[head] = ne;
            changed = true;
        }
    }
    if (rc == 0) {
        rc = 1;
        for (size_t i = 0; i < t->ned; i++)
            if (!t->ed[i].dead && live == 1 && t->ed[i].tail == S &&
                t->ed[i].head == T) {
                t->root = t->ed[i].expr;
                rc = 0;
            }
    }
    free(has_in);
    free(has_out);
    free(deg_in);
    free(deg_out);
    free(queue);
    return rc;
}

/* f of every expression for multiplier lambda (children before parents:
 * ids grow); the root's f kept, the rest freed as they are used. */
static int sp_eval(const struct milp *m, const struct dp *x, struct sp *t,
                   double lambda)
{
    size_t DN = t->DN;
    for (size_t i = 0; i < t->ne; i++) {
        struct sp_expr *e = &t->e[i];
        free(e->f);
        e->f = NULL;
        e->timed = false;
        uint64_t steps =
            e->kind == SP_DELAY && t->delay ? t->delay[e->a] / t->g : 0;
        if (e->kind == SP_EMPTY || (e->kind == SP_DELAY && steps == 0))
            continue;
        if (place__expired(m->p))
            return PLC_ETIMEDOUT;
        e->f = malloc((DN + 1) * sizeof *e->f);
        if (!e->k)
            e->k = malloc((DN + 1) * sizeof *e->k);
        if (!e->f || !e->k)
            return PLC_ENOMEM;
        for (size_t T = 0; T <= DN; T++) {
            e->f[T] = INFINITY;
            e->k[T] = USHRT_MAX;
        }
        e->timed = true;
        if (e->kind == SP_DELAY) {
            /* rounded down, as the items' deadlines: a relaxation */
            for (size_t T = steps; T <= DN; T++)
                e->f[T] = 0;
            continue;
        }
        if (e->kind == SP_LEAF) {
            size_t v = e->a;
            for (size_t k = 0; k < x->nc[v] && k < USHRT_MAX; k++) {
                uint64_t cells = x->c[v][k].d / t->g;
                double cost = x->c[v][k].u + lambda * x->c[v][k].w;
                for (size_t T = cells; T <= DN; T++)
                    if (cost < e->f[T]) {
                        e->f[T] = cost;
                        e->k[T] = (unsigned short)k;
                    }
            }
            continue;
        }
        const struct sp_expr *a = &t->e[e->a], *b = &t->e[e->b];
        for (size_t T = 0; T <= DN; T++) {
            if (e->kind == SP_PARALLEL) {
                e->f[T] = (a->f ? a->f[T] : 0) + (b->f ? b->f[T] : 0);
                continue;
            }
            if (!a->f || !b->f) { /* in series with an empty part */
                e->f[T] = a->f ? a->f[T] : b->f ? b->f[T] : 0;
                continue;
            }
            for (size_t s = 0; s <= T; s++)
                if (a->f[s] + b->f[T - s] < e->f[T]) {
                    e->f[T] = a->f[s] + b->f[T - s];
                    e->k[T] = (unsigned short)s;
                }
        }
        free(t->e[e->a].f);
        t->e[e->a].f = NULL;
        free(t->e[e->b].f);
        t->e[e->b].f = NULL;
    }
    return 0;
}

/* The items of the solution at the root's T, into item[v]; returns the
 * weight they use. */
static double sp_walk(const struct sp *t, const struct dp *x, size_t root,
                      size_t T, size_t *item)
{
    /* an explicit stack of (expression, T) */
    size_t *st = malloc((2 * t->ne + 2) * sizeof *st), n = 0;
    double w = 0;
    if (!st)
        return INFINITY;
    st[n++] = root;
    st[n++] = T;
    while (n) {
        size_t T1 = st[--n], i = st[--n];
        const struct sp_expr *e = &t->e[i];
        switch (e->kind) {
        case SP_EMPTY:
        case SP_DELAY:
            break;
        case SP_LEAF:
            item[e->a] = e->k[T1];
            if (e->k[T1] != USHRT_MAX)
                w += x->c[e->a][e->k[T1]].w;
            break;
        case SP_PARALLEL:
            st[n++] = e->a;
            st[n++] = T1;
            st[n++] = e->b;
            st[n++] = T1;
            break;
        case SP_SERIES: {
            const struct sp_expr *a = &t->e[e->a], *b = &t->e[e->b];
            bool both = a->timed && b->timed;
            /* a part that is empty all through takes no time */
            size_t s = both ? e->k[T1] : T1;
            if (s == USHRT_MAX)
                s = T1;
            st[n++] = e->a;
            st[n++] = !a->timed ? 0 : s;
            st[n++] = e->b;
            st[n++] = !b->timed ? 0 : both ? T1 - s : T1;
            break;
        }
        }
    }
    free(st);
    return w;
}

/* 0 with *lb and choice[], 1 when it does not apply (a chain, not
 * series-parallel, too large), 2 when its relaxation has no solution (no
 * plan exists), or an error. */
static int sp_bound(const struct milp *m, const struct dp *x, uint64_t D,
                    const uint64_t *delay, double *lb,
                    struct sched_menu_item *choice, size_t *idx)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    /* (with delays, from the hub bound, a chain too: the path DP does not
     * know them) */
    if (D == PLACE_UNLIMITED || V > SP_MAX_SERVICES || V < (delay ? 2 : 3))
        return 1;
    /* a chain (every node at most one vlink in and out) is the path DP's */
    size_t N = p->n_endpoints + V;
    unsigned char *din = calloc(N + 1, 1), *dout = calloc(N + 1, 1);
    if (!din || !dout) {
        free(din);
        free(dout);
        return PLC_ENOMEM;
    }
    bool branch = false;
    for (size_t i = 0; i < p->n_vlinks && !branch; i++) {
        branch = ++dout[p->vlinks[i].from] > 1 || ++din[p->vlinks[i].to] > 1;
    }
    free(din);
    free(dout);
    if (!branch && !delay)
        return 1;
    struct sp t;
    memset(&t, 0, sizeof t);
    t.delay = delay;
    int rc = sp_decompose(p, &t);
    /* the grid: every service's items count now */
    for (size_t v = 0; rc == 0 && v < V; v++)
        for (size_t k = 0; k < x->nc[v]; k++)
            t.g = plc_gcd64(t.g, x->c[v][k].d);
    if (rc == 0) {
        if (t.g == 0)
            t.g = 1;
        /* cells: each series step costs DN^2 per multiplier, kept to about
         * SP_WORK in all */
        double cells = sqrt(SP_WORK / ((double)V * SP_LAMBDAS));
        size_t max_dl = cells < 16          ? 16
                        : cells > SP_MAX_DL ? SP_MAX_DL
                                            : (size_t)cells;
        if (D / t.g > max_dl)
            t.g = D / max_dl + 1;
        t.DN = (size_t)(D / t.g);
    }
    size_t *item = rc == 0 ? malloc((V + 1) * sizeof *item) : NULL;
    size_t *best_item = rc == 0 ? malloc((V + 1) * sizeof *best_item) : NULL;
    if (rc == 0 && (!item || !best_item))
        rc = PLC_ENOMEM;
    /* the dual function over lambda: 0 first; if that solution keeps the
     * weight budget it is the relaxation's optimum, else grow lambda until
     * one does, then bisect on the sign of its slope, the weight used
     * less W (the dual function is concave) */
    double best = -INFINITY, lo = 0, hi = 0;
    bool found = false;
    for (int it = 0; rc == 0 && it < SP_LAMBDAS; it++) {
        double lambda;
        if (it == 0)
            lambda = 0;
        else if (hi == 0)
            lambda = it == 1 ? 1.0 : lo * 4; /* growing */
        else
            lambda = (lo + hi) / 2;
        rc = sp_eval(m, x, &t, lambda);
        if (rc != 0)
            break;
        double f = t.e[t.root].f ? t.e[t.root].f[t.DN] : 0;
        if (f == INFINITY) {
            rc = 2; /* no items meet every path: no plan exists */
            break;
        }
        double w = sp_walk(&t, x, t.root, t.DN, item);
        double L = f - lambda * x->W;
        if (L > best) {
            best = L;
            memcpy(best_item, item, V * sizeof *item);
            found = true;
        }
        if (w <= x->W) {
            if (it == 0)
                break; /* lambda 0 keeps the budget: optimal */
            hi = lambda;
        } else {
            lo = lambda;
        }
        if (hi > 0 && hi - lo < 1e-6 * hi)
            break;
    }
    if (rc == 0 && found) {
        *lb = fmax(0, best);
        for (size_t v = 0; choice && v < V; v++)
            if (best_item[v] != USHRT_MAX)
                choice[v] = x->c[v][best_item[v]].item;
        for (size_t v = 0; idx && v < V; v++)
            idx[v] = best_item[v] == USHRT_MAX ? SIZE_MAX : best_item[v];
    } else if (rc == 0) {
        rc = 1;
    }
    free(item);
    free(best_item);
    sp_free(&t);
    return rc;
}

/*
 * The exact relaxation of a DAG's timing.  The series-parallel bound is
 * exact only when its items at multiplier 0 keep the weight budget and
 * its grid is the items' own: otherwise it is below the relaxation's
 * optimum (a fork/join of 6 distinct services: 2.1521 against 2.1561),
 * and a plan at that optimum is not proven by it.  The same relaxation
 * without rounding or multiplier, solved by GLPK (crossing.c,
 * place__timing_milp): its proven optimum is a lower bound of every plan.
 * 0 with *lb and item[] (candidate indices), 1 when not proven in time or
 * too large, 2 when GLPK finds no solution, or an error.
 */
#define EXACT_MAX_COLS 4000
/* at most, and a quarter of the time left: a safety net; the solve's node
 * limit (crossing.c) is what ends it, the same on a busy machine */
#define EXACT_TIME_S 2.0

static int exact_timing(const struct milp *m, const struct dp *x, uint64_t D,
                        const uint64_t *fixed_ns, double *lb, size_t *item)
{
    const struct place_problem *p = m->p;
    size_t V = x->V, n = 0;
    for (size_t v = 0; v < V; v++)
        n += x->nc[v];
    double tl = fmin(EXACT_TIME_S, (place__deadline(p) - plc_now_s()) / 4);
    if (n > EXACT_MAX_COLS)
        return 1;
    struct place_tcol *col = malloc((n + 1) * sizeof *col);
    size_t *pick = malloc((V + 1) * sizeof *pick);
    int rc = col && pick ? 0 : PLC_ENOMEM;
    n = 0;
    for (size_t v = 0; rc == 0 && v < V; v++)
        for (size_t k = 0; k < x->nc[v]; k++)
            col[n++] = (struct place_tcol){
                v, x->c[v][k].u, x->c[v][k].d, x->c[v][k].w, -1, k};
    bool with_w = p->deadline_ns != PLACE_UNLIMITED && p->probability < 1;
    if (rc == 0)
        rc = place__timing_milp(p, col, n, NULL, 0, NULL, fixed_ns, D,
                                with_w ? x->W : INFINITY, tl, lb, pick);
    for (size_t v = 0; rc == 0 && item && v < V; v++)
        item[v] = col[pick[v]].ref;
    free(col);
    free(pick);
    return rc;
}

/* Do items item[] (candidate indices) cost lb, meet every path's deadline
 * D and keep the weight budget, without rounding?  Then lb is the
 * relaxation's optimum. */
static bool items_meet(const struct milp *m, const struct dp *x, uint64_t D,
                       const size_t *item, double lb)
{
    const struct place_problem *p = m->p;
    size_t V = x->V, E = p->n_endpoints, N = E + V;
    double w = 0, u = 0;
    uint64_t *d = calloc(N + 1, sizeof *d), *head = calloc(N + 1, sizeof *d),
             *tail = calloc(N + 1, sizeof *d);
    bool ok = d && head && tail;
    for (size_t v = 0; ok && v < V; v++) {
        ok = item[v] < x->nc[v];
        if (ok) {
            d[E + v] = x->c[v][item[v]].d;
            w += x->c[v][item[v]].w;
            u += x->c[v][item[v]].u;
        }
    }
    ok = ok && w <= x->W && place__meets(u, lb) &&
         place_longest_paths(p, d, head, tail) == 0;
    for (size_t n = 0; ok && n < N; n++)
        ok = D == PLACE_UNLIMITED || head[n] + d[n] + tail[n] <= D;
    free(d);
    free(head);
    free(tail);
    return ok;
}

int place__dp_bound(const struct milp *m, uint64_t slack_ns, double *lb,
                    struct sched_menu_item *choice, double *forced_bw,
                    bool *by_milp)
{
    if (by_milp)
        *by_milp = false;
    struct dp x;
    int rc = dp_setup(m, slack_ns, &x, forced_bw);
    if (rc != 0)
        return rc;
    size_t V = x.V, S = x.S, best = 0;
    unsigned short *pick = malloc((V * S + 1) * sizeof *pick);
    rc = pick ? dp_solve(m, &x, NULL, lb, pick, &best) : PLC_ENOMEM;
    /* walk back: the item of v at cell t came from t - step */
    for (size_t v = V, t = best; rc == 0 && v-- > 0;) {
        size_t k = pick[v * S + t];
        if (choice)
            choice[v] = x.c[v][k].item;
        t -= dp_step(&x, v, k);
    }
    free(pick);
    /* a fork/join keeps every path's deadline in the series-parallel
     * bound: the larger bound, and its items */
    if (rc == 0) {
        const struct place_problem *p = m->p;
        uint64_t D = p->deadline_ns;
        if (D != PLACE_UNLIMITED)
            D = D > slack_ns ? D - slack_ns : 0;
        struct sched_menu_item *sp_choice =
            choice ? malloc((V + 1) * sizeof *sp_choice) : NULL;
        size_t *idx = malloc((V + 1) * sizeof *idx);
        double sp_lb = 0;
        int b = (choice && !sp_choice) || !idx
                    ? PLC_ENOMEM
                    : sp_bound(m, &x, D, NULL, &sp_lb, sp_choice, idx);
        /* below the relaxation's optimum (rounded, or a duality gap):
         * the exact relaxation when it is small */
        double ex_lb = 0;
        int ex = b == 0 && !items_meet(m, &x, D, idx, sp_lb)
                     ? exact_timing(m, &x, D, NULL, &ex_lb, idx)
                     : 1;
        /* (its "no solution" is left to the whole model: GLPK's
         * tolerances decide it, not this exact arithmetic) */
        if (ex < 0)
            b = ex;
        else if (ex == 0 && ex_lb > sp_lb) {
            sp_lb = ex_lb;
            for (size_t v = 0; sp_choice && v < V; v++)
                sp_choice[v] = x.c[v][idx[v]].item;
        }
        if (b == PLC_ENOMEM)
            rc = b;
        else if (b == 2)
            rc = 1; /* the relaxation of every path has no solution */
        else if (b == 0 && sp_lb > *lb) {
            *lb = sp_lb;
            if (choice)
                memcpy(choice, sp_choice, V * sizeof *choice);
            if (by_milp)
                *by_milp = ex == 0 && sp_lb == ex_lb;
        }
        free(sp_choice);
        free(idx);
    }
    dp_free(&x);
    return rc;
}

/*
 * The hub bound.  The series-parallel bound takes the network as 0, and
 * the path DP keeps one path's.  Fix one service s on a host of group g:
 * each vlink at s then takes at least its least traversal between g and
 * the other end's places, every other vlink its least anywhere
 * (netpath.c), and with those constants on the vlinks the series-parallel
 * bound holds for every plan that puts s in g.  Every plan puts s in some
 * group, so the least over the groups bounds every plan; and each service
 * may be the hub, so the largest over the hubs does.  On the vEPC (its
 * subscriber database pinned two pods away from the radio) this is the
 * optimum, where the series-parallel bound is 0.55 of 0.775.  Groups with
 * the same constants are solved once; a hub stops as soon as a group
 * gives no more than the best hub so far, and all stop once the bound
 * reaches `than` (the plan in hand).  With keep (per column), every hub
 * and group is bounded, and a group whose bound exceeds `than` has no
 * plan as good as the plan in hand, nor one that ties with it: the hub's
 * columns on its hosts are marked to leave out (on the vEPC, all but the
 * four hosts by the radio endpoint for its control-plane service).
 */
/* Hub s over its groups: val[g] (with exact[g], from GLPK's relaxation)
 * per group g that s may use; *worst their least (INFINITY: none).  With
 * keep, every group is bounded, and s's columns on the groups above `cut`
 * are marked false and those groups dropped from t; else it stops once a
 * group is at most `floor_`.  0, 1 when the bound does not apply (not
 * series-parallel), or an error. */
static int hub_one(const struct milp *m, struct place_net *t,
                   const struct dp *x, size_t s, double cut, double floor_,
                   bool *keep, uint64_t *vec, double *val, bool *exact,
                   double *worst, bool *worst_exact)
{
    const struct place_problem *p = m->p;
    uint64_t D = p->deadline_ns;
    size_t L = p->n_vlinks, G = place__net_groups(t), H = p->cluster->n_hosts;
    *worst = INFINITY;
    *worst_exact = false;
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < G && (keep || *worst > floor_); g++) {
        if (!place__net_has(t, s, g))
            continue;
        if (place__expired(p))
            return PLC_ETIMEDOUT;
        uint64_t *d = &vec[g * L];
        if ((rc = place__net_hub(t, s, g, d)) < 0)
            return rc;
        size_t same = g;
        for (size_t h = 0; h < g && same == g; h++)
            if (place__net_has(t, s, h) &&
                memcmp(&vec[h * L], d, L * sizeof *d) == 0)
                same = h;
        if (same < g) {
            val[g] = val[same];
            exact[g] = exact[same];
        } else {
            exact[g] = false;
            int b = sp_bound(m, x, D, d, &val[g], NULL, NULL);
            if (b == 1 || b < 0)
                return b; /* a chain, or not series-parallel: 1 */
            if (b == 2)
                val[g] = INFINITY; /* no plan puts s in g */
            /* at most the plan in hand: the exact relaxation (no
             * rounding to the grid), when it is small */
            double ex = 0;
            int r = isfinite(val[g]) && val[g] <= cut
                        ? exact_timing(m, x, D, d, &ex, NULL)
                        : 1;
            if (r < 0)
                return r;
            if (r == 0 && ex > val[g]) {
                val[g] = ex;
                exact[g] = true;
            }
        }
        if (val[g] < *worst) {
            *worst = val[g];
            *worst_exact = exact[g];
        }
        /* s on a host of g: no plan as good as the one in hand */
        for (size_t h = 0; keep && val[g] > cut && h < H; h++)
            if (m->r->group_of[h] == g)
                for (size_t j = m->ys[s * H + h];
                     j < m->ys[s * H + h] + m->yn[s * H + h]; j++)
                    keep[j] = false;
    }
    /* the next hubs see s off those groups: a service beside s then has
     * fewer places near it */
    for (size_t g = 0; rc == 0 && keep && g < G; g++)
        if (place__net_has(t, s, g) && val[g] > cut)
            place__net_drop(t, s, g);
    return rc;
}

int place__hub_bound(const struct milp *m, double than, double *lb,
                     bool *by_milp, bool *keep)
{
    const struct place_problem *p = m->p;
    *lb = 0;
    *by_milp = false;
    if (p->deadline_ns == PLACE_UNLIMITED || m->single_location ||
        p->n_services < 2)
        return 0;
    size_t V = p->n_services, L = p->n_vlinks;
    struct place_net *t;
    int rc = place__net_new(m, L * V, &t);
    if (rc < 0 || !t)
        return rc;
    struct dp x;
    rc = dp_setup(m, 0, &x, NULL);
    if (rc != 0) {
        /* (out of time, too: no bound; the limit was reported as an
         * error of the whole plan when it ran out here) */
        place__net_free(t);
        return rc == PLC_ENOMEM ? rc : 0;
    }
    /* a group whose bound is above this holds no plan as good as the
     * one in hand, nor one that ties with it */
    double cut = than + 1e-6 * fmax(1, fabs(than));
    size_t G = place__net_groups(t);
    uint64_t *vec = malloc((G * L + 1) * sizeof *vec);
    double *val = malloc((G + 1) * sizeof *val);
    bool *exact = malloc((G + 1) * sizeof *exact);
    if (!vec || !val || !exact)
        rc = PLC_ENOMEM;
    double best = 0;
    bool best_exact = false;
    /* pruning: a second pass takes what later hubs found to the earlier
     * ones */
    for (int pass = 0; rc == 0 && pass < (keep ? 2 : 1); pass++) {
        size_t before = 0, after = 0;
        for (size_t s = 0; s < V; s++)
            for (size_t g = 0; g < G; g++)
                before += place__net_has(t, s, g);
        best = 0;
        best_exact = false;
        for (size_t s = 0; rc == 0 && s < V && (keep || best < than); s++) {
            double worst;
            bool worst_exact;
            rc = hub_one(m, t, &x, s, cut, best, keep, vec, val, exact, &worst,
                         &worst_exact);
            /* every group without a plan: left to the whole model */
            if (rc == 0 && isfinite(worst) && worst > best) {
                best = worst;
                best_exact = worst_exact;
            }
        }
        for (size_t s = 0; s < V; s++)
            for (size_t g = 0; g < G; g++)
                after += place__net_has(t, s, g);
        if (after == before)
            break;
    }
    if (rc == 1)
        best = 0; /* not series-parallel: no bound, nothing pruned */
    if (rc == PLC_ETIMEDOUT || rc == 1)
        rc = 0; /* what was found holds */
    if (rc == 0) {
        *lb = best;
        *by_milp = best_exact;
    }
    free(vec);
    free(val);
    free(exact);
    dp_free(&x);
    place__net_free(t);
    return rc;
}

/* Largest table the pruning keeps: (V + 1) x S costs, twice. */
#define PRUNE_MAX_CELLS 4000000

int place__dp_prune(const struct milp *m, double ub, bool *keep)
{
    struct dp x;
    int rc = dp_setup(m, 0, &x, NULL);
    if (rc != 0)
        return rc;
    size_t V = x.V, S = x.S;
    if ((V + 1) * S > PRUNE_MAX_CELLS) {
        dp_free(&x);
        return 1;
    }
    double *F = malloc((V + 1) * S * sizeof *F);
    double *G = malloc((V + 1) * S * sizeof *G);
    double **best = calloc(V + 1, sizeof *best);
    if (!F || !G || !best)
        rc = PLC_ENOMEM;
    for (size_t v = 0; rc == 0 && v < V; v++)
        if (!(best[v] = malloc(x.nc[v] * sizeof *best[v])))
            rc = PLC_ENOMEM;
    if (rc == 0) {
        /* F_0: nothing used; F_{v+1}(s + step) = min F_v(s) + u */
        for (size_t s = 0; s < (V + 1) * S; s++)
            F[s] = INFINITY;
        F[0] = 0;
        size_t row = x.WN + 1;
        for (size_t v = 0; v < V; v++)
            for (size_t k = 0; k < x.nc[v]; k++) {
                size_t step = dp_step(&x, v, k);
                if (step == SIZE_MAX)
                    continue;
                double u = x.c[v][k].u, *f = F + v * S, *g = f + S + step;
                size_t nw, nd = dp_rows(&x, step, &nw);
                for (size_t d = 0; d < nd; d++)
                    for (size_t s = d * row, e = s + nw; s < e; s++)
                        if (f[s] + u < g[s])
                            g[s] = f[s] + u;
            }
        /* G_V = 0 everywhere; G_v(r) = min over items fitting r of
         * u + G_{v+1}(r - step) */
        for (size_t s = 0; s < S; s++)
            G[V * S + s] = 0;
        for (size_t v = V; v-- > 0;) {
            for (size_t s = 0; s < S; s++)
                G[v * S + s] = INFINITY;
            for (size_t k = 0; k < x.nc[v]; k++) {
                size_t step = dp_step(&x, v, k);
                if (step == SIZE_MAX)
                    continue;
                double u = x.c[v][k].u, *g1 = G + (v + 1) * S,
                       *g = G + v * S + step;
                size_t nw, nd = dp_rows(&x, step, &nw);
                for (size_t d = 0; d < nd; d++)
                    for (size_t r = d * row, e = r + nw; r < e; r++)
                        if (u + g1[r] < g[r])
                            g[r] = u + g1[r];
            }
            /* "within at most r": carry the minimum up both axes */
            for (size_t s = 0; s < S; s++) {
                double g = G[v * S + s];
                if (s % (x.WN + 1) && G[v * S + s - 1] < g)
                    g = G[v * S + s - 1];
                if (s >= x.WN + 1 && G[v * S + s - x.WN - 1] < g)
                    g = G[v * S + s - x.WN - 1];
                G[v * S + s] = g;
            }
        }
        /* completion of item k of v: F_v(s) + u + G_{v+1}(full - s - step) */
        for (size_t v = 0; v < V; v++)
            for (size_t k = 0; k < x.nc[v]; k++) {
                size_t step = dp_step(&x, v, k);
                double b = INFINITY;
                if (step != SIZE_MAX) {
                    const double *f = F + v * S,
                                 *g = G + (v + 1) * S + (S - 1) - step;
                    size_t nw, nd = dp_rows(&x, step, &nw);
                    for (size_t d = 0; d < nd; d++)
                        for (size_t s = d * row, e = s + nw; s < e; s++)
                            if (f[s] + g[-(ptrdiff_t)s] < b)
                                b = f[s] + g[-(ptrdiff_t)s];
                    b += x.c[v][k].u;
                }
                best[v][k] = b;
            }
        /* keep the columns whose item can be in a plan as good as ub */
        double tol = 1e-7 * fmax(1, fabs(ub));
        for (size_t j = 0; j < m->ny; j++) {
            size_t v = m->y[j].v;
            const struct sched_menu_item *it =
                &m->p->services[v].menu[m->y[j].h]->v[m->y[j].m];
            double u = m->p->services[v].vcpus * it->utilization;
            double w = place__prob_weight(m->p, it->phi);
            keep[j] = true;
            for (size_t k = 0; k < x.nc[v]; k++)
                if (x.c[v][k].u == u && x.c[v][k].d == it->deadline_ns &&
                    x.c[v][k].w == w) {
                    keep[j] = best[v][k] <= ub + tol;
                    break;
                }
        }
    }
    for (size_t v = 0; best && v < V; v++)
        free(best[v]);
    free(best);
    free(F);
    free(G);
    dp_free(&x);
    return rc;
}

/* When the services and their vlinks form one connected whole, a plan
 * either puts them all on one host h, and each endpoint's vlinks cross
 * the hops between its node and h, or splits them, and some vlink between
 * two services crosses between two hosts.  So bandwidth x hops is at
 * least the lesser of: over the hosts that could take every service
 * (memory, CPU at each one's least utilisation, its rules), the endpoint
 * vlinks' rate x hops to h; and the least rate of a service-service vlink
 * over the fewest hops between two hosts.  This is what a busy cluster
 * adds: the user's own host is full, so the plan pays for leaving it. */
static double split_lb(const struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t E = p->n_endpoints, V = p->n_services, H = c->n_hosts;
    if (m->single_location || V == 0 || H < 2 || E == 0)
        return 0;
    /* connected services, and the least service-service rate */
    size_t *up = malloc((V + 1) * sizeof *up);
    if (!up)
        return 0;
    for (size_t v = 0; v < V; v++)
        up[v] = v;
    double least_ss = INFINITY;
    size_t parts = V;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from < E || e->to < E)
            continue;
        least_ss = fmin(least_ss, (double)e->rate_bps * (e->duplex ? 2 : 1));
        size_t a = e->from - E, b = e->to - E;
        while (up[a] != a)
            a = up[a];
        while (up[b] != b)
            b = up[b];
        if (a != b) {
            up[a] = b;
            parts--;
        }
    }
    free(up);
    if (parts != 1)
        return 0;
    bool direct = false;
    for (size_t l = 0; l < c->n_links && !direct; l++)
        direct = c->links[l].a < H && c->links[l].b < H &&
                 c->links[l].a != c->links[l].b;
    double split = V > 1 ? least_ss * (direct ? 1 : 2) : INFINITY;
    /* all on one host: its endpoint vlinks' rate x fewest hops */
    double *cost = calloc(H + 1, sizeof *cost);
    size_t *hops = malloc((c->n_nodes + 1) * sizeof *hops);
    size_t *queue = malloc((c->n_nodes + 1) * sizeof *queue);
    double *least_u = malloc((V + 1) * sizeof *least_u);
    double together = INFINITY;
    if (!cost || !hops || !queue || !least_u) {
        together = 0; /* no bound rather than a wrong one */
        goto out;
    }
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        bool fe = e->from < E, te = e->to < E;
        if (fe == te)
            continue; /* service-service (0 when together) or constant */
        place__routes_hops_from(m->r, p->endpoint_node[fe ? e->from : e->to],
                                hops, queue);
        for (size_t h = 0; h < H; h++)
            cost[h] += hops[h] == PLACE_NONE
                           ? INFINITY
                           : (double)e->rate_bps * (e->duplex ? 2 : 1) *
                                 (double)hops[h];
    }
    uint64_t mem = 0;
    for (size_t v = 0; v < V; v++) {
        const struct place_service *s = &p->services[v];
        mem += s->mem_bytes;
        least_u[v] = s->vcpus * place__milp_least_util(m, v);
    }
    for (size_t h = 0; h < H; h++) {
        if (!(cost[h] < together))
            continue;
        const struct place_host *o = &c->hosts[h];
        if (o->mem_bytes != PLACE_UNLIMITED &&
            mem + o->mem_used_bytes > o->mem_bytes)
            continue;
        double need = 0;
        bool all = true;
        for (size_t v = 0; v < V && all; v++) {
            all = m->yn[v * H + h] > 0;
            need += least_u[v];
        }
        double free_cpu = place__milp_host_free(o);
        if (all && need <= free_cpu + 1e-9 * fmax(1, free_cpu))
            together = cost[h];
    }
out:
    free(cost);
    free(hops);
    free(queue);
    free(least_u);
    return fmin(together, split);
}

double place__bandwidth_lb(const struct milp *m)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t E = p->n_endpoints, N = E + p->n_services;
    if (m->single_location)
        return 0;
    size_t *hops = malloc((c->n_nodes + 1) * sizeof *hops);
    size_t *queue = malloc((c->n_nodes + 1) * sizeof *queue);
    double *width = malloc((N + 1) * sizeof *width);
    size_t *pos = malloc((N + 1) * sizeof *pos), *start = NULL, *out = NULL;
    size_t *order = pos ? place__topo_order(p, pos) : NULL;
    bool adj = order && place__dag_adj(p, false, &start, &out) == 0;
    double best = 0;
    for (size_t a = 0; hops && queue && width && adj && a < E; a++) {
        /* width[x]: the largest least weighted rate of a path a -> x */
        for (size_t x = 0; x < N; x++)
            width[x] = x == a ? INFINITY : 0;
        for (size_t k = 0; k < N; k++)
            for (size_t j = start[order[k]]; j < start[order[k] + 1]; j++) {
                const struct place_vlink *e = &p->vlinks[out[j]];
                double w = (double)e->rate_bps * (e->duplex ? 2 : 1);
                double t = fmin(width[e->from], w);
                if (t > width[e->to])
                    width[e->to] = t;
            }
        place__routes_hops_from(m->r, p->endpoint_node[a], hops, queue);
        for (size_t b = 0; b < E; b++) {
            size_t h = hops[p->endpoint_node[b]];
            if (b != a && h != PLACE_NONE && width[b] * (double)h > best)
                best = width[b] * (double)h;
        }
    }
    free(hops);
    free(queue);
    free(width);
    free(pos);
    free(order);
    free(start);
    free(out);
    /* a crossing no plan avoids (forced_crossing, found with the DP
     * bound) spends at least its least vlink's rate on each hop between
     * two hosts */
    return fmax(fmax(best, m->forced_bw), split_lb(m));
}

size_t place__distinct_items(const struct milp *m, size_t v,
                             struct place_tcol **out)
{
    bool ind = m->p->prob_model == PLACE_PROB_INDEPENDENT;
    struct cand *c;
    size_t n = candidates(m, v, ind, &c);
    if (n == (size_t)-1)
        return SIZE_MAX;
    *out = malloc((n + 1) * sizeof **out);
    if (!*out) {
        free(c);
        return SIZE_MAX;
    }
    for (size_t k = 0; k < n; k++)
        (*out)[k] = (struct place_tcol){v, c[k].u, c[k].d, c[k].w, -1, c[k].j};
    free(c);
    return n;
}

uint64_t place__least_host_pair_delay(const struct milp *m)
{
    return least_host_pair_delay(m);
}
