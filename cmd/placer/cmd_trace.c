/* cmd_trace.c: `placer trace swf`: a log in the Standard Workload Format
 * of the Parallel Workloads Archive (version 2.2) as a placer simulate
 * trace: each job a copy of a chosen workflow, submitted at its submit
 * time and holding for its run time. */
#include "cli.h"
#include "plc/buf.h"
#include "plc/limits.h"
#include "sim/sim.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: placer trace swf [OPTIONS] LOG.swf\n"
    "\n"
    "Convert a workload log in the Standard Workload Format (SWF 2.2, the\n"
    "Parallel Workloads Archive's) into a placer simulate trace on stdout\n"
    "(JSON lines, docs/formats.md): each job becomes a copy of a workflow,\n"
    "submitted at its submit time (field 2) and holding its reservations\n"
    "for its run time (field 4; a run time of 0, under half a second in\n"
    "the log, holds 0.5 s). Header comments (';') are skipped; jobs whose\n"
    "submit or run time is unknown (-1) are skipped and counted on stderr.\n"
    "\n"
    "Options:\n"
    "  --workflow NAME   the workflow every job is a copy of (required\n"
    "                    unless --queue maps every queue in the log)\n"
    "  --queue Q=NAME    jobs of queue Q (field 15) are copies of NAME;\n"
    "                    repeatable; other queues take --workflow\n"
    "  --scale F         multiply times by F (default 1: seconds as in the\n"
    "                    log; 0.001 makes a second of log a millisecond)\n"
    "  --max N           the first N jobs converted only\n"
    "\n"
    "Exit status: 0 converted, 64 usage, 65 a malformed line (named with\n"
    "its line and field), 66 the log missing.\n";

#define MAX_QUEUES 64

/* A time as a quantity: whole nanoseconds. */
static void put_time(double s)
{
    char b[PLC_QTY_BUFSZ];
    long long ns = llround(s * 1e9);
    plc_qty_format(PLC_QTY_TIME, ns > 0 ? (uint64_t)ns : 0, b, sizeof b);
    printf("\"%s\"", b);
}

static int swf(int argc, char **argv)
{
    enum { O_WF = 256, O_Q, O_SCALE, O_MAX };
    static const struct option opts[] = {
        {"workflow", required_argument, 0, O_WF},
        {"queue", required_argument, 0, O_Q},
        {"scale", required_argument, 0, O_SCALE},
        {"max", required_argument, 0, O_MAX},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *wf = NULL;
    long qn[MAX_QUEUES];
    const char *qw[MAX_QUEUES];
    size_t nq = 0;
    double scale = 1;
    long max = -1;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_WF:
            wf = optarg;
            break;
        case O_Q: {
            char *eq = strchr(optarg, '='), *end;
            long q = eq ? strtol(optarg, &end, 10) : 0;
            if (!eq || end != eq || eq == optarg || !eq[1] || nq == MAX_QUEUES)
                return cli_usage("trace swf",
                                 "--queue: give QUEUE=WORKFLOW (a queue "
                                 "number, at most %d of them), not '%s'",
                                 MAX_QUEUES, optarg);
            qn[nq] = q;
            qw[nq++] = eq + 1;
            break;
        }
        case O_SCALE: {
            char *end;
            scale = strtod(optarg, &end);
            if (*end || !(scale > 0) || !isfinite(scale))
                return cli_usage("trace swf",
                                 "--scale: a number above 0, not '%s'", optarg);
            break;
        }
        case O_MAX:
            if (!cli_parse_int("--max", optarg, 1, 100000000, &max))
                return PLC_EXIT_USAGE;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("trace swf", "unknown option");
        }
    }
    if (argc - optind != 1)
        return cli_usage("trace swf", "give one LOG.swf file");
    if (!wf && nq == 0)
        return cli_usage("trace swf",
                         "name the workflow: --workflow NAME or --queue "
                         "Q=NAME");
    const char *path = argv[optind];
    char *text = NULL;
    size_t len = 0;
    struct plc_error err = PLC_ERROR_INIT;
    if (plc_read_file(path, PLC_INPUT_FILE_MAX, &text, &len, &err) < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(err.code);
    }
    struct sim_swf_job *jobs = NULL;
    size_t n = 0, unknown = 0, unmapped = 0;
    int rc = sim_swf_parse(path, text, len, &jobs, &n, &unknown, &err);
    int code = PLC_EXIT_OK;
    if (rc == PLC_EDATA) {
        fprintf(stderr, "%s\n", err.msg);
        code = PLC_EXIT_DATAERR;
    } else if (rc < 0) {
        cli_error("%s", err.msg);
        code = plc_exit_code(rc);
    }
    if (code == PLC_EXIT_OK) {
        size_t out = 0;
        for (size_t i = 0; i < n && (max < 0 || (long)out < max); i++) {
            const char *name = wf;
            for (size_t q = 0; q < nq; q++)
                if (qn[q] == jobs[i].queue)
                    name = qw[q];
            if (!name) {
                unmapped++;
                continue;
            }
            fputs("{\"t\": ", stdout);
            put_time(jobs[i].submit * scale);
            printf(", \"op\": \"submit\", \"workflow\": ");
            json_t *js = json_string(name);
            char *q = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
            fputs(q ? q : "\"\"", stdout);
            free(q);
            json_decref(js);
            printf(", \"name\": \"job-%ld\", \"hold\": ", jobs[i].number);
            put_time(fmax(jobs[i].run, 0.5) * scale);
            fputs("}\n", stdout);
            out++;
        }
        if (fflush(stdout) != 0)
            code = PLC_EXIT_SOFTWARE;
        fprintf(stderr,
                "placer trace swf: %zu jobs converted; %zu skipped (submit "
                "or run time unknown), %zu of queues not mapped\n",
                out, unknown, unmapped);
    }
    free(jobs);
    free(text);
    return code;
}

int cmd_trace(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "swf"))
        return swf(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(help, stdout);
        return PLC_EXIT_OK;
    }
    return cli_usage("trace", "the one format is 'swf': placer trace swf "
                              "[OPTIONS] LOG.swf");
}
