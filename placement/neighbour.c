/*
 * neighbour.c: the plan in hand improved by the solver on a few hosts.
 *
 * On a large cluster the MILP over every host may not get through its
 * first LP within the limit (a 6-service DAG on 1,024 hosts: 0.7 s of
 * scaling, then 1.9 s of simplex).  The same model over a few dozen hosts
 * a good plan would use -- those of the plan in hand and their siblings
 * behind the same switch, those nearest the endpoints, every host a
 * narrowly placed service may use, and those with the most free CPU --
 * solves in milliseconds.  Its plan is a plan of the whole problem (the
 * hosts left out are only forbidden, and the plan is verified against the
 * whole model), kept when it is better.  It is never called optimal on
 * the restricted model's word: only a bound of the whole problem (the
 * DP's, or the full MILP's) proves it.
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "routes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* clusters up to this size are solved whole */
#define NB_MIN_HOSTS 64
/* hosts the restricted model gets (a few more where pins need them) */
#define NB_HOSTS 48
/* siblings added per host of the plan in hand */
#define NB_SIBLINGS 8
/* hosts added nearest each endpoint */
#define NB_NEAR 8
/* a service allowed on at most this many hosts brings them all */
#define NB_NARROW 16
/* larger workflows keep the heuristic's plan */
#define NB_MAX_SERVICES 2000

static bool allowed(const struct place_problem *p, size_t v, size_t h)
{
    return !p->services[v].allowed || p->services[v].allowed[h];
}

/* The candidate hosts into in[] (count returned), or 0 on no memory. */
static size_t candidates(const struct place_problem *p, const struct routes *r,
                         const size_t *host, bool *in)
{
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, V = p->n_services, n = 0;
    struct place_keyed *by_free = malloc(H * sizeof *by_free);
    size_t *hops = malloc((c->n_nodes + 1) * sizeof *hops);
    size_t *queue = malloc((c->n_nodes + 1) * sizeof *queue);
    struct place_keyed *near = malloc(H * sizeof *near);
    if (!by_free || !hops || !queue || !near) {
        free(by_free);
        free(hops);
        free(queue);
        free(near);
        return 0;
    }
#define ADD(x)                                                                 \
    do {                                                                       \
        if (!in[x]) {                                                          \
            in[x] = true;                                                      \
            n++;                                                               \
        }                                                                      \
    } while (0)
    for (size_t h = 0; h < H; h++)
        by_free[h] =
            (struct place_keyed){place__milp_host_free(&c->hosts[h]), h};
    qsort(by_free, H, sizeof *by_free, place__keyed_desc);
    /* the plan in hand, and the freest of its siblings (one pass over the
     * hosts by free CPU, counting per group of the plan's hosts) */
    size_t *taken = calloc(r->n_groups + 1, sizeof *taken);
    for (size_t v = 0; taken && v < V; v++) {
        ADD(host[v]);
        taken[r->group_of[host[v]]] = 1; /* in the plan: 1 + siblings */
    }
    for (size_t i = 0; taken && i < H; i++) {
        size_t g = r->group_of[by_free[i].h];
        if (taken[g] && taken[g] <= NB_SIBLINGS && by_free[i].key > 0 &&
            !in[by_free[i].h]) {
            ADD(by_free[i].h);
            taken[g]++;
        }
    }
    bool ok = taken != NULL;
    free(taken);
    /* nearest each endpoint (fewest hops, then most free) */
    for (size_t e = 0; e < p->n_endpoints; e++) {
        place__routes_hops_from(r, p->endpoint_node[e], hops, queue);
        for (size_t h = 0; h < H; h++)
            near[h] = (struct place_keyed){
                hops[h] == PLACE_NONE ? -INFINITY
                                      : -(double)hops[h] * 1e6 +
                                            place__milp_host_free(&c->hosts[h]),
                h};
        qsort(near, H, sizeof *near, place__keyed_desc);
        for (size_t i = 0; i < H && i < NB_NEAR; i++)
            if (near[i].key > -INFINITY)
                ADD(near[i].h);
    }
    /* narrowly placed services bring every host they may use; the others
     * at least a few */
    for (size_t v = 0; v < V; v++) {
        size_t k = 0, have = 0;
        for (size_t h = 0; h < H && k <= NB_NARROW; h++)
            k += allowed(p, v, h);
        for (size_t h = 0; h < H && k <= NB_NARROW; h++)
            if (allowed(p, v, h))
                ADD(h);
        for (size_t i = 0; i < H && have < 4; i++)
            if (allowed(p, v, by_free[i].h) && in[by_free[i].h])
                have++;
        for (size_t i = 0; i < H && have < 4; i++)
            if (allowed(p, v, by_free[i].h) && !in[by_free[i].h]) {
                ADD(by_free[i].h);
                have++;
            }
    }
    /* then the freest */
    for (size_t i = 0; i < H && n < NB_HOSTS; i++)
        ADD(by_free[i].h);
#undef ADD
    free(by_free);
    free(hops);
    free(queue);
    free(near);
    return ok ? n : 0;
}

int place__neighbourhood(const struct place_problem *p, const struct routes *r,
                         const struct milp *whole, struct place_plan *plan,
                         size_t *host, size_t *item, int *route, double time_s)
{
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, V = p->n_services;
    if (H <= NB_MIN_HOSTS || V > NB_MAX_SERVICES || V == 0 || time_s < 0.01)
        return 0;
    bool *in = calloc(H, sizeof *in);
    bool *mask = malloc(V * H * sizeof *mask);
    struct place_service *svc = malloc(V * sizeof *svc);
    if (!in || !mask || !svc || candidates(p, r, host, in) == 0) {
        free(in);
        free(mask);
        free(svc);
        return PLC_ENOMEM;
    }
    /* the same problem with the other hosts forbidden, and its own
     * deadline */
    struct place_problem q = *p;
    for (size_t v = 0; v < V; v++) {
        svc[v] = p->services[v];
        for (size_t h = 0; h < H; h++)
            mask[v * H + h] = in[h] && allowed(p, v, h);
        svc[v].allowed = mask + v * H;
    }
    q.services = svc;
    double end = plc_now_s() + time_s;
    q.deadline_s = p->deadline_s > 0 ? fmin(p->deadline_s, end) : end;
    struct milp m;
    struct milp_result res = {0};
    double *warm = NULL;
    int found = 0;
    int rc = place__milp_build(&m, &q, r, 0, GOAL_PRIMARY);
    if (rc == PLC_EDATA || rc == PLC_ETIMEDOUT) {
        rc = 0; /* some service fits none of them, or no time: as it was */
        goto out;
    }
    if (rc == 0 &&
        place__milp_warm_vector(&m, host, item, route, &warm) == PLC_ENOMEM)
        rc = PLC_ENOMEM;
    /* a scratch plan for packing and verification */
    struct place_plan s;
    memset(&s, 0, sizeof s);
    s.services = calloc(V, sizeof *s.services);
    s.vlinks = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *s.vlinks);
    s.n_vlinks_alloc = p->n_vlinks;
    if (!s.services || !s.vlinks)
        rc = PLC_ENOMEM;
    double held = place__plan_objective(whole, plan);
    for (int round = 0; rc == 0 && round < 20; round++) {
        double left = q.deadline_s - plc_now_s();
        if (left < 0.005)
            break;
        place__milp_result_release(&res);
        rc = place__milp_solve(&m, left, round ? NULL : warm, &res);
        if (rc < 0 ||
            (res.status != PLACE_OPTIMAL && res.status != PLACE_FEASIBLE))
            break;
        for (size_t v = 0; v < V; v++) {
            s.services[v].host = res.host[v];
            s.services[v].item =
                p->services[v].menu[res.host[v]]->v[res.item[v]];
        }
        for (size_t i = 0; i < p->n_vlinks; i++) {
            free(s.vlinks[i].path);
            free(s.vlinks[i].back);
            memset(&s.vlinks[i], 0, sizeof s.vlinks[i]);
            s.vlinks[i].route = res.route[i];
        }
        size_t bad = PLACE_NONE;
        for (size_t v = 0; v < V && bad == PLACE_NONE; v++) {
            int ok = place__pack_host(p, &s, res.host[v]);
            if (ok < 0)
                rc = ok;
            else if (!ok)
                bad = res.host[v];
        }
        if (rc < 0)
            break;
        if (bad != PLACE_NONE) {
            rc = place__milp_cut_host(&m, &res, bad);
            continue;
        }
        struct plc_error err = PLC_ERROR_INIT;
        bool ok = place__complete_plan(whole, &s, &err) == 0;
        if (ok && place__plan_objective(whole, &s) <
                      held - 1e-9 * fmax(1, fabs(held))) {
            memcpy(host, res.host, V * sizeof *host);
            memcpy(item, res.item, V * sizeof *item);
            for (size_t i = 0; i < p->n_vlinks; i++)
                route[i] = res.route[i];
            found = 1;
        }
        break;
    }
    free(s.services);
    for (size_t i = 0; s.vlinks && i < p->n_vlinks; i++) {
        free(s.vlinks[i].path);
        free(s.vlinks[i].back);
    }
    free(s.vlinks);
out:
    free(warm);
    place__milp_result_release(&res);
    place__milp_release(&m);
    free(in);
    free(mask);
    free(svc);
    return rc < 0 ? rc : found;
}
