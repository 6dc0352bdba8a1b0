/*
 * fuzz_import: libFuzzer target for the topology importers (GraphML via
 * libxml2, SNDlib native), which read files users download from the web.
 * The first byte picks the format; whatever imports must be a valid
 * cluster.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto/topo.h"
#include "proto/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.hosts_per_node = data[0] & 2 ? 2 : 0;
    Placer__Cluster *c = NULL;
    struct plc_buf notes = PLC_BUF_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    const char *text = (const char *)data + 1;
    int rc =
        data[0] & 1
            ? proto_topo_import_graphml(text, size - 1, &o, &c, &notes, &err)
            : proto_topo_import_sndlib(text, size - 1, &o, &c, &notes, &err);
    if (rc == 0) {
        struct plc_diags d = PLC_DIAGS_INIT;
        proto_cluster_validate(c, &d);
        /* duplicate names after renaming would be an importer bug */
        if (d.n && !d.oom)
            abort();
        plc_diags_release(&d);
        placer__cluster__free_unpacked(c, NULL);
    }
    plc_buf_release(&notes);
    return 0;
}
