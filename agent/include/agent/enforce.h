/*
 * agent/enforce.h: the kernel mechanisms a node agent enforces a
 * reservation with.  Each works on one reservation and keeps what it
 * changed in `struct agent_applied`, so that it can be undone exactly.
 *
 * Functions return 0 or the errno value of the step that failed, with what
 * was attempted in `err` ("sched_setattr(tid 812 of pid 811, SCHED_DEADLINE
 * 10000000/100000000/100000000 ns): Device or resource busy").  A failed
 * apply leaves nothing changed (already changed threads are rolled back).
 */
#ifndef AGENT_ENFORCE_H
#define AGENT_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plc/limits.h"

struct plc_error;

enum agent_kind { AGENT_CPU = 1, AGENT_NET = 2 };

/* A flow a network reservation classifies: IPv4 addresses (network
 * order), ports (host order, 0 = any) and protocol (IPPROTO_TCP, _UDP;
 * 0 = any). */
struct agent_flow {
    bool set;
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto;
};

/* One reservation as placerd sends it (plain C). */
struct agent_res {
    char id[400];
    uint64_t generation;
    enum agent_kind kind;
    char workflow[128], service[128];
    /* cpu: per vCPU thread */
    uint64_t budget_ns, period_ns, deadline_ns;
    int vcpus;
    int cores[PLC_VCPUS_MAX];
    int n_cores;
    pid_t pid;             /* 0: not bound yet */
    char cgroup_path[400]; /* or every thread of this cgroup directory */
    /* net */
    char next_hop[128];
    uint64_t rate_bps, burst_bytes, link_rate_bps;
    struct agent_flow flow;
};

/* What a backend changed for one reservation. */
struct agent_applied {
    struct agent_res res;
    const char *backend; /* "deadline", "cgroup", "htb", "dryrun" */
    pid_t *tids;         /* deadline: the threads it set */
    size_t n_tids;
    char cgroup[1100]; /* cgroup: the group's directory (cpu controller) */
    char cpuset[1100]; /* cgroup: the cpuset group, if any */
    char device[32];   /* htb */
    uint32_t classid;  /* htb: 1:minor */
    unsigned long long pid_start; /* the bound process's start time */
    int errnum;                   /* last failure (0: enforced) */
    size_t pos;                   /* its place in the agent's table (agent.c) */
    char error[512];
};

/* ---- deadline (SCHED_DEADLINE on every thread of a process) ---- */

/* The SCHED_DEADLINE bandwidth this host still admits, per CPU: sleeping
 * probe threads take as much as the kernel grants, found by bisection
 * (to 1e-4), and are released.  `cpus` is the online CPU count.  0 or an
 * errno (EPERM without CAP_SYS_NICE). */
struct agent_partition;
int agent_deadline_probe(int cpus, const struct agent_partition *part,
                         double *per_cpu, struct plc_error *err);

/* Give every thread of a->res.pid SCHED_DEADLINE with the reservation's
 * budget, deadline and period, SCHED_FLAG_RESET_ON_FORK, never RECLAIM.
 * Threads already set are left alone (idempotent; a rescan picks up new
 * threads).  More threads than vcpus: E2BIG, nothing changed.  With a
 * partition (`part` not NULL, agent/partition.h) thread i first moves to
 * the cpuset of its planned core res.cores[i]. */
int agent_deadline_apply(struct agent_applied *a,
                         const struct agent_partition *part,
                         struct plc_error *err);

/* Back to SCHED_OTHER for every thread set (those gone are skipped). */
int agent_deadline_remove(struct agent_applied *a,
                          const struct agent_partition *part,
                          struct plc_error *err);

/* ---- cgroup (CPU quota and cpuset; v1 cpu controller, or v2 cpu.max) */

/* `root` is the cgroup mount ("/sys/fs/cgroup"). */
int agent_cgroup_apply(struct agent_applied *a, const char *root,
                       struct plc_error *err);
int agent_cgroup_remove(struct agent_applied *a, const char *root,
                        struct plc_error *err);

/* ---- htb (one class per reservation, u32 filter on its flow) ---- */

struct agent_htb;

/* A netlink route socket.  0 or an errno. */
int agent_htb_open(struct agent_htb **out, struct plc_error *err);
void agent_htb_close(struct agent_htb *h);

/* Create or update the reservation's class on `device` (the root HTB
 * qdisc 1: with its default class is set up on first use), its bfifo leaf
 * (at least 128 KiB) and, with a flow, its u32 filter. */
int agent_htb_apply(struct agent_htb *h, struct agent_applied *a,
                    const char *device, struct plc_error *err);
int agent_htb_remove(struct agent_htb *h, struct agent_applied *a,
                     struct plc_error *err);

/* Remove the classes and filters of `device` whose minor is not in
 * keep[0..n) (stale state of an earlier run). */
int agent_htb_prune(struct agent_htb *h, const char *device,
                    const uint32_t *keep, size_t n, int *removed,
                    struct plc_error *err);

#endif
