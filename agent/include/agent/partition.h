/*
 * agent/partition.h: the plan's cores as the kernel's own root domains.
 *
 * A plan is per core (partitioned EDF); the kernel schedules
 * SCHED_DEADLINE by global EDF within a root domain, which is every CPU
 * unless cpusets split it.  The agent reserves a list of CPUs (--cpus):
 * each becomes a cpuset of its own ("placer-cpuN", exclusive), the root
 * cpuset stops load balancing, and the CPUs left form one load-balanced
 * cpuset ("placer-rest") so that the rest of the system keeps its
 * balancing there.  Each becomes a root domain of its own.  A deadline
 * thread planned on model core k is moved into the cpuset of the k-th
 * reserved CPU before it gets SCHED_DEADLINE: it can run nowhere else, and
 * the kernel admits its bandwidth against that CPU alone.
 *
 * The partition is made once at start and left in place at exit (deadline
 * threads may still run in it); an agent restarting finds it and keeps
 * it.  Processes outside it keep their affinity: SCHED_OTHER work may
 * still run on a reserved CPU, below every reservation, but is no longer
 * balanced onto or off it.  cgroup v1 (cpu_exclusive, sched_load_balance);
 * on v2 each reserved CPU's group is a partition root
 * (cpuset.cpus.partition).
 */
#ifndef AGENT_PARTITION_H
#define AGENT_PARTITION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct plc_error;

#define AGENT_PARTITION_MAX 64

struct agent_partition {
    int n;                        /* reserved CPUs, 0: no partition */
    int cpu[AGENT_PARTITION_MAX]; /* model core k runs on cpu[k] */
    char root[512];               /* the cpuset hierarchy */
    bool v2;
};

/* Parse a CPU list ("1", "2-3", "1,3"), sorted, without duplicates, each
 * below `online`.  0 or PLC_EDATA with the reason. */
int agent_partition_parse(const char *list, int online,
                          struct agent_partition *out, struct plc_error *err);

/* Make (or find) the cpusets of p under `cgroup_root` (NULL:
 * /sys/fs/cgroup).  At least one CPU must stay outside.  0 or an errno
 * with what was attempted. */
int agent_partition_setup(struct agent_partition *p, const char *cgroup_root,
                          int online, struct plc_error *err);

/* Move thread `tid` into the cpuset of model core `core` (its reserved
 * CPU; cores beyond the list wrap).  0 or an errno. */
int agent_partition_join(const struct agent_partition *p, int core, pid_t tid,
                         struct plc_error *err);

/* Move `tid` back to the root cpuset.  0 or an errno. */
int agent_partition_leave(const struct agent_partition *p, pid_t tid);

/* The cpuset directory of reserved CPU index k (for tests and the
 * probe). */
void agent_partition_dir(const struct agent_partition *p, int k, char *out,
                         size_t len);

#endif
