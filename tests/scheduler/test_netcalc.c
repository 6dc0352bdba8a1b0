/* The per-port network-calculus check, on the example of MATH.md §4. */
#include <criterion/criterion.h>
#include <math.h>

#include "sched/netcalc.h"

static const struct sched_port port = {10000000000ULL, 312500, 1500};

Test(sched_netcalc, admits_the_math_md_example_with_its_bounds)
{
    struct sched_flow f[] = {{1000000000ULL, 15000},
                             {2000000000ULL, 30000},
                             {3000000000ULL, 100000}};
    struct sched_port_bound b;
    sched_port_check(&port, f, 3, &b);
    cr_assert(b.admitted);
    cr_assert(fabs(b.delay_ns - 117200) < 0.5, "%f", b.delay_ns);
    cr_assert(fabs(b.backlog_bytes - 145900) < 0.5, "%f", b.backlog_bytes);
    cr_assert(fabs(b.max_delay_ns - 250000) < 0.5);
}

Test(sched_netcalc, a_fourth_flow_fits_at_150kb_and_not_at_200kb)
{
    struct sched_flow f[] = {{1000000000ULL, 15000},
                             {2000000000ULL, 30000},
                             {3000000000ULL, 100000},
                             {1000000000ULL, 150000}};
    struct sched_port_bound b;
    sched_port_check(&port, f, 4, &b);
    cr_assert(b.admitted);
    cr_assert(fabs(b.delay_ns - 237200) < 0.5, "%f", b.delay_ns);
    f[3].burst_bytes = 200000;
    sched_port_check(&port, f, 4, &b);
    cr_assert_not(b.admitted);
    cr_assert(b.delay_ns > b.max_delay_ns);
}

Test(sched_netcalc, an_aggregate_above_the_rate_is_unstable)
{
    struct sched_flow f[] = {{6000000000ULL, 1500}, {5000000000ULL, 1500}};
    struct sched_port_bound b;
    sched_port_check(&port, f, 2, &b);
    cr_assert_not(b.rate_ok);
    cr_assert_not(b.admitted);
    cr_assert(isinf(b.delay_ns));
}

Test(sched_netcalc, a_burst_grows_by_rate_times_delay_along_a_path)
{
    /* two identical 10 Gbit/s hops, 1 MB buffers, 1 us links, no cross
     * traffic; a 1 Gbit/s flow with a 15 KB burst */
    struct sched_hop hops[2];
    for (int i = 0; i < 2; i++)
        hops[i] =
            (struct sched_hop){{10000000000ULL, 1000000, 1500}, {0, 0}, 1000};
    struct sched_flow f = {1000000000ULL, 15000};
    struct sched_path_bound pb;
    sched_path_check(hops, 2, f, &pb);
    cr_assert_eq(pb.failing_hop, 2);
    /* hop 1: T + b/C = 1.2 us + 12 us = 13.2 us; the burst grows by
     * 1 Gbit/s * 13.2 us = 1650 B; hop 2: 1.2 + 16650*8/10e9 = 14.52 us */
    cr_assert(fabs(pb.delay_ns - (13200 + 14520 + 2000)) < 1, "%f",
              pb.delay_ns);
    cr_assert(fabs(pb.burst_out - (15000 + 1650 + 1815)) < 1, "%f",
              pb.burst_out);
    /* a small buffer on the second hop refuses it there */
    hops[1].port.buffer_bytes = 10000;
    sched_path_check(hops, 2, f, &pb);
    cr_assert_eq(pb.failing_hop, 1);
}
