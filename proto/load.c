/*
 * load.c: text -> JSON (jansson) -> protobuf message -> validation, with
 * every problem tied to a line and column.
 */
#include "proto/load.h"
#include "plc/buf.h"
#include "plc/limits.h"
#include "proto/json.h"
#include "proto/validate.h"

#include <stdlib.h>
#include <string.h>

const char *proto_doc_kind_name(enum proto_doc_kind kind)
{
    switch (kind) {
    case PROTO_DOC_CLUSTER:
        return "cluster";
    case PROTO_DOC_WORKFLOW:
        return "workflow";
    case PROTO_DOC_ANALYZE:
        return "analyze input";
    case PROTO_DOC_PLAN:
        return "plan";
    case PROTO_DOC_SCENARIO:
        return "scenario";
    case PROTO_DOC_ANY:
        break;
    }
    return "document";
}

static const ProtobufCMessageDescriptor *kind_descriptor(enum proto_doc_kind k)
{
    switch (k) {
    case PROTO_DOC_CLUSTER:
        return &placer__cluster__descriptor;
    case PROTO_DOC_WORKFLOW:
        return &placer__workflow__descriptor;
    case PROTO_DOC_ANALYZE:
        return &placer__analyze_input__descriptor;
    case PROTO_DOC_PLAN:
        return &placer__plan__descriptor;
    case PROTO_DOC_SCENARIO:
        return &placer__scenario__descriptor;
    case PROTO_DOC_ANY:
        break;
    }
    return NULL;
}

/* Tell the kind of a document by its top-level keys.  Workflows are
 * recognised first: "links" appears in both, "hosts" only in clusters. */
static enum proto_doc_kind detect_kind(const json_t *root)
{
    static const char *const workflow_keys[] = {
        "services",      "endpoints", "deadline",  "probability", "affinity",
        "anti_affinity", "tenant",    "objective", NULL};
    if (json_object_get(root, "admitted"))
        return PROTO_DOC_PLAN;
    if (json_object_get(root, "workflows") ||
        json_object_get(root, "policies") || json_object_get(root, "variants"))
        return PROTO_DOC_SCENARIO;
    for (const char *const *k = workflow_keys; *k; k++)
        if (json_object_get(root, *k))
            return PROTO_DOC_WORKFLOW;
    if (json_object_get(root, "hosts") || json_object_get(root, "switches"))
        return PROTO_DOC_CLUSTER;
    if (json_object_get(root, "tasks"))
        return PROTO_DOC_ANALYZE;
    return PROTO_DOC_ANY;
}

static void validate(struct proto_doc *doc)
{
    switch (doc->kind) {
    case PROTO_DOC_CLUSTER:
        proto_cluster_validate((const Placer__Cluster *)doc->msg, &doc->diags);
        break;
    case PROTO_DOC_WORKFLOW:
        proto_workflow_validate((const Placer__Workflow *)doc->msg,
                                &doc->diags);
        break;
    case PROTO_DOC_ANALYZE:
        proto_analyze_validate((const Placer__AnalyzeInput *)doc->msg,
                               &doc->diags);
        break;
    case PROTO_DOC_SCENARIO:
        proto_scenario_validate((const Placer__Scenario *)doc->msg,
                                &doc->diags);
        break;
    case PROTO_DOC_PLAN:
    case PROTO_DOC_ANY:
        break;
    }
}

/* Give every problem that has a path but no position its position. */
static void resolve_positions(struct proto_doc *doc)
{
    for (size_t i = 0; i < doc->diags.n; i++) {
        struct plc_diag *x = &doc->diags.v[i];
        if (x->line == 0)
            proto_locate(doc->text, doc->len, x->path, &x->line, &x->col);
    }
    plc_diags_sort(&doc->diags);
}

static int finish(struct proto_doc *doc, struct plc_error *err)
{
    resolve_positions(doc);
    if (doc->diags.oom)
        return plc_error_set(err, PLC_ENOMEM, "cannot load '%s' (%s)",
                             doc->name, plc_strerror(PLC_ENOMEM));
    return doc->diags.n ? PLC_EDATA : 0;
}

int proto_doc_load_text(struct proto_doc *doc, const char *name,
                        const char *text, size_t len,
                        enum proto_doc_kind expect, struct plc_error *err)
{
    doc->kind = expect;
    doc->name = strdup(name);
    doc->text = malloc(len + 1);
    if (!doc->name || !doc->text)
        return plc_error_set(err, PLC_ENOMEM, "cannot load '%s' (%s)", name,
                             plc_strerror(PLC_ENOMEM));
    memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    doc->len = len;

    json_error_t jerr;
    json_t *root = json_loadb(doc->text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        plc_diags_add_at(&doc->diags, jerr.line > 0 ? jerr.line : 1,
                         jerr.column > 0 ? jerr.column : 1,
                         "not valid JSON: %s", jerr.text);
        return finish(doc, err);
    }
    if (!json_is_object(root)) {
        plc_diags_add(&doc->diags, "", "a %s must be a JSON object ({...})",
                      proto_doc_kind_name(expect));
        json_decref(root);
        return finish(doc, err);
    }
    enum proto_doc_kind found = detect_kind(root);
    if (expect == PROTO_DOC_ANY) {
        if (found == PROTO_DOC_ANY) {
            plc_diags_add(&doc->diags, "",
                          "cannot tell what this file is: a cluster has "
                          "\"hosts\", a workflow has \"services\", an "
                          "analyze input has \"tasks\"");
            json_decref(root);
            return finish(doc, err);
        }
        doc->kind = found;
    } else if (found != PROTO_DOC_ANY && found != expect) {
        /* one line that names both kinds, not a field-by-field complaint
         * about a document of the other kind */
        plc_diags_add(&doc->diags, "",
                      "this is a %s file, where a %s is expected (were two "
                      "files swapped?)",
                      proto_doc_kind_name(found), proto_doc_kind_name(expect));
        json_decref(root);
        return finish(doc, err);
    }
    doc->msg = proto_json_to_message(kind_descriptor(doc->kind), root, "",
                                     &doc->diags);
    json_decref(root);
    if (doc->msg)
        validate(doc);
    return finish(doc, err);
}

int proto_doc_load_file(struct proto_doc *doc, const char *path,
                        enum proto_doc_kind expect, struct plc_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc;
    if (strcmp(path, "-") == 0)
        rc = plc_read_stream(stdin, "<stdin>", PLC_INPUT_FILE_MAX, &text, &len,
                             err);
    else
        rc = plc_read_file(path, PLC_INPUT_FILE_MAX, &text, &len, err);
    if (rc < 0)
        return rc;
    rc = proto_doc_load_text(doc, strcmp(path, "-") ? path : "<stdin>", text,
                             len, expect, err);
    free(text);
    return rc;
}

void proto_doc_locate(struct proto_doc *doc)
{
    resolve_positions(doc);
}

int proto_doc_check_refs(struct proto_doc *wf, const Placer__Cluster *cluster)
{
    if (wf->kind != PROTO_DOC_WORKFLOW || !wf->msg)
        return 0;
    size_t before = wf->diags.n;
    proto_workflow_validate_refs((const Placer__Workflow *)wf->msg, cluster,
                                 &wf->diags);
    resolve_positions(wf);
    return wf->diags.n > before ? PLC_EDATA : 0;
}

void proto_doc_print_diags(const struct proto_doc *doc, FILE *out)
{
    for (size_t i = 0; i < doc->diags.n; i++) {
        const struct plc_diag *x = &doc->diags.v[i];
        if (x->line < 0)
            fprintf(out, "%s: %s\n", doc->name, x->msg);
        else
            fprintf(out, "%s:%d:%d: %s%s%s\n", doc->name, x->line, x->col,
                    x->path, x->path[0] ? ": " : "", x->msg);
    }
}

void proto_doc_release(struct proto_doc *doc)
{
    if (doc->msg)
        protobuf_c_message_free_unpacked(doc->msg, NULL);
    plc_diags_release(&doc->diags);
    free(doc->name);
    free(doc->text);
    *doc = (struct proto_doc)PROTO_DOC_INIT;
}
