/* admit.h: the rows of an admission, and stranding checks.  Internal to
 * the server library. */
#ifndef SRV_ADMIT_H
#define SRV_ADMIT_H

#include "place/plan.h"
#include "state.h"

struct admission_rows {
    struct store_service *services;
    struct store_cpu *cpu;
    struct store_net *net;
    size_t n_services, n_cpu, n_net;
    size_t *link_idx; /* per net row: the cluster link */
    int *link_dir;    /* per net row: 0 a->b, 1 b->a */
};

/* The store rows of an admitted plan (names borrowed from w and t).
 * 0, PLC_ENOMEM, PLC_EINTERNAL (a route over a link the cluster lacks). */
int srv__admission_rows_build(struct admission_rows *r, const struct totals *t,
                              const Placer__Workflow *w,
                              const struct place_plan *plan);
void srv__admission_rows_release(struct admission_rows *r);

/* Add the rows to the in-memory totals (after the store committed). */
void srv__admission_rows_apply(const struct admission_rows *r, struct totals *t,
                               const struct place_plan *plan);

/* Take them off again, with the store's arithmetic for a release (the
 * sum of a workflow's rows per core, host and link direction, subtracted
 * once; a total within 1e-9 of zero is zero), so that the totals are
 * those placerd reloads from the store after that release. */
void srv__admission_rows_unapply(const struct admission_rows *r,
                                 struct totals *t,
                                 const struct place_plan *plan);

/* Workflows ("tenant/name", malloc'd, caller frees each and the array)
 * whose hosts, cores or links the new cluster `c` lacks, and *over when
 * what is reserved exceeds a capacity of `c`.  0 or PLC_E*. */
int srv__strand_check(const Placer__Cluster *c, const struct totals *t,
                      struct store *s, char ***names, size_t *n, bool *over,
                      struct plc_error *err);

/* The cluster's rows for the store (names borrowed from c); free with
 * srv__cluster_rows_release.  0 or PLC_ENOMEM. */
int srv__cluster_rows_build(const Placer__Cluster *c,
                            struct store_cluster *out);
void srv__cluster_rows_release(struct store_cluster *r);

#endif
