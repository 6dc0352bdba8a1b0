/* cmd_analyze.c: `placer analyze FILE`: the real-time interface of a guest
 * task set (FORMATS.md, MATH.md §5). */
#include "model/model.h"
#include "cli.h"
#include "proto/json.h"
#include "proto/load.h"
#include "sched/compose.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: placer analyze [--json] FILE\n"
    "\n"
    "The minimum CPU reservation under which a guest's own task set stays\n"
    "schedulable: for each candidate period, the least budget (rounded up\n"
    "to a whole microsecond) of a periodic resource inside which the tasks\n"
    "meet every deadline under the guest's scheduler, by the exact\n"
    "supply/demand test of compositional analysis (Shin & Lee; RT-Xen).\n"
    "\n"
    "FILE: {\"tasks\": [{\"wcet\": \"7ms\", \"period\": \"50ms\"}, ...],\n"
    "       \"scheduler\": \"edf\" | \"rm\" | \"dm\", \"periods\": "
    "[\"10ms\"]}\n"
    "A task's deadline defaults to its period. Without \"periods\" the\n"
    "candidates are 1, 2, 5, 10, 20, 50 and 100 ms.\n"
    "\n"
    "Options:\n"
    "  --json      print {\"schema\": 1, \"scheduler\", \"utilization\",\n"
    "              \"interfaces\": [{\"period_us\", \"budget_us\",\n"
    "              \"bandwidth\", \"feasible\", \"selected\"}], "
    "\"dedicated_cpu\"}\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 an interface exists, 1 none of the periods works,\n"
    "65 bad input, 66 file missing.\n";

static const uint64_t default_periods[] = {
    1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000};

/* Fill `res` (interfaces allocated with malloc, freed with the message). */
static int analyze(const Placer__AnalyzeInput *in, Placer__AnalyzeResult *res)
{
    size_t n = in->n_tasks;
    struct sched_task *t = malloc(n * sizeof *t);
    size_t np = in->n_periods
                    ? in->n_periods
                    : sizeof default_periods / sizeof *default_periods;
    uint64_t *per = malloc(np * sizeof *per);
    struct sched_interface *ifs = malloc(np * sizeof *ifs);
    if (!t || !per || !ifs) {
        free(t);
        free(per);
        free(ifs);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const Placer__Task *x = in->tasks[i];
        t[i] =
            (struct sched_task){x->wcet->ns, x->period->ns,
                                x->deadline ? x->deadline->ns : x->period->ns};
    }
    for (size_t i = 0; i < np; i++)
        per[i] = in->n_periods ? in->periods[i]->ns : default_periods[i];
    enum sched_policy pol =
        model_scheduler_policy(in->has_scheduler ? (int)in->scheduler : 0);
    res->has_schema = res->has_scheduler = res->has_utilization = 1;
    res->schema = 1;
    res->scheduler =
        in->has_scheduler ? in->scheduler : PLACER__SCHEDULER__SCHEDULER_EDF;
    res->utilization = sched_utilization(t, n);
    struct sched_resource cpu = sched_resource_dedicated();
    int ded = sched_schedulable(t, n, pol, &cpu);
    long best = ded < 0 ? ded : sched_select_interface(t, n, pol, per, np, ifs);
    int rc = best < -1 ? (int)best : 0;
    res->has_dedicated_cpu = 1;
    res->dedicated_cpu = ded == 1;
    res->interfaces = calloc(np, sizeof *res->interfaces);
    for (size_t i = 0; rc == 0 && res->interfaces && i < np; i++) {
        Placer__Interface *f = malloc(sizeof *f);
        if (!f) {
            rc = PLC_ENOMEM;
            break;
        }
        placer__interface__init(f);
        f->has_period_us = f->has_feasible = f->has_selected = 1;
        f->period_us = ifs[i].period_ns / 1000;
        f->feasible = ifs[i].feasible;
        f->selected = (long)i == best;
        if (ifs[i].feasible) {
            f->has_budget_us = f->has_bandwidth = 1;
            f->budget_us = ifs[i].budget_ns / 1000;
            f->bandwidth = ifs[i].bandwidth;
        }
        res->interfaces[res->n_interfaces++] = f;
    }
    if (!res->interfaces)
        rc = PLC_ENOMEM;
    free(t);
    free(per);
    free(ifs);
    return rc < 0 ? rc : (best >= 0 ? 0 : 1);
}

static void print_table(const Placer__AnalyzeInput *in,
                        const Placer__AnalyzeResult *r)
{
    char name[16];
    proto_enum_json_name(&placer__scheduler__descriptor, (int)r->scheduler,
                         name, sizeof name);
    printf("task set: %zu task%s, utilization %.4f, scheduler %s\n",
           in->n_tasks, in->n_tasks == 1 ? "" : "s", r->utilization, name);
    printf("on a dedicated CPU: %s\n",
           r->dedicated_cpu ? "schedulable" : "not schedulable");
    printf("\n  %-10s %-12s %s\n", "period", "budget", "bandwidth");
    for (size_t i = 0; i < r->n_interfaces; i++) {
        const Placer__Interface *f = r->interfaces[i];
        if (!f->feasible) {
            printf("  %-10s %-12s not schedulable with any budget\n",
                   cli_qty(PLC_QTY_TIME, f->period_us * 1000), "-");
            continue;
        }
        printf("  %-10s %-12s %.4f%s\n",
               cli_qty(PLC_QTY_TIME, f->period_us * 1000),
               cli_qty(PLC_QTY_TIME, f->budget_us * 1000), f->bandwidth,
               f->selected ? "   <- least bandwidth" : "");
    }
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool json = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'j')
            json = true;
        else if (ch == 'h') {
            fputs(help, stdout);
            return PLC_EXIT_OK;
        } else
            return cli_usage("analyze", "unknown option");
    }
    if (optind + 1 != argc)
        return cli_usage("analyze", "give one FILE");
    struct proto_doc doc = PROTO_DOC_INIT;
    int rc = cli_load_doc(&doc, argv[optind], PROTO_DOC_ANALYZE);
    if (rc != PLC_EXIT_OK) {
        proto_doc_release(&doc);
        return rc;
    }
    const Placer__AnalyzeInput *in = (const void *)doc.msg;
    Placer__AnalyzeResult res;
    placer__analyze_result__init(&res);
    rc = analyze(in, &res);
    int code;
    if (rc < 0) {
        cli_error("cannot analyze '%s' (%s)", doc.name, plc_strerror(rc));
        code = PLC_EXIT_SOFTWARE;
    } else {
        code = rc == 0 ? PLC_EXIT_OK : PLC_EXIT_NEGATIVE;
        if (json) {
            int prc = cli_print_json(
                proto_message_to_json(&res.base, PROTO_JSON_EMPTY_ARRAYS));
            if (prc != PLC_EXIT_OK)
                code = prc;
        } else {
            print_table(in, &res);
        }
    }
    for (size_t i = 0; i < res.n_interfaces; i++)
        free(res.interfaces[i]);
    free(res.interfaces);
    proto_doc_release(&doc);
    return code;
}
