/*
 * bench_load: how fast placer reads what users hand it.  Prints the median
 * of repeated runs for: loading + validating each example, a k=16 fat-tree
 * cluster file (1,024 hosts), importing a GraphML and an SNDlib topology,
 * and parsing one quantity.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "bench_util.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc/buf.h"
#include "plc/limits.h"
#include "plc/quantity.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

#define RUNS 41

static char *read_all(const char *path, size_t *len)
{
    char *s;
    struct plc_error err = PLC_ERROR_INIT;
    if (plc_read_file(path, PLC_INPUT_FILE_MAX, &s, len, &err) < 0) {
        fprintf(stderr, "bench_load: %s\n", err.msg);
        exit(1);
    }
    return s;
}

static void bench_doc(const char *label, const char *text, size_t len)
{
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        struct proto_doc doc = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        double t0 = bench_now_us();
        int rc =
            proto_doc_load_text(&doc, label, text, len, PROTO_DOC_ANY, &err);
        t[i] = bench_now_us() - t0;
        if (rc != 0) {
            fprintf(stderr, "bench_load: %s does not load\n", label);
            exit(1);
        }
        proto_doc_release(&doc);
    }
    printf("  load+validate %-28s %8zu bytes  median %9.1f us\n", label, len,
           bench_median(t, RUNS));
}

static void bench_import(const char *label, const char *path, bool graphml)
{
    size_t len;
    char *text = read_all(path, &len);
    double t[RUNS];
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    for (int i = 0; i < RUNS; i++) {
        Placer__Cluster *c;
        struct plc_buf notes = PLC_BUF_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        double t0 = bench_now_us();
        int rc =
            graphml ? proto_topo_import_graphml(text, len, &o, &c, &notes, &err)
                    : proto_topo_import_sndlib(text, len, &o, &c, &notes, &err);
        t[i] = bench_now_us() - t0;
        if (rc) {
            fprintf(stderr, "bench_load: %s: %s\n", path, err.msg);
            exit(1);
        }
        plc_buf_release(&notes);
        placer__cluster__free_unpacked(c, NULL);
    }
    printf("  import %-35s median %9.1f us\n", label, bench_median(t, RUNS));
    free(text);
}

int main(int argc, char **argv)
{
    const char *top = argc > 1 ? argv[1] : ".";
    char path[1024];
    printf("bench_load (median of %d runs)\n", RUNS);
    const char *examples[] = {"vepc-attach.json", "video-pipeline.json",
                              "control-loop.json", "abilene.json"};
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        snprintf(path, sizeof path, "%s/examples/%s", top, examples[i]);
        size_t len;
        char *text = read_all(path, &len);
        bench_doc(examples[i], text, len);
        free(text);
    }
    /* a large cluster file: the k=16 fat-tree as placer prints it */
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 32;
    o.memory_bytes = 256ULL << 30;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree(16, &o, &c, &err) < 0)
        return 1;
    json_t *j = proto_message_to_json(&c->base, 0);
    char *ft = json_dumps(j, PROTO_JSON_DUMP_FLAGS);
    bench_doc("fat-tree k=16 (1024 hosts)", ft, strlen(ft));
    free(ft);
    json_decref(j);
    placer__cluster__free_unpacked(c, NULL);

    snprintf(path, sizeof path,
             "%s/tests/data/topologies/zoo/Uninett2011.graphml", top);
    bench_import("graphml Uninett2011 (69 nodes)", path, true);
    snprintf(path, sizeof path, "%s/tests/data/topologies/sndlib/germany50.txt",
             top);
    bench_import("sndlib germany50 (50 nodes)", path, false);

    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_us();
        uint64_t sum = 0, v;
        for (int i = 0; i < 100000; i++)
            if (plc_qty_parse(PLC_QTY_TIME, "1.25ms", &v, NULL) == 0)
                sum += v;
        t[r] = (bench_now_us() - t0) / 100000 * 1000;
        if (sum != 125000000000ULL)
            return 1;
    }
    printf("  parse one quantity (\"1.25ms\")            median %9.1f ns\n",
           bench_median(t, RUNS));
    return 0;
}
