/*
 * auth.c: who a request acts for (its bearer token), what that may do,
 * the token and quota operations, and the quota check at admission.
 *
 * A request with a token acts for the token's tenant, or as an admin.  A
 * tenant's token sees and changes only its tenant's workflows: a request
 * naming no tenant is given the token's, one naming another is refused
 * as not found (a workflow) or forbidden (a list, a submission), and the
 * other tenants' names never appear in an answer.  Cluster changes and
 * the token and quota operations are an admin's.  A request without a
 * token is refused when the server requires one (srv_options), else it
 * acts as an admin (a local client on the ZeroMQ socket, as before
 * tokens existed).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plc/clock.h"
#include "plc/log.h"
#include "proto/validate.h"

enum own { OWN, OTHER, OWN_OOM };

/* Set *field to the principal's tenant when it names none; whether it
 * names the principal's (or now does). */
static enum own own_tenant(char **field, const char *tenant)
{
    if (!*field || !(*field)[0]) {
        char *t = strdup(tenant);
        if (!t)
            return OWN_OOM;
        free(*field);
        *field = t;
        return OWN;
    }
    return strcmp(*field, tenant) ? OTHER : OWN;
}

static const char *op_name(Placer__Request__OpCase op)
{
    switch (op) {
    case PLACER__REQUEST__OP_CLUSTER_APPLY:
        return "apply a cluster";
    case PLACER__REQUEST__OP_TOKEN_CREATE:
        return "make tokens";
    case PLACER__REQUEST__OP_TOKEN_LIST:
        return "list tokens";
    case PLACER__REQUEST__OP_TOKEN_REVOKE:
        return "revoke tokens";
    case PLACER__REQUEST__OP_QUOTA_SET:
        return "set quotas";
    default:
        return "do this";
    }
}

bool srv__authorize(struct srv *srv, struct job *q)
{
    Placer__Request *req = q->req;
    struct plc_error err = PLC_ERROR_INIT;
    struct store_token t;
    if ((!req->token || !req->token[0]) && q->curve_who[0]) {
        /* the transport's CURVE key stands for a tenant or an admin */
        bool admin = !strncmp(q->curve_who, "admin:", 6);
        const char *name = strchr(q->curve_who, ':');
        memset(&t, 0, sizeof t);
        t.admin = admin;
        if (!admin)
            snprintf(t.tenant, sizeof t.tenant, "%s", name ? name + 1 : "");
        snprintf(q->actor, sizeof q->actor, "%s key %s",
                 admin ? "admin" : t.tenant, name ? name + 1 : "?");
        goto principal;
    }
    if (!req->token || !req->token[0]) {
        if (srv->tokens_required) {
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED,
                             NULL,
                             "a token is required (placer token create; "
                             "give it with --token or PLACER_TOKEN)");
            return false;
        }
        q->admin = true;
        snprintf(q->actor, sizeof q->actor, "local client");
        return true;
    }
    int rc = store_token_check(srv->store, req->token, &t, &err);
    if (rc < 0) {
        if (rc == PLC_EPERM)
            plc_log(PLC_LOG_INFO, "refused a request: %s", err.msg);
        srv__reply_error(q,
                         rc == PLC_EPERM
                             ? PLACER__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED
                             : srv__error_code(rc),
                         NULL, "%s", err.msg);
        return false;
    }
    snprintf(q->actor, sizeof q->actor, "%s token %" PRId64,
             t.admin ? "admin" : t.tenant, t.id);
principal:
    q->admin = t.admin;
    snprintf(q->tenant_auth, sizeof q->tenant_auth, "%s", t.tenant);
    if (t.admin)
        return true;
    const char *T = t.tenant;
    enum own o = OWN;
    const char *why = NULL; /* forbidden; NULL: not found */
    switch (req->op_case) {
    case PLACER__REQUEST__OP_SUBMIT:
    case PLACER__REQUEST__OP_PLAN: {
        Placer__Workflow *w = req->op_case == PLACER__REQUEST__OP_SUBMIT
                                  ? (req->submit ? req->submit->workflow : NULL)
                                  : (req->plan ? req->plan->workflow : NULL);
        if (w)
            o = own_tenant(&w->tenant, T);
        why = "the workflow names another tenant than the token's";
        break;
    }
    case PLACER__REQUEST__OP_STATUS:
        if (req->status)
            o = own_tenant(&req->status->tenant, T);
        break;
    case PLACER__REQUEST__OP_RELEASE:
        if (req->release)
            o = own_tenant(&req->release->tenant, T);
        break;
    case PLACER__REQUEST__OP_BIND:
        if (req->bind)
            o = own_tenant(&req->bind->tenant, T);
        break;
    case PLACER__REQUEST__OP_LIST:
        if (req->list)
            o = own_tenant(&req->list->tenant, T);
        why = "this token sees only its own tenant's workflows";
        break;
    case PLACER__REQUEST__OP_QUOTA_GET:
        if (req->quota_get)
            o = own_tenant(&req->quota_get->tenant, T);
        why = "this token reads only its own tenant's quota";
        break;
    case PLACER__REQUEST__OP_HOSTS:
    case PLACER__REQUEST__OP_SNAPSHOT:
        break;
    default:
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_FORBIDDEN, NULL,
                         "only an admin's token may %s (this one acts for "
                         "tenant '%s')",
                         op_name(req->op_case), T);
        return false;
    }
    if (o == OWN)
        return true;
    if (o == OWN_OOM) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory");
    } else if (why) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_FORBIDDEN, NULL,
                         "%s (it acts for tenant '%s')", why, T);
    } else {
        /* the same answer as for a name nobody uses */
        const char *name =
            req->op_case == PLACER__REQUEST__OP_STATUS    ? req->status->name
            : req->op_case == PLACER__REQUEST__OP_RELEASE ? req->release->name
                                                          : req->bind->workflow;
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND, NULL,
                         "tenant '%s' has no workflow named '%s'", T,
                         name ? name : "");
    }
    return false;
}

/* ---- tokens -----------------------------------------------------------------
 */

static Placer__TokenInfo *token_info(const struct store_token *t)
{
    Placer__TokenInfo *i = calloc(1, sizeof *i);
    if (!i)
        return NULL;
    placer__token_info__init(i);
    i->has_id = 1;
    i->id = (uint64_t)t->id;
    if (t->tenant[0] && !(i->tenant = strdup(t->tenant))) {
        free(i);
        return NULL;
    }
    i->has_admin = 1;
    i->admin = t->admin;
    i->has_created_us = 1;
    i->created_us = (uint64_t)t->created_us;
    i->has_expires_us = t->expires_us > 0;
    i->expires_us = (uint64_t)t->expires_us;
    i->has_revoked_us = t->revoked_us > 0;
    i->revoked_us = (uint64_t)t->revoked_us;
    i->note = strdup(t->note);
    if (!i->note) {
        placer__token_info__free_unpacked(i, NULL);
        return NULL;
    }
    return i;
}

static void do_token_create(struct srv *srv, struct job *q)
{
    const Placer__TokenCreateRequest *r = q->req->token_create;
    struct plc_error err = PLC_ERROR_INIT;
    bool admin = r->has_admin && r->admin;
    const char *tenant = r->tenant && r->tenant[0] ? r->tenant : NULL;
    if (admin == (tenant != NULL)) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         admin ? "an admin's token has no tenant; give admin "
                                 "or tenant, not both"
                               : "give the tenant the token acts for (or "
                                 "admin)");
        return;
    }
    if (tenant && !proto_name_valid(tenant)) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "tenant: a name is 1 to 63 of A-Z a-z 0-9 . _ -");
        return;
    }
    int64_t expires = 0;
    if (r->expires_in && r->expires_in->ns) {
        if (r->expires_in->ns < 1000000000ULL) {
            srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                             "expires_in: at least 1s");
            return;
        }
        expires = plc_wall_us() + (int64_t)(r->expires_in->ns / 1000);
    }
    char token[STORE_TOKEN_MAX];
    int64_t id;
    int rc = store_token_create(srv->store, tenant, admin, expires, r->note,
                                token, &id, &err);
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    struct store_token t;
    rc = store_token_check(srv->store, token, &t, &err);
    Placer__TokenInfo *info = rc == 0 ? token_info(&t) : NULL;
    if (!info) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "the token was made but cannot be read back: %s",
                         err.msg);
        return;
    }
    plc_log(PLC_LOG_INFO, "token %" PRId64 " made for %s by %s", id,
            admin ? "an admin" : tenant, q->actor);
    Placer__TokenCreateReply cr = PLACER__TOKEN_CREATE_REPLY__INIT;
    cr.token = token;
    cr.info = info;
    srv__reply_with(q, PLACER__RESPONSE__RESULT_TOKEN_CREATED, &cr);
    placer__token_info__free_unpacked(info, NULL);
    memset(token, 0, sizeof token);
}

struct tokens_ctx {
    Placer__TokenListReply *r;
    size_t cap;
    bool oom;
};

static int token_one(void *arg, const struct store_token *t)
{
    struct tokens_ctx *x = arg;
    if (x->r->n_tokens == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        Placer__TokenInfo **g = realloc(x->r->tokens, cap * sizeof *g);
        if (!g) {
            x->oom = true;
            return 1;
        }
        x->r->tokens = g;
        x->cap = cap;
    }
    Placer__TokenInfo *i = token_info(t);
    if (!i) {
        x->oom = true;
        return 1;
    }
    x->r->tokens[x->r->n_tokens++] = i;
    return 0;
}

static void do_token_list(struct srv *srv, struct job *q)
{
    struct plc_error err = PLC_ERROR_INIT;
    Placer__TokenListReply *r = calloc(1, sizeof *r);
    if (!r) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory");
        return;
    }
    placer__token_list_reply__init(r);
    r->has_schema = 1;
    r->schema = 1;
    struct tokens_ctx x = {r, 0, false};
    int rc = store_token_each(srv->store, token_one, &x, &err);
    if (rc < 0 || x.oom)
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, "%s",
                         rc < 0 ? err.msg : "out of memory");
    else
        srv__reply_with(q, PLACER__RESPONSE__RESULT_TOKENS, r);
    placer__token_list_reply__free_unpacked(r, NULL);
}

static void do_token_revoke(struct srv *srv, struct job *q)
{
    struct plc_error err = PLC_ERROR_INIT;
    uint64_t id = q->req->token_revoke->id;
    int rc = id ? store_token_revoke(srv->store, (int64_t)id, &err)
                : plc_error_set(&err, PLC_EDATA,
                                "id: give the token's id "
                                "(placer token list)");
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    plc_log(PLC_LOG_INFO, "token %" PRIu64 " revoked by %s", id, q->actor);
    Placer__TokenInfo i = PLACER__TOKEN_INFO__INIT;
    i.has_id = 1;
    i.id = id;
    i.has_revoked_us = 1;
    i.revoked_us = (uint64_t)plc_wall_us();
    srv__reply_with(q, PLACER__RESPONSE__RESULT_TOKEN_REVOKED, &i);
}

/* ---- quotas
 * -------------------------------------------------------------------
 */

/* What a plan holds: reserved utilisation over its cores, and the rate of
 * its vlinks that cross the network. */
static void plan_usage(const Placer__Plan *p, struct srv_usage *u)
{
    for (size_t i = 0; i < p->n_services; i++) {
        const Placer__PlacedService *s = p->services[i];
        u->cpu += (s->has_utilization ? s->utilization : 0) *
                  (double)(s->n_cores ? s->n_cores : 1);
    }
    for (size_t i = 0; i < p->n_links; i++)
        if (p->links[i]->n_path > 1)
            u->bandwidth_bps += p->links[i]->rate_bps;
    u->workflows++;
}

struct usage_ctx {
    struct srv_usage *u;
};

static int usage_one(void *arg, const struct store_workflow *w)
{
    struct usage_ctx *x = arg;
    Placer__Plan *p = placer__plan__unpack(NULL, w->plan_len, w->plan);
    if (p) {
        plan_usage(p, x->u);
        placer__plan__free_unpacked(p, NULL);
    }
    return 0;
}

int srv__tenant_usage(struct srv *srv, const char *tenant, struct srv_usage *u,
                      struct plc_error *err)
{
    memset(u, 0, sizeof *u);
    struct usage_ctx x = {u};
    int rc = store_workflow_each(srv->store, tenant, usage_one, &x, err);
    if (rc < 0)
        return rc;
    /* admitted, not yet committed: they count already */
    for (int k = 0; k < 2; k++)
        for (struct job *j = k ? srv->committing : srv->commit_head; j;
             j = j->next)
            if (j->doc && j->tenant && !strcmp(j->tenant, tenant))
                plan_usage(j->doc, u);
    return 0;
}

bool srv__quota_refuses(struct srv *srv, const char *tenant,
                        const Placer__Plan *p, char *why, size_t len)
{
    struct store_quota qu;
    struct plc_error err = PLC_ERROR_INIT;
    struct srv_usage u, add = {0};
    if (store_quota_get(srv->store, tenant, &qu, &err) < 0 ||
        (qu.cpu < 0 && qu.bandwidth_bps < 0 && qu.workflows < 0))
        return false; /* no quota (a store fault is logged by the commit) */
    if (srv__tenant_usage(srv, tenant, &u, &err) < 0)
        return false;
    plan_usage(p, &add);
    if (qu.workflows >= 0 && u.workflows + 1 > (uint64_t)qu.workflows)
        snprintf(why, len,
                 "tenant '%s' has %" PRIu64 " workflows admitted, its quota "
                 "is %" PRId64,
                 tenant, u.workflows, qu.workflows);
    else if (qu.cpu >= 0 && u.cpu + add.cpu > qu.cpu + 1e-9)
        snprintf(why, len,
                 "tenant '%s' holds %.4f of CPU and this plan needs %.4f more; "
                 "its quota is %.4f",
                 tenant, u.cpu, add.cpu, qu.cpu);
    else if (qu.bandwidth_bps >= 0 &&
             u.bandwidth_bps + add.bandwidth_bps > (uint64_t)qu.bandwidth_bps)
        snprintf(why, len,
                 "tenant '%s' holds %" PRIu64 " bit/s of bandwidth and this "
                 "plan needs %" PRIu64 " more; its quota is %" PRId64 " bit/s",
                 tenant, u.bandwidth_bps, add.bandwidth_bps, qu.bandwidth_bps);
    else
        return false;
    return true;
}

static Placer__Quota *quota_msg(const char *tenant, double cpu, int64_t bw,
                                int64_t wf, Placer__Rate *rate)
{
    Placer__Quota *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    placer__quota__init(q);
    q->tenant = (char *)tenant;
    q->has_cpu = cpu >= 0;
    q->cpu = cpu;
    if (bw >= 0) {
        placer__rate__init(rate);
        rate->has_bps = 1;
        rate->bps = (uint64_t)bw;
        q->bandwidth = rate;
    }
    q->has_workflows = wf >= 0;
    q->workflows = wf >= 0 ? (uint32_t)wf : 0;
    return q;
}

static void reply_quota(struct srv *srv, struct job *q, const char *tenant)
{
    struct store_quota qu;
    struct srv_usage u;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_quota_get(srv->store, tenant, &qu, &err);
    if (rc == 0)
        rc = srv__tenant_usage(srv, tenant, &u, &err);
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    Placer__Rate r1, r2;
    Placer__Quota *lim =
        quota_msg(tenant, qu.cpu, qu.bandwidth_bps, qu.workflows, &r1);
    Placer__Quota *used = quota_msg(tenant, u.cpu, (int64_t)u.bandwidth_bps,
                                    (int64_t)u.workflows, &r2);
    if (!lim || !used) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                         "out of memory");
    } else {
        Placer__QuotaReply qr = PLACER__QUOTA_REPLY__INIT;
        qr.quota = lim;
        qr.used = used;
        srv__reply_with(q, PLACER__RESPONSE__RESULT_QUOTA, &qr);
    }
    free(lim);
    free(used);
}

static void do_quota_set(struct srv *srv, struct job *q)
{
    const Placer__Quota *in = q->req->quota_set->quota;
    struct plc_error err = PLC_ERROR_INIT;
    if (!in || !in->tenant || !proto_name_valid(in->tenant)) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "quota.tenant: a name is 1 to 63 of A-Z a-z 0-9 . _ "
                         "-");
        return;
    }
    if (in->has_cpu && !(in->cpu >= 0 && in->cpu <= 1e9)) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "quota.cpu: a utilisation of 0 or more (2.5: two "
                         "and a half cores)");
        return;
    }
    struct store_quota s = {
        .cpu = in->has_cpu ? in->cpu : -1,
        .bandwidth_bps = in->bandwidth && in->bandwidth->has_bps &&
                                 in->bandwidth->bps <= INT64_MAX
                             ? (int64_t)in->bandwidth->bps
                             : -1,
        .workflows = in->has_workflows ? (int64_t)in->workflows : -1};
    snprintf(s.tenant, sizeof s.tenant, "%s", in->tenant);
    int rc = store_quota_put(srv->store, &s, &err);
    if (rc < 0) {
        srv__reply_error(q, srv__error_code(rc), NULL, "%s", err.msg);
        return;
    }
    plc_log(PLC_LOG_INFO, "quota of %s set by %s", in->tenant, q->actor);
    reply_quota(srv, q, in->tenant);
}

static void do_quota_get(struct srv *srv, struct job *q)
{
    const char *t = q->req->quota_get->tenant;
    if (!t || !t[0]) {
        srv__reply_error(q, PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT, NULL,
                         "tenant: whose quota?");
        return;
    }
    reply_quota(srv, q, t);
}

bool srv__auth_request(struct srv *srv, struct job *q)
{
    switch (q->req->op_case) {
    case PLACER__REQUEST__OP_TOKEN_CREATE:
        do_token_create(srv, q);
        return true;
    case PLACER__REQUEST__OP_TOKEN_LIST:
        do_token_list(srv, q);
        return true;
    case PLACER__REQUEST__OP_TOKEN_REVOKE:
        do_token_revoke(srv, q);
        return true;
    case PLACER__REQUEST__OP_QUOTA_SET:
        do_quota_set(srv, q);
        return true;
    case PLACER__REQUEST__OP_QUOTA_GET:
        do_quota_get(srv, q);
        return true;
    default:
        return false;
    }
}
