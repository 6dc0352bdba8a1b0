/* milp_internal.h: what the files of the MILP share.  Private. */
#ifndef PLACE_MILP_INTERNAL_H
#define PLACE_MILP_INTERNAL_H

#include "milp.h"

/* the port rows leave one packet of the buffer for T = MTU / C */
#define MTU_BYTES 1500

enum vl_kind { VL_SS, VL_ES, VL_SE, VL_EE };

struct milp_vlink {
    enum vl_kind kind;
    size_t u, w;     /* service indices (or endpoint for E ends) */
    size_t *ga, *gb; /* candidate groups of u and w (VL_SS) */
    size_t nga, ngb;
    int *pc;           /* per a x ngb + b: P column, 0 where the pair is
                          out of reach (no route, beyond the limits) */
    int *c;            /* per host: co-location column or 0 */
    int *fo, *fi;      /* per host: access columns or 0 */
    int *pa;           /* VL_SS, per a x ngb + b: detour column or 0 */
    int *q;            /* VL_ES/VL_SE, per host: detour column or 0 */
    bool limited_same; /* inside a group only the same host meets limits */
};

void place__milp_row_add(struct milp *m, int col, double v);
void place__milp_row_add_x(struct milp *m, size_t v, size_t h, double coef);
void place__milp_row_add_util(struct milp *m, size_t h, double coef);
void place__milp_row_end(struct milp *m, int type, double lb, double ub);
void place__milp_row_end_cap(struct milp *m, int type, double lb, double ub);
int place__milp_add_col(struct milp *m, int kind, double lb, double ub,
                        double obj);
size_t place__milp_vl_service(const struct place_problem *p, size_t node);
bool place__milp_node_host_delay(const struct milp *m,
                                 const struct place_vlink *e, int k,
                                 size_t node, size_t h, bool to_host,
                                 uint64_t *delay, uint64_t *jitter);
size_t place__milp_pair_arcs(const struct milp *m, int k, size_t from,
                             size_t to, bool from_host, bool to_host,
                             size_t *arcs);
void place__milp_pair_hosts(const struct milp *m, size_t a, size_t b,
                            size_t *ha, size_t *hb);
int place__milp_build_vlinks(struct milp *m);
int place__milp_pcol(const struct milp_vlink *x, size_t a, size_t b);
void place__milp_row_add_xg(struct milp *m, size_t v, size_t g, double coef);
void place__milp_row_add_delay(struct milp *m, size_t i, double k);
void place__milp_row_add_local_deadline(struct milp *m, size_t v, double k);
int place__milp_build_timing(struct milp *m);
int place__milp_build_link_limits(struct milp *m);
int place__milp_build_arcs(struct milp *m);
void place__milp_build_pair_rows(struct milp *m);
void place__milp_set_bandwidth_objective(struct milp *m, double weight);
void place__milp_set_cost_objective(struct milp *m);

#endif
