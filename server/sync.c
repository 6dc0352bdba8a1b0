/*
 * sync.c: placerd's side of enforcement.  Every durable reservation has an
 * entry here with its generation and what the agent of its host last said
 * about it.  Apply and remove go out as soon as the reservation is durable
 * (or released) and the host's agent is up; an agent that registers gets
 * the whole desired set; failures are retried with exponential backoff
 * (1 s doubling to 30 s), unanswered sends after 3 s.
 */
#define _GNU_SOURCE
#include "plc/clock.h"
#include "plc/limits.h"
#include "sync.h"
#include "proto/validate.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_FIRST_MS 1000.0
#define RETRY_MAX_MS 30000.0
#define ANSWER_MS 3000.0

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct resv *)a)->id, ((const struct resv *)b)->id);
}

struct resv *srv__sync_find(const struct sync *s, const char *id)
{
    struct resv key;
    key.id = (char *)id;
    void *const *f = tfind(&key, &s->t.tree, by_id);
    return f ? *(struct resv *const *)f : NULL;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct resv_group *)a)->key,
                  ((const struct resv_group *)b)->key);
}

/* The group of an id ("tenant/name/..."): found, or made when `make`. */
static struct resv_group *group_of(void *const *root, const char *id, bool make,
                                   void **rootw)
{
    const char *a = strchr(id, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (!b)
        return NULL;
    char key[300];
    snprintf(key, sizeof key, "%.*s", (int)(b - id + 1), id);
    struct resv_group k = {key, NULL, 0, 0, 0, 0};
    void *const *f = tfind(&k, root, by_key);
    if (f || !make)
        return f ? *(struct resv_group *const *)f : NULL;
    struct resv_group *g = calloc(1, sizeof *g);
    if (!g || !(g->key = strdup(key)) || !tsearch(g, rootw, by_key)) {
        if (g)
            free(g->key);
        free(g);
        return NULL;
    }
    return g;
}

const struct resv_group *
srv__sync_workflow(const struct sync *s, const char *tenant, const char *name)
{
    char id[300];
    snprintf(id, sizeof id, "%s/%s/x", tenant, name);
    return group_of(&s->t.workflows, id, false, NULL);
}

static void group_remove(struct sync *s, struct resv *r)
{
    struct resv_group *g = group_of(&s->t.workflows, r->id, false, NULL);
    for (size_t i = 0; g && i < g->n; i++)
        if (g->v[i] == r) {
            g->v[i] = g->v[--g->n];
            break;
        }
    if (g && !g->n) {
        tdelete(g, &s->t.workflows, by_key);
        free(g->key);
        free(g->v);
        free(g);
    }
}

static void group_free(void *p)
{
    struct resv_group *g = p;
    free(g->key);
    free(g->v);
    free(g);
}

static void resv_free(struct resv *r)
{
    free(r->id);
    free(r->tenant);
    free(r->workflow);
    free(r->subject);
    free(r->next_hop);
    free(r->host_name);
    free(r->cores);
    free(r->src);
    free(r->dst);
    free(r->proto);
    free(r->cgroup);
    free(r->error);
    free(r);
}

static void drop(struct sync *s, struct resv *r)
{
    tdelete(r, &s->t.tree, by_id);
    group_remove(s, r);
    struct resv_table *t = &s->t;
    t->v[r->pos] = t->v[t->n - 1];
    t->v[r->pos]->pos = r->pos;
    t->n--;
    resv_free(r);
}

static void nofree(void *p)
{
    (void)p;
}

void srv__sync_release_all(struct sync *s)
{
    tdestroy(s->t.tree, nofree);
    tdestroy(s->t.workflows, group_free);
    for (size_t i = 0; i < s->t.n; i++)
        resv_free(s->t.v[i]);
    free(s->t.v);
    memset(&s->t, 0, sizeof s->t);
}

static char *dup0(const char *x)
{
    return x ? strdup(x) : NULL;
}

/* The entry of id, new (WAITING) or the existing one made new again. */
static struct resv *entry(struct sync *s, const char *id)
{
    struct resv *r = srv__sync_find(s, id);
    if (r) {
        free(r->error);
        r->error = NULL;
        r->removing = false;
        r->st = RS_WAITING;
        r->backoff_ms = RETRY_FIRST_MS;
        return r;
    }
    r = calloc(1, sizeof *r);
    if (!r || !(r->id = strdup(id))) {
        free(r);
        return NULL;
    }
    struct resv_table *t = &s->t;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        struct resv **g = realloc(t->v, cap * sizeof *g);
        if (!g) {
            resv_free(r);
            return NULL;
        }
        t->v = g;
        t->cap = cap;
    }
    struct resv_group *g = group_of(&t->workflows, id, true, &t->workflows);
    if (g && g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 8;
        struct resv **v = realloc(g->v, cap * sizeof *v);
        if (v) {
            g->v = v;
            g->cap = cap;
        }
    }
    if (!g || g->n == g->cap || !tsearch(r, &t->tree, by_id)) {
        resv_free(r);
        return NULL;
    }
    g->v[g->n++] = r;
    r->pos = t->n;
    t->v[t->n++] = r;
    r->backoff_ms = RETRY_FIRST_MS;
    r->host = SIZE_MAX;
    return r;
}

static void set_names(struct resv *r, const char *tenant, const char *wf,
                      const char *subject, const char *next_hop)
{
    free(r->tenant);
    free(r->workflow);
    free(r->subject);
    free(r->next_hop);
    r->tenant = dup0(tenant);
    r->workflow = dup0(wf);
    r->subject = dup0(subject);
    r->next_hop = dup0(next_hop);
}

static void set_binding(struct resv *r, const struct store_binding *b)
{
    free(r->src);
    free(r->dst);
    free(r->proto);
    free(r->cgroup);
    r->src = r->dst = r->proto = r->cgroup = NULL;
    r->pid = 0;
    r->flow = false;
    if (!b)
        return;
    r->pid = b->pid;
    r->cgroup = r->cpu ? dup0(b->cgroup) : NULL;
    if (!r->cpu) {
        r->flow = true;
        r->src = dup0(b->src);
        r->dst = dup0(b->dst);
        r->proto = dup0(b->protocol);
        r->sport = b->src_port;
        r->dport = b->dst_port;
    }
}

static uint64_t link_rate(const struct totals *t, const char *a, const char *b)
{
    int dir;
    size_t l = srv__totals_link(t, srv__totals_node(t, a),
                                srv__totals_node(t, b), &dir);
    if (l == SIZE_MAX || !t->cluster)
        return 0;
    const Placer__Link *k = t->cluster->links[l];
    return k->rate && k->rate->has_bps ? k->rate->bps : 0;
}

/* ---- sending ---- */

/* The bound flow, turned around on the way back. */
static Placer__FlowSpec *flow_of(const struct resv *r, Placer__FlowSpec *f)
{
    if (!r->flow)
        return NULL;
    bool back = r->back;
    placer__flow_spec__init(f);
    f->src = back ? r->dst : r->src;
    f->dst = back ? r->src : r->dst;
    f->protocol = r->proto;
    f->has_src_port = f->has_dst_port = 1;
    f->src_port = (uint32_t)(back ? r->dport : r->sport);
    f->dst_port = (uint32_t)(back ? r->sport : r->dport);
    return f;
}

static void fill(const struct resv *r, Placer__Reservation *m,
                 Placer__FlowSpec *f, uint32_t *cores)
{
    placer__reservation__init(m);
    m->id = r->id;
    m->has_generation = m->has_kind = 1;
    m->generation = r->generation;
    m->kind = r->cpu ? PLACER__RESERVATION_KIND__RESERVATION_KIND_CPU
                     : PLACER__RESERVATION_KIND__RESERVATION_KIND_NET;
    m->workflow = r->workflow;
    m->tenant = r->tenant;
    m->service = r->subject;
    if (r->cpu) {
        m->has_budget_ns = m->has_period_ns = m->has_deadline_ns = 1;
        m->budget_ns = r->budget_ns;
        m->period_ns = r->period_ns;
        /* the plan's deadline is the stage's latency bound; the kernel's
         * relative deadline of a budget/period server is its period */
        m->deadline_ns =
            r->deadline_ns < r->period_ns ? r->deadline_ns : r->period_ns;
        for (int i = 0; i < r->n_cores; i++)
            cores[i] = (uint32_t)r->cores[i];
        m->cores = cores;
        m->n_cores = (size_t)r->n_cores;
        m->has_pid = 1;
        m->pid = r->pid;
        m->cgroup = r->cgroup;
    } else {
        m->has_rate_bps = m->has_link_rate_bps = 1;
        m->rate_bps = r->rate_bps;
        m->link_rate_bps = r->link_rate_bps;
        m->next_hop = r->next_hop;
        m->flow = flow_of(r, f);
    }
}

static bool host_up(const struct sync *s, size_t h)
{
    return h < s->totals->n_hosts && s->totals->agent &&
           s->totals->agent[h].state == HOST_UP && s->totals->agent[h].synced;
}

static void send_one(struct sync *s, struct resv *r)
{
    Placer__Reservation m;
    Placer__FlowSpec f;
    uint32_t cores[PLC_VCPUS_MAX];
    fill(r, &m, &f, cores);
    Placer__ServerToAgent out = PLACER__SERVER_TO_AGENT__INIT;
    out.msg_case = r->removing ? PLACER__SERVER_TO_AGENT__MSG_REMOVE
                               : PLACER__SERVER_TO_AGENT__MSG_APPLY;
    if (r->removing)
        out.remove = &m;
    else
        out.apply = &m;
    s->send(s->arg, r->host, &out);
    r->st = RS_SENT;
    r->sent_ms = plc_now_ms();
}

/* ---- loading and changes ---- */

struct load_ctx {
    struct sync *s;
    int rc;
    struct resv *last; /* the entry load_one made, NULL for a switch */
    struct plc_error *err;
};

static int load_one(void *arg, const struct store_resv *v)
{
    struct load_ctx *c = arg;
    c->last = NULL;
    /* the store is read as strictly as a request: names as validation
     * makes them (an id must hold them whole) */
    const char *bad =
        !v->tenant || !proto_name_valid(v->tenant)       ? "tenant"
        : !v->workflow || !proto_name_valid(v->workflow) ? "workflow name"
        : !v->subject || strlen(v->subject) > 200        ? "service or link"
        : !v->host || !proto_name_valid(v->host)         ? "host"
                                                         : NULL;
    if (bad)
        return c->rc = plc_error_set(
                   c->err, PLC_EDATA,
                   "the store holds a reservation whose %s is not valid "
                   "(workflow '%.64s' of tenant '%.64s%s'): placer never "
                   "writes one; restore the store from a backup",
                   bad, v->workflow ? v->workflow : "",
                   v->tenant ? v->tenant : "",
                   v->tenant && strlen(v->tenant) > 64 ? "..." : "");
    char id[512];
    const char *host = v->host;
    if (v->cpu)
        snprintf(id, sizeof id, "%s/%s/%s", v->tenant, v->workflow, v->subject);
    else
        snprintf(id, sizeof id, "%s/%s/%s/%s>%s", v->tenant, v->workflow,
                 v->subject, v->host, v->to);
    size_t h = srv__totals_node(c->s->totals, host);
    if (h >= c->s->totals->n_hosts)
        return 0; /* a switch: no agent enforces it */
    struct resv *r = entry(c->s, id);
    if (!r)
        return c->rc = plc_error_set(c->err, PLC_ENOMEM,
                                     "cannot track reservation '%s' (%s)", id,
                                     plc_strerror(PLC_ENOMEM));
    c->last = r;
    r->host = h;
    free(r->host_name);
    r->host_name = strdup(host);
    r->cpu = v->cpu;
    r->back = v->back;
    r->generation = (uint64_t)v->generation;
    set_names(r, v->tenant, v->workflow, v->subject, v->cpu ? NULL : v->to);
    if (v->cpu) {
        r->budget_ns = v->budget_ns;
        r->period_ns = v->period_ns;
        r->deadline_ns = v->deadline_ns;
        free(r->cores);
        r->cores = calloc((size_t)v->n_cores + 1, sizeof *r->cores);
        if (r->cores)
            memcpy(r->cores, v->cores, (size_t)v->n_cores * sizeof *r->cores);
        r->n_cores = r->cores ? v->n_cores : 0;
    } else {
        r->rate_bps = v->rate_bps;
        r->link_rate_bps = link_rate(c->s->totals, v->host, v->to);
    }
    set_binding(r, v->bound);
    return 0;
}

int srv__sync_load(struct sync *s, struct store *st, struct plc_error *err)
{
    struct load_ctx c = {s, 0, NULL, err};
    int rc = store_resv_each(st, load_one, &c, err);
    return rc < 0 ? rc : c.rc;
}

/* Track one reservation of a new admission, and send it at once where
 * an agent is up.  0 or PLC_ENOMEM. */
static int track_new(struct sync *s, const struct store_resv *v)
{
    struct load_ctx lc = {s, 0, NULL, NULL};
    load_one(&lc, v);
    struct resv *r = lc.last;
    if (r && r->st == RS_WAITING && host_up(s, r->host))
        send_one(s, r);
    return lc.rc;
}

int srv__sync_admitted(struct sync *s, const char *tenant, const char *name,
                       const struct admission_rows *rows, uint64_t generation)
{
    struct store_resv v;
    int rc = 0;
    /* CPU: one reservation per service (its rows: one per vCPU) */
    for (size_t i = 0; rc == 0 && i < rows->n_cpu; i++) {
        const struct store_cpu *c = &rows->cpu[i];
        if (i > 0 && !strcmp(rows->cpu[i - 1].service, c->service))
            continue;
        v = (struct store_resv){.tenant = tenant,
                                .workflow = name,
                                .cpu = true,
                                .subject = c->service,
                                .host = c->host,
                                .budget_ns = c->budget_ns,
                                .period_ns = c->period_ns,
                                .deadline_ns = c->deadline_ns,
                                .generation = (int64_t)generation};
        for (size_t k = i; k < rows->n_cpu && v.n_cores < PLC_VCPUS_MAX &&
                           !strcmp(rows->cpu[k].service, c->service);
             k++)
            v.cores[v.n_cores++] = rows->cpu[k].core;
        rc = track_new(s, &v);
    }
    for (size_t i = 0; rc == 0 && i < rows->n_net; i++) {
        const struct store_net *n = &rows->net[i];
        v = (struct store_resv){.tenant = tenant,
                                .workflow = name,
                                .subject = n->vlink,
                                .host = n->from,
                                .to = n->to,
                                .rate_bps = n->rate_bps,
                                .back = n->back,
                                .generation = (int64_t)generation};
        rc = track_new(s, &v);
    }
    return rc;
}

void srv__sync_released(struct sync *s, const char *tenant, const char *name)
{
    const struct resv_group *g = srv__sync_workflow(s, tenant, name);
    size_t n = g ? g->n : 0;
    struct resv **v = n ? malloc(n * sizeof *v) : NULL;
    if (!v)
        return; /* nothing, or no memory: the next registrations reconcile */
    memcpy(v, g->v, n * sizeof *v); /* a drop changes the group */
    for (size_t i = 0; i < n; i++) {
        struct resv *r = v[i];
        if (r->removing)
            continue;
        if (host_up(s, r->host)) {
            r->removing = true;
            r->backoff_ms = RETRY_FIRST_MS;
            send_one(s, r); /* it stays until its agent acknowledges */
        } else {
            drop(s, r); /* its agent reconciles when it is back */
        }
    }
    free(v);
}

int srv__sync_bound(struct sync *s, const char *id,
                    const struct store_binding *b)
{
    struct resv *r = srv__sync_find(s, id);
    if (!r)
        return PLC_ENOENT;
    r->generation = (uint64_t)b->generation;
    set_binding(r, b);
    free(r->error);
    r->error = NULL;
    r->st = RS_WAITING;
    r->backoff_ms = RETRY_FIRST_MS;
    if (host_up(s, r->host))
        send_one(s, r);
    return 0;
}

void srv__sync_host_up(struct sync *s, size_t h)
{
    size_t n = 0;
    for (size_t i = 0; i < s->t.n; i++)
        n += s->t.v[i]->host == h && !s->t.v[i]->removing;
    Placer__Reservation *m = calloc(n + 1, sizeof *m);
    Placer__Reservation **mp = calloc(n + 1, sizeof *mp);
    Placer__FlowSpec *f = calloc(n + 1, sizeof *f);
    uint32_t(*cores)[PLC_VCPUS_MAX] = calloc(n + 1, sizeof *cores);
    if (!m || !mp || !f || !cores) {
        free(m);
        free(mp);
        free(f);
        free(cores);
        return; /* the next registration tries again */
    }
    size_t k = 0;
    double now = plc_now_ms();
    for (size_t i = 0; i < s->t.n; i++) {
        struct resv *r = s->t.v[i];
        if (r->host != h)
            continue;
        if (r->removing) {
            drop(s, r); /* not in the set: the agent removes it */
            i--;
            continue;
        }
        fill(r, &m[k], &f[k], cores[k]);
        mp[k] = &m[k];
        k++;
        r->st = RS_SENT;
        r->sent_ms = now;
    }
    Placer__DesiredSet d = PLACER__DESIRED_SET__INIT;
    d.reservations = mp;
    d.n_reservations = k;
    Placer__ServerToAgent out = PLACER__SERVER_TO_AGENT__INIT;
    out.msg_case = PLACER__SERVER_TO_AGENT__MSG_DESIRED;
    out.desired = &d;
    s->send(s->arg, h, &out);
    free(m);
    free(mp);
    free(f);
    free(cores);
}

void srv__sync_ack(struct sync *s, size_t h, const Placer__AgentAck *a)
{
    struct resv *r =
        a->reservation_id ? srv__sync_find(s, a->reservation_id) : NULL;
    if (!r || r->host != h ||
        (a->has_generation && a->generation != r->generation))
        return; /* stale: an earlier generation, or released since */
    bool remove = a->has_op && a->op == PLACER__ACK_OP__ACK_OP_REMOVE;
    if (remove != r->removing)
        return;
    if (a->ok) {
        if (remove) {
            drop(s, r);
            return;
        }
        r->st = RS_OK;
        free(r->error);
        r->error = NULL;
        r->backoff_ms = RETRY_FIRST_MS;
        return;
    }
    r->st = RS_FAILED;
    free(r->error);
    r->error = dup0(a->error ? a->error : "the agent failed without a reason");
    r->next_try_ms = plc_now_ms() + r->backoff_ms;
    r->backoff_ms =
        r->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->backoff_ms * 2;
}

void srv__sync_tick(struct sync *s)
{
    double now = plc_now_ms();
    for (size_t i = 0; i < s->t.n; i++) {
        struct resv *r = s->t.v[i];
        if (!host_up(s, r->host))
            continue;
        if ((r->st == RS_FAILED && now >= r->next_try_ms) ||
            (r->st == RS_SENT && now - r->sent_ms > ANSWER_MS) ||
            r->st == RS_WAITING)
            send_one(s, r);
    }
}

void srv__sync_rehost(struct sync *s)
{
    for (size_t i = 0; i < s->t.n; i++) {
        struct resv *r = s->t.v[i];
        size_t h = srv__totals_node(s->totals, r->host_name);
        r->host = h < s->totals->n_hosts ? h : SIZE_MAX;
    }
}

/* ---- states ---- */

Placer__State srv__sync_state(const struct sync *s, const struct resv *r,
                              const char **why)
{
    *why = NULL;
    const struct host_agent *a =
        r->host < s->totals->n_hosts && s->totals->agent
            ? &s->totals->agent[r->host]
            : NULL;
    if (!a || a->state == HOST_UNKNOWN)
        return PLACER__STATE__STATE_ADMITTED; /* no agent to send it to */
    if (a->state == HOST_DOWN) {
        *why = "the host's agent is unreachable (three heartbeats missed); "
               "applied again when it is back";
        return PLACER__STATE__STATE_DEGRADED;
    }
    if (r->removing)
        return PLACER__STATE__STATE_RELEASING;
    switch (r->st) {
    case RS_OK:
        return PLACER__STATE__STATE_ACTIVE;
    case RS_FAILED:
        *why = r->error;
        return PLACER__STATE__STATE_DEGRADED;
    default:
        return PLACER__STATE__STATE_APPLYING;
    }
}

/* Combine: degraded wins, then applying; all active is active; all
 * admitted is admitted; a mix of admitted and active is applying. */
static Placer__State combine(Placer__State acc, Placer__State x, bool first)
{
    if (first)
        return x;
    if (acc == PLACER__STATE__STATE_DEGRADED ||
        x == PLACER__STATE__STATE_DEGRADED)
        return PLACER__STATE__STATE_DEGRADED;
    if (acc == x)
        return acc;
    return PLACER__STATE__STATE_APPLYING;
}

static const struct resv *service_resv(const struct sync *s, const char *tenant,
                                       const char *wf, const char *svc)
{
    char id[512];
    snprintf(id, sizeof id, "%s/%s/%s", tenant, wf, svc);
    return srv__sync_find(s, id);
}

/* A virtual link's state: of its reservations on every link direction
 * leaving a host, on the way there and (duplex) back. */
static Placer__State link_state(const struct sync *s, const char *tenant,
                                const char *wf, const Placer__PlacedLink *l,
                                const char **why, bool *any)
{
    Placer__State st = PLACER__STATE__STATE_ACTIVE;
    *any = false;
    *why = NULL;
    const struct resv_group *g = srv__sync_workflow(s, tenant, wf);
    char subject[300];
    snprintf(subject, sizeof subject, "%s->%s", l->from, l->to);
    for (size_t i = 0; g && i < g->n; i++) {
        const struct resv *r = g->v[i];
        if (r->cpu || !r->subject || strcmp(r->subject, subject))
            continue;
        const char *w;
        Placer__State x = srv__sync_state(s, r, &w);
        st = combine(st, x, !*any);
        if (w && !*why)
            *why = w;
        *any = true;
    }
    return st;
}

void srv__sync_plan_states(const struct sync *s, Placer__Plan *p,
                           const char *tenant)
{
    Placer__State all = PLACER__STATE__STATE_ADMITTED;
    bool first = true;
    for (size_t i = 0; i < p->n_services; i++) {
        Placer__PlacedService *v = p->services[i];
        const struct resv *r = service_resv(s, tenant, p->workflow, v->name);
        if (!r)
            continue;
        const char *why;
        Placer__State x = srv__sync_state(s, r, &why);
        v->has_state = 1;
        v->state = x;
        if (r->pid > 0) {
            v->has_pid = 1;
            v->pid = r->pid;
        }
        if (r->cgroup && !v->cgroup)
            v->cgroup = strdup(r->cgroup);
        if (why) {
            free(v->error);
            v->error = strdup(why);
        }
        all = combine(all, x, first);
        first = false;
    }
    for (size_t i = 0; i < p->n_links; i++) {
        Placer__PlacedLink *l = p->links[i];
        const char *why;
        bool any;
        Placer__State x = link_state(s, tenant, p->workflow, l, &why, &any);
        if (!any)
            continue;
        l->has_state = 1;
        l->state = x;
        char id[512], flow[200];
        snprintf(id, sizeof id, "%s/%s/%s->%s/", tenant, p->workflow, l->from,
                 l->to);
        for (size_t k = 0; k + 1 < l->n_path && !l->flow; k++) {
            char full[700];
            snprintf(full, sizeof full, "%s%s>%s", id, l->path[k],
                     l->path[k + 1]);
            const struct resv *r = srv__sync_find(s, full);
            if (r && r->flow) { /* as bound: the way there */
                snprintf(flow, sizeof flow, "%s:%d-%s:%d/%s",
                         r->src ? r->src : "*", r->sport, r->dst ? r->dst : "*",
                         r->dport, r->proto ? r->proto : "any");
                l->flow = strdup(flow);
            }
        }
        if (why) {
            free(l->error);
            l->error = strdup(why);
        }
        all = combine(all, x, first);
        first = false;
    }
    p->has_state = 1;
    p->state = all;
    /* a link with nothing to reserve (its ends on one host) stands as the
     * workflow does */
    for (size_t i = 0; i < p->n_links; i++)
        if (!p->links[i]->has_state) {
            p->links[i]->has_state = 1;
            p->links[i]->state = all;
        }
}

Placer__State srv__sync_workflow_state(const struct sync *s, const char *tenant,
                                       const Placer__Plan *p)
{
    Placer__State all = PLACER__STATE__STATE_ADMITTED;
    bool first = true;
    for (size_t i = 0; i < p->n_services; i++) {
        const struct resv *r =
            service_resv(s, tenant, p->workflow, p->services[i]->name);
        const char *why;
        if (r) {
            all = combine(all, srv__sync_state(s, r, &why), first);
            first = false;
        }
    }
    for (size_t i = 0; i < p->n_links; i++) {
        const char *why;
        bool any;
        Placer__State x =
            link_state(s, tenant, p->workflow, p->links[i], &why, &any);
        if (any) {
            all = combine(all, x, first);
            first = false;
        }
    }
    return all;
}

void srv__sync_state_changes(struct sync *s,
                             void (*fn)(void *arg, const char *workflow,
                                        Placer__State st),
                             void *arg)
{
    static unsigned gen;
    gen++;
    for (size_t i = 0; i < s->t.n; i++) {
        struct resv *r = s->t.v[i];
        struct resv_group *g =
            r->removing ? NULL : group_of(&s->t.workflows, r->id, false, NULL);
        if (!g || g->scan_gen == gen)
            continue;
        g->scan_gen = gen;
        Placer__State st = PLACER__STATE__STATE_ADMITTED;
        bool first = true;
        for (size_t k = 0; k < g->n; k++) {
            const char *why;
            if (g->v[k]->removing)
                continue;
            st = combine(st, srv__sync_state(s, g->v[k], &why), first);
            first = false;
        }
        int was = g->reported ? g->reported : PLACER__STATE__STATE_ADMITTED;
        if (!first && (int)st != was) {
            g->reported = (int)st;
            char name[300];
            snprintf(name, sizeof name, "%s", g->key);
            name[strlen(name) - 1] = 0; /* "tenant/name/" */
            fn(arg, name, st);
        }
    }
}
