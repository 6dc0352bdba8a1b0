/* store/internal.h: what the files of store/ share.  Private. */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
    sqlite3 *db;
    int version;
};

/* Set err from the connection's last error: "cannot WHAT store PATH". */
int store_sql_fail(struct store *s, struct plc_error *err, const char *what,
                   const char *path);
/* Run SQL without results; 0 or -1. */
int store_exec(struct store *s, const char *sql);

#endif
