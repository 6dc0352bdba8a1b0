/*
 * search.c: an exact branch and bound over hosts and reservations, for
 * the objectives "utilization" (ties: bandwidth x hops) and "hosts" (ties:
 * utilisation, then bandwidth x hops), without GLPK.
 *
 * The services are placed one at a time in topological order, each on a
 * host and with a menu item among its model columns (so the candidates
 * are the model's: rules, memory, the item's fit in a free core, and what
 * the bounds pruned).  A partial plan is cut off when
 *
 *   - the services on one host do not pack on its free cores (the packing
 *     of verify.c), or their memory does not fit, or a rule is broken;
 *   - a vlink between placed nodes breaks its own latency or jitter limit;
 *   - a placed node's finish (longest path of local deadlines and vlink
 *     delays into it, as verify.c computes it) plus the least time that
 *     must follow it exceeds the deadline: the least local deadlines of
 *     the services after it on its longest path, or, towards an endpoint
 *     it reaches, those plus the least delay from its host to that
 *     endpoint's node (every route's delay is at least the least-delay
 *     route's, and those delays are a metric where every host forwards or
 *     hangs off one link, so the vlinks still to come cross at least that);
 *   - the probability weights placed exceed the row's budget;
 *   - its utilisation plus a lower bound of what the services still to be
 *     placed reserve is above the best plan's (or equal, and its bandwidth
 *     x hops so far is not below the best's).  The lower bound is a table
 *     of the least total utilisation of the services from position k on
 *     within a budget of local deadline and of probability weight, each
 *     rounded *down* to a grid (a relaxation: it admits more); the
 *     deadline budget is kept for the services of one path P (the whole
 *     workflow when it is a chain; else the path of the largest least
 *     local deadlines), the others taking none of it: every path keeps
 *     the deadline, so P's services after the last one placed share what
 *     that one's finish and its least route to P's endpoint leave.
 *
 * With first (place__search_first), any plan will do, and the families
 * the model relaxes (m->relax) are left out of the checks: what an
 * explanation asks of each family in turn.  A leaf then passes when the
 * full verification fails on nothing or only on a relaxed family that it
 * checks after the link rates and ports (memory, the deadline, the
 * probability, the rates themselves): the search has kept every other
 * family already.
 *
 * Equal hosts (the same group, so the same routes to everything, the same
 * menus and the same free cores and memory) are interchangeable while
 * neither holds a service: only the first is tried.
 *
 * The routes are the shortest (route set 0) and link rates and ports are
 * left out of the search; a leaf that beats the best is verified in full
 * (place__complete_plan: routes, rates, ports, latency, probability).  A
 * leaf that fails there makes the search inexact (a detour might have
 * kept it), and the answer is then not proven.  Otherwise, when the search
 * ends before its limits, no plan is better than the best found (or the
 * caller's), lexicographically in (utilisation, bandwidth x hops).
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NL_CHAIN 256    /* deadline cells of the table, for a chain */
#define NL_EXACT 4096   /* ... at most, when the local deadlines' grid fits */
#define NW_MAX 256      /* probability-weight cells, at most */
#define NW_MIN 64       /* ... at least */
#define CELLS_MAX 32768 /* deadline x weight cells */
#define TOL 1e-9

struct scol {
    double u; /* vcpus x utilisation */
    uint64_t d;
    double w;
    size_t k; /* menu index */
};

struct sitem {
    double u;
    uint32_t cd, cw; /* cells */
};

struct search {
    const struct milp *m;
    const struct place_problem *p;
    size_t V, H, E, L;
    size_t *order; /* services in topological order */
    size_t *in_s;  /* per service: first in-vlink in in_l */
    size_t *in_l;  /* in-vlinks */
    size_t *out_s; /* per service: first out-vlink in out_l */
    size_t *out_l; /* out-vlinks */
    signed char *rule;
    double W;   /* probability budget (INFINITY: none) */
    uint64_t D; /* deadline (PLACE_UNLIMITED: none) */
    bool chain; /* order[k] -> order[k + 1] are the only service links */
    /* the path P of the table's deadline (see the top): its services, the
     * endpoint its last one feeds (PLACE_NONE: none), and the deadline
     * budget its services not yet placed share (state) */
    bool *onP;
    size_t sinkP;
    double pbud;
    bool metric;
    /* the least local deadline per service, and T1[v]: the longest path
     * of those after v (v's own left out) */
    uint64_t *dmin, *tail;
    /* R[v * E + e]: the longest path of least local deadlines from after v
     * to endpoint e (UINT64_MAX: e not reached from v) */
    uint64_t *reach;
    /* per host and endpoint: least route delay host -> endpoint node */
    uint64_t *to_ep;
    /* the table: G[(k * NL + s) * NW + b] */
    size_t NL, NW;
    double gd, gw;
    double *G;
    /* per service x host: its columns, Pareto-filtered and sorted by u
     * (lazily: cnt SIZE_MAX until made) */
    struct scol **cols;
    size_t *ncols;
    /* equal hosts: rep[h], the first host equal to h */
    size_t *rep;
    /* the pair cache (vl_net), (groups + endpoints)^2; per vlink its
     * message's time; scratch for a route's arcs */
    struct pinfo *pair;
    uint64_t *msg_ns;
    size_t *arcs;
    /* objective "hosts": the hosts in use before the plan */
    bool hosts_obj;
    bool *busy;
    /* state */
    size_t *host, *item;
    double *u;
    uint64_t *fin; /* per workflow node */
    size_t *on_n;  /* per host: services on it */
    size_t *on_v;  /* per host x V: which */
    double *on_u;  /* per host x V: their u */
    uint64_t *mem; /* per host: memory placed */
    double usum, wsum, bsum, nsum;
    /* best */
    double best_n, best_u, best_b;
    size_t *best_host, *best_item;
    bool found, inexact, stopped;
    bool first;     /* any plan will do: stop at the first */
    unsigned relax; /* families left out (m->relax) */
    long nodes, max_nodes;
    double end_s;
    struct place_plan scratch;
};

static int cmp_scol(const void *a, const void *b)
{
    const struct scol *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    if (x->d != y->d)
        return x->d < y->d ? -1 : 1;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* Service v's columns on host h, without those another column there
 * beats in utilisation, local deadline and weight alike. */
static int host_cols(struct search *s, size_t v, size_t h)
{
    size_t i = v * s->H + h;
    if (s->ncols[i] != SIZE_MAX)
        return 0;
    const struct milp *m = s->m;
    size_t n = m->yn[i];
    struct scol *c = malloc((n + 1) * sizeof *c);
    if (!c)
        return PLC_ENOMEM;
    const struct sched_menu *mu = s->p->services[v].menu[h];
    int vc = s->p->services[v].vcpus;
    for (size_t j = 0; j < n; j++) {
        const struct sched_menu_item *it = &mu->v[m->y[m->ys[i] + j].m];
        c[j] = (struct scol){vc * it->utilization, it->deadline_ns,
                             place__prob_weight(s->p, it->phi),
                             m->y[m->ys[i] + j].m};
    }
    qsort(c, n, sizeof *c, cmp_scol);
    size_t kept = 0;
    for (size_t j = 0; j < n; j++) {
        bool dom = false;
        for (size_t q = 0; q < kept && !dom; q++)
            dom = c[q].d <= c[j].d && c[q].w <= c[j].w;
        if (!dom)
            c[kept++] = c[j];
    }
    s->cols[i] = c;
    s->ncols[i] = kept;
    return 0;
}

/* The route between two places of the workflow, per pair of places:
 * a service's place is its host's group (every host of a group has the
 * same routes to every other node, routes.h), an endpoint's its node. */
struct pinfo {
    uint64_t d, j; /* route delay (without the message) and jitter */
    uint32_t hops;
    signed char st; /* 0 not known yet, 1 a route, -1 none */
};

/* One traversal's delay (without crossings) and jitter of vlink i with
 * its ends where the state has them; false: no route. */
static bool vl_delay_raw(const struct search *s, size_t i, uint64_t *d,
                         uint64_t *j)
{
    const struct place_vlink *e = &s->p->vlinks[i];
    size_t E = s->E;
    if (e->from < E)
        return place__milp_node_host_delay(s->m, e, 0,
                                           s->p->endpoint_node[e->from],
                                           s->host[e->to - E], true, d, j);
    if (e->to < E)
        return place__milp_node_host_delay(s->m, e, 0,
                                           s->p->endpoint_node[e->to],
                                           s->host[e->from - E], false, d, j);
    return place__milp_pair_delay(s->m, e, 0, s->host[e->from - E],
                                  s->host[e->to - E], d, j);
}

static size_t vl_hops_raw(const struct search *s, size_t i, size_t *arcs)
{
    const struct place_vlink *e = &s->p->vlinks[i];
    size_t E = s->E;
    size_t a =
        e->from < E ? s->p->endpoint_node[e->from] : s->host[e->from - E];
    size_t b = e->to < E ? s->p->endpoint_node[e->to] : s->host[e->to - E];
    return place__milp_pair_arcs(s->m, 0, a, b, e->from >= E, e->to >= E, arcs);
}

/* Vlink i where the state has its ends: one traversal's delay (d, with
 * the message) and jitter, and its route's hops; false: no route.  From
 * the pair cache (the message added per vlink). */
static bool vl_net(struct search *s, size_t i, uint64_t *d, uint64_t *j,
                   size_t *hops)
{
    const struct place_vlink *e = &s->p->vlinks[i];
    size_t E = s->E, G = s->m->r->n_groups;
    size_t a =
        e->from < E ? s->p->endpoint_node[e->from] : s->host[e->from - E];
    size_t b = e->to < E ? s->p->endpoint_node[e->to] : s->host[e->to - E];
    if (a == b || s->m->single_location) {
        *d = *j = 0;
        *hops = 0;
        return true;
    }
    size_t ia = e->from < E ? G + e->from : s->m->r->group_of[a];
    size_t ib = e->to < E ? G + e->to : s->m->r->group_of[b];
    struct pinfo *x = &s->pair[ia * (G + E) + ib];
    if (!x->st) {
        uint64_t dd, jj;
        size_t n = PLACE_NONE;
        if (vl_delay_raw(s, i, &dd, &jj))
            n = vl_hops_raw(s, i, s->arcs);
        if (n == PLACE_NONE) {
            x->st = -1;
        } else {
            x->st = 1;
            x->d = dd - place__message_ns(e);
            x->j = jj;
            x->hops = (uint32_t)n;
        }
    }
    if (x->st < 0)
        return false;
    *d = x->d + s->msg_ns[i];
    *j = x->j;
    *hops = x->hops;
    return true;
}

static bool within(const struct search *s, const struct place_vlink *e,
                   uint64_t d, uint64_t j)
{
    return (s->relax & FAM_LINK_LATENCY) ||
           ((e->max_latency_ns == PLACE_UNLIMITED || d <= e->max_latency_ns) &&
            (e->max_jitter_ns == PLACE_UNLIMITED || j <= e->max_jitter_ns));
}

/* The table's least utilisation of the services from position k on
 * within deadline budget S (ns) and weight budget Wr. */
static double table(const struct search *s, size_t k, double S, double Wr)
{
    if (S < 0 || Wr < 0)
        return INFINITY;
    size_t c = s->NL == 1 ? 0 : (size_t)fmin((double)s->NL - 1, S / s->gd);
    size_t b = s->NW == 1 ? 0 : (size_t)fmin((double)s->NW - 1, Wr / s->gw);
    return s->G[(k * s->NL + c) * s->NW + b];
}

static int verify_leaf(struct search *s)
{
    const struct place_problem *p = s->p;
    struct place_plan *pl = &s->scratch;
    for (size_t v = 0; v < s->V; v++) {
        pl->services[v].host = s->host[v];
        pl->services[v].item = p->services[v].menu[s->host[v]]->v[s->item[v]];
    }
    for (size_t i = 0; i < s->L; i++)
        pl->vlinks[i].route = 0;
    int packed = place__pack_all(p, pl);
    if (packed < 0)
        return packed;
    if (!packed && !(s->relax & FAM_CPU))
        return 0;
    enum place_reject why = PLACE_REJECT_NONE;
    int rc = place__complete_plan_why(s->m, pl, NULL, &why);
    place__free_paths(pl, s->L);
    if (rc == PLC_ENOMEM)
        return rc;
    if (rc == 0)
        return 1;
    /* (verify.c checks routes and link limits, then rates and ports, then
     * memory, the deadline and the probability) */
    return ((s->relax & FAM_MEMORY) && why == PLACE_REJECT_MEMORY) ||
           ((s->relax & FAM_DEADLINE) && why == PLACE_REJECT_DEADLINE) ||
           ((s->relax & FAM_PROBABILITY) && why == PLACE_REJECT_PROBABILITY) ||
           ((s->relax & FAM_BANDWIDTH) && why == PLACE_REJECT_BANDWIDTH);
}

static int place_at(struct search *s, size_t k);

/* Service order[k] on host h with column c: the checks, then deeper.
 * 0, or PLC_ENOMEM. */
struct child {
    size_t h;
    const struct scol *c;
    double n, lb, b;
    double pb;    /* P's budget after it */
    uint64_t fin; /* v's finish there */
};

static int cmp_child(const void *a, const void *b)
{
    const struct child *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    if (x->lb != y->lb)
        return x->lb < y->lb ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (x->h > y->h) - (x->h < y->h);
}

/* Is a partial plan whose completions have at least n new hosts,
 * utilisation lb and bandwidth x hops b no better than the best? */
static bool beaten(const struct search *s, double n, double lb, double b)
{
    if (n > s->best_n + 0.5)
        return true;
    if (n < s->best_n - 0.5)
        return false;
    if (lb > s->best_u + TOL * fmax(1, fabs(s->best_u)))
        return true;
    return lb >= s->best_u - TOL * fmax(1, fabs(s->best_u)) &&
           b >= s->best_b * (1 - 1e-12);
}

static int place_at(struct search *s, size_t k)
{
    const struct place_problem *p = s->p;
    size_t V = s->V, H = s->H, E = s->E;
    if (k == V) {
        /* a leaf: better than the best (checked by the caller) */
        int ok = verify_leaf(s);
        if (ok < 0)
            return ok;
        if (!ok) {
            s->inexact = true;
            return 0;
        }
        s->found = true;
        if (s->first)
            s->stopped = true; /* (found: the answer, not a limit) */
        s->best_n = s->nsum;
        s->best_u = s->usum;
        s->best_b = s->bsum;
        memcpy(s->best_host, s->host, V * sizeof *s->host);
        memcpy(s->best_item, s->item, V * sizeof *s->item);
        return 0;
    }
    if (++s->nodes > s->max_nodes ||
        ((s->nodes & 255) == 0 && plc_now_s() >= s->end_s)) {
        s->stopped = true;
        return 0;
    }
    size_t v = s->order[k];
    const struct place_service *sv = &p->services[v];
    size_t nch = 0, cap = 64;
    struct child *ch = malloc(cap * sizeof *ch);
    int rc = ch ? 0 : PLC_ENOMEM;
    /* a host that must be v's (affinity with a placed service) */
    size_t must = PLACE_NONE;
    for (size_t q = 0; q < k; q++)
        if (s->rule[v * V + s->order[q]] < 0)
            must = s->host[s->order[q]];
    for (size_t h = 0; rc == 0 && h < H; h++) {
        if (!s->m->yn[v * H + h] || (must != PLACE_NONE && h != must))
            continue;
        /* an unused host equal to an earlier unused one: that one's */
        if (s->rep[h] != h && !s->on_n[h] && !s->on_n[s->rep[h]])
            continue;
        bool ok = true;
        for (size_t q = 0; q < k && ok; q++)
            if (s->rule[v * V + s->order[q]] > 0 && s->host[s->order[q]] == h)
                ok = false;
        const struct place_host *ho = &p->cluster->hosts[h];
        if (!ok ||
            (!(s->relax & FAM_MEMORY) && ho->mem_bytes != PLACE_UNLIMITED &&
             s->mem[h] + sv->mem_bytes + ho->mem_used_bytes > ho->mem_bytes))
            continue;
        if ((rc = host_cols(s, v, h)) < 0)
            break;
        /* v's start and the bandwidth x hops of its in-vlinks */
        s->host[v] = h;
        uint64_t start = 0;
        double bw = 0;
        for (size_t q = s->in_s[v]; ok && q < s->in_s[v + 1]; q++) {
            size_t i = s->in_l[q];
            const struct place_vlink *e = &p->vlinks[i];
            uint64_t d, j;
            size_t hops;
            if (!vl_net(s, i, &d, &j, &hops) || !within(s, e, d, j)) {
                ok = false;
                break;
            }
            uint64_t f = s->fin[e->from] + d * (uint64_t)e->crossings;
            if (f > start)
                start = f;
            bw += (double)e->rate_bps * (double)hops * (e->duplex ? 2 : 1);
        }
        /* its out-vlinks into endpoints: their delays (the endpoint's
         * finish must be within the deadline) */
        uint64_t to_end = 0;
        for (size_t q = s->out_s[v]; ok && q < s->out_s[v + 1]; q++) {
            size_t i = s->out_l[q];
            const struct place_vlink *e = &p->vlinks[i];
            if (e->to >= E)
                continue;
            uint64_t d, j;
            size_t hops;
            if (!vl_net(s, i, &d, &j, &hops) || !within(s, e, d, j)) {
                ok = false;
                break;
            }
            if (d * (uint64_t)e->crossings > to_end)
                to_end = d * (uint64_t)e->crossings;
            bw += (double)e->rate_bps * (double)hops * (e->duplex ? 2 : 1);
        }
        if (!ok)
            continue;
        double n = s->nsum + (s->hosts_obj && !s->busy[h] && !s->on_n[h]);
        /* the least time after v's finish */
        uint64_t after = s->tail[v];
        if (s->metric)
            for (size_t e = 0; e < E; e++)
                if (s->reach[v * E + e] != UINT64_MAX &&
                    s->reach[v * E + e] + s->to_ep[h * E + e] > after)
                    after = s->reach[v * E + e] + s->to_ep[h * E + e];
        if (to_end > after)
            after = to_end;
        for (size_t c = 0; c < s->ncols[v * H + h]; c++) {
            const struct scol *col = &s->cols[v * H + h][c];
            double wr = s->W - s->wsum - col->w;
            if (wr < 0)
                continue;
            uint64_t fin = start + col->d;
            double S = s->D == PLACE_UNLIMITED
                           ? INFINITY
                           : (double)s->D - (double)fin - (double)after;
            if (S < 0)
                continue;
            /* the table takes the deadline left to P's services after v
             * (the least network to P's endpoint taken out), or, v not
             * on P, what P's last one placed left */
            double pb = s->pbud;
            if (s->onP[v] && s->D != PLACE_UNLIMITED)
                pb = (double)s->D - (double)fin -
                     (s->metric && s->sinkP != PLACE_NONE
                          ? (double)s->to_ep[h * E + s->sinkP]
                          : 0);
            double rest = table(s, k + 1, pb, wr);
            double lb = s->usum + col->u + rest;
            if (beaten(s, n, lb, s->bsum + bw))
                continue;
            if (nch == cap) {
                struct child *x = realloc(ch, 2 * cap * sizeof *x);
                if (!x) {
                    rc = PLC_ENOMEM;
                    break;
                }
                ch = x;
                cap *= 2;
            }
            ch[nch++] = (struct child){h, col, n, lb, s->bsum + bw, pb, fin};
        }
    }
    if (rc == 0)
        qsort(ch, nch, sizeof *ch, cmp_child);
    for (size_t i = 0; rc == 0 && i < nch && !s->stopped; i++) {
        const struct child *x = &ch[i];
        if (beaten(s, x->n, x->lb, x->b))
            continue;
        size_t h = x->h;
        /* the host's cores with v beside what it holds */
        s->on_v[h * V + s->on_n[h]] = v;
        s->on_u[h * V + s->on_n[h]] = x->c->u;
        int pk = (s->relax & FAM_CPU)
                     ? 1
                     : place__packs(p, h, &s->on_v[h * V], &s->on_u[h * V],
                                    s->on_n[h] + 1);
        if (pk < 0) {
            rc = pk;
            break;
        }
        if (!pk)
            continue;
        s->host[v] = h;
        s->item[v] = x->c->k;
        s->fin[E + v] = x->fin;
        s->on_n[h]++;
        s->mem[h] += sv->mem_bytes;
        double us = s->usum, ws = s->wsum, bs = s->bsum, ns = s->nsum,
               pbs = s->pbud;
        s->pbud = x->pb;
        s->usum += x->c->u;
        s->wsum += x->c->w;
        s->bsum = x->b;
        s->nsum = x->n;
        if (k + 1 == V && beaten(s, s->nsum, s->usum, s->bsum)) {
            /* no better than the best after all */
        } else {
            rc = place_at(s, k + 1);
        }
        s->usum = us;
        s->wsum = ws;
        s->bsum = bs;
        s->nsum = ns;
        s->pbud = pbs;
        s->on_n[h]--;
        s->mem[h] -= sv->mem_bytes;
    }
    free(ch);
    return rc;
}

/* The table G (see the top), from the services' distinct columns. */
static int build_table(struct search *s)
{
    const struct milp *m = s->m;
    size_t V = s->V, H = s->H;
    s->NL = s->D != PLACE_UNLIMITED ? NL_CHAIN : 1;
    s->gd = s->NL > 1 ? (double)s->D / (double)(s->NL - 1) : 1;
    if (s->NL > 1) {
        /* local deadlines are whole multiples of their periods: on the grid
         * of their greatest common divisor the rounding loses nothing (on
         * 256 cells of 120 ms it lost up to a hop's delay per chain) */
        uint64_t g = 0;
        for (size_t v = 0; v < V; v++)
            for (size_t h = 0; h < H && s->onP[v]; h++) {
                size_t i = v * H + h;
                const struct sched_menu *mu = s->p->services[v].menu[h];
                for (size_t j = m->ys[i]; j < m->ys[i] + m->yn[i]; j++) {
                    uint64_t a = mu->v[m->y[j].m].deadline_ns, b = g;
                    while (b) {
                        uint64_t t = a % b;
                        a = b;
                        b = t;
                    }
                    g = a;
                }
            }
        if (g > 0 && s->D / g + 1 <= NL_EXACT && s->D / g + 1 > NL_CHAIN) {
            s->NL = (size_t)(s->D / g) + 1;
            s->gd = (double)g;
        } else if (g > 0 && s->D / g + 1 <= NL_CHAIN) {
            s->NL = (size_t)(s->D / g) + 1;
            s->gd = (double)g;
        }
    }
    s->NW = 1;
    if (isfinite(s->W)) {
        s->NW = CELLS_MAX / s->NL;
        s->NW = s->NW > NW_MAX ? NW_MAX : s->NW < NW_MIN ? NW_MIN : s->NW;
    }
    s->gw = s->NW > 1 ? s->W / (double)(s->NW - 1) : 1;
    size_t NL = s->NL, NW = s->NW, cells = NL * NW;
    s->G = malloc((V + 1) * cells * sizeof *s->G);
    if (!s->G)
        return PLC_ENOMEM;
    for (size_t c = 0; c < cells; c++)
        s->G[V * cells + c] = 0;
    for (size_t k = V; k-- > 0;) {
        size_t v = s->order[k];
        /* v's distinct (u, cells) over every host */
        size_t n = 0, cap = 64;
        struct sitem *it = malloc(cap * sizeof *it);
        if (!it)
            return PLC_ENOMEM;
        int vc = s->p->services[v].vcpus;
        for (size_t h = 0; h < H; h++) {
            size_t i = v * H + h;
            const struct sched_menu *mu = s->p->services[v].menu[h];
            for (size_t j = m->ys[i]; j < m->ys[i] + m->yn[i]; j++) {
                const struct sched_menu_item *x = &mu->v[m->y[j].m];
                struct sitem t = {
                    vc * x->utilization,
                    NL > 1 && s->onP[v]
                        ? (uint32_t)fmin((double)NL,
                                         floor((double)x->deadline_ns / s->gd))
                        : 0,
                    NW > 1
                        ? (uint32_t)fmin(
                              (double)NW,
                              floor(place__prob_weight(s->p, x->phi) / s->gw))
                        : 0};
                bool dom = false;
                for (size_t q = 0; q < n && !dom; q++)
                    dom =
                        it[q].u <= t.u && it[q].cd <= t.cd && it[q].cw <= t.cw;
                if (dom)
                    continue;
                size_t w = 0;
                for (size_t q = 0; q < n; q++)
                    if (!(t.u <= it[q].u && t.cd <= it[q].cd &&
                          t.cw <= it[q].cw))
                        it[w++] = it[q];
                n = w;
                if (n == cap) {
                    struct sitem *y = realloc(it, 2 * cap * sizeof *y);
                    if (!y) {
                        free(it);
                        return PLC_ENOMEM;
                    }
                    it = y;
                    cap *= 2;
                }
                it[n++] = t;
            }
        }
        double *G = s->G + k * cells, *N = s->G + (k + 1) * cells;
        for (size_t a = 0; a < NL; a++)
            for (size_t b = 0; b < NW; b++) {
                double best = INFINITY;
                for (size_t q = 0; q < n; q++)
                    if (it[q].cd <= a && it[q].cw <= b) {
                        double x =
                            it[q].u + N[(a - it[q].cd) * NW + (b - it[q].cw)];
                        if (x < best)
                            best = x;
                    }
                G[a * NW + b] = best;
            }
        free(it);
    }
    return 0;
}

/* Are hosts h and g (of one group) alike for the search: the same cores
 * and their free capacity, memory, speed, cost, menus, columns and
 * rules? */
static bool hosts_alike(const struct search *s, size_t h, size_t g)
{
    const struct place_problem *p = s->p;
    size_t V = s->V, H = s->H;
    const struct place_host *a = &p->cluster->hosts[h],
                            *b = &p->cluster->hosts[g];
    bool same = a->cores == b->cores && a->core_capacity == b->core_capacity &&
                a->mem_bytes == b->mem_bytes &&
                a->mem_used_bytes == b->mem_used_bytes &&
                a->speed == b->speed && a->cost == b->cost;
    for (int c = 0; same && c < a->cores; c++)
        same = place__milp_core_free(a, c) == place__milp_core_free(b, c);
    for (size_t v = 0; same && v < V; v++)
        same = p->services[v].menu[h] == p->services[v].menu[g] &&
               s->m->yn[v * H + h] == s->m->yn[v * H + g] &&
               (!p->services[v].allowed ||
                p->services[v].allowed[h] == p->services[v].allowed[g]);
    return same;
}

/* Orders, adjacency, tails, distances.  0, 1 (not applicable),
 * PLC_ENOMEM. */
static int setup(struct search *s)
{
    const struct place_problem *p = s->p;
    size_t V = s->V, E = s->E, L = s->L, H = s->H, nn = E + V;
    size_t *pos = malloc((nn + 1) * sizeof *pos);
    size_t *all = pos ? place__topo_order(p, pos) : NULL;
    if (!all) {
        free(pos);
        return PLC_ENOMEM;
    }
    size_t n = 0;
    for (size_t k = 0; k < nn; k++)
        if (all[k] >= E)
            s->order[n++] = all[k] - E;
    free(all);
    free(pos);
    /* adjacency by service */
    for (size_t i = 0; i < L; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from < E && e->to < E)
            return 1; /* endpoint to endpoint: the model's business */
        if (e->crossings < 1)
            return 1;
        if (e->to >= E)
            s->in_s[e->to - E + 1]++;
        if (e->from >= E)
            s->out_s[e->from - E + 1]++;
    }
    for (size_t v = 0; v < V; v++) {
        s->in_s[v + 1] += s->in_s[v];
        s->out_s[v + 1] += s->out_s[v];
    }
    size_t *fi = calloc(V + 1, sizeof *fi), *fo = calloc(V + 1, sizeof *fo);
    if (!fi || !fo) {
        free(fi);
        free(fo);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < L; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->to >= E)
            s->in_l[s->in_s[e->to - E] + fi[e->to - E]++] = i;
        if (e->from >= E)
            s->out_l[s->out_s[e->from - E] + fo[e->from - E]++] = i;
    }
    free(fi);
    free(fo);
    /* a chain: each service's only service successor the next in order,
     * and the endpoint it feeds (if any) only from the last */
    s->chain = true;
    for (size_t k = 0; k < V && s->chain; k++) {
        size_t v = s->order[k];
        for (size_t q = s->out_s[v]; q < s->out_s[v + 1]; q++) {
            const struct place_vlink *e = &p->vlinks[s->out_l[q]];
            if (e->to >= E) {
                if (k + 1 >= V || e->to - E != s->order[k + 1])
                    s->chain = false;
            } else if (k + 1 != V) {
                s->chain = false;
            }
        }
        for (size_t q = s->in_s[v]; q < s->in_s[v + 1]; q++) {
            const struct place_vlink *e = &p->vlinks[s->in_l[q]];
            if (e->from >= E ? k == 0 || e->from - E != s->order[k - 1]
                             : k != 0)
                s->chain = false;
        }
    }
    /* least local deadlines; tails over services (reverse order) */
    for (size_t v = 0; v < V; v++) {
        s->dmin[v] = UINT64_MAX;
        for (size_t h = 0; h < H; h++) {
            size_t i = v * H + h;
            const struct sched_menu *mu = p->services[v].menu[h];
            for (size_t j = s->m->ys[i]; j < s->m->ys[i] + s->m->yn[i]; j++)
                if (mu->v[s->m->y[j].m].deadline_ns < s->dmin[v])
                    s->dmin[v] = mu->v[s->m->y[j].m].deadline_ns;
        }
        if (s->dmin[v] == UINT64_MAX)
            return 1; /* no column: the model explains it */
    }
    /* P: the whole chain, else the path of the largest least local
     * deadlines (best[v]: of the paths that end at v) */
    uint64_t *best = calloc(V + 1, sizeof *best);
    size_t *pred = malloc((V + 1) * sizeof *pred);
    if (!best || !pred) {
        free(best);
        free(pred);
        return PLC_ENOMEM;
    }
    size_t last = PLACE_NONE;
    for (size_t k = 0; k < V; k++) {
        size_t v = s->order[k];
        pred[v] = PLACE_NONE;
        for (size_t q = s->in_s[v]; q < s->in_s[v + 1]; q++) {
            const struct place_vlink *e = &p->vlinks[s->in_l[q]];
            if (e->from >= E && best[e->from - E] > best[v]) {
                best[v] = best[e->from - E];
                pred[v] = e->from - E;
            }
        }
        best[v] += s->dmin[v];
        if (last == PLACE_NONE || best[v] > best[last])
            last = v;
    }
    for (size_t v = 0; v < V; v++)
        s->onP[v] = s->chain;
    for (size_t v = s->chain ? PLACE_NONE : last; v != PLACE_NONE; v = pred[v])
        s->onP[v] = true;
    if (s->chain)
        last = s->order[V - 1];
    s->sinkP = PLACE_NONE;
    for (size_t q = s->out_s[last]; q < s->out_s[last + 1]; q++)
        if (p->vlinks[s->out_l[q]].to < E && s->sinkP == PLACE_NONE)
            s->sinkP = p->vlinks[s->out_l[q]].to;
    free(best);
    free(pred);
    for (size_t x = 0; x < V * E; x++)
        s->reach[x] = UINT64_MAX;
    for (size_t k = V; k-- > 0;) {
        size_t v = s->order[k];
        s->tail[v] = 0;
        for (size_t q = s->out_s[v]; q < s->out_s[v + 1]; q++) {
            const struct place_vlink *e = &p->vlinks[s->out_l[q]];
            if (e->to < E) {
                if (s->reach[v * E + e->to] == UINT64_MAX)
                    s->reach[v * E + e->to] = 0;
                continue;
            }
            size_t w = e->to - E;
            if (s->dmin[w] + s->tail[w] > s->tail[v])
                s->tail[v] = s->dmin[w] + s->tail[w];
            for (size_t ep = 0; ep < E; ep++)
                if (s->reach[w * E + ep] != UINT64_MAX &&
                    (s->reach[v * E + ep] == UINT64_MAX ||
                     s->dmin[w] + s->reach[w * E + ep] > s->reach[v * E + ep]))
                    s->reach[v * E + ep] = s->dmin[w] + s->reach[w * E + ep];
        }
    }
    /* least delays host -> endpoint node, a metric when every host
     * forwards or has one link */
    s->metric = !s->m->single_location;
    for (size_t h = 0; h < H && s->metric; h++) {
        size_t deg = 0;
        for (size_t l = 0; l < p->cluster->n_links; l++)
            deg += p->cluster->links[l].a == h || p->cluster->links[l].b == h;
        if (!p->cluster->hosts[h].forwarding && deg > 1)
            s->metric = false;
    }
    struct place_vlink plain = {0};
    for (size_t h = 0; h < H && s->metric; h++)
        for (size_t e = 0; e < E; e++) {
            uint64_t d = 0, j;
            if (!place__milp_node_host_delay(
                    s->m, &plain, 0, p->endpoint_node[e], h, false, &d, &j))
                d = 0; /* no route: nothing known (a bound still) */
            s->to_ep[h * E + e] = d;
        }
    if (!s->metric)
        for (size_t x = 0; x < H * E; x++)
            s->to_ep[x] = 0;
    /* equal hosts (an endpoint's host is like no other: its vlinks to
     * the endpoint cross nothing), each compared with the distinct ones
     * of its own group only (first[g], then next[]) */
    size_t G = s->m->r->n_groups;
    bool *ep_host = calloc(H + 1, sizeof *ep_host);
    size_t *first = malloc((G + 1) * sizeof *first);
    size_t *next = malloc((H + 1) * sizeof *next);
    if (!ep_host || !first || !next) {
        free(ep_host);
        free(first);
        free(next);
        return PLC_ENOMEM;
    }
    for (size_t e = 0; e < E; e++)
        if (p->endpoint_node[e] < H)
            ep_host[p->endpoint_node[e]] = true;
    for (size_t g = 0; g < G; g++)
        first[g] = PLACE_NONE;
    for (size_t h = 0; h < H; h++) {
        s->rep[h] = h;
        size_t g = s->m->r->group_of[h];
        if (ep_host[h] || !s->m->r->proper[g])
            continue;
        size_t *link = &first[g];
        for (; *link != PLACE_NONE && s->rep[h] == h; link = &next[*link])
            if (hosts_alike(s, h, *link))
                s->rep[h] = *link;
        if (s->rep[h] == h) {
            *link = h;
            next[h] = PLACE_NONE;
        }
    }
    free(ep_host);
    free(first);
    free(next);
    return 0;
}

static int search(const struct milp *m, const double *ub, double end_s,
                  long max_nodes, bool first, size_t *host, size_t *item,
                  bool *found, long *nodes)
{
    const struct place_problem *p = m->p;
    *found = false;
    *nodes = 0;
    if ((!first && p->objective != PLACE_OBJ_UTILIZATION &&
         p->objective != PLACE_OBJ_HOSTS) ||
        (!first && m->relax) || !m->y || m->goal != GOAL_PRIMARY)
        return 0;
    struct search s = {0};
    s.m = m;
    s.p = p;
    s.V = p->n_services;
    s.H = p->cluster->n_hosts;
    s.E = p->n_endpoints;
    s.L = p->n_vlinks;
    s.first = first;
    s.relax = m->relax;
    s.W = (m->relax & FAM_PROBABILITY) ? INFINITY : place__prob_budget(p);
    s.D = (m->relax & FAM_DEADLINE) ? PLACE_UNLIMITED : p->deadline_ns;
    s.best_n = ub[0];
    s.best_u = ub[1];
    s.best_b = ub[2];
    s.hosts_obj = p->objective == PLACE_OBJ_HOSTS;
    s.max_nodes = max_nodes;
    s.end_s = end_s;
    size_t V = s.V, H = s.H, E = s.E;
    s.order = malloc((V + 1) * sizeof *s.order);
    s.in_s = calloc(V + 2, sizeof *s.in_s);
    s.out_s = calloc(V + 2, sizeof *s.out_s);
    s.in_l = malloc((s.L + 1) * sizeof *s.in_l);
    s.out_l = malloc((s.L + 1) * sizeof *s.out_l);
    s.rule = place__pair_rules(m);
    s.dmin = malloc((V + 1) * sizeof *s.dmin);
    s.onP = calloc(V + 1, sizeof *s.onP);
    s.pbud = INFINITY;
    s.tail = malloc((V + 1) * sizeof *s.tail);
    s.reach = malloc((V * E + 1) * sizeof *s.reach);
    s.to_ep = malloc((H * E + 1) * sizeof *s.to_ep);
    s.cols = calloc(V * H + 1, sizeof *s.cols);
    s.ncols = malloc((V * H + 1) * sizeof *s.ncols);
    s.rep = malloc((H + 1) * sizeof *s.rep);
    s.host = malloc((V + 1) * sizeof *s.host);
    s.item = malloc((V + 1) * sizeof *s.item);
    s.fin = calloc(E + V + 1, sizeof *s.fin);
    s.on_n = calloc(H + 1, sizeof *s.on_n);
    s.on_v = malloc((H * V + 1) * sizeof *s.on_v);
    s.on_u = malloc((H * V + 1) * sizeof *s.on_u);
    s.mem = calloc(H + 1, sizeof *s.mem);
    s.busy = calloc(H + 1, sizeof *s.busy);
    for (size_t h = 0; s.busy && h < H; h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        s.busy[h] = ho->mem_used_bytes > 0;
        for (int c = 0; ho->used && c < ho->cores; c++)
            s.busy[h] |= ho->used[c] > 0;
    }
    s.best_host = malloc((V + 1) * sizeof *s.best_host);
    s.best_item = malloc((V + 1) * sizeof *s.best_item);
    s.scratch.services = calloc(V + 1, sizeof *s.scratch.services);
    s.scratch.vlinks = calloc(s.L + 1, sizeof *s.scratch.vlinks);
    s.scratch.n_vlinks_alloc = s.L;
    size_t NP = m->r->n_groups + E;
    s.pair = calloc(NP * NP + 1, sizeof *s.pair);
    s.msg_ns = malloc((s.L + 1) * sizeof *s.msg_ns);
    s.arcs = malloc((p->cluster->n_nodes + 2) * sizeof *s.arcs);
    for (size_t i = 0; s.msg_ns && i < s.L; i++)
        s.msg_ns[i] = place__message_ns(&p->vlinks[i]);
    int rc = 0;
    if (!s.order || !s.in_s || !s.out_s || !s.in_l || !s.out_l || !s.rule ||
        !s.dmin || !s.onP || !s.tail || !s.reach || !s.to_ep || !s.cols ||
        !s.ncols || !s.rep || !s.host || !s.item || !s.fin || !s.on_n ||
        !s.on_v || !s.on_u || !s.mem || !s.busy || !s.best_host ||
        !s.best_item || !s.scratch.services || !s.scratch.vlinks || !s.pair ||
        !s.msg_ns || !s.arcs)
        rc = PLC_ENOMEM;
    for (size_t x = 0; rc == 0 && x < V * H; x++)
        s.ncols[x] = SIZE_MAX;
    int applies = rc == 0 ? setup(&s) : rc;
    if (applies < 0)
        rc = applies;
    if (rc == 0 && applies == 0)
        rc = build_table(&s);
    bool proven = false;
    if (rc == 0 && applies == 0) {
        rc = place_at(&s, 0);
        proven =
            rc == 0 && ((!s.stopped && !s.inexact) || (s.first && s.found));
        *nodes = s.nodes;
        if (rc == 0 && s.found) {
            *found = true;
            memcpy(host, s.best_host, V * sizeof *host);
            memcpy(item, s.best_item, V * sizeof *item);
        }
    }
    for (size_t x = 0; s.cols && x < V * H; x++)
        free(s.cols[x]);
    free(s.cols);
    free(s.ncols);
    free(s.order);
    free(s.in_s);
    free(s.out_s);
    free(s.in_l);
    free(s.out_l);
    free(s.rule);
    free(s.dmin);
    free(s.onP);
    free(s.tail);
    free(s.reach);
    free(s.to_ep);
    free(s.rep);
    free(s.host);
    free(s.item);
    free(s.fin);
    free(s.on_n);
    free(s.on_v);
    free(s.on_u);
    free(s.mem);
    free(s.busy);
    free(s.best_host);
    free(s.best_item);
    free(s.G);
    free(s.scratch.services);
    free(s.scratch.vlinks);
    free(s.pair);
    free(s.msg_ns);
    free(s.arcs);
    return rc < 0 ? rc : proven;
}

int place__search(const struct milp *m, const double *ub, double end_s,
                  long max_nodes, size_t *host, size_t *item, bool *found,
                  long *nodes)
{
    return search(m, ub, end_s, max_nodes, false, host, item, found, nodes);
}

int place__search_first(const struct milp *m, double end_s, long max_nodes,
                        bool *found)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    size_t *host = malloc((V + 1) * sizeof *host);
    size_t *item = malloc((V + 1) * sizeof *item);
    static const double none[3] = {INFINITY, INFINITY, INFINITY};
    long nodes;
    int rc = host && item ? search(m, none, end_s, max_nodes, true, host, item,
                                   found, &nodes)
                          : PLC_ENOMEM;
    free(host);
    free(item);
    return rc;
}
