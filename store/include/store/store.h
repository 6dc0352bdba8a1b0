/*
 * store/store.h: placer's durable state in one SQLite file.
 *
 * Opening applies the versioned migrations in order, each in its own
 * transaction, so a file is always at a known schema version; WAL mode and
 * foreign keys are on.  Later issues add the cluster, workflow and
 * reservation tables as further migrations (never by editing old ones).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc/limits.h"

struct plc_error;
struct store;

/* Open (creating if needed) the store at `path` and migrate it to the
 * newest schema.  Returns 0 or PLC_EIO/PLC_EDATA (a file from a newer
 * placer) with detail; caller owns *out, close with store_close(). */
int store_open(const char *path, struct store **out, struct plc_error *err);

/* NULL-safe. */
void store_close(struct store *s);

/* Schema version of the open store. */
int store_schema_version(const struct store *s);

/* SQLite's own checks of the file: PRAGMA integrity_check (pages, order,
 * indexes) and foreign_key_check.  *n is the count of problems, the first
 * 20 described one per line in `problems`.  0, or PLC_EIO when the checks
 * cannot run. */
struct plc_buf;
int store_verify(struct store *s, struct plc_buf *problems, long *n,
                 struct plc_error *err);

/* The newest schema version this build knows. */
int store_schema_latest(void);

/* Append to the event log (who did what, with numbers).  Returns 0 or
 * PLC_EIO with detail. */
/* Who makes the changes that follow on this connection (their events'
 * actor), until set again; "" at open. */
void store_set_actor(struct store *s, const char *actor);

int store_event_append(struct store *s, const char *kind, const char *subject,
                       const char *detail, struct plc_error *err);

/* Number of events in the log, or a negative error code. */
int64_t store_event_count(struct store *s, struct plc_error *err);

/* ---- the cluster ----------------------------------------------------------
 * One cluster document (opaque bytes: the protobuf of placer.proto's
 * Cluster), replaced whole by `cluster apply`. */

/* The cluster as rows, for SQL readers (tables hosts, switches, links). */
struct store_host {
    const char *name;
    int cores;
    double core_capacity;
    uint64_t memory_bytes; /* UINT64_MAX: not constrained */
    double speed, cost;
    const char *zone; /* or NULL */
};

struct store_link {
    const char *a, *b;
    uint64_t rate_bps, latency_ns, jitter_ns, buffer_bytes;
    double cost;
};

struct store_cluster {
    size_t n_hosts, n_switches, n_links;
    const struct store_host *hosts;
    const char *const *switches;
    const struct store_link *links;
};

/* Replace the cluster: its document and its rows, in one transaction
 * (`rows` may be NULL: the document only).  0 or PLC_EIO. */
int store_cluster_put(struct store *s, const void *doc, size_t len,
                      const struct store_cluster *rows, struct plc_error *err);

/* The cluster document into *doc (malloc'd, caller frees) and *len.
 * 0, PLC_ENOENT when none was applied yet, PLC_EIO/PLC_ENOMEM. */
int store_cluster_get(struct store *s, void **doc, size_t *len,
                      struct plc_error *err);

/* ---- workflows and reservations ----------------------------------------- */

struct store_service {
    const char *name;
    const char *host;
    uint64_t memory_bytes;
};

struct store_cpu {
    const char *service;
    const char *host;
    int core;
    double utilization;
    uint64_t budget_ns, period_ns, deadline_ns;
};

/* Bandwidth of one virtual link on one link direction (node -> node). */
struct store_net {
    const char *vlink; /* "from->to" of the workflow */
    const char *from, *to;
    uint64_t rate_bps;
    bool back; /* on a duplex link's way back */
};

struct store_admission {
    const char *tenant, *name, *state;
    const void *workflow; /* protobuf bytes (Workflow) */
    size_t workflow_len;
    const void *plan; /* protobuf bytes (Plan) */
    size_t plan_len;
    size_t n_services, n_cpu, n_net;
    const struct store_service *services;
    const struct store_cpu *cpu;
    const struct store_net *net;
    int64_t admitted_us; /* 0: now; the reservations' first generation */
    const char *actor;   /* who asked (its event's actor); NULL: "" */
};

/* Record an admitted workflow, its reservations and the reserved totals
 * in one transaction (durable when this returns 0).  PLC_EDATA when the
 * tenant has a workflow of that name already; PLC_EIO. */
int store_admit(struct store *s, const struct store_admission *a,
                struct plc_error *err);

/* Record n admissions in one transaction (one fsync: group commit); each
 * in its own savepoint, so one refused (rc[i] = PLC_EDATA: the name is in
 * use) leaves the others.  rc[i] per admission; returns 0 when the
 * transaction committed (then rc[i] == 0 ones are durable), else PLC_EIO
 * and nothing is recorded. */
int store_admit_batch(struct store *s, const struct store_admission *a,
                      size_t n, int *rc, struct plc_error *err);

/* Remove a workflow, its reservations and their share of the totals in
 * one transaction.  0, PLC_ENOENT (no such workflow), PLC_EIO. */
int store_release(struct store *s, const char *tenant, const char *name,
                  struct plc_error *err);

struct store_workflow {
    int64_t id; /* the admission's row: never reused */
    char *tenant, *name, *state;
    void *plan; /* protobuf bytes (Plan) */
    size_t plan_len;
    char **hosts; /* distinct hosts of its services, NULL-terminated */
};

void store_workflow_free(struct store_workflow *w);

/* Does the tenant have a workflow of that name?  1, 0, or PLC_EIO. */
int store_workflow_exists(struct store *s, const char *tenant, const char *name,
                          struct plc_error *err);

/* One workflow: 0, PLC_ENOENT, PLC_EIO, PLC_ENOMEM.  Free with
 * store_workflow_free. */
int store_workflow_get(struct store *s, const char *tenant, const char *name,
                       struct store_workflow *out, struct plc_error *err);

/* Every workflow (of `tenant`, or all when NULL), ordered by tenant and
 * name; `fn` returns nonzero to stop.  0, PLC_EIO, PLC_ENOMEM. */
int store_workflow_each(struct store *s, const char *tenant,
                        int (*fn)(void *arg, const struct store_workflow *w),
                        void *arg, struct plc_error *err);

/* ---- node agents ----------------------------------------------------------
 */

struct store_agent {
    const char *host, *state; /* "up" | "down" */
    int cores;
    double core_capacity; /* probed deadline capacity per CPU */
    uint64_t memory_bytes;
    const char *backends, *version;
    /* the platform terms it measured, ns (-1: none) and its note */
    int64_t overhead_ns, granularity_ns, wakeup_ns;
    const char *platform_note;
};

/* Record an agent's registration or a change of its state.  0, PLC_EIO. */
int store_agent_put(struct store *s, const struct store_agent *a,
                    struct plc_error *err);

/* ---- reservations as the hosts enforce them ------------------------------
 */

/* What a reservation is attached to (placer bind). */
struct store_binding {
    int pid;                /* a service's process, 0 if none */
    const char *src, *dst;  /* a vlink's flow: addresses, NULL if none */
    int src_port, dst_port; /* 0: any */
    const char *protocol;   /* "tcp", "udp", NULL: any */
    int64_t generation;     /* the reservation's, from this binding on */
    const char *cgroup;     /* or a service's cgroup directory, NULL if none */
};

/* Attach a reservation of a workflow to a process (service) or a flow
 * (vlink "from->to"), replacing an earlier binding.  b->generation is
 * set to one more than the reservation's.  0, PLC_ENOENT (no such
 * workflow, service or vlink: detail says which), PLC_EIO. */
int store_bind(struct store *s, const char *tenant, const char *name,
               const char *subject, bool is_service, struct store_binding *b,
               struct plc_error *err);

/* One reservation as an agent enforces it: a service's CPU reservation on
 * its host (one thread per core), or a vlink's bandwidth on one link
 * direction from a node. */
struct store_resv {
    const char *tenant, *workflow;
    bool cpu;
    const char *subject;   /* service, or vlink "from->to" */
    const char *host, *to; /* cpu: host; net: link from -> to */
    int cores[PLC_VCPUS_MAX];
    int n_cores;
    uint64_t budget_ns, period_ns, deadline_ns; /* cpu */
    uint64_t rate_bps;                          /* net */
    bool back;          /* net: on a duplex link's way back */
    int64_t generation; /* the admission's time, or its binding's */
    const struct store_binding *bound; /* NULL if not bound */
};

/* Every reservation of every workflow.  0, PLC_EIO, or fn's nonzero. */
int store_resv_each(struct store *s,
                    int (*fn)(void *arg, const struct store_resv *r), void *arg,
                    struct plc_error *err);

/* ---- reserved totals -------------------------------------------------------
 * kind "core" (a host, b the core number), "mem" (a host, b ""), "link"
 * (a -> b, one direction): the sum of the reservations. */

int store_reserved_each(struct store *s,
                        void (*fn)(void *arg, const char *kind, const char *a,
                                   const char *b, double amount),
                        void *arg, struct plc_error *err);

/* Recompute the totals from the reservations; rows of the cache that
 * differed are counted in *repaired (and described, the first of them,
 * in `first`), logged as an event, and replaced.  0 or PLC_EIO. */
int store_reserved_repair(struct store *s, long *repaired, char *first,
                          size_t first_len, struct plc_error *err);

/* ---- tokens and quotas (tokens.c) ---------------------------------------- */

/* "plc_" ID "_" 64 hex digits, and its NUL */
#define STORE_TOKEN_MAX 96

struct store_token {
    int64_t id;
    char tenant[64]; /* "" for an admin's token */
    bool admin;
    int64_t created_us, expires_us, revoked_us; /* 0: never, not */
    char note[128];
};

/* A new token for `tenant` (NULL with admin), expiring at expires_us (0:
 * never): its text in `token`, shown this once (only its hash is kept).
 * 0, or PLC_EIO / PLC_ENOSPC. */
int store_token_create(struct store *s, const char *tenant, bool admin,
                       int64_t expires_us, const char *note,
                       char token[STORE_TOKEN_MAX], int64_t *id,
                       struct plc_error *err);

/* Whose token this is: 0 with *out, PLC_EPERM (malformed, unknown, wrong
 * secret, revoked, expired: err says which), or PLC_EIO.  The secret's
 * hash is compared in constant time. */
int store_token_check(struct store *s, const char *token,
                      struct store_token *out, struct plc_error *err);

/* Every token, by id; fn returns nonzero to stop. */
int store_token_each(struct store *s,
                     int (*fn)(void *arg, const struct store_token *t),
                     void *arg, struct plc_error *err);

/* Revoke token id: 0, PLC_ENOENT (none, or revoked already), PLC_EIO. */
int store_token_revoke(struct store *s, int64_t id, struct plc_error *err);

/* A tenant's quota; a limit below 0 is none. */
struct store_quota {
    char tenant[64];
    double cpu;            /* total reserved utilisation (cores) */
    int64_t bandwidth_bps; /* total reserved rate of its vlinks */
    int64_t workflows;     /* admitted at once */
};

int store_quota_put(struct store *s, const struct store_quota *q,
                    struct plc_error *err);
/* A tenant without a row has no limits (all -1). */
int store_quota_get(struct store *s, const char *tenant, struct store_quota *q,
                    struct plc_error *err);

/* ---- idempotent requests (tokens.c) ----------------------------------------
 */

/* The first answer to a request with an Idempotency-Key. */
struct store_answer {
    unsigned char hash[32]; /* of the request it answered */
    int status;
    char content_type[64];
    char *body; /* owned by store_answer_get()'s caller (free) */
    size_t len;
    char location[512]; /* "" for none */
};

/* Record it (replacing one older than max_age_us, and purging those). */
int store_answer_put(struct store *s, const char *scope, const char *key,
                     const struct store_answer *a, int64_t max_age_us,
                     struct plc_error *err);
/* 0 with *a, PLC_ENOENT (none, or older than max_age_us), PLC_EIO. */
int store_answer_get(struct store *s, const char *scope, const char *key,
                     int64_t max_age_us, struct store_answer *a,
                     struct plc_error *err);

/* ---- the event log, read (store.c) --------------------------------------- */

struct store_event {
    int64_t id, at_us;
    char kind[32], subject[256], detail[256], actor[96];
};

/* Events after `since` (at most `max`, oldest first), those of `tenant`'s
 * workflows and the cluster's own when tenant is not NULL; *first_kept is
 * the oldest id still kept and *last the newest of all.  fn returns
 * nonzero to stop. */
int store_events_since(struct store *s, int64_t since, const char *tenant,
                       size_t max,
                       int (*fn)(void *arg, const struct store_event *e),
                       void *arg, int64_t *first_kept, int64_t *last,
                       struct plc_error *err);

/* Keep the newest `keep` events only. */
int store_events_prune(struct store *s, int64_t keep, struct plc_error *err);

#endif
