/* cmd_validate.c: `placer validate FILE...` */
#include "cli.h"
#include "proto/load.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: placer validate [--cluster FILE] [--json] FILE...\n"
    "\n"
    "Check cluster, workflow and analyze-input files against the formats\n"
    "placer reads, telling each kind by its content. Every problem is\n"
    "printed on its own line as\n"
    "\n"
    "  FILE:LINE:COLUMN: FIELD.PATH: what is wrong and how to fix it\n"
    "\n"
    "Workflows are also checked against a cluster (endpoint nodes, pinned\n"
    "and allowed hosts, prices, zones) when one is given with --cluster or\n"
    "is the only cluster among the FILEs.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE  check workflow references against this cluster\n"
    "  --json          print {\"schema\": 1, \"files\": [...]} on stdout\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 all valid, 65 a file has problems, 66 a file cannot be\n"
    "read, 64 usage error.\n";

static json_t *problems_json(const struct proto_doc *doc)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < doc->diags.n; i++) {
        const struct plc_diag *x = &doc->diags.v[i];
        if (x->line < 0) /* the closing "more follow" line: no position */
            json_array_append_new(
                a, json_pack("{s:s, s:s}", "path", x->path, "message", x->msg));
        else
            json_array_append_new(
                a, json_pack("{s:i, s:i, s:s, s:s}", "line", x->line, "column",
                             x->col, "path", x->path, "message", x->msg));
    }
    return a;
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

static void summary(const struct proto_doc *doc)
{
    const char *kind = proto_doc_kind_name(doc->kind);
    if (doc->kind == PROTO_DOC_CLUSTER) {
        const Placer__Cluster *c = (const void *)doc->msg;
        long cores = 0;
        for (size_t i = 0; i < c->n_hosts; i++)
            cores += c->hosts[i]->has_cores ? c->hosts[i]->cores : 1;
        printf("%s: valid %s: %zu host%s (%ld core%s), %zu switch%s, %zu "
               "link%s\n",
               doc->name, kind, c->n_hosts, plural(c->n_hosts), cores,
               plural((size_t)cores), c->n_switches,
               c->n_switches == 1 ? "" : "es", c->n_links, plural(c->n_links));
    } else if (doc->kind == PROTO_DOC_WORKFLOW) {
        const Placer__Workflow *w = (const void *)doc->msg;
        printf("%s: valid %s '%s': %zu service%s, %zu endpoint%s, %zu "
               "link%s\n",
               doc->name, kind, w->name, w->n_services, plural(w->n_services),
               w->n_endpoints, plural(w->n_endpoints), w->n_links,
               plural(w->n_links));
    } else if (doc->kind == PROTO_DOC_ANALYZE) {
        const Placer__AnalyzeInput *a = (const void *)doc->msg;
        printf("%s: valid %s: %zu task%s\n", doc->name, kind, a->n_tasks,
               plural(a->n_tasks));
    } else {
        printf("%s: valid %s\n", doc->name, kind);
    }
}

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"cluster", required_argument, 0, 'c'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cluster_path = NULL;
    bool json = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            cluster_path = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("validate", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage("validate", "give at least one FILE to check");

    size_t n = (size_t)(argc - optind) + 1;
    struct proto_doc *docs = calloc(n, sizeof *docs);
    if (!docs) {
        cli_error("out of memory");
        return PLC_EXIT_SOFTWARE;
    }
    int exit_code = PLC_EXIT_OK;
    size_t nd = 0, cluster_doc = (size_t)-1, clusters = 0;
    /* the --cluster file first, then the FILEs */
    for (int i = cluster_path ? optind - 1 : optind; i < argc; i++) {
        const char *path = (i == optind - 1) ? cluster_path : argv[i];
        struct proto_doc *d = &docs[nd++];
        *d = (struct proto_doc)PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        int rc = proto_doc_load_file(
            d, path, i == optind - 1 ? PROTO_DOC_CLUSTER : PROTO_DOC_ANY, &err);
        if (rc == PLC_EDATA) {
            if (exit_code == PLC_EXIT_OK)
                exit_code = PLC_EXIT_DATAERR;
        } else if (rc < 0) {
            cli_error("%s", err.msg);
            exit_code =
                plc_exit_code(rc) == 66 ? PLC_EXIT_NOINPUT : plc_exit_code(rc);
            d->kind = PROTO_DOC_ANY;
            continue;
        }
        if (d->kind == PROTO_DOC_CLUSTER && rc == 0) {
            cli_cluster_warnings(d);
            if (clusters++ == 0)
                cluster_doc = nd - 1;
        }
    }
    /* references: into the --cluster file (always first), or into the one
     * cluster among the FILEs */
    if (cluster_path && (docs[0].diags.n || !docs[0].msg))
        cluster_doc = (size_t)-1;
    if (cluster_doc != (size_t)-1 && (cluster_path || clusters == 1)) {
        const Placer__Cluster *c = (const void *)docs[cluster_doc].msg;
        for (size_t i = 0; i < nd; i++)
            if (docs[i].kind == PROTO_DOC_WORKFLOW && docs[i].diags.n == 0 &&
                proto_doc_check_refs(&docs[i], c) == PLC_EDATA &&
                exit_code == PLC_EXIT_OK)
                exit_code = PLC_EXIT_DATAERR;
    }
    json_t *files = json ? json_array() : NULL;
    for (size_t i = 0; i < nd; i++) {
        struct proto_doc *d = &docs[i];
        if (!d->name)
            continue; /* unreadable: already reported */
        if (json) {
            json_array_append_new(
                files,
                json_pack("{s:s, s:s, s:b, s:o}", "file", d->name, "kind",
                          proto_doc_kind_name(d->kind), "valid",
                          d->diags.n == 0, "problems", problems_json(d)));
        } else if (d->diags.n) {
            proto_doc_print_diags(d, stderr);
        } else {
            summary(d);
        }
    }
    for (size_t i = 0; i < nd; i++)
        proto_doc_release(&docs[i]);
    free(docs);
    if (json) {
        int rc = cli_print_json(
            json_pack("{s:i, s:o}", "schema", 1, "files", files));
        if (rc != PLC_EXIT_OK)
            return rc;
    }
    return exit_code;
}
