/*
 * json.c: JSON <-> protobuf-c messages through the descriptors.
 *
 * protobuf-c keeps no JSON mapping of its own, and the FORMATS.md files are
 * not proto3-JSON (units in strings, lower-case enums, arrays of arrays), so
 * this module walks the descriptors generically.  Messages it builds are
 * allocated with malloc, exactly as protobuf_c_message_free_unpacked() with
 * the default allocator expects, so that one function frees them.
 */
#include "proto/json.h"
#include "plc/buf.h"
#include "plc/error.h"
#include "plc/quantity.h"

#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

/* ---- descriptor helpers ------------------------------------------------ */

static bool quantity_kind(const ProtobufCMessageDescriptor *d,
                          enum plc_qty_kind *kind)
{
    if (d == &placer__time__descriptor)
        *kind = PLC_QTY_TIME;
    else if (d == &placer__rate__descriptor)
        *kind = PLC_QTY_RATE;
    else if (d == &placer__size__descriptor)
        *kind = PLC_QTY_SIZE;
    else
        return false;
    return true;
}

/* A message whose only field is `repeated ... items` maps to an array. */
static bool is_items_message(const ProtobufCMessageDescriptor *d)
{
    return d->n_fields == 1 &&
           d->fields[0].label == PROTOBUF_C_LABEL_REPEATED &&
           strcmp(d->fields[0].name, "items") == 0;
}

/* A message whose fields all belong to one oneof maps to a scalar. */
static bool is_scalar_message(const ProtobufCMessageDescriptor *d)
{
    if (d->n_fields == 0)
        return false;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (!(d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
            d->fields[i].quantifier_offset != d->fields[0].quantifier_offset)
            return false;
    return true;
}

/* protoc generates map<K, V> as a repeated nested `XxxEntry` message with
 * fields key = 1 and value = 2. */
static bool is_map_field(const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED ||
        f->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    size_t n = strlen(d->short_name);
    return n > 5 && strcmp(d->short_name + n - 5, "Entry") == 0 &&
           d->n_fields == 2 && strcmp(d->fields[0].name, "key") == 0 &&
           strcmp(d->fields[1].name, "value") == 0;
}

static size_t field_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

static void *member(const ProtobufCMessage *m, unsigned offset)
{
    return (char *)m + offset;
}

/* "ProbabilityModel" -> "PROBABILITY_MODEL_" */
static void enum_prefix(const ProtobufCEnumDescriptor *d, char *buf,
                        size_t size)
{
    size_t n = 0;
    for (const char *p = d->short_name; *p && n + 3 < size; p++) {
        if (isupper((unsigned char)*p) && p != d->short_name)
            buf[n++] = '_';
        buf[n++] = (char)toupper((unsigned char)*p);
    }
    buf[n++] = '_';
    buf[n] = '\0';
}

static const char *enum_value_json(const ProtobufCEnumDescriptor *d,
                                   const ProtobufCEnumValue *v, char *buf,
                                   size_t size)
{
    char prefix[128];
    enum_prefix(d, prefix, sizeof prefix);
    const char *s = v->name;
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) == 0)
        s += pl;
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
    return buf;
}

const char *proto_enum_json_name(const ProtobufCEnumDescriptor *desc, int v,
                                 char *buf, size_t size)
{
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value(desc, v);
    if (!ev || v == 0)
        return NULL;
    return enum_value_json(desc, ev, buf, size);
}

void proto_enum_json_names(const ProtobufCEnumDescriptor *desc, char *buf,
                           size_t size)
{
    struct plc_buf b = PLC_BUF_INIT;
    for (unsigned i = 0; i < desc->n_values; i++) {
        if (desc->values[i].value == 0)
            continue;
        char name[64];
        plc_buf_printf(
            &b, "%s%s", b.len ? ", " : "",
            enum_value_json(desc, &desc->values[i], name, sizeof name));
    }
    snprintf(buf, size, "%s", plc_buf_str(&b));
    plc_buf_release(&b);
}

static void field_names(const ProtobufCMessageDescriptor *d, char *buf,
                        size_t size)
{
    struct plc_buf b = PLC_BUF_INIT;
    for (unsigned i = 0; i < d->n_fields; i++)
        plc_buf_printf(&b, "%s%s", i ? ", " : "", d->fields[i].name);
    snprintf(buf, size, "%s", plc_buf_str(&b));
    plc_buf_release(&b);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* ---- JSON -> message --------------------------------------------------- */

/* What a one-oneof message accepts, for the error message. */
static const char *scalar_kinds(const ProtobufCMessageDescriptor *d)
{
    bool str = false, num = false, obj = false;
    for (unsigned i = 0; i < d->n_fields; i++) {
        ProtobufCType t = d->fields[i].type;
        str |= t == PROTOBUF_C_TYPE_STRING;
        num |= t == PROTOBUF_C_TYPE_DOUBLE || t == PROTOBUF_C_TYPE_FLOAT;
        obj |= t == PROTOBUF_C_TYPE_MESSAGE;
    }
    if (str && obj)
        return "a string or an object";
    if (num && !str)
        return "a number";
    return "a number or a string";
}

static ProtobufCMessage *msg_from_json(const ProtobufCMessageDescriptor *d,
                                       const json_t *v, const char *path,
                                       struct plc_diags *diags);

static ProtobufCMessage *msg_new(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = calloc(1, d->sizeof_message);
    if (m)
        d->message_init(m);
    return m;
}

static bool int_from_json(const json_t *v, long long lo, long long hi,
                          long long *out, const char *path,
                          struct plc_diags *diags)
{
    if (json_is_real(v)) {
        double x = json_real_value(v);
        if (x == floor(x) && x >= (double)lo && x <= (double)hi) {
            *out = (long long)x;
            return true;
        }
    }
    if (!json_is_integer(v)) {
        plc_diags_add(diags, path, "must be a whole number, not %s",
                      json_type_name(v));
        return false;
    }
    long long x = json_integer_value(v);
    if (x < lo || x > hi) {
        plc_diags_add(diags, path, "%lld is out of range (%lld to %lld)", x, lo,
                      hi);
        return false;
    }
    *out = x;
    return true;
}

static bool enum_from_json(const ProtobufCEnumDescriptor *d, const json_t *v,
                           int *out, const char *path, struct plc_diags *diags)
{
    char names[512]; /* the accepted values, spelled out only on error */
    if (!json_is_string(v)) {
        proto_enum_json_names(d, names, sizeof names);
        plc_diags_add(diags, path, "must be a string, one of: %s", names);
        return false;
    }
    const char *s = json_string_value(v);
    for (unsigned i = 0; i < d->n_values; i++) {
        char name[64];
        if (d->values[i].value != 0 &&
            strcmp(enum_value_json(d, &d->values[i], name, sizeof name), s) ==
                0) {
            *out = d->values[i].value;
            return true;
        }
    }
    proto_enum_json_names(d, names, sizeof names);
    plc_diags_add(diags, path, "unknown value \"%s\" (accepted: %s)", s, names);
    return false;
}

/* Convert one JSON value into the storage `slot` of a field's type. */
static bool value_from_json(const ProtobufCFieldDescriptor *f, const json_t *v,
                            void *slot, const char *path,
                            struct plc_diags *diags)
{
    long long x;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!int_from_json(v, INT32_MIN, INT32_MAX, &x, path, diags))
            return false;
        *(int32_t *)slot = (int32_t)x;
        return true;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!int_from_json(v, 0, UINT32_MAX, &x, path, diags))
            return false;
        *(uint32_t *)slot = (uint32_t)x;
        return true;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!int_from_json(v, LLONG_MIN, LLONG_MAX, &x, path, diags))
            return false;
        *(int64_t *)slot = (int64_t)x;
        return true;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (!int_from_json(v, 0, LLONG_MAX, &x, path, diags))
            return false;
        *(uint64_t *)slot = (uint64_t)x;
        return true;
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!json_is_number(v)) {
            plc_diags_add(diags, path, "must be a number, not %s",
                          json_type_name(v));
            return false;
        }
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)slot = (float)json_number_value(v);
        else
            *(double *)slot = json_number_value(v);
        return true;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v)) {
            plc_diags_add(diags, path, "must be true or false, not %s",
                          json_type_name(v));
            return false;
        }
        *(protobuf_c_boolean *)slot = json_is_true(v);
        return true;
    case PROTOBUF_C_TYPE_ENUM: {
        int e;
        if (!enum_from_json(f->descriptor, v, &e, path, diags))
            return false;
        *(int *)slot = e;
        return true;
    }
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v)) {
            plc_diags_add(diags, path, "must be a string, not %s",
                          json_type_name(v));
            return false;
        }
        char *s = strdup(json_string_value(v));
        if (!s) {
            diags->oom = true;
            return false;
        }
        *(char **)slot = s;
        return true;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        /* no placer file carries bytes; accept a string verbatim */
        if (!json_is_string(v)) {
            plc_diags_add(diags, path, "must be a string, not %s",
                          json_type_name(v));
            return false;
        }
        ProtobufCBinaryData *bd = slot;
        bd->len = json_string_length(v);
        bd->data = malloc(bd->len + 1);
        if (!bd->data) {
            diags->oom = true;
            return false;
        }
        memcpy(bd->data, json_string_value(v), bd->len + 1);
        return true;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *m = msg_from_json(f->descriptor, v, path, diags);
        *(ProtobufCMessage **)slot = m;
        return m != NULL;
    }
    }
    return false;
}

/* Fill a repeated field from the elements of an array (or, for a map
 * field, the members of an object); elements with problems are skipped. */
static void repeated_from_json(ProtobufCMessage *m,
                               const ProtobufCFieldDescriptor *f,
                               const json_t *v, const char *path,
                               struct plc_diags *diags)
{
    bool map = is_map_field(f);
    if (map ? !json_is_object(v) : !json_is_array(v)) {
        plc_diags_add(diags, path, "must be %s, not %s",
                      map ? "an object" : "an array", json_type_name(v));
        return;
    }
    size_t n = map ? json_object_size(v) : json_array_size(v);
    if (n == 0)
        return;
    size_t es = field_size(f);
    char *arr = calloc(n, es);
    if (!arr) {
        diags->oom = true;
        return;
    }
    size_t k = 0;
    char sub[PATH_MAX_LEN];
    if (map) {
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)v, key, val)
        {
            plc_path_join(sub, sizeof sub, path, key, 0);
            ProtobufCMessage *e = msg_new(ed);
            if (!e) {
                diags->oom = true;
                break;
            }
            json_t *jkey = json_string(key);
            bool ok = jkey && value_from_json(&ed->fields[0], jkey,
                                              member(e, ed->fields[0].offset),
                                              sub, diags);
            json_decref(jkey);
            ok = ok &&
                 value_from_json(&ed->fields[1], val,
                                 member(e, ed->fields[1].offset), sub, diags);
            if (!ok) {
                protobuf_c_message_free_unpacked(e, NULL);
                continue;
            }
            /* proto2 entries: an optional scalar is only packed with its
             * has_ flag set */
            for (int fi = 0; fi < 2; fi++)
                if (ed->fields[fi].label == PROTOBUF_C_LABEL_OPTIONAL &&
                    ed->fields[fi].type != PROTOBUF_C_TYPE_STRING &&
                    ed->fields[fi].type != PROTOBUF_C_TYPE_MESSAGE &&
                    ed->fields[fi].quantifier_offset)
                    *(protobuf_c_boolean *)member(
                        e, ed->fields[fi].quantifier_offset) = 1;
            ((ProtobufCMessage **)arr)[k++] = e;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            plc_path_join(sub, sizeof sub, path, NULL, i);
            if (value_from_json(f, json_array_get(v, i), arr + k * es, sub,
                                diags))
                k++;
        }
    }
    if (k == 0) {
        free(arr);
        return;
    }
    *(size_t *)member(m, f->quantifier_offset) = k;
    *(void **)member(m, f->offset) = arr;
}

/* Set one field of `m` from `v` (which is not null). */
static void field_from_json(ProtobufCMessage *m,
                            const ProtobufCFieldDescriptor *f, const json_t *v,
                            const char *path, struct plc_diags *diags)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        repeated_from_json(m, f, v, path, diags);
        return;
    }
    bool oneof = f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF;
    if (oneof) {
        uint32_t *which = member(m, f->quantifier_offset);
        if (*which != 0) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(m->descriptor, *which);
            plc_diags_add(diags, path,
                          "cannot be given together with '%s' (only one "
                          "of them)",
                          other ? other->name : "?");
            return;
        }
    }
    if (!value_from_json(f, v, member(m, f->offset), path, diags))
        return;
    if (oneof)
        *(uint32_t *)member(m, f->quantifier_offset) = f->id;
    else if (f->type != PROTOBUF_C_TYPE_STRING &&
             f->type != PROTOBUF_C_TYPE_MESSAGE &&
             f->label == PROTOBUF_C_LABEL_OPTIONAL)
        *(protobuf_c_boolean *)member(m, f->quantifier_offset) = 1;
}

static ProtobufCMessage *quantity_from_json(const ProtobufCMessageDescriptor *d,
                                            enum plc_qty_kind kind,
                                            const json_t *v, const char *path,
                                            struct plc_diags *diags)
{
    const char *unit = plc_qty_example_unit(kind);
    if (json_is_number(v)) {
        char num[64];
        if (json_is_integer(v))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        else
            snprintf(num, sizeof num, "%g", json_real_value(v));
        plc_diags_add(diags, path, "%s has no unit; write \"%s%s\"", num, num,
                      unit);
        return NULL;
    }
    if (!json_is_string(v)) {
        plc_diags_add(diags, path,
                      "must be a %s with a unit such as \"30%s\", not %s",
                      plc_qty_kind_name(kind), unit, json_type_name(v));
        return NULL;
    }
    uint64_t q;
    struct plc_error err = PLC_ERROR_INIT;
    if (plc_qty_parse(kind, json_string_value(v), &q, &err) < 0) {
        plc_diags_add(diags, path, "%s", err.msg);
        return NULL;
    }
    ProtobufCMessage *m = msg_new(d);
    if (!m) {
        diags->oom = true;
        return NULL;
    }
    *(uint64_t *)member(m, d->fields[0].offset) = q;
    *(protobuf_c_boolean *)member(m, d->fields[0].quantifier_offset) = 1;
    return m;
}

/* Pick the oneof member of a scalar message by the JSON type of `v`. */
static const ProtobufCFieldDescriptor *
scalar_member_for(const ProtobufCMessageDescriptor *d, const json_t *v)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        ProtobufCType t = d->fields[i].type;
        bool str = t == PROTOBUF_C_TYPE_STRING;
        bool num = t == PROTOBUF_C_TYPE_DOUBLE || t == PROTOBUF_C_TYPE_FLOAT;
        bool boolean = t == PROTOBUF_C_TYPE_BOOL;
        bool obj = t == PROTOBUF_C_TYPE_MESSAGE;
        if ((json_is_string(v) && str) || (json_is_number(v) && num) ||
            (json_is_boolean(v) && boolean) || (json_is_object(v) && obj))
            return &d->fields[i];
    }
    return NULL;
}

static ProtobufCMessage *msg_from_json(const ProtobufCMessageDescriptor *d,
                                       const json_t *v, const char *path,
                                       struct plc_diags *diags)
{
    enum plc_qty_kind kind;
    if (quantity_kind(d, &kind))
        return quantity_from_json(d, kind, v, path, diags);

    const ProtobufCFieldDescriptor *sf = NULL;
    if (is_scalar_message(d) && !(sf = scalar_member_for(d, v))) {
        plc_diags_add(diags, path, "must be %s, not %s", scalar_kinds(d),
                      json_type_name(v));
        return NULL;
    }
    bool items = is_items_message(d);
    if (!sf && !items && !json_is_object(v)) {
        plc_diags_add(diags, path, "must be an object, not %s",
                      json_type_name(v));
        return NULL;
    }
    ProtobufCMessage *m = msg_new(d);
    if (!m) {
        diags->oom = true;
        return NULL;
    }
    if (sf) {
        field_from_json(m, sf, v, path, diags);
        return m;
    }
    if (items) {
        field_from_json(m, &d->fields[0], v, path, diags);
        return m;
    }
    const char *key;
    const json_t *val;
    char sub[PATH_MAX_LEN];
    json_object_foreach((json_t *)v, key, val)
    {
        plc_path_join(sub, sizeof sub, path, key, 0);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(d, key);
        if (!f) {
            char names[1024];
            field_names(d, names, sizeof names);
            plc_diags_add(diags, sub, "unknown field \"%s\" (accepted: %s)",
                          key, names);
            continue;
        }
        if (json_is_null(val))
            continue; /* null means absent */
        field_from_json(m, f, val, sub, diags);
    }
    return m;
}

ProtobufCMessage *proto_json_to_message(const ProtobufCMessageDescriptor *desc,
                                        const json_t *json, const char *path,
                                        struct plc_diags *diags)
{
    return msg_from_json(desc, json, path ? path : "", diags);
}

/* ---- message -> JSON --------------------------------------------------- */

static json_t *msg_to_json(const ProtobufCMessage *m, unsigned flags);

/* Whole numbers print as JSON integers ("cores_capacity": 1, "price": 3),
 * others as reals; both read back as the same double. */
static json_t *number_json(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53 */
        return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *value_to_json(const ProtobufCFieldDescriptor *f,
                             const void *slot, unsigned flags)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)slot);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)slot);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)slot);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t x = *(const uint64_t *)slot;
        return json_integer(x > LLONG_MAX ? LLONG_MAX : (json_int_t)x);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return number_json(*(const float *)slot);
    case PROTOBUF_C_TYPE_DOUBLE:
        return number_json(*(const double *)slot);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)slot);
    case PROTOBUF_C_TYPE_ENUM: {
        char name[64];
        const char *s = proto_enum_json_name(f->descriptor, *(const int *)slot,
                                             name, sizeof name);
        return s ? json_string(s) : json_null();
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)slot;
        return json_string(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = slot;
        return json_stringn((const char *)bd->data, bd->len);
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
        return sub ? msg_to_json(sub, flags) : json_null();
    }
    }
    return NULL;
}

static json_t *repeated_to_json(const ProtobufCMessage *m,
                                const ProtobufCFieldDescriptor *f,
                                unsigned flags)
{
    size_t n = *(const size_t *)member(m, f->quantifier_offset);
    const char *arr = *(char *const *)member(m, f->offset);
    size_t es = field_size(f);
    if (is_map_field(f)) {
        json_t *o = json_object();
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        for (size_t i = 0; o && i < n; i++) {
            const ProtobufCMessage *e = ((ProtobufCMessage *const *)arr)[i];
            const char *k = *(char *const *)member(e, ed->fields[0].offset);
            json_t *val = value_to_json(&ed->fields[1],
                                        member(e, ed->fields[1].offset), flags);
            if (!val || json_object_set_new(o, k ? k : "", val) < 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, value_to_json(f, arr + i * es, flags)) <
            0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Is an optional or oneof field set? */
static bool field_present(const ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)member(m, f->quantifier_offset) == f->id;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(void *const *)member(m, f->offset) != NULL;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
        return *(const protobuf_c_boolean *)member(m, f->quantifier_offset);
    return true; /* required */
}

static json_t *msg_to_json(const ProtobufCMessage *m, unsigned flags)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    enum plc_qty_kind kind;
    if (quantity_kind(d, &kind)) {
        char buf[PLC_QTY_BUFSZ];
        plc_qty_format(kind, *(const uint64_t *)member(m, d->fields[0].offset),
                       buf, sizeof buf);
        return json_string(buf);
    }
    if (is_items_message(d))
        return repeated_to_json(m, &d->fields[0], flags);
    if (is_scalar_message(d)) {
        for (unsigned i = 0; i < d->n_fields; i++)
            if (field_present(m, &d->fields[i]))
                return value_to_json(&d->fields[i],
                                     member(m, d->fields[i].offset), flags);
        return json_null();
    }
    json_t *o = json_object();
    for (unsigned i = 0; o && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *val = NULL;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)member(m, f->quantifier_offset);
            if (n == 0 &&
                (!(flags & PROTO_JSON_EMPTY_ARRAYS) || is_map_field(f)))
                continue;
            val = repeated_to_json(m, f, flags);
        } else {
            if (!field_present(m, f))
                continue;
            val = value_to_json(f, member(m, f->offset), flags);
        }
        if (!val || json_object_set_new(o, f->name, val) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *proto_message_to_json(const ProtobufCMessage *msg, unsigned flags)
{
    return msg_to_json(msg, flags);
}
