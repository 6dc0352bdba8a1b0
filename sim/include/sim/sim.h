/*
 * sim/sim.h: placer simulate's engine.  A discrete-event simulation over
 * simulated time of one cluster (a variant of the scenario's) under one
 * policy: copies of workflows arrive, each is decided through placerd's
 * own decision path (server/decide.h) and, admitted, holds its
 * reservations until it departs; hosts fail and come back.  Every run of
 * one scenario sees the same events (common random numbers), so that
 * policies and variants differ by what they decide alone.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "place/plan.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"
#include "server/decide.h"

/* A workflow the scenario's copies are made of. */
struct sim_template {
    const char *name;
    const Placer__Workflow *w; /* borrowed */
    double price;              /* revenue per admitted copy */
};

enum sim_event_kind {
    SIM_SUBMIT,
    SIM_RELEASE,   /* of the copy submitted by event `of` */
    SIM_HOST_DOWN, /* host `host` (a name: variants differ in hosts) */
    SIM_HOST_UP,
};

struct sim_event {
    double t; /* seconds of simulated time */
    enum sim_event_kind kind;
    uint32_t tmpl;    /* submit: its template */
    double hold;      /* submit: how long it holds (INFINITY: forever) */
    size_t of;        /* release: the submit event's index */
    const char *host; /* host events: borrowed */
    const char *name; /* submit: the copy's name (trace), or NULL */
};

/* The events of a scenario's arrival processes, sorted by time (ties in
 * template order), until `horizon_s` (0: none) or `max_arrivals` (0:
 * none), drawn from `seed`.  *out for the caller to free.  0,
 * PLC_ENOMEM. */
int sim_events_from_scenario(const Placer__Scenario *s, double horizon_s,
                             uint64_t max_arrivals, struct sim_event **out,
                             size_t *n);

/* Reject families, by enum place_reject (0 unused). */
#define SIM_FAMILIES (PLACE_REJECT_NO_HOSTS + 1)
const char *sim_family_name(enum place_reject r);
/* A decision's status as `placer plan --json` names it (solver.status). */
const char *sim_status_name(enum place_status s);

/* One interval of a run's time series (ending at `t`). */
struct sim_point {
    double t;
    size_t arrivals, admitted; /* within the interval */
    double cpu;                /* reserved / capacity of the hosts up */
    double link;               /* mean reserved share of link capacity */
    double largest_free_core;  /* the most free CPU of any core */
    size_t active;             /* copies holding reservations */
};

/* What one submission was decided (kept with keep_decisions). */
struct sim_decision {
    double t;
    uint32_t tmpl;
    bool admitted;
    bool replaced; /* a resubmission after its host failed */
    enum place_reject reject;
    char *plan;     /* "svc host core+core budget/period; ..." (malloc'd) */
    double time_ms; /* the decision's own time */
    enum place_status status; /* proven (optimal, infeasible) or not */
};

/* The Monte-Carlo check of one admitted copy. */
struct sim_mc_copy {
    uint32_t tmpl;
    double t;       /* when it was admitted */
    double promise; /* the workflow's probability */
    double bound;   /* what the plan guaranteed (its probability bound) */
    size_t jobs, on_time;
    double lo, hi; /* 95 % Clopper-Pearson interval of the on-time share */
};

struct sim_run_in {
    const Placer__Cluster *cluster; /* the variant's (copied) */
    const struct sim_template *tmpl;
    size_t n_tmpl;
    const struct sim_event *ev;
    size_t n_ev;
    enum srv_policy policy;
    int objective;
    double time_limit_s;
    double horizon_s; /* the end of the series */
    double interval_s;
    bool keep_decisions;
    size_t mc_jobs; /* Monte-Carlo jobs per admitted copy (0: none) */
    uint64_t seed;
    atomic_size_t *progress; /* events done, for a progress bar; or NULL */
};

struct sim_result {
    size_t arrivals, admitted;
    size_t *t_arrivals, *t_admitted; /* per template */
    size_t rejected[SIM_FAMILIES];
    size_t evicted;  /* copies on a host that failed */
    size_t replaced; /* of those, admitted again at once */
    double revenue;
    double *solver_ms; /* per submission decided */
    size_t n_solver;
    size_t n_points;
    struct sim_point *points;
    size_t n_hosts;
    double *host_cpu; /* n_points x n_hosts: reserved share of each host */
    /* n_points x n_tmpl: each template's arrivals and admissions within
     * each interval */
    size_t *pt_arrivals, *pt_admitted;
    char **host_names; /* the variant's */
    double wall_ms;
    struct sim_decision *decisions;
    size_t n_decisions;
    /* the Monte-Carlo check of every admitted copy (mc_jobs > 0) */
    struct sim_mc_copy *mc;
    size_t n_mc;
    size_t mc_broken; /* copies whose interval lies wholly below the
                         promise */
    double mc_ms;     /* time spent on it */
};

int sim_run(const struct sim_run_in *in, struct sim_result *out,
            struct plc_error *err);
void sim_result_release(struct sim_result *r);

/* The variant's cluster: base with the hosts of v added (copies of a
 * host, named LIKE+1, LIKE+2 ..., joined to the same switch by a link
 * like its), removed (with their links) and link rates scaled.  NULL
 * when memory runs out; *err says what else is wrong. */
Placer__Cluster *sim_variant_cluster(const Placer__Cluster *base,
                                     const Placer__Variant *v,
                                     struct plc_error *err);

/* Run `jobs` jobs of the admitted plan of problem mp (built against the
 * residual it was decided on, or with self_loaded against one that holds
 * the plan's own loads already) as montecarlo.c describes; *on_time gets
 * how many met the workflow's deadline.  0 or PLC_ENOMEM. */
int sim_mc_check(const struct model_problem *mp, const struct place_plan *plan,
                 size_t jobs, uint64_t seed, bool self_loaded, size_t *on_time);

/* The Clopper-Pearson interval of a share k / n at confidence conf. */
void sim_clopper_pearson(size_t k, size_t n, double conf, double *lo,
                         double *hi);

/* A trace (docs/formats.md): its events, and the copies' names. */
struct sim_trace {
    struct sim_event *ev;
    size_t n;
    char **names; /* per event: a submission's copy name, owned */
};

/* Parse `len` bytes of JSON lines (file `name`, for messages) against the
 * scenario's templates and cluster: times never going back, a release
 * naming a copy submitted before, hosts of the cluster.  0; PLC_EDATA with
 * "NAME:LINE: FIELD: MESSAGE" in err; PLC_ENOMEM.  Release t in every
 * case. */
int sim_trace_parse(const char *name, const char *text, size_t len,
                    const struct sim_template *tm, size_t nt,
                    const Placer__Cluster *c, struct sim_trace *t,
                    struct plc_error *err);
void sim_trace_release(struct sim_trace *t);

/* A job of a Standard Workload Format log. */
struct sim_swf_job {
    double submit, run; /* fields 2 and 4, seconds */
    long number, queue; /* fields 1 and 15 */
    size_t line;
};

/* The jobs of `len` bytes of an SWF 2.2 log (file `name`), sorted by
 * submit time (ties in file order); *unknown counts those skipped for an
 * unknown (-1) submit or run time.  0 with *jobs for the caller to free;
 * PLC_EDATA with "NAME:LINE: field N (NAME): ..." in err; PLC_ENOMEM. */
int sim_swf_parse(const char *name, const char *text, size_t len,
                  struct sim_swf_job **jobs, size_t *n, size_t *unknown,
                  struct plc_error *err);

/* Percentile q (0..1) of n values (sorted in place). */
double sim_percentile(double *v, size_t n, double q);

#endif
