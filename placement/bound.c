/*
 * bound.c: a dynamic program over local-deadline budgets that bounds the
 * least total reserved utilisation from below, and the item choice that
 * attains it.
 *
 * Relaxation: drop CPU, memory, bandwidth and placement; take network
 * delays as 0 (they only add); keep, of the deadline rows, the single path
 * P of the DAG with the largest sum of least local deadlines (every path's
 * row holds in any plan, so one of them is a relaxation); keep the
 * probability row (sum of lambda = -ln phi, or of 1 - phi, at most its
 * budget W); and when P runs from one endpoint to another, its deadline
 * is reduced by the shortest route between them (see below).  What remains is a
 * multiple-choice knapsack with two budgets, min sum vcpus_v U_v   s.t.  sum_{v
 * in P} d_v <= D,  sum_v w_v <= W, solved exactly by dynamic programming over
 * (deadline used, weight used) after rounding every d and w *down* to the grid
 * (g, W/B): rounding down only admits more combinations, so the optimum of the
 * rounded program is still at most that of the real one.  Its value is a valid
 * lower bound of the MILP's optimum (objective "utilization"), added to the
 * model as the row  sum vcpus U y >= bound, which lets GLPK close the gap as
 * soon as an incumbent reaches it.
 */
#include "internal.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DL 600 /* deadline cells */
#define MAX_W 60   /* probability-weight cells */

struct cand {
    double u; /* vcpus x utilisation */
    uint64_t d;
    double w;
    struct sched_menu_item item;
};

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    return (x->w > y->w) - (x->w < y->w);
}

/* Distinct (U, d, w) of the items v may take on some host. */
static size_t candidates(const struct milp *m, size_t v, bool ind,
                         struct cand **out)
{
    const struct place_problem *p = m->p;
    size_t n = 0, cap = 16;
    struct cand *c = malloc(cap * sizeof *c);
    for (size_t j = 0; c && j < m->ny; j++) {
        if (m->y[j].v != v)
            continue;
        const struct sched_menu_item *it =
            &p->services[v].menu[m->y[j].h]->v[m->y[j].m];
        struct cand x = {p->services[v].vcpus * it->utilization,
                         it->deadline_ns,
                         ind ? sched_prob_lambda(it->phi) : 1.0 - it->phi, *it};
        bool dup = false;
        for (size_t k = 0; k < n && !dup; k++)
            dup = c[k].u == x.u && c[k].d == x.d && c[k].w == x.w;
        if (dup)
            continue;
        if (n == cap) {
            struct cand *g = realloc(c, cap * 2 * sizeof *g);
            if (!g) {
                free(c);
                return (size_t)-1;
            }
            c = g;
            cap *= 2;
        }
        c[n++] = x;
    }
    if (!c)
        return (size_t)-1;
    qsort(c, n, sizeof *c, cmp_cand);
    *out = c;
    return n;
}

/* Services of the path with the largest sum of least local deadlines. */
static int critical_path(const struct milp *m, const uint64_t *least, bool *on,
                         size_t *first, size_t *last)
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
    for (size_t round = 0; round < N; round++)
        for (size_t i = 0; i < p->n_vlinks; i++) {
            size_t a = p->vlinks[i].from, b = p->vlinks[i].to;
            uint64_t add = b >= E ? least[b - E] : 0;
            if (head[a] + add > head[b]) {
                head[b] = head[a] + add;
                via[b] = a;
            }
        }
    size_t end = 0;
    for (size_t v = 1; v < N; v++)
        if (head[v] > head[end])
            end = v;
    *last = end;
    for (size_t v = end, k = 0; v != PLACE_NONE && k <= N; v = via[v], k++) {
        if (v >= E)
            on[v - E] = true;
        *first = v;
    }
    free(head);
    free(via);
    return 0;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int dp_bound(const struct milp *m, uint64_t slack_ns, double *lb,
             struct sched_menu_item *choice)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    bool ind = p->prob_model == PLACE_PROB_INDEPENDENT;
    bool with_w = p->deadline_ns != PLACE_UNLIMITED && p->probability < 1;
    double W = !with_w ? 0 : ind ? -log(p->probability) : 1 - p->probability;
    W += SCHED_PROB_TOL;
    struct cand **c = calloc(V + 1, sizeof *c);
    size_t *nc = calloc(V + 1, sizeof *nc);
    uint64_t *least = calloc(V + 1, sizeof *least);
    bool *on = calloc(V + 1, sizeof *on);
    int rc = (!c || !nc || !least || !on) ? PLC_ENOMEM : 0;
    uint64_t g = 0;
    for (size_t v = 0; rc == 0 && v < V; v++) {
        nc[v] = candidates(m, v, ind, &c[v]);
        if (nc[v] == (size_t)-1) {
            nc[v] = 0;
            rc = PLC_ENOMEM;
        } else if (nc[v] == 0) {
            rc = PLC_EDATA; /* no item at all: nothing to bound */
        } else {
            least[v] = c[v][0].d; /* sorted by d */
        }
    }
    size_t first = PLACE_NONE, last = PLACE_NONE;
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED)
        rc = critical_path(m, least, on, &first, &last);
    /* a path from endpoint a to endpoint b crosses the network for at
     * least the shortest route delay between them: every vlink takes at
     * least the shortest route between its two places, and shortest
     * routes obey the triangle inequality */
    uint64_t D = p->deadline_ns, net = 0, jit;
    if (rc == 0 && D != PLACE_UNLIMITED && first < p->n_endpoints &&
        last < p->n_endpoints && !m->single_location &&
        p->endpoint_node[first] != p->endpoint_node[last])
        routes_between(m->r, p->endpoint_node[first], p->endpoint_node[last],
                       &net, &jit);
    if (D != PLACE_UNLIMITED)
        D = D > net + slack_ns ? D - net - slack_ns : 0;
    /* the deadline grid: the items' common step, or coarser (rounding
     * down, see above) when that makes too many cells */
    for (size_t v = 0; rc == 0 && v < V; v++)
        for (size_t k = 0; on[v] && k < nc[v]; k++)
            g = gcd64(g, c[v][k].d);
    size_t DN = 0, WN = with_w ? MAX_W : 0;
    if (rc == 0 && p->deadline_ns != PLACE_UNLIMITED) {
        if (g == 0)
            g = 1;
        if (D / g > MAX_DL)
            g = D / MAX_DL + 1;
        DN = (size_t)(D / g);
    }
    size_t S = (DN + 1) * (WN + 1);
    double *cost = malloc(S * sizeof *cost), *next = malloc(S * sizeof *next);
    unsigned short *pick = malloc((V * S + 1) * sizeof *pick);
    if (rc == 0 && (!cost || !next || !pick))
        rc = PLC_ENOMEM;
    if (rc == 0) {
        for (size_t s = 0; s < S; s++)
            cost[s] = INFINITY;
        cost[0] = 0;
        for (size_t v = 0; v < V; v++) {
            for (size_t s = 0; s < S; s++)
                next[s] = INFINITY;
            for (size_t s = 0; s < S; s++) {
                if (cost[s] == INFINITY)
                    continue;
                size_t dd = s / (WN + 1), ww = s % (WN + 1);
                for (size_t k = 0; k < nc[v] && k < 65535; k++) {
                    const struct cand *x = &c[v][k];
                    size_t du = on[v] && DN ? (size_t)(x->d / g) : 0;
                    size_t wu = WN ? (size_t)floor(x->w / (W / (double)WN)) : 0;
                    if (dd + du > DN || ww + wu > WN)
                        continue;
                    size_t t = (dd + du) * (WN + 1) + ww + wu;
                    if (cost[s] + x->u < next[t]) {
                        next[t] = cost[s] + x->u;
                        pick[v * S + t] = (unsigned short)k;
                        /* remember where it came from in the low bits of
                         * a parallel walk below */
                    }
                }
            }
            /* keep the predecessor state of each cell for the walk back:
             * recomputed there from pick and the cell */
            double *tmp = cost;
            cost = next;
            next = tmp;
        }
        size_t best = 0;
        for (size_t s = 1; s < S; s++)
            if (cost[s] < cost[best])
                best = s;
        if (cost[best] == INFINITY) {
            rc = 1; /* even the relaxation is infeasible */
        } else {
            *lb = cost[best];
            /* walk back: the item of v at cell t came from t - (du, wu) */
            for (size_t v = V, t = best; v-- > 0;) {
                const struct cand *x = &c[v][pick[v * S + t]];
                if (choice)
                    choice[v] = x->item;
                size_t du = on[v] && DN ? (size_t)(x->d / g) : 0;
                size_t wu = WN ? (size_t)floor(x->w / (W / (double)WN)) : 0;
                t -= du * (WN + 1) + wu;
            }
        }
    }
    for (size_t v = 0; c && v < V; v++)
        free(c[v]);
    free(c);
    free(nc);
    free(least);
    free(on);
    free(cost);
    free(next);
    free(pick);
    return rc;
}
