/* cmd_plan.c: `placer plan`: the optimal plan of one workflow against a
 * cluster file, offline, with the same engine as the service. */
#include "cli.h"
#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* What the guarantee assumed: the arrival model and the platform. */
static void print_assumptions(const Placer__Guarantee *g)
{
    const Placer__Arrival *a = g->arrival;
    char arr[96] = "closed (the next job after the previous one completed)";
    if (a && a->arrival_case == PLACER__ARRIVAL__ARRIVAL_RATE && a->rate) {
        if (a->rate->period)
            snprintf(arr, sizeof arr, "periodic, every %s",
                     cli_qty(PLC_QTY_TIME, a->rate->period->ns));
        else if (a->rate->min_interarrival)
            snprintf(arr, sizeof arr, "sporadic, at least %s apart",
                     cli_qty(PLC_QTY_TIME, a->rate->min_interarrival->ns));
    }
    const char *pf = g->platform ? g->platform : "ideal";
    printf("  assumes    arrivals %s; platform %s%s\n", arr, pf,
           !strcmp(pf, "measured")
               ? " (overhead, wake-up latency, overrun counted)"
           : !strcmp(pf, "ideal")
               ? " (no host measured: the model's own bound, no kernel terms)"
               : " (some hosts without measured terms)");
}

static const char help[] =
    "Usage: placer plan --cluster CLUSTER.json [OPTIONS] WORKFLOW.json\n"
    "       placer --server ENDPOINT plan [OPTIONS] WORKFLOW.json\n"
    "\n"
    "Decide whether the cluster can host the workflow with its end-to-end\n"
    "deadline and probability, and if so where every service runs, which\n"
    "CPU reservation (budget/period, local deadline) it gets on which\n"
    "cores, and which route and bandwidth every virtual link gets. The plan\n"
    "minimises the objective and is proven optimal (by placer's exact\n"
    "search over hosts and reservations, or by the MILP solver, GLPK)\n"
    "when the solver status says 'optimal'; every plan is checked\n"
    "again outside the model (per-core EDF, memory, link rates, port\n"
    "network calculus, latency, probability) before it is printed. A\n"
    "rejection names the constraint family that makes it impossible, with\n"
    "its figures. Background load in the cluster file (host 'used',\n"
    "'memory_used', link 'used_rate') is respected.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE      the cluster (required, unless --server is given\n"
    "                      before the command: then placerd plans it against\n"
    "                      its live cluster and what it has admitted, and\n"
    "                      admits nothing, as 'placer submit --dry-run')\n"
    "  --objective KIND    utilization | cost | hosts | bandwidth | balance\n"
    "                      (default: the workflow's, else utilization)\n"
    "  --time-limit TIME   the whole plan's time limit, e.g. 2s, 500ms\n"
    "                      (default 2s): menus, model building and the\n"
    "                      solver all stop at it; the best plan found is\n"
    "                      returned with status 'feasible' and its gap, or,\n"
    "                      with none, a rejection of code 'timeout'\n"
    "  --json              print the plan document (schema 1)\n"
    "  --export-lp FILE    also write the model in CPLEX LP format, for\n"
    "                      glpsol --lp FILE or cbc FILE\n"
    "  -h, --help          show this help\n"
    "\n"
    "Reservation menus: without a 'reservation' in the workflow a service\n"
    "may use periods 1, 2, 5, 10, 20, 50, 100 ms, local deadlines of 1-4\n"
    "periods, and budgets at the steps of its execution-time distribution\n"
    "and every 5% of the period, in whole microseconds.\n"
    "\n"
    "Arrivals: the workflow's 'arrival' says how jobs are released:\n"
    "\"closed\" (the default: the next job after the previous one left),\n"
    "{\"period\": \"50ms\"} or {\"min_interarrival\": \"50ms\"}. With\n"
    "periodic or sporadic arrivals a job may find earlier ones still at its\n"
    "stage; the stage probabilities then include that backlog (the\n"
    "stationary lag of the server's deadline, Lindley's recursion), and a\n"
    "service whose mean demand reaches what its reservation supplies per\n"
    "release is rejected with both figures.\n"
    "\n"
    "Platform: a host's 'platform' block (or its agent's measurement, in\n"
    "placerd) adds what a real kernel adds to each job: the CPU it uses\n"
    "beyond its work (charged to its budget), its wake-up latency, and how\n"
    "far budgets overrun (charged to the core: (budget + overrun) / period).\n"
    "Measured figures are percentiles: a host with them never promises 1.\n"
    "The guarantee line 'assumes' says which arrival model and platform\n"
    "the figures rest on.\n"
    "\n"
    "Exit status: 0 admitted, 1 rejected, 64 usage, 65 bad input, 66 file\n"
    "missing, 70 internal error.\n";

int cli_objective(const char *s)
{
    static const char *const names[] = {"utilization", "cost", "hosts",
                                        "bandwidth", "balance"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i]))
            return i + 1; /* PLACER__OBJECTIVE__OBJECTIVE_* */
    return 0;
}

void cli_print_plan(const Placer__Plan *d)
{
    char kind[32] = "", st[32] = "";
    if (d->solver)
        proto_enum_json_name(&placer__solver_status__descriptor,
                             (int)d->solver->status, st, sizeof st);
    if (!d->admitted) {
        char code[32] = "";
        if (d->rejection)
            proto_enum_json_name(&placer__rejection_code__descriptor,
                                 (int)d->rejection->code, code, sizeof code);
        printf("workflow %s: REJECTED (%s)\n  %s\n", d->workflow, code,
               d->rejection ? d->rejection->message : "");
        if (d->solver)
            printf("  solver: %s, %.1f ms\n", st, d->solver->time_ms);
        return;
    }
    proto_enum_json_name(&placer__objective__descriptor,
                         (int)d->objective->kind, kind, sizeof kind);
    printf("workflow %s: ADMITTED\n", d->workflow);
    printf("  objective  %s = %.6g\n", kind, d->objective->value);
    const char *proof =
        !d->solver->has_proof ? ""
        : d->solver->proof == PLACER__PROOF__PROOF_DYNAMIC_PROGRAM
            ? " (the plan meets the dynamic-program bound)"
        : d->solver->proof == PLACER__PROOF__PROOF_TIMING_RELAXATION
            ? " (the plan meets the proven optimum of its timing relaxation)"
        : d->solver->proof == PLACER__PROOF__PROOF_EXACT_SEARCH
            ? " (exact search over hosts and reservations)"
            : " (branch and bound)";
    const char *scope =
        d->solver->has_scope && d->solver->scope == PLACER__SCOPE__SCOPE_LOCAL
            ? " on the hosts near the workflow, against a relaxation of the "
              "whole cluster"
            : "";
    printf("  solver     %s%s%s, gap %.4g, bound %.6g, %.1f ms, %llu nodes\n",
           st, proof, scope, d->solver->gap, d->solver->bound,
           d->solver->time_ms, (unsigned long long)d->solver->nodes);
    const Placer__Guarantee *g = d->guarantee;
    if (g->has_deadline_us)
        printf("  guarantee  latency bound %s <= deadline %s; P(on time) >= "
               "%.6f (%s model), exact %.6f, target %.6f\n",
               cli_qty(PLC_QTY_TIME, g->latency_bound_us * 1000),
               cli_qty(PLC_QTY_TIME, g->deadline_us * 1000),
               g->probability_bound,
               g->probability_model ==
                       PLACER__PROBABILITY_MODEL__PROBABILITY_MODEL_INDEPENDENT
                   ? "independent"
                   : "union",
               g->probability_exact, g->probability_target);
    else
        printf("  guarantee  no deadline; latency bound %s\n",
               cli_qty(PLC_QTY_TIME, g->latency_bound_us * 1000));
    print_assumptions(g);
    /* hosts that take CPU time from their guests (steal) */
    uint64_t most = 0;
    const char *where = NULL;
    for (size_t i = 0; i < d->n_services; i++)
        if (d->services[i]->has_supply_delay_us &&
            d->services[i]->supply_delay_us > most) {
            most = d->services[i]->supply_delay_us;
            where = d->services[i]->host;
        }
    if (where)
        printf("  steal      the hosts take CPU time from their guests: each "
               "stage's deadline includes a supply delay (up to %s, on %s)\n",
               cli_qty(PLC_QTY_TIME, most * 1000), where);
    printf("\n  %-14s %-16s %-7s %-9s %-8s %-9s %-7s %s\n", "service", "host",
           "cores", "budget", "period", "deadline", "util", "phi");
    for (size_t i = 0; i < d->n_services; i++) {
        const Placer__PlacedService *s = d->services[i];
        /* runs of consecutive cores as ranges: "0-99", "0,2,5-7" */
        char cores[256] = "";
        for (size_t k = 0; k < s->n_cores;) {
            size_t e = k;
            while (e + 1 < s->n_cores && s->cores[e + 1] == s->cores[e] + 1)
                e++;
            size_t at = strlen(cores);
            if (e > k)
                snprintf(cores + at, sizeof cores - at, "%s%u-%u", k ? "," : "",
                         s->cores[k], s->cores[e]);
            else
                snprintf(cores + at, sizeof cores - at, "%s%u", k ? "," : "",
                         s->cores[k]);
            k = e + 1;
        }
        printf("  %-14s %-16s %-7s %-9s %-8s %-9s %-7.4f %.6f\n", s->name,
               s->host, cores, cli_qty(PLC_QTY_TIME, s->budget_us * 1000),
               cli_qty(PLC_QTY_TIME, s->period_us * 1000),
               cli_qty(PLC_QTY_TIME, s->deadline_us * 1000), s->utilization,
               s->stage_probability);
    }
    if (d->n_links)
        printf("\n  %-24s %-10s %-9s %-3s %s\n", "link", "rate", "latency", "x",
               "path");
    for (size_t i = 0; i < d->n_links; i++) {
        const Placer__PlacedLink *l = d->links[i];
        char name[80], path[512] = "";
        snprintf(name, sizeof name, "%s -> %s", l->from, l->to);
        for (size_t k = 0; k < l->n_path; k++)
            snprintf(path + strlen(path), sizeof path - strlen(path), "%s%s",
                     k ? " > " : "", l->path[k]);
        printf("  %-24s %-10s %-9s %-3d %s\n", name,
               cli_qty(PLC_QTY_RATE, l->rate_bps),
               cli_qty(PLC_QTY_TIME, l->latency_us * 1000), l->crossings,
               l->n_path ? path : "(co-located)");
    }
}

int cmd_plan(int argc, char **argv)
{
    enum { O_CLUSTER = 256, O_OBJ, O_TIME, O_JSON, O_LP };
    static const struct option opts[] = {
        {"cluster", required_argument, 0, O_CLUSTER},
        {"objective", required_argument, 0, O_OBJ},
        {"time-limit", required_argument, 0, O_TIME},
        {"json", no_argument, 0, O_JSON},
        {"export-lp", required_argument, 0, O_LP},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *cluster = NULL, *lp = NULL;
    int objective = 0, ch;
    uint64_t limit_ns = 2000000000ULL;
    bool json = false;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_CLUSTER:
            cluster = optarg;
            break;
        case O_OBJ:
            if (cli_opt_objective("plan", optarg, &objective) != PLC_EXIT_OK)
                return PLC_EXIT_USAGE;
            break;
        case O_TIME:
            if (cli_opt_time_limit("plan", optarg, &limit_ns) != PLC_EXIT_OK)
                return PLC_EXIT_USAGE;
            break;
        case O_JSON:
            json = true;
            break;
        case O_LP:
            lp = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("plan", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage("plan", "give one WORKFLOW file");
    if (!cluster && cli_server_given) {
        /* against placerd's live cluster and what it admitted */
        if (lp)
            return cli_usage("plan", "--export-lp needs --cluster FILE (the "
                                     "model is built offline)");
        return cli_ask(argv[optind], objective, limit_ns, true, json);
    }
    if (!cluster)
        return cli_usage("plan", "--cluster FILE is required (or, before "
                                 "the command, --server ENDPOINT to plan "
                                 "against placerd's live cluster)");
    if (cli_server_given)
        return cli_usage("plan", "--cluster and --server: give one (a file, "
                                 "or placerd's live cluster)");
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    int code = cli_load_doc(&cd, cluster, PROTO_DOC_CLUSTER);
    if (code == PLC_EXIT_OK)
        code = cli_load_doc(&wd, argv[optind], PROTO_DOC_WORKFLOW);
    if (code == PLC_EXIT_OK &&
        proto_doc_check_refs(&wd, (const Placer__Cluster *)cd.msg) ==
            PLC_EDATA) {
        proto_doc_print_diags(&wd, stderr);
        code = PLC_EXIT_DATAERR;
    }
    struct model_problem mp;
    memset(&mp, 0, sizeof mp);
    struct place_plan plan;
    memset(&plan, 0, sizeof plan);
    Placer__Plan *doc = NULL;
    struct plc_error err = PLC_ERROR_INIT;
    const Placer__Workflow *w = (const void *)wd.msg;
    if (code == PLC_EXIT_OK &&
        model_plan(&mp, (const Placer__Cluster *)cd.msg, NULL, w, objective,
                   (double)limit_ns / 1e9, lp, &plan, &doc, &err) < 0) {
        /* the LP file is named by its option; the rest is the model's */
        if (lp && err.code == PLC_EIO)
            cli_error("--export-lp: %s", err.msg);
        else
            cli_error("%s", err.msg);
        code = plc_exit_code(err.code);
    }
    if (code == PLC_EXIT_OK) {
        if (json) {
            json_t *j =
                proto_message_to_json(&doc->base, PROTO_JSON_EMPTY_ARRAYS);
            if (j && !doc->rejection)
                json_object_set_new(j, "rejection", json_null());
            code = cli_print_json(j);
        } else {
            cli_print_plan(doc);
        }
        if (code == PLC_EXIT_OK && !plan.admitted)
            code = PLC_EXIT_NEGATIVE;
    }
    if (doc)
        placer__plan__free_unpacked(doc, NULL);
    place_plan_release(&plan);
    model_problem_release(&mp);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
    return code;
}
