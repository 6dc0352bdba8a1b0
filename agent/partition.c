/* partition.c: reserved CPUs as exclusive cpusets, each its own root
 * domain (agent/partition.h). */
#define _GNU_SOURCE
#include "agent/partition.h"
#include "cgroupfs.h"
#include "plc/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int agent_partition_parse(const char *list, int online,
                          struct agent_partition *out, struct plc_error *err)
{
    memset(out, 0, sizeof *out);
    bool seen[AGENT_PARTITION_MAX * 16] = {0};
    const char *s = list;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s)
            goto bad;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s)
                goto bad;
        }
        if (a < 0 || b < a || b >= online ||
            b >= (long)(sizeof seen / sizeof *seen))
            return plc_error_set(err, PLC_EDATA,
                                 "--cpus '%s': CPUs %ld-%ld are not all "
                                 "online (0-%d here)",
                                 list, a, b, online - 1);
        for (long c = a; c <= b; c++)
            seen[c] = true;
        if (*end == ',')
            end++;
        else if (*end)
            goto bad;
        s = end;
    }
    for (int c = 0; c < online && c < (int)(sizeof seen / sizeof *seen); c++)
        if (seen[c]) {
            if (out->n == AGENT_PARTITION_MAX)
                return plc_error_set(err, PLC_EDATA,
                                     "--cpus '%s': more than %d CPUs", list,
                                     AGENT_PARTITION_MAX);
            out->cpu[out->n++] = c;
        }
    if (out->n == 0)
        goto bad;
    if (out->n >= online)
        return plc_error_set(err, PLC_EDATA,
                             "--cpus '%s' reserves every CPU; leave at least "
                             "one for the rest of the system",
                             list);
    return 0;
bad:
    return plc_error_set(err, PLC_EDATA,
                         "--cpus '%s' is not a CPU list (e.g. 1 or 2-3 or "
                         "1,3)",
                         list);
}

void agent_partition_dir(const struct agent_partition *p, int k, char *out,
                         size_t len)
{
    snprintf(out, len, "%s/placer-cpu%d", p->root, p->cpu[k % p->n]);
}

/* sched_load_balance 0 on dir and every group below it. */
static void unbalance(const char *dir)
{
    agent__cg_put(dir, "cpuset.sched_load_balance", "0", NULL);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') {
            char sub[1024];
            /* a path too long for the buffer is no cgroup of ours */
            if (snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) <
                (int)sizeof sub)
                unbalance(sub);
        }
    closedir(d);
}

int agent_partition_setup(struct agent_partition *p, const char *cgroup_root,
                          int online, struct plc_error *err)
{
    const char *base = cgroup_root ? cgroup_root : "/sys/fs/cgroup";
    char probe[600];
    snprintf(probe, sizeof probe, "%s/cgroup.controllers", base);
    p->v2 = access(probe, F_OK) == 0;
    snprintf(p->root, sizeof p->root, p->v2 ? "%s" : "%s/cpuset", base);
    char mems[64];
    int e =
        agent__cg_get(p->root, p->v2 ? "cpuset.mems.effective" : "cpuset.mems",
                      mems, sizeof mems);
    if (e)
        return plc_error_set(err, PLC_EIO,
                             "no cpuset hierarchy at %s (%s); mount the "
                             "cpuset controller to partition CPUs",
                             p->root, strerror(e)),
               e;
    if (p->v2 &&
        (e = agent__cg_put(p->root, "cgroup.subtree_control", "+cpuset", err)))
        return e;
    /* the rest first (the CPUs no reservation uses), then each reserved
     * CPU; an existing cpuset of the same CPUs is kept as it is */
    char rest[512] = "", dir[700], have[64], want[16];
    bool reserved[AGENT_PARTITION_MAX * 16] = {0};
    for (int k = 0; k < p->n; k++)
        reserved[p->cpu[k]] = true;
    for (int c = 0; c < online && c < (int)(sizeof reserved); c++)
        if (!reserved[c])
            snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s%d",
                     rest[0] ? "," : "", c);
    snprintf(dir, sizeof dir, "%s/placer-rest", p->root);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return plc_error_errno(err, PLC_EIO, errno, dir), errno;
    if ((e = agent__cg_put(dir, "cpuset.mems", mems, err)) ||
        (e = agent__cg_put(dir, "cpuset.cpus", rest, err)))
        return e;
    for (int k = 0; k < p->n; k++) {
        agent_partition_dir(p, k, dir, sizeof dir);
        snprintf(want, sizeof want, "%d", p->cpu[k]);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return plc_error_errno(err, PLC_EIO, errno, dir), errno;
        if (agent__cg_get(dir, "cpuset.cpus", have, sizeof have) == 0 &&
            !strcmp(have, want))
            continue; /* made by an earlier run: keep it */
        if ((e = agent__cg_put(dir, "cpuset.mems", mems, err)) ||
            (e = agent__cg_put(dir, "cpuset.cpus", want, err)))
            return e;
        if (p->v2 &&
            (e = agent__cg_put(dir, "cpuset.cpus.partition", "root", err)))
            return e;
        /* v1: exclusive where no sibling overlaps (a root domain needs
         * only that no load-balanced cpuset spans more, below) */
        if (!p->v2)
            agent__cg_put(dir, "cpuset.cpu_exclusive", "1", NULL);
    }
    /* the cgroup backend's groups span every CPU: they must not balance,
     * or their span would merge the root domains again */
    char ours[600];
    snprintf(ours, sizeof ours, "%s/placer", p->root);
    if (!p->v2 && access(ours, F_OK) == 0)
        unbalance(ours);
    /* v1: the root stops balancing, so that each load-balanced child is a
     * root domain of its own */
    if (!p->v2 &&
        agent__cg_get(p->root, "cpuset.sched_load_balance", have,
                      sizeof have) == 0 &&
        strcmp(have, "0") != 0 &&
        (e = agent__cg_put(p->root, "cpuset.sched_load_balance", "0", err)))
        return e;
    return 0;
}

static int move(const char *dir, pid_t tid, struct plc_error *err)
{
    char v[32];
    snprintf(v, sizeof v, "%d", (int)tid);
    /* v1: a thread goes through "tasks"; v2 threads need a threaded
     * subtree, so the whole process moves through cgroup.procs */
    char p[1024];
    snprintf(p, sizeof p, "%s/tasks", dir);
    return agent__cg_put(dir, access(p, F_OK) == 0 ? "tasks" : "cgroup.procs",
                         v, err);
}

int agent_partition_join(const struct agent_partition *p, int core, pid_t tid,
                         struct plc_error *err)
{
    if (!p || p->n == 0)
        return 0;
    char dir[700];
    agent_partition_dir(p, core < 0 ? 0 : core, dir, sizeof dir);
    return move(dir, tid, err);
}

int agent_partition_leave(const struct agent_partition *p, pid_t tid)
{
    if (!p || p->n == 0)
        return 0;
    return move(p->root, tid, NULL);
}
