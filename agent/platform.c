/* platform.c: the host's platform terms measured under SCHED_DEADLINE
 * (agent/platform.h). */
#define _GNU_SOURCE
#include "agent/platform.h"
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

static uint64_t clock_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

void agent_platform_hrtick(const char *features, bool *on, char *note,
                           size_t note_len)
{
    const char *path = features ? features : FEATURES;
    *on = false;
    char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(note, note_len,
                 "HRTICK_DL unknown: cannot read %s (%s); budgets are taken "
                 "as enforced at the scheduler tick",
                 path, strerror(errno));
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
                 path, strerror(e));
        return;
    }
    *on = true;
    snprintf(note, note_len, "HRTICK_DL turned on through %s", path);
}

/* ---- overhead and wake-up: pipe round trips --------------------------- */

struct trips {
    int in, out; /* the worker reads in, writes out */
    unsigned n;
    uint64_t *cpu;  /* per cycle: the worker's CPU time */
    uint64_t *wake; /* per job: release to running */
    int err;
};

static void *trip_worker(void *arg)
{
    struct trips *t = arg;
    t->err = to_deadline(2000000, 10000000);
    if (t->err) {
        char c = 0;
        if (write(t->out, &c, 1) < 0)
            t->err = errno;
        return NULL;
    }
    uint64_t before = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (unsigned i = 0; i <= t->n; i++) {
        uint64_t stamp;
        if (read(t->in, &stamp, sizeof stamp) != sizeof stamp)
            break;
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        char c = 1;
        if (write(t->out, &c, 1) != 1)
            break;
        /* the cycle: blocked read, wake-up, the write; the first read
         * included the thread's start, so cycles count from the second */
        uint64_t after = clock_ns(CLOCK_THREAD_CPUTIME_ID);
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

static int round_trips(unsigned jobs, struct agent_platform *out,
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
                      0};
    int e = 0;
    pthread_t th;
    if (!t.cpu || !t.wake)
        e = ENOMEM;
    else if ((e = pthread_create(&th, NULL, trip_worker, &t)) == 0) {
        for (unsigned i = 0; i <= jobs && !e; i++) {
            /* released after a pause, as a job finds its thread asleep */
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
            uint64_t stamp = clock_ns(CLOCK_MONOTONIC);
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
    if (e)
        plc_error_errno(err, PLC_EIO, e,
                        "calibration: a SCHED_DEADLINE pipe round trip");
    else {
        out->overhead_ns = quantiles(t.cpu, jobs, out->overhead_q);
        out->wakeup_ns = quantiles(t.wake, jobs, out->wakeup_q);
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
};

static void *spin_worker(void *arg)
{
    struct spin *s = arg;
    s->err = to_deadline(s->budget_ns, 10000000);
    if (s->err)
        return NULL;
    uint64_t last = clock_ns(CLOCK_MONOTONIC);
    uint64_t burst_from = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    unsigned gaps = 0;
    while (gaps < s->periods) {
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now - last > 500000) { /* off the CPU: throttled (or taken) */
            uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
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

static int overrun(unsigned periods, struct agent_platform *out,
                   struct plc_error *err)
{
    struct spin s = {periods, 500000, 0, 0};
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

int agent_platform_measure(unsigned jobs, struct agent_platform *out,
                           struct plc_error *err)
{
    memset(out, 0, sizeof *out);
    if (jobs < 100)
        jobs = 100;
    agent_platform_hrtick(NULL, &out->hrtick, out->note, sizeof out->note);
    int e = round_trips(jobs, out, err);
    if (e == 0)
        e = overrun(jobs / 10 < 100 ? jobs / 10 : 100, out, err);
    out->jobs = jobs;
    return e;
}
