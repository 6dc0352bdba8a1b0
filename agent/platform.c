/* platform.c: the host's platform terms measured under SCHED_DEADLINE
 * (agent/platform.h). */
#define _GNU_SOURCE
#include "plc/clock.h"
#include "agent/platform.h"
#include "agent/partition.h"
#include "plc/error.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/mount.h>
#include <unistd.h>

#define FEATURES "/sys/kernel/debug/sched/features"

struct dl_attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

#define SCHED_DEADLINE_ 6
#define RESET_ON_FORK_ 0x01

static int to_deadline(uint64_t runtime, uint64_t period)
{
    struct dl_attr a = {sizeof a, SCHED_DEADLINE_, RESET_ON_FORK_, 0,
                        0,        runtime,         period,         period};
    return syscall(SYS_sched_setattr, 0, &a, 0) == 0 ? 0 : errno;
}

static void hrtick_at(const char *path, const char *shown, bool *on, char *note,
                      size_t note_len);

void agent_platform_hrtick(const char *features, bool *on, char *note,
                           size_t note_len)
{
    if (features || access(FEATURES, F_OK) == 0) {
        const char *path = features ? features : FEATURES;
        hrtick_at(path, path, on, note, note_len);
        return;
    }
    /* debugfs not mounted: mount it privately for the look, then take it
     * away again (nothing of the system's changes but the feature); the
     * note names the standard place */
    char dir[] = "/tmp/placer-debugfs-XXXXXX";
    if (mkdtemp(dir) && mount("none", dir, "debugfs", 0, NULL) == 0) {
        char path[64];
        snprintf(path, sizeof path, "%s/sched/features", dir);
        hrtick_at(path, FEATURES " (mounted for the look)", on, note, note_len);
        umount(dir);
        rmdir(dir);
        return;
    }
    rmdir(dir);
    hrtick_at(FEATURES, FEATURES, on, note, note_len);
}

static void hrtick_at(const char *path, const char *shown, bool *on, char *note,
                      size_t note_len)
{
    *on = false;
    char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(note, note_len,
                 "HRTICK_DL unknown: cannot read %s (%s); budgets are taken "
                 "as enforced at the scheduler tick",
                 shown, strerror(errno));
        return;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the features are listed as NAME or NO_NAME */
    if (strstr(buf, " HRTICK_DL") || !strncmp(buf, "HRTICK_DL", 9)) {
        *on = true;
        snprintf(note, note_len, "HRTICK_DL on");
        return;
    }
    f = fopen(path, "w");
    int e = f ? 0 : errno;
    if (f) {
        if (fputs("HRTICK_DL", f) < 0)
            e = errno;
        if (fclose(f) != 0 && !e)
            e = errno;
    }
    if (e) {
        snprintf(note, note_len,
                 "HRTICK_DL off: cannot write %s (%s); budgets are enforced "
                 "at the scheduler tick",
                 shown, strerror(e));
        return;
    }
    *on = true;
    snprintf(note, note_len, "HRTICK_DL turned on through %s", shown);
}

/* ---- overhead and wake-up: pipe round trips --------------------------- */

struct trips {
    int in, out; /* the worker reads in, writes out */
    unsigned n;
    uint64_t *cpu;  /* per cycle: the worker's CPU time */
    uint64_t *wake; /* per job: release to running */
    int err;
    const struct agent_partition *part; /* run on its first CPU, or NULL */
};

/* The calling thread onto the partition's first reserved CPU (the one
 * plans use), before it takes SCHED_DEADLINE: admitted in that CPU's root
 * domain.  0 or an errno. */
static int on_reserved_cpu(const struct agent_partition *p)
{
    if (!p || !p->n)
        return 0;
    struct plc_error err = PLC_ERROR_INIT;
    return agent_partition_join(p, 0, (pid_t)syscall(SYS_gettid), &err);
}

/* A SCHED_OTHER thread beside the calibration on the same CPU, as work
 * the partition leaves there runs beside reservations: it spins over a
 * buffer larger than the caches, so that each job preempts it and wakes
 * into caches it has taken. */
struct load {
    const struct agent_partition *part;
    volatile int stop;
};

static void *load_worker(void *arg)
{
    struct load *l = arg;
    if (on_reserved_cpu(l->part) != 0)
        return NULL;
    size_t len = 16u << 20;
    volatile unsigned char *buf = malloc(len);
    if (!buf)
        return NULL;
    unsigned k = 0;
    while (!l->stop)
        for (size_t i = 0; i < len && !l->stop; i += 64)
            buf[i] = (unsigned char)(buf[i] + ++k);
    free((void *)buf);
    return NULL;
}

static void *trip_worker(void *arg)
{
    struct trips *t = arg;
    t->err = on_reserved_cpu(t->part);
    if (!t->err)
        t->err = to_deadline(2000000, 10000000);
    if (t->err) {
        char c = 0;
        if (write(t->out, &c, 1) < 0)
            t->err = errno;
        return NULL;
    }
    uint64_t before = plc_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (unsigned i = 0; i <= t->n; i++) {
        uint64_t stamp;
        if (read(t->in, &stamp, sizeof stamp) != sizeof stamp)
            break;
        uint64_t now = plc_clock_ns(CLOCK_MONOTONIC);
        char c = 1;
        if (write(t->out, &c, 1) != 1)
            break;
        /* the cycle: blocked read, wake-up, the write; the first read
         * included the thread's start, so cycles count from the second */
        uint64_t after = plc_clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (i > 0) {
            t->cpu[i - 1] = after - before;
            t->wake[i - 1] = now > stamp ? now - stamp : 0;
        }
        before = after;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sort v; q gets p50, p90, p99, p99.9 and the largest; returns p99.9. */
static uint64_t quantiles(uint64_t *v, unsigned n, uint64_t *q)
{
    qsort(v, n, sizeof *v, cmp_u64);
    const double lv[4] = {0.5, 0.9, 0.99, 0.999};
    for (int i = 0; i < 4; i++) {
        unsigned k = (unsigned)ceil(lv[i] * n) - 1;
        q[i] = v[k < n ? k : n - 1];
    }
    q[4] = v[n - 1];
    if (getenv("PLACER_CALIBRATION_DEBUG"))
        fprintf(
            stderr,
            "calibration: p50 %llu p90 %llu p99 %llu p99.9 %llu max %llu ns\n",
            (unsigned long long)v[n / 2], (unsigned long long)v[n * 9 / 10],
            (unsigned long long)v[n * 99 / 100],
            (unsigned long long)v[n * 999 / 1000],
            (unsigned long long)v[n - 1]);
    return q[3];
}

/* One burst of `jobs` round trips (with a load thread beside it when
 * `loaded`); the quantiles go to oq and wq. */
static int round_trips(unsigned jobs, const struct agent_partition *part,
                       bool loaded, uint64_t *oq, uint64_t *wq,
                       struct plc_error *err)
{
    int a[2], b[2];
    if (pipe(a) < 0)
        return plc_error_errno(err, PLC_EIO, errno, "pipe") ? errno : EIO;
    if (pipe(b) < 0) {
        int e = errno;
        close(a[0]);
        close(a[1]);
        plc_error_errno(err, PLC_EIO, e, "pipe");
        return e;
    }
    struct trips t = {a[0],
                      b[1],
                      jobs,
                      calloc(jobs, sizeof(uint64_t)),
                      calloc(jobs, sizeof(uint64_t)),
                      0,
                      part};
    int e = 0;
    pthread_t th, lt;
    struct load ld = {part, 0};
    bool load_on = false;
    if (!t.cpu || !t.wake)
        e = ENOMEM;
    if (!e && loaded)
        load_on = (e = pthread_create(&lt, NULL, load_worker, &ld)) == 0;
    if (!e && (e = pthread_create(&th, NULL, trip_worker, &t)) == 0) {
        for (unsigned i = 0; i <= jobs && !e; i++) {
            /* released after a pause, as a job finds its thread asleep */
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
            uint64_t stamp = plc_clock_ns(CLOCK_MONOTONIC);
            char c;
            if (write(a[1], &stamp, sizeof stamp) != sizeof stamp ||
                read(b[0], &c, 1) != 1)
                e = errno ? errno : EIO;
            if (t.err)
                break;
        }
        close(a[1]);
        a[1] = -1;
        pthread_join(th, NULL);
        if (t.err)
            e = t.err;
    }
    if (load_on) {
        ld.stop = 1;
        pthread_join(lt, NULL);
    }
    if (e)
        plc_error_errno(err, PLC_EIO, e,
                        "calibration: a SCHED_DEADLINE pipe round trip");
    else {
        quantiles(t.cpu, jobs, oq);
        quantiles(t.wake, jobs, wq);
    }
    free(t.cpu);
    free(t.wake);
    close(a[0]);
    if (a[1] >= 0)
        close(a[1]);
    close(b[0]);
    close(b[1]);
    return e;
}

/* ---- granularity: a compute-bound thread past its budget --------------- */

struct spin {
    unsigned periods;
    uint64_t budget_ns;
    uint64_t max_over;
    int err;
    const struct agent_partition *part;
};

static void *spin_worker(void *arg)
{
    struct spin *s = arg;
    s->err = on_reserved_cpu(s->part);
    if (!s->err)
        s->err = to_deadline(s->budget_ns, 10000000);
    if (s->err)
        return NULL;
    uint64_t last = plc_clock_ns(CLOCK_MONOTONIC);
    uint64_t burst_from = plc_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    unsigned gaps = 0;
    while (gaps < s->periods) {
        uint64_t now = plc_clock_ns(CLOCK_MONOTONIC);
        if (now - last > 500000) { /* off the CPU: throttled (or taken) */
            uint64_t cpu = plc_clock_ns(CLOCK_THREAD_CPUTIME_ID);
            /* the CPU of the burst before the gap (the clock read after
             * it adds nothing: the thread only now runs again) */
            uint64_t burst = cpu - burst_from;
            if (burst > s->budget_ns && burst - s->budget_ns > s->max_over)
                s->max_over = burst - s->budget_ns;
            burst_from = cpu;
            gaps++;
        }
        last = now;
    }
    return NULL;
}

static int overrun(unsigned periods, const struct agent_partition *part,
                   struct agent_platform *out, struct plc_error *err)
{
    struct spin s = {periods, 500000, 0, 0, part};
    pthread_t th;
    int e = pthread_create(&th, NULL, spin_worker, &s);
    if (e == 0) {
        pthread_join(th, NULL);
        e = s.err;
    }
    if (e)
        plc_error_errno(err, PLC_EIO, e,
                        "calibration: a compute-bound SCHED_DEADLINE thread");
    else
        /* rounded up to 10 us; at least a microsecond */
        out->granularity_ns = (s.max_over + 9999) / 10000 * 10000 + 1000;
    return e;
}

int agent_platform_measure(unsigned jobs, const struct agent_partition *part,
                           struct agent_platform *out, struct plc_error *err)
{
    memset(out, 0, sizeof *out);
    if (jobs < 100)
        jobs = 100;
    agent_platform_hrtick(NULL, &out->hrtick, out->note, sizeof out->note);
    /* idle, then beside a load: each quantile the larger of the two, so
     * that the figures hold for a reserved CPU alone and for one that
     * SCHED_OTHER work shares */
    uint64_t oq[2][5], wq[2][5];
    int e = 0;
    for (int loaded = 0; loaded < 2 && !e; loaded++)
        e = round_trips(jobs, part, loaded, oq[loaded], wq[loaded], err);
    if (e == 0) {
        for (int i = 0; i < 5; i++) {
            out->overhead_q[i] = oq[0][i] > oq[1][i] ? oq[0][i] : oq[1][i];
            out->wakeup_q[i] = wq[0][i] > wq[1][i] ? wq[0][i] : wq[1][i];
        }
        out->overhead_ns = out->overhead_q[3];
        out->wakeup_ns = out->wakeup_q[3];
        if (getenv("PLACER_CALIBRATION_DEBUG"))
            fprintf(stderr,
                    "calibration: overhead p99.9 idle %llu, loaded %llu ns; "
                    "wake-up p99.9 idle %llu, loaded %llu ns\n",
                    (unsigned long long)oq[0][3], (unsigned long long)oq[1][3],
                    (unsigned long long)wq[0][3], (unsigned long long)wq[1][3]);
        e = overrun(jobs / 10 < 100 ? jobs / 10 : 100, part, out, err);
    }
    out->jobs = jobs;
    return e;
}
