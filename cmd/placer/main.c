/*
 * placer: the command line of the placement and admission-control service.
 * One table of commands; each command parses its own options and returns
 * its exit code (FORMATS.md).
 */
#include "plc/version.h"
#include "cli.h"

#include <string.h>

static const struct cli_cmd commands[] = {
    {"validate", "check cluster and workflow files, naming every problem",
     cmd_validate},
    {"cluster", "generate, import and summarise cluster files", cmd_cluster},
    {"plan", "the optimal plan of a workflow on a cluster file, or why none",
     cmd_plan},
    {"analyze", "the minimum CPU reservation of a guest's real-time task set",
     cmd_analyze},
    {"capacity",
     "how many more copies of a workflow (or a mix) a cluster takes",
     cmd_capacity},
    {"simulate",
     "compare policies and what-if clusters over simulated arrivals",
     cmd_simulate},
    {"trace", "a Standard Workload Format log as placer simulate's trace",
     cmd_trace},
    {"submit", "admit a workflow on placerd's cluster, durably, or say why not",
     cmd_submit},
    {"status", "an admitted workflow's plan and state", cmd_status},
    {"list", "the admitted workflows", cmd_list},
    {"release", "release an admitted workflow's reservations", cmd_release},
    {"bind", "attach a reservation to a process or a flow", cmd_bind},
    {"hosts", "placerd's hosts and what is reserved on them", cmd_hosts},
    {"keygen", "a CURVE key pair for placerd and its agents", cmd_keygen},
    {"token", "make, list and revoke bearer tokens (admin)", cmd_token},
    {"quota", "set or read a tenant's quota", cmd_quota},
};

static void usage(FILE *out)
{
    fputs(
        "Usage: placer [--server ENDPOINT] [--token TOKEN | --server-pub FILE "
        "--key FILE]\n"
        "              COMMAND [OPTIONS] [ARGS]\n"
        "\n"
        "placer decides whether a cluster can host a latency-bounded\n"
        "workflow with a probabilistic end-to-end guarantee, where every\n"
        "service runs and which CPU and bandwidth it reserves.\n"
        "\n"
        "Commands:\n",
        out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs(
        "\n"
        "The online commands (submit, status, list, release, bind,\n"
        "hosts, cluster apply) talk to placerd at --server ENDPOINT (default\n"
        "tcp://127.0.0.1:7460), as the tenant of --token TOKEN (or of\n"
        "$PLACER_TOKEN; an admin's token acts for every tenant), or over\n"
        "CURVE with --server-pub (placerd's public key) and --key (this\n"
        "client's secret key, placer keygen), as the tenant its public key\n"
        "stands for in placerd's --client-keys.\n"
        "\n"
        "Run 'placer COMMAND --help' for the options of a command.\n"
        "File formats: docs/formats.md (and man placer); examples/.\n"
        "\n"
        "Exit status: 0 success, 1 negative answer, 64 usage error,\n"
        "65 bad input data, 66 input file missing, 69 placerd\n"
        "unreachable, 70 internal error, 75 busy (retry), 77 not\n"
        "permitted (no valid token, or not this token's to do).\n",
        out);
}

int main(int argc, char **argv)
{
    /* global options before the command: --server, --token */
    const char *env_token = getenv("PLACER_TOKEN");
    if (env_token && env_token[0])
        cli_token = env_token;
    while (argc > 2) {
        const char *a = argv[1];
        size_t n = !strncmp(a, "--server-pub", 12) ? 12
                   : !strncmp(a, "--server", 8)    ? 8
                   : !strncmp(a, "--token", 7)     ? 7
                   : !strncmp(a, "--key", 5)       ? 5
                                                   : 0;
        const char *v;
        if (n && a[n] == '=') {
            v = a + n + 1;
            argv++;
            argc--;
        } else if (n && a[n] == '\0') {
            v = argv[2];
            argv += 2;
            argc -= 2;
        } else {
            break;
        }
        if (n == 8) {
            cli_server = v;
            cli_server_given = true;
        } else if (n == 12) {
            cli_server_pub = v;
        } else if (n == 5) {
            cli_key = v;
        } else {
            cli_token = v;
        }
    }
    if (argc < 2) {
        usage(stderr);
        return PLC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return PLC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("placer " PLC_VERSION);
        return PLC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "placer: unknown command '%s'\nTry 'placer --help'.\n",
            argv[1]);
    return PLC_EXIT_USAGE;
}
