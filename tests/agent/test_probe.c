/* Host facts from sysconf and procfs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/probe.h"
#include "plc/error.h"

Test(agent_probe, reads_this_host)
{
    struct agent_host_facts f;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(agent_probe_facts("/proc", &f, &err), 0, "%s", err.msg);
    cr_assert_eq(f.cpus, sysconf(_SC_NPROCESSORS_ONLN));
    cr_assert_gt(f.memory_bytes, 1 << 20);
    cr_assert_gt(f.rt_period_us, 0);
    cr_assert(f.rt_runtime_us == -1 || f.rt_runtime_us <= f.rt_period_us);
}

Test(agent_probe, reads_the_rt_limit_from_the_given_procfs)
{
    char dir[] = "/tmp/placer-proc-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/sys", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sys/kernel", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sys/kernel/sched_rt_runtime_us", dir);
    FILE *f = fopen(p, "w");
    fputs("800000\n", f);
    fclose(f);
    struct agent_host_facts h;
    struct plc_error err = PLC_ERROR_INIT;
    /* the period file is missing: a precise error */
    cr_assert_eq(agent_probe_facts(dir, &h, &err), PLC_EIO);
    cr_assert(strstr(err.msg, "sched_rt_period_us"), "%s", err.msg);
    snprintf(p, sizeof p, "%s/sys/kernel/sched_rt_period_us", dir);
    f = fopen(p, "w");
    fputs("1000000\n", f);
    fclose(f);
    plc_error_clear(&err);
    cr_assert_eq(agent_probe_facts(dir, &h, &err), 0, "%s", err.msg);
    cr_assert_eq(h.rt_runtime_us, 800000);
    cr_assert_eq(h.rt_period_us, 1000000);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
