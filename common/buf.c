/* buf.c: growable string buffer and whole-file reading. */
#include "plc/buf.h"
#include "plc/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>

static bool buf_grow(struct plc_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void plc_buf_append(struct plc_buf *b, const char *s, size_t n)
{
    if (!buf_grow(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void plc_buf_puts(struct plc_buf *b, const char *s)
{
    plc_buf_append(b, s, strlen(s));
}

void plc_buf_printf(struct plc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *plc_buf_str(const struct plc_buf *b)
{
    return b->s ? b->s : "";
}

char *plc_buf_detach(struct plc_buf *b)
{
    char *s = NULL;
    if (!b->oom)
        s = b->s ? b->s : strdup("");
    else
        free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = false;
    return s;
}

void plc_buf_reset(struct plc_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

void plc_buf_release(struct plc_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

/* The size in words a limit reads as: "64 MiB", "512 KiB", "100 bytes". */
static void size_words(size_t n, char *out, size_t len)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, len, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, len, "%zu KiB", n >> 10);
    else
        snprintf(out, len, "%zu bytes", n);
}

static int too_large(struct plc_error *err, const char *name, size_t max)
{
    char lim[32];
    size_words(max, lim, sizeof lim);
    return plc_error_set(err, PLC_ERANGE,
                         "'%s' is larger than %s, the most placer reads from "
                         "one input; split it or check that it is the file "
                         "you meant",
                         name, lim);
}

int plc_read_stream(FILE *f, const char *name, size_t max, char **out,
                    size_t *len, struct plc_error *err)
{
    *out = NULL;
    *len = 0;
    struct plc_buf b = PLC_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > max) {
            plc_buf_release(&b);
            return too_large(err, name, max);
        }
        plc_buf_append(&b, chunk, n);
    }
    if (ferror(f)) {
        int e = errno;
        plc_buf_release(&b);
        return plc_error_set(err, PLC_ENOINPUT, "cannot read '%s' (%s)", name,
                             strerror(e));
    }
    size_t got = b.len;
    char *s = plc_buf_detach(&b);
    if (!s)
        return plc_error_set(err, PLC_ENOMEM, "cannot read '%s' (%s)", name,
                             plc_strerror(PLC_ENOMEM));
    *out = s;
    *len = got;
    return 0;
}

int plc_read_file(const char *path, size_t max, char **out, size_t *len,
                  struct plc_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        int e = errno;
        if (f)
            fclose(f);
        return plc_error_set(err, e == ENOENT ? PLC_ENOENT : PLC_ENOINPUT,
                             "cannot open '%s' (%s)", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        return plc_error_set(err, PLC_ENOINPUT,
                             "'%s' is a directory; give a file", path);
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
        fclose(f);
        return too_large(err, path, max);
    }
    int rc = plc_read_stream(f, path, max, out, len, err);
    fclose(f);
    return rc;
}
