/*
 * spread.h: what the spread model of crossing.c shares with ends.c and
 * ends_rows.c, the endpoints' hosts, the rings of hosts around them and
 * the routes between them.  Private to placement/.
 */
#ifndef PLACE_SPREAD_H
#define PLACE_SPREAD_H
#include "internal.h"

#include <glpk.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pair variables of a spread model: services a < b, in order. */
static inline size_t pair_of(size_t V, size_t a, size_t b)
{
    if (a > b) {
        size_t t = a;
        a = b;
        b = t;
    }
    return a * V - a * (a + 1) / 2 + (b - a - 1);
}

/* The hosts of the workflow's endpoints, as the spread model sees them.
 * A vlink between an endpoint on host e and a service crosses unless the
 * service is on e, and what sits on e fits e's free cores and memory.
 * Without them no endpoint's vlink was charged at all: a video pipeline
 * whose camera host was full kept the bound of an idle cluster, and
 * every copy after the first ran to the time limit unproven.
 *
 * Per host e and column j of service v that e's menu has: a[v,j,e]
 * (v on e with j's item) and b[v,j,e,q] (one of its vCPUs on core q):
 *   a <= x_j,  sum_{j,e} a[v,j,e] <= 1,  sum_q b = vcpus_v a,  b <= a,
 *   sum u_j / vcpus_v b[.,q] <= free(q),  sum mem_v a <= free memory,
 * with z[v,e] = sum_j a[v,j,e]:
 *   y_ab >= |z[a,e] - z[b,e]|,  y_ab <= 2 - z[a,e] - z[b,e],
 * and the vlink's row charges crossings x (r_i + its message time
 * (1 - z[s,e])), with r_i >= pair (1 - z[s,e]) (below). */
#define SPREAD_EHOSTS 4
#define SPREAD_ENDS 8
#define SPREAD_RINGS 16

struct ehost {
    size_t host;
    int cores;
    double *core_free;
    double mem_free;
    bool *has; /* per column: its item is on e's menu among e's columns */
};

struct spread_ehosts {
    size_t n;
    struct ehost h[SPREAD_EHOSTS];
    /* per vlink between an endpoint on host h[at[i]] and a service, that
     * endpoint host (PLACE_NONE: not such a vlink, or none crossed) */
    size_t *at;
    /* Paths between two endpoints on distinct hosts e1, e2: along every
     * one, the vlinks' routes together make a walk from e1 to e2 in the
     * network, so their delays r_i sum to at least the least delay
     * between the two (links in either direction, relays or not).  Per
     * vlink r_i >= pair y (r_i <= D y; at an endpoint's host with 1 - z
     * for y), and per pair of endpoints S_n (the least sum of r to node n
     * from e1): S_e1 = 0, S_b <= S_a + r_i on the vlinks of its paths,
     * S_e2 >= the least delay.  The vlink's row charges crossings x
     * (r_i + its message time y).  Without it every crossing was charged
     * the least delay between two hosts, and a pipeline from one pod to
     * another had a bound below the DP's.
     *
     * Also, every walk from e1 to e2 over hosts has a step (two hosts,
     * the route between them) of at least `step`, the least largest step
     * of any such walk: on a fat-tree, crossing from one pod to another.
     * So each path has a vlink with r_i >= step: binaries g_i with
     * r_i >= step g_i, and potentials G_e1 = 0, G_b <= G_a + g_i,
     * G_e2 >= 1 (the g = 1 cut every path).  With the sum alone a
     * pipeline whose services left both endpoints' hosts was charged 6 ms
     * of crossings where its routes take 8.4 ms. */
    /* The other hosts by their delays to the endpoint hosts ("rings":
     * on a fat-tree the camera's edge, its pod, the viewer's edge and
     * pod, the rest).  A service is in one class, an endpoint host or a
     * ring: z[v,c] = sum_j a[v,j,c] = 1 over the classes.  A ring's
     * hosts hold together what sits in it (their free CPU and memory in
     * all, each item within the largest free core), a vlink between an
     * endpoint and a service has r_i >= sum_c delay(c, e) z[s,c], one
     * between two services on distinct hosts r_i >= gap(c1, c2) (the
     * least delay between distinct hosts of the two) when they are in
     * c1 and c2, and services together are in one class.  Without them
     * the bound did not know that the hosts near a camera were full.
     * Only up to SPREAD_RINGS rings, else none (the endpoint hosts
     * alone). */
    size_t n_rings;
    struct ring {
        uint64_t d[SPREAD_EHOSTS]; /* its delay to each endpoint host */
        double cpu, mem, core;     /* free in all; the largest free core */
        double host_mem;           /* the largest free memory of a host */
        bool *has;                 /* per column: some host of it has it */
    } ring[SPREAD_RINGS];
    size_t *class_of; /* per host: an endpoint host k, or ring n + r */
    uint64_t *gap;    /* (n + n_rings)^2, PLACE_UNLIMITED: no two hosts */
    size_t n_ends;
    struct ends {
        size_t s, t;   /* workflow nodes (endpoints) */
        uint64_t dist; /* least delay between their hosts */
        uint64_t step; /* and the least largest step (below) */
        bool *on;      /* per vlink: on some path from s to t */
    } ends[SPREAD_ENDS];
    uint64_t pair;
};

/* A timing MILP built: its problem, the columns by service
 * (of[start[v] .. start[v + 1] - 1]) and the first pair column. */
struct tmodel {
    glp_prob *lp;
    const struct place_tcol *col;
    size_t n, V;
    size_t *start, *of;
    int ycol;
    int *ind;
    double *val;
    /* the endpoint hosts' a columns: column j's service there */
    struct acol {
        size_t j, k;
        int c;
    } * a;
    size_t na;
    int rcol; /* per vlink its route's delay r_i (0: none) */
};

/* ends.c: the endpoint hosts of m's problem for the spread model's
 * columns col[0..n-1] (the vlinks between one of them and a service
 * whose crossing costs something: crossings x (pair + its message time)
 * above 0), with the rings and the paths between endpoints: 0 (x->n 0:
 * none), PLC_ENOMEM. */
int place__ehosts_build(const struct milp *m, const struct place_tcol *col,
                        size_t n, uint64_t pair, struct spread_ehosts *x);
void place__ehosts_free(struct spread_ehosts *x);

/* ends_rows.c: the endpoint hosts' and rings' columns and rows into t
 * (struct spread_ehosts), but for the vlinks' rows: 0, PLC_ENOMEM. */
int place__ehost_rows(struct tmodel *t, const struct place_problem *p,
                      const struct spread_ehosts *x);
/* ends_rows.c: the z[v, c] terms of service v in class c into t's
 * ind/val from kk + 1, each times coef; the new count. */
int place__z_terms(const struct tmodel *t, size_t v, size_t c, double coef,
                   int kk);
/* ends_rows.c: the routes' delays r_i and the paths between endpoints'
 * hosts, but for the vlinks' rows; Dms the deadline in ms. */
void place__route_rows(struct tmodel *t, const struct place_problem *p,
                       const struct spread_ehosts *x, double Dms);
/* ends_rows.c: hosts (cur[g]) for the groups of a spread solution whose
 * routes are no slower than its r_i (rlim, ns), the groups' hosts
 * fit[g * H ..], nfit[g] of them; false when none are found. */
bool place__place_by_routes(const struct milp *m, const size_t *grp, size_t ng,
                            const size_t *fit, const size_t *nfit,
                            const uint64_t *rlim, size_t *cur);
/* ends_rows.c: the cuts of a group too far from an endpoint's host that
 * the solution breaks, added to t (see there); how many. */
int place__route_cuts(const struct milp *m, struct tmodel *t,
                      const struct spread_ehosts *x, const size_t *pick,
                      const size_t *grp, size_t ng, const size_t *sfit,
                      const size_t *nsfit, double Dms);
/* ends_rows.c: is host h in class c of x (an endpoint host, a ring)? */
bool place__in_class(const struct spread_ehosts *x, size_t h, size_t c);
/* ends_rows.c: cut off group g together at its picked sizes or larger in
 * class c, where no host has the room (see there). */
void place__class_cut(struct tmodel *t, const size_t *pick, const size_t *grp,
                      size_t g, size_t c);
#endif
