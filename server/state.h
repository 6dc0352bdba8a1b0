/* state.h: the server's cluster and reserved totals in memory, and each
 * host's agent.  Internal to the server library. */
#ifndef SRV_STATE_H
#define SRV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "proto/placer.pb-c.h"
#include "store/store.h"

/* placerd logs through plc/log.h */
#include "plc/log.h"
#include "plc/names.h"

/* The cluster and what is reserved on it, in memory (a mirror of the
 * store's reserved totals), by the cluster's own indices. */
struct totals {
    Placer__Cluster *cluster;  /* NULL until a cluster is applied */
    Placer__Cluster *residual; /* a copy of it: srv__totals_residual() */
    struct model_index *index; /* its names, sorted once (model.h) */
    size_t n_hosts, n_nodes, n_links;
    const char **node_names;     /* hosts, then switches */
    struct plc_name_index names; /* node indices by name */
    double *core;                /* host x max_cores: reserved utilisation */
    int max_cores;
    double *mem;             /* per host: reserved bytes */
    double *link;            /* per link x 2 (a->b, b->a): reserved bit/s */
    size_t *link_a, *link_b; /* per link: its nodes */
    /* what changed since the residual was last brought up to date: the
     * hosts and links touched (srv__totals_touch*), or everything */
    bool all_dirty;
    bool *host_dirty, *link_dirty;
    bool *host_changed; /* beyond its load: capacity, platform, state */
    size_t *dirty_hosts, n_dirty_hosts, *dirty_links, n_dirty_links;
    /* per host: its agent (HOST_UNKNOWN until one registers) */
    struct host_agent *agent;
};

enum host_agent_state { HOST_UNKNOWN, HOST_UP, HOST_DOWN };

struct host_agent {
    enum host_agent_state state;
    void *identity; /* the agent's ZeroMQ routing id */
    size_t identity_len;
    double last_seen_ms;
    char summary[256];     /* "placer-agent VERSION (backends; devices)" */
    double capacity;       /* probed deadline capacity per CPU, 0 if none */
    bool synced;           /* the desired set went out since it registered */
    char instance[200];    /* AgentRegister.instance */
    double refused_log_ms; /* a second agent refused: logged then */
    /* the platform terms the agent measured (has_platform false: none;
     * the cluster file's block, if any, holds) */
    bool has_platform;
    uint64_t overhead_ns, granularity_ns, wakeup_ns;
    bool hrtick;
    size_t n_q;    /* 5 when the distributions came with it, else 0 */
    double exceed; /* how often a job exceeds the figures */
    uint64_t overhead_q[5], wakeup_q[5];
    char platform_note[256];
    /* its steal envelope (AgentRegister, then heartbeats as it grows) and
     * the supply delay it implies at capacity supply_for (-1: not yet) */
    size_t n_steal;
    uint64_t steal_window_ns[16], steal_ns[16];
    uint64_t supply_delay_ns;
    double supply_cap, supply_for;
};

/* A host's capacity per core for plans: the agent's probe once it has
 * one, else the cluster file's. */
double srv__totals_host_capacity(const struct totals *t, size_t h);

/* Take an agent's steal envelope; true when it changed. */
bool srv__host_agent_set_steal(struct host_agent *a,
                               Placer__StealPoint *const *pt, size_t n);

/* The supply delay host h's steal envelope implies at its capacity (the
 * cached figure when it was made at that capacity), ns; *usable gets the
 * capacity per core left.  srv__totals_supply_cache() computes and keeps it
 * (after the envelope or the capacity changed). */
uint64_t srv__totals_supply_delay(const struct totals *t, size_t h,
                                  double *usable);
void srv__totals_supply_cache(struct totals *t, size_t h);

/* Replace the cluster (takes ownership of c; NULL to clear) and clear the
 * totals.  0 or PLC_ENOMEM. */
int srv__totals_set_cluster(struct totals *t, Placer__Cluster *c);
void srv__totals_release(struct totals *t);

/* Host h's reservations, agent state, capacity or platform changed (or
 * link l's reservations): the next srv__totals_residual() brings it up to
 * date.  Whatever changes those without saying so here is not seen by
 * plans until srv__totals_load() (which marks everything). */
void srv__totals_touch(struct totals *t, size_t h);
/* The same for a change of host h's agent (state, capacity, platform). */
void srv__totals_touch_agent(struct totals *t, size_t h);
void srv__totals_touch_link(struct totals *t, size_t l);

/* Node index of a name, or SIZE_MAX. */
size_t srv__totals_node(const struct totals *t, const char *name);

/* Link index and direction (0 a->b, 1 b->a) joining two nodes, or
 * SIZE_MAX. */
size_t srv__totals_link(const struct totals *t, size_t from, size_t to,
                        int *dir);

/* Reload the totals from the store's reserved table; rows naming what the
 * cluster lacks are counted in *unknown.  0 or a PLC_E* code. */
int srv__totals_load(struct totals *t, struct store *s, long *unknown,
                     struct plc_error *err);

/* The cluster with the totals added to its background load (used,
 * memory_used; used_rate gets the busier direction): what a new workflow
 * is planned against.  One copy, kept in t and brought up to date in
 * place by each call (the hosts and links touched since the last one),
 * and the index's converted cluster with it (model_index_refresh); it must
 * not change while a plan reads it, so call it only when no plan runs.  NULL
 * without a cluster. */
const Placer__Cluster *srv__totals_residual(struct totals *t);

/* The HostsReply of the current state (caller frees with
 * placer__hosts_reply__free_unpacked).  NULL when memory runs out. */
Placer__HostsReply *srv__totals_hosts_reply(const struct totals *t);

#endif
