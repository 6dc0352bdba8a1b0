/* cmd_trace.c: `placer trace swf`: a log in the Standard Workload Format
 * of the Parallel Workloads Archive (version 2.2) as a placer simulate
 * trace: each job a copy of a chosen workflow, submitted at its submit
 * time and holding for its run time. */
#include "cli.h"
#include "plc/buf.h"
#include "plc/limits.h"

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

static const char *const field_names[18] = {"job number",
                                            "submit time",
                                            "wait time",
                                            "run time",
                                            "allocated processors",
                                            "average CPU time",
                                            "used memory",
                                            "requested processors",
                                            "requested time",
                                            "requested memory",
                                            "status",
                                            "user",
                                            "group",
                                            "executable",
                                            "queue",
                                            "partition",
                                            "preceding job",
                                            "think time"};

#define MAX_QUEUES 64

struct job {
    double submit, run;
    long number, queue;
    size_t line;
};

static int cmp_job(const void *a, const void *b)
{
    const struct job *x = a, *y = b;
    if (x->submit != y->submit)
        return x->submit < y->submit ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

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
    size_t cap = 1024, n = 0, unknown = 0, unmapped = 0;
    struct job *jobs = malloc(cap * sizeof *jobs);
    int code = jobs ? PLC_EXIT_OK : PLC_EXIT_SOFTWARE;
    char *p = text;
    for (size_t line = 1; code == PLC_EXIT_OK && p && *p; line++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char *s = p;
        p = nl ? nl + 1 : NULL;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (!*s || *s == ';')
            continue;
        double f[18];
        int k = 0;
        while (*s && *s != '\r' && code == PLC_EXIT_OK) {
            char *end;
            double v = strtod(s, &end);
            if (end == s ||
                (*end && *end != ' ' && *end != '\t' && *end != '\r') ||
                !isfinite(v)) {
                fprintf(stderr,
                        "%s:%zu: field %d (%s): not a number; an SWF job "
                        "line has 18 numbers separated by spaces, -1 where "
                        "unknown\n",
                        path, line, k + 1, k < 18 ? field_names[k] : "extra");
                code = PLC_EXIT_DATAERR;
                break;
            }
            if (k == 18) {
                fprintf(stderr,
                        "%s:%zu: more than 18 fields; an SWF job line has "
                        "18\n",
                        path, line);
                code = PLC_EXIT_DATAERR;
                break;
            }
            f[k++] = v;
            s = end;
            while (*s == ' ' || *s == '\t')
                s++;
        }
        if (code == PLC_EXIT_OK && k != 18) {
            fprintf(stderr,
                    "%s:%zu: %d fields; an SWF job line has 18 (field %d, "
                    "%s, is missing)\n",
                    path, line, k, k + 1, field_names[k]);
            code = PLC_EXIT_DATAERR;
        }
        if (code != PLC_EXIT_OK)
            break;
        if (f[1] < 0 || f[3] < 0) {
            unknown++;
            continue;
        }
        if (n == cap) {
            struct job *x = realloc(jobs, 2 * cap * sizeof *x);
            if (!x) {
                code = PLC_EXIT_SOFTWARE;
                break;
            }
            jobs = x;
            cap *= 2;
        }
        jobs[n++] = (struct job){f[1], f[3], (long)f[0], (long)f[14], line};
    }
    if (code == PLC_EXIT_OK) {
        qsort(jobs, n, sizeof *jobs, cmp_job);
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
