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
    return EXIT_USAGE;
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
        return EXIT_SOFTWARE;
    }
    int rc = json_dumpf(doc, stdout, PROTO_JSON_DUMP_FLAGS);
    json_decref(doc);
    if (rc < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF) {
        cli_error("cannot write to standard output (%s)",
                  plc_strerror(PLC_EIO));
        return EXIT_SOFTWARE;
    }
    return EXIT_OK;
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

int cli_load_doc(struct proto_doc *doc, const char *path, int kind)
{
    struct plc_error err = PLC_ERROR_INIT;
    int rc = proto_doc_load_file(doc, path, (enum proto_doc_kind)kind, &err);
    if (rc == PLC_EDATA) {
        proto_doc_print_diags(doc, stderr);
        return EXIT_DATAERR;
    }
    if (rc < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(rc);
    }
    return EXIT_OK;
}
