/*
 * decide.h: placerd's decision path without a store, a queue or a
 * transport: a cluster and what has been admitted on it, in memory; the
 * plan of a workflow against what is left (the residual: background load
 * plus every admitted reservation); its admission, counted exactly as
 * placerd counts it.  placerd decides through the same functions
 * (queue.c); placer capacity runs them offline.
 */
#ifndef SRV_DECIDE_H
#define SRV_DECIDE_H

#include "model/model.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"

struct srv_decider;

/* A decider on cluster c (taken: freed with the decider).  0, PLC_ENOMEM. */
int srv_decider_new(Placer__Cluster *c, struct srv_decider **out);
void srv_decider_free(struct srv_decider *d);

/* The plan of w against what is left, within limit_s seconds (objective 0:
 * the workflow's): model_plan()'s result (mp, plan and doc for the caller
 * to release). */
int srv_decide_plan(struct srv_decider *d, const Placer__Workflow *w,
                    int objective, double limit_s, struct model_problem *mp,
                    struct place_plan *plan, Placer__Plan **doc,
                    struct plc_error *err);

/* Count an admitted plan of w (from srv_decide_plan) as reserved.  0,
 * PLC_ENOMEM, PLC_EINTERNAL (a route over a link the cluster lacks). */
int srv_decide_admit(struct srv_decider *d, const Placer__Workflow *w,
                     const struct place_plan *plan);

/* What the admissions counted so far reserve, by the cluster's indices:
 * CPU on host h (the sum over its cores), and bit/s on link l in
 * direction dir (0: from its a to its b; duplex links' ways back
 * included). */
double srv_decider_host_cpu(const struct srv_decider *d, size_t h);
double srv_decider_link_rate(const struct srv_decider *d, size_t l, int dir);

/* The cluster with what is reserved on it as background (hosts' `used`
 * per core and `memory_used`, links' `used_rate`), owned by d; NULL on
 * PLC_ENOMEM. */
const Placer__Cluster *srv_decider_residual(struct srv_decider *d);

#endif
