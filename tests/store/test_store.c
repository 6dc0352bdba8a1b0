/* The SQLite store: migrations on open, WAL, the event log survives a
 * reopen, a newer schema is refused. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

static const struct store_service svcs[] = {{"a", "h1", 1 << 20},
                                            {"b", "h2", 0}};
static const struct store_cpu cpus[] = {
    {"a", "h1", 0, 0.25, 2500000, 10000000, 10000000},
    {"b", "h2", 1, 0.125, 1250000, 10000000, 20000000}};
static const struct store_net nets[] = {{"a->b", "h1", "s", 10000000, false},
                                        {"a->b", "s", "h2", 10000000, true}};

static struct store_admission admission(const char *tenant, const char *name)
{
    return (struct store_admission){tenant, name, "admitted", "wf", 2,
                                    "plan", 4,    2,          2,    2,
                                    svcs,   cpus, nets,       0,    NULL};
}

struct totals {
    double core_h1_0, core_h2_1, mem_h1, link_h1_s;
    int rows;
};

static void add_total(void *arg, const char *kind, const char *a, const char *b,
                      double amount)
{
    struct totals *t = arg;
    t->rows++;
    if (!strcmp(kind, "core") && !strcmp(a, "h1") && !strcmp(b, "0"))
        t->core_h1_0 = amount;
    if (!strcmp(kind, "core") && !strcmp(a, "h2") && !strcmp(b, "1"))
        t->core_h2_1 = amount;
    if (!strcmp(kind, "mem") && !strcmp(a, "h1"))
        t->mem_h1 = amount;
    if (!strcmp(kind, "link") && !strcmp(a, "h1") && !strcmp(b, "s"))
        t->link_h1_s = amount;
}

static int count_one(void *arg, const struct store_workflow *w)
{
    (void)w;
    ++*(int *)arg;
    return 0;
}

Test(store, admissions_and_releases_keep_the_totals)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    struct store_admission a = admission("acme", "w1"),
                           b = admission("acme", "w2"),
                           c = admission("other", "w1");
    cr_assert_eq(store_admit(s, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(store_admit(s, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(store_admit(s, &c, &err), 0, "%s", err.msg);
    /* names are unique per tenant, and a refused admission leaves nothing */
    cr_assert_eq(store_admit(s, &a, &err), PLC_EDATA);
    cr_assert(strstr(err.msg, "already"), "%s", err.msg);
    struct totals t = {0};
    cr_assert_eq(store_reserved_each(s, add_total, &t, &err), 0);
    cr_assert_float_eq(t.core_h1_0, 0.75, 1e-12);
    cr_assert_float_eq(t.core_h2_1, 0.375, 1e-12);
    cr_assert_float_eq(t.mem_h1, 3.0 * (1 << 20), 1e-6);
    cr_assert_float_eq(t.link_h1_s, 3e7, 1e-6);
    struct store_workflow w;
    cr_assert_eq(store_workflow_get(s, "acme", "w2", &w, &err), 0);
    cr_assert_str_eq(w.state, "admitted");
    cr_assert_eq(w.plan_len, 4);
    cr_assert_str_eq(w.hosts[0], "h1");
    cr_assert_str_eq(w.hosts[1], "h2");
    cr_assert_null(w.hosts[2]);
    store_workflow_free(&w);
    int n = 0;
    cr_assert_eq(store_workflow_each(s, "acme", count_one, &n, &err), 0);
    cr_assert_eq(n, 2);
    n = 0;
    cr_assert_eq(store_workflow_each(s, NULL, count_one, &n, &err), 0);
    cr_assert_eq(n, 3);
    /* release: totals drop by its share, rows go with it */
    cr_assert_eq(store_release(s, "acme", "w1", &err), 0, "%s", err.msg);
    cr_assert_eq(store_release(s, "acme", "w1", &err), PLC_ENOENT);
    cr_assert_eq(store_release(s, "other", "w1", &err), 0);
    t = (struct totals){0};
    cr_assert_eq(store_reserved_each(s, add_total, &t, &err), 0);
    cr_assert_float_eq(t.core_h1_0, 0.25, 1e-12);
    long repaired;
    char first[256];
    cr_assert_eq(store_reserved_repair(s, &repaired, first, sizeof first, &err),
                 0);
    cr_assert_eq(repaired, 0, "%s", first);
    cr_assert_eq(store_release(s, "acme", "w2", &err), 0);
    t = (struct totals){0};
    cr_assert_eq(store_reserved_each(s, add_total, &t, &err), 0);
    cr_assert_eq(t.rows, 0);
    store_close(s);
}

Test(store, a_damaged_cache_is_repaired_on_check)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    struct store_admission a = admission("acme", "w1");
    cr_assert_eq(store_admit(s, &a, &err), 0);
    store_close(s);
    /* someone edits the cache behind placer's back */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "UPDATE reserved SET amount = 0.9 WHERE kind ="
                              " 'core' AND a = 'h1';"
                              "INSERT INTO reserved VALUES ('mem', 'h9', '',"
                              " 5);",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(store_open(path, &s, &err), 0);
    long repaired;
    char first[256];
    cr_assert_eq(store_reserved_repair(s, &repaired, first, sizeof first, &err),
                 0);
    cr_assert_eq(repaired, 2);
    cr_assert(strstr(first, "h1"), "%s", first);
    struct totals t = {0};
    cr_assert_eq(store_reserved_each(s, add_total, &t, &err), 0);
    cr_assert_float_eq(t.core_h1_0, 0.25, 1e-12);
    cr_assert_eq(t.rows, 5);
    cr_assert_eq(store_reserved_repair(s, &repaired, first, sizeof first, &err),
                 0);
    cr_assert_eq(repaired, 0);
    store_close(s);
}

Test(store, the_cluster_document_is_replaced_whole)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    void *doc;
    size_t len;
    cr_assert_eq(store_cluster_get(s, &doc, &len, &err), PLC_ENOENT);
    static const struct store_host hosts[] = {
        {"h1", 4, 0.9, 1 << 30, 1, 1, "z1"},
        {"h2", 2, 1.0, UINT64_MAX, 1, 2, NULL}};
    static const char *const switches[] = {"s"};
    static const struct store_link links[] = {
        {"h1", "s", 1000000000, 10000, 0, 0, 0},
        {"h2", "s", 1000000000, 10000, 0, 65536, 1}};
    struct store_cluster rows = {2, 1, 2, hosts, switches, links};
    cr_assert_eq(store_cluster_put(s, "one", 3, &rows, &err), 0);
    rows.n_links = 1;
    cr_assert_eq(store_cluster_put(s, "second", 6, &rows, &err), 0);
    cr_assert_eq(store_cluster_get(s, &doc, &len, &err), 0);
    cr_assert_eq(len, 6);
    cr_assert_eq(memcmp(doc, "second", 6), 0);
    free(doc);
    store_close(s);
    /* the rows replaced whole too, readable with plain SQL */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT (SELECT count(*) FROM hosts), (SELECT count(*)"
                       " FROM switches), (SELECT count(*) FROM links),"
                       " (SELECT memory_bytes IS NULL FROM hosts WHERE name"
                       " = 'h2'), (SELECT cores FROM hosts WHERE name = 'h1')",
                       -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 2);
    cr_assert_eq(sqlite3_column_int(st, 1), 1);
    cr_assert_eq(sqlite3_column_int(st, 2), 1);
    cr_assert_eq(sqlite3_column_int(st, 3), 1);
    cr_assert_eq(sqlite3_column_int(st, 4), 4);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

struct resv_seen {
    int cpu, net_there, net_back, bound;
    int cores;
};

static int see_resv(void *arg, const struct store_resv *r)
{
    struct resv_seen *x = arg;
    if (r->cpu) {
        x->cpu++;
        x->cores += r->n_cores;
    } else if (r->back) {
        x->net_back++;
    } else {
        x->net_there++;
    }
    x->bound += r->bound != NULL;
    return 0;
}

Test(store, reservations_are_listed_with_their_direction_and_binding)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    struct store_admission a = admission("acme", "w1");
    cr_assert_eq(store_admit(s, &a, &err), 0, "%s", err.msg);
    struct resv_seen x = {0};
    cr_assert_eq(store_resv_each(s, see_resv, &x, &err), 0, "%s", err.msg);
    /* services a (1 vCPU) and b (1 vCPU); the link once each way */
    cr_assert_eq(x.cpu, 2);
    cr_assert_eq(x.cores, 2);
    cr_assert_eq(x.net_there, 1);
    cr_assert_eq(x.net_back, 1);
    cr_assert_eq(x.bound, 0);
    struct store_binding b = {4242, NULL, NULL, 0, 0, NULL, 0, NULL};
    cr_assert_eq(store_bind(s, "acme", "w1", "a", true, &b, &err), 0, "%s",
                 err.msg);
    cr_assert_gt(b.generation, 0);
    struct store_binding f = {0, "10.0.0.1", "10.0.0.2", 0, 80, "tcp", 0, NULL};
    cr_assert_eq(store_bind(s, "acme", "w1", "a->b", false, &f, &err), 0, "%s",
                 err.msg);
    memset(&x, 0, sizeof x);
    cr_assert_eq(store_resv_each(s, see_resv, &x, &err), 0);
    cr_assert_eq(x.bound, 3, "the service and both link directions");
    /* unknown service or link: no change */
    plc_error_clear(&err);
    cr_assert_eq(store_bind(s, "acme", "w1", "ghost", true, &b, &err),
                 PLC_ENOENT);
    cr_assert(strstr(err.msg, "no service named 'ghost'"), "%s", err.msg);
    plc_error_clear(&err);
    cr_assert_eq(store_bind(s, "acme", "nope", "a", true, &b, &err),
                 PLC_ENOENT);
    store_close(s);
}

/* The group commit placerd calls: one transaction, one savepoint per
 * admission, so a refused one (a name in use, within the batch or
 * before it) leaves the others; the totals count only those recorded,
 * and a reopen finds them. */
Test(store, a_batch_commits_its_admissions_and_refuses_only_duplicates)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0);
    struct store_admission before = admission("acme", "w0");
    cr_assert_eq(store_admit(s, &before, &err), 0, "%s", err.msg);
    struct store_admission batch[4] = {
        admission("acme", "w1"), admission("acme", "w0"),  /* in use */
        admission("acme", "w2"), admission("acme", "w1")}; /* in the batch */
    int rc[4] = {-1, -1, -1, -1};
    cr_assert_eq(store_admit_batch(s, batch, 4, rc, &err), 0, "%s", err.msg);
    cr_assert_eq(rc[0], 0);
    cr_assert_eq(rc[1], PLC_EDATA);
    cr_assert_eq(rc[2], 0);
    cr_assert_eq(rc[3], PLC_EDATA);
    store_close(s);
    /* durable: a new connection sees w0, w1, w2 and the totals of three */
    cr_assert_eq(store_open(path, &s, &err), 0);
    int n = 0;
    cr_assert_eq(store_workflow_each(s, "acme", count_one, &n, &err), 0);
    cr_assert_eq(n, 3);
    struct totals t = {0};
    cr_assert_eq(store_reserved_each(s, add_total, &t, &err), 0);
    cr_assert_float_eq(t.core_h1_0, 0.75, 1e-12);
    cr_assert_float_eq(t.link_h1_s, 3e7, 1e-6);
    long repaired;
    char first[256];
    cr_assert_eq(store_reserved_repair(s, &repaired, first, sizeof first, &err),
                 0);
    cr_assert_eq(repaired, 0, "%s", first);
    /* an empty batch commits nothing and is not an error */
    cr_assert_eq(store_admit_batch(s, batch, 0, rc, &err), 0);
    store_close(s);
}

/* In a child that dies without closing (as a crash would: closing the
 * last connection would checkpoint): admit w1, remove the WAL, and, when
 * `write_after`, try to admit w2.  The child's exit status says whether
 * that write was refused naming the WAL. */
static int crash_after_wal_removal(bool write_after)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct store *s;
        struct plc_error err = PLC_ERROR_INIT;
        struct store_admission a = admission("acme", "w1"),
                               b = admission("acme", "w2");
        char wal[300];
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (store_open(path, &s, &err) < 0 || store_admit(s, &a, &err) < 0 ||
            unlink(wal) != 0)
            _exit(2);
        if (write_after) {
            if (store_admit(s, &b, &err) != PLC_EIO ||
                !strstr(err.msg, "-wal) was removed") ||
                !strstr(err.msg, "copied into the database file"))
                _exit(3);
            plc_error_clear(&err);
            if (store_release(s, "acme", "w1", &err) != PLC_EIO ||
                !strstr(err.msg, "no longer the file"))
                _exit(4);
        }
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static int exists_now(const char *name)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0, "%s", err.msg);
    int e = store_workflow_exists(s, "acme", name, &err);
    store_close(s);
    return e;
}

/* The WAL removed under an open store: the next write is refused, naming
 * the file, and every later one too; what was committed before survives a
 * crash (copied from the still-open WAL into the database file).  Without
 * the write that notices, the same crash loses it. */
Test(store, a_removed_wal_stops_writes_and_loses_nothing)
{
    cr_assert_eq(crash_after_wal_removal(true), 0);
    cr_assert_eq(exists_now("w1"), 1);
    cr_assert_eq(exists_now("w2"), 0);
}

Test(store, a_removed_wal_unnoticed_loses_the_commit)
{
    cr_assert_eq(crash_after_wal_removal(false), 0);
    cr_assert_eq(exists_now("w1"), 0);
}

Test(store, a_replaced_database_file_stops_writes)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0, "%s", err.msg);
    char moved[300];
    snprintf(moved, sizeof moved, "%s.old", path);
    cr_assert_eq(rename(path, moved), 0);
    struct store_admission a = admission("acme", "w1");
    cr_assert_eq(store_admit(s, &a, &err), PLC_EIO);
    cr_assert(strstr(err.msg, "database file was removed"), "%s", err.msg);
    store_close(s);
}

/* Tokens: shown once, kept as a hash, checked by id and secret; a wrong
 * secret, a revoked or an expired token is refused, each saying so. */
Test(store, tokens_are_checked_revoked_and_expire)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0, "%s", err.msg);
    char a[STORE_TOKEN_MAX], t[STORE_TOKEN_MAX], e[STORE_TOKEN_MAX];
    int64_t ida, idt, ide;
    cr_assert_eq(store_token_create(s, NULL, true, 0, "boot", a, &ida, &err),
                 0);
    cr_assert_eq(store_token_create(s, "acme", false, 0, NULL, t, &idt, &err),
                 0);
    /* expired a second ago */
    cr_assert_eq(store_token_create(s, "acme", false, 1, NULL, e, &ide, &err),
                 0);
    cr_assert(strncmp(a, "plc_", 4) == 0 && strcmp(a, t) != 0);
    struct store_token who;
    cr_assert_eq(store_token_check(s, a, &who, &err), 0, "%s", err.msg);
    cr_assert(who.admin && who.id == ida && !who.tenant[0]);
    cr_assert_eq(store_token_check(s, t, &who, &err), 0);
    cr_assert(!who.admin && !strcmp(who.tenant, "acme"));
    /* the secret is not stored: the file holds no token text */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM tokens WHERE hash = ?", -1,
                       &st, NULL);
    const char *secret = strrchr(t, '_') + 1;
    sqlite3_bind_blob(st, 1, secret, (int)strlen(secret), SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* a wrong secret for a right id, a malformed token, an expired one */
    char wrong[STORE_TOKEN_MAX];
    snprintf(wrong, sizeof wrong, "%s", t);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    cr_assert_eq(store_token_check(s, wrong, &who, &err), PLC_EPERM);
    err = (struct plc_error)PLC_ERROR_INIT; /* the first message stays */
    cr_assert_eq(store_token_check(s, "plc_x_y", &who, &err), PLC_EPERM);
    cr_assert(strstr(err.msg, "not one placerd makes"), "%s", err.msg);
    err = (struct plc_error)PLC_ERROR_INIT;
    cr_assert_eq(store_token_check(s, e, &who, &err), PLC_EPERM);
    cr_assert(strstr(err.msg, "expired"), "%s", err.msg);
    err = (struct plc_error)PLC_ERROR_INIT;
    cr_assert_eq(store_token_revoke(s, idt, &err), 0);
    cr_assert_eq(store_token_check(s, t, &who, &err), PLC_EPERM);
    cr_assert(strstr(err.msg, "revoked"), "%s", err.msg);
    cr_assert_eq(store_token_revoke(s, idt, &err), PLC_ENOENT);
    cr_assert_eq(store_token_check(s, a, &who, &err), 0);
    store_close(s);
}

Test(store, quotas_default_to_none_and_are_replaced_whole)
{
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(store_open(path, &s, &err), 0, "%s", err.msg);
    struct store_quota q;
    cr_assert_eq(store_quota_get(s, "acme", &q, &err), 0);
    cr_assert(q.cpu < 0 && q.bandwidth_bps < 0 && q.workflows < 0);
    struct store_quota in = {"acme", 2.5, 1000000000, 3};
    cr_assert_eq(store_quota_put(s, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(store_quota_get(s, "acme", &q, &err), 0);
    cr_assert(q.cpu == 2.5 && q.bandwidth_bps == 1000000000 &&
              q.workflows == 3);
    struct store_quota only = {"acme", -1, -1, 7};
    cr_assert_eq(store_quota_put(s, &only, &err), 0);
    cr_assert_eq(store_quota_get(s, "acme", &q, &err), 0);
    cr_assert(q.cpu < 0 && q.bandwidth_bps < 0 && q.workflows == 7);
    cr_assert_eq(store_quota_get(s, "other", &q, &err), 0);
    cr_assert(q.workflows < 0);
    store_close(s);
}
