/*
 * plc/buf.h: a growable, always NUL-terminated string buffer.
 *
 * Lifecycle: `struct plc_buf b = PLC_BUF_INIT;` ... plc_buf_release(&b).
 * Allocation failure is sticky: the buffer remembers it (`oom`), later
 * appends are ignored, and the owner checks once at the end.
 */
#ifndef PLC_BUF_H
#define PLC_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct plc_buf {
    char *s;    /* NUL-terminated text, or NULL while empty */
    size_t len; /* bytes before the NUL */
    size_t cap;
    bool oom; /* an append failed for lack of memory */
};

#define PLC_BUF_INIT                                                           \
    {                                                                          \
        NULL, 0, 0, false                                                      \
    }

void plc_buf_printf(struct plc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void plc_buf_append(struct plc_buf *b, const char *s, size_t n);
void plc_buf_puts(struct plc_buf *b, const char *s);

/* The text so far; "" when empty.  Borrowed; valid until the next append. */
const char *plc_buf_str(const struct plc_buf *b);

/* Hand the text to the caller (caller frees it) and empty the buffer.
 * Returns NULL after an allocation failure. */
char *plc_buf_detach(struct plc_buf *b);

void plc_buf_reset(struct plc_buf *b);
void plc_buf_release(struct plc_buf *b);

/* Read a whole file of at most `max` bytes into `*out` (NUL-terminated,
 * caller frees) and its length into `*len`.  Returns 0, PLC_ENOENT (no
 * such file), PLC_ENOINPUT (a directory, no permission, a read error),
 * PLC_ERANGE (more than `max` bytes: a regular file is refused by its
 * size, anything else after reading max + 1 bytes) or PLC_ENOMEM, with
 * detail naming `path`. */
struct plc_error;
int plc_read_file(const char *path, size_t max, char **out, size_t *len,
                  struct plc_error *err);

/* The same for an open stream (stdin) called `name` in messages. */
int plc_read_stream(FILE *f, const char *name, size_t max, char **out,
                    size_t *len, struct plc_error *err);

#endif
