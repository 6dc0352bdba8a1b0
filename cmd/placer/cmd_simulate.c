/* cmd_simulate.c: `placer simulate SCENARIO.json`: every variant of the
 * scenario's cluster under every policy, over the same simulated arrivals,
 * each decided through placerd's own decision path (sim/sim.h). */
#include "cli.h"
#include "plc/buf.h"
#include "plc/clock.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/validate.h"
#include "sim/sim.h"
#include "simulate.h"

#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "Usage: placer simulate [OPTIONS] SCENARIO.json\n"
    "\n"
    "A discrete-event simulation of a cluster over simulated time: copies\n"
    "of workflows arrive (Poisson, at fixed gaps, at given times, or from\n"
    "a trace), each is decided as placerd decides it, and an admitted copy\n"
    "holds its reservations until it departs. Every what-if variant of the\n"
    "cluster runs under every policy, over the same arrivals:\n"
    "\n"
    "  placer         placerd's own decision: the optimal plan that keeps\n"
    "                 the workflow's guarantee\n"
    "  first-fit      greedy plans, verified exactly as placer's: hosts in\n"
    "  best-fit       their order, the fullest first, the emptiest first\n"
    "  worst-fit\n"
    "  requests-only  what a scheduler that knows CPU requests alone does\n"
    "                 (Kubernetes): mean demand on the cores, no\n"
    "                 reservation, no bandwidth, no latency check\n"
    "\n"
    "The scenario file is described in docs/formats.md (\"Simulation\n"
    "scenario\"). Prints per run: arrivals, admitted, acceptance,\n"
    "rejections by constraint family, CPU use, revenue, decision time.\n"
    "\n"
    "Options:\n"
    "  --policies LIST  comma-separated policies to run (default: the\n"
    "                   scenario's, else all five)\n"
    "  --jobs N         runs in parallel (default: the CPUs online)\n"
    "  --seed N         the scenario's seed instead\n"
    "  --monte-carlo N  jobs simulated per admitted copy to check its\n"
    "                   guarantee (default: the scenario's, else 1000;\n"
    "                   0: no check)\n"
    "  --json           print the result as a document (schema 1)\n"
    "  --decisions      with --json: every decision with its plan, its\n"
    "                   time and whether it was proven\n"
    "  --csv DIR        write runs.csv, series.csv (per interval),\n"
    "                   hosts.csv and workflows.csv (per interval and\n"
    "                   host or workflow), decisions.csv (per event: plan,\n"
    "                   decision_ms, status) and checks.csv (per\n"
    "                   Monte-Carlo check) into DIR\n"
    "  --report FILE    write one self-contained HTML page with plots\n"
    "                   (acceptance over time, rejections, promised and\n"
    "                   measured on-time share, decision times, reserved\n"
    "                   CPU per host over time), drawn by gnuplot\n"
    "  --quiet          no progress on stderr (none either when stderr is\n"
    "                   not a terminal)\n"
    "\n"
    "Exit status: 0 simulated, 64 usage, 65 bad scenario, cluster,\n"
    "workflow or trace (each problem named with its file, line and field),\n"
    "66 a file missing, 70 internal error.\n";

#define MAX_TEMPLATES 64

struct pool {
    struct job *jobs;
    size_t n, next;
    pthread_mutex_t mu;
    struct sim_run_in in; /* all but cluster and policy */
    atomic_size_t done_runs;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t k = p->next < p->n ? p->next++ : SIZE_MAX;
        pthread_mutex_unlock(&p->mu);
        if (k == SIZE_MAX) {
            place_thread_release();
            return NULL;
        }
        struct job *j = &p->jobs[k];
        struct sim_run_in in = p->in;
        in.cluster = j->cluster;
        in.policy = j->policy;
        in.ev = j->ev;
        in.n_ev = j->n_ev;
        j->err = (struct plc_error)PLC_ERROR_INIT;
        j->rc = sim_run(&in, &j->res, &j->err);
        atomic_fetch_add(&p->done_runs, 1);
    }
}

/* A file named in the scenario: relative to the scenario's folder. */
static char *resolve(const char *scenario, const char *path)
{
    if (path[0] == '/' || !strcmp(scenario, "-"))
        return strdup(path);
    char *copy = strdup(scenario);
    if (!copy)
        return NULL;
    const char *dir = dirname(copy);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    free(copy);
    return out;
}

/* The scenario's diagnostics so far, located and printed: exit 65. */
static int scenario_problems(struct proto_doc *sd)
{
    proto_doc_locate(sd);
    proto_doc_print_diags(sd, stderr);
    return PLC_EXIT_DATAERR;
}

/* ---- trace ----------------------------------------------------------------
 */

/* The trace at `path` (named `file` in messages): the exit code. */
static int load_trace(const char *path, const char *file,
                      const struct sim_template *tm, size_t nt,
                      const Placer__Cluster *c, struct sim_trace *t)
{
    struct plc_error err = PLC_ERROR_INIT;
    char *text = NULL;
    size_t len = 0;
    if (plc_read_file(path, PLC_INPUT_FILE_MAX, &text, &len, &err) < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(err.code);
    }
    int rc = sim_trace_parse(file, text, len, tm, nt, c, t, &err);
    free(text);
    if (rc == PLC_EDATA) {
        fprintf(stderr, "%s\n", err.msg);
        return PLC_EXIT_DATAERR;
    }
    if (rc < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(rc);
    }
    return PLC_EXIT_OK;
}

/* ---- output ---------------------------------------------------------------
 */

static double acceptance(size_t adm, size_t arr)
{
    return arr ? (double)adm / (double)arr : 0;
}

static double mean_cpu(const struct sim_result *r)
{
    double s = 0;
    for (size_t i = 0; i < r->n_points; i++)
        s += r->points[i].cpu;
    return r->n_points ? s / (double)r->n_points : 0;
}

static double peak_cpu(const struct sim_result *r)
{
    double s = 0;
    for (size_t i = 0; i < r->n_points; i++)
        s = fmax(s, r->points[i].cpu);
    return s;
}

static enum place_reject top_family(const struct sim_result *r)
{
    enum place_reject top = PLACE_REJECT_NONE;
    for (int f = 1; f < SIM_FAMILIES; f++)
        if (r->rejected[f] > (top ? r->rejected[top] : 0))
            top = (enum place_reject)f;
    return top;
}

/* Pooled Monte-Carlo figures of a run's checked copies of template t
 * (all when t is SIZE_MAX). */
static void mc_pool(const struct sim_result *r, size_t t, size_t *jobs,
                    size_t *ok, size_t *copies, size_t *broken, double *promise)
{
    *jobs = *ok = *copies = *broken = 0;
    *promise = 0;
    for (size_t i = 0; i < r->n_mc; i++) {
        const struct sim_mc_copy *m = &r->mc[i];
        if (t != SIZE_MAX && m->tmpl != t)
            continue;
        *jobs += m->jobs;
        *ok += m->on_time;
        (*copies)++;
        *broken += m->hi < m->promise;
        *promise = m->promise;
    }
}

static json_t *mc_json(const struct out *o, const struct sim_result *r)
{
    json_t *x = json_object();
    size_t jobs, ok, copies, broken;
    double promise, lo, hi;
    mc_pool(r, SIZE_MAX, &jobs, &ok, &copies, &broken, &promise);
    json_object_set_new(x, "copies", json_integer((json_int_t)copies));
    json_object_set_new(x, "jobs", json_integer((json_int_t)jobs));
    json_object_set_new(x, "on_time", json_integer((json_int_t)ok));
    json_object_set_new(x, "broken", json_integer((json_int_t)broken));
    json_object_set_new(x, "time_ms", json_real(r->mc_ms));
    json_t *ws = json_array();
    for (size_t t = 0; t < o->nt; t++) {
        mc_pool(r, t, &jobs, &ok, &copies, &broken, &promise);
        if (!copies)
            continue;
        sim_clopper_pearson(ok, jobs, 0.95, &lo, &hi);
        json_array_append_new(
            ws, json_pack("{s:s, s:f, s:I, s:I, s:f, s:[f, f], s:I}", "name",
                          o->tm[t].name, "promise", promise, "copies",
                          (json_int_t)copies, "jobs", (json_int_t)jobs,
                          "on_time", (double)ok / (double)jobs, "ci95", lo, hi,
                          "broken", (json_int_t)broken));
    }
    json_object_set_new(x, "workflows", ws);
    if (o->decisions) {
        json_t *cs = json_array();
        for (size_t i = 0; i < r->n_mc; i++) {
            const struct sim_mc_copy *m = &r->mc[i];
            json_array_append_new(
                cs, json_pack("{s:s, s:f, s:f, s:f, s:I, s:I, s:[f, f]}",
                              "workflow", o->tm[m->tmpl].name, "t", m->t,
                              "promise", m->promise, "bound", m->bound, "jobs",
                              (json_int_t)m->jobs, "on_time",
                              (json_int_t)m->on_time, "ci95", m->lo, m->hi));
        }
        json_object_set_new(x, "checks", cs);
    }
    return x;
}

static json_t *run_json(const struct out *o, struct job *j)
{
    struct sim_result *r = &j->res;
    json_t *x = json_object();
    json_object_set_new(x, "variant", json_string(j->variant));
    json_object_set_new(x, "policy", json_string(srv_policy_name(j->policy)));
    json_object_set_new(x, "arrivals", json_integer((json_int_t)r->arrivals));
    json_object_set_new(x, "admitted", json_integer((json_int_t)r->admitted));
    json_object_set_new(x, "acceptance",
                        json_real(acceptance(r->admitted, r->arrivals)));
    json_t *rej = json_object();
    for (int f = 1; f < SIM_FAMILIES; f++)
        if (r->rejected[f])
            json_object_set_new(rej, sim_family_name((enum place_reject)f),
                                json_integer((json_int_t)r->rejected[f]));
    json_object_set_new(x, "rejections", rej);
    json_t *ws = json_array();
    for (size_t i = 0; i < o->nt; i++) {
        json_t *w = json_object();
        json_object_set_new(w, "name", json_string(o->tm[i].name));
        json_object_set_new(w, "arrivals",
                            json_integer((json_int_t)r->t_arrivals[i]));
        json_object_set_new(w, "admitted",
                            json_integer((json_int_t)r->t_admitted[i]));
        json_object_set_new(
            w, "acceptance",
            json_real(acceptance(r->t_admitted[i], r->t_arrivals[i])));
        json_array_append_new(ws, w);
    }
    json_object_set_new(x, "workflows", ws);
    json_object_set_new(x, "evicted", json_integer((json_int_t)r->evicted));
    json_object_set_new(x, "replaced", json_integer((json_int_t)r->replaced));
    json_object_set_new(x, "revenue", json_real(r->revenue));
    json_object_set_new(x, "cpu_mean", json_real(mean_cpu(r)));
    json_object_set_new(x, "cpu_peak", json_real(peak_cpu(r)));
    double *ms = r->solver_ms;
    size_t n = r->n_solver;
    json_t *st = json_object();
    json_object_set_new(st, "p50", json_real(sim_percentile(ms, n, 0.5)));
    json_object_set_new(st, "p99", json_real(sim_percentile(ms, n, 0.99)));
    json_object_set_new(st, "max", json_real(n ? ms[n - 1] : 0));
    json_object_set_new(x, "decision_ms", st);
    json_object_set_new(x, "wall_ms", json_real(r->wall_ms));
    json_object_set_new(x, "monte_carlo", mc_json(o, r));
    json_t *pts = json_array();
    for (size_t i = 0; i < r->n_points; i++) {
        const struct sim_point *p = &r->points[i];
        json_t *y = json_object();
        json_object_set_new(y, "t", json_real(p->t));
        json_object_set_new(y, "arrivals",
                            json_integer((json_int_t)p->arrivals));
        json_object_set_new(y, "admitted",
                            json_integer((json_int_t)p->admitted));
        json_object_set_new(y, "active", json_integer((json_int_t)p->active));
        json_object_set_new(y, "cpu", json_real(p->cpu));
        json_object_set_new(y, "link", json_real(p->link));
        json_object_set_new(y, "largest_free_core",
                            json_real(p->largest_free_core));
        json_t *bw = json_array();
        for (size_t t = 0; t < o->nt; t++)
            json_array_append_new(
                bw,
                json_pack("[I, I]", (json_int_t)r->pt_arrivals[i * o->nt + t],
                          (json_int_t)r->pt_admitted[i * o->nt + t]));
        json_object_set_new(y, "by_workflow", bw);
        json_array_append_new(pts, y);
    }
    json_object_set_new(x, "series", pts);
    if (o->decisions) {
        json_t *ds = json_array();
        for (size_t i = 0; i < r->n_decisions; i++) {
            const struct sim_decision *d = &r->decisions[i];
            json_t *y = json_object();
            json_object_set_new(y, "t", json_real(d->t));
            json_object_set_new(y, "workflow",
                                json_string(o->tm[d->tmpl].name));
            json_object_set_new(y, "admitted", json_boolean(d->admitted));
            if (d->replaced)
                json_object_set_new(y, "replaced", json_true());
            if (d->admitted)
                json_object_set_new(y, "plan", json_string(d->plan));
            else
                json_object_set_new(y, "rejection",
                                    json_string(sim_family_name(d->reject)));
            json_object_set_new(y, "decision_ms", json_real(d->time_ms));
            json_object_set_new(y, "status",
                                json_string(j->policy == SRV_POLICY_PLACER
                                                ? sim_status_name(d->status)
                                                : "heuristic"));
            json_array_append_new(ds, y);
        }
        json_object_set_new(x, "decisions", ds);
    }
    return x;
}

static int print_json(const struct out *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "schema", json_integer(1));
    json_object_set_new(j, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(j, "horizon_s", json_real(o->horizon_s));
    json_object_set_new(j, "interval_s", json_real(o->interval_s));
    json_object_set_new(j, "events", json_integer((json_int_t)o->n_events));
    json_t *runs = json_array();
    for (size_t i = 0; i < o->nj; i++)
        json_array_append_new(runs, run_json(o, &o->jobs[i]));
    json_object_set_new(j, "runs", runs);
    json_object_set_new(j, "wall_ms", json_real(o->wall_ms));
    return cli_print_json(j);
}

static int print_text(const struct out *o)
{
    printf("%zu events over %.0f s of simulated time, seed %llu, %zu run%s "
           "in %.1f s\n\n",
           o->n_events, o->horizon_s, (unsigned long long)o->seed, o->nj,
           o->nj == 1 ? "" : "s", o->wall_ms / 1e3);
    printf("  %-14s %-13s %8s %8s %7s %-16s %6s %6s %9s %9s %9s\n", "variant",
           "policy", "arrivals", "admitted", "accept", "top rejection", "cpu",
           "peak", "revenue", "p50 ms", "p99 ms");
    for (size_t i = 0; i < o->nj; i++) {
        struct job *j = &o->jobs[i];
        struct sim_result *r = &j->res;
        enum place_reject top = top_family(r);
        char tr[40] = "-";
        if (top)
            snprintf(tr, sizeof tr, "%s %zu", sim_family_name(top),
                     r->rejected[top]);
        printf("  %-14s %-13s %8zu %8zu %6.1f%% %-16s %5.1f%% %5.1f%% %9.2f "
               "%9.2f %9.2f\n",
               j->variant, srv_policy_name(j->policy), r->arrivals, r->admitted,
               100 * acceptance(r->admitted, r->arrivals), tr,
               100 * mean_cpu(r), 100 * peak_cpu(r), r->revenue,
               sim_percentile(r->solver_ms, r->n_solver, 0.5),
               sim_percentile(r->solver_ms, r->n_solver, 0.99));
    }
    if (o->nt > 1) {
        printf("\n  acceptance by workflow\n  %-14s %-13s", "variant",
               "policy");
        for (size_t t = 0; t < o->nt; t++)
            printf(" %14.14s", o->tm[t].name);
        putchar('\n');
        for (size_t i = 0; i < o->nj; i++) {
            struct job *j = &o->jobs[i];
            printf("  %-14s %-13s", j->variant, srv_policy_name(j->policy));
            for (size_t t = 0; t < o->nt; t++)
                printf(" %13.1f%%", 100 * acceptance(j->res.t_admitted[t],
                                                     j->res.t_arrivals[t]));
            putchar('\n');
        }
    }
    bool checked = false;
    for (size_t i = 0; i < o->nj; i++)
        checked |= o->jobs[i].res.n_mc > 0;
    if (checked) {
        printf("\n  guarantees checked by Monte-Carlo (jobs of each copy on "
               "its cores as admitted, requests-only's as they leave; 95%% "
               "Clopper-Pearson; broken: copies whose interval lies below "
               "the promise)\n");
        printf("  %-14s %-13s %-16s %6s %8s %9s %-19s %6s\n", "variant",
               "policy", "workflow", "copies", "promise", "on time",
               "95% interval", "broken");
        for (size_t i = 0; i < o->nj; i++)
            for (size_t t = 0; t < o->nt; t++) {
                const struct sim_result *r = &o->jobs[i].res;
                size_t jobs, ok, copies, broken;
                double promise, lo, hi;
                mc_pool(r, t, &jobs, &ok, &copies, &broken, &promise);
                if (!copies)
                    continue;
                sim_clopper_pearson(ok, jobs, 0.95, &lo, &hi);
                printf("  %-14s %-13s %-16.16s %6zu %8.4g %8.4f%% "
                       "[%.4f, %.4f] %6zu\n",
                       o->jobs[i].variant, srv_policy_name(o->jobs[i].policy),
                       o->tm[t].name, copies, promise,
                       100 * (double)ok / (double)jobs, lo, hi, broken);
            }
    }
    bool evictions = false;
    for (size_t i = 0; i < o->nj; i++)
        evictions |= o->jobs[i].res.evicted > 0;
    if (evictions) {
        printf("\n  host failures\n");
        for (size_t i = 0; i < o->nj; i++)
            printf("  %-14s %-13s %zu evicted, %zu placed again\n",
                   o->jobs[i].variant, srv_policy_name(o->jobs[i].policy),
                   o->jobs[i].res.evicted, o->jobs[i].res.replaced);
    }
    return PLC_EXIT_OK;
}

/* ---- the command ----------------------------------------------------------
 */

static void progress_line(struct pool *p, size_t total, double t0)
{
    size_t done = atomic_load(p->in.progress);
    double el = (plc_now_ms() - t0) / 1e3, rate = el > 0 ? done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr,
            "\rplacer simulate: %zu/%zu events, %zu/%zu runs done, %.0f/s, "
            "ETA %.0f s   ",
            done, total, atomic_load(&p->done_runs), p->n, rate, eta);
}

int cmd_simulate(int argc, char **argv)
{
    enum {
        O_POL = 256,
        O_JOBS,
        O_SEED,
        O_JSON,
        O_DEC,
        O_QUIET,
        O_MC,
        O_CSV,
        O_REPORT
    };
    static const struct option opts[] = {
        {"policies", required_argument, 0, O_POL},
        {"jobs", required_argument, 0, O_JOBS},
        {"seed", required_argument, 0, O_SEED},
        {"json", no_argument, 0, O_JSON},
        {"decisions", no_argument, 0, O_DEC},
        {"quiet", no_argument, 0, O_QUIET},
        {"monte-carlo", required_argument, 0, O_MC},
        {"csv", required_argument, 0, O_CSV},
        {"report", required_argument, 0, O_REPORT},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *pol_s = NULL, *csv_dir = NULL, *report = NULL;
    long jobs_n = sysconf(_SC_NPROCESSORS_ONLN), seed_l = -1, mc_l = -1;
    bool json = false, quiet = false, decisions = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_POL:
            pol_s = optarg;
            break;
        case O_JOBS:
            if (!cli_parse_int("--jobs", optarg, 1, 256, &jobs_n))
                return PLC_EXIT_USAGE;
            break;
        case O_SEED:
            if (!cli_parse_int("--seed", optarg, 0, INT64_MAX, &seed_l))
                return PLC_EXIT_USAGE;
            break;
        case O_MC:
            if (!cli_parse_int("--monte-carlo", optarg, 0, 100000000, &mc_l))
                return PLC_EXIT_USAGE;
            break;
        case O_CSV:
            csv_dir = optarg;
            break;
        case O_REPORT:
            report = optarg;
            break;
        case O_JSON:
            json = true;
            break;
        case O_DEC:
            decisions = true;
            break;
        case O_QUIET:
            quiet = true;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("simulate", "unknown option");
        }
    }
    if (argc - optind != 1)
        return cli_usage("simulate", "give one SCENARIO file");
    if (decisions && !json)
        return cli_usage("simulate", "--decisions goes with --json");
    const char *spath = argv[optind];
    enum srv_policy pols[SRV_POLICIES];
    size_t np = 0;
    if (pol_s) {
        char *copy = strdup(pol_s), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save)) {
            enum srv_policy x;
            if (srv_policy_parse(t, &x) < 0) {
                int rc = cli_usage("simulate",
                                   "--policies: '%s' is not a policy; use "
                                   "placer, first-fit, best-fit, worst-fit or "
                                   "requests-only",
                                   t);
                free(copy);
                return rc;
            }
            bool dup = false;
            for (size_t i = 0; i < np; i++)
                dup |= pols[i] == x;
            if (!dup)
                pols[np++] = x;
        }
        free(copy);
        if (np == 0)
            return cli_usage("simulate", "--policies: name at least one");
    }

    struct proto_doc sd = PROTO_DOC_INIT, cd = PROTO_DOC_INIT;
    struct proto_doc wd[MAX_TEMPLATES];
    size_t nt = 0;
    struct sim_template tm[MAX_TEMPLATES];
    struct sim_trace tr = {0};
    struct sim_event *ev = NULL;
    size_t n_ev = 0;
    Placer__Cluster **vc = NULL;
    struct job *jobs = NULL;
    size_t nj = 0, nv = 0;
    int code = cli_load_doc(&sd, spath, PROTO_DOC_SCENARIO);
    const Placer__Scenario *s = (const void *)sd.msg;
    /* policies named in the file */
    if (code == PLC_EXIT_OK && !pol_s) {
        for (size_t i = 0; i < s->n_policies; i++) {
            enum srv_policy x;
            if (srv_policy_parse(s->policies[i], &x) < 0) {
                char q[64];
                snprintf(q, sizeof q, "policies[%zu]", i);
                plc_diags_add(&sd.diags, q,
                              "\"%s\" is not a policy; use placer, "
                              "first-fit, best-fit, worst-fit or "
                              "requests-only",
                              s->policies[i]);
            } else
                pols[np++] = x;
        }
        if (sd.diags.n)
            code = scenario_problems(&sd);
    }
    if (code == PLC_EXIT_OK && np == 0)
        for (int i = 0; i < SRV_POLICIES; i++)
            pols[np++] = (enum srv_policy)i;
    if (code == PLC_EXIT_OK && s->n_workflows > MAX_TEMPLATES) {
        plc_diags_add(&sd.diags, "workflows", "at most %d workflows",
                      MAX_TEMPLATES);
        code = scenario_problems(&sd);
    }
    /* the cluster (a file relative to the scenario, or placerd's live
     * state) and the workflows */
    if (code == PLC_EXIT_OK && cli_server_given) {
        Placer__Cluster *snap = NULL;
        if (s->cluster)
            fprintf(stderr,
                    "placer simulate: starting from placerd's live state at "
                    "%s, not from the scenario's cluster '%s'\n",
                    cli_server, s->cluster);
        code = cli_snapshot(&snap);
        if (code == PLC_EXIT_OK) {
            cd.msg = &snap->base;
            cd.kind = PROTO_DOC_CLUSTER;
        }
    } else if (code == PLC_EXIT_OK && !s->cluster) {
        plc_diags_add(&sd.diags, "cluster",
                      "missing; name the cluster file (relative to this "
                      "scenario), or run 'placer --server EP simulate' to "
                      "start from placerd's live state");
        code = scenario_problems(&sd);
    } else if (code == PLC_EXIT_OK) {
        char *cp = resolve(spath, s->cluster);
        code =
            cp ? cli_load_doc(&cd, cp, PROTO_DOC_CLUSTER) : PLC_EXIT_SOFTWARE;
        free(cp);
    }
    const Placer__Cluster *cluster = (const void *)cd.msg;
    for (size_t i = 0; code == PLC_EXIT_OK && i < s->n_workflows; i++) {
        wd[i] = (struct proto_doc)PROTO_DOC_INIT;
        nt = i + 1;
        char *wp = resolve(spath, s->workflows[i]->file);
        code = wp ? cli_load_doc(&wd[i], wp, PROTO_DOC_WORKFLOW)
                  : PLC_EXIT_SOFTWARE;
        free(wp);
        if (code == PLC_EXIT_OK &&
            proto_doc_check_refs(&wd[i], cluster) == PLC_EDATA) {
            proto_doc_print_diags(&wd[i], stderr);
            code = PLC_EXIT_DATAERR;
        }
        if (code != PLC_EXIT_OK)
            break;
        const Placer__Workflow *w = (const void *)wd[i].msg;
        tm[i] = (struct sim_template){
            s->workflows[i]->name ? s->workflows[i]->name : w->name, w,
            s->workflows[i]->has_price ? s->workflows[i]->price : 0};
        for (size_t k = 0; k < i; k++)
            if (!strcmp(tm[k].name, tm[i].name)) {
                char q[64];
                snprintf(q, sizeof q, "workflows[%zu]", i);
                plc_diags_add(&sd.diags, q,
                              "its name \"%s\" is workflows[%zu]'s too; give "
                              "one of them a \"name\"",
                              tm[i].name, k);
            }
    }
    if (code == PLC_EXIT_OK) {
        proto_scenario_validate_refs(s, cluster, &sd.diags);
        if (sd.diags.n)
            code = scenario_problems(&sd);
    }
    /* the events */
    double horizon = s && s->horizon && s->horizon->has_ns
                         ? (double)s->horizon->ns / 1e9
                         : 0;
    if (code == PLC_EXIT_OK && s->trace) {
        char *tp = resolve(spath, s->trace);
        code = tp ? load_trace(tp, s->trace, tm, nt, cluster, &tr)
                  : PLC_EXIT_SOFTWARE;
        free(tp);
        n_ev = tr.n;
        /* (a horizon cuts the trace) */
        while (horizon > 0 && n_ev && tr.ev[n_ev - 1].t > horizon)
            n_ev--;
        ev = tr.ev;
    } else if (code == PLC_EXIT_OK) {
        Placer__Scenario copy = *s;
        if (seed_l >= 0) {
            copy.has_seed = 1;
            copy.seed = (uint64_t)seed_l;
        }
        if (sim_events_from_scenario(&copy, horizon,
                                     s->has_arrivals ? s->arrivals : 0, &ev,
                                     &n_ev) < 0) {
            cli_error("out of memory");
            code = PLC_EXIT_SOFTWARE;
        }
    }
    /* host failures of the variants become events of their runs: merged
     * below per variant */
    if (code == PLC_EXIT_OK && horizon <= 0)
        horizon = n_ev ? ev[n_ev - 1].t : 0;
    double interval = s && s->interval && s->interval->has_ns
                          ? (double)s->interval->ns / 1e9
                          : horizon / 100;
    if (code == PLC_EXIT_OK) {
        nv = s->n_variants ? s->n_variants : 1;
        vc = calloc(nv, sizeof *vc);
        jobs = calloc(nv * np + 1, sizeof *jobs);
        if (!vc || !jobs) {
            cli_error("out of memory");
            code = PLC_EXIT_SOFTWARE;
        }
    }
    for (size_t v = 0; code == PLC_EXIT_OK && v < nv; v++) {
        struct plc_error err = PLC_ERROR_INIT;
        const Placer__Variant *var = s->n_variants ? s->variants[v] : NULL;
        vc[v] = sim_variant_cluster(cluster, var, &err);
        if (!vc[v]) {
            cli_error("%s: variants[%zu]: %s", sd.name, v, err.msg);
            code = plc_exit_code(err.code);
            break;
        }
        /* the workflows' endpoints and pins must still be there */
        for (size_t i = 0; var && i < nt && code == PLC_EXIT_OK; i++) {
            struct plc_diags d = PLC_DIAGS_INIT;
            proto_workflow_validate_refs(tm[i].w, vc[v], &d);
            if (d.n) {
                char q[64];
                snprintf(q, sizeof q, "variants[%zu]", v);
                plc_diags_add(&sd.diags, q,
                              "workflow '%s' needs what this variant "
                              "removes: %s: %s",
                              tm[i].name, d.v[0].path, d.v[0].msg);
                code = scenario_problems(&sd);
            }
            plc_diags_release(&d);
        }
        if (code != PLC_EXIT_OK)
            break;
        for (size_t p = 0; p < np; p++)
            jobs[nj++] = (struct job){.variant = var ? var->name : "base",
                                      .cluster = vc[v],
                                      .policy = pols[p]};
    }
    /* variants with host failures: their own event lists */
    struct sim_event **vev =
        code == PLC_EXIT_OK ? calloc(nv, sizeof *vev) : NULL;
    size_t *vn = code == PLC_EXIT_OK ? calloc(nv, sizeof *vn) : NULL;
    if (code == PLC_EXIT_OK && (!vev || !vn)) {
        cli_error("out of memory");
        code = PLC_EXIT_SOFTWARE;
    }
    for (size_t v = 0; code == PLC_EXIT_OK && v < nv; v++) {
        const Placer__Variant *var = s->n_variants ? s->variants[v] : NULL;
        size_t nf = 0;
        for (size_t k = 0; var && k < var->n_host_failures; k++)
            nf += 1 + (var->host_failures[k]->until != NULL);
        vn[v] = n_ev;
        if (!nf)
            continue;
        struct sim_event *x = malloc((n_ev + nf + 1) * sizeof *x);
        if (!x) {
            code = PLC_EXIT_SOFTWARE;
            break;
        }
        /* failures go before the arrivals of the same time; a release's
         * `of` keeps pointing at its submit, shifted */
        size_t *shift = calloc(n_ev + 1, sizeof *shift);
        struct sim_event *fe = malloc((nf + 1) * sizeof *fe);
        size_t nfe = 0;
        for (size_t k = 0; fe && k < var->n_host_failures; k++) {
            const Placer__HostFailure *f = var->host_failures[k];
            fe[nfe++] = (struct sim_event){.t = (double)f->at->ns / 1e9,
                                           .kind = SIM_HOST_DOWN,
                                           .host = f->host};
            if (f->until)
                fe[nfe++] = (struct sim_event){.t = (double)f->until->ns / 1e9,
                                               .kind = SIM_HOST_UP,
                                               .host = f->host};
        }
        if (!shift || !fe) {
            free(shift);
            free(fe);
            free(x);
            code = PLC_EXIT_SOFTWARE;
            break;
        }
        /* merge, stable */
        for (size_t a = 1; a < nfe; a++)
            for (size_t b = a; b > 0 && fe[b - 1].t > fe[b].t; b--) {
                struct sim_event t = fe[b];
                fe[b] = fe[b - 1];
                fe[b - 1] = t;
            }
        size_t i = 0, k = 0, n = 0;
        while (i < n_ev || k < nfe) {
            if (k < nfe && (i == n_ev || fe[k].t <= ev[i].t))
                x[n++] = fe[k++];
            else {
                shift[i] = n;
                x[n] = ev[i++];
                n++;
            }
        }
        for (size_t e = 0; e < n; e++)
            if (x[e].kind == SIM_RELEASE && x[e].of < n_ev)
                x[e].of = shift[x[e].of];
        free(shift);
        free(fe);
        vev[v] = x;
        vn[v] = n;
    }
    if (code == PLC_EXIT_OK) {
        double t0 = plc_now_ms();
        atomic_size_t progress = 0;
        size_t total = 0;
        for (size_t k = 0; k < nj; k++) {
            size_t v = k / np;
            jobs[k].ev = vev[v] ? vev[v] : ev;
            jobs[k].n_ev = vn[v];
            total += vn[v];
        }
        /* every run of every variant in one pool: the slow policy's runs
         * side by side */
        bool bar = !quiet && isatty(2);
        struct pool p = {.jobs = jobs, .n = nj};
        pthread_mutex_init(&p.mu, NULL);
        atomic_init(&p.done_runs, 0);
        p.in = (struct sim_run_in){.tmpl = tm,
                                   .n_tmpl = nt,
                                   .objective = 0,
                                   .time_limit_s =
                                       s->time_limit && s->time_limit->has_ns
                                           ? (double)s->time_limit->ns / 1e9
                                           : 2.0,
                                   .horizon_s = horizon,
                                   .interval_s = interval,
                                   .keep_decisions = decisions || csv_dir,
                                   .progress = &progress};
        p.in.mc_jobs = mc_l >= 0            ? (size_t)mc_l
                       : s->has_monte_carlo ? (size_t)s->monte_carlo
                                            : 1000;
        p.in.seed = seed_l >= 0 ? (uint64_t)seed_l : s->has_seed ? s->seed : 1;
        size_t nth = (size_t)jobs_n < nj ? (size_t)jobs_n : nj;
        pthread_t *th = calloc(nth + 1, sizeof *th);
        size_t started = 0;
        for (; th && started < nth; started++)
            if (pthread_create(&th[started], NULL, worker, &p) != 0)
                break;
        if (started == 0)
            worker(&p);
        while (bar && atomic_load(&p.done_runs) < p.n) {
            progress_line(&p, total, t0);
            nanosleep(&(struct timespec){0, 200000000}, NULL);
        }
        for (size_t i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        free(th);
        pthread_mutex_destroy(&p.mu);
        for (size_t i = 0; i < nj; i++)
            if (jobs[i].rc < 0) {
                cli_error("%s", jobs[i].err.msg);
                code = plc_exit_code(jobs[i].err.code);
                break;
            }
        if (bar)
            fputc('\n', stderr);
        struct out o = {tm,
                        nt,
                        jobs,
                        nj,
                        horizon,
                        interval,
                        plc_now_ms() - t0,
                        seed_l >= 0   ? (uint64_t)seed_l
                        : s->has_seed ? s->seed
                                      : 1,
                        n_ev,
                        decisions};
        if (code == PLC_EXIT_OK)
            code = json ? print_json(&o) : print_text(&o);
        if (code == PLC_EXIT_OK && csv_dir)
            code = sim_write_csv(csv_dir, &o);
        if (code == PLC_EXIT_OK && report)
            code = sim_write_report(report, &o);
    }
    for (size_t i = 0; i < nj; i++)
        sim_result_release(&jobs[i].res);
    free(jobs);
    for (size_t v = 0; vc && v < nv; v++) {
        if (vc[v])
            placer__cluster__free_unpacked(vc[v], NULL);
        if (vev)
            free(vev[v]);
    }
    free(vc);
    free(vev);
    free(vn);
    if (!s || !s->trace)
        free(ev);
    sim_trace_release(&tr);
    for (size_t i = 0; i < nt; i++)
        proto_doc_release(&wd[i]);
    proto_doc_release(&cd);
    proto_doc_release(&sd);
    return code;
}
