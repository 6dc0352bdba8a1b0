/* seed_request DIR FILE...: each cluster or workflow file as the bytes of
 * a cluster_apply or submit Request in DIR (seeds for fuzz_request). */
#include <stdio.h>
#include <stdlib.h>

#include "proto/load.h"

int main(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        struct proto_doc doc = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        if (proto_doc_load_file(&doc, argv[i], PROTO_DOC_ANY, &err) != 0 ||
            (doc.kind != PROTO_DOC_CLUSTER && doc.kind != PROTO_DOC_WORKFLOW)) {
            proto_doc_release(&doc);
            continue;
        }
        Placer__Request r = PLACER__REQUEST__INIT;
        Placer__SubmitRequest s = PLACER__SUBMIT_REQUEST__INIT;
        Placer__ClusterApplyRequest a = PLACER__CLUSTER_APPLY_REQUEST__INIT;
        r.has_protocol_version = 1;
        r.protocol_version = 1;
        if (doc.kind == PROTO_DOC_WORKFLOW) {
            s.workflow = (Placer__Workflow *)doc.msg;
            r.op_case = PLACER__REQUEST__OP_SUBMIT;
            r.submit = &s;
        } else {
            a.cluster = (Placer__Cluster *)doc.msg;
            r.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
            r.cluster_apply = &a;
        }
        size_t len = placer__request__get_packed_size(&r);
        unsigned char *buf = malloc(len + 1);
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%d.pb", argv[1], i);
        FILE *f = fopen(path, "wb");
        if (buf && f) {
            placer__request__pack(&r, buf);
            fwrite(buf, 1, len, f);
        }
        if (f)
            fclose(f);
        free(buf);
        proto_doc_release(&doc);
    }
    return 0;
}
