/* cli.c: helpers shared by the commands of `placer`. */
#include "cli.h"
#include "proto/json.h"
#include "proto/load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("placer: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "placer %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'placer %s --help'.\n", cmd);
    va_end(ap);
    return PLC_EXIT_USAGE;
}

int cli_opt_objective(const char *cmd, const char *arg, int *objective)
{
    if (!(*objective = cli_objective(arg)))
        return cli_usage(cmd,
                         "--objective: unknown kind '%s' (accepted: "
                         "utilization, cost, hosts, bandwidth, balance)",
                         arg);
    return PLC_EXIT_OK;
}

int cli_opt_time_limit(const char *cmd, const char *arg, uint64_t *ns)
{
    if (!cli_parse_qty("time-limit", PLC_QTY_TIME, arg, ns) || *ns == 0)
        return cli_usage(cmd, "--time-limit must be above 0");
    return PLC_EXIT_OK;
}

bool cli_parse_qty(const char *opt, enum plc_qty_kind kind, const char *s,
                   uint64_t *out)
{
    struct plc_error err = PLC_ERROR_INIT;
    if (plc_qty_parse(kind, s, out, &err) == 0)
        return true;
    cli_error("--%s: %s", opt, err.msg);
    return false;
}

bool cli_parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error("--%s: \"%s\" is not a whole number from %ld to %ld", opt, s,
                  lo, hi);
        return false;
    }
    *out = v;
    return true;
}

int cli_print_json(json_t *doc)
{
    if (!doc) {
        cli_error("cannot print the result (%s)", plc_strerror(PLC_ENOMEM));
        return PLC_EXIT_SOFTWARE;
    }
    int rc = json_dumpf(doc, stdout, PROTO_JSON_DUMP_FLAGS);
    json_decref(doc);
    if (rc < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
        cli_error("cannot write to standard output (%s)",
                  plc_strerror(PLC_EIO));
        return PLC_EXIT_SOFTWARE;
    }
    return PLC_EXIT_OK;
}

int cli_print_message(const ProtobufCMessage *msg)
{
    return cli_print_json(proto_message_to_json(msg, 0));
}

const char *cli_qty(enum plc_qty_kind kind, uint64_t v)
{
    static char bufs[8][PLC_QTY_BUFSZ];
    static unsigned next;
    char *b = bufs[next++ % 8];
    plc_qty_format(kind, v, b, PLC_QTY_BUFSZ);
    return b;
}

void cli_cluster_warnings(const struct proto_doc *doc)
{
    if (doc->kind != PROTO_DOC_CLUSTER || !doc->msg)
        return;
    const Placer__Cluster *c = (const void *)doc->msg;
    size_t n = 0, first = 0;
    for (size_t i = 0; i < c->n_hosts; i++) {
        const Placer__Host *h = c->hosts[i];
        double cap = h->has_core_capacity ? h->core_capacity : 1.0;
        if (cap > CLI_DEADLINE_GRANT + 1e-9 && n++ == 0)
            first = i;
    }
    if (!n)
        return;
    const Placer__Host *h = c->hosts[first];
    fprintf(stderr,
            "placer: warning: %s: %zu host%s with a core capacity above "
            "%.2f (first: hosts[%zu] '%s', %.2f%s), more than SCHED_DEADLINE "
            "grants by default (sched_rt_runtime_us / sched_rt_period_us, "
            "0.95, less the fair server's 0.05 since Linux 6.12); plans "
            "from it may not be enforceable: set core_capacity (an agent's "
            "probe replaces it once it registers)\n",
            doc->name, n, n == 1 ? "" : "s", CLI_DEADLINE_GRANT, first, h->name,
            h->has_core_capacity ? h->core_capacity : 1.0,
            h->has_core_capacity ? "" : ", the default");
}

int cli_load_doc(struct proto_doc *doc, const char *path, int kind)
{
    struct plc_error err = PLC_ERROR_INIT;
    int rc = proto_doc_load_file(doc, path, (enum proto_doc_kind)kind, &err);
    if (rc == PLC_EDATA) {
        proto_doc_print_diags(doc, stderr);
        return PLC_EXIT_DATAERR;
    }
    if (rc < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(rc);
    }
    cli_cluster_warnings(doc);
    return PLC_EXIT_OK;
}
