/* steal.c: the host's steal of the reserved CPUs, as an envelope over
 * window lengths (agent/steal.h). */
#include "agent/steal.h"
#include "plc/error.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const uint64_t agent_steal_windows_ns[AGENT_STEAL_WINDOWS] = {
    100000000ULL,  200000000ULL,   500000000ULL,   1000000000ULL, 2000000000ULL,
    5000000000ULL, 10000000000ULL, 30000000000ULL, 60000000000ULL};

int agent_steal_init(struct agent_steal *s, const int *cpus, int n)
{
    memset(s, 0, sizeof *s);
    if (n > AGENT_STEAL_CPUS)
        n = AGENT_STEAL_CPUS;
    if (n <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 && online < AGENT_STEAL_CPUS ? (int)online
                                                    : AGENT_STEAL_CPUS;
        for (int i = 0; i < n; i++)
            s->cpu[i] = i;
    } else
        memcpy(s->cpu, cpus, (size_t)n * sizeof *cpus);
    s->n_cpus = n;
    long hz = sysconf(_SC_CLK_TCK);
    s->tick_ns = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
    /* the longest window and two samples more */
    s->cap = (size_t)(agent_steal_windows_ns[AGENT_STEAL_WINDOWS - 1] /
                      AGENT_STEAL_SAMPLE_NS) +
             64;
    s->t_ns = calloc(s->cap, sizeof *s->t_ns);
    s->s_ns = calloc(s->cap * (size_t)n, sizeof *s->s_ns);
    if (!s->t_ns || !s->s_ns) {
        agent_steal_release(s);
        return PLC_ENOMEM;
    }
    return 0;
}

void agent_steal_release(struct agent_steal *s)
{
    free(s->t_ns);
    free(s->s_ns);
    s->t_ns = s->s_ns = NULL;
    s->cap = s->count = 0;
}

int agent_steal_parse(const struct agent_steal *s, const char *stat,
                      uint64_t *out_ns)
{
    for (int i = 0; i < s->n_cpus; i++) {
        char tag[24];
        snprintf(tag, sizeof tag, "\ncpu%d ", s->cpu[i]);
        const char *p = strstr(stat, tag);
        if (!p)
            return PLC_EDATA;
        p += strlen(tag);
        /* user nice system idle iowait irq softirq steal */
        unsigned long long v[8];
        if (sscanf(p, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
            return PLC_EDATA;
        out_ns[i] = v[7] * s->tick_ns;
    }
    return 0;
}

static size_t slot(const struct agent_steal *s, size_t k)
{
    /* k-th sample from the oldest */
    return (s->head + s->cap - s->count + k) % s->cap;
}

bool agent_steal_add(struct agent_steal *s, uint64_t now_ns,
                     const uint64_t *counters_ns)
{
    if (!s->cap)
        return false;
    if (s->count && now_ns <= s->t_ns[slot(s, s->count - 1)])
        return false; /* time must advance */
    s->t_ns[s->head] = now_ns;
    for (int c = 0; c < s->n_cpus; c++) {
        s->s_ns[s->head * (size_t)s->n_cpus + (size_t)c] = counters_ns[c];
        s->seen |= counters_ns[c] > 0;
    }
    s->head = (s->head + 1) % s->cap;
    if (s->count < s->cap)
        s->count++;
    if (s->count < 2)
        return false;
    size_t b = s->count - 1;
    uint64_t prev = s->t_ns[slot(s, b - 1)];
    const uint64_t *sb = &s->s_ns[slot(s, b) * (size_t)s->n_cpus];
    bool grew = false;
    for (int w = 0; w < AGENT_STEAL_WINDOWS; w++) {
        uint64_t W = agent_steal_windows_ns[w];
        if (prev < W || prev - W < s->t_ns[slot(s, 0)])
            continue; /* not covered yet */
        /* every window of length W ending in (t_{b-1}, t_b] starts at or
         * after t_{b-1} - W: the last sample at or before that holds it */
        size_t a = b - 1;
        while (a > 0 && s->t_ns[slot(s, a)] > prev - W)
            a--;
        const uint64_t *sa = &s->s_ns[slot(s, a) * (size_t)s->n_cpus];
        uint64_t most = 0;
        for (int c = 0; c < s->n_cpus; c++)
            if (sb[c] > sa[c] && sb[c] - sa[c] > most)
                most = sb[c] - sa[c];
        uint64_t bound = s->seen ? most + s->tick_ns : 0;
        if (bound > W)
            bound = W;
        if (bound > s->stolen_ns[w]) {
            s->stolen_ns[w] = bound;
            grew = true;
        }
    }
    return grew;
}

bool agent_steal_sample(struct agent_steal *s, const char *path,
                        uint64_t now_ns)
{
    FILE *f = fopen(path ? path : "/proc/stat", "r");
    if (!f)
        return false;
    /* a leading newline so that every CPU line matches "\ncpuN " */
    char buf[65536];
    buf[0] = '\n';
    size_t n = fread(buf + 1, 1, sizeof buf - 2, f);
    fclose(f);
    buf[n + 1] = 0;
    uint64_t c[AGENT_STEAL_CPUS];
    if (agent_steal_parse(s, buf, c) != 0)
        return false;
    return agent_steal_add(s, now_ns, c);
}

int agent_steal_save(const struct agent_steal *s, const char *path,
                     const char *boot)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return errno;
    fprintf(f, "steal-v1 %s %d", boot, s->seen ? 1 : 0);
    for (int w = 0; w < AGENT_STEAL_WINDOWS; w++)
        fprintf(f, " %llu", (unsigned long long)s->stolen_ns[w]);
    fputc('\n', f);
    int e = fclose(f) == 0 ? 0 : errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    return e;
}

bool agent_steal_load(struct agent_steal *s, const char *path, const char *boot)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char tag[16], was[64];
    int seen;
    unsigned long long v[AGENT_STEAL_WINDOWS];
    int got = fscanf(f, "%15s %63s %d", tag, was, &seen);
    for (int w = 0; got == 3 && w < AGENT_STEAL_WINDOWS; w++)
        if (fscanf(f, "%llu", &v[w]) != 1)
            got = 0;
    fclose(f);
    if (got != 3 || strcmp(tag, "steal-v1") || strcmp(was, boot))
        return false;
    s->seen |= seen != 0;
    for (int w = 0; w < AGENT_STEAL_WINDOWS; w++)
        if (v[w] > s->stolen_ns[w])
            s->stolen_ns[w] = v[w] <= agent_steal_windows_ns[w]
                                  ? v[w]
                                  : agent_steal_windows_ns[w];
    return true;
}
