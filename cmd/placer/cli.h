/* cli.h: what the commands of `placer` share: the command table entry,
 * exit codes (FORMATS.md), option helpers and output of documents. */
#ifndef PLACER_CLI_H
#define PLACER_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "plc/error.h"
#include "plc/quantity.h"
#include "proto/placer.pb-c.h"

struct cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* returns the exit code */
};

int cmd_validate(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_capacity(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_bind(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_cluster_apply(int argc, char **argv);
int cmd_keygen(int argc, char **argv);

/* placerd's endpoint for the online commands (placer --server EP ...) */
extern const char *cli_server;
/* --server was given (before the command) */
extern bool cli_server_given;
/* the bearer token requests carry (--token, $PLACER_TOKEN); NULL: none */
extern const char *cli_token;
/* CURVE on the client socket: placerd's public key file and this
 * client's secret key file (--server-pub, --key); NULL: none */
extern const char *cli_server_pub, *cli_key;

/* Send req to placerd, wait at most timeout_ms: PLC_EXIT_OK with *out
 * (the caller frees it) when the answer is of kind `want`; else the exit
 * code after printing the error (not found: 1). */
int cli_call(Placer__Request *req, int timeout_ms,
             Placer__Response__ResultCase want, Placer__Response **out);

int cmd_token(int argc, char **argv);
int cmd_quota(int argc, char **argv);

/* online.c: the workflow in `path` submitted to placerd at cli_server, or
 * with dry planned against its live state and admitted nowhere; the plan
 * printed (json: the document).  The exit code: 0 admitted (or would be),
 * 1 rejected, 65/66/69/70/75 as submit says. */
int cli_ask(const char *path, int objective, uint64_t limit_ns, bool dry,
            bool json);

/* online.c: placerd's cluster as it plans against it (every admitted
 * reservation as background): *out for the caller to free.  The exit
 * code: 0, 1 (no cluster yet), 69, 70. */
int cli_snapshot(Placer__Cluster **out);

/* An objective's name as its Placer__Objective value, 0 if unknown. */
int cli_objective(const char *s);
/* The options --objective and --time-limit of command cmd: PLC_EXIT_OK
 * with the value, or the usage error said. */
int cli_opt_objective(const char *cmd, const char *arg, int *objective);
int cli_opt_time_limit(const char *cmd, const char *arg, uint64_t *ns);

/* The readable form of a plan document (plan, submit, status). */
void cli_print_plan(const Placer__Plan *d);

/* Print "placer: MESSAGE" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a usage error (with a pointer to --help) and return 64. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse an option value; on failure print which option and why, and return
 * false. */
bool cli_parse_qty(const char *opt, enum plc_qty_kind kind, const char *s,
                   uint64_t *out);
bool cli_parse_int(const char *opt, const char *s, long lo, long hi, long *out);

struct proto_doc;

/* The most of a CPU SCHED_DEADLINE grants by default: the rt limit 0.95
 * (the fair server takes 0.05 more since Linux 6.12; agents probe the
 * real figure). */
#define CLI_DEADLINE_GRANT 0.95

/* Warn on stderr about a loaded cluster whose hosts' core capacity is
 * above CLI_DEADLINE_GRANT (the default 1.0 among them). */
struct proto_doc;
void cli_cluster_warnings(const struct proto_doc *doc);

/* Load and validate a document of `kind`, printing its problems (exit 65)
 * or the error (66, 70) on stderr.  Returns the exit code: PLC_EXIT_OK when
 * the document is valid.  Release `doc` with proto_doc_release() in every
 * case. */
int cli_load_doc(struct proto_doc *doc, const char *path, int kind);

/* Print a JSON document to stdout (takes ownership of doc).  Returns the
 * exit code: 0, or 70 if it could not be written. */
int cli_print_json(json_t *doc);

/* Print a message as its JSON document to stdout. */
int cli_print_message(const ProtobufCMessage *msg);

/* Format a quantity into a static rotating buffer (for tables). */
const char *cli_qty(enum plc_qty_kind kind, uint64_t v);

#endif
