/*
 * fuzz_request: libFuzzer target for what placerd does with the bytes of
 * a client frame before it plans: protobuf-c unpacking of a Request, the
 * validation of the workflow or cluster it carries (on messages no JSON
 * loader built, so any field may be missing), the references of a
 * workflow into a fixed k=4 fat-tree, and for a valid one placerd's
 * decision path (model_plan: the problem, the solver, the document).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "proto/topo.h"
#include "proto/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static Placer__Cluster *cluster(void)
{
    static Placer__Cluster *c;
    if (!c) {
        struct proto_topo_opts o;
        proto_topo_opts_init(&o);
        struct plc_error err = PLC_ERROR_INIT;
        if (proto_topo_fat_tree(4, &o, &c, &err) < 0)
            abort();
    }
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Placer__Request *r = placer__request__unpack(NULL, size, data);
    if (!r)
        return 0;
    struct plc_diags d = PLC_DIAGS_INIT;
    if (r->op_case == PLACER__REQUEST__OP_SUBMIT && r->submit->workflow) {
        const Placer__Workflow *w = r->submit->workflow;
        proto_workflow_validate(w, &d);
        if (d.n == 0)
            proto_workflow_validate_refs(w, cluster(), &d);
        if (d.n == 0) {
            /* placerd's decision path, down to the solver (10 ms) */
            struct model_problem mp;
            struct place_plan plan;
            Placer__Plan *doc = NULL;
            memset(&mp, 0, sizeof mp);
            memset(&plan, 0, sizeof plan);
            struct plc_error err = PLC_ERROR_INIT;
            model_plan(&mp, cluster(), NULL, w, 0, 0.01, NULL, &plan, &doc,
                       &err);
            if (doc)
                placer__plan__free_unpacked(doc, NULL);
            place_plan_release(&plan);
            model_problem_release(&mp);
        }
    } else if (r->op_case == PLACER__REQUEST__OP_CLUSTER_APPLY &&
               r->cluster_apply->cluster) {
        proto_cluster_validate(r->cluster_apply->cluster, &d);
    }
    plc_diags_release(&d);
    placer__request__free_unpacked(r, NULL);
    return 0;
}
