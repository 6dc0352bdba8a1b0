/*
 * admit.c: from an admitted plan to the rows the store keeps and the
 * in-memory totals (state.h), and the check that a new cluster does not
 * strand what is reserved.
 */
#include "admit.h"
#include "plc/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv__admission_rows_release(struct admission_rows *r)
{
    for (size_t i = 0; i < r->n_net; i++)
        free((char *)r->net[i].vlink);
    free(r->services);
    free(r->cpu);
    free(r->net);
    free(r->link_idx);
    free(r->link_dir);
    memset(r, 0, sizeof *r);
}

/* Record the links of a node path (indices of the model = the cluster's). */
static int add_path(struct admission_rows *r, const struct totals *t,
                    const char *vlink, const size_t *path, size_t n,
                    uint64_t rate, bool back)
{
    for (size_t k = 0; k + 1 < n; k++) {
        int dir;
        size_t l = srv__totals_link(t, path[k], path[k + 1], &dir);
        if (l == SIZE_MAX)
            return PLC_EINTERNAL;
        char *name = strdup(vlink);
        if (!name)
            return PLC_ENOMEM;
        r->net[r->n_net] =
            (struct store_net){name, t->node_names[path[k]],
                               t->node_names[path[k + 1]], rate, back};
        r->link_idx[r->n_net] = l;
        r->link_dir[r->n_net] = dir;
        r->n_net++;
    }
    return 0;
}

int srv__admission_rows_build(struct admission_rows *r, const struct totals *t,
                              const Placer__Workflow *w,
                              const struct place_plan *plan)
{
    memset(r, 0, sizeof *r);
    size_t V = w->n_services, ncpu = 0, nnet = 0;
    for (size_t v = 0; v < V; v++)
        ncpu += (size_t)(w->services[v]->has_vcpus ? w->services[v]->vcpus : 1);
    for (size_t i = 0; i < w->n_links; i++)
        nnet += plan->vlinks[i].n_path + plan->vlinks[i].n_back;
    r->services = calloc(V + 1, sizeof *r->services);
    r->cpu = calloc(ncpu + 1, sizeof *r->cpu);
    r->net = calloc(nnet + 1, sizeof *r->net);
    r->link_idx = calloc(nnet + 1, sizeof *r->link_idx);
    r->link_dir = calloc(nnet + 1, sizeof *r->link_dir);
    if (!r->services || !r->cpu || !r->net || !r->link_idx || !r->link_dir) {
        srv__admission_rows_release(r);
        return PLC_ENOMEM;
    }
    for (size_t v = 0; v < V; v++) {
        const Placer__Service *s = w->services[v];
        const struct place_service_plan *sp = &plan->services[v];
        const char *host = t->node_names[sp->host];
        r->services[r->n_services++] = (struct store_service){
            s->name, host,
            s->memory && s->memory->has_bytes ? s->memory->bytes : 0};
        int vcpus = s->has_vcpus ? s->vcpus : 1;
        for (int k = 0; k < vcpus; k++)
            r->cpu[r->n_cpu++] = (struct store_cpu){s->name,
                                                    host,
                                                    (int)sp->cores[k],
                                                    sp->item.utilization,
                                                    sp->item.budget_ns,
                                                    sp->item.period_ns,
                                                    sp->item.deadline_ns};
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->n_links; i++) {
        const struct place_vlink_plan *vp = &plan->vlinks[i];
        const Placer__VirtualLink *l = w->links[i];
        char name[160];
        snprintf(name, sizeof name, "%s->%s", l->from, l->to);
        uint64_t rate = l->rate && l->rate->has_bps ? l->rate->bps : 0;
        if (rate == 0)
            continue;
        rc = add_path(r, t, name, vp->path, vp->n_path, rate, false);
        if (rc == 0)
            rc = add_path(r, t, name, vp->back, vp->n_back, rate, true);
    }
    if (rc < 0)
        srv__admission_rows_release(r);
    return rc;
}

void srv__admission_rows_apply(const struct admission_rows *r, struct totals *t,
                               const struct place_plan *plan)
{
    for (size_t i = 0; i < r->n_cpu; i++) {
        size_t h = srv__totals_node(t, r->cpu[i].host);
        if (h < t->n_hosts && r->cpu[i].core < t->max_cores) {
            t->core[h * (size_t)t->max_cores + (size_t)r->cpu[i].core] +=
                r->cpu[i].utilization;
            srv__totals_touch(t, h);
        }
    }
    for (size_t v = 0; v < r->n_services; v++) {
        t->mem[plan->services[v].host] += (double)r->services[v].memory_bytes;
        srv__totals_touch(t, plan->services[v].host);
    }
    for (size_t i = 0; i < r->n_net; i++) {
        t->link[2 * r->link_idx[i] + (size_t)r->link_dir[i]] +=
            (double)r->net[i].rate_bps;
        srv__totals_touch_link(t, r->link_idx[i]);
    }
}

/* A total within 1e-9 of zero is zero: the store deletes such rows
 * after a release, and a reload reads none. */
static double settle(double x)
{
    return fabs(x) < 1e-9 ? 0 : x;
}

void srv__admission_rows_unapply(const struct admission_rows *r,
                                 struct totals *t,
                                 const struct place_plan *plan)
{
    /* per (host, core): the sum of the rows, in their order, subtracted
     * once (the store's UPDATE ... amount - (SELECT sum(...))) */
    for (size_t i = 0; i < r->n_cpu; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->cpu[j].core == r->cpu[i].core &&
                   !strcmp(r->cpu[j].host, r->cpu[i].host);
        size_t h = srv__totals_node(t, r->cpu[i].host);
        if (seen || h >= t->n_hosts || r->cpu[i].core >= t->max_cores)
            continue;
        double sum = 0;
        for (size_t j = i; j < r->n_cpu; j++)
            if (r->cpu[j].core == r->cpu[i].core &&
                !strcmp(r->cpu[j].host, r->cpu[i].host))
                sum += r->cpu[j].utilization;
        double *x = &t->core[h * (size_t)t->max_cores + (size_t)r->cpu[i].core];
        *x = settle(*x - sum);
        srv__totals_touch(t, h);
    }
    for (size_t v = 0; v < r->n_services; v++) {
        size_t h = plan->services[v].host;
        bool seen = false;
        for (size_t u = 0; u < v && !seen; u++)
            seen = plan->services[u].host == h;
        if (seen)
            continue;
        int64_t sum = 0; /* (integers in the store) */
        for (size_t u = v; u < r->n_services; u++)
            if (plan->services[u].host == h)
                sum += (int64_t)r->services[u].memory_bytes;
        t->mem[h] = settle(t->mem[h] - (double)sum);
        srv__totals_touch(t, h);
    }
    for (size_t i = 0; i < r->n_net; i++) {
        size_t k = 2 * r->link_idx[i] + (size_t)r->link_dir[i];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = 2 * r->link_idx[j] + (size_t)r->link_dir[j] == k;
        if (seen)
            continue;
        int64_t sum = 0;
        for (size_t j = i; j < r->n_net; j++)
            if (2 * r->link_idx[j] + (size_t)r->link_dir[j] == k)
                sum += (int64_t)r->net[j].rate_bps;
        t->link[k] = settle(t->link[k] - (double)sum);
        srv__totals_touch_link(t, r->link_idx[i]);
    }
}

/* ---- stranding -------------------------------------------------------------
 */

struct strand_ctx {
    const Placer__Cluster *c;
    struct store *s;
    char **names;
    size_t n, cap;
    bool oom;
};

static const Placer__Host *find_host(const Placer__Cluster *c, const char *n)
{
    for (size_t h = 0; h < c->n_hosts; h++)
        if (!strcmp(c->hosts[h]->name, n))
            return c->hosts[h];
    return NULL;
}

static bool has_link(const Placer__Cluster *c, const char *a, const char *b)
{
    for (size_t l = 0; l < c->n_links; l++)
        if ((!strcmp(c->links[l]->a, a) && !strcmp(c->links[l]->b, b)) ||
            (!strcmp(c->links[l]->a, b) && !strcmp(c->links[l]->b, a)))
            return true;
    return false;
}

/* Does the workflow's plan still fit the new cluster's shape: its hosts
 * exist with the cores it uses, and its routes' links exist? */
static bool fits(const Placer__Cluster *c, const Placer__Plan *p)
{
    for (size_t i = 0; i < p->n_services; i++) {
        const Placer__PlacedService *s = p->services[i];
        const Placer__Host *h = find_host(c, s->host);
        if (!h)
            return false;
        int cores = h->has_cores ? h->cores : 1;
        for (size_t k = 0; k < s->n_cores; k++)
            if ((int)s->cores[k] >= cores)
                return false;
    }
    for (size_t i = 0; i < p->n_links; i++)
        for (size_t k = 0; k + 1 < p->links[i]->n_path; k++)
            if (!has_link(c, p->links[i]->path[k], p->links[i]->path[k + 1]))
                return false;
    return true;
}

static int strand_one(void *arg, const struct store_workflow *w)
{
    struct strand_ctx *x = arg;
    Placer__Plan *p = placer__plan__unpack(NULL, w->plan_len, w->plan);
    bool ok = p && fits(x->c, p);
    if (p)
        placer__plan__free_unpacked(p, NULL);
    if (ok)
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        char **g = realloc(x->names, cap * sizeof *g);
        if (!g) {
            x->oom = true;
            return 1;
        }
        x->names = g;
        x->cap = cap;
    }
    size_t len = strlen(w->tenant) + strlen(w->name) + 2;
    char *s = malloc(len);
    if (!s) {
        x->oom = true;
        return 1;
    }
    snprintf(s, len, "%s/%s", w->tenant, w->name);
    x->names[x->n++] = s;
    return 0;
}

/* Capacities the new cluster gives below what is reserved there. */
static void over_capacity(const Placer__Cluster *c, const struct totals *t,
                          bool *over)
{
    *over = false;
    for (size_t h = 0; t->cluster && h < t->n_hosts; h++) {
        const Placer__Host *n = find_host(c, t->node_names[h]);
        if (!n)
            continue; /* counted by fits() through the workflows */
        double cap = n->has_core_capacity ? n->core_capacity : 1.0;
        int cores = n->has_cores ? n->cores : 1;
        for (int k = 0; k < cores && k < t->max_cores; k++) {
            double used = k < (int)n->n_used ? n->used[k] : 0;
            if (t->core[h * (size_t)t->max_cores + (size_t)k] + used >
                cap + 1e-9)
                *over = true;
        }
        if (n->memory && n->memory->has_bytes &&
            t->mem[h] + (n->memory_used ? (double)n->memory_used->bytes : 0) >
                (double)n->memory->bytes)
            *over = true;
    }
}

int srv__strand_check(const Placer__Cluster *c, const struct totals *t,
                      struct store *s, char ***names, size_t *n, bool *over,
                      struct plc_error *err)
{
    struct strand_ctx x = {c, s, NULL, 0, 0, false};
    int rc = store_workflow_each(s, NULL, strand_one, &x, err);
    if (rc == 0 && x.oom)
        rc = plc_error_set(err, PLC_ENOMEM, "out of memory");
    over_capacity(c, t, over);
    *names = x.names;
    *n = x.n;
    return rc;
}

/* ---- the cluster as rows --------------------------------------------------
 */

int srv__cluster_rows_build(const Placer__Cluster *c, struct store_cluster *out)
{
    memset(out, 0, sizeof *out);
    struct store_host *h = calloc(c->n_hosts + 1, sizeof *h);
    const char **sw = calloc(c->n_switches + 1, sizeof *sw);
    struct store_link *l = calloc(c->n_links + 1, sizeof *l);
    if (!h || !sw || !l) {
        free(h);
        free(sw);
        free(l);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        const Placer__Host *x = c->hosts[i];
        h[i] = (struct store_host){
            x->name,
            x->has_cores ? x->cores : 1,
            x->has_core_capacity ? x->core_capacity : 1.0,
            x->memory && x->memory->has_bytes ? x->memory->bytes : UINT64_MAX,
            x->has_speed ? x->speed : 1.0,
            x->has_cost ? x->cost : 1.0,
            x->zone};
    }
    for (size_t i = 0; i < c->n_switches; i++)
        sw[i] = c->switches[i]->name;
    for (size_t i = 0; i < c->n_links; i++) {
        const Placer__Link *x = c->links[i];
        l[i] = (struct store_link){x->a,
                                   x->b,
                                   x->rate ? x->rate->bps : 0,
                                   x->latency ? x->latency->ns : 0,
                                   x->jitter ? x->jitter->ns : 0,
                                   x->buffer ? x->buffer->bytes : 0,
                                   x->has_cost ? x->cost : 0};
    }
    *out =
        (struct store_cluster){c->n_hosts, c->n_switches, c->n_links, h, sw, l};
    return 0;
}

void srv__cluster_rows_release(struct store_cluster *r)
{
    free((void *)r->hosts);
    free((void *)r->switches);
    free((void *)r->links);
    memset(r, 0, sizeof *r);
}
