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

enum plc_errcode {
    PLC_OK = 0,
    PLC_ENOMEM = -1,    /* out of memory */
    PLC_EINVAL = -2,    /* invalid argument (a bug in the caller) */
    PLC_EDATA = -3,     /* bad input data (exit 65) */
    PLC_ENOENT = -4,    /* file or object not found */
    PLC_EIO = -5,       /* I/O error */
    PLC_ERANGE = -6,    /* value out of range */
    PLC_EINTERNAL = -7, /* internal error (a bug in placer) */
    PLC_EBUSY = -8,     /* temporary failure; retry */
    PLC_EUNAVAIL = -9,  /* peer unreachable */
    PLC_EUSAGE = -10,   /* command-line usage error */
};

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
