/* report.c: placer simulate's --csv files and --report page.  The plots
 * are drawn by gnuplot (its SVG terminal) and inlined in one HTML file. */
#include "cli.h"
#include "plc/buf.h"
#include "simulate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double pct(size_t a, size_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0;
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        cli_error("cannot write '%s' (%s)", path, strerror(errno));
    return f;
}

/* A field for CSV: quoted when it holds a comma, quote or newline. */
static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int sim_write_csv(const char *dir, const struct out *o)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        cli_error("cannot create '%s' (%s)", dir, strerror(errno));
        return PLC_EXIT_CANTCREAT;
    }
    char path[4096];
    FILE *f[6];
    static const char *const names[6] = {"runs.csv",   "series.csv",
                                         "hosts.csv",  "decisions.csv",
                                         "checks.csv", "workflows.csv"};
    for (int i = 0; i < 6; i++)
        if (!(f[i] = open_in(dir, names[i], path, sizeof path))) {
            for (int k = 0; k < i; k++)
                fclose(f[k]);
            return PLC_EXIT_CANTCREAT;
        }
    fputs("variant,policy,arrivals,admitted,acceptance", f[0]);
    for (int fam = 1; fam < SIM_FAMILIES; fam++)
        fprintf(f[0], ",rejected_%s", sim_family_name((enum place_reject)fam));
    fputs(",evicted,replaced,revenue,decision_p50_ms,decision_p99_ms,"
          "decision_max_ms,wall_ms,checked,broken\n",
          f[0]);
    fputs("variant,policy,t_s,arrivals,admitted,active,cpu,link,"
          "largest_free_core\n",
          f[1]);
    fputs("variant,policy,t_s,host,cpu\n", f[2]);
    fputs("variant,policy,t_s,workflow,arrivals,admitted\n", f[5]);
    fputs("variant,policy,t_s,workflow,admitted,replaced,rejection,plan,"
          "decision_ms,status\n",
          f[3]);
    fputs("variant,policy,workflow,t_s,promise,bound,jobs,on_time,ci95_lo,"
          "ci95_hi\n",
          f[4]);
    for (size_t i = 0; i < o->nj; i++) {
        const struct job *j = &o->jobs[i];
        const struct sim_result *r = &j->res;
        const char *pol = srv_policy_name(j->policy);
        fprintf(f[0], "%s,%s,%zu,%zu,%.6f", j->variant, pol, r->arrivals,
                r->admitted, pct(r->admitted, r->arrivals) / 100);
        for (int fam = 1; fam < SIM_FAMILIES; fam++)
            fprintf(f[0], ",%zu", r->rejected[fam]);
        size_t n = r->n_solver;
        fprintf(f[0], ",%zu,%zu,%.6g,%.6g,%.6g,%.6g,%.3f,%zu,%zu\n", r->evicted,
                r->replaced, r->revenue, sim_percentile(r->solver_ms, n, 0.5),
                sim_percentile(r->solver_ms, n, 0.99),
                n ? r->solver_ms[n - 1] : 0, r->wall_ms, r->n_mc, r->mc_broken);
        for (size_t k = 0; k < r->n_points; k++) {
            const struct sim_point *p = &r->points[k];
            fprintf(f[1], "%s,%s,%.9g,%zu,%zu,%zu,%.6f,%.6f,%.6f\n", j->variant,
                    pol, p->t, p->arrivals, p->admitted, p->active, p->cpu,
                    p->link, p->largest_free_core);
            for (size_t h = 0; h < r->n_hosts; h++)
                fprintf(f[2], "%s,%s,%.9g,%s,%.6f\n", j->variant, pol, p->t,
                        r->host_names[h], r->host_cpu[k * r->n_hosts + h]);
            for (size_t t = 0; t < o->nt; t++)
                fprintf(f[5], "%s,%s,%.9g,%s,%zu,%zu\n", j->variant, pol, p->t,
                        o->tm[t].name, r->pt_arrivals[k * o->nt + t],
                        r->pt_admitted[k * o->nt + t]);
        }
        for (size_t k = 0; k < r->n_decisions; k++) {
            const struct sim_decision *d = &r->decisions[k];
            fprintf(f[3], "%s,%s,%.9g,%s,%d,%d,%s,", j->variant, pol, d->t,
                    o->tm[d->tmpl].name, d->admitted, d->replaced,
                    d->admitted ? "" : sim_family_name(d->reject));
            csv_str(f[3], d->plan ? d->plan : "");
            fprintf(f[3], ",%.3f,%s\n", d->time_ms,
                    j->policy == SRV_POLICY_PLACER ? sim_status_name(d->status)
                                                   : "heuristic");
        }
        for (size_t k = 0; k < r->n_mc; k++) {
            const struct sim_mc_copy *m = &r->mc[k];
            fprintf(f[4], "%s,%s,%s,%.9g,%.9g,%.9g,%zu,%zu,%.9g,%.9g\n",
                    j->variant, pol, o->tm[m->tmpl].name, m->t, m->promise,
                    m->bound, m->jobs, m->on_time, m->lo, m->hi);
        }
    }
    int code = PLC_EXIT_OK;
    for (int i = 0; i < 6; i++)
        if (fclose(f[i]) != 0) {
            cli_error("cannot write '%s/%s'", dir, names[i]);
            code = PLC_EXIT_CANTCREAT;
        }
    return code;
}

/* ---- the HTML report -------------------------------------------------------
 */

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
}

/* A title gnuplot prints as given (no enhanced-text markup). */
static void gp_title(FILE *g, const struct job *j, const char *extra)
{
    fprintf(g, "title \"%s / %s%s%s\" noenhanced", j->variant,
            srv_policy_name(j->policy), extra ? " / " : "", extra ? extra : "");
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The gnuplot script of every plot, each to DIR/NAME.svg. */
static void script(FILE *g, const char *dir, const struct out *o,
                   size_t *n_heat)
{
    fprintf(g, "set terminal svg size 900,420 dynamic font 'sans,11' "
               "background '#ffffff'\n"
               "set grid\nset key outside right top\n");
    /* 1. acceptance over time */
    fprintf(g,
            "set output '%s/acceptance.svg'\n"
            "set title 'Acceptance so far'\nset xlabel 'simulated time "
            "(s)'\nset ylabel 'admitted / arrived (%%)'\n"
            "set yrange [0:105]\n",
            dir);
    for (size_t i = 0; i < o->nj; i++) {
        const struct sim_result *r = &o->jobs[i].res;
        fprintf(g, "$A%zu << EOD\n", i);
        size_t arr = 0, adm = 0;
        for (size_t k = 0; k < r->n_points; k++) {
            arr += r->points[k].arrivals;
            adm += r->points[k].admitted;
            if (arr)
                fprintf(g, "%.9g %.6g\n", r->points[k].t, pct(adm, arr));
        }
        fprintf(g, "EOD\n");
    }
    fprintf(g, "plot ");
    for (size_t i = 0; i < o->nj; i++) {
        fprintf(g, "%s$A%zu using 1:2 with lines lw 2 ", i ? ", " : "", i);
        gp_title(g, &o->jobs[i], NULL);
    }
    fprintf(g, "\nunset yrange\n");
    /* 2. utilisation heat maps, hosts x time, the first variant's runs */
    *n_heat = 0;
    for (size_t i = 0; i < o->nj; i++) {
        const struct job *j = &o->jobs[i];
        const struct sim_result *r = &j->res;
        if (strcmp(j->variant, o->jobs[0].variant) || !r->n_points)
            continue;
        fprintf(g, "$H%zu << EOD\n", i);
        for (size_t k = 0; k < r->n_points; k++)
            for (size_t h = 0; h < r->n_hosts; h++)
                fprintf(g, "%zu %zu %.4f\n", k, h,
                        100 * r->host_cpu[k * r->n_hosts + h]);
        fprintf(g, "EOD\n");
        fprintf(g,
                "set output '%s/heat%zu.svg'\n"
                "set title \"Reserved CPU per host: %s / %s\" noenhanced\n"
                "set xlabel 'interval (%.6g s each)'\nset ylabel 'host'\n"
                "set cblabel 'reserved (%%)'\nset cbrange [0:100]\n"
                "set palette defined (0 '#f7fbff', 50 '#6baed6', 100 "
                "'#08306b')\n"
                "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n"
                "plot $H%zu using 1:2:3 with image notitle\n"
                "unset xrange\nunset yrange\nunset cbrange\n",
                dir, i, j->variant, srv_policy_name(j->policy), o->interval_s,
                r->n_points - 1, r->n_hosts - 1, i);
        (*n_heat)++;
    }
    /* 3. rejections by family, stacked per run */
    fprintf(g, "$R << EOD\nrun");
    int fams[SIM_FAMILIES], nf = 0;
    for (int f = 1; f < SIM_FAMILIES; f++) {
        bool any = false;
        for (size_t i = 0; i < o->nj; i++)
            any |= o->jobs[i].res.rejected[f] > 0;
        if (any) {
            fams[nf++] = f;
            fprintf(g, " %s", sim_family_name((enum place_reject)f));
        }
    }
    fprintf(g, " none\n");
    for (size_t i = 0; i < o->nj; i++) {
        fprintf(g, "%s/%s", o->jobs[i].variant,
                srv_policy_name(o->jobs[i].policy));
        for (int k = 0; k < nf; k++)
            fprintf(g, " %zu", o->jobs[i].res.rejected[fams[k]]);
        fprintf(g, " 0\n");
    }
    fprintf(g,
            "EOD\n"
            "set output '%s/rejections.svg'\n"
            "set title 'Rejections by constraint family'\nset xlabel ''\n"
            "set ylabel 'rejected copies'\nset style data histograms\n"
            "set style histogram rowstacked\nset style fill solid 0.8 "
            "border -1\nset boxwidth 0.7\nset xtics rotate by -35 "
            "noenhanced\nset yrange [0:*]\n"
            "plot for [c=2:%d] $R using c:xtic(1) title columnheader\n"
            "unset yrange\nset xtics norotate\nset style data points\n",
            dir, nf + 2);
    /* 4. promised vs measured on-time share, per run and workflow */
    fprintf(g, "$G << EOD\n");
    size_t ng = 0;
    double ymin = 1;
    for (size_t i = 0; i < o->nj; i++)
        for (size_t t = 0; t < o->nt; t++) {
            const struct sim_result *r = &o->jobs[i].res;
            size_t jobs = 0, ok = 0;
            double promise = 0, lo, hi;
            for (size_t k = 0; k < r->n_mc; k++)
                if (r->mc[k].tmpl == t) {
                    jobs += r->mc[k].jobs;
                    ok += r->mc[k].on_time;
                    promise = r->mc[k].promise;
                }
            if (!jobs)
                continue;
            sim_clopper_pearson(ok, jobs, 0.95, &lo, &hi);
            fprintf(g, "%zu \"%s/%s/%s\" %.9g %.9g %.9g %.9g\n", ng,
                    o->jobs[i].variant, srv_policy_name(o->jobs[i].policy),
                    o->tm[t].name, promise, (double)ok / (double)jobs, lo, hi);
            ymin = fmin(ymin, fmin(lo, promise));
            ng++;
        }
    fprintf(g, "EOD\n");
    if (ng)
        fprintf(g,
                "set output '%s/guarantees.svg'\nset terminal svg size "
                "900,480\n"
                "set title 'Promised and measured on-time share (95%% "
                "Clopper-Pearson)'\nset ylabel 'on time'\nset xlabel ''\n"
                "set yrange [%.6g:1.0005]\nset xrange [-0.5:%zu.5]\n"
                "set xtics rotate by -45 noenhanced font ',8'\n"
                "plot $G using 1:4:5:6:xtic(2) with yerrorbars pt 7 lc "
                "'#08519c' title 'measured', $G using 1:3 with points pt 5 "
                "ps 1.2 lc '#cb181d' title 'promised'\n"
                "unset xrange\nunset yrange\nset xtics norotate font ''\n"
                "set terminal svg size 900,420\n",
                dir, fmax(0, ymin - 0.01), ng - 1);
    /* 5. decision times, one CDF per run */
    fprintf(g,
            "set output '%s/decisions.svg'\nset title 'Decision time'\n"
            "set xlabel 'ms (log)'\nset ylabel 'share of decisions'\n"
            "set logscale x\nset yrange [0:1.02]\n",
            dir);
    for (size_t i = 0; i < o->nj; i++) {
        const struct sim_result *r = &o->jobs[i].res;
        double *v = malloc((r->n_solver + 1) * sizeof *v);
        fprintf(g, "$D%zu << EOD\n", i);
        if (v) {
            memcpy(v, r->solver_ms, r->n_solver * sizeof *v);
            qsort(v, r->n_solver, sizeof *v, cmp_d);
            for (size_t k = 0; k < r->n_solver; k++)
                fprintf(g, "%.6g %.6g\n", fmax(v[k], 1e-4),
                        (double)(k + 1) / (double)r->n_solver);
            free(v);
        }
        fprintf(g, "EOD\n");
    }
    fprintf(g, "plot ");
    for (size_t i = 0; i < o->nj; i++) {
        fprintf(g, "%s$D%zu using 1:2 with steps lw 2 ", i ? ", " : "", i);
        gp_title(g, &o->jobs[i], NULL);
    }
    fprintf(g, "\nunset logscale x\nunset output\n");
}

/* Copy the SVG in `path` into the page (without its XML prolog). */
static bool inline_svg(FILE *f, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct plc_error err = PLC_ERROR_INIT;
    if (plc_read_file(path, PLC_INPUT_FILE_MAX, &text, &len, &err) < 0)
        return false;
    const char *svg = strstr(text, "<svg");
    if (svg)
        fwrite(svg, 1, len - (size_t)(svg - text), f);
    free(text);
    return svg != NULL;
}

int sim_write_report(const char *path, const struct out *o)
{
    char dir[] = "/tmp/placer-report-XXXXXX";
    if (!mkdtemp(dir)) {
        cli_error("cannot create a temporary folder (%s)", strerror(errno));
        return PLC_EXIT_CANTCREAT;
    }
    char sp[4096], cmd[8300];
    snprintf(sp, sizeof sp, "%s/plots.gp", dir);
    FILE *g = fopen(sp, "w");
    size_t n_heat = 0;
    if (g) {
        script(g, dir, o, &n_heat);
        fclose(g);
    }
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>'%s/gnuplot.err'", sp, dir);
    int st = g ? system(cmd) : -1;
    int code = PLC_EXIT_OK;
    if (st != 0) {
        char ep[4200];
        snprintf(ep, sizeof ep, "%s/gnuplot.err", dir);
        char *msg = NULL;
        size_t ml = 0;
        struct plc_error err = PLC_ERROR_INIT;
        plc_read_file(ep, 1 << 16, &msg, &ml, &err);
        cli_error("gnuplot failed (%s); is it installed (Debian: "
                  "gnuplot-nox)?%s%s",
                  st == -1        ? "not run"
                  : WIFEXITED(st) ? "its exit status"
                                  : "a signal",
                  msg && *msg ? "\n" : "", msg ? msg : "");
        free(msg);
        code = PLC_EXIT_SOFTWARE;
    }
    FILE *f = code == PLC_EXIT_OK ? fopen(path, "w") : NULL;
    if (code == PLC_EXIT_OK && !f) {
        cli_error("cannot write '%s' (%s)", path, strerror(errno));
        code = PLC_EXIT_CANTCREAT;
    }
    if (f) {
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                   "charset=\"utf-8\"><title>placer simulate</title>\n"
                   "<style>body{font-family:sans-serif;margin:2em;max-width:"
                   "1000px}table{border-collapse:collapse;font-size:13px}"
                   "td,th{border:1px solid #ccc;padding:3px 8px;text-align:"
                   "right}td:first-child,td:nth-child(2),th{text-align:left}"
                   "figure{margin:1.5em 0}figcaption{color:#444}</style>"
                   "</head><body>\n<h1>placer simulate</h1>\n");
        fprintf(f,
                "<p>%zu events over %.0f s of simulated time, seed %llu, "
                "%zu runs in %.1f s.</p>\n",
                o->n_events, o->horizon_s, (unsigned long long)o->seed, o->nj,
                o->wall_ms / 1e3);
        fprintf(f, "<table><tr><th>variant</th><th>policy</th><th>arrivals"
                   "</th><th>admitted</th><th>acceptance</th><th>revenue</th>"
                   "<th>decision p50 ms</th><th>p99 ms</th><th>checked</th>"
                   "<th>broken promises</th></tr>\n");
        for (size_t i = 0; i < o->nj; i++) {
            const struct sim_result *r = &o->jobs[i].res;
            fputs("<tr><td>", f);
            html_text(f, o->jobs[i].variant);
            fprintf(f,
                    "</td><td>%s</td><td>%zu</td><td>%zu</td><td>%.1f %%</td>"
                    "<td>%.2f</td><td>%.4g</td><td>%.4g</td><td>%zu</td>"
                    "<td>%zu</td></tr>\n",
                    srv_policy_name(o->jobs[i].policy), r->arrivals,
                    r->admitted, pct(r->admitted, r->arrivals), r->revenue,
                    sim_percentile(r->solver_ms, r->n_solver, 0.5),
                    sim_percentile(r->solver_ms, r->n_solver, 0.99), r->n_mc,
                    r->mc_broken);
        }
        fputs("</table>\n", f);
        struct {
            const char *file, *caption;
        } figs[] = {
            {"acceptance.svg", "Acceptance over time, per variant and policy."},
            {"rejections.svg", "Rejections by the constraint that bound."},
            {"guarantees.svg",
             "The promised probability of meeting the deadline against the "
             "on-time share measured by Monte-Carlo, with its 95 % interval."},
            {"decisions.svg", "How long decisions took."},
        };
        for (size_t i = 0; i < sizeof figs / sizeof *figs; i++) {
            char fp[4200];
            snprintf(fp, sizeof fp, "%s/%s", dir, figs[i].file);
            fputs("<figure>", f);
            if (!inline_svg(f, fp))
                fputs("<p>(no data)</p>", f);
            fprintf(f, "<figcaption>%s</figcaption></figure>\n",
                    figs[i].caption);
        }
        for (size_t i = 0; i < o->nj; i++) {
            char fp[4200];
            snprintf(fp, sizeof fp, "%s/heat%zu.svg", dir, i);
            if (access(fp, R_OK) != 0)
                continue;
            fputs("<figure>", f);
            inline_svg(f, fp);
            fputs("<figcaption>Reserved share of each host's CPU over time "
                  "(hosts in the cluster's order).</figcaption></figure>\n",
                  f);
        }
        fputs("</body></html>\n", f);
        if (fclose(f) != 0) {
            cli_error("cannot write '%s'", path);
            code = PLC_EXIT_CANTCREAT;
        }
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cli_error("could not remove '%s'", dir);
    (void)n_heat;
    return code;
}
