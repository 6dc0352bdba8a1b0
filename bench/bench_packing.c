/*
 * bench_packing: a workflow of 120 services and no links is a packing
 * problem.  Each Falkenauer u120 instance (capacity 150) becomes hosts with
 * 150 MiB of memory (the proven optimum plus 3 of them, all alike) and 120
 * services whose memory is the item size in MiB, objective "hosts".  Prints
 * per instance the hosts placer uses, the proven optimum (BPPLIB), the
 * solver status and time, with a 10 s limit each.
 */
#define _POSIX_C_SOURCE 200809L
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

static char *cluster_json(int hosts)
{
    char *c = malloc(64 + (size_t)hosts * 64), *p = c;
    p += sprintf(p, "{\"hosts\": [");
    for (int h = 0; h < hosts; h++)
        p += sprintf(p, "%s{\"name\": \"b%d\", \"memory\": \"150MiB\"}",
                     h ? ", " : "", h);
    sprintf(p, "]}");
    return c;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "bench/data";
    double limit = argc > 2 ? atof(argv[2]) : 10;
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
    int reached = 0, proven = 0;
    double total = 0;
    for (int k = 0; k < count; k++) {
        char name[64], oname[64];
        int header, lo, hi;
        char *wj = instance_json(f, &header, name);
        if (!wj || fscanf(o, "%63s %d %d", oname, &lo, &hi) != 3)
            return 1;
        char *cj = cluster_json(hi + 3);
        struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        struct model_problem mp;
        struct place_plan plan;
        if (proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER,
                                &err) ||
            proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW,
                                &err) ||
            model_problem_build(&mp, (const void *)cd.msg, (const void *)wd.msg,
                                0, limit, &err) ||
            place_solve(&mp.problem, &plan, &err)) {
            fprintf(stderr, "bench_packing: %s: %s\n", name, err.msg);
            return 1;
        }
        int used = plan.admitted ? (int)(plan.objective + 0.5) : -1;
        reached += used == hi;
        proven += plan.status == PLACE_OPTIMAL && used == hi;
        total += plan.time_ms;
        printf("  %-8s hosts %3d  optimum %3d  %-9s %8.1f ms\n", name, used, hi,
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
        free(wj);
    }
    printf("  reached the optimum: %d/%d, proven optimal: %d/%d, total "
           "%.1f s\n",
           reached, count, proven, count, total / 1000);
    return 0;
}
