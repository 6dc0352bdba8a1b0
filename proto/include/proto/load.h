/*
 * proto/load.h: read a placer document (cluster, workflow, analyze input,
 * plan) from JSON text, map it to its protobuf message and validate it,
 * collecting every problem with its line, column and field path.
 */
#ifndef PROTO_LOAD_H
#define PROTO_LOAD_H

#include <stdio.h>

#include <jansson.h>

#include "plc/diag.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"

enum proto_doc_kind {
    PROTO_DOC_ANY = 0, /* tell by content */
    PROTO_DOC_CLUSTER,
    PROTO_DOC_WORKFLOW,
    PROTO_DOC_ANALYZE,
    PROTO_DOC_PLAN,
    PROTO_DOC_SCENARIO, /* placer simulate's */
};

struct proto_doc {
    enum proto_doc_kind kind;
    char *name; /* file name as the user gave it (owned) */
    char *text; /* the source text (owned) */
    size_t len;
    ProtobufCMessage *msg;  /* Placer__Cluster, __Workflow, __AnalyzeInput or
                               __Plan by kind; NULL if the text is not JSON */
    struct plc_diags diags; /* every problem found, sorted by position */
};

#define PROTO_DOC_INIT                                                         \
    {                                                                          \
        PROTO_DOC_ANY, NULL, NULL, 0, NULL, PLC_DIAGS_INIT                     \
    }

/* "cluster", "workflow", "analyze input", "plan", "scenario". */
const char *proto_doc_kind_name(enum proto_doc_kind kind);

/*
 * Load and validate the document in `path` (display name `path`; "-" reads
 * standard input).  `expect` is the kind required, or PROTO_DOC_ANY.
 * Returns 0 when the document is valid; PLC_EDATA when problems were found
 * (they are in doc->diags; print them with proto_doc_print_diags()); or
 * PLC_ENOENT, PLC_EIO, PLC_ENOMEM with detail in `err`.
 * Release with proto_doc_release() in every case.
 */
int proto_doc_load_file(struct proto_doc *doc, const char *path,
                        enum proto_doc_kind expect, struct plc_error *err);

/* As proto_doc_load_file(), from `len` bytes of `text` (copied). */
int proto_doc_load_text(struct proto_doc *doc, const char *name,
                        const char *text, size_t len,
                        enum proto_doc_kind expect, struct plc_error *err);

/*
 * Check the references of a valid workflow document into a cluster
 * (endpoint nodes, pinned and allowed hosts, prices, zones).  Problems are
 * added to wf->diags with positions.  Returns 0 or PLC_EDATA.
 */
int proto_doc_check_refs(struct proto_doc *wf, const Placer__Cluster *cluster);

/* Give the problems added to doc->diags since it was loaded (by path
 * alone) their lines and columns, and sort them. */
void proto_doc_locate(struct proto_doc *doc);

/* Print each problem as `FILE:LINE:COL: PATH: MESSAGE` to `out`. */
void proto_doc_print_diags(const struct proto_doc *doc, FILE *out);

void proto_doc_release(struct proto_doc *doc);

/* Find the line and column of `path` in JSON `text` (the deepest existing
 * prefix of the path if it is not all there).  Lines and columns are
 * 1-based; columns count characters. */
void proto_locate(const char *text, size_t len, const char *path, int *line,
                  int *col);

#endif
