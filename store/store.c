/* store.c: opening, migrating and the event log of the SQLite store. */
#define _GNU_SOURCE
#include "internal.h"
#include "plc/buf.h"
#include "plc/clock.h"
#include "plc/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* Migrations: index i takes the schema from version i to i + 1.
 * Append only; never edit a migration that has shipped. */
static const char *const migrations[] = {
    /* 1: metadata and the append-only event log */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at_us INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '');",
    /* 2: the cluster, admitted workflows and their reservations, and the
     * reserved totals (a cache of the reservations, checked and repaired
     * at every open) */
    "CREATE TABLE cluster ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  doc BLOB NOT NULL,"
    "  applied_us INTEGER NOT NULL);"
    "CREATE TABLE workflows ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  workflow BLOB NOT NULL,"
    "  plan BLOB NOT NULL,"
    "  admitted_us INTEGER NOT NULL,"
    "  UNIQUE (tenant, name));"
    "CREATE TABLE services ("
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id)"
    "    ON DELETE CASCADE,"
    "  service TEXT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  memory_bytes INTEGER NOT NULL,"
    "  PRIMARY KEY (workflow_id, service));"
    "CREATE TABLE cpu_reservations ("
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id)"
    "    ON DELETE CASCADE,"
    "  service TEXT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  core INTEGER NOT NULL,"
    "  utilization REAL NOT NULL,"
    "  budget_ns INTEGER NOT NULL,"
    "  period_ns INTEGER NOT NULL,"
    "  deadline_ns INTEGER NOT NULL);"
    "CREATE TABLE net_reservations ("
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id)"
    "    ON DELETE CASCADE,"
    "  vlink TEXT NOT NULL,"
    "  node_from TEXT NOT NULL,"
    "  node_to TEXT NOT NULL,"
    "  rate_bps INTEGER NOT NULL);"
    "CREATE INDEX cpu_by_workflow ON cpu_reservations(workflow_id);"
    "CREATE INDEX net_by_workflow ON net_reservations(workflow_id);"
    "CREATE INDEX svc_by_workflow ON services(workflow_id);"
    "CREATE TABLE reserved ("
    "  kind TEXT NOT NULL,"
    "  a TEXT NOT NULL,"
    "  b TEXT NOT NULL,"
    "  amount REAL NOT NULL,"
    "  PRIMARY KEY (kind, a, b));",
    /* 3: the cluster as tables (the document stays what placerd loads) */
    "CREATE TABLE hosts ("
    "  name TEXT PRIMARY KEY,"
    "  cores INTEGER NOT NULL,"
    "  core_capacity REAL NOT NULL,"
    "  memory_bytes INTEGER," /* NULL: not constrained */
    "  speed REAL NOT NULL,"
    "  cost REAL NOT NULL,"
    "  zone TEXT);"
    "CREATE TABLE switches (name TEXT PRIMARY KEY);"
    "CREATE TABLE links ("
    "  id INTEGER PRIMARY KEY,"
    "  a TEXT NOT NULL,"
    "  b TEXT NOT NULL,"
    "  rate_bps INTEGER NOT NULL,"
    "  latency_ns INTEGER NOT NULL,"
    "  jitter_ns INTEGER NOT NULL,"
    "  buffer_bytes INTEGER NOT NULL,"
    "  cost REAL NOT NULL);",
    /* 4: node agents as they registered */
    "CREATE TABLE agents ("
    "  host TEXT PRIMARY KEY,"
    "  state TEXT NOT NULL," /* up | down */
    "  cores INTEGER NOT NULL,"
    "  core_capacity REAL NOT NULL,"
    "  memory_bytes INTEGER NOT NULL,"
    "  backends TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  changed_us INTEGER NOT NULL);",
    /* 5: what a reservation is attached to on its host (placer bind): a
     * process for a service, a flow for a virtual link; each binding
     * gives the reservation a new generation */
    "CREATE TABLE bindings ("
    "  workflow_id INTEGER NOT NULL REFERENCES workflows(id)"
    "    ON DELETE CASCADE,"
    "  subject TEXT NOT NULL," /* the service, or the vlink "from->to" */
    "  pid INTEGER,"
    "  src TEXT, src_port INTEGER, dst TEXT, dst_port INTEGER,"
    "  protocol TEXT,"
    "  generation INTEGER NOT NULL,"
    "  PRIMARY KEY (workflow_id, subject));",
    /* 6: whether a network reservation is on a duplex link's way back
     * (its flow is classified turned around) */
    "ALTER TABLE net_reservations ADD COLUMN back INTEGER NOT NULL"
    " DEFAULT 0;",
    /* 7: the platform terms an agent measured (ns; NULL: not measured) */
    "ALTER TABLE agents ADD COLUMN overhead_ns INTEGER;"
    "ALTER TABLE agents ADD COLUMN granularity_ns INTEGER;"
    "ALTER TABLE agents ADD COLUMN wakeup_ns INTEGER;"
    "ALTER TABLE agents ADD COLUMN platform_note TEXT;",
    /* 8: bearer tokens (SHA-256 of their secret; tenant NULL for an
     * admin's) and tenants' quotas (NULL: not limited) */
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  hash BLOB NOT NULL,"
    "  tenant TEXT,"
    "  admin INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  expires_us INTEGER,"
    "  revoked_us INTEGER,"
    "  note TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE quotas ("
    "  tenant TEXT PRIMARY KEY,"
    "  cpu REAL,"
    "  bandwidth_bps INTEGER,"
    "  workflows INTEGER);",
    /* 9: the first answer to an HTTP request with an Idempotency-Key, by
     * who asked (scope) and the key, kept a day */
    "CREATE TABLE idempotency ("
    "  scope TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  hash BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  body BLOB NOT NULL,"
    "  location TEXT,"
    "  created_us INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, key));",
    /* 10: who made each change (a token, "local client", "placerd") */
    "ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '';",
    /* 11: a service bound to a cgroup (its directory) rather than a pid */
    "ALTER TABLE bindings ADD COLUMN cgroup TEXT;",
};

#define N_MIGRATIONS (int)(sizeof migrations / sizeof *migrations)

int store_schema_latest(void)
{
    return N_MIGRATIONS;
}

int store_code(const struct store *s)
{
    int c = s->db ? sqlite3_errcode(s->db) & 0xff : SQLITE_NOMEM;
    return c == SQLITE_FULL    ? PLC_ENOSPC
           : c == SQLITE_NOMEM ? PLC_ENOMEM
                               : PLC_EIO;
}

const char *store_why(struct store *s)
{
    if (!s->db)
        return "no memory";
    if (store_code(s) != PLC_ENOSPC)
        return sqlite3_errmsg(s->db);
    snprintf(s->why, sizeof s->why,
             "%s: nothing was recorded; free space on the database's disk "
             "and try again",
             sqlite3_errmsg(s->db));
    return s->why;
}

int store_sql_fail(struct store *s, struct plc_error *err, const char *what,
                   const char *path)
{
    return plc_error_set(err, store_code(s), "cannot %s store '%s' (%s)", what,
                         path, store_why(s));
}

int store_exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int read_version(struct store *s, int *v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int migrate(struct store *s, const char *path, struct plc_error *err)
{
    if (read_version(s, &s->version) < 0)
        return store_sql_fail(s, err, "read", path);
    if (s->version > N_MIGRATIONS)
        return plc_error_set(err, PLC_EDATA,
                             "cannot open store '%s' (schema version %d is "
                             "newer than this placer's %d)",
                             path, s->version, N_MIGRATIONS);
    while (s->version < N_MIGRATIONS) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
                 s->version + 1);
        /* the migration and its version bump commit together; the
         * version is read again under the write lock, since another
         * process (placerd token create beside a starting placerd) may
         * have migrated the file meanwhile */
        if (store_exec(s, "BEGIN IMMEDIATE") < 0)
            return store_sql_fail(s, err, "migrate", path);
        int now;
        if (read_version(s, &now) < 0) {
            int rc = store_sql_fail(s, err, "migrate", path);
            store_exec(s, "ROLLBACK");
            return rc;
        }
        if (now != s->version) {
            store_exec(s, "ROLLBACK");
            s->version = now;
            continue;
        }
        if (store_exec(s, migrations[s->version]) < 0 ||
            store_exec(s, pragma) < 0) {
            int rc = store_sql_fail(s, err, "migrate", path);
            store_exec(s, "ROLLBACK");
            return rc;
        }
        if (store_exec(s, "COMMIT") < 0)
            return store_sql_fail(s, err, "migrate", path);
        s->version++;
    }
    return 0;
}

/* The device and inode of path + suffix; false (and zeros) if it is gone. */
static bool file_id(const char *path, const char *suffix,
                    unsigned long long *dev, unsigned long long *ino)
{
    char p[4096];
    struct stat st;
    *dev = *ino = 0;
    if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix) >= sizeof p ||
        stat(p, &st) != 0)
        return false;
    *dev = st.st_dev;
    *ino = st.st_ino;
    return true;
}

/* Why the files are no longer the store's, or NULL. */
static const char *files_changed(struct store *s)
{
    unsigned long long dev, ino;
    if (!file_id(s->path, "", &dev, &ino))
        return "the database file was removed";
    if (dev != s->db_dev || ino != s->db_ino)
        return "the database file was replaced";
    bool wal = file_id(s->path, "-wal", &dev, &ino);
    if (!s->wal_ino) {
        /* not seen at open: the first begin in WAL mode made it */
        s->wal_dev = dev;
        s->wal_ino = ino;
        return NULL;
    }
    if (!wal)
        return "its write-ahead log (-wal) was removed";
    if (dev != s->wal_dev || ino != s->wal_ino)
        return "its write-ahead log (-wal) was replaced";
    return NULL;
}

int store_begin(struct store *s, struct plc_error *err, const char *what)
{
    if (s->lost)
        return plc_error_set(err, PLC_EIO, "cannot %s: %s", what, s->lost);
    if (store_exec(s, "BEGIN IMMEDIATE") < 0)
        return plc_error_set(err, store_code(s), "cannot %s (%s)", what,
                             store_why(s));
    const char *why = s->path ? files_changed(s) : NULL;
    if (!why)
        return 0;
    store_exec(s, "ROLLBACK");
    /* a removed WAL is still open here: copy what it holds (every change
     * acknowledged since the last checkpoint) into the database file,
     * where a restart finds it */
    bool saved = strstr(why, "-wal") &&
                 sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_FULL,
                                           NULL, NULL) == SQLITE_OK;
    char msg[PLC_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg,
             "store '%s' is no longer the file it opened (%s while in use)%s; "
             "nothing more is written, as it would be lost; stop placerd, "
             "check the file and start it again",
             s->path, why,
             saved ? "; every change so far was copied into the database "
                     "file"
                   : "");
    s->lost = strdup(msg);
    return plc_error_set(err, PLC_EIO, "cannot %s: %s", what,
                         s->lost ? s->lost : msg);
}

int store_open(const char *path, struct store **out, struct plc_error *err)
{
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (!s)
        return plc_error_set(err, PLC_ENOMEM, "cannot open store '%s' (%s)",
                             path, plc_strerror(PLC_ENOMEM));
    int rc;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        rc = store_sql_fail(s, err, "open", path);
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* a new file's switch to WAL needs it alone: another process opening
     * it at the same moment (placerd token create beside a starting
     * placerd) is told busy at once, without the busy handler */
    int wal = store_exec(s, "PRAGMA journal_mode = WAL");
    for (int i = 0;
         i < 100 && wal < 0 && (sqlite3_errcode(s->db) & 0xff) == SQLITE_BUSY;
         i++) {
        usleep(50000);
        wal = store_exec(s, "PRAGMA journal_mode = WAL");
    }
    if (wal < 0 || store_exec(s, "PRAGMA foreign_keys = ON") < 0 ||
        store_exec(s, "PRAGMA synchronous = FULL") < 0) {
        rc = store_sql_fail(s, err, "open", path);
        goto fail;
    }
    if ((rc = migrate(s, path, err)) < 0)
        goto fail;
    if (strcmp(path, ":memory:") && strncmp(path, "file:", 5) && *path) {
        if (!(s->path = strdup(path))) {
            rc = plc_error_set(err, PLC_ENOMEM, "cannot open store '%s' (%s)",
                               path, plc_strerror(PLC_ENOMEM));
            goto fail;
        }
        file_id(path, "", &s->db_dev, &s->db_ino);
        file_id(path, "-wal", &s->wal_dev, &s->wal_ino);
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

sqlite3_stmt *store_prep(struct store *s, const char *sql,
                         struct plc_error *err, const char *what)
{
    for (int i = 0; i < s->n_stmt; i++)
        if (s->sql[i] == sql)
            return s->stmt[i];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1,
                           s->n_stmt < STORE_STMTS ? SQLITE_PREPARE_PERSISTENT
                                                   : 0,
                           &st, NULL) != SQLITE_OK) {
        plc_error_set(err, store_code(s), "cannot %s (%s)", what, store_why(s));
        return NULL;
    }
    if (s->n_stmt < STORE_STMTS) {
        s->sql[s->n_stmt] = sql;
        s->stmt[s->n_stmt++] = st;
    }
    return st;
}

void store_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_stmt; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s->lost);
    free(s);
}

int store_verify(struct store *s, struct plc_buf *problems, long *n,
                 struct plc_error *err)
{
    *n = 0;
    static const char *const checks[] = {"PRAGMA integrity_check",
                                         "PRAGMA foreign_key_check"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, checks[i], -1, &st, NULL) != SQLITE_OK)
            return plc_error_set(err, store_code(s), "cannot check (%s)",
                                 store_why(s));
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            if (i == 0) {
                const char *m = (const char *)sqlite3_column_text(st, 0);
                if (m && !strcmp(m, "ok"))
                    continue;
                if ((*n)++ < 20)
                    plc_buf_printf(problems, "%s\n", m ? m : "?");
            } else {
                /* table, rowid, parent, fk index */
                if ((*n)++ < 20)
                    plc_buf_printf(
                        problems,
                        "row %lld of %s refers to a missing row of %s\n",
                        (long long)sqlite3_column_int64(st, 1),
                        (const char *)sqlite3_column_text(st, 0),
                        (const char *)sqlite3_column_text(st, 2));
            }
        }
        int bad = r != SQLITE_DONE;
        sqlite3_finalize(st);
        if (bad) {
            /* a file damaged enough fails the check itself */
            (*n)++;
            plc_buf_printf(problems, "%s failed: %s\n", checks[i],
                           store_why(s));
        }
    }
    if (*n > 20)
        plc_buf_printf(problems, "... and %ld more\n", *n - 20);
    return 0;
}

int store_schema_version(const struct store *s)
{
    return s->version;
}

void store_set_actor(struct store *s, const char *actor)
{
    snprintf(s->actor, sizeof s->actor, "%s", actor ? actor : "");
}

int store_event_append(struct store *s, const char *kind, const char *subject,
                       const char *detail, struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "INSERT INTO events (at_us, kind, subject,"
                                  " detail, actor) VALUES (?, ?, ?, ?, ?)",
                                  err, "log an event");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)plc_wall_us());
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->actor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE
                 ? 0
                 : plc_error_set(err, store_code(s), "cannot log event (%s)",
                                 store_why(s));
    store_done(st);
    return rc;
}

int64_t store_event_count(struct store *s, struct plc_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM events", -1, &st,
                           NULL) != SQLITE_OK)
        return plc_error_set(err, PLC_EIO, "cannot count events (%s)",
                             store_why(s));
    int64_t n =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n < 0 ? plc_error_set(err, PLC_EIO, "cannot count events (%s)",
                                 store_why(s))
                 : n;
}

int store_events_since(struct store *s, int64_t since, const char *tenant,
                       size_t max,
                       int (*fn)(void *arg, const struct store_event *e),
                       void *arg, int64_t *first_kept, int64_t *last,
                       struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "SELECT coalesce(min(id), 0),"
                                  " coalesce(max(id), 0) FROM events",
                                  err, "read the event log");
    if (!st)
        return PLC_EIO;
    int r = sqlite3_step(st);
    *first_kept = sqlite3_column_int64(st, 0);
    *last = sqlite3_column_int64(st, 1);
    store_done(st);
    if (r != SQLITE_ROW)
        return plc_error_set(err, store_code(s),
                             "cannot read the event log "
                             "(%s)",
                             store_why(s));
    /* a workflow's events have subject "tenant/name"; the cluster's and
     * the hosts' are everyone's */
    st = store_prep(s,
                    "SELECT id, at_us, kind, subject, detail, actor FROM"
                    " events WHERE id > ?1 AND (?2 IS NULL OR kind IN"
                    " ('cluster', 'host_up', 'host_down') OR substr(subject,"
                    " 1, length(?2) + 1) = ?2 || '/') ORDER BY id LIMIT ?3",
                    err, "read the event log");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    if (tenant)
        sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    int rc = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event e = {.id = sqlite3_column_int64(st, 0),
                                .at_us = sqlite3_column_int64(st, 1)};
        const char *c[4];
        for (int k = 0; k < 4; k++) {
            c[k] = (const char *)sqlite3_column_text(st, 2 + k);
            if (!c[k])
                c[k] = "";
        }
        snprintf(e.kind, sizeof e.kind, "%s", c[0]);
        snprintf(e.subject, sizeof e.subject, "%s", c[1]);
        snprintf(e.detail, sizeof e.detail, "%s", c[2]);
        snprintf(e.actor, sizeof e.actor, "%s", c[3]);
        if (fn(arg, &e))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = plc_error_set(err, store_code(s),
                           "cannot read the event log "
                           "(%s)",
                           store_why(s));
    store_done(st);
    return rc;
}

int store_events_prune(struct store *s, int64_t keep, struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "DELETE FROM events WHERE id <= (SELECT"
                                  " max(id) FROM events) - ?",
                                  err, "prune the event log");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)keep);
    int rc =
        sqlite3_step(st) == SQLITE_DONE
            ? 0
            : plc_error_set(err, store_code(s),
                            "cannot prune the event log (%s)", store_why(s));
    store_done(st);
    return rc;
}
