/*
 * model/model.h: the edge between the file formats (protobuf messages of
 * proto/) and the plain-struct libraries (scheduler/, placement/), shared
 * by the executables.  scheduler/ and placement/ know nothing of protobuf;
 * this is where a workflow's fields become their inputs.
 */
#ifndef MODEL_MODEL_H
#define MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "plc/error.h"
#include "plc/names.h"
#include "proto/placer.pb-c.h"
#include "sched/compose.h"
#include "sched/dist.h"
#include "sched/reserve.h"

/*
 * The execution-time distribution of a validated exec_time on a host of
 * `speed` (times divided by it, rounded up): wcet is a point mass; pmf,
 * samples and normal as sched/dist.h builds them; tasks is a point mass at
 * the sum of the task WCETs (the menu of a guest comes from
 * model_service_menu instead).  Returns 0, PLC_EINVAL or PLC_ENOMEM.
 */
int model_exec_dist(const Placer__ExecTime *e, double speed,
                    struct sched_dist *out, struct plc_error *err);

/* The tasks of exec_time.tasks (deadline defaults to the period), WCETs
 * scaled by 1/speed.  Caller frees *out.  Returns 0 or PLC_ENOMEM. */
int model_tasks(const Placer__ExecTime *e, double speed,
                struct sched_task **out, size_t *n);

/* enum sched_policy of exec_time.scheduler (default EDF). */
enum sched_policy model_policy(const Placer__ExecTime *e);
/* The same for a Scheduler value (0: EDF), as analyze inputs give it. */
enum sched_policy model_scheduler_policy(int scheduler);

/*
 * The reservation menu of a service on a host of `speed`: its
 * `reservation` restrictions applied, items with a local deadline above
 * `max_deadline_ns` (0: none) dropped, only phi = 1 kept when `certain`.
 * A guest with tasks gets its periodic-resource interfaces.  A service
 * without exec_time gets an empty menu (it reserves nothing).  `stage`
 * (NULL: the idle ideal server) gives the arrivals and the host's platform
 * the stage probabilities account for (sched/arrival.h).
 */
int model_service_menu(const Placer__Service *s, double speed,
                       uint64_t max_deadline_ns, bool certain,
                       const struct sched_stage_ctx *stage,
                       struct sched_menu *out, struct plc_error *err);

/* The arrival model of a validated workflow (absent: closed). */
struct sched_arrival model_arrival(const Placer__Workflow *w);

/* The platform terms of a validated cluster host (absent: ideal), but for
 * the supply delay: model_supply_delay() gives that. */
struct sched_platform model_platform(const Placer__Host *h);

/* The host's supply delay from its platform's steal envelope (and a
 * stated supply_delay), ns, SCHED_TIME_INF when the host takes all of a
 * core; *capacity gets the usable capacity per core (the core capacity,
 * lowered by the long-run steal rate).  sched_supply_delay() says why. */
uint64_t model_supply_delay(const Placer__Host *h, double *capacity);

/* ---- whole problems (problem.c, document.c) ---------------------------- */

#include "place/plan.h"

/* A place_problem and everything it points to. */
struct model_problem {
    struct place_problem problem;
    struct place_cluster cluster;
    struct place_host *hosts;
    struct place_link *links;
    const char **node_names;
    struct plc_name_index nodes; /* cluster node names (without an index) */
    /* what finds cluster nodes while the problem is built: &nodes, or the
     * model_index given to model_problem_build_indexed() */
    const struct plc_name_index *node_index;
    size_t n_nodes;
    /* host classes: distinct (speed, platform) pairs, each with its own
     * menus */
    double *speeds;
    struct sched_platform *platforms;
    size_t n_speeds;
    size_t *speed_of; /* per host: its class */
    unsigned *depth;  /* per service: services before it on a path */
    bool *last;       /* per service: no service after it */
    struct sched_arrival arrival;
    uint64_t eps_ns;
    size_t n_services;
    struct sched_menu *menu_store; /* service x speed */
    struct sched_dist *dist_store; /* service x speed */
    char **reason_store;           /* service x speed: empty menu, why */
    const char **reasons;          /* service x host */
    struct place_service *services;
    const struct sched_menu **menus; /* service x host */
    const struct sched_dist **execs; /* service x host */
    bool *allowed;                   /* service x host */
    double *prices;                  /* service x host */
    struct plc_name_index wf_nodes;  /* endpoint and service names */
    size_t *endpoint_node;
    const char **endpoint_names;
    struct place_vlink *vlinks;
    size_t **aff, **anti;
    size_t n_affinity, n_anti;
    /* hosts, links, node names and host classes are a model_index's
     * (model_index_refresh), not freed with the problem */
    bool borrowed;
};

/*
 * The placement problem of a validated workflow against a validated
 * cluster (run proto_doc_check_refs first).  `objective` overrides the
 * workflow's (an enum Placer__Objective value, 0: the file's).  The
 * problem borrows from `c` and `w`: keep them alive.  Returns 0,
 * PLC_EDATA (an unknown node) or PLC_ENOMEM; release with
 * model_problem_release() in every case.
 */
int model_problem_build(struct model_problem *mp, const Placer__Cluster *c,
                        const Placer__Workflow *w, int objective,
                        double time_limit_s, struct plc_error *err);
void model_problem_release(struct model_problem *mp);

/* The names and link ends of a cluster, sorted once: a service that plans
 * many workflows on one cluster (or on copies of it that differ only in
 * their loads) passes it to model_problem_build_indexed to skip that work.
 * NULL when memory runs out. */
struct model_index;
struct model_index *model_index_build(const Placer__Cluster *c);
void model_index_free(struct model_index *x);
/*
 * Keep the cluster converted in the index as well (hosts, links, host
 * classes), so that the problems built on it borrow it instead of
 * converting every host again: what placerd does between admissions.  The
 * first call (or all) converts c whole; later ones name what changed in c
 * since: `load` the hosts whose used cores or used memory changed,
 * `changed` those whose capacity, platform or anything else changed,
 * `links` the links whose used rate changed.  The problems built from the
 * index read the converted cluster: call it only while none is built or
 * solved.  0; PLC_EINVAL (not the index's cluster shape) or PLC_ENOMEM,
 * and the index then converts nothing (each problem converts its own).
 */
int model_index_refresh(struct model_index *x, const Placer__Cluster *c,
                        const size_t *load, size_t n_load,
                        const size_t *changed, size_t n_changed,
                        const size_t *links, size_t n_links, bool all);
int model_problem_build_indexed(struct model_problem *mp,
                                const Placer__Cluster *c,
                                const struct model_index *idx,
                                const Placer__Workflow *w, int objective,
                                double time_limit_s, struct plc_error *err);

/*
 * The Plan document of FORMATS.md for `plan`.  Caller owns *out; free with
 * placer__plan__free_unpacked(*out, NULL).  Returns 0 or PLC_ENOMEM.
 */
int model_plan_document(const struct model_problem *mp,
                        const Placer__Workflow *w,
                        const struct place_plan *plan, Placer__Plan **out);

/*
 * The one decision path: the problem of workflow w on cluster c (idx: its
 * index, or NULL), the plan, and its document -- what `placer plan` and
 * placerd's admissions both call.  `export_lp` (NULL: none) also writes
 * the model in CPLEX LP format before the solve.  *doc and *plan are set
 * when it returns 0 (admitted or rejected: plan->admitted says); release
 * mp, plan and doc in every case.  PLC_EDATA, PLC_ENOMEM, PLC_EIO (the LP
 * file), PLC_EINTERNAL, with detail in err.
 */
int model_plan(struct model_problem *mp, const Placer__Cluster *c,
               const struct model_index *idx, const Placer__Workflow *w,
               int objective, double time_limit_s, const char *export_lp,
               struct place_plan *plan, Placer__Plan **doc,
               struct plc_error *err);

/* The topology graph of a validated cluster (hosts 0..n-1, then
 * switches) and which nodes are hosts (*is_host, caller frees).  Caller
 * frees the graph with place_topo_free(); NULL when memory runs out. */
struct place_topo;
struct place_topo *model_cluster_topo(const Placer__Cluster *c, bool **is_host);

#endif
