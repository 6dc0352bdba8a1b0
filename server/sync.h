/* sync.h: the reservations each host's agent should enforce, what the
 * agents acknowledged, and the lifecycle states that follow.  Internal to
 * the server library. */
#ifndef SRV_SYNC_H
#define SRV_SYNC_H

#include "admit.h"
#include "state.h"

enum resv_state { RS_WAITING, RS_SENT, RS_OK, RS_FAILED };

/* One reservation an agent enforces: a service's CPU reservation on its
 * host, or a vlink's bandwidth on one link direction leaving a node. */
struct resv {
    char *id; /* tenant/workflow/service, or tenant/workflow/vlink/a>b */
    char *tenant, *workflow, *subject, *next_hop;
    size_t host; /* the node that enforces it */
    char *host_name;
    bool cpu;
    bool back; /* net: on a duplex link's way back */
    uint64_t generation;
    uint64_t budget_ns, period_ns, deadline_ns, rate_bps, link_rate_bps;
    int *cores, n_cores;
    int pid;
    char *cgroup;            /* or a bound cgroup's directory */
    char *src, *dst, *proto; /* a bound flow */
    int sport, dport;
    bool flow;
    /* what the agent said */
    enum resv_state st;
    bool removing; /* released: the remove is on its way */
    char *error;
    double sent_ms, next_try_ms, backoff_ms;
    size_t pos; /* in the table */
};

struct resv_table {
    struct resv **v;
    size_t n, cap;
    void *tree;      /* tsearch() by id */
    void *workflows; /* tsearch() of struct resv_group by "tenant/name/" */
};

/* The reservations of one workflow. */
struct resv_group {
    char *key; /* "tenant/name/" */
    struct resv **v;
    size_t n, cap;
    int reported;      /* the state last told (srv__sync_state_changes) */
    unsigned scan_gen; /* the scan that looked at it last */
};

/* Sends a ServerToAgent message to host h's agent (agents.c). */
typedef void (*sync_send_fn)(void *arg, size_t host,
                             const Placer__ServerToAgent *m);

struct sync {
    struct resv_table t;
    sync_send_fn send;
    void *arg;
    const struct totals *totals;
};

/* Load every reservation of the store (placerd's start). */
int srv__sync_load(struct sync *s, struct store *st, struct plc_error *err);
void srv__sync_release_all(struct sync *s);

/* An admission became durable: its reservations, sent where an agent is
 * up.  generation: the admission's time (store_admission.admitted_us). */
int srv__sync_admitted(struct sync *s, const char *tenant, const char *name,
                       const struct admission_rows *rows, uint64_t generation);

/* A workflow was released: removes go to the agents. */
void srv__sync_released(struct sync *s, const char *tenant, const char *name);

/* A binding changed a reservation (store_bind): apply it again. */
int srv__sync_bound(struct sync *s, const char *id,
                    const struct store_binding *b);

/* Host h's agent registered: send it the desired set. */
void srv__sync_host_up(struct sync *s, size_t h);

/* An acknowledgement from host h's agent. */
void srv__sync_ack(struct sync *s, size_t h, const Placer__AgentAck *a);

/* Retries (with backoff) and unanswered sends; call now and then. */
void srv__sync_tick(struct sync *s);

/* The cluster changed: host indices are looked up again by name. */
void srv__sync_rehost(struct sync *s);

/* The lifecycle state of a reservation and, when degraded, why (static
 * text or r->error, valid until the next call). */
Placer__State srv__sync_state(const struct sync *s, const struct resv *r,
                              const char **why);

struct resv *srv__sync_find(const struct sync *s, const char *id);

/* The reservations of a workflow (NULL when it has none). */
const struct resv_group *
srv__sync_workflow(const struct sync *s, const char *tenant, const char *name);

/* Fill the lifecycle of a stored plan: per service, per link, overall. */
void srv__sync_plan_states(const struct sync *s, Placer__Plan *p,
                           const char *tenant);

/* The overall state of a workflow. */
Placer__State srv__sync_workflow_state(const struct sync *s, const char *tenant,
                                       const Placer__Plan *p);

/* Each workflow whose state (admitted, applying, active, degraded, as its
 * reservations' agents acknowledged them) changed since the last call:
 * fn(arg, "tenant/name", state). */
void srv__sync_state_changes(struct sync *s,
                             void (*fn)(void *arg, const char *workflow,
                                        Placer__State st),
                             void *arg);

#endif
