/*
 * plc/diag.h: a list of input problems, each tied to a field path.
 *
 * Validation collects every problem (not just the first) as
 * (path, message); the loader later resolves each path to a line and column
 * of the source text and prints `FILE:LINE:COL: PATH: MESSAGE`.
 *
 * Paths read like C: `services[2].exec_time.pmf["1ms"]`.  Object keys that
 * are not identifiers use the bracket form with a quoted key.
 */
#ifndef PLC_DIAG_H
#define PLC_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* The most problems one list keeps; one more line (line -1, no path) then
 * says that more follow.  It bounds the work of locating and printing
 * them, whatever the input. */
#define PLC_DIAGS_MAX 100

struct plc_diag {
    char *path; /* owned; "" for the document as a whole */
    char *msg;  /* owned */
    int line;   /* 1-based, 0 while unknown, -1 for the closing line */
    int col;    /* 1-based, 0 while unknown */
};

struct plc_diags {
    struct plc_diag *v;
    size_t n;
    size_t cap;
    bool oom; /* a problem could not be recorded for lack of memory */
};

#define PLC_DIAGS_INIT                                                         \
    {                                                                          \
        NULL, 0, 0, false                                                      \
    }

/* Record a problem at `path` (copied). */
void plc_diags_add(struct plc_diags *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a problem at line:col (syntax errors, which have no path). */
void plc_diags_add_at(struct plc_diags *d, int line, int col, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

/* Order by position (line, column), keeping insertion order on ties. */
void plc_diags_sort(struct plc_diags *d);

void plc_diags_release(struct plc_diags *d);

/*
 * Append a path segment to `base` and return it in `out` (NUL-terminated,
 * truncated to `size`): `key` as `.key` or `["key"]`, or, when key is NULL,
 * `[index]`.
 */
void plc_path_join(char *out, size_t size, const char *base, const char *key,
                   size_t index);

#endif
