/*
 * plc/limits.h: the sizes placer fixes, checked once where input is
 * validated and relied on everywhere after.
 */
#ifndef PLC_LIMITS_H
#define PLC_LIMITS_H

/* The most vCPUs one service may ask for (each on a distinct core of its
 * host); a larger service is several services. */
#define PLC_VCPUS_MAX 256

/* The reservation periods SCHED_DEADLINE accepts by default
 * (kernel.sched_deadline_period_min_us = 100, _max_us = 4194304): a
 * period outside cannot be enforced, and the compositional analysis
 * steps through a period's microseconds. */
#define PLC_PERIOD_MIN_NS 100000ULL
#define PLC_PERIOD_MAX_NS 4194304000ULL

/* The most entries of each list of a service's "reservation" menu
 * (periods, budgets, deadlines): the menu is their product, and every
 * item is analysed on every kind of host. */
#define PLC_MENU_LIST_MAX 64

/* The largest request placerd takes, in bytes (one protobuf frame). */
#define PLC_REQUEST_MAX (16u << 20)

/* The most bytes placer reads from one input file or stdin (a workflow,
 * a cluster, a topology to import): four times the largest request
 * placerd takes, so any file placerd could be sent is read offline too. */
#define PLC_INPUT_FILE_MAX (64u << 20)

#endif
