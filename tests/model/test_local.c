/* Plans made on the hosts near the workflow (placement/local.c) against
 * the whole cluster solved as before: random busy fat-trees of 432 and
 * 128 hosts of two speeds and four prices, and meshes of 300 forwarding hosts;
 * chains of 1-5 services from one or two endpoints (a host or a switch),
 * with 1-2 vCPUs, anti-affinity and narrow pins at times; utilisation and
 * cost.  A local plan called optimal must
 * be no worse than the whole solve's plan, its bound no higher, and equal
 * to it when that one is proven too; the local path must actually be
 * taken on most of them (else the test tests nothing). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

#include <jansson.h>

static uint64_t rng = 88172645463325252ULL;

static unsigned next(unsigned n)
{
    return xorshift_below(&rng, n);
}

/* A fat-tree of K (12: 432 hosts; 8: 128, where the local pass runs only
 * when the greedy plan is not proven): in most pods half of each rack is
 * twice as fast
 * (another menu), in the rest all hosts are slow; prices 1-4 per host;
 * every core loaded 0-90 %, a few hosts full. */
static int K = 12;

static char *cluster(void)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 4;
    o.core_capacity = 0.9;
    o.memory_bytes = 8ULL << 30;
    o.rate_bps = 10000000000ULL;
    o.latency_ns = 5000;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree((unsigned)K, &o, &c, &err), 0, "%s",
                 err.msg);
    json_t *j = proto_message_to_json(&c->base, 0);
    placer__cluster__free_unpacked(c, NULL);
    bool mixed[16];
    for (int p = 0; p < K; p++)
        mixed[p] = next(4) != 0;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(j, "hosts"), i, h)
    {
        int half = K / 2, pod = (int)i / (half * half);
        json_t *used = json_array();
        for (int k = 0; k < 4; k++)
            json_array_append_new(
                used, json_real(next(20) == 0 ? 0.9 : 0.1 * next(10)));
        json_object_set_new(h, "used", used);
        json_object_set_new(
            h, "speed",
            json_real(mixed[pod] && (int)i % half >= half / 2 ? 2.0 : 1.0));
        json_object_set_new(h, "cost", json_real(1 + next(4)));
    }
    char *s = json_dumps(j, 0);
    json_decref(j);
    return s;
}

/* 300 hosts and no switch: a ring with three random chords per host,
 * 5-50 us and 1-10 Gbit/s per link; hosts forward (routes pass through
 * them), two speeds at random. */
static char *mesh(void)
{
    json_t *hosts = json_array(), *links = json_array();
    for (int i = 0; i < 300; i++) {
        char n[16];
        snprintf(n, sizeof n, "m%d", i);
        json_t *used = json_array();
        for (int k = 0; k < 4; k++)
            json_array_append_new(used, json_real(0.1 * next(10)));
        json_array_append_new(
            hosts, json_pack("{s:s, s:i, s:f, s:o, s:s, s:f, s:f}", "name", n,
                             "cores", 4, "core_capacity", 0.9, "used", used,
                             "memory", "8GiB", "speed", next(2) ? 1.0 : 2.0,
                             "cost", (double)(1 + next(4))));
    }
    for (int i = 0; i < 300; i++)
        for (int k = 0; k < 4; k++) {
            int j = k ? (int)next(300) : (i + 1) % 300;
            if (j == i)
                continue;
            char a[16], b[16], lat[16], rate[16];
            snprintf(a, sizeof a, "m%d", i);
            snprintf(b, sizeof b, "m%d", j);
            snprintf(lat, sizeof lat, "%uus", 5 + next(46));
            snprintf(rate, sizeof rate, "%uGbit", 1 + next(10));
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s, s:s}", "a", a, "b",
                                            b, "rate", rate, "latency", lat));
        }
    json_t *j = json_pack("{s:o, s:o}", "hosts", hosts, "links", links);
    char *s = json_dumps(j, 0);
    json_decref(j);
    return s;
}

/* A chain of n services from endpoint u (and on to v half the time):
 * pmfs of 0.1-2 ms, 1-4 GiB, 1 or 2 vCPUs; sometimes s0 and s1 on
 * different hosts, s0 allowed on three hosts only, v on a switch. */
static char *workflow(int n, bool cost, bool on_mesh)
{
    char *w = malloc(16384);
    char a[32], b[32];
    int half = K / 2, pod = half * half, all = K * pod;
    int ha = (int)next(on_mesh ? 300 : (unsigned)all),
        hb = (int)next(on_mesh ? 300 : (unsigned)all);
    if (on_mesh) {
        snprintf(a, sizeof a, "m%d", ha);
        snprintf(b, sizeof b, "m%d", hb);
    } else {
        snprintf(a, sizeof a, "h-%d-%d-%d", ha / pod, ha / half % half,
                 ha % half);
        snprintf(b, sizeof b, next(3) ? "h-%d-%d-%d" : "edge-%d-%d", hb / pod,
                 hb / half % half, hb % half);
    }
    bool two = next(2), anti = n > 1 && next(4) == 0, pin = next(4) == 0;
    size_t m = (size_t)sprintf(
        w,
        "{\"name\": \"w\", \"objective\": \"%s\", \"deadline\": \"%ums\","
        " \"probability\": 0.95, \"endpoints\": [{\"name\": \"u\", \"node\":"
        " \"%s\"}%s%s%s], \"services\": [",
        cost ? "cost" : "utilization", 4 + next(30) + 3 * (unsigned)n, a,
        two ? ", {\"name\": \"v\", \"node\": \"" : "", two ? b : "",
        two ? "\"}" : "");
    for (int i = 0; i < n; i++) {
        unsigned base = 100 + next(900);
        char allowed[128] = "";
        if (i == 0 && pin) {
            int x = (int)next(on_mesh ? 300 : (unsigned)all);
            if (on_mesh)
                snprintf(allowed, sizeof allowed,
                         "\"hosts\": [\"m%d\", \"m%d\", \"m%d\"], ", x,
                         (x + 7) % 300, (x + 100) % 300);
            else
                snprintf(allowed, sizeof allowed,
                         "\"hosts\": [\"h-%d-0-0\", \"h-%d-1-1\", "
                         "\"h-%d-2-2\"], ",
                         x / pod, x / pod, (x / pod + 5) % K);
        }
        m +=
            (size_t)sprintf(w + m,
                            "%s{\"name\": \"s%d\", %s\"vcpus\": %u,"
                            " \"memory\": \"%uGiB\", \"exec_time\": {\"pmf\":"
                            " {\"%uus\": 0.8, \"%uus\": 0.2}}, \"reservation\":"
                            " {\"periods\": [\"2ms\", \"5ms\", \"10ms\"]}}",
                            i ? ", " : "", i, allowed, next(4) ? 1 : 2,
                            1 + next(4), base, 2 * base);
    }
    m += (size_t)sprintf(w + m, "], \"links\": [");
    for (int i = 0; i <= n; i++) {
        if (i == n && !two)
            break;
        char from[16], to[16];
        snprintf(from, sizeof from, i ? "s%d" : "u", i - 1);
        snprintf(to, sizeof to, i < n ? "s%d" : "v", i);
        m += (size_t)sprintf(w + m,
                             "%s{\"from\": \"%s\", \"to\": \"%s\", \"rate\":"
                             " \"%uMbit\"}",
                             i ? ", " : "", from, to, 1 + next(200));
    }
    sprintf(w + m, "]%s}",
            anti ? ", \"anti_affinity\": [[\"s0\", \"s1\"]]" : "");
    return w;
}

struct solved {
    struct proto_doc c, w;
    struct model_problem mp;
    struct place_plan plan;
};

static void solve(struct solved *s, const char *cj, const char *wj, bool whole)
{
    s->c = (struct proto_doc)PROTO_DOC_INIT;
    s->w = (struct proto_doc)PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_text(&s->c, "c", cj, strlen(cj),
                                     PROTO_DOC_CLUSTER, &err),
                 0);
    cr_assert_eq(proto_doc_load_text(&s->w, "w", wj, strlen(wj),
                                     PROTO_DOC_WORKFLOW, &err),
                 0, "%s", s->w.diags.n ? s->w.diags.v[0].msg : wj);
    cr_assert_eq(model_problem_build(&s->mp, (const void *)s->c.msg,
                                     (const void *)s->w.msg, 0, 20, &err),
                 0, "%s", err.msg);
    /* a part is solved whole: no local pass */
    s->mp.problem.part = whole;
    cr_assert_eq(place_solve(&s->mp.problem, &s->plan, &err), 0, "%s", err.msg);
}

static void release(struct solved *s)
{
    place_plan_release(&s->plan);
    model_problem_release(&s->mp);
    proto_doc_release(&s->c);
    proto_doc_release(&s->w);
}

Test(local, local_plans_match_the_whole_cluster_solve)
{
    int runs = 24, local = 0, compared = 0;
    for (int r = 0; r < runs; r++) {
        bool on_mesh = r % 4 == 3;
        K = r % 4 == 1 ? 8 : 12;
        char *cj = on_mesh ? mesh() : cluster();
        char *wj = workflow(1 + (int)next(5), r % 3 == 2, on_mesh);
        struct solved a, b;
        solve(&a, cj, wj, false);
        solve(&b, cj, wj, true);
        cr_assert_not(b.plan.local);
        double tol = 1e-6 * fmax(1, fabs(b.plan.objective));
        if (a.plan.local && a.plan.status == PLACE_FEASIBLE) {
            /* the local plan kept because the whole solve did worse: a
             * valid bound, and no better than a proven optimum */
            cr_assert_leq(a.plan.bound, b.plan.objective + tol);
            if (b.plan.status == PLACE_OPTIMAL)
                cr_assert_geq(a.plan.objective, b.plan.objective - tol);
        } else if (a.plan.local) {
            local++;
            cr_assert_eq(a.plan.status, PLACE_OPTIMAL);
            cr_assert(b.plan.admitted, "local admitted, whole did not: %s", wj);
            cr_assert_leq(a.plan.objective, b.plan.objective + tol,
                          "local %g worse than whole %g: %s", a.plan.objective,
                          b.plan.objective, wj);
            cr_assert_leq(a.plan.bound, b.plan.objective + tol,
                          "local bound %g above a plan of %g: %s", a.plan.bound,
                          b.plan.objective, wj);
            if (b.plan.status == PLACE_OPTIMAL) {
                compared++;
                cr_assert_float_eq(a.plan.objective, b.plan.objective, tol,
                                   "local %g, whole %g: %s", a.plan.objective,
                                   b.plan.objective, wj);
            }
            /* every service on a real host, every route a real path */
            const struct place_cluster *c = a.mp.problem.cluster;
            for (size_t v = 0; v < a.mp.problem.n_services; v++)
                cr_assert_lt(a.plan.services[v].host, c->n_hosts);
            for (size_t i = 0; i < a.mp.problem.n_vlinks; i++)
                for (size_t k = 0; k + 1 < a.plan.vlinks[i].n_path; k++) {
                    size_t x = a.plan.vlinks[i].path[k],
                           y = a.plan.vlinks[i].path[k + 1];
                    bool linked = false;
                    for (size_t l = 0; l < c->n_links && !linked; l++)
                        linked = (c->links[l].a == x && c->links[l].b == y) ||
                                 (c->links[l].a == y && c->links[l].b == x);
                    cr_assert(linked, "route step %s -> %s is no link",
                              c->node_names[x], c->node_names[y]);
                }
        } else if (a.plan.status == PLACE_OPTIMAL &&
                   b.plan.status == PLACE_OPTIMAL) {
            cr_assert_float_eq(a.plan.objective, b.plan.objective, tol);
        }
        release(&a);
        release(&b);
        free(cj);
        free(wj);
    }
    fprintf(stderr, "test_local: local %d of %d, %d compared with a proof\n",
            local, runs, compared);
    cr_assert_geq(local, runs / 2, "the local path was taken %d times of %d",
                  local, runs);
    cr_assert_geq(compared, runs / 4, "only %d compared with a proof",
                  compared);
}

/* The cluster converted once in its index (model_index_refresh), as
 * placerd keeps it: each plan reads the loads, capacities, platforms and
 * link rates the refreshes named, never a stale copy. */
static size_t plan_host(const Placer__Cluster *c, struct model_index *ix,
                        const Placer__Workflow *w, bool *admitted)
{
    struct model_problem mp;
    struct place_plan plan;
    Placer__Plan *doc = NULL;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(model_plan(&mp, c, ix, w, 0, 5, NULL, &plan, &doc, &err), 0,
                 "%s", err.msg);
    cr_assert(mp.borrowed, "the problem converted its own cluster");
    *admitted = plan.admitted;
    size_t h = plan.admitted ? plan.services[0].host : PLACE_NONE;
    placer__plan__free_unpacked(doc, NULL);
    place_plan_release(&plan);
    model_problem_release(&mp);
    return h;
}

Test(local, an_index_keeps_the_cluster_its_refreshes_name)
{
    const char *cj =
        "{\"hosts\": [{\"name\": \"a\", \"cores\": 1, \"memory\": \"4GiB\"},"
        " {\"name\": \"b\", \"cores\": 1, \"memory\": \"4GiB\"}], \"switches\":"
        " [{\"name\":"
        " \"s\"}], \"links\": [{\"a\": \"a\", \"b\": \"s\", \"rate\":"
        " \"1Gbit\"}, {\"a\": \"b\", \"b\": \"s\", \"rate\": \"1Gbit\"}]}";
    const char *wj =
        "{\"name\": \"w\", \"deadline\": \"10ms\", \"services\": [{\"name\":"
        " \"x\", \"memory\": \"3GiB\", \"exec_time\": {\"wcet\": \"6ms\"},"
        " \"reservation\": {\"periods\": [\"10ms\"]}}]}";
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(
        proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER, &err),
        0);
    cr_assert_eq(
        proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW, &err),
        0);
    Placer__Cluster *c = (void *)cd.msg;
    const Placer__Workflow *w = (const void *)wd.msg;
    struct model_index *ix = model_index_build(c);
    cr_assert_not_null(ix);
    cr_assert_eq(model_index_refresh(ix, c, NULL, 0, NULL, 0, NULL, 0, true),
                 0);
    bool ok;
    size_t first = plan_host(c, ix, w, &ok);
    cr_assert(ok);
    /* that host's memory taken (a load): the next plan goes elsewhere */
    Placer__Host *f = c->hosts[first];
    if (!f->memory_used) {
        f->memory_used = malloc(sizeof *f->memory_used);
        placer__size__init(f->memory_used);
    }
    f->memory_used->has_bytes = 1;
    f->memory_used->bytes = 2ULL << 30;
    cr_assert_eq(model_index_refresh(ix, c, &first, 1, NULL, 0, NULL, 0, false),
                 0);
    size_t second = plan_host(c, ix, w, &ok);
    cr_assert(ok);
    cr_assert_neq(second, first, "planned on the loaded host again");
    /* the other host's capacity halved (a change beyond its load): no host
     * takes 0.6 now */
    c->hosts[second]->has_core_capacity = 1;
    c->hosts[second]->core_capacity = 0.5;
    cr_assert_eq(
        model_index_refresh(ix, c, NULL, 0, &second, 1, NULL, 0, false), 0);
    plan_host(c, ix, w, &ok);
    cr_assert_not(ok, "the halved capacity was not seen");
    /* and twice as fast (another host class, another menu): 0.3 fits */
    c->hosts[second]->has_speed = 1;
    c->hosts[second]->speed = 2;
    cr_assert_eq(
        model_index_refresh(ix, c, NULL, 0, &second, 1, NULL, 0, false), 0);
    cr_assert_eq(plan_host(c, ix, w, &ok), second);
    cr_assert(ok, "the faster host's class was not made");
    model_index_free(ix);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
}
