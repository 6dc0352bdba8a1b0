/*
 * sched/netcalc.h: network calculus for one output port (MATH.md §4).
 *
 * A port of rate C serves its flows FIFO as a rate-latency server with
 * latency T = MTU/C.  Flows are token buckets (r, b); their aggregate is
 * (rho = sum r, sigma = sum b).  Then (Le Boudec & Thiran, Network
 * Calculus, Thm 1.4.1 and 1.4.2):
 *     delay   <= T + sigma / C       (requires rho <= C)
 *     backlog <= sigma + rho * T
 * A port with a buffer admits the aggregate when rho <= C, the delay bound
 * is at most delta = buffer / C and the backlog bound at most the buffer.
 */
#ifndef SCHED_NETCALC_H
#define SCHED_NETCALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched_flow {
    uint64_t rate_bps;
    uint64_t burst_bytes;
};

struct sched_port {
    uint64_t rate_bps;     /* C, > 0 */
    uint64_t buffer_bytes; /* 0: no buffer bound is checked */
    uint64_t mtu_bytes;    /* for T = MTU / C; 0 means 1500 */
};

struct sched_port_bound {
    double delay_ns;      /* T + sigma/C (infinite if rho > C) */
    double backlog_bytes; /* sigma + rho*T */
    double max_delay_ns;  /* delta = buffer/C (infinite without buffer) */
    bool rate_ok;         /* rho <= C */
    bool admitted;        /* rate_ok, delay <= delta, backlog <= buffer */
};

/* Bounds of `n` flows through port `p`. */
void sched_port_check(const struct sched_port *p,
                      const struct sched_flow *flows, size_t n,
                      struct sched_port_bound *out);

#endif
