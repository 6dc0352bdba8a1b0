/* netcalc.c: the per-port network-calculus check of MATH.md §4. */
#include "sched/netcalc.h"

#include <math.h>

void sched_port_check(const struct sched_port *p,
                      const struct sched_flow *flows, size_t n,
                      struct sched_port_bound *out)
{
    double rho = 0, sigma_bits = 0;
    for (size_t i = 0; i < n; i++) {
        rho += (double)flows[i].rate_bps;
        sigma_bits += 8.0 * (double)flows[i].burst_bytes;
    }
    double c = (double)p->rate_bps;
    double mtu = p->mtu_bytes ? (double)p->mtu_bytes : 1500.0;
    double t_ns = 8.0 * mtu / c * 1e9; /* T = MTU / C */
    out->rate_ok = rho <= c;
    out->delay_ns = out->rate_ok ? t_ns + sigma_bits / c * 1e9 : INFINITY;
    out->backlog_bytes = (sigma_bits + rho * t_ns * 1e-9) / 8.0;
    out->max_delay_ns =
        p->buffer_bytes ? 8.0 * (double)p->buffer_bytes / c * 1e9 : INFINITY;
    /* bounds are inclusive (FORMATS.md); a relative tolerance keeps a bound
     * equal to the limit from being decided by rounding */
    const double tol = 1e-9;
    out->admitted = out->rate_ok &&
                    out->delay_ns <= out->max_delay_ns * (1 + tol) &&
                    (!p->buffer_bytes ||
                     out->backlog_bytes <= (double)p->buffer_bytes * (1 + tol));
}

void sched_path_check(const struct sched_hop *hops, size_t n,
                      struct sched_flow flow, struct sched_path_bound *out)
{
    double delay = 0, burst = (double)flow.burst_bytes;
    out->failing_hop = n;
    for (size_t h = 0; h < n; h++) {
        /* the grown burst, rounded up to whole bytes */
        struct sched_flow agg[2] = {{flow.rate_bps, (uint64_t)ceil(burst)},
                                    hops[h].cross};
        struct sched_port_bound b;
        sched_port_check(&hops[h].port, agg, 2, &b);
        if (!b.admitted && out->failing_hop == n)
            out->failing_hop = h;
        delay += b.delay_ns + (double)hops[h].latency_ns;
        burst += (double)flow.rate_bps / 8.0 * b.delay_ns * 1e-9;
    }
    out->delay_ns = delay;
    out->burst_out = burst;
}
