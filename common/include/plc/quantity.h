/*
 * plc/quantity.h: physical quantities with units, as FORMATS.md defines
 * them, parsed from and printed to strings.
 *
 *   time  ns us µs ms s                        base: nanoseconds
 *   rate  bit Kbit Mbit Gbit Tbit (decimal, tc style; bps, Kbps ... and
 *         lower-case kbit/mbit/gbit/tbit accepted)  base: bits per second
 *   size  B KiB MiB GiB TiB (binary), KB MB GB TB (decimal)   base: bytes
 *
 * Values are exact: "1.5ms" is 1500000 ns; a value that is not a whole
 * number of base units ("0.5ns"), a negative value, a value beyond 2^64-1
 * and anything that is not `NUMBER [spaces] UNIT` are rejected with a
 * message that shows the fix.
 */
#ifndef PLC_QUANTITY_H
#define PLC_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

struct plc_error;

enum plc_qty_kind {
    PLC_QTY_TIME,
    PLC_QTY_RATE,
    PLC_QTY_SIZE,
};

/* "time", "rate" or "size". */
const char *plc_qty_kind_name(enum plc_qty_kind kind);

/* An example value of the kind with its usual unit ("30ms", "100Mbit",
 * "64KiB"), for messages that show the fix. */
const char *plc_qty_example_unit(enum plc_qty_kind kind);

/* The largest value a quantity may take, in base units: 2^63 - 1, so that
 * UINT64_MAX stays free for "unlimited", two quantities add without
 * overflow, and every value fits SQLite's integers. */
#define PLC_QTY_MAX ((uint64_t)INT64_MAX)

/*
 * Parse `s` into base units (at most PLC_QTY_MAX).  Returns 0, or PLC_EDATA
 * (malformed, unknown unit, no unit, negative, not whole) or PLC_ERANGE (too
 * large) with a message in `err` that quotes `s` and says how to fix it.
 */
int plc_qty_parse(enum plc_qty_kind kind, const char *s, uint64_t *out,
                  struct plc_error *err);

/*
 * Print `v` with the largest unit in which it is at least 1, exactly (no
 * rounding), e.g. 1500000 ns -> "1.5ms", 65536 B -> "64KiB".  Parsing the
 * result gives `v` back.  Returns the length that the full text needs (as
 * snprintf does).
 */
int plc_qty_format(enum plc_qty_kind kind, uint64_t v, char *out, size_t size);

/* Buffer size that holds any formatted quantity. */
#define PLC_QTY_BUFSZ 40

#endif
