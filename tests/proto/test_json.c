/* The descriptor-driven JSON mapping: every example survives
 * JSON -> proto -> JSON unchanged in meaning, and every mapping rule of
 * placer.proto holds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json.h"
#include "proto/load.h"
#include "util.h"

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    protobuf_c_message_pack(m, b);
    return b;
}

/* load `text`, print it, load the print: both messages must be equal and
 * printing must be idempotent. */
static void round_trip(const char *name, const char *text, size_t len)
{
    struct proto_doc a = PROTO_DOC_INIT, b = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = proto_doc_load_text(&a, name, text, len, PROTO_DOC_ANY, &err);
    cr_assert_eq(rc, 0, "%s: %s", name, a.diags.n ? a.diags.v[0].msg : err.msg);
    json_t *j1 = proto_message_to_json(a.msg, 0);
    char *t1 = json_dumps(j1, PROTO_JSON_DUMP_FLAGS);
    rc = proto_doc_load_text(&b, name, t1, strlen(t1), a.kind, &err);
    cr_assert_eq(rc, 0, "%s reprinted: %s\n%s", name,
                 b.diags.n ? b.diags.v[0].msg : err.msg, t1);
    size_t la, lb;
    uint8_t *pa = pack(a.msg, &la), *pb = pack(b.msg, &lb);
    cr_assert_eq(la, lb, "%s: packed sizes differ", name);
    cr_assert_eq(memcmp(pa, pb, la), 0, "%s: messages differ", name);
    json_t *j2 = proto_message_to_json(b.msg, 0);
    cr_assert(json_equal(j1, j2), "%s: printing is not idempotent", name);
    /* the original document and the reprint agree on every top-level key */
    json_t *orig = json_loadb(text, len, 0, NULL);
    const char *key;
    json_t *val;
    json_object_foreach(orig, key, val)
        cr_assert(json_object_get(j1, key) || json_is_null(val),
                  "%s: key %s lost", name, key);
    json_decref(orig);
    free(pa);
    free(pb);
    free(t1);
    json_decref(j1);
    json_decref(j2);
    proto_doc_release(&a);
    proto_doc_release(&b);
}

Test(json, every_example_round_trips)
{
    size_t n;
    char **files = list_files(src_path("examples"), ".json", &n);
    cr_assert_geq(n, 5, "examples/ has %zu JSON files", n);
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "examples/%s", files[i]);
        size_t len;
        char *text = slurp(src_path(rel), &len);
        cr_assert_not_null(text, "%s", rel);
        round_trip(rel, text, len);
        free(text);
    }
    free_names(files);
}

static const char plan_doc[] =
    "{\"schema\": 1, \"workflow\": \"vepc-attach\", \"admitted\": true,"
    " \"objective\": {\"kind\": \"utilization\", \"value\": 1.4},"
    " \"solver\": {\"status\": \"optimal\", \"gap\": 0.0, \"bound\": 1.4,"
    "   \"time_ms\": 12.3, \"nodes\": 31},"
    " \"guarantee\": {\"deadline_us\": 30000, \"latency_bound_us\": 28000,"
    "   \"probability_target\": 0.8, \"probability_model\": \"independent\","
    "   \"probability_bound\": 0.855, \"probability_exact\": 0.94},"
    " \"services\": [{\"name\": \"S1\", \"host\": \"H1\", \"cores\": [0],"
    "   \"budget_us\": 1000, \"period_us\": 5000, \"deadline_us\": 10000,"
    "   \"utilization\": 0.2, \"stage_probability\": 0.9}],"
    " \"links\": [{\"from\": \"S2\", \"to\": \"S3\", \"path\": [\"H1\","
    "   \"H2\"], \"rate_bps\": 0, \"latency_us\": 3000, \"crossings\": 1}],"
    " \"hosts_used\": [\"H1\", \"H2\"], \"rejection\": null}";

Test(json, the_plan_document_of_formats_md_maps_field_for_field)
{
    round_trip("plan.json", plan_doc, strlen(plan_doc));
    struct plc_diags d = PLC_DIAGS_INIT;
    json_t *j = json_loads(plan_doc, 0, NULL);
    Placer__Plan *p = (Placer__Plan *)proto_json_to_message(
        &placer__plan__descriptor, j, "", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(p->solver->status,
                 PLACER__SOLVER_STATUS__SOLVER_STATUS_OPTIMAL);
    cr_assert_eq(p->guarantee->probability_model,
                 PLACER__PROBABILITY_MODEL__PROBABILITY_MODEL_INDEPENDENT);
    cr_assert_eq(p->services[0]->budget_us, 1000);
    cr_assert_str_eq(p->links[0]->path[1], "H2");
    cr_assert(p->links[0]->has_rate_bps && p->links[0]->rate_bps == 0);
    cr_assert_null(p->rejection);
    /* with empty arrays printed, a rejected plan shows services: [] */
    p->n_services = 0;
    json_t *out = proto_message_to_json(&p->base, PROTO_JSON_EMPTY_ARRAYS);
    cr_assert(json_is_array(json_object_get(out, "services")));
    cr_assert_eq(json_array_size(json_object_get(out, "services")), 0);
    p->n_services = 1;
    json_decref(out);
    json_decref(j);
    placer__plan__free_unpacked(p, NULL);
    plc_diags_release(&d);
}

Test(json, rejection_details_are_numbers_or_strings)
{
    const char *doc = "{\"code\": \"deadline\", \"message\": \"too slow\","
                      " \"details\": {\"latency_us\": 12400, \"from\": "
                      "\"enb\"}}";
    struct plc_diags d = PLC_DIAGS_INIT;
    json_t *j = json_loads(doc, 0, NULL);
    Placer__Rejection *r = (Placer__Rejection *)proto_json_to_message(
        &placer__rejection__descriptor, j, "", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(r->code, PLACER__REJECTION_CODE__REJECTION_CODE_DEADLINE);
    cr_assert_eq(r->n_details, 2);
    json_t *back = proto_message_to_json(&r->base, 0);
    cr_assert(json_equal(back, j), "%s", json_dumps(back, 0));
    json_decref(back);
    json_decref(j);
    placer__rejection__free_unpacked(r, NULL);
    plc_diags_release(&d);
}

Test(json, enums_print_in_lower_case_without_their_prefix)
{
    char b[64];
    cr_assert_str_eq(
        proto_enum_json_name(&placer__rejection_code__descriptor,
                             PLACER__REJECTION_CODE__REJECTION_CODE_NO_ROUTE, b,
                             sizeof b),
        "no_route");
    cr_assert_str_eq(proto_enum_json_name(&placer__state__descriptor,
                                          PLACER__STATE__STATE_DEGRADED, b,
                                          sizeof b),
                     "degraded");
    cr_assert_null(
        proto_enum_json_name(&placer__state__descriptor, 0, b, sizeof b));
}

Test(json, affinity_groups_are_arrays_of_arrays)
{
    const char *doc = "{\"name\": \"w\", \"services\": [{\"name\": \"a\"},"
                      " {\"name\": \"b\"}], \"affinity\": [[\"a\", \"b\"]]}";
    json_t *j = json_loads(doc, 0, NULL);
    struct plc_diags d = PLC_DIAGS_INIT;
    Placer__Workflow *w = (Placer__Workflow *)proto_json_to_message(
        &placer__workflow__descriptor, j, "", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(w->n_affinity, 1);
    cr_assert_eq(w->affinity[0]->n_items, 2);
    cr_assert_str_eq(w->affinity[0]->items[1], "b");
    json_t *back = proto_message_to_json(&w->base, 0);
    cr_assert(json_equal(back, j));
    json_decref(back);
    json_decref(j);
    placer__workflow__free_unpacked(w, NULL);
    plc_diags_release(&d);
}

Test(json, wire_messages_round_trip_through_the_binary_encoding)
{
    /* the envelope carries a version and one operation of the oneof */
    const char *doc = "{\"protocol_version\": 1, \"id\": 7, \"release\": "
                      "{\"name\": \"w\", \"tenant\": \"acme\"}}";
    json_t *j = json_loads(doc, 0, NULL);
    struct plc_diags d = PLC_DIAGS_INIT;
    Placer__Request *r = (Placer__Request *)proto_json_to_message(
        &placer__request__descriptor, j, "", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(r->op_case, PLACER__REQUEST__OP_RELEASE);
    size_t len;
    uint8_t *buf = pack(&r->base, &len);
    Placer__Request *r2 = placer__request__unpack(NULL, len, buf);
    cr_assert_not_null(r2);
    cr_assert_str_eq(r2->release->tenant, "acme");
    json_t *back = proto_message_to_json(&r2->base, 0);
    cr_assert(json_equal(back, j));
    /* two operations of one oneof are refused */
    const char *two = "{\"list\": {}, \"hosts\": {}}";
    json_t *j2 = json_loads(two, 0, NULL);
    Placer__Request *r3 = (Placer__Request *)proto_json_to_message(
        &placer__request__descriptor, j2, "", &d);
    cr_assert_eq(d.n, 1);
    cr_assert(strstr(d.v[0].msg, "only one of them"), "%s", d.v[0].msg);
    placer__request__free_unpacked(r3, NULL);
    json_decref(j2);
    json_decref(back);
    free(buf);
    placer__request__free_unpacked(r2, NULL);
    placer__request__free_unpacked(r, NULL);
    json_decref(j);
    plc_diags_release(&d);
}

Test(json, null_means_absent)
{
    const char *doc = "{\"name\": \"h\", \"memory\": null}";
    json_t *j = json_loads(doc, 0, NULL);
    struct plc_diags d = PLC_DIAGS_INIT;
    Placer__Host *h = (Placer__Host *)proto_json_to_message(
        &placer__host__descriptor, j, "", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_null(h->memory);
    placer__host__free_unpacked(h, NULL);
    json_decref(j);
    plc_diags_release(&d);
}
