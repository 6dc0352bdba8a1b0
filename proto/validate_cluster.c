/*
 * validate_cluster.c: the cluster file rules of FORMATS.md, and the helpers
 * shared by every validator.
 */
#include "proto/validate.h"
#include "plc/quantity.h"
#include "plc/names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P 512 /* path buffer */

bool proto_name_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= 63;
}

bool proto_diags_has(const struct plc_diags *d, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < d->n; i++)
        if (strncmp(d->v[i].path, path, n) == 0 &&
            (d->v[i].path[n] == '\0' || d->v[i].path[n] == '.' ||
             d->v[i].path[n] == '['))
            return true;
    return false;
}

void proto_check_name(const char *name, const char *path, const char *what,
                      bool required, struct plc_diags *d)
{
    if (!name) {
        if (required && !proto_diags_has(d, path))
            plc_diags_add(d, path, "missing; every %s needs a name", what);
        return;
    }
    if (!proto_name_valid(name))
        plc_diags_add(d, path,
                      "\"%s\" is not a valid name (use 1 to 63 of the "
                      "characters A-Z a-z 0-9 . _ -)",
                      name);
}

static void qty(enum plc_qty_kind k, uint64_t v, char *buf)
{
    plc_qty_format(k, v, buf, PLC_QTY_BUFSZ);
}

/* hosts and switches share one namespace: report a second use of a name.
 * `order` is the node's position (hosts, then switches). */
static void check_unique_node(const Placer__Cluster *c,
                              const struct plc_name_index *ix, size_t order,
                              const char *name, const char *path,
                              struct plc_diags *d)
{
    long first = plc_name_index_find(ix, name);
    if (first < 0 || (size_t)first >= order)
        return;
    if ((size_t)first < c->n_hosts)
        plc_diags_add(d, path, "\"%s\" is already the name of hosts[%ld]", name,
                      first);
    else
        plc_diags_add(d, path, "\"%s\" is already the name of switches[%ld]",
                      name, first - (long)c->n_hosts);
}

static void check_fraction(bool has, double v, const char *path,
                           struct plc_diags *d)
{
    if (has && !(v > 0 && v <= 1))
        plc_diags_add(d, path, "must be in (0, 1] (got %g)", v);
}

static void validate_host(const Placer__Cluster *c,
                          const struct plc_name_index *ix, size_t i,
                          struct plc_diags *d)
{
    const Placer__Host *h = c->hosts[i];
    char base[P], p[P];
    plc_path_join(base, P, "hosts", NULL, i);
    plc_path_join(p, P, base, "name", 0);
    proto_check_name(h->name, p, "host", true, d);
    check_unique_node(c, ix, i, h->name, p, d);
    plc_path_join(p, P, base, "cores", 0);
    if (h->has_cores && (h->cores < 1 || h->cores > 65536))
        plc_diags_add(d, p, "must be from 1 to 65536 (got %d)", h->cores);
    plc_path_join(p, P, base, "core_capacity", 0);
    check_fraction(h->has_core_capacity, h->core_capacity, p, d);
    plc_path_join(p, P, base, "speed", 0);
    if (h->has_speed && !(h->speed > 0 && isfinite(h->speed)))
        plc_diags_add(d, p, "must be above 0 (got %g)", h->speed);
    plc_path_join(p, P, base, "cost", 0);
    if (h->has_cost && !(h->cost >= 0 && isfinite(h->cost)))
        plc_diags_add(d, p, "must be at least 0 (got %g)", h->cost);
    plc_path_join(p, P, base, "zone", 0);
    if (h->zone && !proto_name_valid(h->zone))
        plc_diags_add(d, p,
                      "\"%s\" is not a valid zone name (use 1 to 63 of the "
                      "characters A-Z a-z 0-9 . _ -)",
                      h->zone);
    for (size_t k = 0; k < h->n_labels; k++) {
        char lp[P], kp[P];
        plc_path_join(lp, P, base, "labels", 0);
        plc_path_join(kp, P, lp, h->labels[k]->key, 0);
        if (!proto_name_valid(h->labels[k]->key))
            plc_diags_add(d, kp,
                          "\"%s\" is not a valid label key (use 1 to 63 of "
                          "the characters A-Z a-z 0-9 . _ -)",
                          h->labels[k]->key);
    }
    if (h->platform) {
        /* every term is a bound the analysis adds; a second is beyond any
         * host that can keep a millisecond deadline */
        const Placer__Time *t[] = {h->platform->overhead,
                                   h->platform->granularity,
                                   h->platform->wakeup_latency};
        const char *name[] = {"overhead", "granularity", "wakeup_latency"};
        if (h->platform->has_exceed_probability &&
            !(h->platform->exceed_probability >= 0 &&
              h->platform->exceed_probability < 1)) {
            char pp[P], fp[P];
            plc_path_join(pp, P, base, "platform", 0);
            plc_path_join(fp, P, pp, "exceed_probability", 0);
            plc_diags_add(d, fp, "must be from 0 to below 1 (got %g)",
                          h->platform->exceed_probability);
        }
        const Placer__Platform *x = h->platform;
        const char *qn[] = {"overhead_quantiles", "wakeup_quantiles"};
        size_t qc[] = {x->n_overhead_quantiles, x->n_wakeup_quantiles};
        Placer__Time *const *qv[] = {x->overhead_quantiles,
                                     x->wakeup_quantiles};
        for (size_t k = 0; k < 2; k++) {
            char pp[P], fp[P];
            plc_path_join(pp, P, base, "platform", 0);
            plc_path_join(fp, P, pp, qn[k], 0);
            if (qc[k] && qc[k] != 5)
                plc_diags_add(d, fp,
                              "has %zu entries; give five: p50, p90, p99, "
                              "p99.9 and the largest seen",
                              qc[k]);
            for (size_t j = 1; qc[k] == 5 && j < 5; j++)
                if (qv[k][j]->ns < qv[k][j - 1]->ns) {
                    plc_diags_add(d, fp,
                                  "must not decrease (entry %zu is below "
                                  "entry %zu)",
                                  j, j - 1);
                    break;
                }
        }
        for (size_t k = 0; k < x->n_steal; k++) {
            char pp[P], sp[P], ip[P], fp[P];
            plc_path_join(pp, P, base, "platform", 0);
            plc_path_join(sp, P, pp, "steal", 0);
            plc_path_join(ip, P, sp, NULL, k);
            const Placer__StealPoint *y = x->steal[k];
            if (!y->window || y->window->ns == 0) {
                plc_path_join(fp, P, ip, "window", 0);
                plc_diags_add(d, fp,
                              "missing or zero; each point gives a window "
                              "length and the most stolen in it (e.g. "
                              "{\"window\": \"100ms\", \"stolen\": "
                              "\"20ms\"})");
            } else if (!y->stolen) {
                plc_path_join(fp, P, ip, "stolen", 0);
                plc_diags_add(d, fp,
                              "missing; give the most time the host "
                              "took in any window of that length");
            } else if (y->stolen->ns > y->window->ns) {
                plc_path_join(fp, P, ip, "stolen", 0);
                plc_diags_add(d, fp, "must be at most its window");
            } else if (k > 0 && x->steal[k - 1]->window &&
                       x->steal[k - 1]->window->ns >= y->window->ns) {
                plc_path_join(fp, P, ip, "window", 0);
                plc_diags_add(d, fp,
                              "must be longer than the previous point's "
                              "(give the points by window, shortest first)");
            }
        }
        if (x->supply_delay && x->supply_delay->ns > 1000000000ULL) {
            char pp[P], fp[P];
            plc_path_join(pp, P, base, "platform", 0);
            plc_path_join(fp, P, pp, "supply_delay", 0);
            plc_diags_add(d, fp, "must be at most 1s");
        }
        for (size_t k = 0; k < 3; k++) {
            char pp[P], fp[P];
            plc_path_join(pp, P, base, "platform", 0);
            plc_path_join(fp, P, pp, name[k], 0);
            if (!t[k])
                plc_diags_add(d, fp,
                              "missing; a platform block states all three "
                              "terms (e.g. \"overhead\": \"100us\", "
                              "\"granularity\": \"4ms\", "
                              "\"wakeup_latency\": \"1ms\")");
            else if (t[k]->ns > 1000000000ULL)
                plc_diags_add(d, fp, "must be at most 1s");
        }
    }
    int cores = h->has_cores ? h->cores : 1;
    double cap = h->has_core_capacity ? h->core_capacity : 1.0;
    plc_path_join(p, P, base, "used", 0);
    if (h->n_used && h->n_used != (size_t)cores)
        plc_diags_add(d, p,
                      "has %zu entries but the host has %d core%s (give one "
                      "utilisation per core)",
                      h->n_used, cores, cores == 1 ? "" : "s");
    for (size_t k = 0; k < h->n_used; k++) {
        char up[P];
        plc_path_join(up, P, p, NULL, k);
        if (!(h->used[k] >= 0 && h->used[k] <= cap + 1e-9))
            plc_diags_add(d, up, "%g is outside 0 to the core capacity %g",
                          h->used[k], cap);
    }
    plc_path_join(p, P, base, "memory_used", 0);
    if (h->memory_used && !h->memory)
        plc_diags_add(d, p,
                      "needs \"memory\" on the same host (memory_used is "
                      "part of it)");
    else if (h->memory_used && h->memory_used->bytes > h->memory->bytes) {
        char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
        qty(PLC_QTY_SIZE, h->memory_used->bytes, a);
        qty(PLC_QTY_SIZE, h->memory->bytes, b);
        plc_diags_add(d, p, "%s is above the host's memory %s", a, b);
    }
}

static void validate_link(const Placer__Cluster *c,
                          const struct plc_name_index *ix, size_t i,
                          struct plc_diags *d)
{
    const Placer__Link *l = c->links[i];
    char base[P], p[P];
    plc_path_join(base, P, "links", NULL, i);
    const char *ends[2] = {l->a, l->b};
    const char *keys[2] = {"a", "b"};
    for (int e = 0; e < 2; e++) {
        plc_path_join(p, P, base, keys[e], 0);
        if (!ends[e]) {
            if (!proto_diags_has(d, p))
                plc_diags_add(d, p,
                              "missing; a link joins two nodes \"a\" and "
                              "\"b\"");
        } else if (plc_name_index_find(ix, ends[e]) < 0) {
            plc_diags_add(d, p,
                          "\"%s\" is not a host or switch of this "
                          "cluster",
                          ends[e]);
        }
    }
    if (l->a && l->b && !strcmp(l->a, l->b)) {
        plc_path_join(p, P, base, "b", 0);
        plc_diags_add(d, p,
                      "\"%s\" is also \"a\"; a link joins two different "
                      "nodes",
                      l->b);
    }
    plc_path_join(p, P, base, "rate", 0);
    if (!l->rate) {
        if (!proto_diags_has(d, p))
            plc_diags_add(d, p,
                          "missing; give the rate of each direction, e.g. "
                          "\"10Gbit\"");
    } else if (l->rate->bps == 0) {
        plc_diags_add(d, p, "must be above 0bit");
    }
    plc_path_join(p, P, base, "buffer", 0);
    if (l->buffer && l->buffer->bytes == 0)
        plc_diags_add(d, p,
                      "must be above 0B (leave it out for no port "
                      "check)");
    plc_path_join(p, P, base, "cost", 0);
    if (l->has_cost && !(l->cost >= 0 && isfinite(l->cost)))
        plc_diags_add(d, p, "must be at least 0 (got %g)", l->cost);
    plc_path_join(p, P, base, "used_rate", 0);
    if (l->used_rate && l->rate && l->used_rate->bps > l->rate->bps) {
        char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
        qty(PLC_QTY_RATE, l->used_rate->bps, a);
        qty(PLC_QTY_RATE, l->rate->bps, b);
        plc_diags_add(d, p, "%s is above the link rate %s", a, b);
    }
}

void proto_cluster_validate(const Placer__Cluster *c, struct plc_diags *d)
{
    proto_check_quantities(&c->base, d);
    size_t n = c->n_hosts + c->n_switches;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    struct plc_name_index ix = {0};
    if (!names) {
        d->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        names[i] = i < c->n_hosts ? c->hosts[i]->name
                                  : c->switches[i - c->n_hosts]->name;
    if (!plc_name_index_build(&ix, names, n)) {
        free(names);
        d->oom = true;
        return;
    }
    if (c->n_hosts == 0 && !proto_diags_has(d, "hosts"))
        plc_diags_add(d, "hosts", "a cluster needs at least one host");
    for (size_t i = 0; i < c->n_hosts; i++)
        validate_host(c, &ix, i, d);
    for (size_t i = 0; i < c->n_switches; i++) {
        char base[P], p[P];
        plc_path_join(base, P, "switches", NULL, i);
        plc_path_join(p, P, base, "name", 0);
        proto_check_name(c->switches[i]->name, p, "switch", true, d);
        check_unique_node(c, &ix, c->n_hosts + i, c->switches[i]->name, p, d);
    }
    for (size_t i = 0; i < c->n_links; i++)
        validate_link(c, &ix, i, d);
    plc_name_index_release(&ix);
    free(names);
}
