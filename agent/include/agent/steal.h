/*
 * agent/steal.h: the CPU the host takes from this guest (steal), watched
 * all along.
 *
 * A virtual CPU the hypervisor takes supplies nothing to the reservations
 * on it, whatever SCHED_DEADLINE does inside the guest (with paravirtual
 * steal accounting the budget is not charged, but the time is gone).  The
 * kernel counts it per CPU in /proc/stat (the eighth figure, in clock
 * ticks of 1 / sysconf(_SC_CLK_TCK), 10 ms here).  The agent samples the
 * counters of the CPUs it reserves every AGENT_STEAL_SAMPLE_NS and keeps,
 * for each window length of agent_steal_windows_ns, the most stolen from
 * one CPU in any window of that length since it started: an envelope the
 * plans turn into a supply delay (sched_supply_delay()).
 *
 * Resolution: a window of length W lies inside two samples at most
 * W + AGENT_STEAL_SAMPLE_NS apart, and a difference of two counters
 * undercounts by less than one tick, so each point is the largest sampled
 * difference plus one tick.  Counters that have not moved since boot
 * count as no steal at all (less than one tick in the machine's life).
 */
#ifndef AGENT_STEAL_H
#define AGENT_STEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_STEAL_WINDOWS 9
#define AGENT_STEAL_SAMPLE_NS 50000000ULL /* 50 ms */
#define AGENT_STEAL_CPUS 64

/* 100 ms, 200 ms, 500 ms, 1 s, 2 s, 5 s, 10 s, 30 s, 60 s */
extern const uint64_t agent_steal_windows_ns[AGENT_STEAL_WINDOWS];

struct agent_steal {
    int n_cpus;
    int cpu[AGENT_STEAL_CPUS];
    uint64_t tick_ns; /* the counters' unit */
    /* the samples: a ring of times and per-CPU counters (ns) */
    size_t cap, head, count;
    uint64_t *t_ns;
    uint64_t *s_ns;                          /* cap x n_cpus */
    bool seen;                               /* a counter above 0 */
    uint64_t stolen_ns[AGENT_STEAL_WINDOWS]; /* the envelope */
};

/* Watch `cpus` (n of them; n 0: every CPU of /proc/stat up to
 * AGENT_STEAL_CPUS).  0 or PLC_ENOMEM. */
int agent_steal_init(struct agent_steal *s, const int *cpus, int n);
void agent_steal_release(struct agent_steal *s);

/* Read the steal counters of s's CPUs from `stat` (the text of
 * /proc/stat) into out_ns (n_cpus of them, ns).  0, or PLC_EDATA when a
 * CPU's line is missing or malformed. */
int agent_steal_parse(const struct agent_steal *s, const char *stat,
                      uint64_t *out_ns);

/* Record a sample taken at `now_ns` (monotonic).  Returns true when the
 * envelope grew. */
bool agent_steal_add(struct agent_steal *s, uint64_t now_ns,
                     const uint64_t *counters_ns);

/* Read /proc/stat (or `path`) and record it; true when the envelope grew.
 * A read that fails records nothing. */
bool agent_steal_sample(struct agent_steal *s, const char *path,
                        uint64_t now_ns);

/* Keep the envelope across restarts of the agent on one boot: save it to
 * `path` tagged with `boot` (the kernel's boot id), and load it back only
 * when the tag matches (steal seen earlier in this boot still counts).
 * Save: 0 or an errno; load: true when it was taken. */
int agent_steal_save(const struct agent_steal *s, const char *path,
                     const char *boot);
bool agent_steal_load(struct agent_steal *s, const char *path,
                      const char *boot);

#endif
