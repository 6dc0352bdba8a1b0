/* The SQLite store: migrations on open, WAL, the event log survives a
 * reopen, a newer schema is refused. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plc/error.h"
#include "store/store.h"

static char dir[] = "/tmp/placer-store-XXXXXX";
static char path[256];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/placer.db", dir);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, open_creates_the_newest_schema_in_wal_mode)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(store_schema_version(s), store_schema_latest());
    store_close(s);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

Test(store, events_survive_a_reopen)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    cr_assert_eq(store_event_append(s, "admit", "acme/w", "u=0.4", &err), 0);
    cr_assert_eq(store_event_append(s, "release", "acme/w", NULL, &err), 0);
    store_close(s);
    cr_assert_eq(store_open(path, &s, &err), 0);
    cr_assert_eq(store_event_count(s, &err), 2);
    store_close(s);
    store_close(NULL);
}

Test(store, a_file_from_a_newer_placer_is_refused)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), PLC_EDATA);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "schema version 999 is newer"), "%s", err.msg);
}

Test(store, an_unwritable_path_is_an_io_error)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open("/nonexistent-dir/x.db", &s, &err), PLC_EIO);
    cr_assert(strstr(err.msg, "cannot open store '/nonexistent-dir/x.db'"),
              "%s", err.msg);
}
