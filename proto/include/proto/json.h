/*
 * proto/json.h: the one JSON <-> protobuf mapping of placer, driven by the
 * protobuf-c descriptors (no hand-written code per message).
 *
 * The mapping rules are stated at the top of proto/placer.proto: field
 * names as keys, Time/Rate/Size as strings with units, enums as lower-case
 * names, maps as objects, `items`-only messages as arrays, single-oneof
 * messages as scalars.
 */
#ifndef PROTO_JSON_H
#define PROTO_JSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "plc/diag.h"
#include "proto/placer.pb-c.h"

/*
 * Build a message of type `desc` from `json`.  Every problem (wrong type,
 * unknown field with the accepted ones listed, bad quantity, unknown enum
 * value) is recorded in `diags` under `path` (the path of `json` itself, ""
 * for a document), and the offending field is left unset, so that the
 * caller can continue and report all problems at once.
 *
 * Returns the message, or NULL when `json` is not even of the right JSON
 * type or memory ran out.  Caller owns the result; free with
 * protobuf_c_message_free_unpacked(msg, NULL).
 */
ProtobufCMessage *proto_json_to_message(const ProtobufCMessageDescriptor *desc,
                                        const json_t *json, const char *path,
                                        struct plc_diags *diags);

enum proto_json_flags {
    /* print repeated fields with no elements as [] (plan documents) */
    PROTO_JSON_EMPTY_ARRAYS = 1 << 0,
};

/* The JSON form of `msg`.  Caller owns the result (json_decref); NULL when
 * memory ran out. */
json_t *proto_message_to_json(const ProtobufCMessage *msg, unsigned flags);

/* Flags for json_dumps/json_dumpf that every placer document uses:
 * two-space indentation and 15 significant digits for reals. */
#define PROTO_JSON_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

/* The JSON name of enum value `v` of `desc` ("union"), or NULL if none. */
const char *proto_enum_json_name(const ProtobufCEnumDescriptor *desc, int v,
                                 char *buf, size_t size);

/* The JSON names of all values of `desc`, comma separated, into buf. */
void proto_enum_json_names(const ProtobufCEnumDescriptor *desc, char *buf,
                           size_t size);

#endif
