/* Chains from a camera on one host to a viewer on another (camera -> s0
 * -> s1 -> s2 -> viewer) on six busy two-core hosts under two edge
 * switches and a core, checked against an exhaustive search of every
 * host, core and reservation item of every service, with each vlink's
 * route delay (0 on one host, 2 ms under one edge, 8 ms across).  The
 * spread model's endpoint hosts and rings (crossing.c) are bounds that
 * know where the camera and viewer are and how full the hosts near them
 * are: an optimum placer claims must have no cheaper plan, a workflow it
 * rejects no plan at all, and some answers must be proven by the timing
 * relaxation with the camera's host or edge too full for the idle plan
 * (else the test tests nothing new). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/load.h"
#include "search_util.h"
#include "util.h"

static uint64_t rng = 0x5851f42d4c957f2dULL;

static unsigned next(unsigned n)
{
    return xorshift_below(&rng, n);
}

#define HOSTS 6 /* h0..h2 under e0, h3..h5 under e1 */
#define CORES 2
#define SVCS 3
#define EDGE_NS 1000000ULL /* host - edge */
#define CORE_NS 3000000ULL /* edge - core */

static uint64_t route_ns(int a, int b)
{
    if (a == b)
        return 0;
    return a / 3 == b / 3 ? 2 * EDGE_NS : 2 * EDGE_NS + 2 * CORE_NS;
}

/* (the camera on h0, the viewer on h5, both hosts busy) */
static void instance(char *c, size_t cs, char *w, size_t ws)
{
    size_t n = (size_t)snprintf(c, cs, "{\"hosts\": [");
    for (int h = 0; h < HOSTS; h++) {
        unsigned least = h == 0 || h == HOSTS - 1 ? 4 : 0;
        n += (size_t)snprintf(c + n, cs - n,
                              "%s{\"name\": \"h%d\", \"cores\": %d, \"used\": "
                              "[%.1f, %.1f]}",
                              h ? ", " : "", h, CORES,
                              0.1 * (least + next(10 - least)),
                              0.1 * (least + next(10 - least)));
    }
    n += (size_t)snprintf(c + n, cs - n,
                          "], \"switches\": [{\"name\": \"e0\"}, {\"name\": "
                          "\"e1\"}, {\"name\": \"core\"}], \"links\": [");
    for (int h = 0; h < HOSTS; h++)
        n += (size_t)snprintf(c + n, cs - n,
                              "{\"a\": \"h%d\", \"b\": \"e%d\", \"rate\": "
                              "\"10Gbit\", \"latency\": \"%llums\"}, ",
                              h, h / 3, EDGE_NS / 1000000ULL);
    snprintf(c + n, cs - n,
             "{\"a\": \"e0\", \"b\": \"core\", \"rate\": \"40Gbit\", "
             "\"latency\": \"%llums\"}, {\"a\": \"e1\", \"b\": \"core\", "
             "\"rate\": \"40Gbit\", \"latency\": \"%llums\"}]}",
             CORE_NS / 1000000ULL, CORE_NS / 1000000ULL);
    n = (size_t)snprintf(w, ws,
                         "{\"name\": \"w\", \"deadline\": \"%ums\", "
                         "\"probability\": 0.95, \"endpoints\": [{\"name\": "
                         "\"cam\", \"node\": \"h0\"}, {\"name\": \"view\", "
                         "\"node\": \"h5\"}], \"services\": [",
                         24 + next(20));
    for (int i = 0; i < SVCS; i++) {
        unsigned b = 500 + next(1501);
        n += (size_t)snprintf(w + n, ws - n,
                              "%s{\"name\": \"s%d\", \"exec_time\": {\"pmf\": "
                              "{\"%uus\": 0.7, \"%uus\": 0.25, \"%uus\": "
                              "0.05}}, \"reservation\": {\"periods\": "
                              "[\"2ms\", \"5ms\", \"10ms\"]}}",
                              i ? ", " : "", i, b, 2 * b, 3 * b);
    }
    snprintf(w + n, ws - n,
             "], \"links\": [{\"from\": \"cam\", \"to\": \"s0\", \"rate\": "
             "\"100Mbit\"}, {\"from\": \"s0\", \"to\": \"s1\", \"rate\": "
             "\"100Mbit\"}, {\"from\": \"s1\", \"to\": \"s2\", \"rate\": "
             "\"100Mbit\"}, {\"from\": \"s2\", \"to\": \"view\", \"rate\": "
             "\"100Mbit\"}]}");
}

/* The search: s0, s1, s2 in turn, each on a host, a core and an item
 * (least utilisation first), cores within their free capacity, the union
 * bound's weights within 1 - p, the path's local deadlines and route
 * delays within the deadline as it grows.  Only plans cheaper than
 * `below` are looked for. */
#define NODES_MAX 20000000L
struct search {
    const struct place_problem *p;
    double free_[HOSTS][CORES], load[HOSTS][CORES];
    double below, W, least_rest[SVCS + 1];
    const struct sched_menu_item *sorted[SVCS][64];
    size_t n[SVCS];
    long nodes;
    bool found;
};

static void dfs(struct search *s, int v, int at, uint64_t t, double cost,
                double w)
{
    if (s->found || ++s->nodes > NODES_MAX)
        return;
    if (v == SVCS) {
        s->found = t + route_ns(at, HOSTS - 1) <= s->p->deadline_ns;
        return;
    }
    for (size_t j = 0; j < s->n[v] && !s->found; j++) {
        const struct sched_menu_item *it = s->sorted[v][j];
        if (cost + it->utilization + s->least_rest[v + 1] >= s->below)
            break; /* and every later item costs as much */
        if (w + 1 - it->phi > s->W)
            continue;
        for (int h = 0; h < HOSTS; h++) {
            uint64_t t2 = t + route_ns(at, h) + it->deadline_ns;
            if (t2 > s->p->deadline_ns)
                continue;
            for (int c = 0; c < CORES; c++) {
                if (s->load[h][c] + it->utilization > s->free_[h][c] + 1e-9)
                    continue;
                s->load[h][c] += it->utilization;
                dfs(s, v + 1, h, t2, cost + it->utilization, w + 1 - it->phi);
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
    dfs(&s, 0, 0, 0, 0, 0);
    return s.nodes > NODES_MAX ? -1 : s.found;
}

/* The least cost with every service on the camera's host, its cores
 * idle: what the bounds without the endpoints' hosts said (INFINITY when
 * none). */
static double idle_optimum(const struct place_problem *p)
{
    struct search s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.W = 1 - p->probability + 1e-9;
    double best = INFINITY;
    /* items alone, on one host: local deadlines within D less the one
     * route a chain between two hosts needs */
    for (int v = 0; v < SVCS; v++)
        s.n[v] = search_items(p->services[v].menu[0], s.sorted[v]);
    uint64_t D = p->deadline_ns - route_ns(0, HOSTS - 1);
    for (size_t a = 0; a < s.n[0]; a++)
        for (size_t b = 0; b < s.n[1]; b++)
            for (size_t c = 0; c < s.n[2]; c++) {
                const struct sched_menu_item *x = s.sorted[0][a],
                                             *y = s.sorted[1][b],
                                             *z = s.sorted[2][c];
                if (x->deadline_ns + y->deadline_ns + z->deadline_ns > D ||
                    3 - x->phi - y->phi - z->phi > s.W)
                    continue;
                best = fmin(best,
                            x->utilization + y->utilization + z->utilization);
            }
    return best;
}

Test(endpoint_chain, every_answer_survives_the_exhaustive_search)
{
    int checked = 0, by_timing = 0, by_search = 0, above_idle = 0, rejected = 0;
    for (int k = 0; k < 60; k++) {
        char c[4096], w[4096];
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
                                         (const void *)wd.msg, 0, 10, &err),
                     0, "%s", err.msg);
        for (int h = 1; h < HOSTS; h++)
            for (int v = 0; v < SVCS; v++)
                cr_assert_eq(mp.problem.services[v].menu[h]->n,
                             mp.problem.services[v].menu[0]->n);
        struct place_plan plan;
        cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s", err.msg);
        for (size_t i = 0; plan.admitted && i < mp.problem.n_vlinks; i++) {
            uint64_t d = plan.vlinks[i].latency_ns;
            cr_assert(d == 0 || d == route_ns(0, 1) || d == route_ns(0, 5),
                      "a route takes %llu ns", (unsigned long long)d);
        }
        int r = -1;
        if (plan.status == PLACE_OPTIMAL) {
            r = cheaper(&mp.problem, plan.objective - 1e-9);
            cr_assert_neq(r, 1,
                          "instance %d: a plan cheaper than %.6g "
                          "(proof %d)\n%s\n%s",
                          k, plan.objective, (int)plan.proof, c, w);
            bool timing = r == 0 && plan.proof == PLACE_PROOF_TIMING;
            bool search = r == 0 && plan.proof == PLACE_PROOF_SEARCH;
            by_timing += timing;
            by_search += search;
            above_idle += (timing || search) &&
                          plan.objective > idle_optimum(&mp.problem) + 1e-9;
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
            "endpoint_chain: %d answers checked exhaustively, %d proven by "
            "the timing relaxation and %d by the exact search (%d above the "
            "idle optimum), %d rejections\n",
            checked, by_timing, by_search, above_idle, rejected);
    cr_assert_geq(checked, 45);
    /* (30 of 60 with the endpoints' hosts, rings and distances; none
     * without) */
    cr_assert_geq(above_idle, 20);
}
