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

/* Take back an admission srv_decide_admit counted (the same w and plan),
 * as placerd's release does: the totals become what placerd reloads from
 * its store after the release.  0, PLC_ENOMEM, PLC_EINTERNAL. */
int srv_decide_release(struct srv_decider *d, const Placer__Workflow *w,
                       const struct place_plan *plan);

/*
 * The policies placer simulate compares.  placer is placerd's own
 * decision (srv_decide_plan); first, best and worst fit are place_fit()'s
 * greedy plans, verified exactly as placer's; requests-only is what a
 * scheduler that knows CPU requests alone does (Kubernetes): each
 * service's request (its mean execution time over its period: the
 * workflow's arrival interval, or when jobs are closed the mean time of
 * one job through the workflow, the longest path of mean execution times;
 * a guest's least interface) on the first host whose cores each take it
 * beside what is there and whose memory takes the service; no
 * reservation, no bandwidth, no latency check.
 */
enum srv_policy {
    SRV_POLICY_PLACER,
    SRV_POLICY_FIRST_FIT,
    SRV_POLICY_BEST_FIT,
    SRV_POLICY_WORST_FIT,
    SRV_POLICY_REQUESTS_ONLY,
};
#define SRV_POLICIES 5
/* "placer", "first-fit", "best-fit", "worst-fit", "requests-only". */
const char *srv_policy_name(enum srv_policy p);
/* 0, or PLC_EINVAL for a name that is none of them. */
int srv_policy_parse(const char *name, enum srv_policy *out);

/* The plan of w under policy pol (placer: srv_decide_plan without its
 * document).  mp and plan for the caller to release. */
int srv_decide_policy(struct srv_decider *d, const Placer__Workflow *w,
                      enum srv_policy pol, int objective, double limit_s,
                      struct model_problem *mp, struct place_plan *plan,
                      struct plc_error *err);

/* The problem of w against what is left now (model_problem_build on the
 * residual; objective 0: the workflow's; limit_s 0: none), for the caller
 * to release; 0 or PLC_E* with err (PLC_ETIMEDOUT: the limit ran out). */
int srv_decider_problem(struct srv_decider *d, const Placer__Workflow *w,
                        int objective, double limit_s, struct model_problem *mp,
                        struct plc_error *err);

/* The request of service v of a built problem on host h under
 * requests-only (utilisation of one vCPU). */
double srv_cpu_request(const struct model_problem *mp, size_t v, size_t h);

/* Host h down (its cores full to every plan, as placerd has a host whose
 * agent is down) or up again. */
void srv_decider_set_host_down(struct srv_decider *d, size_t h, bool down);

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
