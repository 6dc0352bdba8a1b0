/*
 * plc/log.h: the one logger of placer's daemons (placerd, placer-agent).
 *
 * Lines go to stderr as "TIME PROGRAM LEVEL: message" (UTC, milliseconds),
 * or, when stderr is the systemd journal's stream (JOURNAL_STREAM names
 * it), as "<N>message" with the journal's priority and no time of its own.
 */
#ifndef PLC_LOG_H
#define PLC_LOG_H

#include <stdbool.h>

enum plc_log_level { PLC_LOG_ERROR, PLC_LOG_WARN, PLC_LOG_INFO, PLC_LOG_DEBUG };

/* The program name on every line, the most verbose level written, and
 * whether stderr is the journal (found here). */
void plc_log_init(const char *program, enum plc_log_level level);

/* Set the level from its name (error, warn, info, debug); false when the
 * name is none of them. */
bool plc_log_set_level(const char *name);

/* Whether stderr is the journal (after plc_log_init). */
bool plc_log_to_journal(void);

/* The longest message of one line; a longer one (an agent's error string
 * of megabytes) is cut, with the count of bytes left out. */
#define PLC_LOG_LINE_MAX 2048

void plc_log(enum plc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
