/*
 * decide.c: the decision path placerd and the offline commands share
 * (decide.h): plan against the residual, count an admission.
 */
#include "server/decide.h"
#include "admit.h"
#include "internal.h"

#include <stdlib.h>

int srv__decide_plan(const Placer__Cluster *residual,
                     const struct model_index *index, const Placer__Workflow *w,
                     int objective, double limit_s, struct model_problem *mp,
                     struct place_plan *plan, Placer__Plan **doc,
                     struct plc_error *err)
{
    return model_plan(mp, residual, index, w, objective, limit_s, NULL, plan,
                      doc, err);
}

int srv__decide_admit(struct totals *t, const Placer__Workflow *w,
                      const struct place_plan *plan,
                      struct admission_rows *rows)
{
    int rc = srv__admission_rows_build(rows, t, w, plan);
    if (rc == 0)
        srv__admission_rows_apply(rows, t, plan);
    return rc;
}

struct srv_decider {
    struct totals t;
};

int srv_decider_new(Placer__Cluster *c, struct srv_decider **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        placer__cluster__free_unpacked(c, NULL);
        return PLC_ENOMEM;
    }
    int rc = srv__totals_set_cluster(&(*out)->t, c);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void srv_decider_free(struct srv_decider *d)
{
    if (!d)
        return;
    srv__totals_release(&d->t);
    free(d);
}

int srv_decide_plan(struct srv_decider *d, const Placer__Workflow *w,
                    int objective, double limit_s, struct model_problem *mp,
                    struct place_plan *plan, Placer__Plan **doc,
                    struct plc_error *err)
{
    const Placer__Cluster *residual = srv__totals_residual(&d->t);
    if (!residual)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    return srv__decide_plan(residual, d->t.index, w, objective, limit_s, mp,
                            plan, doc, err);
}

int srv_decide_admit(struct srv_decider *d, const Placer__Workflow *w,
                     const struct place_plan *plan)
{
    struct admission_rows rows;
    int rc = srv__decide_admit(&d->t, w, plan, &rows);
    srv__admission_rows_release(&rows);
    return rc;
}

const Placer__Cluster *srv_decider_residual(struct srv_decider *d)
{
    return srv__totals_residual(&d->t);
}

double srv_decider_host_cpu(const struct srv_decider *d, size_t h)
{
    double u = 0;
    for (int k = 0; h < d->t.n_hosts && k < d->t.max_cores; k++)
        u += d->t.core[h * (size_t)d->t.max_cores + (size_t)k];
    return u;
}

double srv_decider_link_rate(const struct srv_decider *d, size_t l, int dir)
{
    return l < d->t.n_links ? d->t.link[2 * l + (dir ? 1 : 0)] : 0;
}
