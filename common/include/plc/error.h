/*
 * plc/error.h: the one table of error codes and the caller-owned error
 * buffer every fallible function in placer writes its detail to.
 *
 * Fallible functions return 0 or a negative PLC_E* code.  Detail goes to a
 * `struct plc_error` owned by the caller; the first error written wins, so a
 * low-level cause is not overwritten by the generic message of a caller.
 * The table is append-only: codes are never renumbered.
 */
#ifndef PLC_ERROR_H
#define PLC_ERROR_H

#include <stddef.h>

/* The error codes: X(name, value, text, exit code).  One table gives the
 * enum, plc_strerror() and plc_exit_code(). */
#define PLC_ERRORS(X)                                                          \
    X(PLC_OK, 0, "success", PLC_EXIT_OK)                                       \
    X(PLC_ENOMEM, -1, "out of memory", PLC_EXIT_SOFTWARE)                      \
    X(PLC_EINVAL, -2, "invalid argument", PLC_EXIT_SOFTWARE)                   \
    X(PLC_EDATA, -3, "bad input data", PLC_EXIT_DATAERR)                       \
    X(PLC_ENOENT, -4, "not found", PLC_EXIT_NOINPUT)                           \
    X(PLC_EIO, -5, "input/output error", PLC_EXIT_SOFTWARE)                    \
    X(PLC_ERANGE, -6, "value out of range", PLC_EXIT_DATAERR)                  \
    X(PLC_EINTERNAL, -7, "internal error", PLC_EXIT_SOFTWARE)                  \
    X(PLC_EBUSY, -8, "busy", PLC_EXIT_TEMPFAIL)                                \
    X(PLC_EUNAVAIL, -9, "unreachable", PLC_EXIT_UNAVAILABLE)                   \
    X(PLC_EUSAGE, -10, "usage error", PLC_EXIT_USAGE)                          \
    X(PLC_ETIMEDOUT, -11, "time limit reached", PLC_EXIT_TEMPFAIL)             \
    X(PLC_ENOSPC, -12, "no space left for the database", PLC_EXIT_TEMPFAIL)    \
    X(PLC_ENOINPUT, -13, "input unreadable", PLC_EXIT_NOINPUT)                 \
    X(PLC_EPERM, -14, "not permitted", PLC_EXIT_NOPERM)

/* The process exit codes of every placer binary (sysexits.h values, the
 * contract of docs/formats.md): X(name, value, meaning). */
#define PLC_EXITS(X)                                                           \
    X(PLC_EXIT_OK, 0, "success, admitted")                                     \
    X(PLC_EXIT_NEGATIVE, 1, "a negative answer: rejected, not found")          \
    X(PLC_EXIT_USAGE, 64, "usage error")                                       \
    X(PLC_EXIT_DATAERR, 65, "bad input data")                                  \
    X(PLC_EXIT_NOINPUT, 66, "input file missing or unreadable")                \
    X(PLC_EXIT_UNAVAILABLE, 69, "placerd unreachable")                         \
    X(PLC_EXIT_SOFTWARE, 70, "internal error")                                 \
    X(PLC_EXIT_CANTCREAT, 73, "cannot create a file")                          \
    X(PLC_EXIT_TEMPFAIL, 75, "temporary failure: busy; retry")                 \
    X(PLC_EXIT_NOPERM, 77, "not permitted")

#define PLC_X_ENUM(name, value, ...) name = value,
enum plc_exit { PLC_EXITS(PLC_X_ENUM) };
enum plc_errcode { PLC_ERRORS(PLC_X_ENUM) };
#undef PLC_X_ENUM

#define PLC_ERROR_MSG_MAX 512

struct plc_error {
    int code;                    /* 0 while no error was recorded */
    char msg[PLC_ERROR_MSG_MAX]; /* lowercase, no trailing period */
};

/* A fresh, empty error buffer. */
#define PLC_ERROR_INIT                                                         \
    {                                                                          \
        0,                                                                     \
        {                                                                      \
            0                                                                  \
        }                                                                      \
    }

/*
 * Record an error unless one is already recorded (first error wins).
 * `err` may be NULL (the detail is dropped).  Returns `code`, so that
 * `return plc_error_set(err, PLC_EDATA, "...")` reads naturally.
 */
int plc_error_set(struct plc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the message of errno value `errnum` after `what`. Returns `code`. */
int plc_error_errno(struct plc_error *err, int code, int errnum,
                    const char *what);

/* Forget a recorded error. */
void plc_error_clear(struct plc_error *err);

/* Static text of a code ("out of memory"); never NULL. */
const char *plc_strerror(int code);

/*
 * The process exit code documented in FORMATS.md for an error code:
 * PLC_EDATA 65, PLC_ENOENT 66, PLC_EUNAVAIL 69, PLC_EBUSY 75, PLC_EUSAGE 64,
 * anything else 70.
 */
int plc_exit_code(int code);

#endif
