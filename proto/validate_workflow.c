/*
 * validate_workflow.c: the workflow and analyze-input rules of FORMATS.md,
 * and the references from a workflow into a cluster.
 */
#include "proto/validate.h"
#include "plc/buf.h"
#include "plc/error.h"
#include "plc/limits.h"
#include "plc/quantity.h"
#include "plc/names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P 512 /* path buffer */

static void fmt_time(uint64_t ns, char *buf)
{
    plc_qty_format(PLC_QTY_TIME, ns, buf, PLC_QTY_BUFSZ);
}

/* Report a Time that must be above zero. */
static void check_positive_time(const Placer__Time *t, const char *path,
                                struct plc_diags *d)
{
    if (t && t->ns == 0)
        plc_diags_add(d, path, "must be above 0ms");
}

static void require(const void *field, const char *path, const char *what,
                    struct plc_diags *d)
{
    if (!field && !proto_diags_has(d, path))
        plc_diags_add(d, path, "missing; %s", what);
}

/* ---- tasks (exec_time.tasks and analyze input) ------------------------- */

static void validate_task(const Placer__Task *t, const char *base,
                          struct plc_diags *d)
{
    char p[P];
    plc_path_join(p, P, base, "name", 0);
    proto_check_name(t->name, p, "task", false, d);
    plc_path_join(p, P, base, "wcet", 0);
    require(t->wcet, p,
            "give the task's worst-case execution time, e.g. "
            "\"7ms\"",
            d);
    check_positive_time(t->wcet, p, d);
    plc_path_join(p, P, base, "period", 0);
    require(t->period, p, "give the task's period, e.g. \"50ms\"", d);
    check_positive_time(t->period, p, d);
    plc_path_join(p, P, base, "deadline", 0);
    check_positive_time(t->deadline, p, d);
    if (!t->wcet || !t->period)
        return;
    uint64_t dl = t->deadline ? t->deadline->ns : t->period->ns;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    if (t->deadline && t->deadline->ns > t->period->ns) {
        fmt_time(t->deadline->ns, a);
        fmt_time(t->period->ns, b);
        plc_diags_add(d, p,
                      "%s is above the period %s (only deadlines up to the "
                      "period are supported)",
                      a, b);
    } else if (dl && t->wcet->ns > dl) {
        plc_path_join(p, P, base, "wcet", 0);
        fmt_time(t->wcet->ns, a);
        fmt_time(dl, b);
        plc_diags_add(d, p,
                      "%s is above the deadline %s; the task can never "
                      "meet it",
                      a, b);
    }
}

static void validate_tasks(Placer__Task *const *tasks, size_t n,
                           const char *base, struct plc_diags *d)
{
    char p[P];
    for (size_t i = 0; i < n; i++) {
        plc_path_join(p, P, base, NULL, i);
        validate_task(tasks[i], p, d);
    }
}

/* Reservation periods: within what SCHED_DEADLINE accepts. */
static void validate_periods(Placer__Time *const *v, size_t n, const char *base,
                             struct plc_diags *d)
{
    char p[P], t[PLC_QTY_BUFSZ];
    for (size_t i = 0; i < n; i++) {
        plc_path_join(p, P, base, NULL, i);
        check_positive_time(v[i], p, d);
        if (!v[i] || v[i]->ns == 0 ||
            (v[i]->ns >= PLC_PERIOD_MIN_NS && v[i]->ns <= PLC_PERIOD_MAX_NS))
            continue;
        fmt_time(v[i]->ns, t);
        plc_diags_add(d, p,
                      "%s is outside the periods SCHED_DEADLINE accepts, 100us "
                      "to 4.194304s (kernel.sched_deadline_period_min_us and "
                      "_max_us)",
                      t);
    }
}

/* ---- exec_time ---------------------------------------------------------- */

/* (value, position) pairs, sorted by value then position: equal values
 * found in n log n, the first of each run being the earliest. */
struct keyed {
    uint64_t key;
    size_t at;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* first[i]: the earliest position with the same key as i, or i itself;
 * positions whose `valid` is false are left out (first[i] = i). */
static size_t *earliest_same(const uint64_t *key, const bool *valid, size_t n)
{
    struct keyed *k = malloc((n ? n : 1) * sizeof *k);
    size_t *first = malloc((n ? n : 1) * sizeof *first), m = 0;
    if (!k || !first) {
        free(k);
        free(first);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        first[i] = i;
        if (valid[i])
            k[m++] = (struct keyed){key[i], i};
    }
    qsort(k, m, sizeof *k, keyed_cmp);
    for (size_t j = 1; j < m; j++)
        if (k[j].key == k[j - 1].key)
            first[k[j].at] = first[k[j - 1].at];
    free(k);
    return first;
}

static void validate_pmf(const Placer__ExecTime *e, const char *base,
                         struct plc_diags *d)
{
    if (e->n_pmf == 0)
        return;
    char p[P];
    double sum = 0;
    bool bad = false;
    uint64_t *ns = calloc(e->n_pmf, sizeof *ns);
    bool *ok = calloc(e->n_pmf, sizeof *ok);
    if (!ns || !ok) {
        free(ns);
        free(ok);
        d->oom = true;
        return;
    }
    for (size_t i = 0; i < e->n_pmf; i++) {
        const Placer__ExecTime__PmfEntry *x = e->pmf[i];
        /* from the wire an entry may come without its key */
        const char *key = x->key ? x->key : "";
        plc_path_join(p, P, base, key, 0);
        struct plc_error err = PLC_ERROR_INIT;
        if (plc_qty_parse(PLC_QTY_TIME, key, &ns[i], &err) < 0) {
            plc_diags_add(d, p, "%s", err.msg);
            bad = true;
        } else if (ns[i] == 0) {
            plc_diags_add(d, p, "an execution time must be above 0ms");
        } else {
            ok[i] = true;
        }
        if (!(x->value >= 0 && x->value <= 1)) {
            plc_diags_add(d, p, "probability must be from 0 to 1 (got %g)",
                          x->value);
            bad = true;
        }
        sum += x->value;
    }
    size_t *first = earliest_same(ns, ok, e->n_pmf);
    if (!first)
        d->oom = true;
    for (size_t i = 0; first && i < e->n_pmf; i++)
        if (first[i] != i) {
            plc_path_join(p, P, base, e->pmf[i]->key, 0);
            plc_diags_add(d, p, "is the same time as \"%s\"",
                          e->pmf[first[i]]->key);
        }
    free(first);
    free(ns);
    free(ok);
    if (!bad && fabs(sum - 1.0) > 1e-9)
        plc_diags_add(d, base, "probabilities sum to %.10g (must be 1)", sum);
}

static void validate_exec_time(const Placer__ExecTime *e, const char *base,
                               struct plc_diags *d)
{
    static const char *const names[] = {"wcet", "pmf", "samples", "normal",
                                        "tasks"};
    bool given[5] = {e->wcet != NULL, e->n_pmf > 0, e->n_samples > 0,
                     e->normal != NULL, e->n_tasks > 0};
    int count = 0, first = -1, second = -1;
    for (int i = 0; i < 5; i++)
        if (given[i]) {
            if (count == 0)
                first = i;
            else if (count == 1)
                second = i;
            count++;
        }
    char p[P];
    if (count == 0 && !proto_diags_has(d, base))
        plc_diags_add(d, base, "give one of wcet, pmf, samples, normal, tasks");
    if (count > 1)
        plc_diags_add(d, base,
                      "give only one of wcet, pmf, samples, normal, tasks "
                      "(found %s and %s)",
                      names[first], names[second]);
    plc_path_join(p, P, base, "scheduler", 0);
    if (e->has_scheduler && !given[4])
        plc_diags_add(d, p, "applies only with \"tasks\"");
    plc_path_join(p, P, base, "wcet", 0);
    check_positive_time(e->wcet, p, d);
    plc_path_join(p, P, base, "pmf", 0);
    validate_pmf(e, p, d);
    plc_path_join(p, P, base, "samples", 0);
    for (size_t i = 0; i < e->n_samples; i++) {
        char sp[P];
        plc_path_join(sp, P, p, NULL, i);
        check_positive_time(e->samples[i], sp, d);
    }
    if (e->normal) {
        char np[P];
        plc_path_join(p, P, base, "normal", 0);
        plc_path_join(np, P, p, "mean", 0);
        require(e->normal->mean, np, "give the mean, e.g. \"4ms\"", d);
        check_positive_time(e->normal->mean, np, d);
        plc_path_join(np, P, p, "stddev", 0);
        require(e->normal->stddev, np,
                "give the standard deviation, e.g. \"1ms\"", d);
    }
    plc_path_join(p, P, base, "tasks", 0);
    validate_tasks(e->tasks, e->n_tasks, p, d);
}

static void validate_menu(const Placer__ReservationMenu *r, const char *base,
                          struct plc_diags *d)
{
    char p[P], ep[P], a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    static const char *const lists[] = {"periods", "budgets", "deadlines"};
    const size_t sizes[] = {r->n_periods, r->n_budgets, r->n_deadlines};
    for (int k = 0; k < 3; k++) {
        plc_path_join(p, P, base, lists[k], 0);
        if (sizes[k] > PLC_MENU_LIST_MAX)
            plc_diags_add(d, p,
                          "%zu entries; at most %d (the menu is the product "
                          "of the lists)",
                          sizes[k], PLC_MENU_LIST_MAX);
    }
    if (r->n_periods > PLC_MENU_LIST_MAX || r->n_deadlines > PLC_MENU_LIST_MAX)
        return;
    plc_path_join(p, P, base, "periods", 0);
    validate_periods(r->periods, r->n_periods, p, d);
    uint64_t maxp = 0;
    for (size_t i = 0; i < r->n_periods; i++)
        if (r->periods[i]->ns > maxp)
            maxp = r->periods[i]->ns;
    plc_path_join(p, P, base, "budgets", 0);
    for (size_t i = 0; i < r->n_budgets; i++) {
        plc_path_join(ep, P, p, NULL, i);
        check_positive_time(r->budgets[i], ep, d);
        if (maxp && r->budgets[i]->ns > maxp) {
            fmt_time(r->budgets[i]->ns, a);
            fmt_time(maxp, b);
            plc_diags_add(d, ep,
                          "%s is above every period (the largest is %s); a "
                          "budget is at most its period",
                          a, b);
        }
    }
    plc_path_join(p, P, base, "deadlines", 0);
    for (size_t i = 0; i < r->n_deadlines; i++) {
        plc_path_join(ep, P, p, NULL, i);
        uint64_t dl = r->deadlines[i]->ns;
        check_positive_time(r->deadlines[i], ep, d);
        if (dl == 0 || r->n_periods == 0)
            continue;
        bool multiple = false;
        for (size_t k = 0; k < r->n_periods; k++)
            if (r->periods[k]->ns && dl % r->periods[k]->ns == 0)
                multiple = true;
        if (!multiple) {
            fmt_time(dl, a);
            plc_diags_add(d, ep,
                          "%s is not a multiple of any period; a local "
                          "deadline is k times the period",
                          a);
        }
    }
}

/* ---- names of the workflow graph --------------------------------------- */

/* The workflow graph: endpoints (0..ne-1) then services (ne..) as nodes,
 * names indexed once, and for each node the links leaving it (compressed
 * rows: out[out_start[v] .. out_start[v + 1]]). */
struct wf {
    const Placer__Workflow *w;
    struct plc_name_index ix;
    long *from, *to;   /* node of each link's ends, -1 if unknown */
    size_t *out_start; /* n_nodes + 1 */
    size_t *out;       /* link indices grouped by `from` */
    size_t *same;      /* the earliest link with the same ends as each */
};

/* Index of `name` among endpoints then services, or -1. */
static long node_index(const struct wf *g, const char *name)
{
    return plc_name_index_find(&g->ix, name);
}

static void wf_release(struct wf *g)
{
    plc_name_index_release(&g->ix);
    free(g->from);
    free(g->to);
    free(g->out_start);
    free(g->out);
    free(g->same);
}

static bool wf_build(struct wf *g, const Placer__Workflow *w)
{
    memset(g, 0, sizeof *g);
    g->w = w;
    size_t n = w->n_endpoints + w->n_services, m = w->n_links;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    g->from = malloc((m ? m : 1) * sizeof *g->from);
    g->to = malloc((m ? m : 1) * sizeof *g->to);
    g->out_start = calloc(n + 2, sizeof *g->out_start);
    g->out = malloc((m ? m : 1) * sizeof *g->out);
    bool ok = names && g->from && g->to && g->out_start && g->out;
    for (size_t i = 0; ok && i < n; i++)
        names[i] = i < w->n_endpoints ? w->endpoints[i]->name
                                      : w->services[i - w->n_endpoints]->name;
    ok = ok && plc_name_index_build(&g->ix, names, n);
    free(names);
    if (!ok) {
        wf_release(g);
        return false;
    }
    for (size_t i = 0; i < m; i++) {
        g->from[i] = node_index(g, w->links[i]->from);
        g->to[i] = node_index(g, w->links[i]->to);
        if (g->from[i] >= 0)
            g->out_start[g->from[i] + 2]++;
    }
    for (size_t v = 0; v < n; v++)
        g->out_start[v + 2] += g->out_start[v + 1];
    for (size_t i = 0; i < m; i++)
        if (g->from[i] >= 0)
            g->out[g->out_start[g->from[i] + 1]++] = i;
    /* repeated links, by their pair of ends (both known) */
    uint64_t *key = malloc((m ? m : 1) * sizeof *key);
    bool *known = malloc((m ? m : 1) * sizeof *known);
    for (size_t i = 0; key && known && i < m; i++) {
        known[i] = g->from[i] >= 0 && g->to[i] >= 0;
        key[i] = known[i] ? (uint64_t)g->from[i] << 32 | (uint64_t)g->to[i] : 0;
    }
    g->same = key && known ? earliest_same(key, known, m) : NULL;
    free(key);
    free(known);
    if (!g->same) {
        wf_release(g);
        return false;
    }
    return true;
}

static void validate_names(const struct wf *g, struct plc_diags *d)
{
    const Placer__Workflow *w = g->w;
    char base[P], p[P];
    for (size_t i = 0; i < w->n_endpoints; i++) {
        plc_path_join(base, P, "endpoints", NULL, i);
        plc_path_join(p, P, base, "name", 0);
        proto_check_name(w->endpoints[i]->name, p, "endpoint", true, d);
        long k = node_index(g, w->endpoints[i]->name);
        if (k >= 0 && (size_t)k < i)
            plc_diags_add(d, p, "\"%s\" is already the name of endpoints[%ld]",
                          w->endpoints[i]->name, k);
        plc_path_join(p, P, base, "node", 0);
        require(w->endpoints[i]->node, p,
                "give the host or switch the endpoint is pinned to", d);
        if (w->endpoints[i]->node)
            proto_check_name(w->endpoints[i]->node, p, "node", true, d);
    }
    for (size_t i = 0; i < w->n_services; i++) {
        plc_path_join(base, P, "services", NULL, i);
        plc_path_join(p, P, base, "name", 0);
        const char *name = w->services[i]->name;
        proto_check_name(name, p, "service", true, d);
        long k = node_index(g, name);
        if (k >= 0 && (size_t)k < w->n_endpoints)
            plc_diags_add(d, p, "\"%s\" is already the name of endpoints[%ld]",
                          name, k);
        else if (k >= 0 && (size_t)k < w->n_endpoints + i)
            plc_diags_add(d, p, "\"%s\" is already the name of services[%ld]",
                          name, k - (long)w->n_endpoints);
    }
}

static void validate_service(const Placer__Service *s, size_t i,
                             struct plc_diags *d)
{
    char base[P], p[P];
    plc_path_join(base, P, "services", NULL, i);
    plc_path_join(p, P, base, "vcpus", 0);
    if (s->has_vcpus && (s->vcpus < 1 || s->vcpus > PLC_VCPUS_MAX))
        plc_diags_add(
            d, p, "must be from 1 to %d (got %d)%s", PLC_VCPUS_MAX, s->vcpus,
            s->vcpus > PLC_VCPUS_MAX ? "; a larger service is several services"
                                     : "");
    if (s->exec_time) {
        plc_path_join(p, P, base, "exec_time", 0);
        validate_exec_time(s->exec_time, p, d);
    }
    if (s->reservation) {
        plc_path_join(p, P, base, "reservation", 0);
        validate_menu(s->reservation, p, d);
    }
    plc_path_join(p, P, base, "host", 0);
    if (s->host)
        proto_check_name(s->host, p, "host", true, d);
    plc_path_join(p, P, base, "hosts", 0);
    bool pin_allowed = s->n_hosts == 0;
    for (size_t k = 0; k < s->n_hosts; k++) {
        char hp[P];
        plc_path_join(hp, P, p, NULL, k);
        proto_check_name(s->hosts[k], hp, "host", true, d);
        if (s->host && !strcmp(s->host, s->hosts[k]))
            pin_allowed = true;
    }
    if (s->host && !pin_allowed) {
        plc_path_join(p, P, base, "host", 0);
        plc_diags_add(d, p,
                      "\"%s\" is not among the allowed \"hosts\"; pin a host "
                      "of that list or drop one of the two",
                      s->host);
    }
    plc_path_join(p, P, base, "zone", 0);
    if (s->zone && !proto_name_valid(s->zone))
        plc_diags_add(d, p, "\"%s\" is not a valid zone name", s->zone);
    plc_path_join(base, P, base, "prices", 0);
    for (size_t k = 0; k < s->n_prices; k++) {
        plc_path_join(p, P, base, s->prices[k]->key, 0);
        proto_check_name(s->prices[k]->key, p, "host", true, d);
        double v = s->prices[k]->value;
        if (!(v >= 0 && isfinite(v)))
            plc_diags_add(d, p, "price must be at least 0 (got %g)", v);
    }
}

static void validate_link(const struct wf *g, size_t i, struct plc_diags *d)
{
    const Placer__Workflow *w = g->w;
    const Placer__VirtualLink *l = w->links[i];
    char base[P], p[P];
    plc_path_join(base, P, "links", NULL, i);
    const char *ends[2] = {l->from, l->to};
    const char *keys[2] = {"from", "to"};
    for (int e = 0; e < 2; e++) {
        plc_path_join(p, P, base, keys[e], 0);
        require(ends[e], p,
                "a link goes \"from\" one service or endpoint "
                "\"to\" another",
                d);
        if (ends[e] && (e == 0 ? g->from[i] : g->to[i]) < 0)
            plc_diags_add(d, p,
                          "\"%s\" is not a service or endpoint of this "
                          "workflow",
                          ends[e]);
    }
    if (l->from && l->to && !strcmp(l->from, l->to)) {
        plc_path_join(p, P, base, "to", 0);
        plc_diags_add(d, p,
                      "\"%s\" is also \"from\"; a link joins two "
                      "different services",
                      l->to);
    }
    if (g->same[i] != i)
        plc_diags_add(d, base,
                      "repeats links[%zu] (%s -> %s); merge their rates",
                      g->same[i], l->from, l->to);
    plc_path_join(p, P, base, "burst", 0);
    if (l->burst && l->burst->bytes == 0)
        plc_diags_add(d, p, "must be above 0B");
    plc_path_join(p, P, base, "crossings", 0);
    if (l->has_crossings && (l->crossings < 1 || l->crossings > 1000))
        plc_diags_add(d, p, "must be from 1 to 1000 (got %d)", l->crossings);
    plc_path_join(p, P, base, "message", 0);
    if (l->message && l->message->bytes > 0 && (!l->rate || !l->rate->bps))
        plc_diags_add(d, p,
                      "needs a \"rate\" on the link (a message takes "
                      "message/rate to send)");
    plc_path_join(p, P, base, "max_latency", 0);
    check_positive_time(l->max_latency, p, d);
}

static const char *node_name(const Placer__Workflow *w, long k)
{
    return (size_t)k < w->n_endpoints
               ? w->endpoints[k]->name
               : w->services[(size_t)k - w->n_endpoints]->name;
}

/* The cycle u -> ... -> v -> u, found as back edge `link` from v to u;
 * via[x] is the link by which the search reached x. */
static void report_cycle(const struct wf *g, long u, long v, const long *via,
                         size_t link, struct plc_diags *d)
{
    const Placer__Workflow *w = g->w;
    struct plc_buf chain = PLC_BUF_INIT;
    size_t n = w->n_endpoints + w->n_services;
    long *stack = malloc(n * sizeof *stack);
    size_t count = 0;
    for (long x = v; stack && x != u && count < n; x = g->from[via[x]])
        stack[count++] = x;
    /* the cycle is u, stack[count-1], ..., stack[0]; long ones are shown
     * by their first and last three nodes */
    plc_buf_puts(&chain, node_name(w, u));
    for (size_t k = count; stack && k > 0; k--) {
        size_t pos = count - k + 1; /* position in the cycle, u is 0 */
        if (count > 6 && pos == 3)
            plc_buf_printf(&chain, " -> ... (%zu more)", count - 5);
        if (count > 6 && pos >= 3 && pos <= count - 3)
            continue;
        plc_buf_printf(&chain, " -> %s", node_name(w, stack[k - 1]));
    }
    plc_buf_printf(&chain, " -> %s", node_name(w, u));
    char p[P];
    plc_path_join(p, P, "links", NULL, link);
    plc_diags_add(d, p,
                  "closes the cycle %s; the links of a workflow must form a "
                  "directed acyclic graph",
                  plc_buf_str(&chain));
    free(stack);
    plc_buf_release(&chain);
}

/* Depth-first search for a cycle along links from -> to (FORMATS.md: a
 * cycle is an input error).  Reports the link that closes the cycle. */
static bool dfs_cycle(const struct wf *g, long v, char *color, long *via,
                      struct plc_diags *d)
{
    color[v] = 1;
    for (size_t k = g->out_start[v]; k < g->out_start[v + 1]; k++) {
        size_t i = g->out[k];
        long u = g->to[i];
        if (u < 0 || u == v)
            continue;
        if (color[u] == 1) {
            report_cycle(g, u, v, via, i, d);
            return true;
        }
        if (color[u] == 0) {
            via[u] = (long)i;
            if (dfs_cycle(g, u, color, via, d))
                return true;
        }
    }
    color[v] = 2;
    return false;
}

static void validate_acyclic(const struct wf *g, struct plc_diags *d)
{
    size_t n = g->w->n_endpoints + g->w->n_services;
    char *color = calloc(n ? n : 1, 1);
    long *via = calloc(n ? n : 1, sizeof *via);
    if (!color || !via) {
        d->oom = true;
    } else {
        for (size_t v = 0; v < n; v++)
            if (color[v] == 0 && dfs_cycle(g, (long)v, color, via, d))
                break;
    }
    free(color);
    free(via);
}

static long service_index(const struct wf *g, const char *name)
{
    long k = node_index(g, name);
    return k >= (long)g->w->n_endpoints ? k - (long)g->w->n_endpoints : -1;
}

static long uf_find(long *parent, long x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static void validate_groups(const struct wf *g, const char *key,
                            Placer__NameGroup *const *grp, size_t n,
                            long *parent, bool join, struct plc_diags *d)
{
    char base[P], p[P];
    for (size_t i = 0; i < n; i++) {
        plc_path_join(base, P, key, NULL, i);
        size_t m = grp[i]->n_items;
        if (m < 2)
            plc_diags_add(d, base, "a group needs at least two services");
        uint64_t *svc = malloc((m ? m : 1) * sizeof *svc);
        uint64_t *root = malloc((m ? m : 1) * sizeof *root);
        bool *ok = malloc((m ? m : 1) * sizeof *ok);
        if (!svc || !root || !ok) {
            free(svc);
            free(root);
            free(ok);
            d->oom = true;
            return;
        }
        long first = -1;
        for (size_t k = 0; k < m; k++) {
            plc_path_join(p, P, base, NULL, k);
            long s = service_index(g, grp[i]->items[k]);
            ok[k] = s >= 0;
            svc[k] = s >= 0 ? (uint64_t)s : 0;
            if (s < 0) {
                plc_diags_add(d, p,
                              "\"%s\" is not a service of this "
                              "workflow",
                              grp[i]->items[k]);
                continue;
            }
            if (join && first >= 0)
                parent[uf_find(parent, s)] = uf_find(parent, first);
            if (first < 0)
                first = s;
        }
        /* a name twice, and (anti-affinity) two members that affinity
         * joins: each found against the earliest such member */
        size_t *twice = earliest_same(svc, ok, m), *joined = NULL;
        if (!join) {
            for (size_t k = 0; k < m; k++)
                root[k] = ok[k] ? (uint64_t)uf_find(parent, (long)svc[k]) : 0;
            joined = earliest_same(root, ok, m);
        }
        if (!twice || (!join && !joined))
            d->oom = true;
        for (size_t k = 0; twice && k < m; k++) {
            plc_path_join(p, P, base, NULL, k);
            if (twice[k] != k)
                plc_diags_add(d, p, "\"%s\" appears twice in the group",
                              grp[i]->items[k]);
            size_t j = joined ? joined[k] : k;
            if (j != k && svc[j] != svc[k])
                plc_diags_add(d, p,
                              "\"%s\" and \"%s\" must share a host "
                              "by \"affinity\" and be apart by "
                              "\"anti_affinity\"",
                              grp[i]->items[j], grp[i]->items[k]);
        }
        free(twice);
        free(joined);
        free(svc);
        free(root);
        free(ok);
    }
}

/* arrival: "closed", {"period": T} or {"min_interarrival": T}, T > 0. */
static void validate_arrival(const Placer__Arrival *a, struct plc_diags *d)
{
    if (!a)
        return;
    if (a->arrival_case == PLACER__ARRIVAL__ARRIVAL_MODEL) {
        if (strcmp(a->model, "closed") != 0)
            plc_diags_add(d, "arrival",
                          "\"%s\" is not an arrival model (write \"closed\", "
                          "{\"period\": \"50ms\"} or {\"min_interarrival\": "
                          "\"50ms\"})",
                          a->model);
        return;
    }
    const Placer__ArrivalRate *r = a->rate;
    if (!r || (!r->period == !r->min_interarrival)) {
        plc_diags_add(d, "arrival",
                      "give exactly one of \"period\" (periodic) and "
                      "\"min_interarrival\" (sporadic)");
        return;
    }
    check_positive_time(r->period, "arrival.period", d);
    check_positive_time(r->min_interarrival, "arrival.min_interarrival", d);
}

void proto_workflow_validate(const Placer__Workflow *w, struct plc_diags *d)
{
    proto_check_quantities(&w->base, d);
    proto_check_name(w->name, "name", "workflow", true, d);
    proto_check_name(w->tenant, "tenant", "tenant", false, d);
    check_positive_time(w->deadline, "deadline", d);
    if (w->has_probability && !(w->probability > 0 && w->probability <= 1))
        plc_diags_add(d, "probability", "must be in (0, 1] (got %g)",
                      w->probability);
    if (w->n_services == 0 && !proto_diags_has(d, "services"))
        plc_diags_add(d, "services", "a workflow needs at least one service");
    validate_arrival(w->arrival, d);
    struct wf g;
    long *parent = malloc((w->n_services ? w->n_services : 1) * sizeof *parent);
    if (!parent || !wf_build(&g, w)) {
        free(parent);
        d->oom = true;
        return;
    }
    validate_names(&g, d);
    for (size_t i = 0; i < w->n_services; i++)
        validate_service(w->services[i], i, d);
    for (size_t i = 0; i < w->n_links; i++)
        validate_link(&g, i, d);
    validate_acyclic(&g, d);
    for (size_t i = 0; i < w->n_services; i++)
        parent[i] = (long)i;
    validate_groups(&g, "affinity", w->affinity, w->n_affinity, parent, true,
                    d);
    validate_groups(&g, "anti_affinity", w->anti_affinity, w->n_anti_affinity,
                    parent, false, d);
    free(parent);
    wf_release(&g);
}

void proto_analyze_validate(const Placer__AnalyzeInput *a, struct plc_diags *d)
{
    proto_check_quantities(&a->base, d);
    if (a->n_tasks == 0 && !proto_diags_has(d, "tasks"))
        plc_diags_add(d, "tasks", "give at least one task");
    validate_tasks(a->tasks, a->n_tasks, "tasks", d);
    validate_periods(a->periods, a->n_periods, "periods", d);
    for (size_t i = 0; i < a->n_periods; i++) {
        char p[P], t[PLC_QTY_BUFSZ];
        plc_path_join(p, P, "periods", NULL, i);
        if (a->periods[i]->ns % 1000) {
            fmt_time(a->periods[i]->ns, t);
            plc_diags_add(d, p,
                          "%s is not a whole number of microseconds "
                          "(interfaces are computed in microseconds)",
                          t);
        }
    }
}

/* ---- references into a cluster ----------------------------------------- */

/* The cluster's hosts, then its switches, and its zones, indexed by name
 * so each reference is found in O(log n) when the workflow makes many;
 * with few (a user's endpoint and a pin, as most submissions to placerd
 * on a thousand hosts), each is a scan: sorting the names cost more than
 * the whole plan of a 1-service workflow. */
struct refs {
    const Placer__Cluster *c;
    bool indexed;
    struct plc_name_index nodes, zones;
};

static bool refs_build(struct refs *r, const Placer__Cluster *c, size_t refs)
{
    size_t n = c->n_hosts + c->n_switches;
    r->c = c;
    /* a scan per reference costs refs x n; the index n log n (and the
     * look-ups) */
    size_t log_n = 1;
    while ((size_t)1 << log_n < n)
        log_n++;
    r->indexed = refs > 2 * log_n;
    if (!r->indexed)
        return true;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    const char **zones = malloc((c->n_hosts ? c->n_hosts : 1) * sizeof *zones);
    bool ok = names && zones;
    for (size_t i = 0; ok && i < n; i++)
        names[i] = i < c->n_hosts ? c->hosts[i]->name
                                  : c->switches[i - c->n_hosts]->name;
    for (size_t i = 0; ok && i < c->n_hosts; i++)
        zones[i] = c->hosts[i]->zone;
    ok = ok && plc_name_index_build(&r->nodes, names, n);
    ok = ok && plc_name_index_build(&r->zones, zones, c->n_hosts);
    free(names);
    free(zones);
    return ok;
}

/* The node named n: its index (hosts first, then switches), or -1. */
static long find_node(const struct refs *r, const char *n)
{
    if (r->indexed)
        return plc_name_index_find(&r->nodes, n);
    for (size_t i = 0; i < r->c->n_hosts; i++)
        if (r->c->hosts[i]->name && !strcmp(r->c->hosts[i]->name, n))
            return (long)i;
    for (size_t i = 0; i < r->c->n_switches; i++)
        if (r->c->switches[i]->name && !strcmp(r->c->switches[i]->name, n))
            return (long)(r->c->n_hosts + i);
    return -1;
}

static bool has_zone(const struct refs *r, const char *z)
{
    if (r->indexed)
        return plc_name_index_find(&r->zones, z) >= 0;
    for (size_t i = 0; i < r->c->n_hosts; i++)
        if (r->c->hosts[i]->zone && !strcmp(r->c->hosts[i]->zone, z))
            return true;
    return false;
}

static bool is_host(const struct refs *r, const char *n)
{
    long k = find_node(r, n);
    return k >= 0 && (size_t)k < r->c->n_hosts;
}

static bool is_node(const struct refs *r, const char *n)
{
    return find_node(r, n) >= 0;
}

static void check_host_ref(const struct refs *r, const char *name,
                           const char *path, struct plc_diags *d)
{
    if (name && !is_host(r, name))
        plc_diags_add(d, path, "\"%s\" is not a host of the cluster%s", name,
                      is_node(r, name) ? " (it is a switch)" : "");
}

void proto_workflow_validate_refs(const Placer__Workflow *w,
                                  const Placer__Cluster *c, struct plc_diags *d)
{
    char base[P], p[P], q[P];
    struct refs r = {0};
    size_t refs = w->n_endpoints;
    for (size_t i = 0; i < w->n_services; i++)
        refs += 2 + w->services[i]->n_hosts + w->services[i]->n_prices;
    if (!refs_build(&r, c, refs)) {
        d->oom = true;
        goto out;
    }
    for (size_t i = 0; i < w->n_endpoints; i++) {
        const char *node = w->endpoints[i]->node;
        plc_path_join(base, P, "endpoints", NULL, i);
        plc_path_join(p, P, base, "node", 0);
        if (node && !is_node(&r, node))
            plc_diags_add(d, p,
                          "\"%s\" is not a host or switch of the "
                          "cluster",
                          node);
    }
    for (size_t i = 0; i < w->n_services; i++) {
        const Placer__Service *s = w->services[i];
        plc_path_join(base, P, "services", NULL, i);
        plc_path_join(p, P, base, "host", 0);
        check_host_ref(&r, s->host, p, d);
        plc_path_join(p, P, base, "hosts", 0);
        for (size_t k = 0; k < s->n_hosts; k++) {
            plc_path_join(q, P, p, NULL, k);
            check_host_ref(&r, s->hosts[k], q, d);
        }
        plc_path_join(p, P, base, "prices", 0);
        for (size_t k = 0; k < s->n_prices; k++) {
            plc_path_join(q, P, p, s->prices[k]->key, 0);
            check_host_ref(&r, s->prices[k]->key, q, d);
        }
        plc_path_join(p, P, base, "zone", 0);
        if (s->zone && !has_zone(&r, s->zone))
            plc_diags_add(d, p,
                          "no host of the cluster is in zone "
                          "\"%s\"",
                          s->zone);
    }
out:
    plc_name_index_release(&r.nodes);
    plc_name_index_release(&r.zones);
}
