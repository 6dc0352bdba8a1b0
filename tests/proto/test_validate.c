/* Validation: every malformed file under tests/data/bad/ gets exactly the
 * message in its .expect file, all problems at once, with line and column;
 * references into a cluster are checked. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/load.h"
#include "proto/validate.h"
#include "util.h"

/* What `placer validate NAME` prints for a file, as a string. */
static char *diagnose(const char *dir, const char *name, int *rc)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", dir, name);
    size_t len;
    char *text = slurp(src_path(rel), &len);
    cr_assert_not_null(text, "%s", rel);
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    *rc = proto_doc_load_text(&doc, name, text, len, PROTO_DOC_ANY, &err);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    proto_doc_print_diags(&doc, f);
    fclose(f);
    proto_doc_release(&doc);
    free(text);
    return out;
}

Test(validate, every_bad_file_gets_its_documented_messages)
{
    size_t n;
    char **files = list_files(src_path("tests/data/bad"), ".json", &n);
    cr_assert_geq(n, 25, "only %zu malformed files", n);
    for (size_t i = 0; i < n; i++) {
        int rc;
        char *got = diagnose("tests/data/bad", files[i], &rc);
        char exp_rel[512];
        snprintf(exp_rel, sizeof exp_rel, "tests/data/bad/%.*s.expect",
                 (int)(strlen(files[i]) - 5), files[i]);
        char *want = slurp(src_path(exp_rel), NULL);
        cr_assert_not_null(want, "missing %s", exp_rel);
        cr_assert_eq(rc, PLC_EDATA, "%s: rc %d", files[i], rc);
        cr_assert_str_eq(got, want, "%s", files[i]);
        free(got);
        free(want);
    }
    free_names(files);
}

Test(validate, reports_all_problems_not_just_the_first)
{
    int rc;
    char *got = diagnose("tests/data/bad", "wf-many-problems.json", &rc);
    cr_assert_eq(rc, PLC_EDATA);
    cr_assert_geq(count_substr(got, "\n"), 9, "%s", got);
    free(got);
}

Test(validate, every_example_is_valid)
{
    size_t n;
    char **files = list_files(src_path("examples"), ".json", &n);
    for (size_t i = 0; i < n; i++) {
        int rc;
        char *got = diagnose("examples", files[i], &rc);
        cr_assert_eq(rc, 0, "%s", got);
        cr_assert_str_empty(got);
        free(got);
    }
    free_names(files);
}

static struct proto_doc load(const char *rel, enum proto_doc_kind kind)
{
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = proto_doc_load_file(&doc, src_path(rel), kind, &err);
    cr_assert_eq(rc, 0, "%s: %s", rel, err.msg);
    return doc;
}

Test(validate, workflow_references_are_checked_against_the_cluster)
{
    struct proto_doc c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);
    struct proto_doc w = PROTO_DOC_INIT;
    const char *text =
        "{\"name\": \"w\",\n"
        " \"endpoints\": [{\"name\": \"u\", \"node\": \"nowhere\"}],\n"
        " \"services\": [{\"name\": \"a\", \"host\": \"core-0-0\",\n"
        "   \"prices\": {\"h-0-0-0\": 1, \"h-9\": 2}, \"zone\": \"z\"}]}\n";
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_text(&w, "w.json", text, strlen(text),
                                     PROTO_DOC_ANY, &err),
                 0);
    cr_assert_eq(proto_doc_check_refs(&w, (const Placer__Cluster *)c.msg),
                 PLC_EDATA);
    cr_assert_eq(w.diags.n, 4);
    cr_assert_str_eq(w.diags.v[0].path, "endpoints[0].node");
    cr_assert_str_eq(w.diags.v[0].msg,
                     "\"nowhere\" is not a host or switch of the cluster");
    cr_assert_eq(w.diags.v[0].line, 2);
    cr_assert_str_eq(w.diags.v[1].msg,
                     "\"core-0-0\" is not a host of the cluster (it is a "
                     "switch)");
    cr_assert_str_eq(w.diags.v[2].path, "services[0].prices[\"h-9\"]");
    cr_assert_eq(w.diags.v[2].line, 4);
    cr_assert_str_eq(w.diags.v[3].msg,
                     "no host of the cluster is in zone \"z\"");
    proto_doc_release(&w);
    proto_doc_release(&c);
}

Test(validate, positions_point_at_the_field)
{
    const char *text = "{\n  \"name\": \"w\",\n  \"services\": [\n"
                       "    {\"name\": \"a\", \"vcpus\": 0}\n  ]\n}\n";
    struct proto_doc w = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_text(&w, "w.json", text, strlen(text),
                                     PROTO_DOC_ANY, &err),
                 PLC_EDATA);
    cr_assert_eq(w.diags.n, 1);
    cr_assert_eq(w.diags.v[0].line, 4);
    cr_assert_eq(w.diags.v[0].col, 19); /* the "vcpus" key */
    proto_doc_release(&w);
}

Test(validate, names_follow_the_documented_pattern)
{
    cr_assert(proto_name_valid("h-0.1_x"));
    cr_assert(proto_name_valid("A"));
    cr_assert_not(proto_name_valid(""));
    cr_assert_not(proto_name_valid("a b"));
    cr_assert_not(proto_name_valid("caf\xc3\xa9"));
    char n63[64], n64[65];
    memset(n63, 'a', 63);
    n63[63] = '\0';
    memset(n64, 'a', 64);
    n64[64] = '\0';
    cr_assert(proto_name_valid(n63));
    cr_assert_not(proto_name_valid(n64));
}

Test(validate, a_pmf_that_sums_to_one_within_1e_9_is_accepted)
{
    const char *text = "{\"name\": \"w\", \"services\": [{\"name\": \"a\","
                       " \"exec_time\": {\"pmf\": {\"1ms\": 0.1, \"2ms\": "
                       "0.2, \"3ms\": 0.7000000005}}}]}";
    struct proto_doc w = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_text(&w, "w.json", text, strlen(text),
                                     PROTO_DOC_ANY, &err),
                 0);
    proto_doc_release(&w);
}

/* A long chain s0 -> s1 -> ... -> s1999, optionally closed into a cycle. */
static char *chain_workflow(int n, bool cycle)
{
    json_t *svc = json_array(), *links = json_array();
    char a[32], b[32];
    for (int i = 0; i < n; i++) {
        snprintf(a, sizeof a, "s%d", i);
        json_array_append_new(svc, json_pack("{s:s}", "name", a));
        if (i + 1 < n || cycle) {
            snprintf(b, sizeof b, "s%d", (i + 1) % n);
            json_array_append_new(links,
                                  json_pack("{s:s, s:s}", "from", a, "to", b));
        }
    }
    json_t *w = json_pack("{s:s, s:o, s:o}", "name", "chain", "services", svc,
                          "links", links);
    char *text = json_dumps(w, 0);
    json_decref(w);
    return text;
}

Test(validate, long_chains_are_acyclic_and_a_closing_link_is_named)
{
    struct plc_error err = PLC_ERROR_INIT;
    char *text = chain_workflow(2000, false);
    struct proto_doc w = PROTO_DOC_INIT;
    cr_assert_eq(proto_doc_load_text(&w, "c.json", text, strlen(text),
                                     PROTO_DOC_ANY, &err),
                 0);
    proto_doc_release(&w);
    free(text);
    text = chain_workflow(2000, true);
    cr_assert_eq(proto_doc_load_text(&w, "c.json", text, strlen(text),
                                     PROTO_DOC_ANY, &err),
                 PLC_EDATA);
    cr_assert_eq(w.diags.n, 1);
    cr_assert_str_eq(w.diags.v[0].path, "links[1999]");
    cr_assert(strstr(w.diags.v[0].msg, "closes the cycle s0 -> s1 -> s2 -> "
                                       "... (1994 more) -> s1997 -> s1998 "
                                       "-> s1999 -> s0;"),
              "%.80s", w.diags.v[0].msg);
    proto_doc_release(&w);
    free(text);
}
