/*
 * netpath.c: the network a path of the workflow cannot avoid, for the DP
 * bound (bound.c).
 *
 * The DP keeps one path P of the workflow and takes network delays as 0,
 * except between two endpoints.  But a service's places are limited (its
 * pins, zone, memory, a core with room: its columns), and where the
 * places of consecutive nodes of P lie apart, some vlink of P crosses the
 * network in every plan: a vEPC whose subscriber database is pinned to
 * another pod than the radio endpoint pays the crossing between the pods,
 * either before its control-plane service or after it.  With places the
 * hosts of each service's columns and the endpoints' nodes,
 *   A_0(p) = 0 at the first node's places,
 *   A_j(p) = min over places q of node j - 1 of A_{j-1}(q) + hop_j(q, p),
 *   net(P) = min over places p of the last node of A_last(p),
 * where hop_j(q, p) is the largest over the vlinks from node j - 1 to node
 * j of crossings x (the least delay of a route from q to p, over the route
 * sets, plus the message time), and 0 when q and p are one host.  Any
 * plan puts each node of P at one of its places, and its timing rows
 * charge each vlink at least that hop, so net(P) bounds P's network from
 * below, and D - net(P) bounds what P's local deadlines may take.
 *
 * Services are taken per group of interchangeable hosts (routes.h):
 * between distinct groups every pair of their hosts has one delay; inside
 * a group the hop is taken as 0 (two services may share a host there),
 * which only lowers the bound, unless the rules keep them apart (then two
 * hosts of the group: their access arcs) or together (then only one
 * group).  Between an endpoint and a service the hop
 * is found per host (the endpoint may be a host of the group).
 *
 * The path: the DP's own critical path has the largest sum of least local
 * deadlines, which may not be the one with the most network.  The same
 * recursion over the whole DAG with each service's least local deadline
 * added, taking at a node the largest over its predecessors, bounds every
 * node's finish from below; walking back from the node with the largest
 * bound gives a second path, and the DP keeps the path whose bound is
 * higher.
 */
#include "internal.h"
#include "milp.h"
#include "milp_internal.h"
#include "plc/error.h"
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#define INF PLACE_UNLIMITED

/* The most hop evaluations (groups x groups x vlinks) spent on a bound;
 * above it there is none (0 is always valid). */
#define NETPATH_WORK 4000000.0

struct place_net {
    const struct milp *m;
    size_t H, G, E;
    size_t *rep;       /* per group: one of its hosts */
    size_t *rep2;      /* per group: another (PLACE_NONE: a host alone) */
    signed char *rule; /* V x V: 1 on distinct hosts, -1 on one, 0 either */
    bool *cand;        /* per service x group: a column on a host of it */
    size_t *np;        /* per node: its places (1 for an endpoint, G) */
    uint64_t *base;    /* per vlink: its least traversal anywhere (hubs) */
    bool base_ok;      /* base is up to date with cand */
};

static void net_free(struct place_net *t)
{
    free(t->rep);
    free(t->rep2);
    free(t->rule);
    free(t->cand);
    free(t->np);
    free(t->base);
}

static int net_init(struct place_net *t, const struct milp *m)
{
    const struct place_problem *p = m->p;
    memset(t, 0, sizeof *t);
    t->m = m;
    t->H = p->cluster->n_hosts;
    t->G = m->r->n_groups;
    t->E = p->n_endpoints;
    size_t V = p->n_services, N = t->E + V;
    t->rep = malloc((t->G + 1) * sizeof *t->rep);
    t->rep2 = malloc((t->G + 1) * sizeof *t->rep2);
    t->rule = place__pair_rules(m);
    t->cand = calloc(V * t->G + 1, sizeof *t->cand);
    t->np = malloc((N + 1) * sizeof *t->np);
    if (!t->rep || !t->rep2 || !t->rule || !t->cand || !t->np) {
        net_free(t);
        return PLC_ENOMEM;
    }
    for (size_t g = 0; g < t->G; g++)
        t->rep[g] = t->rep2[g] = PLACE_NONE;
    for (size_t h = 0; h < t->H; h++) {
        size_t g = m->r->group_of[h];
        if (t->rep[g] == PLACE_NONE)
            t->rep[g] = h;
        else if (t->rep2[g] == PLACE_NONE)
            t->rep2[g] = h;
    }
    for (size_t v = 0; v < V; v++)
        for (size_t h = 0; h < t->H; h++)
            if (m->yn[v * t->H + h] > 0)
                t->cand[v * t->G + m->r->group_of[h]] = true;
    for (size_t n = 0; n < N; n++)
        t->np[n] = n < t->E ? 1 : t->G;
    return 0;
}

/* Least delay of one traversal of e from place a to place b (hosts, or
 * endpoint nodes when the flag says so), times its crossings; INF when no
 * route joins them. */
static uint64_t hop(const struct milp *m, const struct place_vlink *e, size_t a,
                    bool a_host, size_t b, bool b_host)
{
    if (e->crossings <= 0)
        return 0;
    uint64_t best = INF;
    for (int k = 0; k < m->r->n_sets; k++) {
        uint64_t d = INF, j;
        bool ok;
        if (a_host && b_host)
            ok = place__milp_pair_delay(m, e, k, a, b, &d, &j);
        else if (a_host)
            ok = place__milp_node_host_delay(m, e, k, b, a, false, &d, &j);
        else if (b_host)
            ok = place__milp_node_host_delay(m, e, k, a, b, true, &d, &j);
        else
            ok = (d = 0, true); /* two endpoints: a constant, left out */
        if (ok && d < best)
            best = d;
    }
    return best == INF ? INF : (uint64_t)e->crossings * best;
}

static uint64_t add(uint64_t a, uint64_t b)
{
    return a == INF || b == INF || a > INF - b ? INF : a + b;
}

/* The least traversal of vlink i between place qa of its tail and qb of
 * its head (INF when no route joins them). */
static uint64_t vl_hop(const struct place_net *t, size_t i, size_t qa,
                       size_t qb)
{
    const struct milp *m = t->m;
    const struct place_problem *p = m->p;
    const struct place_vlink *e = &p->vlinks[i];
    size_t E = t->E, a = e->from, b = e->to;
    if (a >= E && b >= E) {
        size_t V = p->n_services;
        signed char rule = t->rule[(a - E) * V + (b - E)];
        if (rule < 0) /* affine: one host */
            return qa == qb ? 0 : INF;
        if (qa != qb)
            return hop(m, e, t->rep[qa], true, t->rep[qb], true);
        /* one group: one host, or two of it when anti-affine */
        if (rule == 0)
            return 0;
        return t->rep2[qa] == PLACE_NONE
                   ? INF
                   : hop(m, e, t->rep[qa], true, t->rep2[qa], true);
    }
    if (a < E && b < E)
        return 0;
    /* endpoint and service: per host of the group */
    size_t node = p->endpoint_node[a < E ? a : b];
    size_t v = (a < E ? b : a) - E, g = a < E ? qb : qa;
    uint64_t d = INF;
    for (size_t h = 0; h < t->H; h++) {
        if (m->r->group_of[h] != g || m->yn[v * t->H + h] == 0)
            continue;
        uint64_t x = a < E ? hop(m, e, node, false, h, true)
                           : hop(m, e, h, true, node, false);
        if (x < d)
            d = x;
    }
    return d;
}

/* The largest hop of the vlinks a -> b between place qa of a and qb of b
 * (INF when none joins them, or no route does). */
static uint64_t link_hop(const struct place_net *t, size_t a, size_t b,
                         size_t qa, size_t qb)
{
    const struct place_problem *p = t->m->p;
    uint64_t worst = 0;
    bool joined = false;
    for (size_t i = 0; i < p->n_vlinks && worst != INF; i++) {
        if (p->vlinks[i].from != a || p->vlinks[i].to != b)
            continue;
        joined = true;
        uint64_t d = vl_hop(t, i, qa, qb);
        if (d > worst)
            worst = d;
    }
    return joined ? worst : INF;
}

static bool placed(const struct place_net *t, size_t n, size_t q)
{
    return n < t->E || t->cand[(n - t->E) * t->G + q];
}

/* out[q] for the places q of node b: the least, over the places of node
 * a (values in), of in + link_hop.  Returns whether any is finite. */
static bool relax(const struct place_net *t, size_t a, size_t b,
                  const uint64_t *in, uint64_t *out)
{
    bool any = false;
    for (size_t qb = 0; qb < t->np[b]; qb++) {
        out[qb] = INF;
        for (size_t qa = 0; placed(t, b, qb) && qa < t->np[a]; qa++) {
            if (in[qa] == INF || !placed(t, a, qa))
                continue;
            uint64_t s = add(in[qa], link_hop(t, a, b, qa, qb));
            if (s < out[qb])
                out[qb] = s;
        }
        any = any || out[qb] != INF;
    }
    return any;
}

static double work(const struct place_net *t, size_t links)
{
    return (double)t->G * (double)t->G * (double)(links + 1) +
           (double)t->H * (double)(links + 1);
}

int place__path_net(const struct place_net *t, const size_t *seq, size_t n,
                    uint64_t *least_ns)
{
    *least_ns = 0;
    if (!t || n < 2)
        return 0;
    int rc = 0;
    uint64_t *a = malloc((t->G + 1) * sizeof *a),
             *b = malloc((t->G + 1) * sizeof *b);
    if (!a || !b)
        rc = PLC_ENOMEM;
    for (size_t q = 0; rc == 0 && q < t->np[seq[0]]; q++)
        a[q] = placed(t, seq[0], q) ? 0 : INF;
    bool ok = rc == 0;
    for (size_t j = 1; ok && j < n; j++) {
        ok = relax(t, seq[j - 1], seq[j], a, b);
        uint64_t *s = a;
        a = b;
        b = s;
    }
    if (ok) {
        uint64_t least = INF;
        for (size_t q = 0; q < t->np[seq[n - 1]]; q++)
            if (a[q] < least)
                least = a[q];
        /* INF: no places join the path; the whole model says so */
        *least_ns = least == INF ? 0 : least;
    }
    free(a);
    free(b);
    return rc;
}

int place__net_critical_path(const struct place_net *t, const uint64_t *least,
                             size_t *seq, size_t *n)
{
    *n = 0;
    if (!t)
        return 0;
    const struct place_problem *p = t->m->p;
    size_t E = t->E, G = t->G, N = E + p->n_services;
    int rc = 0;
    /* T[n][q]: a lower bound of node n's finish at place q; via[n][q]:
     * the predecessor that set it */
    uint64_t *T = malloc((N * G + 1) * sizeof *T),
             *tmp = malloc((G + 1) * sizeof *tmp);
    size_t *via = malloc((N * G + 1) * sizeof *via);
    size_t *pos = malloc((N + 1) * sizeof *pos), *start = NULL, *in = NULL;
    size_t *order = pos ? place__topo_order(p, pos) : NULL;
    if (!T || !tmp || !via || !order ||
        place__dag_adj(p, true, &start, &in) < 0)
        rc = PLC_ENOMEM;
    for (size_t k = 0; rc == 0 && k < N; k++) {
        size_t b = order[k];
        uint64_t own = b >= E ? least[b - E] : 0;
        uint64_t *Tb = &T[b * G];
        for (size_t q = 0; q < t->np[b]; q++) {
            Tb[q] = placed(t, b, q) ? 0 : INF;
            via[b * G + q] = PLACE_NONE;
        }
        for (size_t j = start[b]; j < start[b + 1]; j++) {
            size_t a = p->vlinks[in[j]].from;
            /* each predecessor once (several vlinks: relax takes all) */
            bool seen = false;
            for (size_t i = start[b]; i < j && !seen; i++)
                seen = p->vlinks[in[i]].from == a;
            if (seen || a == b || !relax(t, a, b, &T[a * G], tmp))
                continue;
            for (size_t q = 0; q < t->np[b]; q++)
                if (Tb[q] != INF && tmp[q] > Tb[q]) {
                    Tb[q] = tmp[q];
                    via[b * G + q] = a;
                }
        }
        for (size_t q = 0; q < t->np[b]; q++)
            Tb[q] = add(Tb[q], own);
    }
    /* the node whose least finish is largest, and the walk back */
    size_t end = PLACE_NONE, at = 0;
    uint64_t best = 0;
    for (size_t b = 0; rc == 0 && b < N; b++) {
        uint64_t lo = INF;
        size_t lq = 0;
        for (size_t q = 0; q < t->np[b]; q++)
            if (T[b * G + q] < lo) {
                lo = T[b * G + q];
                lq = q;
            }
        if (lo != INF && (end == PLACE_NONE || lo > best)) {
            best = lo;
            end = b;
            at = lq;
        }
    }
    size_t len = 0;
    for (size_t b = end; rc == 0 && b != PLACE_NONE && len < N;) {
        seq[len++] = b;
        size_t a = via[b * G + at];
        if (a == PLACE_NONE)
            break;
        /* the place of a that gave b its value at `at` */
        size_t qa_best = 0;
        uint64_t lo = INF;
        for (size_t qa = 0; qa < t->np[a]; qa++) {
            uint64_t x = add(T[a * G + qa], link_hop(t, a, b, qa, at));
            if (x < lo) {
                lo = x;
                qa_best = qa;
            }
        }
        b = a;
        at = qa_best;
    }
    /* seq was filled from the end */
    for (size_t i = 0; i < len / 2; i++) {
        size_t s = seq[i];
        seq[i] = seq[len - 1 - i];
        seq[len - 1 - i] = s;
    }
    *n = rc == 0 ? len : 0;
    free(T);
    free(tmp);
    free(via);
    free(pos);
    free(order);
    free(start);
    free(in);
    return rc;
}

void place__net_free(struct place_net *t)
{
    if (t) {
        net_free(t);
        free(t);
    }
}

int place__net_new(const struct milp *m, size_t links, struct place_net **out)
{
    *out = NULL;
    if (m->single_location || m->p->n_vlinks == 0)
        return 0;
    struct place_net *t = malloc(sizeof *t);
    if (!t)
        return PLC_ENOMEM;
    int rc = net_init(t, m);
    if (rc < 0) {
        free(t);
        return rc;
    }
    if (work(t, links) > NETPATH_WORK) {
        place__net_free(t);
        return 0;
    }
    *out = t;
    return 0;
}

void place__net_drop(struct place_net *t, size_t v, size_t g)
{
    if (t->cand[v * t->G + g]) {
        t->cand[v * t->G + g] = false;
        t->base_ok = false; /* found again when next asked */
    }
}

/* Each vlink's least traversal over the places its ends may take. */
static int net_base(struct place_net *t)
{
    const struct place_problem *p = t->m->p;
    if (t->base_ok)
        return 0;
    if (!t->base && !(t->base = malloc((p->n_vlinks + 1) * sizeof *t->base)))
        return PLC_ENOMEM;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        uint64_t lo = INF;
        for (size_t qa = 0; qa < t->np[e->from] && lo; qa++)
            for (size_t qb = 0; placed(t, e->from, qa) && qb < t->np[e->to];
                 qb++) {
                uint64_t d = placed(t, e->to, qb) ? vl_hop(t, i, qa, qb) : INF;
                if (d < lo)
                    lo = d;
            }
        /* none: the whole model says there is no plan */
        t->base[i] = lo == INF ? 0 : lo;
    }
    t->base_ok = true;
    return 0;
}

size_t place__net_groups(const struct place_net *t)
{
    return t->G;
}

bool place__net_has(const struct place_net *t, size_t v, size_t g)
{
    return t->cand[v * t->G + g];
}

int place__net_hub(struct place_net *t, size_t s, size_t g, uint64_t *delay)
{
    int rc = net_base(t);
    if (rc < 0)
        return rc;
    const struct place_problem *p = t->m->p;
    size_t E = t->E, n = E + s;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if ((e->from != n && e->to != n) || e->from == e->to) {
            delay[i] = t->base[i];
            continue;
        }
        /* s at g; the other end at its best place */
        size_t o = e->from == n ? e->to : e->from;
        uint64_t lo = INF;
        for (size_t q = 0; q < t->np[o] && lo; q++) {
            if (!placed(t, o, q))
                continue;
            uint64_t d = e->from == n ? vl_hop(t, i, g, q) : vl_hop(t, i, q, g);
            if (d < lo)
                lo = d;
        }
        delay[i] = lo;
    }
    return 0;
}
