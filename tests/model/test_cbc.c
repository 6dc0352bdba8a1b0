/* Larger random instances: placer's proven optimum equals the optimum CBC
 * (coinor-cbc, an independent solver) finds on the exported model. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static bool have_cbc(void)
{
    return system("command -v cbc >/dev/null 2>&1") == 0;
}

/* A k=4 fat-tree of one-core hosts (a single core per host keeps the
 * model's CPU rows exact, so no packing cut is ever added), with random
 * background load. */
static char *cluster(void)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.core_capacity = 0.9;
    o.latency_ns = 5000;
    o.rate_bps = 1000000000ULL;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(4, &o, &c, &err), 0);
    json_t *j = proto_message_to_json(&c->base, 0);
    json_t *hosts = json_object_get(j, "hosts");
    for (size_t h = 0; h < json_array_size(hosts); h++)
        json_object_set_new(json_array_get(hosts, h), "used",
                            json_pack("[f]", 0.1 * (rand() % 8)));
    char *s = json_dumps(j, 0);
    json_decref(j);
    placer__cluster__free_unpacked(c, NULL);
    return s;
}

static char *workflow(int n)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < n; i++) {
        char name[16], t1[16], t2[16];
        snprintf(name, sizeof name, "s%d", i);
        int base = 300 + rand() % 900;
        snprintf(t1, sizeof t1, "%dus", base);
        snprintf(t2, sizeof t2, "%dus", base * 2);
        json_array_append_new(
            svc, json_pack("{s:s, s:{s:{s:f, s:f}}, s:{s:[s, s]}}", "name",
                           name, "exec_time", "pmf", t1, 0.9, t2, 0.1,
                           "reservation", "periods", "2ms", "5ms"));
        char prev[16];
        snprintf(prev, sizeof prev, i ? "s%d" : "src", i - 1);
        json_array_append_new(
            links, json_pack("{s:s, s:s, s:s, s:i}", "from", prev, "to", name,
                             "rate", "100Mbit", "crossings", 1 + rand() % 2));
    }
    char dl[16];
    snprintf(dl, sizeof dl, "%dms", 6 * n + rand() % (4 * n));
    json_t *w =
        json_pack("{s:s, s:s, s:f, s:s, s:[{s:s, s:s}], s:o, s:o}", "name", "x",
                  "deadline", dl, "probability", 0.9, "probability_model",
                  "independent", "endpoints", "name", "src", "node", "h-0-0-0",
                  "services", svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

/* CBC's proven optimum of an LP file, within 20 s; NAN when CBC proves
 * no optimum in that time (it is much slower than GLPK on some of these
 * models, which GLPK closes with the DP bound row). */
static double cbc_optimum(const char *lp)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cbc '%s' sec 20 solve 2>&1", lp);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char line[512];
    double obj = NAN;
    bool optimal = false;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "Result - Optimal solution found"))
            optimal = true;
        if (!strncmp(line, "Objective value:", 16))
            obj = strtod(line + 16, NULL);
    }
    pclose(f);
    return optimal ? obj : NAN;
}

Test(cbc, placer_optimum_equals_cbc_on_the_exported_model)
{
    if (!have_cbc())
        cr_skip_test("cbc (coinor-cbc) is not installed; 'make deps' "
                     "installs it");
    srand(5);
    char dir[] = "/tmp/placer-cbc-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    int compared = 0;
    for (int k = 0; k < 8; k++) {
        char *cj = cluster(), *wj = workflow(3 + k % 2);
        struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        cr_assert_eq(proto_doc_load_text(&cd, "c", cj, strlen(cj),
                                         PROTO_DOC_CLUSTER, &err),
                     0);
        cr_assert_eq(proto_doc_load_text(&wd, "w", wj, strlen(wj),
                                         PROTO_DOC_WORKFLOW, &err),
                     0, "%s", wj);
        struct model_problem mp;
        cr_assert_eq(model_problem_build(&mp, (const void *)cd.msg,
                                         (const void *)wd.msg, 0, 5, &err),
                     0);
        char lp[600];
        snprintf(lp, sizeof lp, "%s/m%d.lp", dir, k);
        cr_assert_eq(place_export_lp(&mp.problem, lp, &err), 0, "%s", err.msg);
        struct place_plan plan;
        cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s", err.msg);
        double cbc = plan.status == PLACE_OPTIMAL ? cbc_optimum(lp) : NAN;
        if (!isnan(cbc)) {
            cr_assert(fabs(cbc - plan.objective) <= 1e-6 * fmax(1, fabs(cbc)),
                      "instance %d: placer %.9g, cbc %.9g", k, plan.objective,
                      cbc);
            compared++;
        }
        place_plan_release(&plan);
        model_problem_release(&mp);
        proto_doc_release(&cd);
        proto_doc_release(&wd);
        free(cj);
        free(wj);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    cr_log_info("%d instances compared with cbc", compared);
    cr_assert_geq(compared, 4);
}
