/* probe.c: static facts of the host from sysconf and procfs. */
#include "agent/probe.h"
#include "plc/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int read_int64(const char *procfs, const char *file, int64_t *out,
                      struct plc_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", procfs, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return plc_error_set(err, PLC_EIO, "cannot open '%s' (%s)", path,
                             strerror(errno));
    long long v;
    int n = fscanf(f, "%lld", &v);
    fclose(f);
    if (n != 1)
        return plc_error_set(err, PLC_EIO, "cannot read '%s' (not a number)",
                             path);
    *out = v;
    return 0;
}

int agent_probe_facts(const char *procfs, struct agent_host_facts *out,
                      struct plc_error *err)
{
    memset(out, 0, sizeof *out);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (cpus < 1 || pages < 1 || page < 1)
        return plc_error_set(err, PLC_EIO,
                             "cannot read the CPU count and memory size "
                             "(%s)",
                             strerror(errno));
    out->cpus = (int)cpus;
    out->memory_bytes = (uint64_t)pages * (uint64_t)page;
    int rc = read_int64(procfs, "sys/kernel/sched_rt_runtime_us",
                        &out->rt_runtime_us, err);
    if (rc == 0)
        rc = read_int64(procfs, "sys/kernel/sched_rt_period_us",
                        &out->rt_period_us, err);
    return rc;
}
