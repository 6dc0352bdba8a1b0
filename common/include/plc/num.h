/* plc/num.h: small integer helpers shared by the libraries. */
#ifndef PLC_NUM_H
#define PLC_NUM_H

#include <stdint.h>

/* Greatest common divisor (gcd(0, b) = b). */
static inline uint64_t plc_gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

#endif
