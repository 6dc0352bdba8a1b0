/* cluster_build.h: append hosts, switches and links to a Placer__Cluster
 * built with malloc (freed by placer__cluster__free_unpacked). Private. */
#ifndef PROTO_CLUSTER_BUILD_H
#define PROTO_CLUSTER_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/placer.pb-c.h"

struct proto__cluster_build {
    Placer__Cluster *c;
    size_t cap_hosts, cap_switches, cap_links;
    bool oom;
};

bool proto__cb_init(struct proto__cluster_build *b);
void proto__cb_host(struct proto__cluster_build *b, const char *name, int cores,
                    double core_capacity, uint64_t memory_bytes);
void proto__cb_switch(struct proto__cluster_build *b, const char *name);
void proto__cb_link(struct proto__cluster_build *b, const char *a,
                    const char *b_, uint64_t rate_bps, uint64_t latency_ns,
                    uint64_t buffer_bytes);
/* The cluster (caller owns it), or NULL after an allocation failure. */
Placer__Cluster *proto__cb_finish(struct proto__cluster_build *b);

#endif
