/*
 * cmd_token.c: `placer token create|list|revoke` and `placer quota
 * set|get`: bearer tokens and tenants' quotas in placerd, over the client
 * socket (an admin's token for all but reading one's own quota).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "proto/json.h"

static const char token_help[] =
    "Usage: placer [--server EP] [--token ADMIN] token create (--tenant T | "
    "--admin)\n"
    "                        [--expires DURATION] [--note TEXT] [--json]\n"
    "       placer [--server EP] [--token ADMIN] token list [--json]\n"
    "       placer [--server EP] [--token ADMIN] token revoke ID\n"
    "\n"
    "Bearer tokens for placerd's HTTP API and client socket. A tenant's\n"
    "token sees and changes only that tenant's workflows; an admin's\n"
    "everything. create prints the token once (placerd keeps only its\n"
    "hash). The first admin token is made on placerd's host with\n"
    "'placerd --db FILE token create --admin'.\n"
    "\n"
    "Options:\n"
    "  --tenant T          the tenant the token acts for\n"
    "  --admin             a token that may do everything\n"
    "  --expires DURATION  it stops working after DURATION (86400s)\n"
    "  --note TEXT         shown by list\n"
    "  --json              the document of POST /v1/tokens or GET /v1/tokens\n"
    "\n"
    "Exit status: 0 done, 1 no such token, 64 usage, 69 placerd\n"
    "unreachable, 77 not an admin's token.\n";

static const char quota_help[] =
    "Usage: placer [--server EP] [--token ADMIN] quota set TENANT [--cpu U]\n"
    "                        [--bandwidth RATE] [--workflows N] [--json]\n"
    "       placer [--server EP] [--token T] quota get TENANT [--json]\n"
    "\n"
    "A tenant's quota, checked at every admission: total reserved CPU\n"
    "utilisation (--cpu 2.5: two and a half cores), total rate of its\n"
    "virtual links (--bandwidth 1Gbit) and workflows admitted at once. A\n"
    "submission past it is rejected with code quota and the figures. set\n"
    "replaces the whole quota: a limit not given is none. get prints the\n"
    "limits and what the tenant holds now.\n"
    "\n"
    "Exit status: 0 done, 64 usage, 69 placerd unreachable, 77 not\n"
    "permitted (set: an admin's token; get: the tenant's own or an admin's).\n";

static int usage(const char *cmd, const char *why)
{
    fprintf(stderr, "placer %s: %s\nTry 'placer %s --help'.\n", cmd, why, cmd);
    return PLC_EXIT_USAGE;
}

static void when(uint64_t us, char *buf, size_t len)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct opts {
    bool admin, json, has_cpu;
    const char *tenant, *expires, *note, *bandwidth, *workflows;
    double cpu;
};

static int parse(const char *cmd, int argc, char **argv, struct opts *o)
{
    static const struct option opts[] = {
        {"admin", no_argument, 0, 'a'},
        {"tenant", required_argument, 0, 't'},
        {"expires", required_argument, 0, 'e'},
        {"note", required_argument, 0, 'n'},
        {"json", no_argument, 0, 'j'},
        {"cpu", required_argument, 0, 'c'},
        {"bandwidth", required_argument, 0, 'b'},
        {"workflows", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'a':
            o->admin = true;
            break;
        case 't':
            o->tenant = optarg;
            break;
        case 'e':
            o->expires = optarg;
            break;
        case 'n':
            o->note = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'c':
            o->cpu = strtod(optarg, &end);
            if (*end || !(o->cpu >= 0))
                return usage(cmd, "--cpu: a utilisation of 0 or more (2.5)");
            o->has_cpu = true;
            break;
        case 'b':
            o->bandwidth = optarg;
            break;
        case 'w':
            o->workflows = optarg;
            break;
        case 'h':
            fputs(!strcmp(cmd, "token") ? token_help : quota_help, stdout);
            return -1;
        default:
            return usage(cmd, "unknown option");
        }
    }
    return 0;
}

static int print_json(const ProtobufCMessage *m)
{
    return cli_print_json(proto_message_to_json(m, PROTO_JSON_EMPTY_ARRAYS));
}

int cmd_token(int argc, char **argv)
{
    struct opts o = {0};
    int code = parse("token", argc, argv, &o);
    if (code)
        return code < 0 ? PLC_EXIT_OK : code;
    if (optind >= argc)
        return usage("token", "give create, list or revoke");
    const char *verb = argv[optind];
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__TokenCreateRequest cr = PLACER__TOKEN_CREATE_REQUEST__INIT;
    Placer__TokenListRequest lr = PLACER__TOKEN_LIST_REQUEST__INIT;
    Placer__TokenRevokeRequest rr = PLACER__TOKEN_REVOKE_REQUEST__INIT;
    Placer__Time exp = PLACER__TIME__INIT;
    Placer__Response__ResultCase want;
    if (!strcmp(verb, "create") && optind + 1 == argc) {
        if (o.admin == (o.tenant != NULL))
            return usage("token", "give --tenant T or --admin (one of them)");
        if (o.expires) {
            struct plc_error e = PLC_ERROR_INIT;
            exp.has_ns = 1;
            if (plc_qty_parse(PLC_QTY_TIME, o.expires, &exp.ns, &e) < 0)
                return usage("token", e.msg);
            cr.expires_in = &exp;
        }
        cr.tenant = (char *)o.tenant;
        cr.has_admin = o.admin;
        cr.admin = o.admin;
        cr.note = (char *)o.note;
        req.op_case = PLACER__REQUEST__OP_TOKEN_CREATE;
        req.token_create = &cr;
        want = PLACER__RESPONSE__RESULT_TOKEN_CREATED;
    } else if (!strcmp(verb, "list") && optind + 1 == argc) {
        req.op_case = PLACER__REQUEST__OP_TOKEN_LIST;
        req.token_list = &lr;
        want = PLACER__RESPONSE__RESULT_TOKENS;
    } else if (!strcmp(verb, "revoke") && optind + 2 == argc) {
        char *end;
        rr.has_id = 1;
        rr.id = strtoull(argv[optind + 1], &end, 10);
        if (*end || !rr.id)
            return usage("token", "revoke takes the token's id (token list)");
        req.op_case = PLACER__REQUEST__OP_TOKEN_REVOKE;
        req.token_revoke = &rr;
        want = PLACER__RESPONSE__RESULT_TOKEN_REVOKED;
    } else {
        return usage("token", "give create, list or revoke ID");
    }
    Placer__Response *r;
    code = cli_call(&req, 10000, want, &r);
    if (code != PLC_EXIT_OK)
        return code;
    if (o.json) {
        code = print_json(want == PLACER__RESPONSE__RESULT_TOKEN_CREATED
                              ? &r->token_created->base
                          : want == PLACER__RESPONSE__RESULT_TOKENS
                              ? &r->tokens->base
                              : &r->token_revoked->base);
    } else if (want == PLACER__RESPONSE__RESULT_TOKEN_CREATED) {
        puts(r->token_created->token);
        fprintf(stderr,
                "placer token: token %" PRIu64 " for %s%s; it is shown this "
                "once, keep it\n",
                r->token_created->info ? r->token_created->info->id : 0,
                o.admin ? "an admin" : "tenant ", o.admin ? "" : o.tenant);
    } else if (want == PLACER__RESPONSE__RESULT_TOKENS) {
        printf("%-6s %-8s %-20s %-22s %-10s %s\n", "ID", "KIND", "TENANT",
               "CREATED", "STATE", "NOTE");
        uint64_t now = (uint64_t)time(NULL) * 1000000;
        for (size_t i = 0; i < r->tokens->n_tokens; i++) {
            const Placer__TokenInfo *t = r->tokens->tokens[i];
            char c[32];
            when(t->created_us, c, sizeof c);
            printf("%-6" PRIu64 " %-8s %-20s %-22s %-10s %s\n", t->id,
                   t->admin ? "admin" : "tenant", t->tenant ? t->tenant : "-",
                   c,
                   t->has_revoked_us                           ? "revoked"
                   : t->has_expires_us && t->expires_us <= now ? "expired"
                                                               : "valid",
                   t->note ? t->note : "");
        }
    } else {
        printf("token %" PRIu64 " revoked\n", r->token_revoked->id);
    }
    placer__response__free_unpacked(r, NULL);
    return code;
}

int cmd_quota(int argc, char **argv)
{
    struct opts o = {0};
    int code = parse("quota", argc, argv, &o);
    if (code)
        return code < 0 ? PLC_EXIT_OK : code;
    if (optind + 2 != argc)
        return usage("quota", "give set TENANT [limits] or get TENANT");
    const char *verb = argv[optind], *tenant = argv[optind + 1];
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__QuotaSetRequest sr = PLACER__QUOTA_SET_REQUEST__INIT;
    Placer__QuotaGetRequest gr = PLACER__QUOTA_GET_REQUEST__INIT;
    Placer__Quota q = PLACER__QUOTA__INIT;
    Placer__Rate bw = PLACER__RATE__INIT;
    if (!strcmp(verb, "set")) {
        q.tenant = (char *)tenant;
        q.has_cpu = o.has_cpu;
        q.cpu = o.cpu;
        if (o.bandwidth) {
            struct plc_error e = PLC_ERROR_INIT;
            bw.has_bps = 1;
            if (plc_qty_parse(PLC_QTY_RATE, o.bandwidth, &bw.bps, &e) < 0)
                return usage("quota", e.msg);
            q.bandwidth = &bw;
        }
        if (o.workflows) {
            char *end;
            unsigned long n = strtoul(o.workflows, &end, 10);
            if (*end || !o.workflows[0] || n > UINT32_MAX)
                return usage("quota", "--workflows: a whole number");
            q.has_workflows = 1;
            q.workflows = (uint32_t)n;
        }
        sr.quota = &q;
        req.op_case = PLACER__REQUEST__OP_QUOTA_SET;
        req.quota_set = &sr;
    } else if (!strcmp(verb, "get")) {
        if (o.has_cpu || o.bandwidth || o.workflows)
            return usage("quota", "limits are given to set, not get");
        gr.tenant = (char *)tenant;
        req.op_case = PLACER__REQUEST__OP_QUOTA_GET;
        req.quota_get = &gr;
    } else {
        return usage("quota", "give set or get");
    }
    Placer__Response *r;
    code = cli_call(&req, 10000, PLACER__RESPONSE__RESULT_QUOTA, &r);
    if (code != PLC_EXIT_OK)
        return code;
    if (o.json) {
        code = print_json(&r->quota->base);
    } else {
        const Placer__Quota *l = r->quota->quota, *u = r->quota->used;
        char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
        printf("tenant %s\n", tenant);
        printf("  %-10s %-14s %s\n", "", "limit", "held");
        char lim[32];
        snprintf(lim, sizeof lim, "%.4f", l && l->has_cpu ? l->cpu : 0);
        printf("  %-10s %-14s %.4f\n", "cpu", l && l->has_cpu ? lim : "none",
               u ? u->cpu : 0);
        plc_qty_format(PLC_QTY_RATE, l && l->bandwidth ? l->bandwidth->bps : 0,
                       a, sizeof a);
        plc_qty_format(PLC_QTY_RATE, u && u->bandwidth ? u->bandwidth->bps : 0,
                       b, sizeof b);
        printf("  %-10s %-14s %s\n", "bandwidth",
               l && l->bandwidth ? a : "none", b);
        snprintf(lim, sizeof lim, "%u", l ? l->workflows : 0);
        printf("  %-10s %-14s %u\n", "workflows",
               l && l->has_workflows ? lim : "none", u ? u->workflows : 0);
    }
    placer__response__free_unpacked(r, NULL);
    return code;
}
