/* internal.h: the server's state and the calls its files make of each
 * other.  Internal to the server library. */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include "admit.h"
#include "plc/diag.h"
#include "server/server.h"
#include "state.h"
#include "sync.h"

/* A request in flight: answered at once, or waiting in the admission
 * queue, being planned, or waiting for its commit. */
struct job {
    uv_work_t work;
    struct srv *srv;
    srv_reply_fn reply; /* NULL once answered */
    void *ctx;
    uint64_t id;
    Placer__Request *req;
    struct job *next;
    double t0;
    /* submit: planned on the worker */
    const Placer__Cluster *residual; /* the totals' (no plan changes it) */
    const struct model_index *index; /* the totals' */
    struct model_problem mp;
    struct plc_diags problems; /* validation's, on the worker */
    double waited_s;           /* >= the limit: not planned at all */
    struct place_plan plan;
    Placer__Plan *doc;
    int rc;
    struct plc_error err;
    /* admitted: the rows the commit writes */
    struct admission_rows rows;
    uint8_t *wb, *pb;
    size_t wlen, plen;
    const char *tenant;
    int64_t admitted_us; /* the reservations' first generation */
    /* who asks (auth.c): an admin, or a tenant's token */
    bool admin;
    char tenant_auth[64]; /* the token's tenant; "" for an admin */
    char actor[96];       /* for the log: "acme token 3", "local client" */
    char curve_who[80];   /* the transport's CURVE key: "tenant:T",
                           * "admin:NAME"; "" for none */
};

/* metrics.c: counters and histograms of decisions and HTTP answers. */
#define SRV_METRICS_BUCKETS 14
#define SRV_REJECT_CODES 12 /* RejectionCode values */
#define SRV_ERROR_CODES 10  /* ErrorCode values */
#define SRV_HTTP_CODES 24   /* distinct HTTP statuses counted */
struct srv_histogram {
    uint64_t bucket[SRV_METRICS_BUCKETS], count;
    double sum;
};
struct srv_metrics {
    /* [0] admitted, [1 + code] rejected, [1 + REJECT_CODES + code] error */
    uint64_t admissions[1 + SRV_REJECT_CODES + SRV_ERROR_CODES];
    uint64_t dry_runs[1 + SRV_REJECT_CODES + SRV_ERROR_CODES];
    struct srv_histogram admission_s, solver_s, gap;
    unsigned http_code[SRV_HTTP_CODES];
    uint64_t http[SRV_HTTP_CODES];
    int n_http;
};

struct srv {
    uv_loop_t *loop;
    struct store *store;
    struct store *writer; /* the committer's connection */
    struct totals totals;
    struct sync sync; /* reservations as the agents enforce them */
    long repaired;    /* totals rows repaired at open */
    /* the admission queue */
    struct job *head, *tail; /* waiting admissions and cluster changes */
    size_t queued, queue_max;
    struct job *running;
    struct job *commit_head, *commit_tail; /* admitted, not yet durable */
    struct job *committing;                /* the batch being written */
    uv_work_t commit_work; /* the committer's request (one at a time) */
    bool draining;
    void (*stopped)(void *arg); /* srv_stop()'s, called once */
    void *stopped_arg;
    long served;
    /* agents */
    bool agents_allowed;
    srv_agent_send_fn agent_send;
    void *agent_arg;
    double refused_agents_ms; /* said at most once a minute */
    struct srv_metrics metrics;
    bool tokens_required;    /* srv_options.tokens_required */
    struct srv_idem *idem;   /* HTTP requests with an Idempotency-Key being
                              * answered (http.c) */
    struct srv_watch *watch; /* GET /v1/events waiting (http.c) */
    double pruned_ms;        /* the event log, last pruned */
};

/* The events the store keeps (the newest). */
#define SRV_EVENTS_KEPT 100000

/* http.c: answer the watches that have events now, or whose wait is over
 * (every one with what there is when `all`: placerd stops). */
void srv__watch_poll(struct srv *s, bool all);

/* auth.c: who a request acts for and what it may do; false after
 * answering why not.  Rewrites a tenant's requests to name its tenant. */
bool srv__authorize(struct srv *srv, struct job *q);
/* The token and quota operations: true when q was one (and answered). */
bool srv__auth_request(struct srv *srv, struct job *q);
/* What a tenant's admitted workflows hold (committed or not). */
struct srv_usage {
    double cpu;
    uint64_t bandwidth_bps, workflows;
};
int srv__tenant_usage(struct srv *srv, const char *tenant, struct srv_usage *u,
                      struct plc_error *err);
/* Whether admitting plan p for tenant would pass its quota; *why says
 * how, with the figures. */
bool srv__quota_refuses(struct srv *srv, const char *tenant,
                        const Placer__Plan *p, char *why, size_t len);

/* request.c: answers. */
void srv__reply_with(struct job *q, Placer__Response__ResultCase c, void *msg);
/* What a submission or a dry run (PlanRequest: planned against the live
 * state, never admitted) asks to plan: the workflow, the objective (0:
 * the workflow's), the time limit in seconds (default 2). */
struct srv_ask {
    const Placer__Workflow *workflow;
    int objective;
    bool has_limit;
    uint64_t limit_ms;
    bool dry;
};
struct srv_ask srv__ask(const Placer__Request *req);

/* decide.c: the decision path (decide.h) as placerd runs it: the plan on
 * a residual (on a worker), and an admitted plan's rows built and counted
 * in the totals (on the loop). */
int srv__decide_plan(const Placer__Cluster *residual,
                     const struct model_index *index, const Placer__Workflow *w,
                     int objective, double limit_s, struct model_problem *mp,
                     struct place_plan *plan, Placer__Plan **doc,
                     struct plc_error *err);
int srv__decide_admit(struct totals *t, const Placer__Workflow *w,
                      const struct place_plan *plan,
                      struct admission_rows *rows);
double srv__time_limit_s(const struct srv_ask *a);
void srv__reply_error(struct job *q, Placer__ErrorCode code,
                      const struct plc_diags *problems, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *srv__tenant_of(const char *t);
/* The wire's error code for a store or lookup failure: NOT_FOUND,
 * BAD_INPUT, BUSY (a full disk, a time limit: retry later) or INTERNAL. */
Placer__ErrorCode srv__error_code(int rc);
void srv__job_free(struct job *q);

/* A stored workflow's lifecycle state (a Placer__State) as the agents'
 * acknowledgements make it. */
int srv__workflow_state(const struct srv *s, const struct store_workflow *w);

/* metrics.c: a reply to a submission or dry run, counted. */
void srv__metrics_reply(struct srv *s, const struct job *q,
                        const Placer__Response *r);

/* queue.c: the admission queue and the group commit. */
void srv__enqueue(struct srv *s, struct job *q);
void srv__start_next(struct srv *s);
void srv__reload_totals(struct srv *s);

/* agents.c: any message to host h's agent (sync.c's sender). */
void srv__agent_send_to(void *arg, size_t h, const Placer__ServerToAgent *m);

#endif
