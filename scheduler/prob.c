/* prob.c: probability bounds and the end-to-end distribution of a DAG. */
#include "sched/prob.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sched_prob_independent(const double *phi, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += sched_prob_lambda(phi[i]);
    return exp(-s);
}

double sched_prob_union(const double *phi, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += 1.0 - phi[i];
    return 1.0 - s;
}

double sched_prob_lambda(double phi)
{
    return phi >= 1.0 ? 0.0 : -log(phi);
}

bool sched_prob_meets(double bound, double target)
{
    return bound >= target - SCHED_PROB_TOL;
}

double sched_normal_quantile(double p)
{
    /* bisection on Phi(z) = 0.5 erfc(-z / sqrt 2): monotone, and exact to
     * the last bits after 200 halvings of [-40, 40] */
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

double sched_cantelli_k(double p)
{
    return sqrt(p / (1.0 - p));
}

double sched_moment_bound_normal(double mean_ns, double stddev_ns, double p)
{
    return mean_ns + sched_normal_quantile(p) * stddev_ns;
}

double sched_moment_bound_cantelli(double mean_ns, double stddev_ns, double p)
{
    return mean_ns + sched_cantelli_k(p) * stddev_ns;
}

/* Does any stage reach both a and b (the predecessors of a join)?
 * reach[v * n + s] tells whether stage s precedes or is v. */
static bool share_stage(const bool *reach, size_t n, size_t a, size_t b)
{
    for (size_t s = 0; s < n; s++)
        if (reach[a * n + s] && reach[b * n + s])
            return true;
    return false;
}

int sched_e2e_dist(const struct sched_dist *stage, size_t n,
                   const struct sched_dag_edge *edges, size_t n_edges,
                   struct sched_dist *out, bool *exact)
{
    for (size_t e = 0; e < n_edges; e++)
        if (edges[e].from >= edges[e].to || edges[e].to >= n)
            return PLC_EINVAL;
    struct sched_dist *done = calloc(n ? n : 1, sizeof *done);
    bool *reach = calloc(n > 0 ? n * n : 1, sizeof *reach);
    bool *is_sink = malloc((n ? n : 1) * sizeof *is_sink);
    int rc = (!done || !reach || !is_sink) ? PLC_ENOMEM : 0;
    *exact = true;
    for (size_t v = 0; v < n; v++)
        if (is_sink)
            is_sink[v] = true;
    struct sched_dist start = SCHED_DIST_INIT, tmp = SCHED_DIST_INIT;
    for (size_t v = 0; rc == 0 && v < n; v++) {
        /* start time of v: max over predecessors of C_u + delay */
        bool first = true;
        rc = sched_dist_point(&start, 0);
        reach[v * n + v] = stage[v].n > 0;
        for (size_t e = 0; rc == 0 && e < n_edges; e++) {
            if (edges[e].to != v)
                continue;
            size_t u = edges[e].from;
            is_sink[u] = false;
            struct sched_dist shifted = SCHED_DIST_INIT;
            rc = sched_dist_copy(&shifted, &done[u]);
            for (size_t i = 0; rc == 0 && i < shifted.n; i++)
                shifted.t_ns[i] += edges[e].delay_ns;
            if (rc == 0 && first) {
                rc = sched_dist_copy(&start, &shifted);
            } else if (rc == 0) {
                rc = sched_dist_max_of(&tmp, &start, &shifted);
                if (rc == 0)
                    rc = sched_dist_copy(&start, &tmp);
            }
            sched_dist_release(&shifted);
            if (rc == 0) {
                /* joins of paths sharing a stage are not exact */
                for (size_t e2 = 0; e2 < e; e2++)
                    if (edges[e2].to == v &&
                        share_stage(reach, n, edges[e2].from, u))
                        *exact = false;
                for (size_t s = 0; s < n; s++)
                    reach[v * n + s] |= reach[u * n + s];
            }
            first = false;
        }
        if (rc == 0 && stage[v].n > 0)
            rc = sched_dist_convolve(&done[v], &start, &stage[v], 0);
        else if (rc == 0)
            rc = sched_dist_copy(&done[v], &start);
    }
    /* the end-to-end time: max over sinks */
    bool have = false;
    for (size_t v = 0; rc == 0 && v < n; v++) {
        if (!is_sink[v])
            continue;
        if (!have) {
            rc = sched_dist_copy(out, &done[v]);
            have = true;
        } else {
            rc = sched_dist_max_of(&tmp, out, &done[v]);
            if (rc == 0)
                rc = sched_dist_copy(out, &tmp);
            for (size_t w = 0; rc == 0 && w < v; w++)
                if (is_sink[w] && share_stage(reach, n, w, v))
                    *exact = false;
        }
    }
    if (rc == 0 && !have)
        rc = sched_dist_point(out, 0);
    if (rc == 0 && !out->exact)
        *exact = false;
    sched_dist_release(&start);
    sched_dist_release(&tmp);
    for (size_t v = 0; done && v < n; v++)
        sched_dist_release(&done[v]);
    free(done);
    free(reach);
    free(is_sink);
    return rc;
}
