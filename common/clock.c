/* clock.c: the clocks placer reads (plc/clock.h). */
#include "plc/clock.h"

uint64_t plc_clock_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

double plc_now_ms(void)
{
    return (double)plc_clock_ns(CLOCK_MONOTONIC) / 1e6;
}

double plc_now_s(void)
{
    return (double)plc_clock_ns(CLOCK_MONOTONIC) / 1e9;
}

int64_t plc_wall_us(void)
{
    return (int64_t)(plc_clock_ns(CLOCK_REALTIME) / 1000);
}
