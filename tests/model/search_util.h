/* search_util.h: what the exhaustive searches of test_small_dag and
 * test_hub_dag share: a menu's items, least utilisation first. */
#ifndef PLACER_TEST_SEARCH_UTIL_H
#define PLACER_TEST_SEARCH_UTIL_H

#include <stdlib.h>

#include "sched/reserve.h"

static inline int search_by_util(const void *a, const void *b)
{
    const struct sched_menu_item *x = *(const struct sched_menu_item *const *)a,
                                 *y = *(const struct sched_menu_item *const *)b;
    return (x->utilization > y->utilization) -
           (x->utilization < y->utilization);
}

/* mu's items into out (room for mu->n), least utilisation first; returns
 * how many. */
static inline size_t search_items(const struct sched_menu *mu,
                                  const struct sched_menu_item **out)
{
    for (size_t j = 0; j < mu->n; j++)
        out[j] = &mu->v[j];
    qsort(out, mu->n, sizeof *out, search_by_util);
    return mu->n;
}

#endif
