/*
 * treedp.c: the exact optimum of a route-priced workflow without a
 * deadline, by dynamic programming over its tree.
 *
 * With the objective "cost" (each service's price on its host plus the
 * cost of the links on every virtual link's route) or "bandwidth" (rate x
 * hops), no end-to-end deadline and no affinity rules, a plan's value is a
 * sum of one term per service (where it runs) and one per virtual link
 * (the pair of places it joins and the route between them), subject per
 * virtual link to its own latency and jitter bounds.  When the virtual
 * links form a forest (chains, trees: the network services OSM's PLA
 * places), the least such sum is a dynamic program from the leaves: for
 * every place of a node, the best of its subtree.  Ties are broken as the
 * objective's are, exactly: total utilisation (each service's least
 * reservation on its host), then bandwidth x hops.
 *
 * What the program leaves out is capacity (cores, memory, link rates and
 * ports): its optimum bounds every plan from below, and when it fits it is
 * the optimal plan, proven without the MILP, whose pair columns grow with
 * the square of the places (on 80 fully meshed sites, 6,400 per virtual
 * link).
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Pairs of places evaluated at most: beyond, the MILP as before. */
#define TREE_PAIRS_MAX 4000000

struct score {
    double a, b, c; /* objective, utilisation, bandwidth x hops */
};

static int score_cmp(struct score x, struct score y)
{
    double vx[3] = {x.a, x.b, x.c}, vy[3] = {y.a, y.b, y.c};
    for (int k = 0; k < 3; k++) {
        if (!isfinite(vx[k]) || !isfinite(vy[k])) {
            if (vx[k] != vy[k])
                return vx[k] < vy[k] ? -1 : 1;
            continue;
        }
        double tol = 1e-9 * fmax(1, fmax(fabs(vx[k]), fabs(vy[k])));
        if (vx[k] < vy[k] - tol)
            return -1;
        if (vx[k] > vy[k] + tol)
            return 1;
    }
    return 0;
}

static struct score score_add(struct score x, struct score y)
{
    return (struct score){x.a + y.a, x.b + y.b, x.c + y.c};
}

struct tree {
    const struct milp *m;
    size_t N, E;    /* workflow nodes; endpoints first */
    size_t **place; /* per node: its places (cluster nodes) */
    size_t *n_place;
    size_t **item;        /* per service node: least-utilisation item */
    struct score **value; /* per node x place: its subtree's best */
    size_t **arg;         /* per non-root node x parent's place: own place */
    int **route;          /* ... and the route set of its parent link */
    size_t *parent_link;  /* per node: link to its parent, or NONE */
    size_t *tmp;          /* arcs */
};

/* Virtual link i from place `pa` of its source to `pb` of its target over
 * route set k: false when there is no such route or it breaks the link's
 * own bounds; else its cost, hops in *s (without the service terms). */
static bool link_score(const struct tree *t, size_t i, size_t pa, size_t pb,
                       int k, struct score *s)
{
    const struct milp *m = t->m;
    const struct place_problem *p = m->p;
    const struct place_vlink *e = &p->vlinks[i];
    bool fh = e->from >= t->E, th = e->to >= t->E;
    uint64_t d = 0, j = 0;
    bool ok = true;
    if (fh && th)
        ok = place__milp_pair_delay(m, e, k, pa, pb, &d, &j);
    else if (th)
        ok = place__milp_node_host_delay(m, e, k, pa, pb, true, &d, &j);
    else if (fh)
        ok = place__milp_node_host_delay(m, e, k, pb, pa, false, &d, &j);
    if (!ok ||
        (e->max_latency_ns != PLACE_UNLIMITED && d > e->max_latency_ns) ||
        (e->max_jitter_ns != PLACE_UNLIMITED && j > e->max_jitter_ns))
        return false;
    size_t n = place__milp_pair_arcs(m, k, pa, pb, fh, th, t->tmp);
    if (n == PLACE_NONE)
        return false;
    double cost = 0;
    for (size_t a = 0; a < n; a++)
        cost += p->cluster->links[t->tmp[a] / 2].cost;
    double bw = (double)e->rate_bps * (double)n * (e->duplex ? 2 : 1);
    *s = (struct score){p->objective == PLACE_OBJ_COST ? cost : bw, 0,
                        p->objective == PLACE_OBJ_COST ? bw : 0};
    return true;
}

/* Whether the problem has the program's shape. */
static bool applies(const struct milp *m)
{
    const struct place_problem *p = m->p;
    return (p->objective == PLACE_OBJ_COST ||
            p->objective == PLACE_OBJ_BANDWIDTH) &&
           p->deadline_ns == PLACE_UNLIMITED && p->n_affinity == 0 &&
           p->n_anti_affinity == 0 && m->goal == GOAL_PRIMARY && m->relax == 0;
}

static size_t find(size_t *up, size_t x)
{
    while (up[x] != x)
        x = up[x] = up[up[x]];
    return x;
}

static void tree_free(struct tree *t)
{
    for (size_t x = 0; x < t->N; x++) {
        if (t->place)
            free(t->place[x]);
        if (t->item)
            free(t->item[x]);
        if (t->value)
            free(t->value[x]);
        if (t->arg)
            free(t->arg[x]);
        if (t->route)
            free(t->route[x]);
    }
    free(t->place);
    free(t->n_place);
    free(t->item);
    free(t->value);
    free(t->arg);
    free(t->route);
    free(t->parent_link);
    free(t->tmp);
}

/* The places of every node, with each service's own terms. */
static int tree_places(struct tree *t)
{
    const struct milp *m = t->m;
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    for (size_t x = 0; x < t->N; x++) {
        size_t n = x < t->E ? 1 : H;
        t->place[x] = malloc(n * sizeof **t->place);
        t->value[x] = malloc(n * sizeof **t->value);
        t->item[x] = malloc(n * sizeof **t->item);
        if (!t->place[x] || !t->value[x] || !t->item[x])
            return PLC_ENOMEM;
        if (x < t->E) {
            t->place[x][0] = p->endpoint_node[x];
            t->value[x][0] = (struct score){0, 0, 0};
            t->n_place[x] = 1;
            continue;
        }
        size_t v = x - t->E;
        const struct place_service *s = &p->services[v];
        for (size_t h = 0; h < H; h++) {
            size_t first = m->ys[v * H + h], cnt = m->yn[v * H + h];
            if (cnt == 0)
                continue;
            size_t best = m->y[first].m;
            for (size_t j = first + 1; j < first + cnt; j++)
                if (s->menu[h]->v[m->y[j].m].utilization <
                    s->menu[h]->v[best].utilization)
                    best = m->y[j].m;
            double price = s->price ? s->price[h] : p->cluster->hosts[h].cost;
            size_t k = t->n_place[x]++;
            t->place[x][k] = h;
            t->item[x][k] = best;
            t->value[x][k] =
                (struct score){p->objective == PLACE_OBJ_COST ? price : 0,
                               s->vcpus * s->menu[h]->v[best].utilization, 0};
        }
        if (t->n_place[x] == 0)
            return 1; /* a service with no place: the MILP explains */
    }
    return 0;
}

int place__tree_dp(const struct milp *m, size_t *host, size_t *item, int *route,
                   double *lb)
{
    const struct place_problem *p = m->p;
    if (!applies(m))
        return 0;
    struct tree t = {
        .m = m, .E = p->n_endpoints, .N = p->n_endpoints + p->n_services};
    size_t N = t.N, L = p->n_vlinks, H = p->cluster->n_hosts;
    /* a forest: no link closes a cycle (two links between the same
     * nodes included) */
    size_t *up = malloc((N + 1) * sizeof *up);
    bool forest = up != NULL;
    for (size_t x = 0; forest && x < N; x++)
        up[x] = x;
    for (size_t i = 0; forest && i < L; i++) {
        size_t a = find(up, p->vlinks[i].from), b = find(up, p->vlinks[i].to);
        forest = a != b;
        up[a] = b;
    }
    free(up);
    if (!forest)
        return 0;
    /* pairs of places: each service's hosts, each endpoint one */
    double pairs = 0;
    for (size_t i = 0; i < L; i++)
        pairs += (double)(p->vlinks[i].from < t.E ? 1 : H) *
                 (double)(p->vlinks[i].to < t.E ? 1 : H);
    if (pairs > TREE_PAIRS_MAX)
        return 0;
    t.place = calloc(N + 1, sizeof *t.place);
    t.n_place = calloc(N + 1, sizeof *t.n_place);
    t.item = calloc(N + 1, sizeof *t.item);
    t.value = calloc(N + 1, sizeof *t.value);
    t.arg = calloc(N + 1, sizeof *t.arg);
    t.route = calloc(N + 1, sizeof *t.route);
    t.parent_link = malloc((N + 1) * sizeof *t.parent_link);
    t.tmp = malloc((p->cluster->n_nodes + 2) * sizeof *t.tmp);
    size_t *order = malloc((N + 1) * sizeof *order);
    size_t *start = calloc(N + 2, sizeof *start),
           *adj = malloc((2 * L + 1) * sizeof *adj);
    bool *seen = calloc(N + 1, sizeof *seen);
    int rc = 0;
    if (!t.place || !t.n_place || !t.item || !t.value || !t.arg || !t.route ||
        !t.parent_link || !t.tmp || !order || !start || !adj || !seen) {
        rc = PLC_ENOMEM;
        goto out;
    }
    rc = tree_places(&t);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc;
        goto out;
    }
    /* undirected adjacency (links by index) */
    for (size_t i = 0; i < L; i++) {
        start[p->vlinks[i].from + 1]++;
        start[p->vlinks[i].to + 1]++;
    }
    for (size_t x = 0; x < N; x++)
        start[x + 1] += start[x];
    {
        size_t *fill = malloc((N + 1) * sizeof *fill);
        if (!fill) {
            rc = PLC_ENOMEM;
            goto out;
        }
        memcpy(fill, start, N * sizeof *fill);
        for (size_t i = 0; i < L; i++) {
            adj[fill[p->vlinks[i].from]++] = i;
            adj[fill[p->vlinks[i].to]++] = i;
        }
        free(fill);
    }
    /* parents before children: breadth first from each root */
    size_t n_order = 0;
    for (size_t r = 0; r < N; r++) {
        if (seen[r])
            continue;
        seen[r] = true;
        t.parent_link[r] = PLACE_NONE;
        size_t head = n_order;
        order[n_order++] = r;
        while (head < n_order) {
            size_t x = order[head++];
            for (size_t k = start[x]; k < start[x + 1]; k++) {
                size_t i = adj[k];
                size_t y = p->vlinks[i].from == x ? p->vlinks[i].to
                                                  : p->vlinks[i].from;
                if (seen[y])
                    continue;
                seen[y] = true;
                t.parent_link[y] = i;
                order[n_order++] = y;
            }
        }
    }
    int sets = m->r->n_sets >= 2 ? 2 : 1;
    /* children into parents, leaves first */
    for (size_t o = N; o-- > 0;) {
        size_t c = order[o], i = t.parent_link[c];
        if (i == PLACE_NONE)
            continue;
        if (place__expired(p)) {
            rc = 0; /* out of time: the usual way takes over */
            goto out;
        }
        const struct place_vlink *e = &p->vlinks[i];
        size_t par = e->from == c ? e->to : e->from;
        bool down = e->from == par; /* the link runs parent -> child */
        size_t np = t.n_place[par], nc = t.n_place[c];
        t.arg[c] = malloc((np + 1) * sizeof **t.arg);
        t.route[c] = malloc((np + 1) * sizeof **t.route);
        if (!t.arg[c] || !t.route[c]) {
            rc = PLC_ENOMEM;
            goto out;
        }
        for (size_t a = 0; a < np; a++) {
            struct score best = {INFINITY, INFINITY, INFINITY};
            size_t arg = PLACE_NONE;
            int via = 0;
            for (size_t b = 0; b < nc; b++)
                for (int k = 0; k < sets; k++) {
                    struct score s;
                    size_t pa = t.place[par][a], pb = t.place[c][b];
                    if (!link_score(&t, i, down ? pa : pb, down ? pb : pa, k,
                                    &s))
                        continue;
                    s = score_add(s, t.value[c][b]);
                    if (score_cmp(s, best) < 0) {
                        best = s;
                        arg = b;
                        via = k;
                    }
                }
            t.arg[c][a] = arg;
            t.route[c][a] = via;
            t.value[par][a] = score_add(t.value[par][a], best);
        }
    }
    /* each root at its best place, then down the tree */
    size_t *at = malloc((N + 1) * sizeof *at);
    if (!at) {
        rc = PLC_ENOMEM;
        goto out;
    }
    double total = 0;
    bool found = true;
    for (size_t o = 0; o < N && found; o++) {
        size_t x = order[o], i = t.parent_link[x];
        if (i == PLACE_NONE) {
            size_t best = 0;
            for (size_t a = 1; a < t.n_place[x]; a++)
                if (score_cmp(t.value[x][a], t.value[x][best]) < 0)
                    best = a;
            at[x] = best;
            found = isfinite(t.value[x][best].a);
            total += t.value[x][best].a;
            continue;
        }
        size_t par =
            p->vlinks[i].from == x ? p->vlinks[i].to : p->vlinks[i].from;
        at[x] = t.arg[x][at[par]];
        found = at[x] != PLACE_NONE;
        if (found)
            route[i] = t.route[x][at[par]];
    }
    for (size_t x = t.E; found && x < N; x++) {
        host[x - t.E] = t.place[x][at[x]];
        item[x - t.E] = t.item[x][at[x]];
    }
    free(at);
    if (found) {
        *lb = total;
        rc = 1;
    } else {
        /* no assignment keeps every link's bounds: the MILP proves and
         * explains it */
        rc = 0;
    }
out:
    tree_free(&t);
    free(order);
    free(start);
    free(adj);
    free(seen);
    return rc;
}
