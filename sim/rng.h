/* rng.h: the simulator's random numbers (private to sim/): splitmix64,
 * so that a seed gives the same draws on every libc. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

static inline uint64_t sim__mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static inline double sim__unit(uint64_t *s)
{
    return ((double)(sim__mix(s) >> 11) + 0.5) / 9007199254740992.0;
}

#endif
