/*
 * token.c: `placerd --db FILE token create|list|revoke`, tokens made on
 * placerd's own host, straight in its store: how the first admin token
 * comes to be (whoever may write the store file may do anything placerd
 * does).  A running placerd sees them at once: it reads a token's row
 * for every request that carries one.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc/clock.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "proto/validate.h"
#include "store/store.h"
#include "token.h"

static const char help[] =
    "Usage: placerd [--db FILE] token create (--admin | --tenant T)\n"
    "                                  [--expires DURATION] [--note TEXT]\n"
    "       placerd [--db FILE] token list\n"
    "       placerd [--db FILE] token revoke ID\n"
    "\n"
    "Bearer tokens for placerd's HTTP API and client socket, made in the\n"
    "store on placerd's own host (the first admin token comes from here;\n"
    "with it, 'placer token create' and POST /v1/tokens make the rest).\n"
    "The token is printed once; only its hash is kept. A running placerd\n"
    "accepts it at once.\n"
    "\n"
    "  --admin            the token may do everything, for every tenant\n"
    "  --tenant T         the token acts for tenant T only\n"
    "  --expires DURATION it stops working after DURATION (3600s, 90s)\n"
    "  --note TEXT        a note shown by 'token list'\n";

static int usage(const char *why)
{
    fprintf(stderr, "placerd token: %s\nTry 'placerd token --help'.\n", why);
    return PLC_EXIT_USAGE;
}

static int print_token(void *arg, const struct store_token *t)
{
    (void)arg;
    int64_t now = plc_wall_us();
    printf("%-6" PRId64 " %-8s %-20s %-10s %s\n", t->id,
           t->admin ? "admin" : "tenant", t->admin ? "-" : t->tenant,
           t->revoked_us                           ? "revoked"
           : t->expires_us && t->expires_us <= now ? "expired"
                                                   : "valid",
           t->note);
    return 0;
}

int token_command(const char *db, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? PLC_EXIT_USAGE : 0;
    }
    const char *verb = argv[1];
    bool admin = false;
    const char *tenant = NULL, *expires = NULL, *note = NULL;
    static const struct option opts[] = {{"admin", no_argument, 0, 'a'},
                                         {"tenant", required_argument, 0, 't'},
                                         {"expires", required_argument, 0, 'e'},
                                         {"note", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    /* the words after "token": the verb stands where a program name
     * would (optind 0 starts getopt afresh) */
    argc--;
    argv++;
    optind = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'a':
            admin = true;
            break;
        case 't':
            tenant = optarg;
            break;
        case 'e':
            expires = optarg;
            break;
        case 'n':
            note = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            return usage("unknown option");
        }
    }
    int64_t expires_us = 0, id = 0;
    if (!strcmp(verb, "create")) {
        if (optind != argc)
            return usage("create takes options only");
        if (admin == (tenant != NULL))
            return usage("give --admin or --tenant T (one of them)");
        if (tenant && !proto_name_valid(tenant))
            return usage("--tenant: a name is 1 to 63 of A-Z a-z 0-9 . _ -");
        if (expires) {
            uint64_t ns;
            struct plc_error e = PLC_ERROR_INIT;
            if (plc_qty_parse(PLC_QTY_TIME, expires, &ns, &e) < 0 ||
                ns < 1000000000ULL) {
                fprintf(stderr, "placerd token: --expires: %s\n",
                        e.msg[0] ? e.msg : "at least 1s");
                return PLC_EXIT_USAGE;
            }
            expires_us = plc_wall_us() + (int64_t)(ns / 1000);
        }
    } else if (!strcmp(verb, "revoke")) {
        char *end = NULL;
        if (optind + 1 != argc || (id = strtoll(argv[optind], &end, 10)) <= 0 ||
            *end)
            return usage("revoke takes the token's id (placerd token list)");
    } else if (strcmp(verb, "list") || optind != argc) {
        return usage("give create, list or revoke");
    }
    struct store *st;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_open(db, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd token: %s\n", err.msg);
        return plc_exit_code(rc);
    }
    if (!strcmp(verb, "create")) {
        char token[STORE_TOKEN_MAX];
        rc = store_token_create(st, tenant, admin, expires_us, note, token, &id,
                                &err);
        if (rc == 0) {
            puts(token);
            fprintf(stderr,
                    "placerd token: token %" PRId64 " for %s%s%s; it is shown "
                    "this once, keep it\n",
                    id, admin ? "an admin" : "tenant ", admin ? "" : tenant,
                    expires ? ", expiring" : "");
        }
    } else if (!strcmp(verb, "revoke")) {
        rc = store_token_revoke(st, id, &err);
        if (rc == 0)
            printf("token %" PRId64 " revoked\n", id);
    } else {
        printf("%-6s %-8s %-20s %-10s %s\n", "ID", "KIND", "TENANT", "STATE",
               "NOTE");
        rc = store_token_each(st, print_token, NULL, &err);
    }
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "placerd token: %s\n", err.msg);
        return rc == PLC_ENOENT ? PLC_EXIT_NEGATIVE : plc_exit_code(rc);
    }
    return 0;
}
