/* The exact search (placement/search.c) against GLPK: on random busy
 * fat-trees and workflows of the examples' shapes (chains between two
 * pinned endpoints, with bursts that make every crossing dear, 2-vCPU
 * stages and anti-affinity; stars from one endpoint with duplex links),
 * every instance is planned twice, with the search and without it
 * (place_problem.no_search), and the two answers must agree: the same
 * proven optimum, or, where GLPK did not prove its plan in its time, a
 * search optimum at or below GLPK's plan and at or above GLPK's bound;
 * a rejection on both sides. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static char *cluster(int k)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 2 + k % 3;
    o.core_capacity = 0.9;
    o.memory_bytes = 8ULL << 30;
    o.latency_ns = 2000;
    o.rate_bps = 10000000000ULL;
    o.buffer_bytes = 1ULL << 20;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(4, &o, &c, &err), 0);
    json_t *j = proto_message_to_json(&c->base, 0);
    json_t *hosts = json_object_get(j, "hosts");
    /* busy: most hosts' cores partly taken, some hosts full; one cluster
     * in four idle (equal hosts, an endpoint's among them) */
    for (size_t h = 0; k % 4 != 3 && h < json_array_size(hosts); h++) {
        json_t *used = json_array();
        for (int q = 0; q < o.cores; q++)
            json_array_append_new(
                used, json_real(rand() % 5 == 0 ? 0.9 : 0.05 * (rand() % 14)));
        json_object_set_new(json_array_get(hosts, h), "used", used);
    }
    char *s = json_dumps(j, 0);
    json_decref(j);
    placer__cluster__free_unpacked(c, NULL);
    return s;
}

/* Host h (0..15) of the k=4 fat-tree. */
static const char *host_name(unsigned h)
{
    static char buf[4][32];
    static unsigned slot;
    char *b = buf[slot++ % 4];
    snprintf(b, 32, "h-%u-%u-%u", h / 4 % 4, h / 2 % 2, h % 2);
    return b;
}

static json_t *service(int i, bool chain)
{
    char name[16], t1[16], t2[16], t3[16];
    snprintf(name, sizeof name, "s%d", i);
    int base = 500 + rand() % 4000;
    snprintf(t1, sizeof t1, "%dus", base);
    snprintf(t2, sizeof t2, "%dus", base * 3 / 2);
    snprintf(t3, sizeof t3, "%dus", base * 2);
    json_t *s = json_pack("{s:s, s:s, s:{s:{s:f, s:f, s:f}}}", "name", name,
                          "memory", rand() % 4 ? "1GiB" : "4GiB", "exec_time",
                          "pmf", t1, 0.7, t2, 0.25, t3, 0.05);
    if (chain && rand() % 4 == 0) {
        json_object_set_new(s, "vcpus", json_integer(2));
        json_object_set_new(s, "reservation",
                            json_pack("{s:[s, s]}", "periods", "20ms", "40ms"));
    } else if (rand() % 2) {
        json_object_set_new(
            s, "reservation",
            json_pack("{s:[s, s, s]}", "periods", "5ms", "10ms", "20ms"));
    }
    return s;
}

/* A chain src -> s0 -> ... -> s(n-1) -> dst between two hosts. */
static char *chain(int n)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(svc, service(i, true));
        char from[16], to[16];
        snprintf(from, sizeof from, i ? "s%d" : "src", i - 1);
        snprintf(to, sizeof to, "s%d", i);
        /* some links with a burst that makes their crossing dear */
        json_array_append_new(
            links, json_pack("{s:s, s:s, s:s, s:s}", "from", from, "to", to,
                             "rate", rand() % 2 ? "40Mbit" : "400Mbit", "burst",
                             rand() % 3 ? "64KiB" : "256KiB"));
    }
    char last[16];
    snprintf(last, sizeof last, "s%d", n - 1);
    json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s}", "from", last,
                                           "to", "dst", "rate", "20Mbit",
                                           "burst", "128KiB"));
    unsigned a = (unsigned)rand() % 16, b = (unsigned)rand() % 16;
    char dl[16];
    snprintf(dl, sizeof dl, "%dms", 25 * n + rand() % (15 * n));
    json_t *w =
        json_pack("{s:s, s:s, s:f, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:o, s:o}",
                  "name", "chain", "deadline", dl, "probability",
                  rand() % 2 ? 0.99 : 0.95, "probability_model", "independent",
                  "endpoints", "name", "src", "node", host_name(a), "name",
                  "dst", "node", host_name(b), "services", svc, "links", links);
    if (n >= 3 && rand() % 2)
        json_object_set_new(w, "anti_affinity",
                            json_pack("[[s, s]]", "s1", "s2"));
    /* the objective "hosts" (ties: utilisation) now and then */
    if (rand() % 4 == 0)
        json_object_set_new(w, "objective", json_string("hosts"));
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

/* A star: src -> s0 (duplex, crossed four times), s0 -> s1..s(n-1),
 * s1 -> s2 when n > 3 (vepc-attach's shape). */
static char *star(int n)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(svc, service(i, false));
    json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}",
                                           "from", "src", "to", "s0", "rate",
                                           "100Mbit", "message", "1KiB",
                                           "crossings", 4, "duplex", 1));
    for (int i = 1; i < n; i++) {
        char from[16], to[16];
        snprintf(from, sizeof from, "s%d", i == 3 ? 2 : 0);
        snprintf(to, sizeof to, "s%d", i);
        json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}",
                                               "from", from, "to", to, "rate",
                                               "50Mbit", "message", "1KiB",
                                               "crossings", 2, "duplex", 1));
    }
    char dl[16];
    snprintf(dl, sizeof dl, "%dms", 20 + rand() % 30);
    json_t *w = json_pack(
        "{s:s, s:s, s:f, s:[{s:s, s:s}], s:o, s:o}", "name", "star", "deadline",
        dl, "probability", 0.99, "endpoints", "name", "src", "node",
        rand() % 2 ? "edge-0-0" : host_name((unsigned)rand() % 16), "services",
        svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

static void solve(const char *cj, const char *wj, bool no_search,
                  struct place_plan *plan)
{
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(
        proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER, &err),
        0, "%s", err.msg);
    cr_assert_eq(
        proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW, &err),
        0, "%s\n%s", err.msg, wj);
    struct model_problem mp;
    cr_assert_eq(model_problem_build(&mp, (const void *)cd.msg,
                                     (const void *)wd.msg, 0, 20, &err),
                 0, "%s", err.msg);
    mp.problem.no_search = no_search;
    cr_assert_eq(place_solve(&mp.problem, plan, &err), 0, "%s", err.msg);
    model_problem_release(&mp);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
}

Test(search, agrees_with_glpk_on_random_busy_fat_trees, .timeout = 600)
{
    srand(11);
    int both = 0, by_search = 0, unproven = 0, rejected = 0, better = 0;
    for (int k = 0; k < 80; k++) {
        char *cj = cluster(k);
        char *wj = k % 3 == 2 ? star(3 + k % 3) : chain(3 + k % 3);
        struct place_plan s, g;
        solve(cj, wj, false, &s);
        solve(cj, wj, true, &g);
        cr_assert_eq(s.admitted, g.admitted,
                     "instance %d: search %s, GLPK %s (%s%s)\n%s", k,
                     s.admitted ? "admits" : "rejects",
                     g.admitted ? "admits" : "rejects", s.message, g.message,
                     wj);
        if (!s.admitted) {
            rejected++;
        } else {
            by_search += s.proof == PLACE_PROOF_SEARCH;
            double tol = 1e-6 * fmax(1, fabs(g.objective));
            if (s.status == PLACE_OPTIMAL && g.status == PLACE_OPTIMAL) {
                cr_assert(fabs(s.objective - g.objective) <= tol,
                          "instance %d: search %.9g (proof %d), GLPK %.9g "
                          "(proof %d)\n%s",
                          k, s.objective, (int)s.proof, g.objective,
                          (int)g.proof, wj);
                both++;
            } else if (s.status == PLACE_OPTIMAL) {
                /* GLPK ran out of time: its plan and bound bracket the
                 * search's optimum */
                cr_assert_leq(s.objective, g.objective + tol, "instance %d", k);
                cr_assert_geq(s.objective, g.bound - tol, "instance %d", k);
                better += s.objective < g.objective - tol;
                unproven++;
            }
        }
        place_plan_release(&s);
        place_plan_release(&g);
        free(cj);
        free(wj);
    }
    fprintf(stderr,
            "search: %d optima equal to GLPK's (%d proven by the search), "
            "%d where GLPK proved none (%d better), %d rejected by both\n",
            both, by_search, unproven, better, rejected);
    cr_assert_geq(both, 30);
    cr_assert_geq(by_search, 10);
}
