/* bench_util.h: timing helpers the benchmarks share (header-only). */
#ifndef PLACER_BENCH_UTIL_H
#define PLACER_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n-1] (sorts v). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n ? v[n / 2] : 0;
}

/* The p-quantile of v[0..n-1] (sorts v). */
static inline double bench_pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n ? v[(int)((n - 1) * p)] : 0;
}

/* The service benchmarks' workflow: `services` stages of `wcet` every 10
 * ms behind a user at `node`, named `name`, 1 Mbit links (JSON text). */
static inline int bench_workflow_json(char *j, size_t len, const char *name,
                                      const char *node, int services,
                                      const char *wcet)
{
    char *p = j, *e = j + len;
    p += snprintf(p, (size_t)(e - p),
                  "{\"name\": \"%s\", \"tenant\": \"bench\", \"deadline\": "
                  "\"100ms\", \"endpoints\": [{\"name\": \"u\", \"node\": "
                  "\"%s\"}], \"services\": [",
                  name, node);
    for (int i = 0; i < services; i++)
        p += snprintf(p, (size_t)(e - p),
                      "%s{\"name\": \"s%d\", \"exec_time\": {\"wcet\": "
                      "\"%s\"}, \"reservation\": {\"periods\": [\"10ms\"], "
                      "\"budgets\": [\"%s\"]}}",
                      i ? ", " : "", i, wcet, wcet);
    p += snprintf(p, (size_t)(e - p), "], \"links\": [");
    for (int i = 0; i < services; i++) {
        char prev[16];
        snprintf(prev, sizeof prev, i ? "s%d" : "u", i - 1);
        p += snprintf(p, (size_t)(e - p),
                      "%s{\"from\": \"%s\", \"to\": \"s%d\", \"rate\": "
                      "\"1Mbit\"}",
                      i ? ", " : "", prev, i);
    }
    p += snprintf(p, (size_t)(e - p), "]}");
    return (int)(p - j);
}

#endif
