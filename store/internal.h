/* store/internal.h: what the files of store/ share.  Private. */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <sqlite3.h>

#include "plc/error.h"
#include "store/store.h"

#define STORE_STMTS 64

struct store {
    sqlite3 *db;
    int version;
    /* prepared statements, kept for the connection's life and found by
     * the address of their SQL text (string literals) */
    const char *sql[STORE_STMTS];
    sqlite3_stmt *stmt[STORE_STMTS];
    int n_stmt;
    /* the files under the connection (device, inode), checked before
     * every write: 0 for an in-memory store or a WAL not seen yet */
    char *path;
    unsigned long long db_dev, db_ino, wal_dev, wal_ino;
    char *lost; /* set once a file is gone: every later write refused */
    char why[PLC_ERROR_MSG_MAX]; /* store_why()'s text */
    char actor[96];              /* store_set_actor(): events' actor */
};

/* BEGIN IMMEDIATE, once the database and its WAL are still the files the
 * store opened; 0, or an error (PLC_EIO, sticky) naming what changed. */
int store_begin(struct store *s, struct plc_error *err, const char *what);

/* The prepared statement of `sql` (a string literal), reset and with no
 * bindings; NULL with err set when it cannot be prepared.  Give it back
 * with store_done() (which resets it), never sqlite3_finalize(). */
sqlite3_stmt *store_prep(struct store *s, const char *sql,
                         struct plc_error *err, const char *what);
void store_done(sqlite3_stmt *st);

/* The error code of the connection's last failure: PLC_ENOSPC for a full
 * disk (SQLITE_FULL), PLC_ENOMEM, else PLC_EIO. */
int store_code(const struct store *s);
/* Its text (SQLite's), with what to do when the disk is full: every
 * failed change is rolled back, so nothing of it was recorded.  Valid
 * until the next call. */
const char *store_why(struct store *s);

/* Set err from the connection's last error: "cannot WHAT store PATH". */
int store_sql_fail(struct store *s, struct plc_error *err, const char *what,
                   const char *path);
/* Run SQL without results; 0 or -1. */
int store_exec(struct store *s, const char *sql);

#endif
