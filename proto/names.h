/* names.h: a sorted index of the names of a document (hosts and switches,
 * endpoints and services) so that references and duplicates are checked in
 * O(log n) each, not by scanning.  Private to proto/. */
#ifndef PROTO_NAMES_H
#define PROTO_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct name_ref {
    const char *name; /* borrowed from the message */
    size_t order;     /* position in the list it was built from */
};

struct name_index {
    struct name_ref *v;
    size_t n;
};

/* Index names[0..n-1] (NULL entries are skipped).  Returns false when
 * memory runs out (the index is then empty). */
bool name_index_build(struct name_index *ix, const char *const *names,
                      size_t n);

/* The smallest position holding `name`, or -1. */
long name_index_find(const struct name_index *ix, const char *name);

void name_index_release(struct name_index *ix);

#endif
