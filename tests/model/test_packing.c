/* A workflow of 120 services and no links is a bin-packing problem: three
 * Falkenauer u120 instances (bench/data, with BPPLIB's proven optima; three
 * that minimum bin slack and first fit decreasing alone miss by one host)
 * are packed into the optimal number of hosts, proven optimal, and no host
 * holds more than its memory. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/load.h"

#define CAP_MIB 150

/* Instance k of the file: its item sizes (MiB) and count. */
static int read_instance(int k, int *size)
{
    FILE *f = fopen(PLACER_SOURCE_DIR "/bench/data/falkenauer_u120.txt", "r");
    cr_assert_not_null(f);
    int count, n = 0;
    cr_assert_eq(fscanf(f, "%d", &count), 1);
    for (int i = 0; i <= k; i++) {
        char name[64];
        int cap, best;
        cr_assert_eq(fscanf(f, "%63s %d %d %d", name, &cap, &n, &best), 4);
        cr_assert_eq(cap, CAP_MIB);
        for (int j = 0; j < n; j++)
            cr_assert_eq(fscanf(f, "%d", &size[j]), 1);
    }
    fclose(f);
    return n;
}

static int optimum(int k)
{
    FILE *f =
        fopen(PLACER_SOURCE_DIR "/bench/data/falkenauer_u120_optima.txt", "r");
    cr_assert_not_null(f);
    char name[64];
    int lo = 0, hi = 0;
    for (int i = 0; i <= k; i++)
        cr_assert_eq(fscanf(f, "%63s %d %d", name, &lo, &hi), 3);
    fclose(f);
    cr_assert_eq(lo, hi, "the optimum of instance %d is not known", k);
    return hi;
}

static void packs_optimally(int k)
{
    int size[512], n = read_instance(k, size), opt = optimum(k);
    char *w = malloc(64 + (size_t)n * 64), *c = malloc(64 + 64 * 64);
    char *p = w + sprintf(w, "{\"name\": \"u\", \"objective\": \"hosts\", "
                             "\"services\": [");
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s{\"name\": \"i%d\", \"memory\": \"%dMiB\"}",
                     i ? ", " : "", i, size[i]);
    sprintf(p, "]}");
    p = c + sprintf(c, "{\"hosts\": [");
    for (int h = 0; h < opt + 3; h++)
        p += sprintf(p, "%s{\"name\": \"b%d\", \"memory\": \"%dMiB\"}",
                     h ? ", " : "", h, CAP_MIB);
    sprintf(p, "]}");
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    struct model_problem mp;
    struct place_plan plan;
    cr_assert_eq(
        proto_doc_load_text(&cd, "c", c, strlen(c), PROTO_DOC_CLUSTER, &err),
        0);
    cr_assert_eq(
        proto_doc_load_text(&wd, "w", w, strlen(w), PROTO_DOC_WORKFLOW, &err),
        0);
    cr_assert_eq(model_problem_build(&mp, (const void *)cd.msg,
                                     (const void *)wd.msg, 0, 10, &err),
                 0, "%s", err.msg);
    cr_assert_eq(place_solve(&mp.problem, &plan, &err), 0, "%s", err.msg);
    cr_assert(plan.admitted, "%s", plan.message);
    cr_assert_eq(plan.status, PLACE_OPTIMAL);
    cr_assert_eq((int)(plan.objective + 0.5), opt);
    /* the packing itself, counted here */
    long used[64] = {0};
    int hosts = 0;
    for (int i = 0; i < n; i++) {
        size_t h = plan.services[i].host;
        cr_assert_lt(h, (size_t)(opt + 3));
        hosts += used[h] == 0;
        used[h] += size[i];
        cr_assert_leq(used[h], CAP_MIB, "host b%zu over its memory", h);
    }
    cr_assert_eq(hosts, opt);
    cr_log_info("u120_%02d: %d hosts, proven optimal in %.0f ms", k, hosts,
                plan.time_ms);
    place_plan_release(&plan);
    model_problem_release(&mp);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
    free(w);
    free(c);
}

Test(packing, falkenauer_u120_08_reaches_its_proven_optimum)
{
    packs_optimally(8);
}

Test(packing, falkenauer_u120_00_reaches_its_proven_optimum)
{
    packs_optimally(0);
}

Test(packing, falkenauer_u120_17_reaches_its_proven_optimum)
{
    packs_optimally(17);
}
