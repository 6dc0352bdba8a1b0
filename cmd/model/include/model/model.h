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

/*
 * The reservation menu of a service on a host of `speed`: its
 * `reservation` restrictions applied, items with a local deadline above
 * `max_deadline_ns` (0: none) dropped, only phi = 1 kept when `certain`.
 * A guest with tasks gets its periodic-resource interfaces.  A service
 * without exec_time gets an empty menu (it reserves nothing).
 */
int model_service_menu(const Placer__Service *s, double speed,
                       uint64_t max_deadline_ns, bool certain,
                       struct sched_menu *out, struct plc_error *err);

#endif
