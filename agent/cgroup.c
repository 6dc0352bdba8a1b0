/* cgroup.c: a CPU quota (cgroup v1 cpu.cfs_quota_us/cfs_period_us, or v2
 * cpu.max) and a cpuset per reservation, under the "placer" group. */
#define _GNU_SOURCE
#include "agent/enforce.h"
#include "cgroupfs.h"
#include "plc/error.h"
#include "plc/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int agent__cg_put(const char *dir, const char *file, const char *value,
                  struct plc_error *err)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    int e = 0;
    if (!f)
        e = errno;
    else if (fputs(value, f) < 0)
        e = errno;
    if (f && fclose(f) != 0 && !e)
        e = errno;
    if (e)
        plc_error_set(err, PLC_EIO, "cannot write '%s' to %s: %s", value, path,
                      strerror(e));
    return e;
}

int agent__cg_get(const char *dir, const char *file, char *out, size_t cap)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno;
    if (!fgets(out, (int)cap, f))
        out[0] = 0;
    fclose(f);
    out[strcspn(out, "\n")] = 0;
    return 0;
}

static int make_dir(const char *path, struct plc_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        plc_error_set(err, PLC_EIO, "cannot create the cgroup %s: %s", path,
                      strerror(e));
        return e;
    }
    return 0;
}

/* The group's name: the reservation id with '/' made '_'. */
static void leaf(const struct agent_res *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s", r->id);
    for (char *p = out; *p; p++)
        if (*p == '/' || *p == ' ')
            *p = '_';
    if (out[0] == '.' || !out[0]) /* never ".", ".." or "" */
        out[0] = '_';
}

static bool v2(const char *root)
{
    char p[512];
    snprintf(p, sizeof p, "%s/cgroup.controllers", root);
    return access(p, F_OK) == 0;
}

/* Move every thread of pid into dir (v1: cgroup.procs moves the thread
 * group). */
static int move(const char *dir, pid_t pid, struct plc_error *err)
{
    char v[32];
    snprintf(v, sizeof v, "%d", (int)pid);
    return agent__cg_put(dir, "cgroup.procs", v, err);
}

int agent_cgroup_apply(struct agent_applied *a, const char *root,
                       struct plc_error *err)
{
    const struct agent_res *r = &a->res;
    char name[420], base[600], v[96];
    leaf(r, name, sizeof name);
    int vcpus = r->vcpus > 0 ? r->vcpus : 1;
    unsigned long long period_us = r->period_ns / 1000,
                       quota_us = r->budget_ns / 1000 * (uint64_t)vcpus;
    if (period_us < 1000)
        period_us = 1000,
        quota_us = r->budget_ns * 1000 / r->period_ns * (uint64_t)vcpus;
    int e;
    if (v2(root)) {
        snprintf(base, sizeof base, "%s/placer", root);
        if ((e = make_dir(base, err)) ||
            (e = agent__cg_put(base, "cgroup.subtree_control", "+cpu", err)))
            return e;
        snprintf(a->cgroup, sizeof a->cgroup, "%s/%s", base, name);
        snprintf(v, sizeof v, "%llu %llu", quota_us, period_us);
        if ((e = make_dir(a->cgroup, err)) ||
            (e = agent__cg_put(a->cgroup, "cpu.max", v, err)))
            return e;
    } else {
        snprintf(base, sizeof base, "%s/cpu/placer", root);
        if ((e = make_dir(base, err)))
            return e;
        snprintf(a->cgroup, sizeof a->cgroup, "%s/%s", base, name);
        if ((e = make_dir(a->cgroup, err)))
            return e;
        /* the quota first when it shrinks the period, and v.v. */
        snprintf(v, sizeof v, "%llu", period_us);
        agent__cg_put(a->cgroup, "cpu.cfs_quota_us", "-1", NULL);
        if ((e = agent__cg_put(a->cgroup, "cpu.cfs_period_us", v, err)))
            return e;
        snprintf(v, sizeof v, "%llu", quota_us);
        if ((e = agent__cg_put(a->cgroup, "cpu.cfs_quota_us", v, err)))
            return e;
        /* the cores, through a cpuset group */
        char cs[520];
        snprintf(cs, sizeof cs, "%s/cpuset", root);
        if (r->n_cores > 0 && access(cs, F_OK) == 0) {
            char cpus[PLC_VCPUS_MAX * 5 + 1] = "", mems[64];
            for (int i = 0; i < r->n_cores; i++) {
                size_t l = strlen(cpus);
                snprintf(cpus + l, sizeof cpus - l, "%s%d", i ? "," : "",
                         r->cores[i]);
            }
            snprintf(base, sizeof base, "%s/placer", cs);
            if ((e = make_dir(base, err)))
                return e;
            char all[256];
            if (agent__cg_get(cs, "cpuset.cpus", all, sizeof all) == 0 &&
                agent__cg_get(cs, "cpuset.mems", mems, sizeof mems) == 0) {
                agent__cg_put(base, "cpuset.cpus", all, NULL);
                agent__cg_put(base, "cpuset.mems", mems, NULL);
            }
            snprintf(a->cpuset, sizeof a->cpuset, "%s/%s", base, name);
            if ((e = make_dir(a->cpuset, err)) ||
                (e = agent__cg_put(a->cpuset, "cpuset.mems", mems, err)) ||
                (e = agent__cg_put(a->cpuset, "cpuset.cpus", cpus, err)))
                return e;
        }
    }
    if (r->pid > 0) {
        if ((e = move(a->cgroup, r->pid, err)))
            return e == ESRCH ? ESRCH : e;
        if (a->cpuset[0] && (e = move(a->cpuset, r->pid, err)))
            return e;
    }
    return 0;
}

/* Move the tasks of dir back to parent and remove dir. */
static int empty_and_remove(const char *dir, const char *parent,
                            struct plc_error *err)
{
    char path[1300], line[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : errno;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        agent__cg_put(parent, "cgroup.procs", line, NULL);
    }
    fclose(f);
    if (rmdir(dir) != 0 && errno != ENOENT) {
        int e = errno;
        plc_error_set(err, PLC_EIO, "cannot remove the cgroup %s: %s", dir,
                      strerror(e));
        return e;
    }
    return 0;
}

int agent_cgroup_remove(struct agent_applied *a, const char *root,
                        struct plc_error *err)
{
    char name[420], dir[1100], parent[600];
    leaf(&a->res, name, sizeof name);
    bool two = v2(root);
    snprintf(parent, sizeof parent, "%s%s", root, two ? "" : "/cpu");
    snprintf(dir, sizeof dir, "%s/placer/%s", parent, name);
    int e = empty_and_remove(dir, parent, err);
    if (!two) {
        snprintf(parent, sizeof parent, "%s/cpuset", root);
        snprintf(dir, sizeof dir, "%s/placer/%s", parent, name);
        int e2 = empty_and_remove(dir, parent, err);
        if (!e)
            e = e2;
    }
    if (!e)
        a->cgroup[0] = a->cpuset[0] = 0;
    return e;
}
