/* quantity.c: exact parsing and printing of times, rates and sizes. */
#include "plc/quantity.h"
#include "plc/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

struct unit {
    const char *name;
    uint64_t factor; /* base units per unit */
};

static const struct unit time_units[] = {
    {"ns", 1},           {"us", 1000},
    {"\xc2\xb5s", 1000}, /* µs, MICRO SIGN */
    {"\xce\xbcs", 1000}, /* μs, GREEK SMALL LETTER MU */
    {"ms", 1000000},     {"s", 1000000000},
    {NULL, 0},
};

static const struct unit rate_units[] = {
    {"bit", 1},
    {"bps", 1},
    {"Kbit", 1000},
    {"kbit", 1000},
    {"Kbps", 1000},
    {"kbps", 1000},
    {"Mbit", 1000000},
    {"mbit", 1000000},
    {"Mbps", 1000000},
    {"Gbit", 1000000000},
    {"gbit", 1000000000},
    {"Gbps", 1000000000},
    {"Tbit", 1000000000000},
    {"tbit", 1000000000000},
    {"Tbps", 1000000000000},
    {NULL, 0},
};

static const struct unit size_units[] = {
    {"B", 1},
    {"KiB", 1024},
    {"MiB", 1024 * 1024},
    {"GiB", 1024 * 1024 * 1024},
    {"TiB", 1024ULL * 1024 * 1024 * 1024},
    {"KB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"TB", 1000000000000},
    {NULL, 0},
};

static const char *const accepted[] = {
    [PLC_QTY_TIME] = "ns, us, ms, s",
    [PLC_QTY_RATE] = "bit, Kbit, Mbit, Gbit, Tbit",
    [PLC_QTY_SIZE] = "B, KiB, MiB, GiB, TiB, KB, MB, GB, TB",
};

static const struct unit *units_of(enum plc_qty_kind kind)
{
    switch (kind) {
    case PLC_QTY_TIME:
        return time_units;
    case PLC_QTY_RATE:
        return rate_units;
    case PLC_QTY_SIZE:
        return size_units;
    }
    return time_units;
}

const char *plc_qty_kind_name(enum plc_qty_kind kind)
{
    static const char *const names[] = {"time", "rate", "size"};
    return names[kind];
}

const char *plc_qty_example_unit(enum plc_qty_kind kind)
{
    static const char *const units[] = {"ms", "Mbit", "MiB"};
    return units[kind];
}

static const char *base_name(enum plc_qty_kind kind)
{
    static const char *const names[] = {"nanoseconds", "bits per second",
                                        "bytes"};
    return names[kind];
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The number part: digits [. digits]; counts significant digits so that the
 * value fits a u128 exactly. */
struct number {
    u128 mant;     /* all digits as one integer */
    unsigned frac; /* digits after the point (trailing zeros dropped) */
    bool too_big;  /* more than 20 integer digits */
};

static const char *scan_number(const char *p, struct number *n)
{
    n->mant = 0;
    n->frac = 0;
    n->too_big = false;
    unsigned int_digits = 0;
    const char *start = p;
    while (is_digit(*p)) {
        if (int_digits || *p != '0')
            int_digits++;
        if (int_digits > 20)
            n->too_big = true;
        else
            n->mant = n->mant * 10 + (unsigned)(*p - '0');
        p++;
    }
    if (*p == '.' && is_digit(p[1])) {
        p++;
        const char *f = p;
        while (is_digit(*p))
            p++;
        const char *end = p;
        while (end > f && end[-1] == '0')
            end--;
        for (const char *q = f; q < end; q++) {
            if (n->frac >= 18) {
                n->frac = 99; /* finer than any base unit */
                break;
            }
            n->mant = n->mant * 10 + (unsigned)(*q - '0');
            n->frac++;
        }
    }
    return p == start ? NULL : p;
}

static u128 pow10_u128(unsigned e)
{
    u128 r = 1;
    while (e--)
        r *= 10;
    return r;
}

int plc_qty_parse(enum plc_qty_kind kind, const char *s, uint64_t *out,
                  struct plc_error *err)
{
    const char *what = plc_qty_kind_name(kind);
    const char *ex = plc_qty_example_unit(kind);
    const char *p = s;
    while (is_space(*p))
        p++;
    if (*p == '\0')
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" is empty; write a %s such as \"30%s\"", s,
                             what, ex);
    if (*p == '-')
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" is negative; a %s must be at least 0", s,
                             what);
    if (*p == '+')
        p++;
    struct number n;
    const char *q = scan_number(p, &n);
    if (!q)
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" is not a %s; write a number and a unit "
                             "such as \"30%s\"",
                             s, what, ex);
    while (is_space(*q))
        q++;
    size_t ulen = strlen(q);
    while (ulen > 0 && is_space(q[ulen - 1]))
        ulen--;
    if (ulen == 0)
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" has no unit; write \"%.*s%s\"", s,
                             (int)(q - p), p, ex);
    const struct unit *u = units_of(kind);
    while (u->name && !(strlen(u->name) == ulen && !memcmp(u->name, q, ulen)))
        u++;
    if (!u->name && (q[0] == 'e' || q[0] == 'E') &&
        (is_digit(q[1]) || ((q[1] == '-' || q[1] == '+') && is_digit(q[2]))))
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" uses exponent notation; write the "
                             "number in full, such as \"30%s\"",
                             s, ex);
    if (!u->name)
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" has an unknown %s unit \"%.*s\" "
                             "(accepted: %s)",
                             s, what, (int)ulen, q, accepted[kind]);
    if (n.frac > 18)
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" is not a whole number of %s", s,
                             base_name(kind));
    u128 limit = ~(u128)0 / u->factor;
    if (n.too_big || n.mant > limit)
        goto too_large;
    u128 total = n.mant * u->factor;
    u128 div = pow10_u128(n.frac);
    if (total % div != 0)
        return plc_error_set(err, PLC_EDATA,
                             "\"%s\" is not a whole number of %s", s,
                             base_name(kind));
    total /= div;
    if (total > PLC_QTY_MAX)
        goto too_large;
    *out = (uint64_t)total;
    return 0;
too_large : {
    char max[PLC_QTY_BUFSZ];
    plc_qty_format(kind, PLC_QTY_MAX, max, sizeof max);
    return plc_error_set(err, PLC_ERANGE, "\"%s\" is too large (at most %s)", s,
                         max);
}
}

/* Print v / factor exactly with at most `maxfrac` decimals; returns false if
 * more decimals would be needed. */
static bool format_exact(uint64_t v, uint64_t factor, const char *name,
                         unsigned maxfrac, char *buf, size_t size, int *len)
{
    uint64_t ip = v / factor, rem = v % factor;
    char frac[32] = "";
    unsigned nf = 0;
    while (rem && nf < maxfrac && nf < sizeof frac - 1) {
        u128 r = (u128)rem * 10;
        frac[nf++] = (char)('0' + (unsigned)(r / factor));
        rem = (uint64_t)(r % factor);
    }
    if (rem)
        return false;
    frac[nf] = '\0';
    *len = snprintf(buf, size, "%llu%s%s%s", (unsigned long long)ip,
                    nf ? "." : "", frac, name);
    return true;
}

int plc_qty_format(enum plc_qty_kind kind, uint64_t v, char *out, size_t size)
{
    static const struct unit time_out[] = {
        {"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"ns", 1}};
    static const struct unit rate_out[] = {{"Tbit", 1000000000000},
                                           {"Gbit", 1000000000},
                                           {"Mbit", 1000000},
                                           {"Kbit", 1000},
                                           {"bit", 1}};
    static const struct unit bin_out[] = {{"TiB", 1024ULL << 30},
                                          {"GiB", 1ULL << 30},
                                          {"MiB", 1ULL << 20},
                                          {"KiB", 1ULL << 10}};
    static const struct unit dec_out[] = {{"TB", 1000000000000},
                                          {"GB", 1000000000},
                                          {"MB", 1000000},
                                          {"KB", 1000},
                                          {"B", 1}};
    const struct unit *list = time_out;
    size_t n = 4;
    int len = 0;
    if (kind == PLC_QTY_RATE) {
        list = rate_out;
        n = 5;
    } else if (kind == PLC_QTY_SIZE) {
        /* binary units when they say it in three decimals or fewer */
        for (size_t i = 0; i < 4; i++)
            if (v >= bin_out[i].factor &&
                format_exact(v, bin_out[i].factor, bin_out[i].name, 3, out,
                             size, &len))
                return len;
        list = dec_out;
        n = 5;
    }
    for (size_t i = 0; i < n; i++)
        if (v >= list[i].factor || i == n - 1) {
            if (v == 0)
                i = (kind == PLC_QTY_TIME) ? 1 : n - 1; /* "0ms", "0bit" */
            format_exact(v, list[i].factor, list[i].name, 30, out, size, &len);
            return len;
        }
    return len;
}
