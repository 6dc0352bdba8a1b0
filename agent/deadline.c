/* deadline.c: SCHED_DEADLINE on the threads of a bound process, and the
 * probe of the bandwidth the kernel still admits. */
#define _GNU_SOURCE
#include "agent/enforce.h"
#include "agent/partition.h"
#include "plc/error.h"

#include <dirent.h>
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <linux/sched/types.h> clashes with glibc's struct sched_param */
struct sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
};

static int setattr(pid_t tid, struct sched_attr *a)
{
    return (int)syscall(SYS_sched_setattr, tid, a, 0);
}

static int getattr(pid_t tid, struct sched_attr *a)
{
    memset(a, 0, sizeof *a);
    return (int)syscall(SYS_sched_getattr, tid, a, sizeof *a, 0);
}

static void deadline_attr(struct sched_attr *a, uint64_t budget,
                          uint64_t deadline, uint64_t period)
{
    memset(a, 0, sizeof *a);
    a->size = sizeof *a;
    a->sched_policy = SCHED_DEADLINE;
    a->sched_flags = SCHED_FLAG_RESET_ON_FORK;
    a->sched_runtime = budget;
    a->sched_deadline = deadline;
    a->sched_period = period;
}

/*
 * Back to SCHED_OTHER.  On this kernel (6.18) a deadline task that is
 * asleep when it leaves SCHED_DEADLINE keeps its bandwidth counted in the
 * root domain until the domain is rebuilt: it never becomes
 * non-contending, so nothing subtracts it (measured: 0.1 leaked per
 * sleeping 10 ms/100 ms thread; exiting as a deadline task, or leaving it
 * while running, gives it back).  A change between deadline parameters is
 * accounted at once, so first shrink the reservation to nothing counted
 * (the smallest runtime over the longest period rounds to zero
 * bandwidth), then leave.
 */
static int to_other(pid_t tid)
{
    struct sched_attr a;
    deadline_attr(&a, 1024, 4194304000ULL, 4194304000ULL);
    struct sched_attr cur;
    if (getattr(tid, &cur) == 0 && cur.sched_policy == SCHED_DEADLINE)
        setattr(tid, &a); /* failing, the next step still leaves */
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = SCHED_OTHER;
    return setattr(tid, &a);
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* The threads of a cgroup directory (v1 "tasks", v2 "cgroup.threads"),
 * sorted, but init's and the agent's own.  0 or an errno. */
static int cgroup_threads(const char *dir, pid_t **out, size_t *n,
                          struct plc_error *err)
{
    char path[600];
    snprintf(path, sizeof path, "%s/tasks", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(path, sizeof path, "%s/cgroup.threads", dir);
        f = fopen(path, "r");
    }
    if (!f) {
        int e = errno;
        plc_error_set(err, PLC_EIO,
                      "cannot list the threads of cgroup %s (%s): bind the "
                      "directory of an existing cgroup",
                      dir, strerror(e));
        return e == ENOENT ? ESRCH : e;
    }
    pid_t *t = NULL;
    size_t k = 0, cap = 0;
    long v;
    while (fscanf(f, "%ld", &v) == 1) {
        if (v <= 1 || v == (long)getpid())
            continue; /* never init or the agent */
        if (k == cap) {
            cap = cap ? 2 * cap : 16;
            pid_t *g = realloc(t, cap * sizeof *t);
            if (!g) {
                free(t);
                fclose(f);
                plc_error_set(err, PLC_ENOMEM, "out of memory");
                return ENOMEM;
            }
            t = g;
        }
        t[k++] = (pid_t)v;
    }
    fclose(f);
    if (k)
        qsort(t, k, sizeof *t, cmp_pid);
    *out = t;
    *n = k;
    return 0;
}

/* The threads of pid, sorted.  0 or an errno. */
static int threads(pid_t pid, pid_t **out, size_t *n, struct plc_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        plc_error_set(err, PLC_EIO, "cannot list the threads of pid %d (%s)",
                      (int)pid, e == ENOENT ? "no such process" : strerror(e));
        return e == ENOENT ? ESRCH : e;
    }
    pid_t *t = NULL;
    size_t k = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        if (k == cap) {
            cap = cap ? 2 * cap : 16;
            pid_t *g = realloc(t, cap * sizeof *t);
            if (!g) {
                free(t);
                closedir(d);
                plc_error_set(err, PLC_ENOMEM, "out of memory");
                return ENOMEM;
            }
            t = g;
        }
        t[k++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    if (k) /* (no threads left: t is NULL, which qsort may not get) */
        qsort(t, k, sizeof *t, cmp_pid);
    *out = t;
    *n = k;
    return 0;
}

static bool has(const pid_t *t, size_t n, pid_t x)
{
    return n && bsearch(&x, t, n, sizeof *t, cmp_pid) != NULL;
}

/* Back to SCHED_OTHER and out of the partition: the threads an apply
 * changed before one failed. */
static void rollback(const pid_t *changed, size_t n,
                     const struct agent_partition *part)
{
    for (size_t j = 0; j < n; j++) {
        to_other(changed[j]);
        agent_partition_leave(part, changed[j]);
    }
}

int agent_deadline_apply(struct agent_applied *a,
                         const struct agent_partition *part,
                         struct plc_error *err)
{
    const struct agent_res *r = &a->res;
    if (r->pid <= 0 && !r->cgroup_path[0])
        return 0; /* not bound yet: nothing to enforce */
    pid_t *t;
    size_t n;
    int e = r->cgroup_path[0] ? cgroup_threads(r->cgroup_path, &t, &n, err)
                              : threads(r->pid, &t, &n, err);
    if (e)
        return e;
    char what[440];
    if (r->cgroup_path[0])
        snprintf(what, sizeof what, "cgroup %s", r->cgroup_path);
    else
        snprintf(what, sizeof what, "pid %d", (int)r->pid);
    int vcpus = r->vcpus > 0 ? r->vcpus : 1;
    if (n > (size_t)vcpus) {
        plc_error_set(err, PLC_EDATA,
                      "%s has %zu threads but the reservation covers %d "
                      "(the service's vcpus): bind one with at most %d "
                      "threads, or raise vcpus",
                      what, n, vcpus, vcpus);
        free(t);
        return E2BIG;
    }
    struct sched_attr want;
    deadline_attr(&want, r->budget_ns, r->deadline_ns, r->period_ns);
    pid_t *changed = calloc(n ? n : 1, sizeof *changed);
    size_t n_changed = 0;
    if (!changed) {
        free(t);
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        struct sched_attr cur;
        if (getattr(t[i], &cur) == 0 && cur.sched_policy == SCHED_DEADLINE &&
            cur.sched_runtime == want.sched_runtime &&
            cur.sched_period == want.sched_period &&
            cur.sched_deadline == want.sched_deadline)
            continue;
        if (setattr(t[i], &want) != 0) {
            e = errno;
            if (e == ESRCH)
                continue; /* the thread ended meanwhile */
            plc_error_set(err, PLC_EIO,
                          "sched_setattr(tid %d of %s, SCHED_DEADLINE "
                          "runtime %llu ns, deadline %llu ns, period %llu "
                          "ns, RESET_ON_FORK): %s",
                          (int)t[i], what, (unsigned long long)r->budget_ns,
                          (unsigned long long)r->deadline_ns,
                          (unsigned long long)r->period_ns, strerror(e));
            rollback(changed, n_changed, part);
            free(changed);
            free(t);
            return e;
        }
        /* then onto its planned core: the kernel admits SCHED_DEADLINE in
         * the root domain of the CPU the thread last ran on (a sleeping
         * thread moves only when it wakes), and moving a deadline thread
         * into a cpuset moves its bandwidth to that root domain, or fails
         * when the domain lacks room */
        int core = r->n_cores ? r->cores[i % (size_t)r->n_cores] : 0;
        if ((e = agent_partition_join(part, core, t[i], err)) != 0) {
            to_other(t[i]);
            if (e == ESRCH)
                continue;
            rollback(changed, n_changed, part);
            free(changed);
            free(t);
            return e;
        }
        changed[n_changed++] = t[i];
    }
    free(changed);
    free(a->tids);
    a->tids = t;
    a->n_tids = n;
    return 0;
}

int agent_deadline_remove(struct agent_applied *a,
                          const struct agent_partition *part,
                          struct plc_error *err)
{
    int first = 0;
    /* the threads recorded, and any the process has now */
    pid_t *now = NULL;
    size_t n_now = 0;
    if (a->res.cgroup_path[0])
        cgroup_threads(a->res.cgroup_path, &now, &n_now, NULL);
    else if (a->res.pid > 0)
        threads(a->res.pid, &now, &n_now, NULL);
    for (int pass = 0; pass < 2; pass++) {
        const pid_t *t = pass ? now : a->tids;
        size_t n = pass ? n_now : a->n_tids;
        for (size_t i = 0; i < n; i++) {
            if (pass && has(a->tids, a->n_tids, t[i]))
                continue;
            struct sched_attr cur;
            if (getattr(t[i], &cur) != 0 || cur.sched_policy != SCHED_DEADLINE)
                continue; /* gone, or not ours any more */
            int rc = to_other(t[i]);
            int te = errno;
            agent_partition_leave(part, t[i]);
            errno = te;
            if (rc != 0 && errno != ESRCH && !first) {
                first = errno;
                plc_error_set(err, PLC_EIO,
                              "sched_setattr(tid %d, SCHED_OTHER): %s",
                              (int)t[i], strerror(first));
            }
        }
    }
    free(now);
    if (!first) {
        free(a->tids);
        a->tids = NULL;
        a->n_tids = 0;
    }
    return first;
}

/* ---- the probe ---- */

struct holder {
    pthread_t thread;
    pid_t tid;
    int fd; /* read end: the thread blocks on it */
    const struct agent_partition *part;
    int join_err;
};

static void *hold(void *arg)
{
    struct holder *h = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    /* partitioned: into the first reserved CPU's cpuset, then asleep
     * once, so that the thread wakes on that CPU and the kernel admits
     * its bandwidth in that CPU's root domain */
    if (h->part && h->part->n) {
        h->join_err = agent_partition_join(h->part, 0, tid, NULL);
        usleep(1000);
    }
    __atomic_store_n(&h->tid, tid, __ATOMIC_RELEASE);
    char c;
    while (read(h->fd, &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

int agent_deadline_probe(int cpus, const struct agent_partition *part,
                         double *per_cpu, struct plc_error *err)
{
    const uint64_t period = 100000000; /* 100 ms */
    const uint64_t step = 10000;       /* 10 us: 1e-4 of the period */
    int max = cpus + 2, fds[2];
    struct holder *h = calloc((size_t)max, sizeof *h);
    if (!h || pipe(fds) != 0) {
        free(h);
        return plc_error_set(err, PLC_ENOMEM, "cannot start the probe"), ENOMEM;
    }
    uint64_t total = 0;
    int n = 0, e = 0;
    for (; n < max; n++) {
        h[n].fd = fds[0];
        h[n].tid = 0;
        h[n].part = part;
        if (pthread_create(&h[n].thread, NULL, hold, &h[n]) != 0) {
            e = EAGAIN;
            break;
        }
        while (!__atomic_load_n(&h[n].tid, __ATOMIC_ACQUIRE))
            usleep(100);
        /* partitioned: the first reserved CPU's root domain (every
         * reserved CPU has the same) */
        if ((e = h[n].join_err) != 0) {
            plc_error_set(err, PLC_EIO,
                          "the deadline probe: cannot move a thread into "
                          "the partition (%s)",
                          strerror(e));
            n++;
            break;
        }
        /* the largest runtime the kernel admits for one more thread */
        uint64_t lo = 0, hi = period;
        while (hi - lo > step) {
            uint64_t mid = lo + (hi - lo) / 2;
            struct sched_attr a;
            deadline_attr(&a, mid, period, period);
            if (setattr(h[n].tid, &a) == 0) {
                lo = mid;
            } else if (errno == EBUSY) {
                hi = mid;
            } else {
                e = errno;
                break;
            }
        }
        if (!e && lo == 0) {
            n++;
            break; /* nothing more: the thread holds nothing */
        }
        if (!e) {
            struct sched_attr a;
            deadline_attr(&a, lo, period, period);
            if (setattr(h[n].tid, &a) != 0)
                e = errno;
            else
                total += lo;
        }
        if (e) {
            n++;
            break;
        }
    }
    if (e && e != EAGAIN)
        plc_error_set(err, PLC_EIO,
                      "the deadline probe: sched_setattr(SCHED_DEADLINE): %s",
                      strerror(e));
    else if (e)
        plc_error_set(err, PLC_EIO,
                      "the deadline probe: cannot start a "
                      "thread");
    /* release: back to SCHED_OTHER, wake and join */
    for (int i = 0; i < n; i++) {
        to_other(h[i].tid);
        agent_partition_leave(part, h[i].tid);
    }
    close(fds[1]);
    for (int i = 0; i < n; i++)
        pthread_join(h[i].thread, NULL);
    close(fds[0]);
    free(h);
    if (e)
        return e;
    double c = (double)total / (double)period / (part && part->n ? 1 : cpus);
    *per_cpu = (double)(long)(c * 1e4) / 1e4; /* down to 1e-4 */
    return 0;
}
