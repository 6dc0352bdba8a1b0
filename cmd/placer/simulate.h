/* simulate.h: what placer simulate's command and its outputs (report.c:
 * CSV files, the HTML report) share. */
#ifndef PLACER_SIMULATE_H
#define PLACER_SIMULATE_H

#include "sim/sim.h"

/* One run: a variant under a policy. */
struct job {
    const char *variant;
    Placer__Cluster *cluster; /* owned by the variant list */
    enum srv_policy policy;
    const struct sim_event *ev; /* the variant's */
    size_t n_ev;
    struct sim_result res;
    int rc;
    struct plc_error err;
};

/* Every run's results, for printing. */
struct out {
    const struct sim_template *tm;
    size_t nt;
    struct job *jobs;
    size_t nj;
    double horizon_s, interval_s, wall_ms;
    uint64_t seed;
    size_t n_events;
    bool decisions;
};

/* The CSV files of --csv DIR (created if missing): runs.csv, series.csv,
 * hosts.csv, workflows.csv, decisions.csv, checks.csv.  Returns the exit
 * code. */
int sim_write_csv(const char *dir, const struct out *o);

/* The HTML page of --report FILE, its plots drawn by gnuplot's SVG
 * terminal and inlined.  Returns the exit code. */
int sim_write_report(const char *path, const struct out *o);

#endif
