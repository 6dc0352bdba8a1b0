/*
 * bench_analysis: the cost of the scheduler/ computations placer runs per
 * admission.  Prints medians of repeated runs:
 *   - a minimum EDF interface (sched_min_budget, period 5 ms) for random
 *     10-, 50- and 100-task sets with periods from 10 ms to 1 s, U = 0.5;
 *   - the same under rate-monotonic priorities;
 *   - the end-to-end distribution of a 10-stage chain whose stages have
 *     100-point execution-time pmfs: (a) as placer uses it, through each
 *     stage's reservation (response times ceil(C/Q) P); (b) the raw pmfs
 *     on a 10 us lattice convolved directly.
 * Targets (issue 3): a 50-task interface under 1 ms, a 10-stage
 * convolution under 1 ms.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>

#include "bench_util.h"
#include <stdlib.h>
#include <time.h>

#include "sched/compose.h"
#include "sched/prob.h"
#include "sched/reserve.h"

#define RUNS 31
#define MS 1000000ULL

/* n tasks, periods from a harmonic-ish menu, total utilisation `u` */
static void task_set(struct sched_task *t, size_t n, double u)
{
    static const uint64_t periods[] = {10,  20,  25,  40,  50,  80,
                                       100, 125, 200, 250, 500, 1000};
    for (size_t i = 0; i < n; i++) {
        uint64_t p = periods[rand() % 12] * MS;
        uint64_t c = (uint64_t)((double)p * u / (double)n);
        t[i] = (struct sched_task){c ? c : 1000, p, p};
    }
}

static void bench_interface(size_t n, enum sched_policy pol, const char *name)
{
    double t[RUNS];
    struct sched_task *ts = malloc(n * sizeof *ts);
    uint64_t q = 0;
    for (int r = 0; r < RUNS; r++) {
        task_set(ts, n, 0.5);
        double t0 = bench_now_us();
        if (sched_min_budget(ts, n, pol, 5 * MS, &q) < 0)
            exit(1);
        t[r] = bench_now_us() - t0;
    }
    printf("  %s interface, %3zu tasks, period 5ms       median %9.1f us\n",
           name, n, bench_median(t, RUNS));
    free(ts);
}

static void random_exec(struct sched_dist *d, uint64_t grid)
{
    uint64_t t[100];
    double p[100], s = 0;
    for (int i = 0; i < 100; i++) {
        t[i] = (uint64_t)(10 + rand() % 490) * grid; /* 0.1 .. 5 ms */
        p[i] = 0.1 + (double)rand() / RAND_MAX;
        s += p[i];
    }
    for (int i = 0; i < 100; i++)
        p[i] /= s;
    sched_dist_from_pmf(d, t, p, 100);
}

static void bench_chain(bool through_reservations)
{
    double t[RUNS];
    size_t points = 0;
    for (int r = 0; r < RUNS; r++) {
        struct sched_dist stage[10], e2e = SCHED_DIST_INIT;
        struct sched_dag_edge edges[9];
        for (int v = 0; v < 10; v++) {
            struct sched_dist exec = SCHED_DIST_INIT;
            stage[v] = (struct sched_dist)SCHED_DIST_INIT;
            random_exec(&exec, 10000);
            if (through_reservations)
                sched_response_dist(&stage[v], &exec, 1 * MS, 2 * MS);
            else
                sched_dist_copy(&stage[v], &exec);
            sched_dist_release(&exec);
            if (v)
                edges[v - 1] =
                    (struct sched_dag_edge){(size_t)v - 1, (size_t)v, 50000};
        }
        bool exact;
        double t0 = bench_now_us();
        if (sched_e2e_dist(stage, 10, edges, 9, &e2e, &exact) < 0)
            exit(1);
        t[r] = bench_now_us() - t0;
        points = e2e.n;
        sched_dist_release(&e2e);
        for (int v = 0; v < 10; v++)
            sched_dist_release(&stage[v]);
    }
    printf("  10-stage chain, %s  median %9.1f us (%zu points)\n",
           through_reservations ? "(a) response times (Q=1ms, P=2ms)"
                                : "(b) raw 100-point pmfs, 10us grid ",
           bench_median(t, RUNS), points);
}

int main(void)
{
    srand(1);
    printf("bench_analysis (median of %d runs)\n", RUNS);
    bench_interface(10, SCHED_POLICY_EDF, "EDF");
    bench_interface(50, SCHED_POLICY_EDF, "EDF");
    bench_interface(100, SCHED_POLICY_EDF, "EDF");
    bench_interface(10, SCHED_POLICY_RM, "RM ");
    bench_interface(50, SCHED_POLICY_RM, "RM ");
    bench_interface(100, SCHED_POLICY_RM, "RM ");
    bench_chain(true);
    bench_chain(false);
    return 0;
}
