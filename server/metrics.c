/*
 * metrics.c: placerd's figures in the Prometheus text exposition format
 * (version 0.0.4), named by Prometheus' conventions (promtool's lint):
 * base units in the name (_seconds, _bytes, _ratio), counters ending in
 * _total.
 *
 * Counters and histograms are kept as decisions are answered
 * (srv__metrics_reply, from srv__reply_with); gauges (queue, workflows
 * by state, reservations per core and link, hosts by agent state) are
 * read from the server's state when scraped.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plc/buf.h"
#include "plc/clock.h"
#include "proto/json.h"

static const double duration_bounds[SRV_METRICS_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const double gap_bounds[SRV_METRICS_BUCKETS] = {
    0, 1e-9, 1e-6, 1e-5, 1e-4, 1e-3, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10};

static void observe(struct srv_histogram *h, const double *bounds, double v)
{
    for (int i = 0; i < SRV_METRICS_BUCKETS; i++)
        if (v <= bounds[i])
            h->bucket[i]++;
    h->count++;
    h->sum += v;
}

void srv__metrics_reply(struct srv *s, const struct job *q,
                        const Placer__Response *r)
{
    struct srv_metrics *m = &s->metrics;
    Placer__Request__OpCase op = q->req ? q->req->op_case : 0;
    if (op != PLACER__REQUEST__OP_SUBMIT && op != PLACER__REQUEST__OP_PLAN)
        return;
    bool dry = op == PLACER__REQUEST__OP_PLAN;
    int k; /* 0 admitted, 1 + code rejected, 1 + REJECT_CODES + code error */
    if (r->result_case == PLACER__RESPONSE__RESULT_PLAN && r->plan->admitted)
        k = 0;
    else if (r->result_case == PLACER__RESPONSE__RESULT_PLAN)
        k = 1 + (r->plan->rejection &&
                         (unsigned)r->plan->rejection->code < SRV_REJECT_CODES
                     ? (int)r->plan->rejection->code
                     : 0);
    else
        k = 1 + SRV_REJECT_CODES +
            (r->result_case == PLACER__RESPONSE__RESULT_ERROR &&
                     (unsigned)r->error->code < SRV_ERROR_CODES
                 ? (int)r->error->code
                 : PLACER__ERROR_CODE__ERROR_CODE_INTERNAL);
    (dry ? m->dry_runs : m->admissions)[k]++;
    if (dry)
        return;
    observe(&m->admission_s, duration_bounds, (plc_now_ms() - q->t0) / 1000);
    if (r->result_case == PLACER__RESPONSE__RESULT_PLAN && r->plan->solver) {
        const Placer__SolverInfo *si = r->plan->solver;
        if (si->has_time_ms)
            observe(&m->solver_s, duration_bounds, si->time_ms / 1000);
        if (si->has_gap && isfinite(si->gap))
            observe(&m->gap, gap_bounds, si->gap);
    }
}

void srv_metrics_http(struct srv *s, unsigned status)
{
    struct srv_metrics *m = &s->metrics;
    for (int i = 0; i < m->n_http; i++)
        if (m->http_code[i] == status) {
            m->http[i]++;
            return;
        }
    if (m->n_http < SRV_HTTP_CODES) {
        m->http_code[m->n_http] = status;
        m->http[m->n_http++] = 1;
    }
}

/* ---- the text format ------------------------------------------------------
 */

/* A label value: backslash, double quote and newline escaped. */
static const char *label(const char *v, char *buf, size_t len)
{
    size_t k = 0;
    for (; v && *v && k + 3 < len; v++) {
        if (*v == '\\' || *v == '"' || *v == '\n') {
            buf[k++] = '\\';
            buf[k++] = *v == '\n' ? 'n' : *v;
        } else {
            buf[k++] = *v;
        }
    }
    buf[k] = 0;
    return buf;
}

static void head(struct plc_buf *b, const char *name, const char *type,
                 const char *help)
{
    plc_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(struct plc_buf *b, const char *name, const char *help,
                      const struct srv_histogram *h, const double *bounds)
{
    head(b, name, "histogram", help);
    for (int i = 0; i < SRV_METRICS_BUCKETS; i++)
        plc_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
                       (unsigned long long)h->bucket[i]);
    plc_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
                   (unsigned long long)h->count);
    plc_buf_printf(b, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
                   (unsigned long long)h->count);
}

static void decisions(struct plc_buf *b, const char *name, const char *help,
                      const uint64_t *v)
{
    char code[48];
    head(b, name, "counter", help);
    plc_buf_printf(b, "%s{result=\"admitted\",code=\"\"} %llu\n", name,
                   (unsigned long long)v[0]);
    for (int c = 0; c < SRV_REJECT_CODES; c++)
        plc_buf_printf(
            b, "%s{result=\"rejected\",code=\"%s\"} %llu\n", name,
            c ? proto_enum_json_name(&placer__rejection_code__descriptor, c,
                                     code, sizeof code)
              : "unspecified",
            (unsigned long long)v[1 + c]);
    for (int c = 1; c < SRV_ERROR_CODES; c++)
        plc_buf_printf(b, "%s{result=\"error\",code=\"%s\"} %llu\n", name,
                       proto_enum_json_name(&placer__error_code__descriptor, c,
                                            code, sizeof code),
                       (unsigned long long)v[1 + SRV_REJECT_CODES + c]);
}

struct count_ctx {
    const struct srv *srv;
    uint64_t by_state[8];
};

static int count_one(void *arg, const struct store_workflow *w)
{
    struct count_ctx *x = arg;
    int st = srv__workflow_state(x->srv, w);
    x->by_state[(unsigned)st < 8 ? st : 0]++;
    return 0;
}

int srv_metrics(struct srv *s, struct plc_buf *b, struct plc_error *err)
{
    const struct srv_metrics *m = &s->metrics;
    const struct totals *t = &s->totals;
    char l1[160], l2[160], l3[160];
    struct count_ctx x = {s, {0}};
    int rc = store_workflow_each(s->store, NULL, count_one, &x, err);
    if (rc < 0)
        return rc;
    decisions(b, "placer_admissions_total",
              "Submissions answered, by result (admitted, rejected, error) "
              "and the rejection's or error's code.",
              m->admissions);
    decisions(b, "placer_dry_runs_total",
              "Dry runs (PlanRequest, POST /v1/plans) answered, by result "
              "and code.",
              m->dry_runs);
    histogram(b, "placer_admission_duration_seconds",
              "Time from a submission's arrival to its answer (queue, plan, "
              "commit).",
              &m->admission_s, duration_bounds);
    histogram(b, "placer_solver_duration_seconds",
              "Time a submission's plan took (the solver and its bounds).",
              &m->solver_s, duration_bounds);
    histogram(b, "placer_solver_gap_ratio",
              "Relative gap between a submission's plan and the best bound "
              "(0: proven optimal).",
              &m->gap, gap_bounds);
    head(b, "placer_admission_queue_depth", "gauge",
         "Admissions and cluster changes waiting in the queue.");
    plc_buf_printf(b, "placer_admission_queue_depth %zu\n", s->queued);
    head(b, "placer_admission_planning", "gauge",
         "1 while an admission is being planned.");
    plc_buf_printf(b, "placer_admission_planning %d\n", s->running != NULL);
    head(b, "placer_workflows", "gauge", "Admitted workflows by state.");
    for (int st = 1; st < 8; st++) {
        char name[32];
        if (st == PLACER__STATE__STATE_RELEASED)
            continue; /* released ones are gone from the store */
        if (!proto_enum_json_name(&placer__state__descriptor, st, name,
                                  sizeof name) ||
            !name[0] || !strcmp(name, "?"))
            continue;
        plc_buf_printf(b, "placer_workflows{state=\"%s\"} %llu\n", name,
                       (unsigned long long)x.by_state[st]);
    }
    head(b, "placer_hosts", "gauge",
         "Hosts of the cluster by their agent's state (unknown: no agent "
         "registered yet).");
    size_t up = 0, down = 0;
    for (size_t h = 0; h < t->n_hosts; h++) {
        up += t->agent[h].state == HOST_UP;
        down += t->agent[h].state == HOST_DOWN;
    }
    plc_buf_printf(b,
                   "placer_hosts{state=\"up\"} %zu\nplacer_hosts{state="
                   "\"down\"} %zu\nplacer_hosts{state=\"unknown\"} %zu\n",
                   up, down, t->n_hosts - up - down);
    head(b, "placer_agents_up", "gauge",
         "Node agents registered and heartbeating.");
    plc_buf_printf(b, "placer_agents_up %zu\n", up);
    head(b, "placer_reserved_cpu_ratio", "gauge",
         "Reserved CPU utilisation per host and core (a fraction of one "
         "CPU).");
    for (size_t h = 0; h < t->n_hosts; h++) {
        const Placer__Host *hh = t->cluster->hosts[h];
        int cores = hh->has_cores ? hh->cores : 1;
        for (int c = 0; c < cores && c < t->max_cores; c++)
            plc_buf_printf(b,
                           "placer_reserved_cpu_ratio{host=\"%s\",core=\"%d\"} "
                           "%.9g\n",
                           label(t->node_names[h], l1, sizeof l1), c,
                           t->core[h * (size_t)t->max_cores + (size_t)c]);
    }
    head(b, "placer_reserved_memory_bytes", "gauge",
         "Reserved memory per host.");
    for (size_t h = 0; h < t->n_hosts; h++)
        plc_buf_printf(b, "placer_reserved_memory_bytes{host=\"%s\"} %.0f\n",
                       label(t->node_names[h], l1, sizeof l1), t->mem[h]);
    head(b, "placer_reserved_bandwidth_bytes_per_second", "gauge",
         "Reserved bandwidth per link (its index in the cluster's links) "
         "and direction.");
    for (size_t k = 0; k < t->n_links; k++)
        for (int d = 0; d < 2; d++) {
            size_t a = d ? t->link_b[k] : t->link_a[k],
                   z = d ? t->link_a[k] : t->link_b[k];
            plc_buf_printf(b,
                           "placer_reserved_bandwidth_bytes_per_second{link=\"%"
                           "zu\",from=\"%s\",to=\"%s\"} %.0f\n",
                           k, label(t->node_names[a], l2, sizeof l2),
                           label(t->node_names[z], l3, sizeof l3),
                           t->link[2 * k + (size_t)d] / 8);
        }
    head(b, "placer_http_requests_total", "counter",
         "HTTP requests answered, by status code.");
    for (int i = 0; i < m->n_http; i++)
        plc_buf_printf(b, "placer_http_requests_total{code=\"%u\"} %llu\n",
                       m->http_code[i], (unsigned long long)m->http[i]);
    head(b, "placer_requests_total", "counter",
         "Requests answered, over ZeroMQ and HTTP.");
    plc_buf_printf(b, "placer_requests_total %ld\n", s->served);
    return b->oom ? plc_error_set(err, PLC_ENOMEM, "out of memory") : 0;
}
