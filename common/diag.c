/* diag.c: collected input problems with field paths. */
#include "plc/diag.h"
#include "plc/buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct plc_diag *diags_push(struct plc_diags *d)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        struct plc_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->oom = true;
            return NULL;
        }
        d->v = v;
        d->cap = cap;
    }
    return &d->v[d->n];
}

static void diags_vadd(struct plc_diags *d, const char *path, int line, int col,
                       const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void diags_vadd(struct plc_diags *d, const char *path, int line, int col,
                       const char *fmt, va_list ap)
{
    if (d->n > PLC_DIAGS_MAX)
        return; /* past the list's last line */
    struct plc_diag *x = diags_push(d);
    if (!x)
        return;
    char msg[1024];
    if (d->n == PLC_DIAGS_MAX) {
        /* one more line says the list stops: no position, sorted last */
        snprintf(msg, sizeof msg,
                 "more problems follow; only the first %d are listed (fix "
                 "these and check again)",
                 PLC_DIAGS_MAX);
        path = "";
        line = col = -1;
    } else {
        vsnprintf(msg, sizeof msg, fmt, ap);
    }
    x->path = strdup(path ? path : "");
    x->msg = strdup(msg);
    if (!x->path || !x->msg) {
        free(x->path);
        free(x->msg);
        d->oom = true;
        return;
    }
    x->line = line;
    x->col = col;
    d->n++;
}

void plc_diags_add(struct plc_diags *d, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, path, 0, 0, fmt, ap);
    va_end(ap);
}

void plc_diags_add_at(struct plc_diags *d, int line, int col, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, "", line, col, fmt, ap);
    va_end(ap);
}

void plc_diags_sort(struct plc_diags *d)
{
    /* insertion sort: stable, and the lists are short (PLC_DIAGS_MAX);
     * the closing line (line -1) stays last */
    for (size_t i = 1; i < d->n; i++) {
        struct plc_diag x = d->v[i];
        size_t j = i;
        while (j > 0 && x.line >= 0 &&
               (d->v[j - 1].line < 0 || d->v[j - 1].line > x.line ||
                (d->v[j - 1].line == x.line && d->v[j - 1].col > x.col))) {
            d->v[j] = d->v[j - 1];
            j--;
        }
        d->v[j] = x;
    }
}

void plc_diags_release(struct plc_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].msg);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
    d->oom = false;
}

static bool is_ident(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

void plc_path_join(char *out, size_t size, const char *base, const char *key,
                   size_t index)
{
    struct plc_buf b = PLC_BUF_INIT;
    plc_buf_puts(&b, base ? base : "");
    if (!key) {
        plc_buf_printf(&b, "[%zu]", index);
    } else if (is_ident(key)) {
        if (b.len)
            plc_buf_puts(&b, ".");
        plc_buf_puts(&b, key);
    } else {
        plc_buf_puts(&b, "[\"");
        for (const char *p = key; *p; p++) {
            if (*p == '"' || *p == '\\')
                plc_buf_puts(&b, "\\");
            plc_buf_append(&b, p, 1);
        }
        plc_buf_puts(&b, "\"]");
    }
    snprintf(out, size, "%s", plc_buf_str(&b));
    plc_buf_release(&b);
}
