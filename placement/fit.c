/*
 * fit.c: the greedy policies of placer simulate (place_fit, plan.h):
 * first, best and worst fit over the same candidates, items and exact
 * verification as the heuristic that warm-starts the MILP (heur.c).
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "routes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *rule_name(enum place_fit rule)
{
    return rule == PLACE_FIT_FIRST  ? "first fit"
           : rule == PLACE_FIT_BEST ? "best fit"
                                    : "worst fit";
}

int place_fit(const struct place_problem *p0, enum place_fit rule,
              struct place_plan *plan, struct plc_error *err)
{
    double t0 = plc_now_ms();
    double limit = p0->time_limit_s > 0 ? p0->time_limit_s : 2.0;
    struct place_problem q = *p0;
    if (q.deadline_s <= 0)
        q.deadline_s = t0 / 1000 + limit;
    const struct place_problem *p = &q;
    memset(plan, 0, sizeof *plan);
    plan->services =
        calloc(p->n_services ? p->n_services : 1, sizeof *plan->services);
    plan->vlinks = calloc(p->n_vlinks ? p->n_vlinks : 1, sizeof *plan->vlinks);
    plan->n_vlinks_alloc = p->n_vlinks;
    if (!plan->services || !plan->vlinks)
        return plc_error_set(err, PLC_ENOMEM, "cannot plan (%s)",
                             plc_strerror(PLC_ENOMEM));
    plan->status = PLACE_FEASIBLE;
    struct routes r;
    int rc = place__routes_build(&r, p->cluster, p->endpoint_node,
                                 p->n_endpoints, place__demand_bps(p));
    if (rc < 0)
        return plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc));
    if (!place__check_routes(p, &r, plan)) {
        place__routes_release(&r);
        plan->status = PLACE_INFEASIBLE;
        plan->time_ms = plc_now_ms() - t0;
        return 0;
    }
    struct milp m;
    rc = place__milp_prepare(&m, p, &r, 0, GOAL_FIT);
    if (rc == PLC_ETIMEDOUT) {
        rc = 0;
        plan->status = PLACE_TIMEOUT;
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "the time limit of %.3g s ran out before %s placed "
                      "anything",
                      limit, rule_name(rule));
    } else if (rc == PLC_EDATA) {
        /* a service fits no host at all, whatever the policy */
        rc = 0;
        plan->status = PLACE_INFEASIBLE;
        if (!place__rules_contradict(p, plan))
            place__explain_no_candidate_clear(p, &m, plan);
        if (plan->reject == PLACE_REJECT_NONE)
            place__explain_no_candidate(p, &m, plan);
    } else if (rc == 0) {
        enum place_reject why = PLACE_REJECT_CPU;
        rc = place__fit_plan(&m, (int)rule, plan, &why);
        if (rc == 1) {
            rc = 0;
            plan->admitted = true;
            plan->objective = place__plan_objective(&m, plan);
        } else if (rc == 0) {
            place__free_paths(plan, p->n_vlinks);
            if (place__expired(p)) {
                plan->status = PLACE_TIMEOUT;
                place__reject(plan, PLACE_REJECT_TIMEOUT,
                              "%s found no plan in the time limit of %.3g s",
                              rule_name(rule), limit);
            } else {
                static const char *const what[] = {
                    [PLACE_REJECT_CPU] = "no free core took a service",
                    [PLACE_REJECT_MEMORY] = "no host had memory for a "
                                            "service",
                    [PLACE_REJECT_BANDWIDTH] = "a link was over its rate",
                    [PLACE_REJECT_DEADLINE] = "its plans missed the deadline",
                    [PLACE_REJECT_LINK_LATENCY] = "a vlink broke its limits",
                    [PLACE_REJECT_NO_ROUTE] = "a vlink had no route",
                    [PLACE_REJECT_PROBABILITY] = "its plans missed the "
                                                 "probability",
                };
                place__reject(plan, why,
                              "%s found no plan: %s (a greedy policy's "
                              "rejection, not a proof)",
                              rule_name(rule),
                              why < sizeof what / sizeof *what && what[why]
                                  ? what[why]
                                  : "its tries failed");
            }
        }
    }
    place__milp_release(&m);
    place__routes_release(&r);
    plan->time_ms = plc_now_ms() - t0;
    return rc < 0 ? plc_error_set(err, rc, "cannot plan (%s)", plc_strerror(rc))
                  : 0;
}
