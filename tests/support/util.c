/* util.c: helpers shared by the Criterion tests. */
#define _DEFAULT_SOURCE
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *src_path(const char *rel)
{
    static char bufs[4][1024];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, 1024, "%s/%s", PLACER_SOURCE_DIR, rel);
    return b;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **list_files(const char *dir, const char *suffix, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = calloc(1024, sizeof *v);
    *n = 0;
    if (!d || !v) {
        if (d)
            closedir(d);
        return v;
    }
    struct dirent *e;
    size_t sl = strlen(suffix);
    while ((e = readdir(d)) && *n < 1023) {
        size_t l = strlen(e->d_name);
        if (l > sl && !strcmp(e->d_name + l - sl, suffix))
            v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, *n, sizeof *v, cmp);
    return v;
}

void free_names(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)sz + 1);
    if (s && fread(s, 1, (size_t)sz, f) != (size_t)sz) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[sz] = '\0';
        if (len)
            *len = (size_t)sz;
    }
    return s;
}

size_t count_substr(const char *hay, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + l, needle))
        n++;
    return n;
}

unsigned xorshift_below(uint64_t *state, unsigned n)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (unsigned)(x % n);
}
