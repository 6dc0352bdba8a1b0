/*
 * online.c: the commands that talk to placerd — submit, status, list,
 * release, hosts, cluster apply.  One ZeroMQ REQ socket per command, one
 * protobuf Request per frame (proto/placer.proto), a reply timeout so an
 * absent placerd gives exit 69 instead of a hang.
 */
#include "cli.h"
#include "plc/limits.h"
#include "plc/keyfile.h"
#include "proto/json.h"
#include "proto/load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PROTOCOL_VERSION 1

const char *cli_server = "tcp://127.0.0.1:7460";
const char *cli_token = NULL;
const char *cli_server_pub = NULL, *cli_key = NULL;
bool cli_server_given = false;

/* Print an error reply and return its exit code. */
static int error_reply(const Placer__Error *e, int conflict_code)
{
    cli_error("%s", e->message ? e->message : "placerd refused the request");
    for (size_t i = 0; i < e->n_problems; i++)
        fprintf(stderr, "  %s\n", e->problems[i]);
    switch (e->code) {
    case PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT:
        return PLC_EXIT_DATAERR;
    case PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND:
        return PLC_EXIT_NEGATIVE;
    case PLACER__ERROR_CODE__ERROR_CODE_BUSY:
        return PLC_EXIT_TEMPFAIL;
    case PLACER__ERROR_CODE__ERROR_CODE_CONFLICT:
        return conflict_code;
    case PLACER__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED:
    case PLACER__ERROR_CODE__ERROR_CODE_FORBIDDEN:
        return PLC_EXIT_NOPERM;
    default:
        return PLC_EXIT_SOFTWARE;
    }
}

/* Send `req`, wait at most timeout_ms for the reply.  An error reply is
 * printed and its exit code returned (a CONFLICT as `conflict_code`); a
 * reply of another kind than `want` is an internal error.  PLC_EXIT_OK with
 * *out the response (caller frees) otherwise. */
static int call(Placer__Request *req, int timeout_ms,
                Placer__Response__ResultCase want, int conflict_code,
                Placer__Response **out)
{
    *out = NULL;
    req->has_protocol_version = 1;
    req->protocol_version = PROTOCOL_VERSION;
    req->has_id = 1;
    req->id = 1;
    req->token = (char *)cli_token;
    size_t len = placer__request__get_packed_size(req);
    if (len > PLC_REQUEST_MAX) {
        cli_error("the request is %zu bytes; placerd takes at most %u (16 "
                  "MiB): send a smaller workflow or cluster",
                  len, PLC_REQUEST_MAX);
        return PLC_EXIT_DATAERR;
    }
    uint8_t *buf = malloc(len + 1);
    if (!buf) {
        cli_error("out of memory");
        return PLC_EXIT_SOFTWARE;
    }
    placer__request__pack(req, buf);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    /* immediate: a message waits for a connection that is up, so a send
     * that times out means nobody listens there */
    int linger = 0, immediate = 1, connect_ms = 3000;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_IMMEDIATE, &immediate, sizeof immediate);
    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &connect_ms, sizeof connect_ms);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    int code = PLC_EXIT_OK;
    if (!cli_server_pub != !cli_key) {
        cli_error("--server-pub and --key go together (CURVE)");
        code = PLC_EXIT_USAGE;
    } else if (cli_server_pub) {
        char spub[41], sec[41], pub[41];
        if (plc_keyfile_read(cli_server_pub, spub) < 0 ||
            plc_keyfile_read(cli_key, sec) < 0 || zmq_curve_public(pub, sec) ||
            zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spub, 40) ||
            zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40) ||
            zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40)) {
            cli_error("--server-pub '%s', --key '%s': not key files of "
                      "'placer keygen' (one line of 40 Z85 characters: "
                      "placerd's PATH.pub, this client's PATH.key)",
                      cli_server_pub, cli_key);
            code = PLC_EXIT_DATAERR;
        }
    }
    if (code != PLC_EXIT_OK) {
        /* said */
    } else if (zmq_connect(sock, cli_server) != 0) {
        cli_error("--server: cannot use '%s' (%s)", cli_server,
                  zmq_strerror(errno));
        code = PLC_EXIT_USAGE;
    } else if (zmq_send(sock, buf, len, 0) < 0) {
        cli_error("placerd at %s is unreachable (%s; is it running? start "
                  "it with 'placerd', or name another with --server%s)",
                  cli_server,
                  errno == EAGAIN ? "no connection within 3 s"
                                  : zmq_strerror(errno),
                  cli_server_pub ? "; with CURVE, is this client's public "
                                   "key in placerd's --client-keys, and "
                                   "--server-pub placerd's?"
                                 : "");
        code = PLC_EXIT_UNAVAILABLE;
    } else {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            cli_error("placerd at %s did not answer within %d s (is it "
                      "running? start it with 'placerd', or name another "
                      "with --server)",
                      cli_server, timeout_ms / 1000);
            code = PLC_EXIT_UNAVAILABLE;
        } else {
            *out = placer__response__unpack(NULL, zmq_msg_size(&m),
                                            zmq_msg_data(&m));
            if (!*out) {
                cli_error("the answer of placerd at %s is not a "
                          "placer.Response",
                          cli_server);
                code = PLC_EXIT_SOFTWARE;
            } else if ((*out)->result_case != want) {
                if ((*out)->result_case == PLACER__RESPONSE__RESULT_ERROR) {
                    code = error_reply((*out)->error, conflict_code);
                } else {
                    cli_error("placerd answered with something else than "
                              "was asked");
                    code = PLC_EXIT_SOFTWARE;
                }
                placer__response__free_unpacked(*out, NULL);
                *out = NULL;
            }
        }
        zmq_msg_close(&m);
    }
    free(buf);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return code;
}

int cli_call(Placer__Request *req, int timeout_ms,
             Placer__Response__ResultCase want, Placer__Response **out)
{
    return call(req, timeout_ms, want, PLC_EXIT_NEGATIVE, out);
}

/* Common options: --tenant, --json. */
struct common {
    const char *tenant;
    bool json, force, dry;
    const char *objective;
    uint64_t limit_ns;
};

/* The options a command takes (parse()'s `allow`): any other is a usage
 * error, not silently ignored. */
enum {
    A_TENANT = 1 << 0,
    A_JSON = 1 << 1,
    A_FORCE = 1 << 2,
    A_OBJ = 1 << 3,
    A_TIME = 1 << 4,
    A_DRY = 1 << 5,
};

static int parse(const char *cmd, int argc, char **argv, struct common *c,
                 const char *help, int want_args, unsigned allow)
{
    enum { O_TENANT = 256, O_JSON, O_FORCE, O_OBJ, O_TIME, O_DRY };
    static const char *const names[] = {"--tenant",     "--json",
                                        "--force",      "--objective",
                                        "--time-limit", "--dry-run"};
    static const struct option opts[] = {
        {"tenant", required_argument, 0, O_TENANT},
        {"json", no_argument, 0, O_JSON},
        {"force", no_argument, 0, O_FORCE},
        {"objective", required_argument, 0, O_OBJ},
        {"time-limit", required_argument, 0, O_TIME},
        {"dry-run", no_argument, 0, O_DRY},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int ch;
    optind = 1;
    c->limit_ns = 2000000000ULL;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch >= O_TENANT && ch <= O_DRY && !(allow & (1u << (ch - O_TENANT))))
            return cli_usage(cmd, "%s does not apply to %s",
                             names[ch - O_TENANT], cmd);
        switch (ch) {
        case O_TENANT:
            c->tenant = optarg;
            break;
        case O_JSON:
            c->json = true;
            break;
        case O_FORCE:
            c->force = true;
            break;
        case O_DRY:
            c->dry = true;
            break;
        case O_OBJ:
            c->objective = optarg;
            break;
        case O_TIME:
            if (cli_opt_time_limit(cmd, optarg, &c->limit_ns) != PLC_EXIT_OK)
                return PLC_EXIT_USAGE;
            break;
        case 'h':
            fputs(help, stdout);
            return -1;
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (argc - optind != want_args)
        return cli_usage(cmd, want_args ? "give one argument" : "no arguments");
    return PLC_EXIT_OK;
}

#define SERVER_HELP                                                            \
    "  --server ENDPOINT (before the command) placerd's address (default\n"    \
    "                    tcp://127.0.0.1:7460)\n"                              \
    "  --token TOKEN     (before the command, or $PLACER_TOKEN) act as this\n" \
    "                    token's tenant, or as an admin\n"

static const char submit_help[] =
    "Usage: placer [--server ENDPOINT] submit [OPTIONS] WORKFLOW.json\n"
    "\n"
    "Ask placerd to admit the workflow against what is left of its\n"
    "cluster. Admitted: the plan is recorded durably before the answer,\n"
    "and its reservations count until 'placer release'. Rejected: the\n"
    "reason with its figures, and nothing is recorded. Workflow names are\n"
    "unique per tenant (the workflow's 'tenant', default 'default').\n"
    "\n"
    "Options:\n"
    "  --objective KIND    utilization | cost | hosts | bandwidth | balance\n"
    "  --time-limit TIME   the plan's time limit, from when placerd\n"
    "                      receives it (default 2s, at most 10min); time\n"
    "                      spent waiting behind other plans counts\n"
    "  --dry-run           plan against placerd's live cluster and what\n"
    "                      it has admitted, and admit nothing: the plan a\n"
    "                      submission would get now (the name may be in\n"
    "                      use; nothing is recorded)\n"
    "  --json              print the plan document (schema 1)\n" SERVER_HELP
    "\n"
    "Exit status: 0 admitted (with --dry-run: would be), 1 rejected, 65 bad\n"
    "input or a name in use, 66 file missing, 69 placerd unreachable, 70\n"
    "internal error, 75 busy.\n";

static void print_plan_or_json(const Placer__Plan *d, bool json, int *code)
{
    if (json) {
        json_t *j = proto_message_to_json(&d->base, PROTO_JSON_EMPTY_ARRAYS);
        if (j && !d->rejection)
            json_object_set_new(j, "rejection", json_null());
        *code = cli_print_json(j);
    } else {
        cli_print_plan(d);
        if (d->has_state) {
            char st[32] = "";
            proto_enum_json_name(&placer__state__descriptor, (int)d->state, st,
                                 sizeof st);
            printf("  state      %s (tenant %s)\n", st,
                   d->tenant ? d->tenant : "default");
            /* where it stands on each host, and why when degraded; one
             * column width for services and links */
            int w = 12;
            for (size_t i = 0; i < d->n_services; i++)
                if ((int)strlen(d->services[i]->name) > w)
                    w = (int)strlen(d->services[i]->name);
            for (size_t i = 0; i < d->n_links; i++) {
                int n = (int)(strlen(d->links[i]->from) +
                              strlen(d->links[i]->to) + 2);
                if (d->links[i]->n_path >= 2 && n > w)
                    w = n;
            }
            for (size_t i = 0; i < d->n_services; i++) {
                const Placer__PlacedService *v = d->services[i];
                if (!v->has_state)
                    continue;
                proto_enum_json_name(&placer__state__descriptor, (int)v->state,
                                     st, sizeof st);
                char bound[480] = " (not bound)";
                if (v->has_pid)
                    snprintf(bound, sizeof bound, " (pid %d)", v->pid);
                else if (v->cgroup)
                    snprintf(bound, sizeof bound, " (cgroup %.400s)",
                             v->cgroup);
                printf("    %-*s %-9s on %s%s%s%s\n", w, v->name, st, v->host,
                       bound, v->error ? ": " : "", v->error ? v->error : "");
                if (v->has_supply_delay_now_us)
                    printf("    %-*s warning: %s's host now takes more CPU "
                           "time (steal): a supply delay of %s where the "
                           "plan counted %s, so the guarantee's assumption "
                           "does not hold there; release and submit again "
                           "to plan with it\n",
                           w, "", v->host,
                           cli_qty(PLC_QTY_TIME, v->supply_delay_now_us * 1000),
                           cli_qty(PLC_QTY_TIME,
                                   (v->has_supply_delay_us ? v->supply_delay_us
                                                           : 0) *
                                       1000));
            }
            for (size_t i = 0; i < d->n_links; i++) {
                const Placer__PlacedLink *l = d->links[i];
                if (!l->has_state)
                    continue;
                proto_enum_json_name(&placer__state__descriptor, (int)l->state,
                                     st, sizeof st);
                if (l->n_path < 2)
                    continue; /* on one host: nothing reserved */
                char name[512];
                snprintf(name, sizeof name, "%s->%s", l->from, l->to);
                printf("    %-*s %-9s   %s%s%s%s%s\n", w, name, st,
                       l->flow ? "(flow " : "(not bound)",
                       l->flow ? l->flow : "", l->flow ? ")" : "",
                       l->error ? ": " : "", l->error ? l->error : "");
            }
        }
    }
}

int cli_ask(const char *path, int objective, uint64_t limit_ns, bool dry,
            bool json)
{
    struct proto_doc wd = PROTO_DOC_INIT;
    int code = cli_load_doc(&wd, path, PROTO_DOC_WORKFLOW);
    if (code != PLC_EXIT_OK) {
        proto_doc_release(&wd);
        return code;
    }
    Placer__SubmitRequest s = PLACER__SUBMIT_REQUEST__INIT;
    Placer__PlanRequest pr = PLACER__PLAN_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    if (dry) {
        pr.workflow = (Placer__Workflow *)wd.msg;
        pr.has_time_limit_ms = 1;
        pr.time_limit_ms = limit_ns / 1000000;
        pr.has_objective = objective != 0;
        pr.objective = (Placer__Objective)objective;
        req.op_case = PLACER__REQUEST__OP_PLAN;
        req.plan = &pr;
    } else {
        s.workflow = (Placer__Workflow *)wd.msg;
        s.has_time_limit_ms = 1;
        s.time_limit_ms = limit_ns / 1000000;
        s.has_objective = objective != 0;
        s.objective = (Placer__Objective)objective;
        req.op_case = PLACER__REQUEST__OP_SUBMIT;
        req.submit = &s;
    }
    Placer__Response *r;
    /* the solve, and whatever waits before it, within a generous bound */
    code = call(&req, (int)(limit_ns / 1000000) * 4 + 30000,
                PLACER__RESPONSE__RESULT_PLAN, PLC_EXIT_DATAERR, &r);
    if (code == PLC_EXIT_OK) {
        print_plan_or_json(r->plan, json, &code);
        if (code == PLC_EXIT_OK && dry && !json)
            printf("  dry run    against placerd's live cluster at %s; "
                   "nothing was admitted\n",
                   cli_server);
        if (code == PLC_EXIT_OK && !r->plan->admitted)
            code = PLC_EXIT_NEGATIVE;
        placer__response__free_unpacked(r, NULL);
    }
    proto_doc_release(&wd);
    return code;
}

int cmd_submit(int argc, char **argv)
{
    struct common c = {0};
    int code = parse("submit", argc, argv, &c, submit_help, 1,
                     A_JSON | A_OBJ | A_TIME | A_DRY);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    int objective = 0;
    if (c.objective &&
        cli_opt_objective("submit", c.objective, &objective) != PLC_EXIT_OK)
        return PLC_EXIT_USAGE;
    return cli_ask(argv[optind], objective, c.limit_ns, c.dry, c.json);
}

static const char status_help[] =
    "Usage: placer [--server ENDPOINT] status [--tenant T] [--json] NAME\n"
    "\n"
    "The plan of an admitted workflow and its lifecycle state, overall and\n"
    "per service and link: admitted (no agent on its host yet), applying\n"
    "(sent to the agents), active (every agent acknowledged), degraded (an\n"
    "agent failed, with its error, or is unreachable; retried), and what\n"
    "each reservation is bound to (placer bind).\n"
    "\n"
    "Options:\n"
    "  --tenant T   the workflow's tenant (default 'default')\n"
    "  --json       the plan document with \"state\"\n" SERVER_HELP "\n"
    "Exit status: 0, 1 no such workflow, 69 placerd unreachable.\n";

int cmd_status(int argc, char **argv)
{
    struct common c = {0};
    int code =
        parse("status", argc, argv, &c, status_help, 1, A_TENANT | A_JSON);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    Placer__StatusRequest s = PLACER__STATUS_REQUEST__INIT;
    s.name = argv[optind];
    s.tenant = (char *)c.tenant;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_STATUS;
    req.status = &s;
    Placer__Response *r;
    code =
        call(&req, 5000, PLACER__RESPONSE__RESULT_PLAN, PLC_EXIT_NEGATIVE, &r);
    if (code != PLC_EXIT_OK)
        return code;
    print_plan_or_json(r->plan, c.json, &code);
    placer__response__free_unpacked(r, NULL);
    return code;
}

static const char list_help[] =
    "Usage: placer [--server ENDPOINT] list [--tenant T] [--json]\n"
    "\n"
    "The admitted workflows: name, tenant, state and hosts.\n"
    "\n"
    "Options:\n"
    "  --tenant T   only this tenant's\n"
    "  --json       {\"schema\":1,\"workflows\":[...]}\n" SERVER_HELP;

int cmd_list(int argc, char **argv)
{
    struct common c = {0};
    int code = parse("list", argc, argv, &c, list_help, 0, A_TENANT | A_JSON);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    Placer__ListRequest l = PLACER__LIST_REQUEST__INIT;
    l.tenant = (char *)c.tenant;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_LIST;
    req.list = &l;
    Placer__Response *r;
    code =
        call(&req, 5000, PLACER__RESPONSE__RESULT_LIST, PLC_EXIT_NEGATIVE, &r);
    if (code != PLC_EXIT_OK)
        return code;
    if (c.json) {
        code = cli_print_json(
            proto_message_to_json(&r->list->base, PROTO_JSON_EMPTY_ARRAYS));
    } else {
        printf("%-24s %-16s %-10s %s\n", "workflow", "tenant", "state",
               "hosts");
        for (size_t i = 0; i < r->list->n_workflows; i++) {
            const Placer__WorkflowSummary *w = r->list->workflows[i];
            char st[32] = "", hosts[512] = "";
            proto_enum_json_name(&placer__state__descriptor, (int)w->state, st,
                                 sizeof st);
            for (size_t k = 0; k < w->n_hosts; k++)
                snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts),
                         "%s%s", k ? "," : "", w->hosts[k]);
            printf("%-24s %-16s %-10s %s\n", w->name, w->tenant, st, hosts);
        }
        if (r->list->n_workflows == 0)
            printf("(none)\n");
    }
    placer__response__free_unpacked(r, NULL);
    return code;
}

static const char release_help[] =
    "Usage: placer [--server ENDPOINT] release [--tenant T] NAME\n"
    "\n"
    "Release an admitted workflow: its reservations stop counting once the\n"
    "release is recorded (before the answer).\n"
    "\n"
    "Options:\n"
    "  --tenant T   the workflow's tenant (default 'default')\n" SERVER_HELP
    "\n"
    "Exit status: 0 released, 1 no such workflow, 69 placerd unreachable.\n";

int cmd_release(int argc, char **argv)
{
    struct common c = {0};
    int code = parse("release", argc, argv, &c, release_help, 1, A_TENANT);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    Placer__ReleaseRequest rel = PLACER__RELEASE_REQUEST__INIT;
    rel.name = argv[optind];
    rel.tenant = (char *)c.tenant;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_RELEASE;
    req.release = &rel;
    Placer__Response *r;
    code = call(&req, 5000, PLACER__RESPONSE__RESULT_RELEASE, PLC_EXIT_NEGATIVE,
                &r);
    if (code != PLC_EXIT_OK)
        return code;
    printf("released %s\n", argv[optind]);
    placer__response__free_unpacked(r, NULL);
    return code;
}

static const char hosts_help[] =
    "Usage: placer [--server ENDPOINT] hosts [--json]\n"
    "\n"
    "Every host of the cluster: state (up, down, or unknown while no agent\n"
    "registered), cores and the capacity of each (the agent's probe of\n"
    "SCHED_DEADLINE once it registered, else the cluster file's), reserved\n"
    "utilisation per core, memory, agent; and, where known, the platform\n"
    "terms plans use for it (the CPU a job uses beyond its work, the\n"
    "wake-up latency, how far a budget overruns), measured by its agent or\n"
    "from the cluster file's platform block; and the CPU time the host's\n"
    "hypervisor took from it (steal) with the supply delay plans add.\n"
    "\n"
    "Options:\n"
    "  --json   {\"schema\":1,\"hosts\":[...]}\n" SERVER_HELP;

int cli_snapshot(Placer__Cluster **out)
{
    *out = NULL;
    Placer__SnapshotRequest sr = PLACER__SNAPSHOT_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_SNAPSHOT;
    req.snapshot = &sr;
    Placer__Response *r;
    /* (it waits for the plan in progress: a plan's time limit at most) */
    int code = call(&req, 120000, PLACER__RESPONSE__RESULT_SNAPSHOT,
                    PLC_EXIT_NEGATIVE, &r);
    if (code != PLC_EXIT_OK)
        return code;
    *out = r->snapshot;
    r->snapshot = NULL; /* (the same allocator: freed on its own) */
    r->result_case = PLACER__RESPONSE__RESULT__NOT_SET;
    placer__response__free_unpacked(r, NULL);
    return *out ? PLC_EXIT_OK : PLC_EXIT_SOFTWARE;
}

int cmd_hosts(int argc, char **argv)
{
    struct common c = {0};
    int code = parse("hosts", argc, argv, &c, hosts_help, 0, A_JSON);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    Placer__HostsRequest h = PLACER__HOSTS_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_HOSTS;
    req.hosts = &h;
    Placer__Response *r;
    code =
        call(&req, 5000, PLACER__RESPONSE__RESULT_HOSTS, PLC_EXIT_NEGATIVE, &r);
    if (code != PLC_EXIT_OK)
        return code;
    if (c.json) {
        code = cli_print_json(
            proto_message_to_json(&r->hosts->base, PROTO_JSON_EMPTY_ARRAYS));
    } else {
        printf("%-16s %-8s %-11s %-28s %-22s %s\n", "host", "state",
               "cores x cap", "reserved per core", "memory reserved", "agent");
        for (size_t i = 0; i < r->hosts->n_hosts; i++) {
            const Placer__HostSummary *s = r->hosts->hosts[i];
            char st[16] = "", per[256] = "", mem[64];
            proto_enum_json_name(&placer__host_state__descriptor, (int)s->state,
                                 st, sizeof st);
            for (size_t k = 0; k < s->n_reserved; k++)
                snprintf(per + strlen(per), sizeof per - strlen(per), "%s%.3f",
                         k ? " " : "", s->reserved[k]);
            if (s->has_memory_bytes)
                snprintf(mem, sizeof mem, "%s of %s",
                         cli_qty(PLC_QTY_SIZE, s->memory_reserved_bytes),
                         cli_qty(PLC_QTY_SIZE, s->memory_bytes));
            else
                snprintf(mem, sizeof mem, "%s",
                         cli_qty(PLC_QTY_SIZE, s->memory_reserved_bytes));
            char cores[32];
            snprintf(cores, sizeof cores, "%d x %.3f", s->cores,
                     s->core_capacity);
            printf("%-16s %-8s %-11s %-28s %-22s %s\n", s->name, st, cores, per,
                   mem, s->agent ? s->agent : "-");
            const Placer__Platform *pf = s->platform;
            if (pf && pf->overhead && pf->granularity && pf->wakeup_latency)
                printf("%-16s platform  overhead %s, wake-up %s, budget "
                       "overrun %s (%s%s%s)\n",
                       "", cli_qty(PLC_QTY_TIME, pf->overhead->ns),
                       cli_qty(PLC_QTY_TIME, pf->wakeup_latency->ns),
                       cli_qty(PLC_QTY_TIME, pf->granularity->ns),
                       s->platform_source &&
                               !strcmp(s->platform_source, "agent")
                           ? "measured by the agent"
                           : "the cluster file's",
                       s->platform_note ? "; " : "",
                       s->platform_note ? s->platform_note : "");
            if (pf && pf->n_steal) {
                /* the shortest and the longest window, and what plans add */
                const Placer__StealPoint *a = pf->steal[0],
                                         *z = pf->steal[pf->n_steal - 1];
                printf("%-16s steal     the host took up to %s in %s", "",
                       cli_qty(PLC_QTY_TIME, a->stolen->ns),
                       cli_qty(PLC_QTY_TIME, a->window->ns));
                if (z != a)
                    printf(", %s in %s", cli_qty(PLC_QTY_TIME, z->stolen->ns),
                           cli_qty(PLC_QTY_TIME, z->window->ns));
                if (pf->supply_delay)
                    printf("; plans add a supply delay of %s",
                           cli_qty(PLC_QTY_TIME, pf->supply_delay->ns));
                printf("\n");
            } else if (pf && s->platform_source &&
                       !strcmp(s->platform_source, "agent"))
                printf("%-16s steal     none seen\n", "");
        }
    }
    placer__response__free_unpacked(r, NULL);
    return code;
}

static const char apply_help[] =
    "Usage: placer [--server ENDPOINT] cluster apply [--force] CLUSTER.json\n"
    "\n"
    "Load the cluster into placerd, or replace it. A change that would\n"
    "strand admitted workflows (a host, core or link they use disappears,\n"
    "or less capacity than is reserved remains) is refused with their\n"
    "names, unless --force.\n" SERVER_HELP "\n"
    "Exit status: 0 applied, 1 refused (stranded workflows), 65 bad input,\n"
    "66 file missing, 69 placerd unreachable, 75 busy.\n";

int cmd_cluster_apply(int argc, char **argv)
{
    struct common c = {0};
    int code = parse("cluster apply", argc, argv, &c, apply_help, 1, A_FORCE);
    if (code != PLC_EXIT_OK)
        return code < 0 ? PLC_EXIT_OK : code;
    struct proto_doc cd = PROTO_DOC_INIT;
    code = cli_load_doc(&cd, argv[optind], PROTO_DOC_CLUSTER);
    if (code != PLC_EXIT_OK) {
        proto_doc_release(&cd);
        return code;
    }
    Placer__ClusterApplyRequest a = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    a.cluster = (Placer__Cluster *)cd.msg;
    a.has_force = c.force;
    a.force = c.force;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &a;
    Placer__Response *r;
    code = call(&req, 30000, PLACER__RESPONSE__RESULT_CLUSTER_APPLY,
                PLC_EXIT_NEGATIVE, &r);
    if (code == PLC_EXIT_OK) {
        const Placer__ClusterApplyReply *x = r->cluster_apply;
        printf("cluster applied: %u hosts, %u switches, %u links\n", x->hosts,
               x->switches, x->links);
        for (size_t i = 0; i < x->n_stranded; i++)
            printf("  stranded (forced): %s\n", x->stranded[i]);
        placer__response__free_unpacked(r, NULL);
    }
    proto_doc_release(&cd);
    return code;
}

static const char bind_help[] =
    "Usage: placer [--server ENDPOINT] bind [--tenant T] WORKFLOW SERVICE "
    "--pid PID\n"
    "       placer [--server ENDPOINT] bind [--tenant T] WORKFLOW SERVICE "
    "--cgroup DIR\n"
    "       placer [--server ENDPOINT] bind [--tenant T] WORKFLOW FROM TO\n"
    "              --flow SRC[:PORT]-DST[:PORT][/tcp|/udp]\n"
    "\n"
    "Attach a placed service's CPU reservation to a running process (every\n"
    "thread gets SCHED_DEADLINE with the service's budget and period; at\n"
    "most 'vcpus' threads), or a virtual link's bandwidth to a flow (an HTB\n"
    "class on each host along its path, with a u32 filter on the flow's\n"
    "IPv4 addresses, ports and protocol). placerd records the binding, so\n"
    "it survives restarts of placerd and of the agents, and sends it to the\n"
    "host's agent; 'placer status' shows when it is active, or degraded and\n"
    "why.\n"
    "\n"
    "Options:\n"
    "  --pid PID      the process (on the service's host)\n"
    "  --cgroup DIR   or every thread in a cgroup (a pod's or a container's\n"
    "                 directory under /sys/fs/cgroup/, on the service's\n"
    "                 host), followed as threads come and go\n"
    "  --flow SPEC    e.g. 10.0.0.1:5201-10.0.0.2:0/tcp (port 0 or none:\n"
    "                 any)\n"
    "  --tenant T     the workflow's tenant (default 'default')\n" SERVER_HELP
    "\n"
    "Exit status: 0 recorded, 1 no such workflow, service or link, 64 usage,\n"
    "69 placerd unreachable.\n";

/* "10.0.0.1:5201" -> address and port (0: none given). */
static bool split_endpoint(char *s, char **addr, unsigned *port)
{
    char *colon = strrchr(s, ':');
    *addr = s;
    *port = 0;
    if (colon && !strchr(s, '[') && strchr(s, ':') == colon) {
        *colon = 0;
        char *end;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (*end || p > 65535)
            return false;
        *port = (unsigned)p;
    }
    return **addr != 0;
}

int cmd_bind(int argc, char **argv)
{
    enum { O_TENANT = 256, O_PID, O_FLOW, O_CGROUP };
    static const struct option opts[] = {
        {"tenant", required_argument, 0, O_TENANT},
        {"pid", required_argument, 0, O_PID},
        {"cgroup", required_argument, 0, O_CGROUP},
        {"flow", required_argument, 0, O_FLOW},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *tenant = NULL, *flow = NULL, *cgroup = NULL;
    long pid = 0;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_TENANT:
            tenant = optarg;
            break;
        case O_PID: {
            char *end;
            pid = strtol(optarg, &end, 10);
            if (*end || pid <= 0 || pid > 4194304)
                return cli_usage("bind", "--pid: '%s' is not a process id",
                                 optarg);
            break;
        }
        case O_FLOW:
            flow = optarg;
            break;
        case O_CGROUP:
            cgroup = optarg;
            break;
        case 'h':
            fputs(bind_help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("bind", "unknown option");
        }
    }
    int args = argc - optind;
    Placer__BindRequest b = PLACER__BIND_REQUEST__INIT;
    Placer__FlowSpec f = PLACER__FLOW_SPEC__INIT;
    char spec[256];
    if (pid && !flow && !cgroup && args == 2) {
        b.service = argv[optind + 1];
        b.has_pid = 1;
        b.pid = (int32_t)pid;
    } else if (cgroup && !pid && !flow && args == 2) {
        b.service = argv[optind + 1];
        b.cgroup = (char *)cgroup;
    } else if (flow && !pid && !cgroup && args == 3) {
        b.from = argv[optind + 1];
        b.to = argv[optind + 2];
        snprintf(spec, sizeof spec, "%s", flow);
        char *proto = strchr(spec, '/');
        if (proto) {
            *proto++ = 0;
            if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
                return cli_usage("bind", "--flow: protocol '%s' (tcp or udp)",
                                 proto);
            f.protocol = proto;
        }
        char *dash = strchr(spec, '-');
        char *src, *dst;
        unsigned sp, dp;
        if (!dash)
            return cli_usage("bind",
                             "--flow: '%s' is not "
                             "SRC[:PORT]-DST[:PORT][/PROTO]",
                             flow);
        *dash = 0;
        if (!split_endpoint(spec, &src, &sp) ||
            !split_endpoint(dash + 1, &dst, &dp))
            return cli_usage("bind",
                             "--flow: '%s' is not "
                             "SRC[:PORT]-DST[:PORT][/PROTO]",
                             flow);
        const char *addrs[2] = {src, dst};
        for (int i = 0; i < 2; i++) {
            struct in6_addr a6;
            struct in_addr a4;
            if (inet_pton(AF_INET, addrs[i], &a4) == 1)
                continue;
            if (inet_pton(AF_INET6, addrs[i], &a6) == 1 ||
                strchr(addrs[i], '['))
                return cli_usage("bind",
                                 "--flow: '%s' is an IPv6 address; placer "
                                 "classifies flows by IPv4 address (tc u32 "
                                 "on each host), so bind the flow's IPv4 "
                                 "addresses",
                                 addrs[i]);
            return cli_usage("bind",
                             "--flow: '%s' is not an IPv4 address (write "
                             "SRC[:PORT]-DST[:PORT][/PROTO], e.g. "
                             "10.0.0.1:5201-10.0.0.2:0/tcp)",
                             addrs[i]);
        }
        f.src = src;
        f.dst = dst;
        f.has_src_port = f.has_dst_port = 1;
        f.src_port = sp;
        f.dst_port = dp;
        b.flow = &f;
    } else {
        return cli_usage("bind",
                         "give WORKFLOW SERVICE --pid PID, or WORKFLOW FROM "
                         "TO --flow SPEC");
    }
    b.workflow = argv[optind];
    b.tenant = (char *)tenant;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_BIND;
    req.bind = &b;
    Placer__Response *r;
    int code =
        call(&req, 5000, PLACER__RESPONSE__RESULT_BIND, PLC_EXIT_NEGATIVE, &r);
    if (code != PLC_EXIT_OK)
        return code;
    const char *id = r->bind->reservation_id ? r->bind->reservation_id : "?";
    if (pid)
        printf("bound %s to pid %ld\n", id, pid);
    else
        printf("bound %s to flow %s\n", id, flow);
    placer__response__free_unpacked(r, NULL);
    return code;
}
