/* names.c: sorted name index (plc/names.h). */
#include "plc/names.h"

#include <stdlib.h>
#include <string.h>

static int cmp_ref(const void *a, const void *b)
{
    const struct plc_name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->order > y->order) - (x->order < y->order);
}

bool plc_name_index_build(struct plc_name_index *ix, const char *const *names,
                          size_t n)
{
    ix->n = 0;
    ix->v = malloc((n ? n : 1) * sizeof *ix->v);
    if (!ix->v)
        return false;
    for (size_t i = 0; i < n; i++)
        if (names[i])
            ix->v[ix->n++] = (struct plc_name_ref){names[i], i};
    qsort(ix->v, ix->n, sizeof *ix->v, cmp_ref);
    return true;
}

long plc_name_index_find(const struct plc_name_index *ix, const char *name)
{
    if (!name)
        return -1;
    size_t lo = 0, hi = ix->n;
    while (lo < hi) { /* first entry not below name */
        size_t mid = (lo + hi) / 2;
        if (strcmp(ix->v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ix->n && !strcmp(ix->v[lo].name, name))
        return (long)ix->v[lo].order;
    return -1;
}

void plc_name_index_release(struct plc_name_index *ix)
{
    free(ix->v);
    ix->v = NULL;
    ix->n = 0;
}
