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
#define PLC_X_TEXT(name, value, text, exit_code)                               \
    case name:                                                                 \
        return text;
        PLC_ERRORS(PLC_X_TEXT)
#undef PLC_X_TEXT
    }
    return "unknown error";
}

int plc_exit_code(int code)
{
    switch (code) {
#define PLC_X_EXIT(name, value, text, exit_code)                               \
    case name:                                                                 \
        return exit_code;
        PLC_ERRORS(PLC_X_EXIT)
#undef PLC_X_EXIT
    }
    return PLC_EXIT_SOFTWARE;
}
