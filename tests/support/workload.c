/*
 * workload: a workflow as real processes, to measure what placer promises.
 *
 *   workload --stage PMF [--stage PMF ...] --arrival closed|period:T|
 *            sporadic:T --jobs N [--seed S] [--stage-cpu N] --pids FILE
 *            --out FILE [--trace FILE]
 *
 * One process per stage (single-threaded, so that it can be bound with
 * vcpus 1), joined by pipes: a source releases jobs per the arrival model,
 * each stage burns exactly its sampled execution time of CPU (spinning on
 * CLOCK_THREAD_CPUTIME_ID) and passes the job on, a sink records when it
 * left each stage (--stage-cpu: the stages start on that CPU; the source
 * and the sink stay where they are, outside the workflow).  PMF is "2ms"
 * (fixed) or "1ms:0.95,4ms:0.05".  T is a time ("50ms"); sporadic adds, to half
 * the gaps, an exponential extra of mean T/4.  The stage pids go to FILE (one
 * "stage pid" line each), then the workload waits for SIGUSR1 before it
 * releases the first job (bind the stages meanwhile).  The result is one line
 * per job: "id release left_0 ... left_{n-1}" in CLOCK_MONOTONIC nanoseconds.
 * --trace adds, per job, "id release" and per stage "woke cpu left": when
 * its read returned, the CPU it used since it passed the previous job on
 * (the wake-up, the read, the burn), when it left.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STAGES 8
#define MAX_POINTS 16

struct job {
    uint32_t id;
    uint64_t release;
    uint64_t exec[MAX_STAGES];
    uint64_t left[MAX_STAGES];
    /* for --trace: when the stage's read returned, and the CPU it used
     * since its previous job was passed on (wake-up, read, burn) */
    uint64_t woke[MAX_STAGES];
    uint64_t cpu[MAX_STAGES];
};

struct pmf {
    int n;
    uint64_t t[MAX_POINTS];
    double p[MAX_POINTS];
};

static uint64_t now_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static uint64_t parse_time(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return UINT64_MAX;
    if (!strncmp(end, "ns", 2))
        return (uint64_t)v;
    if (!strncmp(end, "us", 2))
        return (uint64_t)(v * 1e3);
    if (!strncmp(end, "ms", 2))
        return (uint64_t)(v * 1e6);
    if (!strncmp(end, "s", 1))
        return (uint64_t)(v * 1e9);
    return UINT64_MAX;
}

static int parse_pmf(const char *s, struct pmf *m)
{
    m->n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    double total = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (m->n == MAX_POINTS)
            return -1;
        char *colon = strchr(tok, ':');
        if (colon)
            *colon = 0;
        m->t[m->n] = parse_time(tok);
        m->p[m->n] = colon ? atof(colon + 1) : 1.0;
        if (m->t[m->n] == UINT64_MAX || !(m->p[m->n] > 0))
            return -1;
        total += m->p[m->n++];
    }
    return m->n && fabs(total - 1) < 1e-6 ? 0 : -1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static uint64_t draw(const struct pmf *m)
{
    double u = unif(), acc = 0;
    for (int i = 0; i < m->n; i++) {
        acc += m->p[i];
        if (u < acc)
            return m->t[i];
    }
    return m->t[m->n - 1];
}

/* Exactly `ns` of this thread's CPU. */
static void burn(uint64_t ns)
{
    uint64_t start = now_ns(CLOCK_THREAD_CPUTIME_ID);
    while (now_ns(CLOCK_THREAD_CPUTIME_ID) - start < ns)
        ;
}

static int read_job(int fd, struct job *j)
{
    size_t got = 0;
    while (got < sizeof *j) {
        ssize_t r = read(fd, (char *)j + got, sizeof *j - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int write_job(int fd, const struct job *j)
{
    /* below PIPE_BUF: one atomic write */
    return write(fd, j, sizeof *j) == (ssize_t)sizeof *j ? 0 : -1;
}

static void stage_main(int v, int in, int out)
{
    struct job j;
    uint64_t cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    while (read_job(in, &j) == 0) {
        j.woke[v] = now_ns(CLOCK_MONOTONIC);
        burn(j.exec[v]);
        j.left[v] = now_ns(CLOCK_MONOTONIC);
        uint64_t c = now_ns(CLOCK_THREAD_CPUTIME_ID);
        j.cpu[v] = c - cpu0;
        if (write_job(out, &j) < 0)
            break;
        cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    }
    _exit(0);
}

struct sink {
    int in;
    int done_fd; /* closed arrivals: one byte per job back to the source */
    unsigned jobs, stages;
    FILE *out, *trace;
};

static void *sink_main(void *arg)
{
    struct sink *s = arg;
    struct job j;
    for (unsigned k = 0; k < s->jobs && read_job(s->in, &j) == 0; k++) {
        fprintf(s->out, "%u %llu", j.id, (unsigned long long)j.release);
        for (unsigned v = 0; v < s->stages; v++)
            fprintf(s->out, " %llu", (unsigned long long)j.left[v]);
        fputc('\n', s->out);
        if (s->trace) {
            fprintf(s->trace, "%u %llu", j.id, (unsigned long long)j.release);
            for (unsigned v = 0; v < s->stages; v++)
                fprintf(s->trace, " %llu %llu %llu",
                        (unsigned long long)j.woke[v],
                        (unsigned long long)j.cpu[v],
                        (unsigned long long)j.left[v]);
            fputc('\n', s->trace);
        }
        if (s->done_fd >= 0) {
            char c = 1;
            if (write(s->done_fd, &c, 1) != 1)
                break;
        }
    }
    return NULL;
}

static void sleep_until(uint64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000ULL),
                          (long)(t % 1000000000ULL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int usage(void)
{
    fputs("usage: workload --stage PMF [--stage PMF ...] --arrival "
          "closed|period:T|sporadic:T --jobs N [--seed S] --pids FILE "
          "--out FILE\n",
          stderr);
    return 64;
}

int main(int argc, char **argv)
{
    struct pmf pmf[MAX_STAGES];
    unsigned n = 0, jobs = 0;
    const char *arrival = "closed", *pids = NULL, *outp = NULL, *tracep = NULL;
    int stage_cpu = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--stage")) {
            if (n == MAX_STAGES || parse_pmf(argv[i + 1], &pmf[n]) < 0) {
                fprintf(stderr, "workload: bad stage '%s'\n", argv[i + 1]);
                return 64;
            }
            n++;
        } else if (!strcmp(argv[i], "--arrival"))
            arrival = argv[i + 1];
        else if (!strcmp(argv[i], "--jobs"))
            jobs = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            rng ^= strtoull(argv[i + 1], NULL, 10) * 0xbf58476d1ce4e5b9ULL;
        else if (!strcmp(argv[i], "--stage-cpu"))
            stage_cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pids"))
            pids = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            outp = argv[i + 1];
        else if (!strcmp(argv[i], "--trace"))
            tracep = argv[i + 1];
        else
            return usage();
    }
    int kind = 0; /* 0 closed, 1 periodic, 2 sporadic */
    uint64_t T = 0;
    if (!strncmp(arrival, "period:", 7)) {
        kind = 1;
        T = parse_time(arrival + 7);
    } else if (!strncmp(arrival, "sporadic:", 9)) {
        kind = 2;
        T = parse_time(arrival + 9);
    } else if (strcmp(arrival, "closed"))
        return usage();
    if (!n || !jobs || !pids || !outp || (kind && (T == 0 || T == UINT64_MAX)))
        return usage();
    /* SIGUSR1 starts the run: blocked now, waited for below */
    sigset_t go;
    sigemptyset(&go);
    sigaddset(&go, SIGUSR1);
    sigprocmask(SIG_BLOCK, &go, NULL);
    int fds[MAX_STAGES + 1][2];
    for (unsigned v = 0; v <= n; v++)
        if (pipe(fds[v]) < 0) {
            perror("workload: pipe");
            return 70;
        }
    pid_t child[MAX_STAGES];
    for (unsigned v = 0; v < n; v++) {
        child[v] = fork();
        if (child[v] < 0) {
            perror("workload: fork");
            return 70;
        }
        if (child[v] == 0) {
            sigprocmask(SIG_UNBLOCK, &go, NULL);
            if (stage_cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(stage_cpu, &set);
                if (sched_setaffinity(0, sizeof set, &set) < 0) {
                    perror("workload: --stage-cpu");
                    _exit(70);
                }
            }
            for (unsigned k = 0; k <= n; k++) {
                if (k != v)
                    close(fds[k][0]);
                if (k != v + 1)
                    close(fds[k][1]);
            }
            stage_main((int)v, fds[v][0], fds[v + 1][1]);
        }
    }
    /* the source writes fds[0], the sink reads fds[n]; the rest is the
     * stages' (a stage sees end of file when the one before it exits) */
    for (unsigned v = 0; v <= n; v++) {
        if (v != n)
            close(fds[v][0]);
        if (v != 0)
            close(fds[v][1]);
    }
    FILE *pf = fopen(pids, "w");
    if (!pf) {
        perror("workload: --pids");
        return 73;
    }
    for (unsigned v = 0; v < n; v++)
        fprintf(pf, "%u %d\n", v, (int)child[v]);
    fclose(pf);
    FILE *out = fopen(outp, "w");
    if (!out) {
        perror("workload: --out");
        return 73;
    }
    int sig;
    sigwait(&go, &sig);
    int done[2] = {-1, -1};
    if (kind == 0 && pipe(done) < 0)
        return 70;
    FILE *trace = tracep ? fopen(tracep, "w") : NULL;
    if (tracep && !trace) {
        perror("workload: --trace");
        return 73;
    }
    struct sink sk = {fds[n][0], done[1], jobs, n, out, trace};
    pthread_t th;
    pthread_create(&th, NULL, sink_main, &sk);
    uint64_t next = now_ns(CLOCK_MONOTONIC) + 10000000;
    for (unsigned k = 0; k < jobs; k++) {
        struct job j = {0};
        j.id = k;
        for (unsigned v = 0; v < n; v++)
            j.exec[v] = draw(&pmf[v]);
        if (kind) {
            sleep_until(next);
            uint64_t gap = T;
            if (kind == 2 && unif() < 0.5)
                gap += (uint64_t)(-log(1 - unif()) * (double)T / 4);
            /* released when written: a source woken late (it runs as
             * SCHED_OTHER beside everything else) releases late, and the
             * next release keeps its distance from this one, so jobs are
             * never closer than the arrival model's T */
            j.release = now_ns(CLOCK_MONOTONIC);
            next = j.release + gap;
        } else {
            /* closed: a short pause, then the next job once the last one
             * left the workflow */
            sleep_until(now_ns(CLOCK_MONOTONIC) + 1000000);
            j.release = now_ns(CLOCK_MONOTONIC);
        }
        if (write_job(fds[0][1], &j) < 0)
            break;
        if (kind == 0) {
            char c;
            if (read(done[0], &c, 1) != 1)
                break;
        }
    }
    pthread_join(th, NULL);
    fclose(out);
    if (trace)
        fclose(trace);
    close(fds[0][1]);
    for (unsigned v = 0; v < n; v++)
        waitpid(child[v], NULL, 0);
    return 0;
}
