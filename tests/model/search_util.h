/* search_util.h: what the exhaustive searches of test_small_dag,
 * test_hub_dag and test_endpoint_chain share: a menu's items, least
 * utilisation first, and what a search starts from. */
#ifndef PLACER_TEST_SEARCH_UTIL_H
#define PLACER_TEST_SEARCH_UTIL_H

#include <math.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "place/plan.h"

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

/* What a search starts from: free[h * cores + c], each core's free
 * capacity (all hosts alike: core_capacity less used), and per service
 * its menu on host 0, least utilisation first, into sorted[v] (room for
 * 64) and n[v], with least_rest[v] the least utilisation of services v
 * and after (least_rest[svcs] 0). */
static inline void search_prepare(const struct place_problem *p, int hosts,
                                  int cores, double *free_, int svcs,
                                  const struct sched_menu_item *(*sorted)[64],
                                  size_t *n, double *least_rest)
{
    for (int h = 0; h < hosts; h++)
        for (int c = 0; c < cores; c++)
            free_[h * cores + c] = p->cluster->hosts[h].core_capacity -
                                   p->cluster->hosts[h].used[c];
    for (int v = 0; v < svcs; v++) {
        const struct sched_menu *mu = p->services[v].menu[0];
        cr_assert_leq(mu->n, 64);
        n[v] = search_items(mu, sorted[v]);
    }
    least_rest[svcs] = 0;
    for (int v = svcs - 1; v >= 0; v--)
        least_rest[v] =
            least_rest[v + 1] + (n[v] ? sorted[v][0]->utilization : INFINITY);
}

#endif
