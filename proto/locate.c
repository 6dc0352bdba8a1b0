/*
 * locate.c: find the line and column of a field path in JSON text.
 *
 * jansson reports positions for syntax errors only; a parsed json_t keeps
 * none.  Validation works on paths (`services[2].exec_time.pmf`), so to
 * print `FILE:LINE:COL:` this module walks the text that jansson has
 * already accepted, following the path.  It is a locator, not a parser: it
 * assumes well-formed input and never builds values.
 */
#include "proto/load.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
    const char *s;
    size_t len;
    size_t pos;
};

static void skip_ws(struct cursor *c)
{
    while (c->pos < c->len && strchr(" \t\r\n", c->s[c->pos]))
        c->pos++;
}

static void skip_string(struct cursor *c)
{
    c->pos++; /* opening quote */
    while (c->pos < c->len && c->s[c->pos] != '"') {
        if (c->s[c->pos] == '\\')
            c->pos++;
        c->pos++;
    }
    c->pos++; /* closing quote */
}

static void skip_value(struct cursor *c)
{
    skip_ws(c);
    if (c->pos >= c->len)
        return;
    char ch = c->s[c->pos];
    if (ch == '"') {
        skip_string(c);
        return;
    }
    if (ch == '{' || ch == '[') {
        int depth = 0;
        while (c->pos < c->len) {
            ch = c->s[c->pos];
            if (ch == '"') {
                skip_string(c);
                continue;
            }
            if (ch == '{' || ch == '[')
                depth++;
            else if (ch == '}' || ch == ']')
                depth--;
            c->pos++;
            if (depth == 0)
                return;
        }
        return;
    }
    while (c->pos < c->len && !strchr(",]} \t\r\n", c->s[c->pos]))
        c->pos++;
}

/* Does the JSON string at the cursor equal `key`?  Handles the escapes a
 * key may plausibly contain; others compare unequal. */
static bool string_equals(const struct cursor *c, const char *key)
{
    size_t p = c->pos + 1;
    const char *k = key;
    while (p < c->len && c->s[p] != '"') {
        char ch = c->s[p];
        if (ch == '\\') {
            p++;
            if (p >= c->len)
                return false;
            ch = c->s[p];
            if (ch == 'n')
                ch = '\n';
            else if (ch == 't')
                ch = '\t';
            else if (ch != '"' && ch != '\\' && ch != '/')
                return false;
        }
        if (*k++ != ch)
            return false;
        p++;
    }
    return *k == '\0';
}

/* Path segment: a key (owned copy in `key`) or an index. */
struct segment {
    char key[256];
    bool is_key;
    size_t index;
};

static const char *next_segment(const char *p, struct segment *seg)
{
    if (*p == '.')
        p++;
    if (*p == '[' && p[1] == '"') {
        p += 2;
        size_t n = 0;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < sizeof seg->key)
                seg->key[n++] = *p;
            p++;
        }
        seg->key[n] = '\0';
        seg->is_key = true;
        if (*p == '"')
            p++;
        if (*p == ']')
            p++;
        return p;
    }
    if (*p == '[') {
        seg->is_key = false;
        seg->index = strtoul(p + 1, (char **)&p, 10);
        if (*p == ']')
            p++;
        return p;
    }
    size_t n = 0;
    while (*p && *p != '.' && *p != '[') {
        if (n + 1 < sizeof seg->key)
            seg->key[n++] = *p;
        p++;
    }
    seg->key[n] = '\0';
    seg->is_key = true;
    return p;
}

/* Move the cursor from an object's '{' to the member `key`: its key when
 * `at_key`, else its value.  Returns false (cursor unchanged) if absent. */
static bool enter_key(struct cursor *c, const char *key, bool at_key)
{
    if (c->pos >= c->len || c->s[c->pos] != '{')
        return false;
    struct cursor t = *c;
    t.pos++;
    for (;;) {
        skip_ws(&t);
        if (t.pos >= t.len || t.s[t.pos] != '"')
            return false;
        size_t key_pos = t.pos;
        bool match = string_equals(&t, key);
        skip_string(&t);
        skip_ws(&t);
        t.pos++; /* ':' */
        skip_ws(&t);
        if (match) {
            c->pos = at_key ? key_pos : t.pos;
            return true;
        }
        skip_value(&t);
        skip_ws(&t);
        if (t.pos >= t.len || t.s[t.pos] != ',')
            return false;
        t.pos++;
    }
}

static bool enter_index(struct cursor *c, size_t index)
{
    if (c->pos >= c->len || c->s[c->pos] != '[')
        return false;
    struct cursor t = *c;
    t.pos++;
    for (size_t i = 0;; i++) {
        skip_ws(&t);
        if (t.pos >= t.len || t.s[t.pos] == ']')
            return false;
        if (i == index) {
            c->pos = t.pos;
            return true;
        }
        skip_value(&t);
        skip_ws(&t);
        if (t.pos >= t.len || t.s[t.pos] != ',')
            return false;
        t.pos++;
    }
}

void proto_locate(const char *text, size_t len, const char *path, int *line,
                  int *col)
{
    struct cursor c = {text, len, 0};
    skip_ws(&c);
    const char *p = path;
    while (*p) {
        struct segment seg;
        p = next_segment(p, &seg);
        bool last = *p == '\0';
        bool ok = seg.is_key ? enter_key(&c, seg.key, last)
                             : enter_index(&c, seg.index);
        if (!ok)
            break;
    }
    /* line and column (in characters, as jansson counts) of c.pos */
    int l = 1, k = 1;
    for (size_t i = 0; i < c.pos && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            k = 1;
        } else if ((ch & 0xC0) != 0x80) {
            k++;
        }
    }
    *line = l;
    *col = k;
}
