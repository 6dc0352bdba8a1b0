/* The placement engine against exhaustive enumeration on random small
 * instances, and hand-checkable cases per constraint family. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place/plan.h"
#include "plc/error.h"

#define MS 1000000ULL
#define MAXH 4
#define MAXV 3

/* A star: hosts 0..H-1 around switch H. */
struct inst {
    struct place_host hosts[MAXH];
    double used[MAXH][2];
    struct place_link links[MAXH];
    const char *names[MAXH + 1];
    struct place_cluster cluster;
    struct sched_menu_item items[MAXV][4];
    struct sched_menu menu[MAXV];
    const struct sched_menu *menus[MAXV][MAXH];
    bool allowed[MAXV][MAXH];
    double price[MAXV][MAXH];
    struct place_service svc[MAXV];
    struct place_vlink vl[MAXV + 1];
    size_t ep_node[1];
    const char *ep_names[1];
    size_t anti_pair[3];
    const size_t *anti[1];
    struct place_problem p;
};

static const char *const host_names[] = {"h0", "h1", "h2", "h3", "sw"};
static const char *const svc_names[] = {"a", "b", "c"};

static double rnd(void)
{
    return (double)rand() / RAND_MAX;
}

static void random_instance(struct inst *x, int k)
{
    memset(x, 0, sizeof *x);
    size_t H = 2 + (size_t)(rand() % 3), V = 2 + (size_t)(rand() % 2);
    bool star = k % 4 != 0; /* every fourth: a single location */
    for (size_t h = 0; h < H; h++) {
        int cores = 1 + rand() % 2;
        for (int c = 0; c < cores; c++)
            x->used[h][c] = rand() % 3 == 0 ? 0.1 * (rand() % 5) : 0;
        x->hosts[h] = (struct place_host){
            host_names[h],
            cores,
            0.9,
            x->used[h],
            rand() % 3 ? PLACE_UNLIMITED : (uint64_t)(4 + rand() % 6) << 30,
            0,
            1.0,
            1.0,
            NULL,
            true,
            {0}};
        x->names[h] = host_names[h];
        x->links[h] = (struct place_link){h,
                                          H,
                                          1000000000ULL,
                                          (uint64_t)(50 + rand() % 500) * 1000,
                                          0,
                                          0,
                                          0,
                                          rand() % 3 ? 0 : 300000000ULL};
    }
    x->names[H] = "sw";
    x->cluster = (struct place_cluster){
        H, H + 1, x->hosts, x->names, star ? H : 0, x->links, NULL, NULL};
    for (size_t v = 0; v < V; v++) {
        size_t n = 2 + (size_t)(rand() % 3);
        static const double phis[] = {0.9, 0.95, 0.99, 1.0};
        for (size_t i = 0; i < n; i++) {
            uint64_t per = (uint64_t)(5 + 5 * (rand() % 2)) * MS;
            uint64_t q = per * (uint64_t)(1 + rand() % 8) / 10;
            uint64_t d = per * (uint64_t)(1 + rand() % 3);
            x->items[v][i] = (struct sched_menu_item){
                q, per, d, (double)q / (double)per, phis[rand() % 4]};
        }
        x->menu[v] = (struct sched_menu){x->items[v], n};
        for (size_t h = 0; h < H; h++) {
            x->menus[v][h] = &x->menu[v];
            x->allowed[v][h] = rand() % 6 != 0;
            x->price[v][h] = 1 + rand() % 4;
        }
        x->svc[v] = (struct place_service){svc_names[v],
                                           1,
                                           (uint64_t)(1 + rand() % 4) << 30,
                                           x->menus[v],
                                           x->allowed[v],
                                           x->price[v],
                                           NULL,
                                           0,
                                           false,
                                           NULL};
    }
    /* endpoint at the switch, then a chain a -> b (-> c) */
    x->ep_node[0] = star ? H : 0;
    x->ep_names[0] = "user";
    size_t nl = 0;
    x->vl[nl++] = (struct place_vlink){0,
                                       1,
                                       (uint64_t)(rand() % 4) * 100000000ULL,
                                       1500,
                                       0,
                                       1 + rand() % 2,
                                       rand() % 2 == 0,
                                       PLACE_UNLIMITED,
                                       PLACE_UNLIMITED};
    for (size_t v = 0; v + 1 < V; v++)
        x->vl[nl++] =
            (struct place_vlink){1 + v,
                                 2 + v,
                                 (uint64_t)(rand() % 5) * 200000000ULL,
                                 1500,
                                 rand() % 2 ? 1024 : 0,
                                 1 + rand() % 2,
                                 rand() % 2 == 0,
                                 PLACE_UNLIMITED,
                                 PLACE_UNLIMITED};
    size_t na = 0;
    if (rand() % 3 == 0) {
        x->anti_pair[0] = 0;
        x->anti_pair[1] = 1;
        x->anti_pair[2] = PLACE_NONE;
        x->anti[0] = x->anti_pair;
        na = 1;
    }
    x->p = (struct place_problem){
        &x->cluster,
        1,
        x->ep_names,
        x->ep_node,
        V,
        x->svc,
        nl,
        x->vl,
        0,
        NULL,
        na,
        x->anti,
        (uint64_t)(15 + rand() % 60) * MS,
        0.7 + 0.3 * rnd(),
        rand() % 2 ? PLACE_PROB_INDEPENDENT : PLACE_PROB_UNION,
        rand() % 3 == 0 ? PLACE_OBJ_COST : PLACE_OBJ_UTILIZATION,
        20,
        {SCHED_ARRIVAL_CLOSED, 0},
        0,
        0,
        false,
        -1,
        false};
    if (x->p.probability > 0.97)
        x->p.probability = 1.0;
}

/* ---- the enumerator: every (host, item) per service --------------------- */

static bool cores_fit(const struct inst *x, const size_t *host,
                      const size_t *item)
{
    const struct place_problem *p = &x->p;
    for (size_t h = 0; h < p->cluster->n_hosts; h++) {
        const struct place_host *ho = &x->hosts[h];
        size_t vs[MAXV], n = 0;
        for (size_t v = 0; v < p->n_services; v++)
            if (host[v] == h)
                vs[n++] = v;
        /* try every core assignment */
        size_t combos = 1;
        for (size_t i = 0; i < n; i++)
            combos *= (size_t)ho->cores;
        bool ok = n == 0;
        for (size_t c = 0; c < combos && !ok; c++) {
            double load[2] = {ho->used[0], ho->cores > 1 ? ho->used[1] : 0};
            size_t code = c;
            for (size_t i = 0; i < n; i++) {
                load[code % (size_t)ho->cores] +=
                    x->menu[vs[i]].v[item[vs[i]]].utilization;
                code /= (size_t)ho->cores;
            }
            ok = load[0] <= ho->core_capacity + 1e-9 &&
                 (ho->cores < 2 || load[1] <= ho->core_capacity + 1e-9);
        }
        if (!ok)
            return false;
    }
    return true;
}

static size_t at(const struct inst *x, const size_t *host, size_t node)
{
    return node == 0 ? x->ep_node[0] : host[node - 1];
}

static bool feasible(const struct inst *x, const size_t *host,
                     const size_t *item, double *obj)
{
    const struct place_problem *p = &x->p;
    size_t H = p->cluster->n_hosts;
    bool star = p->cluster->n_links > 0;
    for (size_t v = 0; v < p->n_services; v++)
        if (!x->allowed[v][host[v]])
            return false;
    if (p->n_anti_affinity && host[0] == host[1])
        return false;
    for (size_t h = 0; h < H; h++) {
        uint64_t mem = 0;
        for (size_t v = 0; v < p->n_services; v++)
            if (host[v] == h)
                mem += x->svc[v].mem_bytes;
        if (x->hosts[h].mem_bytes != PLACE_UNLIMITED &&
            mem > x->hosts[h].mem_bytes)
            return false;
    }
    if (!cores_fit(x, host, item))
        return false;
    /* access links of the star: out and in per host */
    double out[MAXH] = {0}, in[MAXH] = {0};
    /* a service no vlink enters starts at 0 */
    uint64_t finish[MAXV + 1] = {0};
    for (size_t v = 0; v < p->n_services; v++)
        finish[v + 1] = x->menu[v].v[item[v]].deadline_ns;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        size_t a = at(x, host, e->from), b = at(x, host, e->to);
        uint64_t d = 0;
        if (a != b && star) {
            double r = (double)e->rate_bps;
            if (a < H) {
                out[a] += r;
                if (e->duplex)
                    in[a] += r;
                d += x->links[a].latency_ns;
            }
            if (b < H) {
                in[b] += r;
                if (e->duplex)
                    out[b] += r;
                d += x->links[b].latency_ns;
            }
            if (e->message_bytes && e->rate_bps)
                d += (uint64_t)ceil((double)e->message_bytes * 8e9 /
                                    (double)e->rate_bps);
        }
        size_t sa = e->from; /* vlinks in topological order */
        uint64_t start = finish[sa] + d * (uint64_t)e->crossings;
        uint64_t f = start + x->menu[e->to - 1].v[item[e->to - 1]].deadline_ns;
        if (f > finish[e->to])
            finish[e->to] = f;
    }
    for (size_t h = 0; h < H && star; h++)
        if (out[h] + (double)x->links[h].used_bps > 1e9 + 1e-3 ||
            in[h] + (double)x->links[h].used_bps > 1e9 + 1e-3)
            return false;
    for (size_t v = 0; v <= p->n_services; v++)
        if (finish[v] > p->deadline_ns)
            return false;
    double prod = 1, uni = 1;
    *obj = 0;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct sched_menu_item *it = &x->menu[v].v[item[v]];
        prod *= it->phi;
        uni -= 1 - it->phi;
        *obj += p->objective == PLACE_OBJ_COST ? x->price[v][host[v]]
                                               : it->utilization;
    }
    double bound = p->prob_model == PLACE_PROB_INDEPENDENT ? prod : uni;
    return bound >= p->probability - 1e-9;
}

static bool enumerate(const struct inst *x, double *best)
{
    const struct place_problem *p = &x->p;
    size_t host[MAXV] = {0}, item[MAXV] = {0};
    bool any = false;
    *best = INFINITY;
    size_t per[MAXV], total = 1;
    for (size_t v = 0; v < p->n_services; v++) {
        per[v] = p->cluster->n_hosts * x->menu[v].n;
        total *= per[v];
    }
    for (size_t c = 0; c < total; c++) {
        size_t code = c;
        for (size_t v = 0; v < p->n_services; v++) {
            size_t k = code % per[v];
            code /= per[v];
            host[v] = k / x->menu[v].n;
            item[v] = k % x->menu[v].n;
        }
        double obj;
        if (feasible(x, host, item, &obj) && obj < *best) {
            *best = obj;
            any = true;
        }
    }
    return any;
}

/* Instances where the network decides: deadlines just above a multiple of
 * the items' 5 ms step (so a crossing of 0.1-1.1 ms moves a stage to a
 * shorter deadline), every fourth a single location; chains, forks and
 * joins (vlinks in topological order). */
static void tighten(struct inst *x, int k)
{
    x->p.deadline_ns =
        (uint64_t)(10 + 5 * (k % 10)) * MS + (uint64_t)(rand() % 1200) * 1000;
    /* menus as a real service's: a shorter local deadline costs more
     * utilisation, so the deadline row decides what the plan costs */
    for (size_t v = 0; v < x->p.n_services; v++) {
        uint64_t tenths = 3 + (uint64_t)(rand() % 6); /* 0.3-0.8 */
        for (size_t i = 0; i < x->menu[v].n; i++) {
            struct sched_menu_item *it = &x->items[v][i];
            it->period_ns = 5 * MS;
            it->deadline_ns = (uint64_t)(i + 1) * 5 * MS;
            /* tenths/10 x (1 - i/5) of the period, exactly */
            it->budget_ns = it->period_ns * tenths * (5 - i) / 50;
            it->utilization = (double)it->budget_ns / (double)it->period_ns;
        }
    }
    /* no endpoint link: the chain's own crossings are its network */
    x->p.vlinks = x->vl + 1;
    x->p.n_vlinks--;
    /* three services: a chain, a fork a -> b, a -> c, or a join a -> c,
     * b -> c (the series-parallel bound's shapes) */
    if (x->p.n_services == 3 && k % 3 == 1)
        x->vl[2].from = 1;
    if (x->p.n_services == 3 && k % 3 == 2)
        x->vl[1].to = 3;
    /* the chain's stages often too much for one host's cores */
    for (size_t h = 0; h < x->cluster.n_hosts; h++)
        for (int c = 0; c < x->hosts[h].cores; c++)
            x->used[h][c] = 0.1 * (rand() % 4);
}

static void against_enumeration(unsigned seed, int n, bool tight, int min_dp,
                                int min_bb, int min_search, int min_admitted,
                                int min_rejected)
{
    srand(seed);
    int admitted = 0, rejected = 0, by_dp = 0, by_bb = 0, by_timing = 0,
        by_search = 0;
    for (int k = 0; k < n; k++) {
        struct inst *x = malloc(sizeof *x);
        random_instance(x, k);
        if (tight)
            tighten(x, k);
        double best;
        bool any = enumerate(x, &best);
        /* each instance twice: with the exact search (search.c), and
         * without it, where the DP bound and GLPK decide alone */
        for (int alone = 0; alone < 2; alone++) {
            x->p.no_search = alone;
            struct place_plan plan;
            struct plc_error err = PLC_ERROR_INIT;
            int rc = place_solve(&x->p, &plan, &err);
            cr_assert_eq(rc, 0, "instance %d: %s", k, err.msg);
            if (any) {
                cr_assert(plan.admitted,
                          "instance %d: enumeration finds %g, "
                          "placer rejects (%s)",
                          k, best, plan.message);
                cr_assert_eq(
                    plan.status, PLACE_OPTIMAL,
                    "instance %d: status %d obj %g bound %g best %g time %g ms",
                    k, (int)plan.status, plan.objective, plan.bound, best,
                    plan.time_ms);
                cr_assert_float_eq(plan.objective, best, 1e-6,
                                   "instance %d: placer %g, enumeration %g", k,
                                   plan.objective, best);
                /* the lower bound placer reports is one */
                cr_assert_leq(plan.bound, best + 1e-6,
                              "instance %d: bound %g above the optimum %g", k,
                              plan.bound, best);
                admitted++;
                by_dp += plan.proof == PLACE_PROOF_DP;
                by_bb += plan.proof == PLACE_PROOF_MILP;
                by_timing += plan.proof == PLACE_PROOF_TIMING;
                by_search += plan.proof == PLACE_PROOF_SEARCH;
            } else {
                cr_assert_not(plan.admitted,
                              "instance %d: placer admits a plan enumeration "
                              "calls impossible (objective %g)",
                              k, plan.objective);
                cr_assert_eq(plan.status, PLACE_INFEASIBLE, "instance %d", k);
                cr_assert_neq(plan.reject, PLACE_REJECT_NONE);
                rejected++;
            }
            place_plan_release(&plan);
        }
        free(x);
    }
    fprintf(stderr,
            "%d admitted (%d proven by the DP bound, %d by branch and "
            "bound, %d by the timing relaxation, %d by the exact search), "
            "%d rejected\n",
            admitted, by_dp, by_bb, by_timing, by_search, rejected);
    cr_assert_eq(by_dp + by_bb + by_timing + by_search, admitted);
    /* every way of proving an optimum is checked against enumeration */
    cr_assert_geq(by_dp, min_dp);
    cr_assert_geq(by_bb, min_bb);
    cr_assert_geq(by_search, min_search);
    cr_assert_geq(admitted, min_admitted);
    cr_assert_geq(rejected, min_rejected);
}

Test(place_plan, optimum_equals_exhaustive_enumeration_on_random_instances)
{
    against_enumeration(17, 120, false, 5, 5, 0, 25, 10);
}

/* The bounds that count the network a plan cannot avoid (the critical
 * path's forced crossing) must never cut off a plan: here the crossing
 * decides the deadline row in many instances. */
Test(place_plan, network_bounds_never_cut_off_the_optimum)
{
    against_enumeration(23, 240, true, 5, 5, 3, 40, 20);
}
