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

/*
 * One hop of a flow's path: the port, and the other flows it shares.
 */
struct sched_hop {
    struct sched_port port;
    struct sched_flow cross; /* aggregate of the other flows (rate, burst) */
    uint64_t latency_ns;     /* propagation + processing of the link */
};

struct sched_path_bound {
    double delay_ns;    /* end-to-end: sum of hop delays and latencies */
    double burst_out;   /* the flow's burst when it leaves the path */
    size_t failing_hop; /* first hop that does not admit, or n */
};

/*
 * A flow along a path of `n` hops.  At every hop the flow's burst has grown
 * by r times the delay it has met so far (b_h = b + r D_{<h}, the
 * output-burst bound of a token bucket through a delay-bounded element);
 * the hop admits the aggregate of that and its cross traffic per
 * sched_port_check().  The end-to-end bound is the sum of the hop delay
 * bounds and link latencies.
 */
void sched_path_check(const struct sched_hop *hops, size_t n,
                      struct sched_flow flow, struct sched_path_bound *out);

#endif
