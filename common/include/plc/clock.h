/*
 * plc/clock.h: the clocks placer reads, in one place.
 */
#ifndef PLC_CLOCK_H
#define PLC_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Clock `c` in nanoseconds (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID...). */
uint64_t plc_clock_ns(clockid_t c);

/* The monotonic clock in milliseconds and in seconds (for intervals). */
double plc_now_ms(void);
double plc_now_s(void);

/* Wall-clock time in microseconds since the epoch (for records). */
int64_t plc_wall_us(void);

#endif
