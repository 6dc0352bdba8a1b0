/* agent/wire.h: placerd's Reservation messages as agent/'s plain structs.
 * Shared by placer-agent and its fuzz target. */
#ifndef PLACER_AGENT_WIRE_H
#define PLACER_AGENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/enforce.h"
#include "proto/placer.pb-c.h"

/* Convert m into r; false with the reason in why when it cannot be (an
 * address that is not IPv4, a budget above its deadline, ...).  r->id and
 * r->generation are filled either way, for the acknowledgement. */
bool agent_wire_res(const Placer__Reservation *m, struct agent_res *r,
                    char *why, size_t cap);

#endif
