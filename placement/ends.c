/*
 * ends.c: the spread model's endpoint hosts, the rings of hosts around
 * them and the paths between them (spread.h): which classes there are,
 * what each holds, and the least delays between them.
 */
#include "plc/error.h"
#include "routes.h"
#include "spread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void place__ehosts_free(struct spread_ehosts *x)
{
    for (size_t k = 0; k < x->n; k++) {
        free(x->h[k].core_free);
        free(x->h[k].has);
    }
    for (size_t k = 0; k < x->n_ends; k++)
        free(x->ends[k].on);
    for (size_t k = 0; k < x->n_rings; k++)
        free(x->ring[k].has);
    free(x->class_of);
    free(x->gap);
    free(x->at);
    *x = (struct spread_ehosts){0};
}

/* Nodes of the workflow reachable from node s along its vlinks (forward)
 * or reaching it (!forward), into seen[] (N nodes); stack has room for N. */
static void reach(const struct place_problem *p, size_t s, bool forward,
                  bool *seen, size_t *stack)
{
    size_t N = p->n_endpoints + p->n_services, top = 0;
    memset(seen, 0, N * sizeof *seen);
    seen[s] = true;
    stack[top++] = s;
    while (top) {
        size_t a = stack[--top];
        for (size_t i = 0; i < p->n_vlinks; i++) {
            const struct place_vlink *e = &p->vlinks[i];
            size_t from = forward ? e->from : e->to,
                   to = forward ? e->to : e->from;
            if (from == a && !seen[to]) {
                seen[to] = true;
                stack[top++] = to;
            }
        }
    }
}

/* The least largest step of a walk over hosts from host h1 to h2 (each
 * step the shortest route between two hosts), by Prim's order over the
 * groups of hosts (routes.h: a group's hosts have the same routes to the
 * others); 0 when they share a group, or on PLC_ENOMEM. */
static uint64_t least_step(const struct routes *r, size_t h1, size_t h2)
{
    size_t G = r->n_groups, H = r->c->n_hosts;
    size_t g1 = r->group_of[h1], g2 = r->group_of[h2];
    if (g1 == g2)
        return 0;
    size_t *rep = malloc((G + 1) * sizeof *rep);
    uint64_t *key = malloc((G + 1) * sizeof *key);
    bool *done = calloc(G + 1, sizeof *done);
    uint64_t out = 0;
    if (rep && key && done) {
        for (size_t g = 0; g < G; g++) {
            rep[g] = PLACE_NONE;
            key[g] = PLACE_UNLIMITED;
        }
        for (size_t h = 0; h < H; h++)
            if (rep[r->group_of[h]] == PLACE_NONE)
                rep[r->group_of[h]] = h;
        key[g1] = 0;
        for (;;) {
            size_t g = PLACE_NONE;
            for (size_t k = 0; k < G; k++)
                if (!done[k] && rep[k] != PLACE_NONE &&
                    key[k] != PLACE_UNLIMITED &&
                    (g == PLACE_NONE || key[k] < key[g]))
                    g = k;
            if (g == PLACE_NONE || g == g2)
                break;
            done[g] = true;
            for (size_t k = 0; k < G; k++) {
                uint64_t d, j;
                if (done[k] || rep[k] == PLACE_NONE ||
                    !place__routes_hosts(r, 0, rep[g], rep[k], &d, &j))
                    continue;
                uint64_t w = d > key[g] ? d : key[g];
                if (w < key[k])
                    key[k] = w;
            }
        }
        out = key[g2] == PLACE_UNLIMITED ? 0 : key[g2];
    }
    free(rep);
    free(key);
    free(done);
    return out;
}

/* The columns of host h into has[] (by their (u, d, w) among col). */
static void host_columns(const struct milp *m, const struct place_tcol *col,
                         size_t n, size_t h, bool *has)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    for (size_t v = 0; v < p->n_services; v++)
        for (size_t j = m->ys[v * H + h];
             j < m->ys[v * H + h] + m->yn[v * H + h]; j++) {
            const struct sched_menu_item *it =
                &p->services[v].menu[h]->v[m->y[j].m];
            double u = p->services[v].vcpus * it->utilization,
                   w = place__prob_weight(p, it->phi);
            for (size_t t = 0; t < n; t++)
                if (col[t].v == v && col[t].u == u &&
                    col[t].d == it->deadline_ns && col[t].w == w)
                    has[t] = true;
        }
}

/* The rings of the hosts other than the endpoint hosts, and the gaps
 * between classes (struct spread_ehosts): 0 (x->n_rings 0: more than
 * SPREAD_RINGS, or none), PLC_ENOMEM. */
static int rings_build(const struct milp *m, const struct place_tcol *col,
                       size_t n, struct spread_ehosts *x)
{
    const struct place_cluster *c = m->p->cluster;
    const struct routes *r = m->r;
    size_t H = c->n_hosts, K = x->n;
    x->class_of = malloc((H + 1) * sizeof *x->class_of);
    if (!x->class_of)
        return PLC_ENOMEM;
    for (size_t h = 0; h < H; h++) {
        x->class_of[h] = PLACE_NONE;
        for (size_t k = 0; k < K; k++)
            if (x->h[k].host == h)
                x->class_of[h] = k;
    }
    uint64_t d[SPREAD_EHOSTS];
    for (size_t h = 0; h < H; h++) {
        if (x->class_of[h] != PLACE_NONE)
            continue;
        for (size_t k = 0; k < K; k++) {
            uint64_t j;
            if (!place__routes_hosts(r, 0, h, x->h[k].host, &d[k], &j))
                d[k] = PLACE_UNLIMITED;
        }
        size_t q = 0;
        while (q < x->n_rings && memcmp(x->ring[q].d, d, K * sizeof *d) != 0)
            q++;
        if (q == SPREAD_RINGS) {
            x->n_rings = SPREAD_RINGS + 1; /* too many */
            break;
        }
        struct ring *g = &x->ring[q];
        if (q == x->n_rings) {
            *g = (struct ring){0};
            memcpy(g->d, d, K * sizeof *d);
            g->has = calloc(n + 1, sizeof *g->has);
            x->n_rings++;
            if (!g->has)
                return PLC_ENOMEM;
        }
        const struct place_host *o = &c->hosts[h];
        for (int k = 0; k < o->cores; k++) {
            double f = fmax(0, place__milp_core_free(o, k));
            g->cpu += f;
            g->core = fmax(g->core, f);
        }
        double mf = place__milp_host_mem_free(o);
        g->mem += mf;
        g->host_mem = fmax(g->host_mem, mf);
        host_columns(m, col, n, h, g->has);
        x->class_of[h] = K + q;
    }
    if (x->n_rings > SPREAD_RINGS) {
        for (size_t q = 0; q < SPREAD_RINGS; q++)
            free(x->ring[q].has);
        x->n_rings = 0;
        free(x->class_of);
        x->class_of = NULL;
        return 0;
    }
    /* the gaps, by the route groups (their hosts have the same routes to
     * the others) */
    size_t C = K + x->n_rings, G = r->n_groups;
    x->gap = malloc((C * C + 1) * sizeof *x->gap);
    size_t *first = malloc((G + 1) * sizeof *first),
           *next = malloc((H + 1) * sizeof *next);
    if (!x->gap || !first || !next) {
        free(first);
        free(next);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < C * C; i++)
        x->gap[i] = PLACE_UNLIMITED;
    for (size_t g = 0; g < G; g++)
        first[g] = PLACE_NONE;
    for (size_t h = H; h-- > 0;) {
        next[h] = first[r->group_of[h]];
        first[r->group_of[h]] = h;
    }
    for (size_t g1 = 0; g1 < G; g1++)
        for (size_t g2 = g1; g2 < G; g2++) {
            uint64_t dd, j;
            /* (two groups: one route for all their pairs) */
            if (first[g1] == PLACE_NONE || first[g2] == PLACE_NONE ||
                (g1 != g2 &&
                 !place__routes_hosts(r, 0, first[g1], first[g2], &dd, &j)))
                continue;
            for (size_t a = first[g1]; a != PLACE_NONE; a = next[a])
                for (size_t b = g1 == g2 ? next[a] : first[g2]; b != PLACE_NONE;
                     b = next[b]) {
                    if (g1 == g2 && !place__routes_hosts(r, 0, a, b, &dd, &j))
                        continue;
                    size_t c1 = x->class_of[a], c2 = x->class_of[b];
                    if (dd < x->gap[c1 * C + c2])
                        x->gap[c1 * C + c2] = x->gap[c2 * C + c1] = dd;
                }
        }
    free(first);
    free(next);
    return 0;
}

/* The pairs of endpoints on distinct hosts with paths between them, and
 * the least delay between their hosts (struct spread_ehosts): 0,
 * PLC_ENOMEM. */
static int ends_build(const struct milp *m, struct spread_ehosts *x)
{
    const struct place_problem *p = m->p;
    const struct routes *r = m->r;
    size_t E = p->n_endpoints, N = E + p->n_services, H = p->cluster->n_hosts,
           nn = r->any_graph.n_nodes;
    bool *fw = malloc((N + 1) * sizeof *fw), *bw = malloc((N + 1) * sizeof *bw);
    size_t *stack = malloc((N + 1) * sizeof *stack);
    struct place__paths sp;
    int rc = place__paths_alloc(&sp, nn);
    if (rc == 0 && (!fw || !bw || !stack))
        rc = PLC_ENOMEM;
    for (size_t s = 0; rc == 0 && s < E; s++) {
        size_t hs = p->endpoint_node[s];
        if (hs >= H)
            continue;
        bool searched = false;
        reach(p, s, true, fw, stack);
        for (size_t t = 0; rc == 0 && t < E && x->n_ends < SPREAD_ENDS; t++) {
            size_t ht = p->endpoint_node[t];
            if (t == s || ht >= H || ht == hs || !fw[t])
                continue;
            if (!searched) {
                place__paths_from(&r->any_graph, hs, r->arc_delay, NULL, &sp);
                searched = true;
            }
            if (sp.cost[ht] == PLACE_UNLIMITED || sp.cost[ht] == 0)
                continue;
            reach(p, t, false, bw, stack);
            struct ends *q = &x->ends[x->n_ends];
            q->on = calloc(p->n_vlinks + 1, sizeof *q->on);
            if (!q->on) {
                rc = PLC_ENOMEM;
                break;
            }
            q->s = s;
            q->t = t;
            q->dist = sp.cost[ht];
            q->step = least_step(r, hs, ht);
            for (size_t i = 0; i < p->n_vlinks; i++) {
                const struct place_vlink *e = &p->vlinks[i];
                q->on[i] = e->from != e->to && fw[e->from] && bw[e->to] &&
                           (e->from == s || e->from >= E) &&
                           (e->to == t || e->to >= E);
            }
            x->n_ends++;
        }
    }
    free(fw);
    free(bw);
    free(stack);
    place__paths_release(&sp);
    return rc;
}

int place__ehosts_build(const struct milp *m, const struct place_tcol *col,
                        size_t n, uint64_t pair, struct spread_ehosts *x)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t E = p->n_endpoints, H = c->n_hosts, L = p->n_vlinks;
    *x = (struct spread_ehosts){0};
    x->at = malloc((L + 1) * sizeof *x->at);
    if (!x->at) {
        place__ehosts_free(x);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < L; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        x->at[i] = PLACE_NONE;
        if ((e->from < E) == (e->to < E))
            continue;
        size_t node = p->endpoint_node[e->from < E ? e->from : e->to];
        uint64_t d = (uint64_t)(e->crossings > 0 ? e->crossings : 0) *
                     (pair + place__message_ns(e));
        if (node >= H || d == 0)
            continue;
        size_t k = 0;
        while (k < x->n && x->h[k].host != node)
            k++;
        if (k == SPREAD_EHOSTS)
            continue;
        if (k == x->n) {
            const struct place_host *o = &c->hosts[node];
            struct ehost *h = &x->h[x->n++];
            *h = (struct ehost){.host = node, .cores = o->cores};
            h->core_free = malloc(((size_t)o->cores + 1) * sizeof(double));
            h->has = calloc(n + 1, sizeof *h->has);
            if (!h->core_free || !h->has) {
                place__ehosts_free(x);
                return PLC_ENOMEM;
            }
            for (int q = 0; q < o->cores; q++)
                h->core_free[q] = place__milp_core_free(o, q);
            h->mem_free = place__milp_host_mem_free(o);
            host_columns(m, col, n, node, h->has);
        }
        x->at[i] = k;
    }
    x->pair = pair;
    int rc = x->n ? ends_build(m, x) : 0;
    if (rc == 0 && x->n)
        rc = rings_build(m, col, n, x);
    if (rc < 0)
        place__ehosts_free(x);
    return rc;
}
