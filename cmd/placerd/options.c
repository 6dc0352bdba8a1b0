/*
 * options.c: placerd's command line and its config file (INI, read with
 * libinih: "name = value", # or ; comments, an optional [placerd]
 * section).  The command line wins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"
#include "plc/error.h"
#include "plc/log.h"
#include "plc/version.h"

static const char help[] =
    "Usage: placerd [OPTIONS]\n"
    "\n"
    "The placer service: keeps the cluster and every admitted workflow's\n"
    "reservations in a SQLite file, admits workflows one at a time against\n"
    "what is left, and answers the online commands of 'placer'. Node\n"
    "agents (placer-agent) register their hosts; each gets the\n"
    "reservations of its host when it registers and as admissions,\n"
    "releases and bindings become durable, and acknowledges each; failures\n"
    "are retried (1 s, doubling to 30 s). A host whose agent misses three\n"
    "heartbeats is down: nothing new is placed there.\n"
    "\n"
    "Options:\n"
    "  --db FILE              the store (default ./placer.db); created and\n"
    "                         migrated to the newest schema when opened\n"
    "  --listen ENDPOINT      clients (default tcp://127.0.0.1:7460)\n"
    "  --agents-listen ENDPOINT\n"
    "                         node agents (default tcp://127.0.0.1:7461)\n"
    "  --insecure-clients     serve client requests without a token (as an\n"
    "                         admin); only on an ipc:// or loopback\n"
    "                         --listen (demos, tests). Without it every\n"
    "                         client request carries a bearer token\n"
    "  --insecure-agents      accept agents without CURVE keys; only on an\n"
    "                         ipc:// or loopback --agents-listen (demos)\n"
    "  --server-key FILE      CURVE on the agents' socket: placerd's secret\n"
    "                         key (placer keygen's PATH.key)\n"
    "  --agent-keys DIR       ...and the agents it accepts: their *.pub\n"
    "                         files; others are refused and logged\n"
    "  --client-keys DIR      ...and CURVE on --listen: the clients it\n"
    "                         accepts, DIR/TENANT.pub acting for TENANT and\n"
    "                         DIR/admins/NAME.pub as an admin (placer\n"
    "                         --server-pub --key); others are refused\n"
    "  --http ADDRESS:PORT    serve the HTTP/JSON API there (default: not\n"
    "                         served; 127.0.0.1:7480 is the usual port);\n"
    "                         every request needs a bearer token (placerd\n"
    "                         token --help); off loopback HTTPS only\n"
    "  --http-cert FILE       HTTPS: the server's certificate (PEM)...\n"
    "  --http-key FILE        ...and its private key (PEM)\n"
    "  --config FILE          options as 'name = value' lines (the names\n"
    "                         of the long options; # comments; optionally\n"
    "                         under [placerd]; insecure-agents = true);\n"
    "                         the command line wins\n"
    "  --log-level LEVEL      error | warn | info (default) | debug\n"
    "  --queue N              admissions that may wait (default 64); more\n"
    "                         are answered 'busy' (exit 75 in placer)\n"
    "  --check                check the store (SQLite's integrity_check and\n"
    "                         foreign_key_check; exit 65 listing what is\n"
    "                         damaged), migrate it, check its totals and\n"
    "                         stored cluster, print its schema version, and\n"
    "                         exit\n"
    "  -h, --help             show this help\n"
    "      --version          print the version and exit\n"
    "\n"
    "placerd [--db FILE] token create|list|revoke ...: bearer tokens made\n"
    "in the store on this host (placerd token --help); the first admin\n"
    "token comes from here.\n"
    "\n"
    "SIGTERM or SIGINT: stop taking requests, finish the admission in\n"
    "progress, answer the waiting ones 'busy', and exit 0.\n";

static int set_level(const char *s)
{
    if (plc_log_set_level(s))
        return 0;
    fprintf(stderr,
            "placerd: --log-level: unknown level '%s' (accepted: error, "
            "warn, info, debug)\n",
            s);
    return -1;
}

/* A config file's key, for read_config() (inih calls it per key). */
struct config_ctx {
    struct options *opt;
    char why[320]; /* the first problem, without its line */
};

static int config_key(void *user, const char *section, const char *name,
                      const char *value)
{
    struct config_ctx *c = user;
    struct options *o_ = c->opt;
    if (section[0] && strcmp(section, "placerd")) {
        snprintf(c->why, sizeof c->why,
                 "unknown section [%s] (keys go before any section, or in "
                 "[placerd])",
                 section);
        return 0;
    }
    if (!value[0]) {
        snprintf(c->why, sizeof c->why, "'%s' needs a value (%s = VALUE)", name,
                 name);
        return 0;
    }
    const char **slot = !strcmp(name, "db")              ? &o_->db
                        : !strcmp(name, "listen")        ? &o_->listen
                        : !strcmp(name, "agents-listen") ? &o_->agents
                        : !strcmp(name, "log-level")     ? &o_->level
                        : !strcmp(name, "server-key")    ? &o_->server_key
                        : !strcmp(name, "agent-keys")    ? &o_->agent_keys
                        : !strcmp(name, "client-keys")   ? &o_->client_keys
                        : !strcmp(name, "http")          ? &o_->http
                        : !strcmp(name, "http-cert")     ? &o_->http_cert
                        : !strcmp(name, "http-key")      ? &o_->http_key
                                                         : NULL;
    if (slot) {
        if (!strcmp(name, "log-level") && strcmp(value, "error") &&
            strcmp(value, "warn") && strcmp(value, "info") &&
            strcmp(value, "debug")) {
            snprintf(c->why, sizeof c->why,
                     "log-level: unknown level '%.64s' (accepted: error, "
                     "warn, info, debug)",
                     value);
            return 0;
        }
        if (!*slot && o_->n_owned < (int)(sizeof o_->owned / sizeof *o_->owned))
            *slot = o_->owned[o_->n_owned++] = strdup(value);
        return 1;
    }
    if (!strcmp(name, "queue")) {
        char *end;
        long q = strtol(value, &end, 10);
        if (*end || q < 1 || q > 1000000) {
            snprintf(c->why, sizeof c->why,
                     "queue: '%.64s' is not a whole number from 1 to "
                     "1000000",
                     value);
            return 0;
        }
        if (o_->queue == 0)
            o_->queue = q;
        return 1;
    }
    if (!strcmp(name, "insecure-agents") || !strcmp(name, "insecure-clients")) {
        bool yes = !strcmp(value, "true") || !strcmp(value, "yes");
        if (!yes && strcmp(value, "false") && strcmp(value, "no")) {
            snprintf(c->why, sizeof c->why, "%s: '%.64s' is not true or false",
                     name, value);
            return 0;
        }
        if (!strcmp(name, "insecure-agents"))
            o_->insecure_agents |= yes;
        else
            o_->insecure_clients |= yes;
        return 1;
    }
    snprintf(c->why, sizeof c->why,
             "unknown key '%.64s' (accepted: db, listen, agents-listen, "
             "log-level, queue, server-key, agent-keys, client-keys, "
             "insecure-agents, "
             "insecure-clients, http, http-cert, http-key)",
             name);
    return 0;
}

/* Options from a config file (INI: "name = value", # or ; comments, an
 * optional [placerd] section), for those the command line left unset.
 * 0, 66 unreadable, 65 a problem, named with its line. */
static int read_config(struct options *opt, const char *path)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(stderr, "placerd: --config: cannot read '%s' (%s)\n", path,
                strerror(errno));
        if (f)
            fclose(f);
        return PLC_EXIT_NOINPUT;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
        fprintf(stderr,
                "placerd: --config: '%s' is %s; give a regular file of at "
                "most 1 MiB\n",
                path,
                S_ISDIR(st.st_mode)    ? "a directory"
                : !S_ISREG(st.st_mode) ? "not a regular file"
                                       : "larger than 1 MiB");
        fclose(f);
        return PLC_EXIT_DATAERR;
    }
    struct config_ctx c = {opt, ""};
    int line = ini_parse_file(f, config_key, &c);
    fclose(f);
    if (line == 0)
        return 0;
    if (line < 0) {
        fprintf(stderr, "placerd: --config: cannot read '%s'\n", path);
        return line == -2 ? PLC_EXIT_SOFTWARE : PLC_EXIT_NOINPUT;
    }
    fprintf(stderr, "placerd: %s:%d: %s\n", path, line,
            c.why[0] ? c.why
                     : "expected 'name = value', a [section] or a comment");
    return PLC_EXIT_DATAERR;
}

static bool local_endpoint(const char *e)
{
    return !strncmp(e, "ipc://", 6) || !strncmp(e, "tcp://127.", 10) ||
           !strncmp(e, "tcp://[::1]", 11) ||
           !strncmp(e, "tcp://localhost:", 16);
}

int options_parse(struct options *o, int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_LISTEN,
        O_AGENTS,
        O_CONFIG,
        O_LEVEL,
        O_QUEUE,
        O_CHECK,
        O_INSECURE,
        O_SKEY,
        O_AKEYS,
        O_HTTP,
        O_HTTP_CERT,
        O_HTTP_KEY,
        O_INSECURE_CLIENTS,
        O_CKEYS
    };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB},
        {"listen", required_argument, 0, O_LISTEN},
        {"agents-listen", required_argument, 0, O_AGENTS},
        {"config", required_argument, 0, O_CONFIG},
        {"log-level", required_argument, 0, O_LEVEL},
        {"queue", required_argument, 0, O_QUEUE},
        {"check", no_argument, 0, O_CHECK},
        {"insecure-agents", no_argument, 0, O_INSECURE},
        {"server-key", required_argument, 0, O_SKEY},
        {"agent-keys", required_argument, 0, O_AKEYS},
        {"http", required_argument, 0, O_HTTP},
        {"http-cert", required_argument, 0, O_HTTP_CERT},
        {"http-key", required_argument, 0, O_HTTP_KEY},
        {"insecure-clients", no_argument, 0, O_INSECURE_CLIENTS},
        {"client-keys", required_argument, 0, O_CKEYS},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    int ch;
    /* "+": options end at the first word (placerd ... token create ...) */
    while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (ch) {
        case O_DB:
            o->db = optarg;
            break;
        case O_LISTEN:
            o->listen = optarg;
            break;
        case O_AGENTS:
            o->agents = optarg;
            break;
        case O_CONFIG:
            o->config = optarg;
            break;
        case O_LEVEL:
            o->level = optarg;
            break;
        case O_QUEUE:
            o->queue = atol(optarg);
            if (o->queue < 1) {
                fputs("placerd: --queue must be at least 1\n", stderr);
                return PLC_EXIT_USAGE;
            }
            break;
        case O_CHECK:
            o->check = true;
            break;
        case O_INSECURE:
            o->insecure_agents = true;
            break;
        case O_SKEY:
            o->server_key = optarg;
            break;
        case O_AKEYS:
            o->agent_keys = optarg;
            break;
        case O_HTTP:
            o->http = optarg;
            break;
        case O_HTTP_CERT:
            o->http_cert = optarg;
            break;
        case O_HTTP_KEY:
            o->http_key = optarg;
            break;
        case O_INSECURE_CLIENTS:
            o->insecure_clients = true;
            break;
        case O_CKEYS:
            o->client_keys = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case 'V':
            puts("placerd " PLC_VERSION);
            return 0;
        default:
            fputs("Try 'placerd --help'.\n", stderr);
            return PLC_EXIT_USAGE;
        }
    }
    if (optind < argc && !strcmp(argv[optind], "token")) {
        o->token_argc = argc - optind;
        o->token_argv = argv + optind;
    } else if (optind != argc) {
        fprintf(stderr,
                "placerd: unexpected argument '%s'\nTry 'placerd "
                "--help'.\n",
                argv[optind]);
        return PLC_EXIT_USAGE;
    }
    if (o->config) {
        int rc = read_config(o, o->config);
        if (rc)
            return rc;
    }
    if (!o->db)
        o->db = "placer.db";
    if (!o->listen)
        o->listen = "tcp://127.0.0.1:7460";
    if (!o->agents)
        o->agents = "tcp://127.0.0.1:7461";
    if (o->level && set_level(o->level) < 0)
        return PLC_EXIT_USAGE;
    /* agents and clients without keys or tokens only where no one else
     * can reach them */
    if (o->insecure_clients && !local_endpoint(o->listen)) {
        fprintf(stderr,
                "placerd: --insecure-clients only on an ipc:// or loopback "
                "--listen (got '%s'); elsewhere clients carry tokens\n",
                o->listen);
        return PLC_EXIT_USAGE;
    }
    bool local = local_endpoint(o->agents);
    if (o->insecure_agents && !local) {
        fprintf(stderr,
                "placerd: --insecure-agents only on an ipc:// or loopback "
                "--agents-listen (got '%s')\n",
                o->agents);
        return PLC_EXIT_USAGE;
    }
    if ((o->http_cert || o->http_key) && !o->http) {
        fputs("placerd: --http-cert and --http-key need --http\n", stderr);
        return PLC_EXIT_USAGE;
    }
    if (!o->server_key != !(o->agent_keys || o->client_keys)) {
        fputs("placerd: --server-key goes with --agent-keys, --client-keys "
              "or both\n",
              stderr);
        return PLC_EXIT_USAGE;
    }
    return -1;
}

void options_release(struct options *o)
{
    for (int i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    o->n_owned = 0;
}
