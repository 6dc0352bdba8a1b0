/* Small fork/joins (1 -> 3 -> 1) on three busy two-core hosts off one
 * switch (a service of two vCPUs at times, one reservation on each core),
 * checked against an exhaustive search of every host, core and reservation item
 * of every service.  Whatever proves placer's answer (the DP bound, the exact
 * timing relaxation, one host against one crossing, branch and bound), an
 * optimum it claims must have no cheaper plan, and a workflow it rejects must
 * have no plan at all.  The proofs must include the timing relaxation's (else
 * the test tests nothing new). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "model/model.h"
#include "proto/load.h"
#include "search_util.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned next(unsigned n)
{
    return xorshift_below(&rng, n);
}

#define HOSTS 3
#define CORES 2
#define SVCS 5
#define CROSS_NS 10000 /* host -> switch -> host: two 5 us links */

static void instance(char *c, size_t cs, char *w, size_t ws)
{
    size_t n = (size_t)snprintf(c, cs, "{\"hosts\": [");
    for (int h = 0; h < HOSTS; h++)
        n += (size_t)snprintf(c + n, cs - n,
                              "%s{\"name\": \"h%d\", \"cores\": %d, \"used\": "
                              "[%.1f, %.1f]}",
                              h ? ", " : "", h, CORES, 0.1 * (1 + next(5)),
                              0.1 * (1 + next(5)));
    n += (size_t)snprintf(c + n, cs - n,
                          "], \"switches\": [{\"name\": \"s\"}], \"links\": [");
    for (int h = 0; h < HOSTS; h++)
        n += (size_t)snprintf(c + n, cs - n,
                              "%s{\"a\": \"h%d\", \"b\": \"s\", \"rate\": "
                              "\"10Gbit\", \"latency\": \"5us\"}",
                              h ? ", " : "", h);
    snprintf(c + n, cs - n, "]}");
    n = (size_t)snprintf(w, ws,
                         "{\"name\": \"w\", \"deadline\": \"%ums\", "
                         "\"probability\": 0.95, \"services\": [",
                         15 + next(16));
    for (int i = 0; i < SVCS; i++) {
        unsigned b = 500 + next(1501);
        n += (size_t)snprintf(w + n, ws - n,
                              "%s{\"name\": \"s%d\", \"vcpus\": %u, "
                              "\"exec_time\": {\"pmf\": {\"%uus\": 0.7, "
                              "\"%uus\": 0.25, \"%uus\": 0.05}}, "
                              "\"reservation\": {\"periods\": [\"2ms\", "
                              "\"5ms\", \"10ms\"]}}",
                              i ? ", " : "", i, next(8) ? 1u : 2u, b, 2 * b,
                              3 * b);
    }
    n += (size_t)snprintf(w + n, ws - n, "], \"links\": [");
    for (int i = 1; i < SVCS - 1; i++)
        n += (size_t)snprintf(w + n, ws - n,
                              "%s{\"from\": \"s0\", \"to\": \"s%d\", \"rate\": "
                              "\"100Mbit\"}, {\"from\": \"s%d\", \"to\": "
                              "\"s%d\", \"rate\": \"100Mbit\"}",
                              i > 1 ? ", " : "", i, i, SVCS - 1);
    snprintf(w + n, ws - n, "]}");
}

/* The search: services in the order s0, sink, branches; each on a host, a
 * core and an item (items by utilisation, least first), cores within
 * their free capacity (every item's deadline is a multiple of its period,
 * so EDF needs no more), the union bound's weights within 1 - p, and
 * each branch's path (local deadlines and crossings) within the deadline
 * as it is placed.  Only plans cheaper than `below` are looked for. */
#define NODES_MAX 20000000L
struct search {
    const struct place_problem *p;
    double free_[HOSTS][CORES], load[HOSTS][CORES];
    double below, W, least_rest[SVCS + 1];
    int order[SVCS], host[SVCS];
    const struct sched_menu_item *item[SVCS];
    const struct sched_menu_item *sorted[SVCS][64];
    size_t n[SVCS];
    long nodes;
    bool found;
};

/* May v (at position k) take `it` on host h, given those placed before? */
static bool path_ok(const struct search *s, int k, int v,
                    const struct sched_menu_item *it, int h)
{
    uint64_t D = s->p->deadline_ns;
    if (k == 0)
        return it->deadline_ns <= D;
    if (k == 1)
        return s->item[0]->deadline_ns + it->deadline_ns <= D;
    (void)v;
    uint64_t t = s->item[0]->deadline_ns + it->deadline_ns +
                 s->item[SVCS - 1]->deadline_ns;
    t += s->host[0] != h ? CROSS_NS : 0;
    t += h != s->host[SVCS - 1] ? CROSS_NS : 0;
    return t <= D;
}

static void dfs(struct search *s, int k, double cost, double w)
{
    if (s->found || ++s->nodes > NODES_MAX)
        return;
    if (k == SVCS) {
        s->found = true;
        return;
    }
    int v = s->order[k];
    for (size_t j = 0; j < s->n[v] && !s->found; j++) {
        const struct sched_menu_item *it = s->sorted[v][j];
        if (cost + it->utilization + s->least_rest[k + 1] >= s->below)
            break; /* and every later item costs as much */
        if (w + 1 - it->phi > s->W)
            continue;
        int vc = s->p->services[v].vcpus;
        double u = vc * it->utilization;
        if (cost + u + s->least_rest[k + 1] >= s->below)
            continue;
        for (int h = 0; h < HOSTS; h++) {
            if (!path_ok(s, k, v, it, h))
                continue;
            if (vc == CORES) { /* a reservation on every core */
                bool room = true;
                for (int c = 0; c < CORES; c++)
                    room &= s->load[h][c] + it->utilization <=
                            s->free_[h][c] + 1e-9;
                if (!room)
                    continue;
                for (int c = 0; c < CORES; c++)
                    s->load[h][c] += it->utilization;
                s->host[v] = h;
                s->item[v] = it;
                dfs(s, k + 1, cost + u, w + 1 - it->phi);
                for (int c = 0; c < CORES; c++)
                    s->load[h][c] -= it->utilization;
                continue;
            }
            for (int c = 0; c < CORES; c++) {
                if (s->load[h][c] + it->utilization > s->free_[h][c] + 1e-9)
                    continue;
                s->load[h][c] += it->utilization;
                s->host[v] = h;
                s->item[v] = it;
                dfs(s, k + 1, cost + it->utilization, w + 1 - it->phi);
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
    for (int h = 0; h < HOSTS; h++)
        for (int c = 0; c < CORES; c++)
            s.free_[h][c] = p->cluster->hosts[h].core_capacity -
                            p->cluster->hosts[h].used[c];
    s.order[0] = 0;
    s.order[1] = SVCS - 1;
    for (int i = 1; i < SVCS - 1; i++)
        s.order[i + 1] = i;
    for (int v = 0; v < SVCS; v++) {
        const struct sched_menu *mu = p->services[v].menu[0];
        cr_assert_leq(mu->n, 64);
        s.n[v] = search_items(mu, s.sorted[v]);
    }
    for (int k = SVCS - 1; k >= 0; k--) {
        int v = s.order[k];
        s.least_rest[k] =
            s.least_rest[k + 1] +
            (s.n[v] ? p->services[v].vcpus * s.sorted[v][0]->utilization
                    : INFINITY);
    }
    dfs(&s, 0, 0, 0);
    return s.nodes > NODES_MAX ? -1 : s.found;
}

Test(small_dag, every_answer_survives_the_exhaustive_search)
{
    int checked = 0, by_timing = 0, by_search = 0, rejected = 0;
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
                                         (const void *)wd.msg, 0, 2, &err),
                     0, "%s", err.msg);
        /* identical menus on every host: the search reads host 0's */
        for (int h = 1; h < HOSTS; h++)
            for (int v = 0; v < SVCS; v++)
                cr_assert_eq(mp.problem.services[v].menu[h]->n,
                             mp.problem.services[v].menu[0]->n);
        /* each instance twice: with the exact search (search.c), and
         * without it, where the bounds and GLPK decide alone */
        for (int alone = 0; alone < 2; alone++) {
            mp.problem.no_search = alone;
            struct place_plan plan;
            cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s",
                         err.msg);
            for (size_t i = 0; plan.admitted && i < mp.problem.n_vlinks; i++)
                cr_assert(plan.vlinks[i].latency_ns == 0 ||
                              plan.vlinks[i].latency_ns == CROSS_NS,
                          "a crossing takes %llu ns, the search %d",
                          (unsigned long long)plan.vlinks[i].latency_ns,
                          CROSS_NS);
            int r = -1;
            if (plan.status == PLACE_OPTIMAL) {
                r = cheaper(&mp.problem, plan.objective - 1e-9);
                cr_assert_neq(r, 1,
                              "instance %d: a plan cheaper than %.6g "
                              "(proof %d)\n%s\n%s",
                              k, plan.objective, (int)plan.proof, c, w);
                by_timing += r == 0 && plan.proof == PLACE_PROOF_TIMING;
                by_search += r == 0 && plan.proof == PLACE_PROOF_SEARCH;
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
        }
        model_problem_release(&mp);
        proto_doc_release(&cd);
        proto_doc_release(&wd);
    }
    fprintf(stderr,
            "small_dag: %d answers checked exhaustively, %d proven by the "
            "timing relaxation, %d by the exact search, %d rejections\n",
            checked, by_timing, by_search, rejected);
    cr_assert_geq(checked, 60);
    cr_assert_geq(by_timing, 3);
    cr_assert_geq(by_search, 3);
}
