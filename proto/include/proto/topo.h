/*
 * proto/topo.h: cluster files made by placer itself: generated fat-trees
 * and real topologies imported from GraphML (Internet Topology Zoo) and
 * SNDlib native files.
 */
#ifndef PROTO_TOPO_H
#define PROTO_TOPO_H

#include <stdint.h>

#include "plc/buf.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"

struct proto_topo_opts {
    int cores;                  /* per host; default 1 */
    double core_capacity;       /* per core; 0: not written (means 1.0) */
    uint64_t memory_bytes;      /* per host; 0: not constrained */
    uint64_t rate_bps;          /* links the source gives no rate for */
    uint64_t latency_ns;        /* links without coordinates / fat-tree */
    uint64_t buffer_bytes;      /* per port; 0: no port check */
    int hosts_per_node;         /* import: 0 = each node is a host */
    uint64_t access_rate_bps;   /* import: host-to-node links */
    uint64_t access_latency_ns; /* import: host-to-node links */
};

/* Defaults: 1 core, 10Gbit, 1ms (imports) or 1us (fat-tree), no buffer,
 * access links 10Gbit and 1us. */
void proto_topo_opts_init(struct proto_topo_opts *o);

/*
 * A k-ary fat-tree (Al-Fares et al., SIGCOMM 2008): k pods of k/2 edge and
 * k/2 aggregation switches, (k/2)^2 core switches, k^3/4 hosts; links
 * host-edge, edge-aggregation (full bipartite in a pod), aggregation-core.
 * k must be even, from 2 to 64.  Caller owns *out (free with
 * placer__cluster__free_unpacked(*out, NULL)).
 */
int proto_topo_fat_tree(int k, const struct proto_topo_opts *o,
                        Placer__Cluster **out, struct plc_error *err);

/*
 * Import a topology.  Each node becomes a host or, with hosts_per_node N, a
 * switch with N hosts "NODE-1".."NODE-N" attached.  Link latency is the
 * great-circle distance at 5 us per km where both ends have coordinates,
 * else o->latency_ns; the rate is the file's (GraphML LinkSpeedRaw, SNDlib
 * pre-installed capacity in Mbit/s) or o->rate_bps.  Names are made valid
 * (other characters become '_', duplicates get "-2", "-3").  What was
 * substituted is reported in `notes`, one line each.  Node and link counts
 * equal the source file's.
 */
int proto_topo_import_graphml(const char *text, size_t len,
                              const struct proto_topo_opts *o,
                              Placer__Cluster **out, struct plc_buf *notes,
                              struct plc_error *err);
int proto_topo_import_sndlib(const char *text, size_t len,
                             const struct proto_topo_opts *o,
                             Placer__Cluster **out, struct plc_buf *notes,
                             struct plc_error *err);

/* Great-circle distance in km between two (latitude, longitude) points in
 * degrees (haversine, mean Earth radius 6371 km). */
double proto_topo_distance_km(double lat1, double lon1, double lat2,
                              double lon2);

#endif
