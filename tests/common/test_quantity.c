/* Quantities with units: every unit, boundaries, overflow, garbage, and
 * printing that parses back to the same value. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "plc/error.h"
#include "plc/quantity.h"

static uint64_t ok(enum plc_qty_kind k, const char *s)
{
    uint64_t v = 0;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = plc_qty_parse(k, s, &v, &err);
    cr_assert_eq(rc, 0, "\"%s\" rejected: %s", s, err.msg);
    return v;
}

static const char *bad(enum plc_qty_kind k, const char *s, int code)
{
    static struct plc_error err;
    plc_error_clear(&err);
    uint64_t v = 12345;
    int rc = plc_qty_parse(k, s, &v, &err);
    cr_assert_eq(rc, code, "\"%s\": expected %d, got %d (%s)", s, code, rc,
                 err.msg);
    cr_assert_eq(v, 12345, "\"%s\": output written on failure", s);
    return err.msg;
}

Test(quantity, parses_every_time_unit)
{
    cr_assert_eq(ok(PLC_QTY_TIME, "7ns"), 7);
    cr_assert_eq(ok(PLC_QTY_TIME, "7us"), 7000);
    cr_assert_eq(ok(PLC_QTY_TIME, "7\xc2\xb5s"), 7000);
    cr_assert_eq(ok(PLC_QTY_TIME, "7\xce\xbcs"), 7000);
    cr_assert_eq(ok(PLC_QTY_TIME, "7ms"), 7000000);
    cr_assert_eq(ok(PLC_QTY_TIME, "7s"), 7000000000ULL);
    cr_assert_eq(ok(PLC_QTY_TIME, "1.5ms"), 1500000);
    cr_assert_eq(ok(PLC_QTY_TIME, "0.001ms"), 1000);
    cr_assert_eq(ok(PLC_QTY_TIME, " 30 ms "), 30000000);
    cr_assert_eq(ok(PLC_QTY_TIME, "0s"), 0);
    cr_assert_eq(ok(PLC_QTY_TIME, "2.500000000s"), 2500000000ULL);
}

Test(quantity, parses_every_rate_unit)
{
    cr_assert_eq(ok(PLC_QTY_RATE, "9bit"), 9);
    cr_assert_eq(ok(PLC_QTY_RATE, "9bps"), 9);
    cr_assert_eq(ok(PLC_QTY_RATE, "9Kbit"), 9000);
    cr_assert_eq(ok(PLC_QTY_RATE, "9kbit"), 9000);
    cr_assert_eq(ok(PLC_QTY_RATE, "9Mbit"), 9000000);
    cr_assert_eq(ok(PLC_QTY_RATE, "9Mbps"), 9000000);
    cr_assert_eq(ok(PLC_QTY_RATE, "9Gbit"), 9000000000ULL);
    cr_assert_eq(ok(PLC_QTY_RATE, "9Tbit"), 9000000000000ULL);
    cr_assert_eq(ok(PLC_QTY_RATE, "2.5Gbit"), 2500000000ULL);
}

Test(quantity, parses_every_size_unit)
{
    cr_assert_eq(ok(PLC_QTY_SIZE, "3B"), 3);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3KiB"), 3072);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3MiB"), 3145728);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3GiB"), 3221225472ULL);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3TiB"), 3298534883328ULL);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3KB"), 3000);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3MB"), 3000000);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3GB"), 3000000000ULL);
    cr_assert_eq(ok(PLC_QTY_SIZE, "3TB"), 3000000000000ULL);
    cr_assert_eq(ok(PLC_QTY_SIZE, "1.5KiB"), 1536);
}

Test(quantity, accepts_the_largest_value_and_rejects_one_more)
{
    cr_assert_eq(ok(PLC_QTY_TIME, "9223372036854775807ns"), PLC_QTY_MAX);
    cr_assert_eq(ok(PLC_QTY_TIME, "9223372036.854775807s"), PLC_QTY_MAX);
    const char *m = bad(PLC_QTY_TIME, "9223372036854775808ns", PLC_ERANGE);
    cr_assert_str_eq(m, "\"9223372036854775808ns\" is too large (at most "
                        "9223372036.854775807s)");
    /* UINT64_MAX is "unlimited" inside placer: never a value read */
    bad(PLC_QTY_TIME, "18446744073709551615ns", PLC_ERANGE);
    bad(PLC_QTY_TIME, "18446744073709551616ns", PLC_ERANGE);
    bad(PLC_QTY_TIME, "18446744074s", PLC_ERANGE);
    bad(PLC_QTY_RATE, "9223372036854775808bit", PLC_ERANGE);
    bad(PLC_QTY_SIZE, "99999999999999999999TiB", PLC_ERANGE);
    bad(PLC_QTY_RATE, "123456789012345678901234567890bit", PLC_ERANGE);
}

Test(quantity, rejects_garbage_with_the_fix)
{
    cr_assert_str_eq(bad(PLC_QTY_TIME, "30", PLC_EDATA),
                     "\"30\" has no unit; write \"30ms\"");
    cr_assert_str_eq(bad(PLC_QTY_RATE, "100", PLC_EDATA),
                     "\"100\" has no unit; write \"100Mbit\"");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "", PLC_EDATA),
                     "\"\" is empty; write a time such as \"30ms\"");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "ms", PLC_EDATA),
                     "\"ms\" is not a time; write a number and a unit such "
                     "as \"30ms\"");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "-1ms", PLC_EDATA),
                     "\"-1ms\" is negative; a time must be at least 0");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "1e400ms", PLC_EDATA),
                     "\"1e400ms\" uses exponent notation; write the number "
                     "in full, such as \"30ms\"");
    cr_assert_str_eq(bad(PLC_QTY_RATE, "1E-3Gbit", PLC_EDATA),
                     "\"1E-3Gbit\" uses exponent notation; write the number "
                     "in full, such as \"30Mbit\"");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "3 fortnights", PLC_EDATA),
                     "\"3 fortnights\" has an unknown time unit "
                     "\"fortnights\" (accepted: ns, us, ms, s)");
    cr_assert_str_eq(bad(PLC_QTY_TIME, "0.5ns", PLC_EDATA),
                     "\"0.5ns\" is not a whole number of nanoseconds");
    cr_assert_str_eq(bad(PLC_QTY_SIZE, "0.1KiB", PLC_EDATA),
                     "\"0.1KiB\" is not a whole number of bytes");
    bad(PLC_QTY_TIME, "1e3ms", PLC_EDATA);
    bad(PLC_QTY_TIME, "1..2ms", PLC_EDATA);
    bad(PLC_QTY_TIME, "1.ms", PLC_EDATA);
    bad(PLC_QTY_TIME, "0x10ms", PLC_EDATA);
    bad(PLC_QTY_TIME, "10 m s", PLC_EDATA);
    bad(PLC_QTY_TIME, "10MS", PLC_EDATA);
    bad(PLC_QTY_RATE, "10GB", PLC_EDATA);
    bad(PLC_QTY_SIZE, "10Gbit", PLC_EDATA);
    bad(PLC_QTY_SIZE, "10kib", PLC_EDATA);
    bad(PLC_QTY_TIME, "1.0000000000000000001s", PLC_EDATA);
}

Test(quantity, prints_the_largest_exact_unit)
{
    char b[PLC_QTY_BUFSZ];
    plc_qty_format(PLC_QTY_TIME, 1500000, b, sizeof b);
    cr_assert_str_eq(b, "1.5ms");
    plc_qty_format(PLC_QTY_TIME, 0, b, sizeof b);
    cr_assert_str_eq(b, "0ms");
    plc_qty_format(PLC_QTY_TIME, 999, b, sizeof b);
    cr_assert_str_eq(b, "999ns");
    plc_qty_format(PLC_QTY_RATE, 10000000000ULL, b, sizeof b);
    cr_assert_str_eq(b, "10Gbit");
    plc_qty_format(PLC_QTY_SIZE, 65536, b, sizeof b);
    cr_assert_str_eq(b, "64KiB");
    plc_qty_format(PLC_QTY_SIZE, 1500, b, sizeof b);
    cr_assert_str_eq(b, "1.5KB");
    plc_qty_format(PLC_QTY_SIZE, 312500, b, sizeof b);
    cr_assert_str_eq(b, "312.5KB");
    plc_qty_format(PLC_QTY_SIZE, 1023, b, sizeof b);
    cr_assert_str_eq(b, "1.023KB");
    plc_qty_format(PLC_QTY_SIZE, 7, b, sizeof b);
    cr_assert_str_eq(b, "7B");
}

Test(quantity, printing_then_parsing_gives_the_value_back)
{
    srand(7);
    for (int kind = 0; kind < 3; kind++)
        for (int i = 0; i < 20000; i++) {
            uint64_t v = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 7) ^
                         (uint64_t)rand();
            v >>= 1 + rand() % 63; /* up to PLC_QTY_MAX */
            if (i == 0)
                v = PLC_QTY_MAX;
            char b[PLC_QTY_BUFSZ];
            int n = plc_qty_format((enum plc_qty_kind)kind, v, b, sizeof b);
            cr_assert_lt(n, PLC_QTY_BUFSZ);
            cr_assert_eq(ok((enum plc_qty_kind)kind, b), v, "%s", b);
        }
}
