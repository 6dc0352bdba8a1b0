/* The platform terms: HRTICK_DL through a features file, and (root) the
 * calibration under SCHED_DEADLINE on this kernel. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/platform.h"
#include "plc/error.h"

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(agent_platform, hrtick_is_read_turned_on_or_reported_off)
{
    char dir[] = "/tmp/placer-features-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/features", dir);
    char note[256];
    bool on = true;
    /* already on */
    write_file(p, "GENTLE_FAIR_SLEEPERS HRTICK HRTICK_DL DOUBLE_TICK\n");
    agent_platform_hrtick(p, &on, note, sizeof note);
    cr_assert(on, "%s", note);
    cr_assert_str_eq(note, "HRTICK_DL on");
    /* off and writable: turned on (the kernel's file takes the name) */
    write_file(p, "HRTICK NO_HRTICK_DL DOUBLE_TICK\n");
    agent_platform_hrtick(p, &on, note, sizeof note);
    cr_assert(on);
    cr_assert(strstr(note, "turned on"), "%s", note);
    /* a file that cannot be read: off, saying so and why */
    snprintf(p, sizeof p, "%s/none/features", dir);
    agent_platform_hrtick(p, &on, note, sizeof note);
    cr_assert_not(on);
    cr_assert(strstr(note, "No such file"), "%s", note);
    cr_assert(strstr(note, "tick"), "%s", note);
    snprintf(p, sizeof p, "%s/features", dir);
    unlink(p);
    rmdir(dir);
}

Test(agent_platform, calibration_measures_this_kernel)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (SCHED_DEADLINE)");
    struct agent_platform pf;
    struct plc_error err = PLC_ERROR_INIT;
    int e = agent_platform_measure(300, NULL, &pf, &err);
    if (e == EBUSY)
        cr_skip_test("the kernel's deadline bandwidth is taken (%s)", err.msg);
    cr_assert_eq(e, 0, "%s", err.msg);
    cr_assert_eq(pf.jobs, 300);
    /* a pipe round trip costs CPU and takes time, but not seconds */
    cr_assert_gt(pf.overhead_ns, 1000);
    cr_assert_lt(pf.overhead_ns, 100000000ULL);
    cr_assert_gt(pf.wakeup_ns, 0);
    cr_assert_lt(pf.wakeup_ns, 100000000ULL);
    /* the overrun is at least the 1 us floor, at most a few ticks */
    cr_assert_geq(pf.granularity_ns, 1000);
    cr_assert_lt(pf.granularity_ns, 50000000ULL);
    cr_assert_neq(pf.note[0], '\0');
    printf("platform: overhead %llu ns, wake-up %llu ns, overrun %llu ns; "
           "%s\n",
           (unsigned long long)pf.overhead_ns, (unsigned long long)pf.wakeup_ns,
           (unsigned long long)pf.granularity_ns, pf.note);
}
