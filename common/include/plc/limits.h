/*
 * plc/limits.h: the sizes placer fixes, checked once where input is
 * validated and relied on everywhere after.
 */
#ifndef PLC_LIMITS_H
#define PLC_LIMITS_H

/* The most vCPUs one service may ask for (each on a distinct core of its
 * host); a larger service is several services. */
#define PLC_VCPUS_MAX 256

#endif
