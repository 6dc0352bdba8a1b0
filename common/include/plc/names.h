/* plc/names.h: a sorted index of names (a document's hosts and switches,
 * endpoints and services; placerd's cluster nodes), so that references and
 * duplicates are found in O(log n) each, not by scanning.  The one name
 * index of placer. */
#ifndef PLC_NAMES_H
#define PLC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct plc_name_ref {
    const char *name; /* borrowed from the message */
    size_t order;     /* position in the list it was built from */
};

struct plc_name_index {
    struct plc_name_ref *v;
    size_t n;
};

/* Index names[0..n-1] (NULL entries are skipped).  Returns false when
 * memory runs out (the index is then empty). */
bool plc_name_index_build(struct plc_name_index *ix, const char *const *names,
                          size_t n);

/* The smallest position holding `name`, or -1. */
long plc_name_index_find(const struct plc_name_index *ix, const char *name);

void plc_name_index_release(struct plc_name_index *ix);

#endif
