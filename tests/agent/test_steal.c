/* The steal envelope: /proc/stat's counters parsed, windows bounded from
 * samples 50 ms apart (never below the steal the samples show, plus one
 * counter tick), and this machine's own /proc/stat read. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/steal.h"
#include "plc/error.h"

#define MS 1000000ULL

Test(agent_steal, parses_the_steal_of_the_watched_cpus)
{
    struct agent_steal s;
    int cpus[] = {1};
    cr_assert_eq(agent_steal_init(&s, cpus, 1), 0);
    const char *stat = "\ncpu  10 0 10 100 0 0 0 9 0 0\n"
                       "cpu0 5 0 5 50 0 0 0 2 0 0\n"
                       "cpu1 5 0 5 50 0 0 0 7 0 0\n"
                       "intr 0\n";
    uint64_t ns[1];
    cr_assert_eq(agent_steal_parse(&s, stat, ns), 0);
    cr_assert_eq(ns[0], 7 * s.tick_ns);
    /* a CPU that is not there, or a short line */
    int other[] = {3};
    struct agent_steal t;
    cr_assert_eq(agent_steal_init(&t, other, 1), 0);
    cr_assert_eq(agent_steal_parse(&t, stat, ns), PLC_EDATA);
    cr_assert_eq(agent_steal_parse(&s, "\ncpu1 5 0 5\n", ns), PLC_EDATA);
    agent_steal_release(&s);
    agent_steal_release(&t);
}

Test(agent_steal, the_envelope_bounds_every_window_of_the_samples)
{
    struct agent_steal s;
    int cpus[] = {0, 1};
    cr_assert_eq(agent_steal_init(&s, cpus, 2), 0);
    uint64_t tick = s.tick_ns;
    /* no steal since boot: nothing, however long */
    uint64_t c[2] = {0, 0};
    uint64_t t = 1000 * MS;
    bool grew = false;
    for (int k = 0; k < 100; k++, t += 50 * MS)
        grew |= agent_steal_add(&s, t, c);
    cr_assert(!grew);
    for (int w = 0; w < AGENT_STEAL_WINDOWS; w++)
        cr_assert_eq(s.stolen_ns[w], 0);
    /* CPU 1 loses 3 ticks between two samples, then 2 more 1 s later */
    c[1] = 3 * tick;
    cr_assert(agent_steal_add(&s, t, c));
    t += 50 * MS;
    for (int k = 0; k < 20; k++, t += 50 * MS)
        agent_steal_add(&s, t, c);
    c[1] = 5 * tick;
    agent_steal_add(&s, t, c);
    t += 50 * MS;
    for (int k = 0; k < 60; k++, t += 50 * MS)
        agent_steal_add(&s, t, c);
    /* 100 ms holds the 3 ticks (plus the counters' undercount of one);
     * 2 s holds all five; 60 s is not covered yet */
    cr_assert_eq(s.stolen_ns[0], 4 * tick, "100 ms: %llu",
                 (unsigned long long)s.stolen_ns[0]);
    cr_assert_eq(s.stolen_ns[4], 6 * tick);
    cr_assert_eq(s.stolen_ns[8], 0);
    /* the envelope never decreases along the windows measured */
    for (int w = 1; w < 6; w++)
        cr_assert_geq(s.stolen_ns[w], s.stolen_ns[w - 1]);
    /* time that does not advance is refused */
    cr_assert(!agent_steal_add(&s, t - 50 * MS, c));
    agent_steal_release(&s);
}

Test(agent_steal, reads_this_machine)
{
    struct agent_steal s;
    cr_assert_eq(agent_steal_init(&s, NULL, 0), 0);
    cr_assert_gt(s.n_cpus, 0);
    /* two samples of the real counters: recorded (the envelope grows only
     * if this machine's host takes time right now) */
    agent_steal_sample(&s, NULL, 1000 * MS);
    agent_steal_sample(&s, NULL, 1050 * MS);
    cr_assert_eq(s.count, 2);
    /* a file that is not there records nothing */
    agent_steal_sample(&s, "/nonexistent/stat", 1100 * MS);
    cr_assert_eq(s.count, 2);
    agent_steal_release(&s);
}

Test(agent_steal, the_envelope_is_kept_across_restarts_of_one_boot)
{
    char dir[] = "/tmp/placer-steal-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/h1.steal", dir);
    struct agent_steal a, b, c;
    int cpus[] = {1};
    cr_assert_eq(agent_steal_init(&a, cpus, 1), 0);
    a.seen = true;
    a.stolen_ns[0] = 20 * MS;
    a.stolen_ns[3] = 40 * MS;
    cr_assert_eq(agent_steal_save(&a, path, "boot-1"), 0);
    /* the same boot: taken (never lowering what the new run has) */
    cr_assert_eq(agent_steal_init(&b, cpus, 1), 0);
    b.stolen_ns[3] = 50 * MS;
    cr_assert(agent_steal_load(&b, path, "boot-1"));
    cr_assert(b.seen);
    cr_assert_eq(b.stolen_ns[0], 20 * MS);
    cr_assert_eq(b.stolen_ns[3], 50 * MS);
    /* another boot, or no file: nothing */
    cr_assert_eq(agent_steal_init(&c, cpus, 1), 0);
    cr_assert_not(agent_steal_load(&c, path, "boot-2"));
    cr_assert_eq(c.stolen_ns[0], 0);
    cr_assert_not(c.seen);
    snprintf(path, sizeof path, "%s/none.steal", dir);
    cr_assert_not(agent_steal_load(&c, path, "boot-1"));
    agent_steal_release(&a);
    agent_steal_release(&b);
    agent_steal_release(&c);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
