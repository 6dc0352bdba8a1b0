/* Small trees whose network decides the optimum, checked against an
 * exhaustive search.  Four busy two-core hosts, two on each of two
 * switches (host links 1 ms, the link between the switches 2 ms: a
 * crossing costs 2 ms under one switch and 4 ms across); the user's
 * endpoint on h0; the workflow in -> s0, s0 -> s1 with s1 pinned to the
 * far switch (h2, h3), s0 -> s2 -> s3.  Every plan pays the far crossing
 * either before s0 or after it, which the bounds that take the network as
 * 0 do not see, and the network bounds (netpath.c, the hub bound in
 * bound.c) do; a third of the instances keep s0 and s2 apart
 * (anti-affinity), which costs them a crossing too.  Whatever proves placer's
 * answer, an optimum it claims must have no cheaper plan, and a workflow it
 * rejects must have no plan at all.  Most answers must be proven without branch
 * and bound (else the test tests nothing new). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "model/model.h"
#include "proto/load.h"
#include "search_util.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static unsigned next(unsigned n)
{
    return xorshift_below(&rng, n);
}

#define HOSTS 4
#define CORES 2
#define SVCS 4
#define HOST_LINK_NS 1000000ULL
#define SWITCH_LINK_NS 2000000ULL

/* this instance keeps s0 and s2 on distinct hosts (anti-affinity) */
static bool apart;

/* The delay of one crossing between hosts a and b (0: the same host). */
static uint64_t cross_ns(int a, int b)
{
    if (a == b)
        return 0;
    return a / 2 == b / 2 ? 2 * HOST_LINK_NS
                          : 2 * HOST_LINK_NS + SWITCH_LINK_NS;
}

static void instance(char *c, size_t cs, char *w, size_t ws)
{
    size_t n = (size_t)snprintf(c, cs, "{\"hosts\": [");
    for (int h = 0; h < HOSTS; h++)
        n += (size_t)snprintf(c + n, cs - n,
                              "%s{\"name\": \"h%d\", \"cores\": %d, \"used\": "
                              "[%.1f, %.1f]}",
                              h ? ", " : "", h, CORES, 0.1 * (1 + next(6)),
                              0.1 * (1 + next(6)));
    n += (size_t)snprintf(c + n, cs - n,
                          "], \"switches\": [{\"name\": \"a\"}, {\"name\": "
                          "\"b\"}], \"links\": [{\"a\": \"a\", \"b\": \"b\", "
                          "\"rate\": \"10Gbit\", \"latency\": \"2ms\"}");
    for (int h = 0; h < HOSTS; h++)
        n += (size_t)snprintf(c + n, cs - n,
                              ", {\"a\": \"h%d\", \"b\": \"%s\", \"rate\": "
                              "\"10Gbit\", \"latency\": \"1ms\"}",
                              h, h < 2 ? "a" : "b");
    snprintf(c + n, cs - n, "]}");
    n = (size_t)snprintf(w, ws,
                         "{\"name\": \"w\", \"deadline\": \"%ums\", "
                         "\"probability\": 0.95, \"endpoints\": [{\"name\": "
                         "\"in\", \"node\": \"h0\"}], \"services\": [",
                         16 + next(20));
    for (int i = 0; i < SVCS; i++) {
        unsigned b = 300 + next(1201);
        n += (size_t)snprintf(w + n, ws - n,
                              "%s{\"name\": \"s%d\", %s\"exec_time\": "
                              "{\"pmf\": {\"%uus\": 0.7, \"%uus\": 0.25, "
                              "\"%uus\": 0.05}}, \"reservation\": "
                              "{\"periods\": [\"2ms\", \"5ms\", \"10ms\"]}}",
                              i ? ", " : "", i,
                              i == 1 ? "\"hosts\": [\"h2\", \"h3\"], " : "", b,
                              2 * b, 3 * b);
    }
    apart = next(3) == 0;
    snprintf(w + n, ws - n,
             "], \"links\": [{\"from\": \"in\", \"to\": \"s0\", \"rate\": "
             "\"10Mbit\"}, {\"from\": \"s0\", \"to\": \"s1\", \"rate\": "
             "\"10Mbit\"}, {\"from\": \"s0\", \"to\": \"s2\", \"rate\": "
             "\"10Mbit\"}, {\"from\": \"s2\", \"to\": \"s3\", \"rate\": "
             "\"10Mbit\"}]%s}",
             apart ? ", \"anti_affinity\": [[\"s0\", \"s2\"]]" : "");
}

/* The search: s0, s1, s2, s3 in turn, each on a host it may use, a core
 * and an item (by utilisation, least first); cores within their free
 * capacity (every item's deadline is a multiple of its period, so EDF
 * needs no more), the union bound's weights within 1 - p, each path's
 * local deadlines and crossings within the deadline once it is placed.
 * Only plans cheaper than `below` are looked for. */
#define NODES_MAX 20000000L
struct search {
    const struct place_problem *p;
    double free_[HOSTS][CORES], load[HOSTS][CORES];
    double below, W, least_rest[SVCS + 1];
    int host[SVCS];
    const struct sched_menu_item *item[SVCS];
    const struct sched_menu_item *sorted[SVCS][64];
    size_t n[SVCS];
    long nodes;
    bool found;
};

/* Do the paths that end at v (just placed) keep the deadline? */
static bool paths_ok(const struct search *s, int v)
{
    uint64_t D = s->p->deadline_ns;
    uint64_t to0 = cross_ns(0, s->host[0]) + s->item[0]->deadline_ns;
    switch (v) {
    case 0:
        return to0 <= D;
    case 1:
        return to0 + cross_ns(s->host[0], s->host[1]) +
                   s->item[1]->deadline_ns <=
               D;
    case 2:
        return to0 + cross_ns(s->host[0], s->host[2]) +
                   s->item[2]->deadline_ns <=
               D;
    default:
        return to0 + cross_ns(s->host[0], s->host[2]) +
                   s->item[2]->deadline_ns + cross_ns(s->host[2], s->host[3]) +
                   s->item[3]->deadline_ns <=
               D;
    }
}

static void dfs(struct search *s, int v, double cost, double w)
{
    if (s->found || ++s->nodes > NODES_MAX)
        return;
    if (v == SVCS) {
        s->found = true;
        return;
    }
    for (size_t j = 0; j < s->n[v] && !s->found; j++) {
        const struct sched_menu_item *it = s->sorted[v][j];
        if (cost + it->utilization + s->least_rest[v + 1] >= s->below)
            break; /* and every later item costs as much */
        if (w + 1 - it->phi > s->W)
            continue;
        for (int h = v == 1 ? 2 : 0; h < HOSTS; h++) {
            if (v == 2 && apart && h == s->host[0])
                continue;
            s->host[v] = h;
            s->item[v] = it;
            if (!paths_ok(s, v))
                continue;
            for (int c = 0; c < CORES; c++) {
                if (s->load[h][c] + it->utilization > s->free_[h][c] + 1e-9)
                    continue;
                s->load[h][c] += it->utilization;
                dfs(s, v + 1, cost + it->utilization, w + 1 - it->phi);
                s->load[h][c] -= it->utilization;
            }
        }
    }
}

/* Is there a plan cheaper than `below`?  (-1: the search ran out.) */
static int cheaper(const struct place_problem *p, double below)
{
    struct search s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.below = below;
    s.W = 1 - p->probability + 1e-9;
    search_prepare(p, HOSTS, CORES, &s.free_[0][0], SVCS, s.sorted, s.n,
                   s.least_rest);
    dfs(&s, 0, 0, 0);
    return s.nodes > NODES_MAX ? -1 : s.found;
}

Test(hub_dag, every_answer_survives_the_exhaustive_search)
{
    int checked = 0, without_bb = 0, rejected = 0, optimal = 0;
    for (int k = 0; k < 40; k++) {
        char c[2048], w[4096];
        instance(c, sizeof c, w, sizeof w);
        struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        cr_assert_eq(proto_doc_load_text(&cd, "c", c, strlen(c),
                                         PROTO_DOC_CLUSTER, &err),
                     0, "%s", c);
        cr_assert_eq(proto_doc_load_text(&wd, "w", w, strlen(w),
                                         PROTO_DOC_WORKFLOW, &err),
                     0, "%s", w);
        struct model_problem mp;
        cr_assert_eq(model_problem_build(&mp, (const void *)cd.msg,
                                         (const void *)wd.msg, 0, 5, &err),
                     0, "%s", err.msg);
        /* identical menus on every host: the search reads host 0's */
        for (int h = 1; h < HOSTS; h++)
            for (int v = 0; v < SVCS; v++)
                if (mp.problem.services[v].menu[h])
                    cr_assert_eq(mp.problem.services[v].menu[h]->n,
                                 mp.problem.services[v].menu[0]->n);
        struct place_plan plan;
        cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s", err.msg);
        /* the search's delays are placer's */
        for (size_t i = 0; plan.admitted && i < mp.problem.n_vlinks; i++) {
            const struct place_vlink *e = &mp.problem.vlinks[i];
            int a = e->from < 1 ? 0 : (int)plan.services[e->from - 1].host,
                b = (int)plan.services[e->to - 1].host;
            cr_assert_eq(plan.vlinks[i].latency_ns, cross_ns(a, b),
                         "instance %d, vlink %zu: %llu ns, the search %llu", k,
                         i, (unsigned long long)plan.vlinks[i].latency_ns,
                         (unsigned long long)cross_ns(a, b));
        }
        int r = -1;
        if (plan.status == PLACE_OPTIMAL) {
            optimal++;
            r = cheaper(&mp.problem, plan.objective - 1e-9);
            cr_assert_neq(r, 1,
                          "instance %d: a plan cheaper than %.6g "
                          "(proof %d)\n%s\n%s",
                          k, plan.objective, (int)plan.proof, c, w);
            without_bb += r == 0 && plan.proof != PLACE_PROOF_MILP;
        } else if (plan.status == PLACE_INFEASIBLE) {
            r = cheaper(&mp.problem, INFINITY);
            cr_assert_neq(r, 1,
                          "instance %d: rejected (%s), yet a plan "
                          "exists\n%s\n%s",
                          k, plan.message, c, w);
            rejected += r == 0;
        }
        checked += r == 0;
        place_plan_release(&plan);
        model_problem_release(&mp);
        proto_doc_release(&cd);
        proto_doc_release(&wd);
    }
    fprintf(stderr,
            "hub_dag: %d answers checked exhaustively, %d optimal, %d proven "
            "without branch and bound, %d rejections\n",
            checked, optimal, without_bb, rejected);
    cr_assert_geq(checked, 30);
    cr_assert_geq(without_bb, 30);
}
