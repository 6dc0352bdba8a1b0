/*
 * variant.c: a scenario's what-if clusters (sim.h, sim_variant_cluster):
 * hosts added like one of the cluster's, hosts removed, link rates scaled.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A deep copy of any message, through its wire form. */
static ProtobufCMessage *copy_msg(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *c =
        protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    return c;
}

static bool grow(void ***v, size_t n, size_t more)
{
    void **x = realloc(*v, (n + more + 1) * sizeof **v);
    if (!x)
        return false;
    *v = x;
    return true;
}

static const Placer__Host *find(const Placer__Cluster *c, const char *name)
{
    for (size_t h = 0; h < c->n_hosts; h++)
        if (!strcmp(c->hosts[h]->name, name))
            return c->hosts[h];
    return NULL;
}

static bool node_named(const Placer__Cluster *c, const char *name)
{
    if (find(c, name))
        return true;
    for (size_t s = 0; s < c->n_switches; s++)
        if (!strcmp(c->switches[s]->name, name))
            return true;
    return false;
}

static int add_hosts(Placer__Cluster *c, const Placer__AddHosts *a,
                     struct plc_error *err)
{
    const Placer__Host *like = find(c, a->like);
    if (!like)
        return plc_error_set(err, PLC_EDATA, "host '%s' is not in the cluster",
                             a->like);
    /* the links of the model host, copied before any is added */
    size_t n_like = 0;
    for (size_t l = 0; l < c->n_links; l++)
        n_like += !strcmp(c->links[l]->a, like->name) ||
                  !strcmp(c->links[l]->b, like->name);
    if (!grow((void ***)&c->hosts, c->n_hosts, a->count) ||
        !grow((void ***)&c->links, c->n_links, (size_t)a->count * n_like))
        return PLC_ENOMEM;
    size_t links0 = c->n_links;
    char *model = strdup(like->name);
    if (!model)
        return PLC_ENOMEM;
    unsigned k = 0;
    for (uint32_t i = 0; i < a->count; i++) {
        char name[80];
        do
            snprintf(name, sizeof name, "%s-%u", model, ++k);
        while (node_named(c, name));
        if (strlen(name) > 63) {
            free(model);
            return plc_error_set(err, PLC_EDATA,
                                 "the name of a host added like '%s' would be "
                                 "longer than 63 characters",
                                 a->like);
        }
        Placer__Host *h = (Placer__Host *)copy_msg(&find(c, model)->base);
        char *nm = strdup(name);
        if (!h || !nm) {
            free(nm);
            if (h)
                placer__host__free_unpacked(h, NULL);
            free(model);
            return PLC_ENOMEM;
        }
        free(h->name);
        h->name = nm;
        c->hosts[c->n_hosts++] = h;
        for (size_t l = 0; l < links0; l++) {
            Placer__Link *x = c->links[l];
            bool at_a = !strcmp(x->a, model), at_b = !strcmp(x->b, model);
            if (!at_a && !at_b)
                continue;
            Placer__Link *y = (Placer__Link *)copy_msg(&x->base);
            char *end = strdup(name);
            if (!y || !end) {
                free(end);
                if (y)
                    placer__link__free_unpacked(y, NULL);
                free(model);
                return PLC_ENOMEM;
            }
            char **slot = at_a ? &y->a : &y->b;
            free(*slot);
            *slot = end;
            c->links[c->n_links++] = y;
        }
    }
    free(model);
    return 0;
}

static void remove_host(Placer__Cluster *c, const char *name)
{
    size_t keep = 0;
    for (size_t l = 0; l < c->n_links; l++) {
        Placer__Link *x = c->links[l];
        if (!strcmp(x->a, name) || !strcmp(x->b, name))
            placer__link__free_unpacked(x, NULL);
        else
            c->links[keep++] = x;
    }
    c->n_links = keep;
    keep = 0;
    for (size_t h = 0; h < c->n_hosts; h++) {
        Placer__Host *x = c->hosts[h];
        if (!strcmp(x->name, name))
            placer__host__free_unpacked(x, NULL);
        else
            c->hosts[keep++] = x;
    }
    c->n_hosts = keep;
}

Placer__Cluster *sim_variant_cluster(const Placer__Cluster *base,
                                     const Placer__Variant *v,
                                     struct plc_error *err)
{
    Placer__Cluster *c = (Placer__Cluster *)copy_msg(&base->base);
    if (!c || !v) {
        if (!c)
            plc_error_set(err, PLC_ENOMEM, "out of memory");
        return c;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < v->n_add_hosts; i++)
        rc = add_hosts(c, v->add_hosts[i], err);
    for (size_t i = 0; rc == 0 && i < v->n_remove_hosts; i++)
        remove_host(c, v->remove_hosts[i]);
    if (rc == 0 && c->n_hosts == 0)
        rc = plc_error_set(err, PLC_EDATA,
                           "variant '%s' removes every host of the cluster",
                           v->name);
    for (size_t l = 0; rc == 0 && v->has_link_scale && l < c->n_links; l++) {
        Placer__Rate *r = c->links[l]->rate;
        if (r && r->has_bps) {
            double x = floor((double)r->bps * v->link_scale);
            r->bps = x < 1 ? 1 : x > 9.2e18 ? (uint64_t)9.2e18 : (uint64_t)x;
        }
    }
    if (rc < 0) {
        if (rc == PLC_ENOMEM)
            plc_error_set(err, PLC_ENOMEM, "out of memory");
        placer__cluster__free_unpacked(c, NULL);
        return NULL;
    }
    return c;
}
