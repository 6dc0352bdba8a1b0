/*
 * fuzz_sim: libFuzzer target for what placer simulate and placer trace
 * parse besides JSON documents: trace files (JSON lines, first byte 0)
 * and Standard Workload Format logs (first byte 1).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/load.h"
#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct proto_doc cd = PROTO_DOC_INIT;
    static bool loaded;
    if (!loaded) {
        static const char cluster[] =
            "{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}";
        struct plc_error e = PLC_ERROR_INIT;
        if (proto_doc_load_text(&cd, "c.json", cluster, sizeof cluster - 1,
                                PROTO_DOC_CLUSTER, &e) != 0)
            abort();
        loaded = true;
    }
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct plc_error err = PLC_ERROR_INIT;
    if (data[0] & 1) {
        struct sim_swf_job *jobs = NULL;
        size_t n = 0, unknown = 0;
        int rc = sim_swf_parse("f.swf", text, len, &jobs, &n, &unknown, &err);
        if (rc == 0)
            for (size_t i = 1; i < n; i++)
                if (jobs[i].submit < jobs[i - 1].submit)
                    abort(); /* sorted, always */
        if (rc != 0 && (jobs || !err.msg[0]))
            abort(); /* a failure says why and leaves nothing */
        free(jobs);
    } else {
        struct sim_template tm[2] = {{"w", NULL, 0}, {"v", NULL, 0}};
        struct sim_trace t;
        int rc = sim_trace_parse("t.jsonl", text, len, tm, 2,
                                 (const Placer__Cluster *)cd.msg, &t, &err);
        for (size_t i = 1; rc == 0 && i < t.n; i++)
            if (t.ev[i].t < t.ev[i - 1].t ||
                (t.ev[i].kind == SIM_RELEASE && t.ev[i].of >= i))
                abort(); /* in order; a release after its submission */
        if (rc != 0 && !err.msg[0])
            abort();
        sim_trace_release(&t);
    }
    return 0;
}
