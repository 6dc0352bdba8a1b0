/* quantities.c: every time, rate and size of a message within
 * PLC_QTY_MAX, found by walking the message through its descriptors (a
 * request off the wire carries raw integers the JSON parser never saw). */
#include "plc/quantity.h"
#include "proto/validate.h"

#include <stdint.h>
#include <stdio.h>

enum { PATH = 256, DEPTH = 16 };

static void check_value(const ProtobufCMessage *m, const char *path,
                        struct plc_diags *d)
{
    const ProtobufCMessageDescriptor *t = m->descriptor;
    uint64_t v;
    enum plc_qty_kind kind;
    if (t == &placer__time__descriptor) {
        v = ((const Placer__Time *)m)->ns;
        kind = PLC_QTY_TIME;
    } else if (t == &placer__rate__descriptor) {
        v = ((const Placer__Rate *)m)->bps;
        kind = PLC_QTY_RATE;
    } else if (t == &placer__size__descriptor) {
        v = ((const Placer__Size *)m)->bytes;
        kind = PLC_QTY_SIZE;
    } else {
        return;
    }
    if (v <= PLC_QTY_MAX || proto_diags_has(d, path))
        return;
    char max[PLC_QTY_BUFSZ];
    plc_qty_format(kind, PLC_QTY_MAX, max, sizeof max);
    plc_diags_add(d, path, "%llu is too large for a %s (at most %s)",
                  (unsigned long long)v, plc_qty_kind_name(kind), max);
}

/* Append ".key" (or "[index]" when key is NULL) to the path in
 * buf[0..len); returns the new length.  Field names are identifiers, so
 * this is plc_path_join's form, without an allocation per field. */
static size_t push(char *buf, size_t len, const char *key, size_t index)
{
    int n = key ? snprintf(buf + len, PATH - len, "%s%s", len ? "." : "", key)
                : snprintf(buf + len, PATH - len, "[%zu]", index);
    size_t end = len + (n > 0 ? (size_t)n : 0);
    return end < PATH ? end : PATH - 1;
}

static void walk(const ProtobufCMessage *m, char *path, size_t len, int depth,
                 struct plc_diags *d)
{
    const ProtobufCMessageDescriptor *t = m->descriptor;
    if (t == &placer__time__descriptor || t == &placer__rate__descriptor ||
        t == &placer__size__descriptor) {
        check_value(m, path, d);
        return;
    }
    if (depth >= DEPTH) /* placer's documents nest a few levels deep */
        return;
    const char *self = (const char *)m;
    for (unsigned i = 0; i < t->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &t->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(self + f->quantifier_offset) != f->id)
            continue;
        size_t at = push(path, len, f->name, 0);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(self + f->quantifier_offset);
            ProtobufCMessage *const *v =
                *(ProtobufCMessage *const *const *)(self + f->offset);
            for (size_t k = 0; k < n; k++)
                if (v[k])
                    walk(v[k], path, push(path, at, NULL, k), depth + 1, d);
        } else {
            const ProtobufCMessage *v =
                *(const ProtobufCMessage *const *)(self + f->offset);
            if (v)
                walk(v, path, at, depth + 1, d);
        }
        path[len] = '\0';
    }
}

void proto_check_quantities(const ProtobufCMessage *m, struct plc_diags *d)
{
    char path[PATH] = "";
    walk(m, path, 0, 0, d);
}
