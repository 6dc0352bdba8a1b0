/* cluster_build.h: append hosts, switches and links to a Placer__Cluster
 * built with malloc (freed by placer__cluster__free_unpacked). Private. */
#ifndef PROTO_CLUSTER_BUILD_H
#define PROTO_CLUSTER_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/placer.pb-c.h"

struct cluster_build {
    Placer__Cluster *c;
    size_t cap_hosts, cap_switches, cap_links;
    bool oom;
};

bool cb_init(struct cluster_build *b);
void cb_host(struct cluster_build *b, const char *name, int cores,
             double core_capacity, uint64_t memory_bytes);
void cb_switch(struct cluster_build *b, const char *name);
void cb_link(struct cluster_build *b, const char *a, const char *b_,
             uint64_t rate_bps, uint64_t latency_ns, uint64_t buffer_bytes);
/* The cluster (caller owns it), or NULL after an allocation failure. */
Placer__Cluster *cb_finish(struct cluster_build *b);

#endif
