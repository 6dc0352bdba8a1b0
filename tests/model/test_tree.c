/* Route-priced trees without a deadline (placement/treedp.c): on small
 * full meshes of sites, random trees of services with prices per site,
 * per-link latency and jitter bounds and sometimes too little memory for
 * the cheapest plan; every placement is enumerated here and placer's plan
 * must be proven optimal at the enumeration's least objective, with its
 * tie-break (bandwidth x hops for "cost"), and keep the memory.  Where
 * memory does not bind, the proof is the program's, not the solver's. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/load.h"

#define SITES 5
#define SVCS 4

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int pick(int n)
{
    return (int)(next() % (uint64_t)n);
}

struct inst {
    double lat[SITES][SITES]; /* us */
    int jit[SITES][SITES], cost[SITES][SITES];
    int mem_site; /* GiB per site */
    int price[SVCS][SITES];
    int parent[SVCS]; /* link parent[v] - v (v >= 1), or the endpoint */
    bool down[SVCS];  /* parent -> v, else v -> parent */
    int max_lat[SVCS], max_jit[SVCS], rate[SVCS];
    bool duplex[SVCS];
    int ep_site; /* an endpoint at this site linked to service 0, or -1 */
    bool ep_down;
    int ep_max_lat;
    bool bandwidth; /* objective bandwidth, else cost */
};

static void make(struct inst *x)
{
    double px[SITES], py[SITES];
    for (int s = 0; s < SITES; s++) {
        px[s] = pick(1000);
        py[s] = pick(1000);
    }
    for (int a = 0; a < SITES; a++)
        for (int b = a + 1; b < SITES; b++) {
            /* 100 us + 5 us/km: the direct link is the shortest route */
            x->lat[a][b] = x->lat[b][a] =
                100 + (int)(5 * hypot(px[a] - px[b], py[a] - py[b]));
            x->jit[a][b] = x->jit[b][a] = 10 + pick(90);
            x->cost[a][b] = x->cost[b][a] = 1 + pick(20);
        }
    x->mem_site = pick(3) == 0 ? 4 : 64; /* 4 GiB: two services per site */
    for (int v = 0; v < SVCS; v++) {
        for (int s = 0; s < SITES; s++)
            x->price[v][s] = 1 + pick(30);
        x->parent[v] = v ? pick(v) : -1;
        x->down[v] = pick(2);
        x->max_lat[v] = 2000 + pick(5000);
        x->max_jit[v] = 100 + pick(200);
        x->rate[v] = 10 * (1 + pick(10));
        x->duplex[v] = pick(2);
    }
    x->ep_site = pick(2) ? pick(SITES) : -1;
    x->ep_down = pick(2);
    x->ep_max_lat = 3000 + pick(4000);
    x->bandwidth = pick(4) == 0;
}

static char *cluster_json(const struct inst *x)
{
    json_t *hosts = json_array(), *links = json_array();
    char mem[16];
    snprintf(mem, sizeof mem, "%dGiB", x->mem_site);
    for (int s = 0; s < SITES; s++) {
        char n[8];
        snprintf(n, sizeof n, "s%d", s);
        json_array_append_new(hosts, json_pack("{s:s, s:i, s:s}", "name", n,
                                               "cores", 8, "memory", mem));
    }
    for (int a = 0; a < SITES; a++)
        for (int b = a + 1; b < SITES; b++) {
            char na[8], nb[8], l[16], j[16];
            snprintf(na, sizeof na, "s%d", a);
            snprintf(nb, sizeof nb, "s%d", b);
            snprintf(l, sizeof l, "%dus", (int)x->lat[a][b]);
            snprintf(j, sizeof j, "%dus", x->jit[a][b]);
            json_array_append_new(
                links, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "a", na, "b",
                                 nb, "rate", "10Gbit", "latency", l, "jitter",
                                 j, "cost", x->cost[a][b]));
        }
    json_t *c = json_pack("{s:o, s:o}", "hosts", hosts, "links", links);
    char *t = json_dumps(c, 0);
    json_decref(c);
    return t;
}

static json_t *link_json(const char *from, const char *to, int rate, int lat,
                         int jit, bool duplex)
{
    char r[16], l[16], j[16];
    snprintf(r, sizeof r, "%dMbit", rate);
    snprintf(l, sizeof l, "%dus", lat);
    snprintf(j, sizeof j, "%dus", jit);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "from", from, "to", to,
                     "rate", r, "max_latency", l, "max_jitter", j, "duplex",
                     duplex);
}

static char *workflow_json(const struct inst *x)
{
    json_t *svc = json_array(), *links = json_array(), *eps = json_array();
    for (int v = 0; v < SVCS; v++) {
        char n[8];
        snprintf(n, sizeof n, "v%d", v);
        json_t *prices = json_object();
        for (int s = 0; s < SITES; s++) {
            char h[8];
            snprintf(h, sizeof h, "s%d", s);
            json_object_set_new(prices, h, json_integer(x->price[v][s]));
        }
        json_array_append_new(svc,
                              json_pack("{s:s, s:s, s:o}", "name", n, "memory",
                                        "2GiB", "prices", prices));
        if (v) {
            char pn[8];
            snprintf(pn, sizeof pn, "v%d", x->parent[v]);
            json_array_append_new(
                links,
                link_json(x->down[v] ? pn : n, x->down[v] ? n : pn, x->rate[v],
                          x->max_lat[v], x->max_jit[v], x->duplex[v]));
        }
    }
    if (x->ep_site >= 0) {
        char h[8];
        snprintf(h, sizeof h, "s%d", x->ep_site);
        json_array_append_new(eps,
                              json_pack("{s:s, s:s}", "name", "ue", "node", h));
        json_array_append_new(links, link_json(x->ep_down ? "ue" : "v0",
                                               x->ep_down ? "v0" : "ue", 5,
                                               x->ep_max_lat, 1000, false));
    }
    json_t *w = json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", "t", "objective",
                          x->bandwidth ? "bandwidth" : "cost", "endpoints", eps,
                          "services", svc, "links", links);
    char *t = json_dumps(w, 0);
    json_decref(w);
    return t;
}

/* One link between sites a and b: within its bounds?  Its cost and
 * bandwidth x hops (bit/s) into *c, *bw. */
static bool link_ok(const struct inst *x, int a, int b, int rate, int lat,
                    int jit, bool duplex, double *c, double *bw)
{
    if (a == b)
        return true;
    if (x->lat[a][b] > lat || x->jit[a][b] > jit)
        return false;
    *c += x->cost[a][b];
    *bw += rate * 1e6 * (duplex ? 2 : 1);
    return true;
}

/* The least (objective, bandwidth x hops) over every placement that
 * keeps the memory and the links' bounds; false if there is none. */
static bool enumerate(const struct inst *x, double *best, double *best_bw)
{
    int site[SVCS];
    bool any = false;
    for (long code = 0; code < (long)pow(SITES, SVCS); code++) {
        long k = code;
        int per[SITES] = {0};
        for (int v = 0; v < SVCS; v++) {
            site[v] = (int)(k % SITES);
            k /= SITES;
            per[site[v]]++;
        }
        bool ok = true;
        for (int s = 0; s < SITES; s++)
            ok &= per[s] * 2 <= x->mem_site;
        double c = 0, bw = 0;
        for (int v = 0; v < SVCS; v++)
            c += x->price[v][site[v]];
        for (int v = 1; ok && v < SVCS; v++)
            ok = link_ok(x, site[x->parent[v]], site[v], x->rate[v],
                         x->max_lat[v], x->max_jit[v], x->duplex[v], &c, &bw);
        if (ok && x->ep_site >= 0)
            ok = link_ok(x, x->ep_site, site[0], 5, x->ep_max_lat, 1000, false,
                         &c, &bw);
        if (!ok)
            continue;
        double obj = x->bandwidth ? bw : c, tie = x->bandwidth ? 0 : bw;
        if (!any || obj < *best - 1e-9 ||
            (obj < *best + 1e-9 && tie < *best_bw - 1e-9)) {
            *best = obj;
            *best_bw = tie;
            any = true;
        }
    }
    return any;
}

Test(tree, route_priced_trees_match_the_enumeration)
{
    int fast = 0, solved = 0, none = 0, slow = 0;
    for (int n = 0; n < 60; n++) {
        struct inst x;
        make(&x);
        char *cj = cluster_json(&x), *wj = workflow_json(&x);
        struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        struct model_problem mp;
        struct place_plan plan;
        cr_assert_eq(proto_doc_load_text(&cd, "c", cj, strlen(cj),
                                         PROTO_DOC_CLUSTER, &err),
                     0);
        cr_assert_eq(proto_doc_load_text(&wd, "w", wj, strlen(wj),
                                         PROTO_DOC_WORKFLOW, &err),
                     0, "%s", wd.diags.n ? wd.diags.v[0].msg : "");
        cr_assert_eq(model_problem_build(&mp, (const void *)cd.msg,
                                         (const void *)wd.msg, 0, 10, &err),
                     0, "%s", err.msg);
        cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s", err.msg);
        double best = 0, best_bw = 0;
        bool exists = enumerate(&x, &best, &best_bw);
        if (!exists) {
            cr_assert(!plan.admitted,
                      "instance %d: no placement keeps the "
                      "bounds, yet placer admitted one",
                      n);
            cr_assert_eq(plan.status, PLACE_INFEASIBLE);
            none++;
        } else {
            cr_assert(plan.admitted, "instance %d: %s", n, plan.message);
            cr_assert_eq(plan.status, PLACE_OPTIMAL, "instance %d", n);
            cr_assert_float_eq(plan.objective, best, 1e-6,
                               "instance %d: placer %g, enumeration %g", n,
                               plan.objective, best);
            int per[SITES] = {0};
            double c = 0, bw = 0;
            for (int v = 0; v < SVCS; v++)
                per[plan.services[v].host]++;
            for (int s = 0; s < SITES; s++)
                cr_assert_leq(per[s] * 2, x.mem_site, "instance %d: s%d", n, s);
            for (int v = 1; v < SVCS; v++)
                link_ok(&x, (int)plan.services[x.parent[v]].host,
                        (int)plan.services[v].host, x.rate[v], 1 << 30, 1 << 30,
                        x.duplex[v], &c, &bw);
            if (x.ep_site >= 0)
                link_ok(&x, x.ep_site, (int)plan.services[0].host, 5, 1 << 30,
                        1 << 30, false, &c, &bw);
            if (!x.bandwidth)
                cr_assert_float_eq(bw, best_bw, 1,
                                   "instance %d: tie-break bandwidth %g, "
                                   "least %g",
                                   n, bw, best_bw);
            if (x.mem_site == 64) {
                cr_assert_eq(plan.proof, PLACE_PROOF_DP,
                             "instance %d: memory does not bind, yet the "
                             "tree program did not prove it",
                             n);
                fast++;
            } else if (plan.proof == PLACE_PROOF_DP) {
                fast++;
            } else {
                slow++;
            }
            solved++;
        }
        place_plan_release(&plan);
        model_problem_release(&mp);
        proto_doc_release(&cd);
        proto_doc_release(&wd);
        free(cj);
        free(wj);
    }
    cr_log_info("%d optimal (%d by the tree program, %d by the solver), %d "
                "with no placement",
                solved, fast, slow, none);
    cr_assert_gt(slow, 0, "no instance where memory binds reached the solver");
    cr_assert_gt(none + solved, 50);
}
