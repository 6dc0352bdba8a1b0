/*
 * agent/agent.h: what one host enforces, and the reconciliation of it with
 * what placerd wants.
 *
 * The agent keeps a table of the reservations it applied and a journal of
 * it (a JSON file, replaced atomically, written before every change to the
 * kernel; one of an earlier boot is ignored), so that after a crash it
 * knows which threads, cgroups and classes are its own: on the next desired set
 * it removes what is not wanted any more and applies what is missing.
 */
#ifndef AGENT_AGENT_H
#define AGENT_AGENT_H

#include "agent/enforce.h"

struct plc_error;

enum agent_backend_flag {
    AGENT_BE_DRYRUN = 1,
    AGENT_BE_DEADLINE = 2,
    AGENT_BE_CGROUP = 4,
    AGENT_BE_HTB = 8,
};

/* "deadline,htb" -> flags; 0 with err naming the unknown word. */
int agent_backends_parse(const char *list, struct plc_error *err);

/* A device toward a next hop ("s1" -> "eth0"); next_hop "" is the
 * default device. */
struct agent_link {
    char next_hop[128];
    char device[32];
};

struct agent_config {
    int backends;            /* AGENT_BE_* */
    const char *journal;     /* file, or NULL: keep nothing */
    const char *cgroup_root; /* default "/sys/fs/cgroup" */
    const struct agent_link *links;
    size_t n_links;
    /* reserved CPUs as root domains (agent/partition.h), or NULL */
    const struct agent_partition *partition;
};

struct agent;

/* Open: read the journal (what an earlier run applied).  0 or a PLC_E*. */
int agent_open(struct agent **out, const struct agent_config *c,
               struct plc_error *err);
void agent_close(struct agent *a);

/* One result, for an ack: op 1 apply, 2 remove. */
typedef void (*agent_result_fn)(void *arg, const struct agent_res *r, int op,
                                int errnum, const char *error);

/* Apply one reservation (idempotent: the same generation applied and
 * intact changes nothing).  Reports through fn.  Returns the errno. */
int agent_apply(struct agent *a, const struct agent_res *r, agent_result_fn fn,
                void *arg);

/* Several at once, in order, with one journal write before the kernel is
 * touched and one after (the last of two applies of one id wins). */
void agent_apply_many(struct agent *a, const struct agent_res *r, size_t n,
                      agent_result_fn fn, void *arg);

/* Remove one (an unknown id is removed already: success). */
int agent_remove(struct agent *a, const char *id, uint64_t generation,
                 agent_result_fn fn, void *arg);

void agent_remove_many(struct agent *a, const char *const *ids,
                       const uint64_t *generations, size_t n,
                       agent_result_fn fn, void *arg);

/* The desired set: remove what is not in it, apply what is missing or
 * changed, prune stale HTB classes; fn for each apply and remove done. */
void agent_reconcile(struct agent *a, const struct agent_res *want, size_t n,
                     agent_result_fn fn, void *arg);

/* Look at the bound processes again: new threads get their reservation,
 * an exited process is reported (fn) once. */
void agent_rescan(struct agent *a, agent_result_fn fn, void *arg);

/* The reservations applied, for a report. */
size_t agent_count(const struct agent *a);
const struct agent_applied *agent_at(const struct agent *a, size_t i);

/* The deadline bandwidth (sum of budget/period over threads) this agent's
 * own reservations hold now: the probe adds it back. */
double agent_deadline_held(const struct agent *a);

#endif
