/*
 * fuzz_load: libFuzzer target for the document loader, the part of placer
 * that parses untrusted bytes: jansson parsing, the descriptor-driven
 * mapping, validation, the path locator, and printing back to JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json.h"
#include "proto/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = proto_doc_load_text(&doc, "fuzz.json", (const char *)data, size,
                                 PROTO_DOC_ANY, &err);
    if (sink)
        proto_doc_print_diags(&doc, sink);
    if (doc.msg) {
        /* whatever was mapped must print, and a valid document must load
         * again from its own print */
        json_t *j = proto_message_to_json(doc.msg, PROTO_JSON_EMPTY_ARRAYS);
        char *text = j ? json_dumps(j, PROTO_JSON_DUMP_FLAGS) : NULL;
        if (rc == 0 && text) {
            struct proto_doc again = PROTO_DOC_INIT;
            int rc2 = proto_doc_load_text(&again, "again.json", text,
                                          strlen(text), doc.kind, &err);
            if (rc2 != 0 && doc.kind != PROTO_DOC_PLAN) {
                fprintf(stderr, "reprint of a valid %s is invalid:\n%s\n",
                        proto_doc_kind_name(doc.kind), text);
                proto_doc_print_diags(&again, stderr);
                abort();
            }
            proto_doc_release(&again);
        }
        free(text);
        json_decref(j);
    }
    proto_doc_release(&doc);
    return 0;
}
