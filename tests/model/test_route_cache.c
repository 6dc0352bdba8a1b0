/*
 * The route cache (place_route_cache_new): routes a problem takes from it
 * are those it would have found itself.  A k=4 fat-tree whose links'
 * residual rates change a few at a time, as admissions and releases
 * change them, and now and then a link's latency; each plan is made
 * twice, with the cache and without, and must be the same to the node
 * of every path.  The fat-tree's equal routes are told apart by their
 * widest link, so the residual rates decide which route a plan takes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "model/model.h"
#include "place/plan.h"
#include "proto/load.h"
#include "proto/topo.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned n)
{
    return xorshift_below(&rng, n);
}

/* A chain src -> a -> b -> c -> dst between two hosts, its services kept
 * apart, so that its vlinks cross the tree. */
static void chain(char *w, size_t cap, const char *src, const char *dst)
{
    snprintf(w, cap,
             "{\"name\": \"w\", \"deadline\": \"200ms\", \"probability\": 0.9,"
             " \"endpoints\": [{\"name\": \"in\", \"node\": \"%s\"},"
             " {\"name\": \"out\", \"node\": \"%s\"}],"
             " \"services\": [{\"name\": \"a\", \"exec_time\": {\"pmf\":"
             " {\"1ms\": 1}}}, {\"name\": \"b\", \"exec_time\": {\"pmf\":"
             " {\"1ms\": 1}}}, {\"name\": \"c\", \"exec_time\": {\"pmf\":"
             " {\"1ms\": 1}}}],"
             " \"links\": [{\"from\": \"in\", \"to\": \"a\", \"rate\":"
             " \"100Mbit\"}, {\"from\": \"a\", \"to\": \"b\", \"rate\":"
             " \"100Mbit\", \"duplex\": true}, {\"from\": \"b\", \"to\": \"c\","
             " \"rate\": \"100Mbit\"}, {\"from\": \"c\", \"to\": \"out\","
             " \"rate\": \"100Mbit\"}],"
             " \"anti_affinity\": [[\"a\", \"b\", \"c\"]]}",
             src, dst);
}

static void same_plans(const struct place_plan *x, const struct place_plan *y,
                       size_t V, size_t L, int round)
{
    cr_assert_eq(x->admitted, y->admitted, "round %d", round);
    if (!x->admitted)
        return;
    for (size_t v = 0; v < V; v++)
        cr_assert_eq(x->services[v].host, y->services[v].host,
                     "round %d, service %zu", round, v);
    for (size_t i = 0; i < L; i++) {
        const struct place_vlink_plan *a = &x->vlinks[i], *b = &y->vlinks[i];
        cr_assert_eq(a->n_path, b->n_path, "round %d, vlink %zu", round, i);
        cr_assert_eq(a->n_back, b->n_back, "round %d, vlink %zu", round, i);
        for (size_t k = 0; k < a->n_path; k++)
            cr_assert_eq(a->path[k], b->path[k],
                         "round %d, vlink %zu, hop %zu: %zu vs %zu", round, i,
                         k, a->path[k], b->path[k]);
        for (size_t k = 0; k < a->n_back; k++)
            cr_assert_eq(a->back[k], b->back[k], "round %d, vlink %zu way back",
                         round, i);
        cr_assert_eq(a->latency_ns, b->latency_ns, "round %d, vlink %zu", round,
                     i);
    }
}

Test(route_cache, routes_kept_are_the_routes_found)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 4;
    o.rate_bps = 1000000000ULL;
    o.latency_ns = 5000;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(4, &o, &c, &err), 0, "%s", err.msg);
    struct place_route_cache *cache = place_route_cache_new();
    cr_assert_not_null(cache);
    size_t L = c->n_links;
    uint64_t *used = calloc(L, sizeof *used), *extra = calloc(L, sizeof *extra);
    cr_assert(used && extra);
    /* per pair of nodes, the last path seen between them */
    size_t N = c->n_hosts + c->n_switches;
    size_t(*seen)[16] = calloc(N * N, sizeof *seen);
    cr_assert_not_null(seen);
    int differ = 0;
    for (int round = 0; round < 300; round++) {
        /* a few links' residual rates change (admissions, releases); every
         * 50 rounds a link's latency */
        for (int k = 0; k < 3; k++)
            used[next((unsigned)L)] = 100000000ULL * next(9);
        if (round % 50 == 49)
            extra[next((unsigned)L)] += 1000;
        char w[2048];
        chain(w, sizeof w, c->hosts[next((unsigned)c->n_hosts)]->name,
              c->hosts[next((unsigned)c->n_hosts)]->name);
        struct proto_doc wd = PROTO_DOC_INIT;
        cr_assert_eq(proto_doc_load_text(&wd, "w.json", w, strlen(w),
                                         PROTO_DOC_WORKFLOW, &err),
                     0, "%s", wd.diags.n ? wd.diags.v[0].msg : "");
        struct model_problem mp;
        cr_assert_eq(
            model_problem_build(&mp, c, (const void *)wd.msg, 0, 10, &err), 0,
            "%s", err.msg);
        cr_assert_eq(mp.cluster.n_links, L);
        for (size_t l = 0; l < L; l++) {
            mp.links[l].used_bps = used[l];
            mp.links[l].latency_ns = o.latency_ns + extra[l];
        }
        enum place_fit rule = (enum place_fit)(1 + round % 3);
        struct place_plan with, without;
        mp.cluster.route_cache = cache;
        cr_assert_eq(place_fit(&mp.problem, rule, &with, &err), 0, "%s",
                     err.msg);
        mp.cluster.route_cache = NULL;
        cr_assert_eq(place_fit(&mp.problem, rule, &without, &err), 0, "%s",
                     err.msg);
        same_plans(&with, &without, mp.problem.n_services, mp.problem.n_vlinks,
                   round);
        /* (that the rates do decide routes: a path between two nodes
         * that differs from the last one seen between them) */
        for (size_t i = 0; with.admitted && i < mp.problem.n_vlinks; i++) {
            const struct place_vlink_plan *x = &with.vlinks[i];
            if (x->n_path < 2 || x->n_path > 15)
                continue;
            size_t *was = seen[x->path[0] * N + x->path[x->n_path - 1]];
            if (was[0] == x->n_path &&
                memcmp(was + 1, x->path, x->n_path * sizeof *x->path))
                differ++;
            was[0] = x->n_path;
            memcpy(was + 1, x->path, x->n_path * sizeof *x->path);
        }
        place_plan_release(&with);
        place_plan_release(&without);
        model_problem_release(&mp);
        proto_doc_release(&wd);
    }
    free(seen);
    size_t asked, kept;
    place_route_cache_stats(cache, &asked, &kept);
    printf("route_cache: %zu searches asked, %zu answered from the cache, "
           "%d routes moved with the rates\n",
           asked, kept, differ);
    cr_assert_gt(kept, 0, "the cache answered no search");
    cr_assert_lt(kept, asked, "the cache never searched again");
    cr_assert_gt(differ, 0, "the rates never moved a route");
    place_route_cache_free(cache);
    free(used);
    free(extra);
    placer__cluster__free_unpacked(c, NULL);
}
