/*
 * agent/probe.h: what a host offers, read from the kernel.
 *
 * The exact SCHED_DEADLINE admission capacity per CPU (0.90 here: the rt
 * limit 0.95 minus the fair server's 0.05) is found by the agent's
 * enforcement probe; this module reads the static facts it starts from.
 */
#ifndef AGENT_PROBE_H
#define AGENT_PROBE_H

#include <stdint.h>

struct plc_error;

struct agent_host_facts {
    int cpus;              /* online CPUs */
    uint64_t memory_bytes; /* physical memory */
    int64_t rt_runtime_us; /* /proc/sys/kernel/sched_rt_runtime_us (-1: no
                              limit) */
    int64_t rt_period_us;  /* /proc/sys/kernel/sched_rt_period_us */
};

/* Read the facts of this host.  `procfs` is the procfs mount ("/proc").
 * Returns 0 or PLC_EIO with detail. */
int agent_probe_facts(const char *procfs, struct agent_host_facts *out,
                      struct plc_error *err);

#endif
