/*
 * agent/platform.h: what this host's kernel adds to the model of a
 * reservation (MATH.md §1), measured under SCHED_DEADLINE at agent start.
 *
 *   overhead     CPU a job uses beyond its own work: the wake-up, the
 *                switch and a small pipe read and write, charged to the
 *                job's budget (p99.9 of calibration bursts, idle and
 *                beside a cache-thrashing SCHED_OTHER thread)
 *   wakeup       from the write that releases a job to the job running
 *                (p99.9 of the same burst)
 *   granularity  how far a compute-bound thread runs past its budget
 *                before the kernel throttles it (the largest overrun
 *                seen); with HRTICK_DL off that is up to a scheduler tick
 *   hrtick       whether HRTICK_DL is on (the agent turns it on where the
 *                scheduler's debugfs features file can be written)
 */
#ifndef AGENT_PLATFORM_H
#define AGENT_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct plc_error;

struct agent_platform {
    uint64_t overhead_ns;
    uint64_t wakeup_ns;
    uint64_t granularity_ns;
    bool hrtick;
    unsigned jobs; /* calibration jobs measured */
    /* the distributions: p50, p90, p99, p99.9, the largest seen */
    uint64_t overhead_q[5], wakeup_q[5];
    char note[256]; /* how HRTICK_DL was found or set, for the log */
};

/*
 * Measure the platform with `jobs` pipe round trips (at least 100) twice,
 * idle and beside a SCHED_OTHER thread that spins over a buffer larger
 * than the caches (each quantile the larger of the two), and a
 * compute-bound thread over `jobs` / 10 periods; on the first reserved CPU
 * of `part` (NULL or none: wherever the agent runs).  Needs CAP_SYS_NICE
 * (SCHED_DEADLINE).  Takes about jobs x 4 ms.  0 or an errno, with detail
 * in `err`.
 */
struct agent_partition;
int agent_platform_measure(unsigned jobs, const struct agent_partition *part,
                           struct agent_platform *out, struct plc_error *err);

/* Turn HRTICK_DL on through `features` (the scheduler's debugfs file,
 * NULL: /sys/kernel/debug/sched/features); *on tells whether it is on
 * afterwards, `note` why not.  Never fails: a kernel that does not allow
 * it leaves it off. */
void agent_platform_hrtick(const char *features, bool *on, char *note,
                           size_t note_len);

#endif
