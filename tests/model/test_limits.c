/* The time limit holds for the whole plan, not only GLPK's search: model
 * building, the DP bound, the heuristic and the model's rows all stop at
 * one deadline.  CPU time is what is asserted (a busy machine stretches
 * the wall clock, never the CPU a stopped computation uses); before the
 * deadline, the 3,000-service chain below took over 15 s of CPU with a
 * 0.5 s limit and the 100,000 services over 120 s. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static Placer__Cluster *fat_tree(unsigned k)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.core_capacity = 0.9;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(k, &o, &c, &err), 0, "%s", err.msg);
    return c;
}

/* n services, each 1/2/3 ms in 10 ms periods, chained when `chain`. */
static void workflow(struct proto_doc *d, int n, bool chain)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < n; i++) {
        char name[16], prev[16];
        snprintf(name, sizeof name, "s%d", i);
        json_array_append_new(
            svc, json_pack("{s:s, s:{s:{s:f, s:f, s:f}}, s:s, s:{s:[s]}}",
                           "name", name, "exec_time", "pmf", "1ms", 0.7, "2ms",
                           0.25, "3ms", 0.05, "memory", "64MiB", "reservation",
                           "periods", "10ms"));
        snprintf(prev, sizeof prev, "s%d", i - 1);
        if (chain && i)
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s}", "from", prev,
                                            "to", name, "rate", "1Mbit"));
    }
    char dl[32];
    snprintf(dl, sizeof dl, "%dms", 15 * n);
    json_t *j =
        json_pack("{s:s, s:s, s:f, s:o, s:o}", "name", "big", "deadline", dl,
                  "probability", 0.95, "services", svc, "links", links);
    char *text = json_dumps(j, 0);
    json_decref(j);
    struct plc_error err = PLC_ERROR_INIT;
    *d = (struct proto_doc)PROTO_DOC_INIT;
    cr_assert_eq(proto_doc_load_text(d, "big.json", text, strlen(text),
                                     PROTO_DOC_WORKFLOW, &err),
                 0, "%s", d->diags.n ? d->diags.v[0].msg : err.msg);
    free(text);
}

/* Plan with `limit` seconds; returns the CPU seconds it took. */
static double plan_within(const Placer__Cluster *c, const struct proto_doc *w,
                          double limit, struct place_plan *plan)
{
    struct model_problem mp;
    Placer__Plan *doc = NULL;
    struct plc_error err = PLC_ERROR_INIT;
    double t0 = cpu_s();
    int rc = model_plan(&mp, c, NULL, (const void *)w->msg, 0, limit, NULL,
                        plan, &doc, &err);
    double used = cpu_s() - t0;
    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_assert_not_null(doc, "a plan document, admitted or not");
    placer__plan__free_unpacked(doc, NULL);
    model_problem_release(&mp);
    return used;
}

Test(limits, a_long_chain_on_128_hosts_stops_at_the_time_limit)
{
    Placer__Cluster *c = fat_tree(8);
    struct proto_doc w;
    workflow(&w, 3000, true);
    struct place_plan plan;
    memset(&plan, 0, sizeof plan);
    double used = plan_within(c, &w, 0.5, &plan);
    /* a plan found in time is feasible at best; none is a timeout */
    cr_assert(plan.admitted ? plan.status == PLACE_FEASIBLE
                            : plan.reject == PLACE_REJECT_TIMEOUT,
              "status %d, reject %d: %s", (int)plan.status, (int)plan.reject,
              plan.message);
    cr_assert_lt(used, 0.5 + 3.0, "%.2f s of CPU against a 0.5 s limit", used);
    place_plan_release(&plan);
    proto_doc_release(&w);
    placer__cluster__free_unpacked(c, NULL);
}

Test(limits, a_hundred_thousand_services_answer_timeout_naming_the_stage)
{
    Placer__Cluster *c = fat_tree(4);
    struct proto_doc w;
    workflow(&w, 100000, false);
    struct place_plan plan;
    memset(&plan, 0, sizeof plan);
    double used = plan_within(c, &w, 0.3, &plan);
    cr_assert_not(plan.admitted);
    cr_assert_eq(plan.reject, PLACE_REJECT_TIMEOUT, "%s", plan.message);
    cr_assert(strstr(plan.message, "time limit"), "%s", plan.message);
    cr_assert_lt(used, 0.3 + 3.0, "%.2f s of CPU against a 0.3 s limit", used);
    place_plan_release(&plan);
    proto_doc_release(&w);
    placer__cluster__free_unpacked(c, NULL);
}

/* A 40,000-service chain: the services' depths along the workflow (what
 * the composition charges) were found by scanning the names for every
 * link and relaxing every link once per service, 14 s of CPU before the
 * time limit was ever looked at; now one topological pass. */
Test(limits, a_long_chain_is_not_quadratic_before_the_deadline)
{
    Placer__Cluster *c = fat_tree(4);
    struct proto_doc w;
    workflow(&w, 40000, true);
    struct place_plan plan;
    memset(&plan, 0, sizeof plan);
    double used = plan_within(c, &w, 0.3, &plan);
    cr_assert_not(plan.admitted);
    cr_assert_lt(used, 0.3 + 3.0, "%.2f s of CPU against a 0.3 s limit", used);
    place_plan_release(&plan);
    proto_doc_release(&w);
    placer__cluster__free_unpacked(c, NULL);
}
