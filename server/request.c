/*
 * request.c: one request, answered: the queries on the loop (status,
 * list, hosts, release, bind), and the checks an admission passes before
 * it waits in the queue (queue.c runs it).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plc/clock.h"
#include "plc/diag.h"
#include "proto/validate.h"

/* ---- replies --------------------------------------------------------------
 */

void srv__reply_with(struct job *q, Placer__Response__ResultCase c, void *msg)
{
    if (!q->reply)
        return; /* answered already */
    Placer__Response r = PLACER__RESPONSE__INIT;
    r.has_protocol_version = 1;
    r.protocol_version = SRV_PROTOCOL_VERSION;
    r.has_id = 1;
    r.id = q->id;
    r.result_case = c;
    switch (c) {
    case PLACER__RESPONSE__RESULT_ERROR:
        r.error = msg;
        break;
    case PLACER__RESPONSE__RESULT_PLAN:
        r.plan = msg;
        break;
    case PLACER__RESPONSE__RESULT_CLUSTER_APPLY:
        r.cluster_apply = msg;
        break;
    case PLACER__RESPONSE__RESULT_LIST:
        r.list = msg;
        break;
    case PLACER__RESPONSE__RESULT_HOSTS:
        r.hosts = msg;
        break;
    case PLACER__RESPONSE__RESULT_RELEASE:
        r.release = msg;
        break;
    case PLACER__RESPONSE__RESULT_BIND:
        r.bind = msg;
        break;
    case PLACER__RESPONSE__RESULT_SNAPSHOT:
        r.snapshot = msg;
        break;
    case PLACER__RESPONSE__RESULT_TOKEN_CREATED:
        r.token_created = msg;
        break;
    case PLACER__RESPONSE__RESULT_TOKENS:
        r.tokens = msg;
        break;
    case PLACER__RESPONSE__RESULT_TOKEN_REVOKED:
        r.token_revoked = msg;
        break;
    case PLACER__RESPONSE__RESULT_QUOTA:
        r.quota = msg;
        break;
    default:
        r.result_case = PLACER__RESPONSE__RESULT__NOT_SET;
        break;
    }
    srv__metrics_reply(q->srv, q, &r);
    srv_reply_fn reply = q->reply;
    q->reply = NULL;
    q->srv->served++;
    reply(q->ctx, &r);
}

void srv__reply_error(struct job *q, Placer__ErrorCode code,
                      const struct plc_diags *problems, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Placer__Error e = PLACER__ERROR__INIT;
    e.has_code = 1;
    e.code = code;
    e.message = msg;
    char **lines = NULL;
    if (problems && problems->n) {
        lines = calloc(problems->n, sizeof *lines);
        for (size_t i = 0; lines && i < problems->n; i++) {
            const struct plc_diag *d = &problems->v[i];
            if (asprintf(&lines[e.n_problems], "%s%s%s", d->path,
                         d->path[0] ? ": " : "", d->msg) >= 0)
                e.n_problems++;
        }
        e.problems = lines;
    }
    srv__reply_with(q, PLACER__RESPONSE__RESULT_ERROR, &e);
    for (size_t i = 0; lines && i < e.n_problems; i++)
        free(lines[i]);
    free(lines);
}

/* ---- queries answered on the loop ------------------------------------------
 */

const char *srv__tenant_of(const char *t)
{
    return t && t[0] ? t : "default";
}

struct find_ctx {
    const char *name;
    char tenants[256];
    int n;
};

static int find_one(void *arg, const struct store_workflow *w)
{
    struct find_ctx *x = arg;
    if (strcmp(w->name, x->name))
        return 0;
    size_t len = strlen(x->tenants);
    snprintf(x->tenants + len, sizeof x->tenants - len, "%s%s",
             x->n ? ", " : "", w->tenant);
    x->n++;
    return 0;
}

/* The tenant a request means: its own, or, when it names none, the one
 * tenant that has a workflow of that name ("default" when none has). */
static const char *resolve_tenant(struct srv *srv, const char *tenant,
                                  const char *name, char *buf, size_t len,
                                  struct plc_error *err)
{
    if (tenant && tenant[0])
        return tenant;
    struct find_ctx x = {name, "", 0};
    if (store_workflow_each(srv->store, NULL, find_one, &x, err) < 0)
        return NULL;
    if (x.n > 1) {
        plc_error_set(err, PLC_EDATA,
                      "workflow '%s' exists for tenants %s; name one with "
                      "--tenant",
                      name, x.tenants);
        return NULL;
    }
    snprintf(buf, len, "%s", x.n ? x.tenants : "default");
    return buf;
}

Placer__ErrorCode srv__error_code(int rc)
{
    switch (rc) {
    case PLC_ENOENT:
        return PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND;
    case PLC_EDATA:
    case PLC_ERANGE:
        return PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT;
    case PLC_EBUSY:
    case PLC_ENOSPC:
    case PLC_ETIMEDOUT:
        return PLACER__ERROR_CODE__ERROR_CODE_BUSY;
    default:
        return PLACER__ERROR_CODE__ERROR_CODE_INTERNAL;
    }
}

/* The tenant of a request naming a workflow (status, release), or NULL
 * after answering why there is none. */
static const char *request_tenant(struct srv *srv, struct job *q,
                                  const char *what, const char *name,
                                  const char *tenant, char *buf, size_t len)
{
    struct plc_error err = PLC_ERROR_INIT;
    if (!name) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "%s: the workflow name is missing", what);
        return NULL;
    }
    const char *t = resolve_tenant(srv, tenant, name, buf, len, &err);
    if (!t)
        srv__reply_error(q, srv__error_code(err.code), NULL, "%s", err.msg);
    return t;
}

/* Where a host's agent now measures more steal than the plan counted:
 * the supply delay now, on each service there (the guarantee assumed
 * less). */
static void supply_states(const struct srv *srv, Placer__Plan *p)
{
    for (size_t i = 0; i < p->n_services; i++) {
        Placer__PlacedService *v = p->services[i];
        size_t h = v->host ? srv__totals_node(&srv->totals, v->host) : SIZE_MAX;
        if (h >= srv->totals.n_hosts)
            continue;
        const struct host_agent *a = &srv->totals.agent[h];
        if (!a->has_platform || !a->n_steal)
            continue;
        double usable;
        uint64_t now_us =
            (srv__totals_supply_delay(&srv->totals, h, &usable) + 999) / 1000;
        if (now_us > (v->has_supply_delay_us ? v->supply_delay_us : 0)) {
            v->has_supply_delay_now_us = 1;
            v->supply_delay_now_us = now_us;
        }
    }
}

static void do_status(struct srv *srv, struct job *q)
{
    const Placer__StatusRequest *s = q->req->status;
    struct store_workflow w;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256];
    const char *tenant =
        request_tenant(srv, q, "status", s->name, s->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    int rc = store_workflow_get(srv->store, tenant, s->name, &w, &err);
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    Placer__Plan *p = placer__plan__unpack(NULL, w.plan_len, w.plan);
    if (!p) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "the stored plan of '%s' cannot be decoded", s->name);
        store_workflow_free(&w);
        return;
    }
    srv__sync_plan_states(&srv->sync, p, tenant);
    supply_states(srv, p);
    p->has_admission = 1;
    p->admission = (uint64_t)w.id;
    srv__reply_with(q, PLACER__RESPONSE__RESULT_PLAN, p);
    placer__plan__free_unpacked(p, NULL);
    store_workflow_free(&w);
}

struct list_ctx {
    const struct srv *srv;
    Placer__ListReply *reply;
    size_t cap;
    bool oom;
};

int srv__workflow_state(const struct srv *s, const struct store_workflow *w)
{
    Placer__Plan *p = placer__plan__unpack(NULL, w->plan_len, w->plan);
    int st = p ? (int)srv__sync_workflow_state(&s->sync, w->tenant, p)
               : PLACER__STATE__STATE_ADMITTED;
    if (p)
        placer__plan__free_unpacked(p, NULL);
    return st;
}

static int list_one(void *arg, const struct store_workflow *w)
{
    struct list_ctx *x = arg;
    Placer__ListReply *r = x->reply;
    if (r->n_workflows == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        Placer__WorkflowSummary **g =
            realloc(r->workflows, cap * sizeof *r->workflows);
        if (!g) {
            x->oom = true;
            return 1;
        }
        r->workflows = g;
        x->cap = cap;
    }
    Placer__WorkflowSummary *s = malloc(sizeof *s);
    if (!s) {
        x->oom = true;
        return 1;
    }
    placer__workflow_summary__init(s);
    s->name = strdup(w->name);
    s->tenant = strdup(w->tenant);
    s->has_state = 1;
    s->state = (Placer__State)srv__workflow_state(x->srv, w);
    size_t n = 0;
    while (w->hosts && w->hosts[n])
        n++;
    s->hosts = calloc(n + 1, sizeof *s->hosts);
    for (size_t i = 0; s->hosts && i < n; i++)
        if ((s->hosts[s->n_hosts] = strdup(w->hosts[i])))
            s->n_hosts++;
    r->workflows[r->n_workflows++] = s;
    x->oom |= !s->name || !s->tenant || !s->hosts;
    return x->oom;
}

static void do_list(struct srv *srv, struct job *q)
{
    const Placer__ListRequest *l = q->req->list;
    Placer__ListReply *reply = malloc(sizeof *reply);
    struct plc_error err = PLC_ERROR_INIT;
    if (!reply) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory");
        return;
    }
    placer__list_reply__init(reply);
    reply->has_schema = 1;
    reply->schema = 1;
    struct list_ctx x = {srv, reply, 0, false};
    int rc = store_workflow_each(srv->store,
                                 l->tenant && l->tenant[0] ? l->tenant : NULL,
                                 list_one, &x, &err);
    if (rc < 0 || x.oom) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                         rc < 0 ? err.msg : "out of memory");
    } else {
        srv__reply_with(q, PLACER__RESPONSE__RESULT_LIST, reply);
    }
    placer__list_reply__free_unpacked(reply, NULL);
}

static void do_hosts(struct srv *srv, struct job *q)
{
    Placer__HostsReply *h = srv__totals_hosts_reply(&srv->totals);
    if (!h) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory");
        return;
    }
    srv__reply_with(q, PLACER__RESPONSE__RESULT_HOSTS, h);
    placer__hosts_reply__free_unpacked(h, NULL);
}

static void do_release(struct srv *srv, struct job *q)
{
    const Placer__ReleaseRequest *rel = q->req->release;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256];
    const char *tenant = request_tenant(srv, q, "release", rel->name,
                                        rel->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    int rc = store_release(srv->store, tenant, rel->name, &err);
    if (rc < 0) {
        plc_log(PLC_LOG_INFO, "release %s/%s refused: %s", tenant, rel->name,
                err.msg);
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    /* durable: capacity is free from now on; the agents let it go */
    srv__reload_totals(srv);
    srv__sync_released(&srv->sync, tenant, rel->name);
    plc_log(PLC_LOG_INFO, "released %s/%s", tenant, rel->name);
    srv__watch_poll(srv, false);
    Placer__ReleaseReply rr = PLACER__RELEASE_REPLY__INIT;
    rr.name = rel->name;
    rr.has_state = 1;
    rr.state = PLACER__STATE__STATE_RELEASED;
    srv__reply_with(q, PLACER__RESPONSE__RESULT_RELEASE, &rr);
}

/* A binding: recorded durably, then sent to the agents of the hosts that
 * enforce the reservation. */
static void do_bind(struct srv *srv, struct job *q)
{
    const Placer__BindRequest *b = q->req->bind;
    struct plc_error err = PLC_ERROR_INIT;
    char tb[256], subject[160];
    const char *tenant =
        request_tenant(srv, q, "bind", b->workflow, b->tenant, tb, sizeof tb);
    if (!tenant)
        return;
    struct store_binding sb = {0};
    bool service = b->service != NULL;
    const char *bad = NULL;
    if (service && b->has_pid && b->pid > 0 && !b->from && !b->to &&
        !b->cgroup) {
        snprintf(subject, sizeof subject, "%s", b->service);
        sb.pid = b->pid;
    } else if (service && b->cgroup && !(b->has_pid && b->pid) && !b->from &&
               !b->to) {
        /* a cgroup's directory on the host: absolute, under
         * /sys/fs/cgroup, no way up, no odd bytes */
        size_t n = strlen(b->cgroup);
        bool odd = false;
        for (size_t i = 0; i < n; i++)
            odd |= (unsigned char)b->cgroup[i] < 0x21 ||
                   (unsigned char)b->cgroup[i] > 0x7e;
        const char *ctl = b->cgroup + (n > 15 ? 15 : n),
                   *grp = strchr(ctl, '/');
        if (strncmp(b->cgroup, "/sys/fs/cgroup/", 15) || n > 400 || odd ||
            !grp || !grp[1] || /* a group, not a controller's root */
            strstr(b->cgroup, "/../") || strstr(b->cgroup, "/./") ||
            (n >= 3 && !strcmp(b->cgroup + n - 3, "/..")))
            bad = "cgroup: give the cgroup's directory, an absolute path under "
                  "/sys/fs/cgroup/ without . or .. (such as "
                  "/sys/fs/cgroup/cpu/kubepods/pod1234)";
        snprintf(subject, sizeof subject, "%s", b->service);
        sb.cgroup = b->cgroup;
    } else if (!service && b->from && b->to && b->flow) {
        const Placer__FlowSpec *f = b->flow;
        struct in_addr x;
        snprintf(subject, sizeof subject, "%s->%s", b->from, b->to);
        if ((f->src && inet_pton(AF_INET, f->src, &x) != 1) ||
            (f->dst && inet_pton(AF_INET, f->dst, &x) != 1))
            bad = "flow: src and dst are IPv4 addresses (the u32 classifier "
                  "matches IPv4 here)";
        else if (f->protocol && strcmp(f->protocol, "tcp") &&
                 strcmp(f->protocol, "udp"))
            bad = "flow.protocol: tcp or udp";
        else if (f->src_port > 65535 || f->dst_port > 65535)
            bad = "flow: ports are 0 to 65535";
        sb.src = f->src;
        sb.dst = f->dst;
        sb.src_port = (int)f->src_port;
        sb.dst_port = (int)f->dst_port;
        sb.protocol = f->protocol;
    } else {
        bad = "give service and pid, service and cgroup, or from, to and "
              "flow";
    }
    if (bad) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "%s", bad);
        return;
    }
    int rc = store_bind(srv->store, tenant, b->workflow, subject, service, &sb,
                        &err);
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    /* every reservation of the subject: a service's, or a vlink's on each
     * link direction leaving a host */
    char id[512];
    int pl = snprintf(id, sizeof id, "%s/%s/%s%s", tenant, b->workflow, subject,
                      service ? "" : "/");
    size_t n = 0;
    const struct resv_group *g =
        srv__sync_workflow(&srv->sync, tenant, b->workflow);
    for (size_t i = 0; g && i < g->n; i++) {
        struct resv *r = g->v[i];
        if (service ? !strcmp(r->id, id) : !strncmp(r->id, id, (size_t)pl)) {
            srv__sync_bound(&srv->sync, r->id, &sb);
            n++;
        }
    }
    if (!service)
        id[pl - 1] = 0;
    plc_log(PLC_LOG_INFO,
            "bound %s to %s%s (%zu reservations, generation %lld)", id,
            sb.cgroup ? "cgroup "
            : service ? "pid "
                      : "flow ",
            sb.cgroup ? sb.cgroup
            : service ? (snprintf(tb, sizeof tb, "%d", sb.pid), tb)
                      : (snprintf(tb, sizeof tb, "%s:%d-%s:%d/%s",
                                  sb.src ? sb.src : "*", sb.src_port,
                                  sb.dst ? sb.dst : "*", sb.dst_port,
                                  sb.protocol ? sb.protocol : "any"),
                         tb),
            n, (long long)sb.generation);
    Placer__BindReply br = PLACER__BIND_REPLY__INIT;
    br.reservation_id = id;
    srv__reply_with(q, PLACER__RESPONSE__RESULT_BIND, &br);
}

/* A submission or a dry run that can be queued: else answered. */
static bool submit_ok(struct srv *srv, struct job *q)
{
    struct srv_ask a = srv__ask(q->req);
    const char *op = a.dry ? "plan" : "submit";
    struct plc_diags d = PLC_DIAGS_INIT;
    if (!a.workflow) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "%s: the workflow is missing", op);
        return false;
    }
    if (!srv->totals.cluster) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND, NULL,
                         "no cluster has been applied yet; run 'placer cluster "
                         "apply FILE' first");
        return false;
    }
    /* the rest of validation runs on the worker, before the plan
     * (queue.c); the name is needed here */
    const Placer__Workflow *w = a.workflow;
    if (!w->name || !proto_name_valid(w->name) ||
        (w->tenant && !proto_name_valid(w->tenant))) {
        proto_check_name(w->name, "name", "workflow", true, &d);
        proto_check_name(w->tenant, "tenant", "tenant", false, &d);
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, &d,
                         "the workflow has %zu problem%s", d.n,
                         d.n == 1 ? "" : "s");
        plc_diags_release(&d);
        return false;
    }
    /* (a dry run admits nothing: its name may be in use) */
    struct plc_error err = PLC_ERROR_INIT;
    if (!a.dry && store_workflow_exists(srv->store, srv__tenant_of(w->tenant),
                                        w->name, &err) == 1) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_CONFLICT, NULL,
                         "tenant '%s' has a workflow named '%s' already; "
                         "release it first or choose another name",
                         srv__tenant_of(w->tenant), w->name);
        return false;
    }
    if (a.has_limit && a.limit_ms > 600000) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "time_limit_ms: at most 600000 (10 minutes)");
        return false;
    }
    return true;
}

/* A refusal before there is a job (or when none can be made). */
static void refuse(struct srv *s, uint64_t id, srv_reply_fn reply, void *ctx,
                   Placer__ErrorCode code, const char *msg)
{
    struct job q = {.srv = s, .reply = reply, .ctx = ctx, .id = id};
    srv__reply_error(&q, code, NULL, "%s", msg);
}

void srv_request_bytes(struct srv *s, const uint8_t *data, size_t len,
                       srv_reply_fn reply, void *ctx)
{
    srv_request_bytes_as(s, data, len, NULL, reply, ctx);
}

void srv_request_bytes_as(struct srv *s, const uint8_t *data, size_t len,
                          const char *who, srv_reply_fn reply, void *ctx)
{
    if (len > SRV_MAX_REQUEST_BYTES) {
        plc_log(PLC_LOG_WARN, "refused a request of %zu bytes", len);
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the request is %zu bytes; the limit is %u (16 MiB): send "
                 "a smaller workflow or cluster",
                 len, SRV_MAX_REQUEST_BYTES);
        refuse(s, 0, reply, ctx, PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
               msg);
        return;
    }
    Placer__Request *req = placer__request__unpack(NULL, len, data);
    if (!req) {
        plc_log(PLC_LOG_WARN, "a request of %zu bytes is not a placer Request",
                len);
        char msg[128];
        snprintf(msg, sizeof msg,
                 "the request (%zu bytes) is not a placer.Request message of "
                 "proto/placer.proto",
                 len);
        refuse(s, 0, reply, ctx, PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
               msg);
        return;
    }
    srv_request_as(s, req, who, reply, ctx);
}

void srv_request(struct srv *srv, Placer__Request *req, srv_reply_fn reply,
                 void *ctx)
{
    srv_request_as(srv, req, NULL, reply, ctx);
}

void srv_request_as(struct srv *srv, Placer__Request *req, const char *who,
                    srv_reply_fn reply, void *ctx)
{
    uint64_t id = req->has_id ? req->id : 0;
    struct job *q = calloc(1, sizeof *q);
    if (!q) {
        placer__request__free_unpacked(req, NULL);
        refuse(srv, id, reply, ctx, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL,
               "out of memory");
        return;
    }
    q->srv = srv;
    q->t0 = plc_now_ms();
    q->reply = reply;
    q->ctx = ctx;
    q->req = req;
    q->id = id;
    if (who)
        snprintf(q->curve_who, sizeof q->curve_who, "%s", who);
    if (!q->req->has_protocol_version ||
        q->req->protocol_version != SRV_PROTOCOL_VERSION) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_VERSION, NULL,
                         "protocol version %u is not spoken here; this "
                         "placerd speaks %d",
                         q->req->has_protocol_version ? q->req->protocol_version
                                                      : 0,
                         SRV_PROTOCOL_VERSION);
        srv__job_free(q);
        return;
    }
    if (!srv__authorize(srv, q)) {
        srv__job_free(q);
        return;
    }
    store_set_actor(srv->store, q->actor); /* its events' (release, bind) */
    if (srv__auth_request(srv, q)) {
        srv__job_free(q);
        return;
    }
    switch (q->req->op_case) {
    case PLACER__REQUEST__OP_STATUS:
        do_status(srv, q);
        break;
    case PLACER__REQUEST__OP_LIST:
        do_list(srv, q);
        break;
    case PLACER__REQUEST__OP_HOSTS:
        do_hosts(srv, q);
        break;
    case PLACER__REQUEST__OP_RELEASE:
        do_release(srv, q);
        break;
    case PLACER__REQUEST__OP_BIND:
        do_bind(srv, q);
        break;
    case PLACER__REQUEST__OP_SUBMIT:
    case PLACER__REQUEST__OP_PLAN:
    case PLACER__REQUEST__OP_CLUSTER_APPLY:
    case PLACER__REQUEST__OP_SNAPSHOT:
        if (srv->draining || srv->queued >= srv->queue_max) {
            plc_log(PLC_LOG_INFO, "busy: %zu admissions waiting", srv->queued);
            if (srv->draining)
                srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                                 "placerd is shutting down; retry later");
            else
                srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BUSY, NULL,
                                 "placerd is busy (%zu admissions waiting); "
                                 "retry",
                                 srv->queued);
            break;
        }
        if ((q->req->op_case == PLACER__REQUEST__OP_SUBMIT ||
             q->req->op_case == PLACER__REQUEST__OP_PLAN) &&
            !submit_ok(srv, q))
            break;
        srv__enqueue(srv, q);
        return; /* the queue owns it */
    default:
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                         "this placerd does not serve that operation (%d)",
                         (int)q->req->op_case);
        break;
    }
    srv__job_free(q);
}
