/*
 * bench_packing: a workflow of 120 services and no links is a packing
 * problem.  Each Falkenauer u120 instance (capacity 150) becomes hosts with
 * 150 MiB of memory (the proven optimum plus 3 of them, all alike) and 120
 * services whose memory is the item size in MiB, objective "hosts".  Prints
 * per instance the hosts placer uses, the proven optimum (BPPLIB), the
 * solver status and time, with a 10 s limit each.
 *
 * bench_packing DIR LIMIT t120 [SEED]: instead, 20 triplet instances of
 * 120 items generated as Falkenauer's t120 set was (E. Falkenauer, A
 * hybrid grouping genetic algorithm for bin packing, J. Heuristics 2,
 * 1996): capacity 1000, each bin's first item uniform in 380-490, the
 * second uniform in 250 to half the space left, the third what fills the
 * bin; so every item is above 250 and the optimum is exactly 40 bins (the
 * sizes add up to 40 x 1000), from SEED (default 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/load.h"

static char *instance_json(FILE *f, int *opt_header, char *name)
{
    int cap, n, best;
    if (fscanf(f, "%63s %d %d %d", name, &cap, &n, &best) != 4)
        return NULL;
    *opt_header = best;
    size_t size = 64 + (size_t)n * 64;
    char *w = malloc(size), *p = w;
    p += sprintf(p,
                 "{\"name\": \"%s\", \"objective\": \"hosts\", "
                 "\"services\": [",
                 name);
    for (int i = 0; i < n; i++) {
        int s;
        if (fscanf(f, "%d", &s) != 1)
            return NULL;
        p += sprintf(p, "%s{\"name\": \"i%d\", \"memory\": \"%dMiB\"}",
                     i ? ", " : "", i, s);
    }
    sprintf(p, "]}");
    return w;
}

static char *cluster_json(int hosts, int cap)
{
    char *c = malloc(64 + (size_t)hosts * 64), *p = c;
    p += sprintf(p, "{\"hosts\": [");
    for (int h = 0; h < hosts; h++)
        p += sprintf(p, "%s{\"name\": \"b%d\", \"memory\": \"%dMiB\"}",
                     h ? ", " : "", h, cap);
    sprintf(p, "]}");
    return c;
}

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int uniform(int lo, int hi) /* lo..hi */
{
    return lo + (int)(rng_next() % (uint64_t)(hi - lo + 1));
}

/* One triplet instance of n items (n / 3 bins of 1000), shuffled. */
static char *triplet_json(int n, const char *name)
{
    int *size = malloc((size_t)n * sizeof *size);
    for (int b = 0; b + 2 < n; b += 3) {
        int a = uniform(380, 490), left = 1000 - a;
        int c = uniform(250, left / 2);
        size[b] = a;
        size[b + 1] = c;
        size[b + 2] = left - c;
    }
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rng_next() % (uint64_t)(i + 1)), t = size[i];
        size[i] = size[j];
        size[j] = t;
    }
    char *w = malloc(64 + (size_t)n * 64), *p = w;
    p += sprintf(p,
                 "{\"name\": \"%s\", \"objective\": \"hosts\", "
                 "\"services\": [",
                 name);
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s{\"name\": \"i%d\", \"memory\": \"%dMiB\"}",
                     i ? ", " : "", i, size[i]);
    sprintf(p, "]}");
    free(size);
    return w;
}

struct tally {
    int reached, proven;
    double total_ms;
};

/* Plan one instance on `hosts` bins of `cap` MiB against the optimum
 * `opt`, print its line; 0 or -1. */
static int run_one(const char *name, const char *wj, int hosts, int cap,
                   int opt, double limit, struct tally *t)
{
    char *cj = cluster_json(hosts, cap);
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    struct model_problem mp;
    struct place_plan plan;
    if (proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER,
                            &err) ||
        proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW,
                            &err) ||
        model_problem_build(&mp, (const void *)cd.msg, (const void *)wd.msg, 0,
                            limit, &err) ||
        place_solve(&mp.problem, &plan, &err)) {
        fprintf(stderr, "bench_packing: %s: %s\n", name, err.msg);
        free(cj);
        return -1;
    }
    int used = plan.admitted ? (int)(plan.objective + 0.5) : -1;
    t->reached += used == opt;
    t->proven += plan.status == PLACE_OPTIMAL && used == opt;
    t->total_ms += plan.time_ms;
    printf("  %-8s hosts %3d  optimum %3d  %-9s %8.1f ms\n", name, used, opt,
           plan.status == PLACE_OPTIMAL    ? "optimal"
           : plan.status == PLACE_FEASIBLE ? "feasible"
                                           : "no plan",
           plan.time_ms);
    fflush(stdout);
    place_plan_release(&plan);
    model_problem_release(&mp);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
    free(cj);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "bench/data";
    double limit = argc > 2 ? atof(argv[2]) : 10;
    if (argc > 3 && !strcmp(argv[3], "t120")) {
        rng_state = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
        printf("bench_packing: triplets t120 (generated, seed %llu), 20 "
               "instances, %.0f s each\n",
               (unsigned long long)rng_state, limit);
        struct tally t = {0, 0, 0};
        for (int k = 0; k < 20; k++) {
            char name[32];
            snprintf(name, sizeof name, "t120_%02d", k);
            char *wj = triplet_json(120, name);
            /* the optimum plus 3 bins, as for u120 */
            if (run_one(name, wj, 43, 1000, 40, limit, &t) < 0)
                return 1;
            free(wj);
        }
        printf("  reached the optimum: %d/20, proven optimal: %d/20, total "
               "%.1f s\n",
               t.reached, t.proven, t.total_ms / 1000);
        return 0;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/falkenauer_u120.txt", dir);
    FILE *f = fopen(path, "r");
    snprintf(path, sizeof path, "%s/falkenauer_u120_optima.txt", dir);
    FILE *o = fopen(path, "r");
    if (!f || !o) {
        fprintf(stderr, "bench_packing: cannot open the data in %s\n", dir);
        return 1;
    }
    int count;
    if (fscanf(f, "%d", &count) != 1)
        return 1;
    printf("bench_packing: Falkenauer u120, %d instances, %.0f s each\n", count,
           limit);
    struct tally t = {0, 0, 0};
    for (int k = 0; k < count; k++) {
        char name[64], oname[64];
        int header, lo, hi;
        char *wj = instance_json(f, &header, name);
        if (!wj || fscanf(o, "%63s %d %d", oname, &lo, &hi) != 3)
            return 1;
        if (run_one(name, wj, hi + 3, 150, hi, limit, &t) < 0)
            return 1;
        free(wj);
    }
    printf("  reached the optimum: %d/%d, proven optimal: %d/%d, total "
           "%.1f s\n",
           t.reached, count, t.proven, count, t.total_ms / 1000);
    return 0;
}
