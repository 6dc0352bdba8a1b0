/* The edge from file formats to the scheduler: every exec_time form of the
 * examples becomes a distribution and a menu. */
#include <criterion/criterion.h>
#include <string.h>

#include "model/model.h"
#include "proto/load.h"
#include "util.h"

#define MS 1000000ULL

static struct proto_doc load(const char *rel)
{
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(
        proto_doc_load_file(&doc, src_path(rel), PROTO_DOC_WORKFLOW, &err), 0,
        "%s", err.msg);
    return doc;
}

static const Placer__Service *service(const struct proto_doc *d,
                                      const char *name)
{
    const Placer__Workflow *w = (const void *)d->msg;
    for (size_t i = 0; i < w->n_services; i++)
        if (!strcmp(w->services[i]->name, name))
            return w->services[i];
    cr_assert_fail("no service %s", name);
    return NULL;
}

Test(model, every_exec_time_form_of_the_examples_converts)
{
    struct proto_doc v = load("examples/vepc-attach.json");
    struct proto_doc p = load("examples/video-pipeline.json");
    struct plc_error err = PLC_ERROR_INIT;
    struct sched_dist d = SCHED_DIST_INIT;
    /* pmf */
    cr_assert_eq(model_exec_dist(service(&v, "mme")->exec_time, 1.0, &d, &err),
                 0);
    cr_assert_eq(d.n, 3);
    cr_assert_float_eq(sched_dist_cdf(&d, 2 * MS), 0.9, 1e-12);
    /* wcet, on a host twice as fast */
    cr_assert_eq(model_exec_dist(service(&v, "hss")->exec_time, 2.0, &d, &err),
                 0);
    cr_assert_eq(d.n, 1);
    cr_assert_eq(d.t_ns[0], 250000);
    /* samples: 8 values, 1/8 each */
    cr_assert_eq(
        model_exec_dist(service(&p, "publish")->exec_time, 1.0, &d, &err), 0);
    cr_assert_eq(d.n, 8);
    cr_assert_float_eq(sched_dist_cdf(&d, 1 * MS), 0.5, 1e-12);
    sched_dist_release(&d);
    proto_doc_release(&v);
    proto_doc_release(&p);
}

Test(model, a_normal_exec_time_converts)
{
    const char *text = "{\"name\": \"w\", \"services\": [{\"name\": \"a\", "
                       "\"exec_time\": {\"normal\": {\"mean\": \"4ms\", "
                       "\"stddev\": \"1ms\"}}}]}";
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_text(&doc, "w.json", text, strlen(text),
                                     PROTO_DOC_WORKFLOW, &err),
                 0);
    const Placer__Workflow *w = (const void *)doc.msg;
    struct sched_dist d = SCHED_DIST_INIT;
    cr_assert_eq(model_exec_dist(w->services[0]->exec_time, 1.0, &d, &err), 0);
    cr_assert_gt(d.n, 100);
    cr_assert_float_eq(sched_dist_mean(&d), 4 * MS, 0.05 * MS);
    sched_dist_release(&d);
    proto_doc_release(&doc);
}

Test(model, menus_follow_the_restrictions_and_the_guest_gets_interfaces)
{
    struct proto_doc v = load("examples/vepc-attach.json");
    struct proto_doc c = load("examples/control-loop.json");
    struct plc_error err = PLC_ERROR_INIT;
    struct sched_menu m;
    cr_assert_eq(
        model_service_menu(service(&v, "mme"), 1.0, 0, false, NULL, &m, &err),
        0);
    cr_assert_gt(m.n, 0);
    for (size_t i = 0; i < m.n; i++)
        cr_assert_eq(m.v[i].period_ns, 5 * MS);
    sched_menu_release(&m);
    /* the deadline limit drops items with d above it */
    cr_assert_eq(model_service_menu(service(&v, "mme"), 1.0, 5 * MS, false,
                                    NULL, &m, &err),
                 0);
    for (size_t i = 0; i < m.n; i++)
        cr_assert_leq(m.v[i].deadline_ns, 5 * MS);
    sched_menu_release(&m);
    /* controller: EDF tasks 7/50 and 9/75 ms, periods 5, 10, 25 ms */
    cr_assert_eq(model_service_menu(service(&c, "controller"), 1.0, 0, true,
                                    NULL, &m, &err),
                 0);
    cr_assert_eq(m.n, 1);
    cr_assert_eq(m.v[0].deadline_ns, 75 * MS);
    cr_assert_eq(m.v[0].phi, 1.0);
    cr_assert_eq(m.v[0].budget_ns, 1345000);
    sched_menu_release(&m);
    /* no exec_time: an empty menu */
    Placer__Service none = PLACER__SERVICE__INIT;
    cr_assert_eq(model_service_menu(&none, 1.0, 0, false, NULL, &m, &err), 0);
    cr_assert_eq(m.n, 0);
    proto_doc_release(&v);
    proto_doc_release(&c);
}
