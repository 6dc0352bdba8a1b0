/* gen.c: a cluster builder and the fat-tree generator. */
#include "proto/topo.h"
#include "cluster_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proto_topo_opts_init(struct proto_topo_opts *o)
{
    memset(o, 0, sizeof *o);
    o->cores = 1;
    o->rate_bps = 10000000000ULL;
    o->latency_ns = 1000000;
    o->access_rate_bps = 10000000000ULL;
    o->access_latency_ns = 1000;
}

bool proto__cb_init(struct proto__cluster_build *b)
{
    memset(b, 0, sizeof *b);
    b->c = malloc(sizeof *b->c);
    if (!b->c)
        return false;
    placer__cluster__init(b->c);
    return true;
}

/* Grow a repeated field's array to hold one more element. */
static bool grow(void **arr, size_t n, size_t *cap)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, nc * sizeof(void *));
    if (!p)
        return false;
    *arr = p;
    *cap = nc;
    return true;
}

static void *msg_alloc(struct proto__cluster_build *b, size_t size)
{
    void *p = b->oom ? NULL : malloc(size);
    if (!p)
        b->oom = true;
    return p;
}

void proto__cb_host(struct proto__cluster_build *b, const char *name, int cores,
                    double core_capacity, uint64_t memory_bytes)
{
    Placer__Host *h = msg_alloc(b, sizeof *h);
    if (!h)
        return;
    placer__host__init(h);
    h->name = strdup(name);
    h->has_cores = 1;
    h->cores = cores;
    if (core_capacity > 0) {
        h->has_core_capacity = 1;
        h->core_capacity = core_capacity;
    }
    if (memory_bytes) {
        h->memory = malloc(sizeof *h->memory);
        if (h->memory) {
            placer__size__init(h->memory);
            h->memory->has_bytes = 1;
            h->memory->bytes = memory_bytes;
        }
    }
    if (!h->name || (memory_bytes && !h->memory) ||
        !grow((void **)&b->c->hosts, b->c->n_hosts, &b->cap_hosts)) {
        placer__host__free_unpacked(h, NULL);
        b->oom = true;
        return;
    }
    b->c->hosts[b->c->n_hosts++] = h;
}

void proto__cb_switch(struct proto__cluster_build *b, const char *name)
{
    Placer__Switch *s = msg_alloc(b, sizeof *s);
    if (!s)
        return;
    placer__switch__init(s);
    s->name = strdup(name);
    if (!s->name ||
        !grow((void **)&b->c->switches, b->c->n_switches, &b->cap_switches)) {
        placer__switch__free_unpacked(s, NULL);
        b->oom = true;
        return;
    }
    b->c->switches[b->c->n_switches++] = s;
}

void proto__cb_link(struct proto__cluster_build *b, const char *a,
                    const char *b_, uint64_t rate_bps, uint64_t latency_ns,
                    uint64_t buffer_bytes)
{
    Placer__Link *l = msg_alloc(b, sizeof *l);
    if (!l)
        return;
    placer__link__init(l);
    l->a = strdup(a);
    l->b = strdup(b_);
    l->rate = malloc(sizeof *l->rate);
    l->latency = malloc(sizeof *l->latency);
    if (l->rate) {
        placer__rate__init(l->rate);
        l->rate->has_bps = 1;
        l->rate->bps = rate_bps;
    }
    if (l->latency) {
        placer__time__init(l->latency);
        l->latency->has_ns = 1;
        l->latency->ns = latency_ns;
    }
    if (buffer_bytes) {
        l->buffer = malloc(sizeof *l->buffer);
        if (l->buffer) {
            placer__size__init(l->buffer);
            l->buffer->has_bytes = 1;
            l->buffer->bytes = buffer_bytes;
        }
    }
    if (!l->a || !l->b || !l->rate || !l->latency ||
        (buffer_bytes && !l->buffer) ||
        !grow((void **)&b->c->links, b->c->n_links, &b->cap_links)) {
        placer__link__free_unpacked(l, NULL);
        b->oom = true;
        return;
    }
    b->c->links[b->c->n_links++] = l;
}

Placer__Cluster *proto__cb_finish(struct proto__cluster_build *b)
{
    if (b->oom) {
        if (b->c)
            placer__cluster__free_unpacked(b->c, NULL);
        b->c = NULL;
    }
    return b->c;
}

int proto_topo_fat_tree(int k, const struct proto_topo_opts *o,
                        Placer__Cluster **out, struct plc_error *err)
{
    *out = NULL;
    if (k < 2 || k > 64 || k % 2)
        return plc_error_set(err, PLC_EUSAGE,
                             "fat-tree arity %d is invalid (k must be even, "
                             "from 2 to 64)",
                             k);
    struct proto__cluster_build b;
    if (!proto__cb_init(&b))
        return plc_error_set(err, PLC_ENOMEM, "cannot build fat-tree (%s)",
                             plc_strerror(PLC_ENOMEM));
    int half = k / 2;
    char n1[64], n2[64];
    /* core switches c<i>-<j>: aggregation switch i of every pod links to
     * the half cores c<i>-0 .. c<i>-(k/2-1) */
    for (int i = 0; i < half; i++)
        for (int j = 0; j < half; j++) {
            snprintf(n1, sizeof n1, "core-%d-%d", i, j);
            proto__cb_switch(&b, n1);
        }
    for (int p = 0; p < k; p++) {
        for (int i = 0; i < half; i++) {
            snprintf(n1, sizeof n1, "agg-%d-%d", p, i);
            proto__cb_switch(&b, n1);
        }
        for (int i = 0; i < half; i++) {
            snprintf(n1, sizeof n1, "edge-%d-%d", p, i);
            proto__cb_switch(&b, n1);
        }
        for (int e = 0; e < half; e++)
            for (int h = 0; h < half; h++) {
                snprintf(n1, sizeof n1, "h-%d-%d-%d", p, e, h);
                proto__cb_host(&b, n1, o->cores, o->core_capacity,
                               o->memory_bytes);
            }
    }
    for (int p = 0; p < k; p++) {
        for (int e = 0; e < half; e++) {
            snprintf(n2, sizeof n2, "edge-%d-%d", p, e);
            for (int h = 0; h < half; h++) {
                snprintf(n1, sizeof n1, "h-%d-%d-%d", p, e, h);
                proto__cb_link(&b, n1, n2, o->rate_bps, o->latency_ns,
                               o->buffer_bytes);
            }
            for (int a = 0; a < half; a++) {
                snprintf(n1, sizeof n1, "agg-%d-%d", p, a);
                proto__cb_link(&b, n2, n1, o->rate_bps, o->latency_ns,
                               o->buffer_bytes);
            }
        }
        for (int a = 0; a < half; a++) {
            snprintf(n1, sizeof n1, "agg-%d-%d", p, a);
            for (int j = 0; j < half; j++) {
                snprintf(n2, sizeof n2, "core-%d-%d", a, j);
                proto__cb_link(&b, n1, n2, o->rate_bps, o->latency_ns,
                               o->buffer_bytes);
            }
        }
    }
    *out = proto__cb_finish(&b);
    if (!*out)
        return plc_error_set(err, PLC_ENOMEM, "cannot build fat-tree (%s)",
                             plc_strerror(PLC_ENOMEM));
    return 0;
}
