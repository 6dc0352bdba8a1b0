/* exec.c: exec_time and reservation restrictions into scheduler/ inputs. */
#include "model/model.h"
#include "plc/quantity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t scaled(uint64_t ns, double speed)
{
    return speed == 1.0 ? ns : (uint64_t)ceil((double)ns / speed);
}

int model_tasks(const Placer__ExecTime *e, double speed,
                struct sched_task **out, size_t *n)
{
    *n = e->n_tasks;
    *out = malloc((e->n_tasks ? e->n_tasks : 1) * sizeof **out);
    if (!*out)
        return PLC_ENOMEM;
    for (size_t i = 0; i < e->n_tasks; i++) {
        const Placer__Task *t = e->tasks[i];
        (*out)[i] =
            (struct sched_task){scaled(t->wcet->ns, speed), t->period->ns,
                                t->deadline ? t->deadline->ns : t->period->ns};
    }
    return 0;
}

enum sched_policy model_scheduler_policy(int scheduler)
{
    switch (scheduler) {
    case PLACER__SCHEDULER__SCHEDULER_RM:
        return SCHED_POLICY_RM;
    case PLACER__SCHEDULER__SCHEDULER_DM:
        return SCHED_POLICY_DM;
    default:
        return SCHED_POLICY_EDF;
    }
}

enum sched_policy model_policy(const Placer__ExecTime *e)
{
    return model_scheduler_policy(e->has_scheduler ? (int)e->scheduler : 0);
}

static int from_pmf(const Placer__ExecTime *e, struct sched_dist *out,
                    struct plc_error *err)
{
    uint64_t *t = malloc(e->n_pmf * sizeof *t);
    double *p = malloc(e->n_pmf * sizeof *p);
    int rc = (!t || !p) ? PLC_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < e->n_pmf; i++) {
        rc = plc_qty_parse(PLC_QTY_TIME, e->pmf[i]->key, &t[i], err);
        p[i] = e->pmf[i]->value;
    }
    if (rc == 0)
        rc = sched_dist_from_pmf(out, t, p, e->n_pmf);
    free(t);
    free(p);
    return rc;
}

int model_exec_dist(const Placer__ExecTime *e, double speed,
                    struct sched_dist *out, struct plc_error *err)
{
    int rc;
    if (e->wcet) {
        rc = sched_dist_point(out, e->wcet->ns);
    } else if (e->n_pmf) {
        rc = from_pmf(e, out, err);
    } else if (e->n_samples) {
        uint64_t *t = malloc(e->n_samples * sizeof *t);
        if (!t)
            return PLC_ENOMEM;
        for (size_t i = 0; i < e->n_samples; i++)
            t[i] = e->samples[i]->ns;
        rc = sched_dist_from_samples(out, t, e->n_samples);
        free(t);
    } else if (e->normal) {
        rc = sched_dist_from_normal(out, e->normal->mean->ns,
                                    e->normal->stddev->ns);
    } else if (e->n_tasks) {
        uint64_t sum = 0;
        for (size_t i = 0; i < e->n_tasks; i++)
            sum += e->tasks[i]->wcet->ns;
        rc = sched_dist_point(out, sum);
    } else {
        rc = PLC_EINVAL;
    }
    if (rc == 0)
        rc = sched_dist_scale(out, speed);
    if (rc < 0)
        plc_error_set(err, rc, "cannot build the execution time (%s)",
                      plc_strerror(rc));
    return rc;
}

static uint64_t *times_of(Placer__Time *const *v, size_t n)
{
    uint64_t *t = malloc((n ? n : 1) * sizeof *t);
    for (size_t i = 0; t && i < n; i++)
        t[i] = v[i]->ns;
    return t;
}

struct sched_arrival model_arrival(const Placer__Workflow *w)
{
    struct sched_arrival a = {SCHED_ARRIVAL_CLOSED, 0};
    const Placer__Arrival *x = w->arrival;
    if (x && x->arrival_case == PLACER__ARRIVAL__ARRIVAL_RATE && x->rate) {
        if (x->rate->period)
            a = (struct sched_arrival){SCHED_ARRIVAL_PERIODIC,
                                       x->rate->period->ns};
        else if (x->rate->min_interarrival)
            a = (struct sched_arrival){SCHED_ARRIVAL_SPORADIC,
                                       x->rate->min_interarrival->ns};
    }
    return a;
}

uint64_t model_supply_delay(const Placer__Host *h, double *capacity)
{
    double c = h->has_core_capacity ? h->core_capacity : 1.0;
    *capacity = c;
    const Placer__Platform *x = h->platform;
    if (!x)
        return 0;
    uint64_t win[32], st[32];
    size_t n = 0;
    for (size_t i = 0; i < x->n_steal && n < 32; i++)
        if (x->steal[i]->window && x->steal[i]->stolen) {
            win[n] = x->steal[i]->window->ns;
            st[n++] = x->steal[i]->stolen->ns;
        }
    /* a stated delay is the bound (placerd states the one it computed
     * from its agent's envelope); the capacity follows the envelope */
    if (x->supply_delay) {
        *capacity = sched_supply_capacity(win, st, n, c);
        return x->supply_delay->ns;
    }
    return sched_supply_delay(win, st, n, c, capacity);
}

struct sched_platform model_platform(const Placer__Host *h)
{
    struct sched_platform pf = {0};
    const Placer__Platform *x = h->platform;
    if (!x)
        return pf;
    pf.measured = true;
    pf.overhead_ns = x->overhead ? x->overhead->ns : 0;
    pf.granularity_ns = x->granularity ? x->granularity->ns : 0;
    pf.wakeup_ns = x->wakeup_latency ? x->wakeup_latency->ns : 0;
    pf.exceed_probability =
        x->has_exceed_probability ? x->exceed_probability : 0;
    if (x->n_overhead_quantiles == SCHED_PLATFORM_Q &&
        x->n_wakeup_quantiles == SCHED_PLATFORM_Q) {
        pf.has_q = true;
        for (int i = 0; i < SCHED_PLATFORM_Q; i++) {
            pf.overhead_q[i] = x->overhead_quantiles[i]->ns;
            pf.wakeup_q[i] = x->wakeup_quantiles[i]->ns;
        }
    }
    return pf;
}

int model_service_menu(const Placer__Service *s, double speed,
                       uint64_t max_deadline_ns, bool certain,
                       const struct sched_stage_ctx *stage,
                       struct sched_menu *out, struct plc_error *err)
{
    *out = (struct sched_menu)SCHED_MENU_INIT;
    const Placer__ExecTime *e = s->exec_time;
    if (!e)
        return 0;
    const Placer__ReservationMenu *r = s->reservation;
    struct sched_menu_spec spec = {0};
    uint64_t *per = NULL, *bud = NULL, *dl = NULL;
    if (r) {
        per = times_of(r->periods, r->n_periods);
        bud = times_of(r->budgets, r->n_budgets);
        dl = times_of(r->deadlines, r->n_deadlines);
        if (!per || !bud || !dl) {
            free(per);
            free(bud);
            free(dl);
            return plc_error_set(err, PLC_ENOMEM, "cannot build a menu (%s)",
                                 plc_strerror(PLC_ENOMEM));
        }
        spec = (struct sched_menu_spec){
            per, r->n_periods, bud, r->n_budgets, dl, r->n_deadlines, 0,
            0,   false,        NULL};
    }
    spec.max_deadline_ns = max_deadline_ns;
    spec.require_certain = certain;
    spec.stage = stage;
    int rc;
    if (e->n_tasks) {
        struct sched_task *t = NULL;
        size_t n;
        rc = model_tasks(e, speed, &t, &n);
        if (rc == 0)
            rc = sched_menu_from_tasks(out, t, n, (int)model_policy(e), &spec);
        free(t);
    } else {
        struct sched_dist d = SCHED_DIST_INIT;
        rc = model_exec_dist(e, speed, &d, err);
        if (rc == 0)
            rc = sched_menu_build(out, &d, &spec);
        sched_dist_release(&d);
    }
    free(per);
    free(bud);
    free(dl);
    if (rc < 0)
        plc_error_set(err, rc, "cannot build the menu of '%s' (%s)",
                      s->name ? s->name : "?", plc_strerror(rc));
    return rc;
}
