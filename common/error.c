/* error.c: error codes and the first-error-wins error buffer. */
#include "plc/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int plc_error_set(struct plc_error *err, int code, const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int plc_error_errno(struct plc_error *err, int code, int errnum,
                    const char *what)
{
    return plc_error_set(err, code, "%s (%s)", what, strerror(errnum));
}

void plc_error_clear(struct plc_error *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *plc_strerror(int code)
{
    switch (code) {
    case PLC_OK:
        return "success";
    case PLC_ENOMEM:
        return "out of memory";
    case PLC_EINVAL:
        return "invalid argument";
    case PLC_EDATA:
        return "bad input data";
    case PLC_ENOENT:
        return "not found";
    case PLC_EIO:
        return "input/output error";
    case PLC_ERANGE:
        return "value out of range";
    case PLC_EINTERNAL:
        return "internal error";
    case PLC_EBUSY:
        return "busy";
    case PLC_EUNAVAIL:
        return "unreachable";
    case PLC_EUSAGE:
        return "usage error";
    }
    return "unknown error";
}

int plc_exit_code(int code)
{
    switch (code) {
    case PLC_OK:
        return 0;
    case PLC_EUSAGE:
        return 64;
    case PLC_EDATA:
    case PLC_ERANGE:
        return 65;
    case PLC_ENOENT:
        return 66;
    case PLC_EUNAVAIL:
        return 69;
    case PLC_EBUSY:
        return 75;
    }
    return 70;
}
