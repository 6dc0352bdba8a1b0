/*
 * queue.c: the admission queue and the group commit.
 *
 * Admissions and cluster changes wait in one bounded FIFO and run one at
 * a time, so each is planned against the residuals every earlier one
 * left: no double booking.  The plan (model, GLPK) runs on libuv's worker
 * pool, so the loop keeps answering queries meanwhile.
 *
 * Group commit: an admitted plan counts against the residuals at once (so
 * the next plan cannot take its capacity) and joins the commit queue; one
 * worker writes every waiting admission in one SQLite transaction (one
 * fsync) on its own connection, and only then are their replies sent.
 * Nothing is acknowledged before it is durable; a plan whose commit fails
 * is answered with the error and stops counting.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "plc/clock.h"
#include "plc/diag.h"
#include "proto/validate.h"

void srv__job_free(struct job *q)
{
    /* every request is answered exactly once: one that reaches here
     * unanswered is a bug, said to its client rather than dropped */
    if (q->reply)
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "placerd dropped the request unanswered");
    srv__admission_rows_release(&q->rows);
    plc_diags_release(&q->problems);
    free(q->wb);
    free(q->pb);
    if (q->doc)
        placer__plan__free_unpacked(q->doc, NULL);
    place_plan_release(&q->plan);
    model_problem_release(&q->mp);
    if (q->req)
        placer__request__free_unpacked(q->req, NULL);
    free(q);
}

struct srv_ask srv__ask(const Placer__Request *req)
{
    struct srv_ask a = {0};
    if (req->op_case == PLACER__REQUEST__OP_SUBMIT && req->submit) {
        const Placer__SubmitRequest *s = req->submit;
        a = (struct srv_ask){s->workflow,
                             s->has_objective ? (int)s->objective : 0,
                             s->has_time_limit_ms, s->time_limit_ms, false};
    } else if (req->op_case == PLACER__REQUEST__OP_PLAN && req->plan) {
        const Placer__PlanRequest *s = req->plan;
        a = (struct srv_ask){s->workflow,
                             s->has_objective ? (int)s->objective : 0,
                             s->has_time_limit_ms, s->time_limit_ms, true};
    }
    return a;
}

double srv__time_limit_s(const struct srv_ask *a)
{
    return a->has_limit && a->limit_ms ? (double)a->limit_ms / 1e3 : 2.0;
}

/* On a worker: validation (linear, but not for the loop to wait on),
 * then the plan, in what is left of the request's time limit since it
 * arrived, the wait in the queue included. */
static void plan_work(uv_work_t *w)
{
    struct job *q = w->data;
    struct srv_ask a = srv__ask(q->req);
    proto_workflow_validate(a.workflow, &q->problems);
    if (q->problems.n == 0)
        proto_workflow_validate_refs(a.workflow, q->residual, &q->problems);
    if (q->problems.n || q->problems.oom)
        return;
    double limit = srv__time_limit_s(&a);
    double left = limit - (plc_now_ms() - q->t0) / 1e3;
    if (left < 0.001) {
        q->waited_s = (plc_now_ms() - q->t0) / 1e3;
        return;
    }
    q->rc = srv__decide_plan(q->residual, q->index, a.workflow, a.objective,
                             left, &q->mp, &q->plan, &q->doc, &q->err);
}

static void start_commit(struct srv *srv);

/* After the plan: a rejection is answered at once; an admission waits for
 * its commit (start_commit). */
/* The answer to a plan that fits the cluster but not the tenant's quota:
 * a rejection of code quota with the figures, and no placement. */
static void quota_rejection(struct job *q, const char *tenant, const char *why)
{
    Placer__Plan p = PLACER__PLAN__INIT;
    Placer__Rejection rj = PLACER__REJECTION__INIT;
    p.has_schema = 1;
    p.schema = q->doc->has_schema ? q->doc->schema : 1;
    p.workflow = q->doc->workflow;
    p.has_admitted = 1;
    p.admitted = 0;
    p.objective = q->doc->objective;
    p.solver = q->doc->solver;
    p.tenant = (char *)tenant;
    rj.has_code = 1;
    rj.code = PLACER__REJECTION_CODE__REJECTION_CODE_QUOTA;
    rj.message = (char *)why;
    p.rejection = &rj;
    srv__reply_with(q, PLACER__RESPONSE__RESULT_PLAN, &p);
}

static void plan_done(uv_work_t *w, int status)
{
    (void)status;
    struct job *q = w->data;
    struct srv *srv = q->srv;
    struct srv_ask a = srv__ask(q->req);
    const Placer__Workflow *wf = a.workflow;
    const char *tenant = srv__tenant_of(wf->tenant);
    char why[512];
    if (q->problems.oom) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory while validating the workflow");
    } else if (q->problems.n) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT,
                         &q->problems, "the workflow has %zu problem%s",
                         q->problems.n, q->problems.n == 1 ? "" : "s");
    } else if (q->waited_s > 0) {
        plc_log(PLC_LOG_WARN,
                "submit %s/%s not planned: it waited %.3f s for the "
                "admission queue, past its time limit of %.3g s",
                tenant, wf->name, q->waited_s, srv__time_limit_s(&a));
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                         "not planned: the request waited %.3g s for the "
                         "admission queue, past its time limit of %.3g s; "
                         "retry, or give a longer time limit",
                         q->waited_s, srv__time_limit_s(&a));
    } else if (q->rc < 0) {
        /* a time limit reached before a plan, a full disk: busy (retry),
         * as the other paths answer them; only a fault is internal */
        Placer__ErrorCode code = srv__error_code(q->rc);
        plc_log(code == PLACER__ERROR_CODE__ERROR_CODE_INTERNAL ? PLC_LOG_ERROR
                                                                : PLC_LOG_WARN,
                "submit %s/%s: %s", tenant, wf->name, q->err.msg);
        srv__reply_error(q, code, NULL, "%s", q->err.msg);
    } else if (a.dry && q->plan.admitted &&
               srv__quota_refuses(srv, tenant, q->doc, why, sizeof why)) {
        plc_log(PLC_LOG_INFO, "dry run %s/%s (%.1f ms): %s", tenant, wf->name,
                plc_now_ms() - q->t0, why);
        quota_rejection(q, tenant, why);
    } else if (a.dry) {
        /* a dry run: the plan against the live state, nothing recorded */
        plc_log(PLC_LOG_INFO, "dry run %s/%s (%.1f ms): %s", tenant, wf->name,
                plc_now_ms() - q->t0,
                q->plan.admitted ? "would be admitted" : q->plan.message);
        q->doc->tenant = strdup(tenant);
        if (!q->doc->tenant)
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                             "out of memory");
        else
            srv__reply_with(q, PLACER__RESPONSE__RESULT_PLAN, q->doc);
    } else if (!q->plan.admitted) {
        plc_log(PLC_LOG_INFO, "rejected %s/%s (%.1f ms): %s", tenant, wf->name,
                plc_now_ms() - q->t0, q->plan.message);
        srv__reply_with(q, PLACER__RESPONSE__RESULT_PLAN, q->doc);
    } else if (srv__quota_refuses(srv, tenant, q->doc, why, sizeof why)) {
        plc_log(PLC_LOG_INFO, "rejected %s/%s (%.1f ms): %s", tenant, wf->name,
                plc_now_ms() - q->t0, why);
        quota_rejection(q, tenant, why);
    } else {
        q->tenant = tenant;
        q->admitted_us = plc_wall_us();
        q->doc->tenant = strdup(tenant);
        q->doc->has_state = 1;
        q->doc->state = PLACER__STATE__STATE_ADMITTED;
        q->wlen = placer__workflow__get_packed_size(wf);
        q->plen = placer__plan__get_packed_size(q->doc);
        q->wb = malloc(q->wlen + 1);
        q->pb = malloc(q->plen + 1);
        int rc = q->wb && q->pb && q->doc->tenant ? 0 : PLC_ENOMEM;
        /* it counts from now on (decide.c); the reply waits for the
         * commit */
        if (rc == 0)
            rc = srv__decide_admit(&srv->totals, wf, &q->plan, &q->rows);
        if (rc < 0) {
            plc_log(PLC_LOG_ERROR, "submit %s/%s not recorded: %s", tenant,
                    wf->name, plc_strerror(rc));
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                             "cannot record the admission (%s)",
                             plc_strerror(rc));
        } else {
            placer__workflow__pack(wf, q->wb);
            placer__plan__pack(q->doc, q->pb);
            if (srv->commit_tail)
                srv->commit_tail->next = q;
            else
                srv->commit_head = q;
            srv->commit_tail = q;
            q->next = NULL;
            srv->running = NULL;
            srv__start_next(srv);
            start_commit(srv);
            return;
        }
    }
    srv->running = NULL;
    srv__job_free(q);
    srv__start_next(srv);
}

static void commit_work(uv_work_t *w)
{
    struct srv *srv = w->data;
    size_t n = 0;
    for (struct job *q = srv->committing; q; q = q->next)
        n++;
    struct store_admission *a = calloc(n + 1, sizeof *a);
    int *rc = calloc(n + 1, sizeof *rc);
    struct plc_error err = PLC_ERROR_INIT;
    size_t i = 0;
    for (struct job *q = srv->committing; a && q; q = q->next, i++)
        a[i] = (struct store_admission){
            q->tenant,        q->req->submit->workflow->name,
            "admitted",       q->wb,
            q->wlen,          q->pb,
            q->plen,          q->rows.n_services,
            q->rows.n_cpu,    q->rows.n_net,
            q->rows.services, q->rows.cpu,
            q->rows.net,      q->admitted_us,
            q->actor};
    int all =
        !a || !rc ? PLC_ENOMEM : store_admit_batch(srv->writer, a, n, rc, &err);
    i = 0;
    for (struct job *q = srv->committing; q; q = q->next, i++) {
        q->rc = all < 0 ? all : rc[i];
        if (q->rc < 0)
            plc_error_set(&q->err, q->rc, "%s",
                          all < 0 ? err.msg
                                  : "tenant's workflow name is in use; "
                                    "release it first or choose another "
                                    "name");
    }
    free(a);
    free(rc);
}

static void commit_done(uv_work_t *w, int status)
{
    (void)status;
    struct srv *srv = w->data;
    struct job *batch = srv->committing;
    srv->committing = NULL;
    bool failed = false;
    size_t n = 0;
    for (struct job *q = batch; q; q = q->next)
        failed |= q->rc < 0;
    if (failed)
        srv__reload_totals(srv); /* the failed ones stop counting */
    while (batch) {
        struct job *q = batch;
        batch = q->next;
        n++;
        const Placer__Workflow *wf = q->req->submit->workflow;
        if (q->rc == 0) {
            plc_log(PLC_LOG_INFO,
                    "admitted %s/%s: %zu services on %zu hosts, objective "
                    "%.6g, %zu link reservations (%.1f ms, solver %.1f ms)",
                    q->tenant, wf->name, q->rows.n_services,
                    q->doc->n_hosts_used, q->plan.objective, q->rows.n_net,
                    plc_now_ms() - q->t0, q->plan.time_ms);
            srv__reply_with(q, PLACER__RESPONSE__RESULT_PLAN, q->doc);
            /* then to the agents */
            if (srv__sync_admitted(&srv->sync, q->tenant, wf->name, &q->rows,
                                   (uint64_t)q->admitted_us) < 0)
                plc_log(PLC_LOG_ERROR,
                        "%s/%s: out of memory tracking its reservations; "
                        "they go to the agents at their next registration",
                        q->tenant, wf->name);
        } else {
            plc_log(q->rc == PLC_EDATA ? PLC_LOG_INFO : PLC_LOG_ERROR,
                    "submit %s/%s not recorded: %s", q->tenant, wf->name,
                    q->err.msg);
            srv__reply_error(q,
                             q->rc == PLC_EDATA
                                 ? PLACER__ERROR_CODE__ERROR_CODE_CONFLICT
                                 : srv__error_code(q->rc),
                             NULL, "%s", q->err.msg);
        }
        srv__job_free(q);
    }
    plc_log(PLC_LOG_DEBUG, "committed %zu admissions in one transaction", n);
    srv__watch_poll(srv, false); /* their events */
    start_commit(srv);
    srv__start_next(srv); /* draining may be complete now */
}

/* Write every admission waiting for its commit, in one transaction. */
static void start_commit(struct srv *srv)
{
    if (srv->committing || !srv->commit_head)
        return;
    srv->committing = srv->commit_head;
    srv->commit_head = srv->commit_tail = NULL;
    uv_work_t *work = &srv->commit_work;
    work->data = srv;
    if (uv_queue_work(srv->loop, work, commit_work, commit_done) != 0) {
        for (struct job *q = srv->committing; q; q = q->next) {
            q->rc = PLC_EINTERNAL;
            plc_error_set(&q->err, PLC_EINTERNAL, "cannot start the commit");
        }
        commit_done(work, 0);
    }
}

/* The totals from the store, plus what is admitted but not yet durable. */
void srv__reload_totals(struct srv *srv)
{
    long unknown;
    struct plc_error err = PLC_ERROR_INIT;
    if (srv__totals_load(&srv->totals, srv->store, &unknown, &err) < 0)
        plc_log(PLC_LOG_ERROR, "cannot reload the reserved totals: %s",
                err.msg);
    /* (the batch being written is read here, never its rc: the worker
     * sets that; a failed one is off both lists when this runs again) */
    for (int k = 0; k < 2; k++)
        for (struct job *q = k ? srv->commit_head : srv->committing; q;
             q = q->next)
            srv__admission_rows_apply(&q->rows, &srv->totals, &q->plan);
}

static void do_cluster_apply(struct srv *srv, struct job *q)
{
    const Placer__ClusterApplyRequest *a = q->req->cluster_apply;
    struct plc_error err = PLC_ERROR_INIT;
    struct plc_diags d = PLC_DIAGS_INIT;
    if (!a->cluster) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "cluster apply: the cluster is missing");
        return;
    }
    proto_cluster_validate(a->cluster, &d);
    if (d.n) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, &d,
                         "the cluster has %zu problem%s", d.n,
                         d.n == 1 ? "" : "s");
        plc_diags_release(&d);
        return;
    }
    char **stranded = NULL;
    size_t n = 0;
    bool over = false;
    int rc = srv__strand_check(a->cluster, &srv->totals, srv->store, &stranded,
                               &n, &over, &err);
    if (rc == 0 && (n || over) && !(a->has_force && a->force)) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "the new cluster would strand %zu admitted workflow%s%s; "
                 "release them first or apply with --force",
                 n, n == 1 ? "" : "s",
                 over ? " and leaves less capacity than is reserved" : "");
        plc_log(PLC_LOG_INFO, "cluster apply refused: %s", msg);
        Placer__Error e = PLACER__ERROR__INIT;
        e.has_code = 1;
        e.code = PLACER__ERROR_CODE__ERROR_CODE_CONFLICT;
        e.message = msg;
        e.problems = stranded;
        e.n_problems = n;
        srv__reply_with(q, PLACER__RESPONSE__RESULT_ERROR, &e);
    } else if (rc == 0) {
        size_t len = placer__cluster__get_packed_size(a->cluster);
        uint8_t *buf = malloc(len + 1);
        Placer__Cluster *copy = NULL;
        if (buf) {
            placer__cluster__pack(a->cluster, buf);
            copy = placer__cluster__unpack(NULL, len, buf);
        }
        struct store_cluster rows;
        rc = !buf || !copy ? PLC_ENOMEM : srv__cluster_rows_build(copy, &rows);
        if (rc == 0) {
            rc = store_cluster_put(srv->store, buf, len, &rows, &err);
            srv__cluster_rows_release(&rows);
        }
        free(buf);
        long unknown = 0;
        if (rc == 0 &&
            (rc = srv__totals_set_cluster(&srv->totals, copy)) == 0) {
            copy = NULL;
            rc = srv__totals_load(&srv->totals, srv->store, &unknown, &err);
            if (rc == 0)
                srv__reload_totals(srv);
            srv__sync_rehost(&srv->sync);
        }
        if (copy)
            placer__cluster__free_unpacked(copy, NULL);
        if (rc < 0) {
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                             "cannot apply the cluster: %s",
                             err.msg[0] ? err.msg : plc_strerror(rc));
        } else {
            char detail[128];
            snprintf(detail, sizeof detail,
                     "%zu hosts, %zu switches, %zu links", a->cluster->n_hosts,
                     a->cluster->n_switches, a->cluster->n_links);
            store_set_actor(srv->store, q->actor);
            store_event_append(srv->store, "cluster", "apply", detail, &err);
            srv__watch_poll(srv, false);
            plc_log(PLC_LOG_INFO, "cluster applied: %s%s%s", detail,
                    n ? " (forced over stranded workflows)" : "",
                    unknown ? "; some reservations name what it lacks" : "");
            Placer__ClusterApplyReply cr = PLACER__CLUSTER_APPLY_REPLY__INIT;
            cr.has_hosts = cr.has_switches = cr.has_links = 1;
            cr.hosts = (uint32_t)a->cluster->n_hosts;
            cr.switches = (uint32_t)a->cluster->n_switches;
            cr.links = (uint32_t)a->cluster->n_links;
            cr.stranded = stranded;
            cr.n_stranded = n;
            srv__reply_with(q, PLACER__RESPONSE__RESULT_CLUSTER_APPLY, &cr);
        }
    } else {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                         err.msg);
    }
    for (size_t i = 0; i < n; i++)
        free(stranded[i]);
    free(stranded);
}

/* Run the next waiting job: cluster changes on the loop, submissions on a
 * worker. */
void srv__start_next(struct srv *srv)
{
    /* stopping: the waiting ones hear so now, not after the one running */
    while (srv->running && srv->draining && srv->head) {
        struct job *q = srv->head;
        srv->head = q->next;
        if (!srv->head)
            srv->tail = NULL;
        srv->queued--;
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                         "placerd is shutting down; retry later");
        srv__job_free(q);
    }
    while (!srv->running && srv->head) {
        struct job *q = srv->head;
        srv->head = q->next;
        if (!srv->head)
            srv->tail = NULL;
        srv->queued--;
        if (srv->draining) {
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                             "placerd is shutting down; retry later");
            srv__job_free(q);
            continue;
        }
        if (q->req->op_case == PLACER__REQUEST__OP_CLUSTER_APPLY) {
            do_cluster_apply(srv, q);
            srv__job_free(q);
            continue;
        }
        if (q->req->op_case == PLACER__REQUEST__OP_SNAPSHOT) {
            /* between plans: the residual may be brought up to date */
            const Placer__Cluster *c = srv__totals_residual(&srv->totals);
            if (c)
                srv__reply_with(q, PLACER__RESPONSE__RESULT_SNAPSHOT,
                                (void *)c);
            else
                srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                                 NULL,
                                 "placerd has no cluster yet; apply one with "
                                 "'placer cluster apply FILE'");
            srv__job_free(q);
            continue;
        }
        /* submit, or a dry run */
        q->residual = srv__totals_residual(&srv->totals);
        q->index = srv->totals.index;
        if (!q->residual) {
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                             "out of memory");
            srv__job_free(q);
            continue;
        }
        srv->running = q;
        q->work.data = q;
        if (uv_queue_work(srv->loop, &q->work, plan_work, plan_done) != 0) {
            srv->running = NULL;
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                             "cannot start the solver");
            srv__job_free(q);
        }
    }
    if (srv->draining && srv->stopped && srv_idle(srv)) {
        void (*done)(void *) = srv->stopped;
        srv->stopped = NULL;
        done(srv->stopped_arg);
    }
}

void srv__enqueue(struct srv *srv, struct job *q)
{
    q->next = NULL;
    if (srv->tail)
        srv->tail->next = q;
    else
        srv->head = q;
    srv->tail = q;
    srv->queued++;
    srv__start_next(srv);
}
