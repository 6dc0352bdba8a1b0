/* admit.c: per-core utilisation admission and decreasing-order packing. */
#include "sched/admit.h"
#include "plc/error.h"

#include <stdlib.h>

#define TOL 1e-9

bool sched_core_admits(double used, double extra, double capacity)
{
    return used + extra <= capacity + TOL;
}

struct item {
    double u;
    size_t index;
};

static int cmp_desc(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

long sched_pack(const double *util, size_t n, double capacity,
                enum sched_fit fit, size_t max_cores, size_t *core_of)
{
    struct item *it = malloc((n ? n : 1) * sizeof *it);
    double *load = malloc((n ? n : 1) * sizeof *load);
    if (!it || !load) {
        free(it);
        free(load);
        return PLC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        it[i] = (struct item){util[i], i};
    qsort(it, n, sizeof *it, cmp_desc);
    size_t used = 0;
    long rc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pick = used;
        for (size_t c = 0; c < used; c++) {
            if (!sched_core_admits(load[c], it[i].u, capacity))
                continue;
            if (fit == SCHED_FIRST_FIT) {
                pick = c;
                break;
            }
            if (pick == used || load[c] < load[pick])
                pick = c;
        }
        if (pick == used) {
            if (used == max_cores || !sched_core_admits(0, it[i].u, capacity))
                goto out;
            load[used++] = 0;
        }
        load[pick] += it[i].u;
        core_of[it[i].index] = pick;
    }
    rc = (long)used;
out:
    free(it);
    free(load);
    return rc;
}
