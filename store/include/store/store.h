/*
 * store/store.h: placer's durable state in one SQLite file.
 *
 * Opening applies the versioned migrations in order, each in its own
 * transaction, so a file is always at a known schema version; WAL mode and
 * foreign keys are on.  Later issues add the cluster, workflow and
 * reservation tables as further migrations (never by editing old ones).
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdint.h>

struct plc_error;
struct store;

/* Open (creating if needed) the store at `path` and migrate it to the
 * newest schema.  Returns 0 or PLC_EIO/PLC_EDATA (a file from a newer
 * placer) with detail; caller owns *out, close with store_close(). */
int store_open(const char *path, struct store **out, struct plc_error *err);

/* NULL-safe. */
void store_close(struct store *s);

/* Schema version of the open store. */
int store_schema_version(const struct store *s);

/* The newest schema version this build knows. */
int store_schema_latest(void);

/* Append to the event log (who did what, with numbers).  Returns 0 or
 * PLC_EIO with detail. */
int store_event_append(struct store *s, const char *kind, const char *subject,
                       const char *detail, struct plc_error *err);

/* Number of events in the log, or a negative error code. */
int64_t store_event_count(struct store *s, struct plc_error *err);

#endif
