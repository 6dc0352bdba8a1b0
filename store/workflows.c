/*
 * workflows.c: the cluster document, admitted workflows, their
 * reservations and the reserved totals (store.h).
 *
 * Every change is one transaction (BEGIN IMMEDIATE ... COMMIT, WAL,
 * synchronous FULL), so an admission or a release is either wholly in the
 * file or not at all, whenever the process dies.
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "plc/limits.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(struct store *s, struct plc_error *err, const char *what)
{
    return plc_error_set(err, store_code(s), "cannot %s (%s)", what,
                         store_why(s));
}

/* The cached statement of `sql`, or NULL with err set. */
static sqlite3_stmt *prep(struct store *s, const char *sql,
                          struct plc_error *err, const char *what)
{
    return store_prep(s, sql, err, what);
}

/* Step a statement without rows to completion and give it back. */
static int done(struct store *s, sqlite3_stmt *st, struct plc_error *err,
                const char *what)
{
    int r = sqlite3_step(st);
    int rc = r == SQLITE_DONE ? 0 : fail(s, err, what);
    store_done(st);
    return rc;
}

static int rollback(struct store *s, int rc)
{
    store_exec(s, "ROLLBACK");
    return rc;
}

/* ---- cluster --------------------------------------------------------------
 */

static int put_rows(struct store *s, const struct store_cluster *r,
                    struct plc_error *err)
{
    if (store_exec(s, "DELETE FROM hosts; DELETE FROM switches;"
                      " DELETE FROM links") < 0)
        return fail(s, err, "store the cluster");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->n_hosts; i++) {
        const struct store_host *h = &r->hosts[i];
        sqlite3_stmt *st = prep(s,
                                "INSERT INTO hosts (name, cores, core_capacity,"
                                " memory_bytes, speed, cost, zone)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                err, "store the cluster");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, h->cores);
        sqlite3_bind_double(st, 3, h->core_capacity);
        if (h->memory_bytes != UINT64_MAX)
            sqlite3_bind_int64(st, 4, (sqlite3_int64)h->memory_bytes);
        sqlite3_bind_double(st, 5, h->speed);
        sqlite3_bind_double(st, 6, h->cost);
        if (h->zone)
            sqlite3_bind_text(st, 7, h->zone, -1, SQLITE_STATIC);
        rc = done(s, st, err, "store the cluster");
    }
    for (size_t i = 0; rc == 0 && i < r->n_switches; i++) {
        sqlite3_stmt *st = prep(s, "INSERT INTO switches (name) VALUES (?)",
                                err, "store the cluster");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_text(st, 1, r->switches[i], -1, SQLITE_STATIC);
        rc = done(s, st, err, "store the cluster");
    }
    for (size_t i = 0; rc == 0 && i < r->n_links; i++) {
        const struct store_link *l = &r->links[i];
        sqlite3_stmt *st = prep(s,
                                "INSERT INTO links (id, a, b, rate_bps,"
                                " latency_ns, jitter_ns, buffer_bytes, cost)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                err, "store the cluster");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        sqlite3_bind_text(st, 2, l->a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, l->b, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)l->rate_bps);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)l->latency_ns);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)l->jitter_ns);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)l->buffer_bytes);
        sqlite3_bind_double(st, 8, l->cost);
        rc = done(s, st, err, "store the cluster");
    }
    return rc;
}

int store_cluster_put(struct store *s, const void *doc, size_t len,
                      const struct store_cluster *rows, struct plc_error *err)
{
    int begun = store_begin(s, err, "store the cluster");
    if (begun < 0)
        return begun;
    sqlite3_stmt *st =
        prep(s,
             "INSERT INTO cluster (id, doc, applied_us) VALUES (1, ?, ?)"
             " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc,"
             " applied_us = excluded.applied_us",
             err, "store the cluster");
    if (!st)
        return rollback(s, PLC_EIO);
    sqlite3_bind_blob(st, 1, doc, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, plc_wall_us());
    int rc = done(s, st, err, "store the cluster");
    if (rc == 0 && rows)
        rc = put_rows(s, rows, err);
    if (rc < 0)
        return rollback(s, rc);
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the cluster"));
    return 0;
}

int store_cluster_get(struct store *s, void **doc, size_t *len,
                      struct plc_error *err)
{
    *doc = NULL;
    *len = 0;
    sqlite3_stmt *st = prep(s, "SELECT doc FROM cluster WHERE id = 1", err,
                            "read the cluster");
    if (!st)
        return PLC_EIO;
    int r = sqlite3_step(st), rc = 0;
    if (r == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(st, 0);
        *doc = malloc(*len + 1);
        if (!*doc)
            rc = plc_error_set(err, PLC_ENOMEM, "cannot read the cluster (%s)",
                               plc_strerror(PLC_ENOMEM));
        else if (*len)
            memcpy(*doc, sqlite3_column_blob(st, 0), *len);
    } else if (r == SQLITE_DONE) {
        rc = plc_error_set(err, PLC_ENOENT, "no cluster has been applied");
    } else {
        rc = fail(s, err, "read the cluster");
    }
    store_done(st);
    return rc;
}

/* ---- agents ----------------------------------------------------------------
 */

int store_agent_put(struct store *s, const struct store_agent *a,
                    struct plc_error *err)
{
    sqlite3_stmt *st =
        prep(s,
             "INSERT INTO agents (host, state, cores, core_capacity,"
             " memory_bytes, backends, version, changed_us, overhead_ns,"
             " granularity_ns, wakeup_ns, platform_note)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
             " ON CONFLICT (host) DO UPDATE"
             " SET state = excluded.state, cores = excluded.cores,"
             " core_capacity = excluded.core_capacity, memory_bytes ="
             " excluded.memory_bytes, backends = excluded.backends, version ="
             " excluded.version, changed_us = excluded.changed_us,"
             " overhead_ns = excluded.overhead_ns, granularity_ns ="
             " excluded.granularity_ns, wakeup_ns = excluded.wakeup_ns,"
             " platform_note = excluded.platform_note",
             err, "record the agent");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, a->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->cores);
    sqlite3_bind_double(st, 4, a->core_capacity);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)a->memory_bytes);
    sqlite3_bind_text(st, 6, a->backends ? a->backends : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, a->version ? a->version : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, plc_wall_us());
    const int64_t terms[] = {a->overhead_ns, a->granularity_ns, a->wakeup_ns};
    for (int i = 0; i < 3; i++)
        if (terms[i] >= 0)
            sqlite3_bind_int64(st, 9 + i, terms[i]);
        else
            sqlite3_bind_null(st, 9 + i);
    if (a->platform_note)
        sqlite3_bind_text(st, 12, a->platform_note, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 12);
    return done(s, st, err, "record the agent");
}

/* ---- totals ----------------------------------------------------------------
 */

static int add_reserved(struct store *s, const char *kind, const char *a,
                        const char *b, double amount, struct plc_error *err)
{
    sqlite3_stmt *st =
        prep(s,
             "INSERT INTO reserved (kind, a, b, amount) VALUES (?, ?, ?, ?)"
             " ON CONFLICT (kind, a, b) DO UPDATE SET"
             " amount = amount + excluded.amount",
             err, "update the reserved totals");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, amount);
    return done(s, st, err, "update the reserved totals");
}

/* The totals of the reservations, as rows (kind, a, b, amount). */
#define TRUTH_SQL                                                              \
    "SELECT 'core', host, CAST(core AS TEXT), sum(utilization)"                \
    "  FROM cpu_reservations GROUP BY host, core"                              \
    " UNION ALL SELECT 'mem', host, '', sum(memory_bytes)"                     \
    "  FROM services GROUP BY host"                                            \
    " UNION ALL SELECT 'link', node_from, node_to, sum(rate_bps)"              \
    "  FROM net_reservations GROUP BY node_from, node_to"

/* ---- admission and release ----------------------------------------------- */

static int insert_rows(struct store *s, const struct store_admission *a,
                       int64_t id, struct plc_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->n_services; i++) {
        const struct store_service *x = &a->services[i];
        sqlite3_stmt *st = prep(s,
                                "INSERT INTO services (workflow_id, service,"
                                " host, memory_bytes) VALUES (?, ?, ?, ?)",
                                err, "record a service");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, x->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, x->host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)x->memory_bytes);
        rc = done(s, st, err, "record a service");
        if (rc == 0 && x->memory_bytes)
            rc = add_reserved(s, "mem", x->host, "", (double)x->memory_bytes,
                              err);
    }
    for (size_t i = 0; rc == 0 && i < a->n_cpu; i++) {
        const struct store_cpu *x = &a->cpu[i];
        sqlite3_stmt *st =
            prep(s,
                 "INSERT INTO cpu_reservations (workflow_id, service, host,"
                 " core, utilization, budget_ns, period_ns, deadline_ns)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 err, "record a CPU reservation");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, x->service, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, x->host, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, x->core);
        sqlite3_bind_double(st, 5, x->utilization);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)x->budget_ns);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)x->period_ns);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)x->deadline_ns);
        rc = done(s, st, err, "record a CPU reservation");
        char core[16];
        snprintf(core, sizeof core, "%d", x->core);
        if (rc == 0)
            rc = add_reserved(s, "core", x->host, core, x->utilization, err);
    }
    for (size_t i = 0; rc == 0 && i < a->n_net; i++) {
        const struct store_net *x = &a->net[i];
        sqlite3_stmt *st = prep(s,
                                "INSERT INTO net_reservations (workflow_id,"
                                " vlink, node_from, node_to, rate_bps, back)"
                                " VALUES (?, ?, ?, ?, ?, ?)",
                                err, "record a network reservation");
        if (!st)
            return PLC_EIO;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, x->vlink, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, x->from, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, x->to, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)x->rate_bps);
        sqlite3_bind_int(st, 6, x->back);
        rc = done(s, st, err, "record a network reservation");
        if (rc == 0)
            rc = add_reserved(s, "link", x->from, x->to, (double)x->rate_bps,
                              err);
    }
    return rc;
}

static int log_event(struct store *s, const char *kind, const char *subject,
                     const char *detail, struct plc_error *err)
{
    return store_event_append(s, kind, subject, detail, err);
}

/* The rows of one admission, inside a transaction already open. */
static int admit_rows(struct store *s, const struct store_admission *a,
                      struct plc_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "INSERT INTO workflows (tenant, name, state,"
                            " workflow, plan, admitted_us)"
                            " VALUES (?, ?, ?, ?, ?, ?)",
                            err, "record the workflow");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, a->tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->state ? a->state : "admitted", -1,
                      SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, a->workflow, (int)a->workflow_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, a->plan, (int)a->plan_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, a->admitted_us ? a->admitted_us : plc_wall_us());
    int r = sqlite3_step(st);
    store_done(st);
    if (r == SQLITE_CONSTRAINT)
        return plc_error_set(err, PLC_EDATA,
                             "tenant '%s' has a workflow named '%s' already; "
                             "release it first or choose another name",
                             a->tenant, a->name);
    if (r != SQLITE_DONE)
        return fail(s, err, "record the workflow");
    int64_t id = sqlite3_last_insert_rowid(s->db);
    int rc = insert_rows(s, a, id, err);
    char detail[160];
    snprintf(detail, sizeof detail,
             "%zu services, %zu CPU reservations, %zu link reservations",
             a->n_services, a->n_cpu, a->n_net);
    char subject[256];
    snprintf(subject, sizeof subject, "%s/%s", a->tenant, a->name);
    if (rc == 0) {
        char was[sizeof s->actor];
        memcpy(was, s->actor, sizeof was);
        store_set_actor(s, a->actor);
        rc = log_event(s, "admit", subject, detail, err);
        store_set_actor(s, was);
    }
    return rc;
}

int store_admit(struct store *s, const struct store_admission *a,
                struct plc_error *err)
{
    int begun = store_begin(s, err, "begin an admission");
    if (begun < 0)
        return begun;
    int rc = admit_rows(s, a, err);
    if (rc < 0)
        return rollback(s, rc);
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the admission"));
    return 0;
}

int store_admit_batch(struct store *s, const struct store_admission *a,
                      size_t n, int *rc, struct plc_error *err)
{
    int begun = store_begin(s, err, "begin the admissions");
    if (begun < 0)
        return begun;
    for (size_t i = 0; i < n; i++) {
        struct plc_error e = PLC_ERROR_INIT;
        if (store_exec(s, "SAVEPOINT one") < 0)
            return rollback(s, fail(s, err, "begin an admission"));
        rc[i] = admit_rows(s, &a[i], &e);
        if (rc[i] < 0 && rc[i] != PLC_EDATA)
            return rollback(s, plc_error_set(err, rc[i], "%s", e.msg));
        if (store_exec(s, rc[i] < 0 ? "ROLLBACK TO one; RELEASE one"
                                    : "RELEASE one") < 0)
            return rollback(s, fail(s, err, "record an admission"));
    }
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the admissions"));
    return 0;
}

/* A lookup of tenant/name stepped to r without a row: rolled back, with
 * PLC_ENOENT (no such workflow) or PLC_EIO. */
static int not_found(struct store *s, int r, const char *tenant,
                     const char *name, struct plc_error *err)
{
    if (r == SQLITE_DONE)
        return rollback(s, plc_error_set(err, PLC_ENOENT,
                                         "tenant '%s' has no workflow named "
                                         "'%s'",
                                         tenant, name));
    return rollback(s, fail(s, err, "find the workflow"));
}

int store_release(struct store *s, const char *tenant, const char *name,
                  struct plc_error *err)
{
    int begun = store_begin(s, err, "begin a release");
    if (begun < 0)
        return begun;
    sqlite3_stmt *st = prep(s,
                            "SELECT id FROM workflows WHERE tenant = ? AND"
                            " name = ?",
                            err, "find the workflow");
    if (!st)
        return rollback(s, PLC_EIO);
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    int64_t id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    store_done(st);
    if (r != SQLITE_ROW)
        return not_found(s, r, tenant, name, err);
    /* take its reservations off the totals, then drop it (cascade) */
    static const char *const subtract[] = {
        "UPDATE reserved SET amount = amount - (SELECT sum(utilization) FROM"
        " cpu_reservations c WHERE c.workflow_id = ?1 AND c.host = reserved.a"
        " AND CAST(c.core AS TEXT) = reserved.b) WHERE kind = 'core' AND"
        " EXISTS (SELECT 1 FROM cpu_reservations c WHERE c.workflow_id = ?1"
        " AND c.host = reserved.a AND CAST(c.core AS TEXT) = reserved.b)",
        "UPDATE reserved SET amount = amount - (SELECT sum(memory_bytes) FROM"
        " services v WHERE v.workflow_id = ?1 AND v.host = reserved.a) WHERE"
        " kind = 'mem' AND EXISTS (SELECT 1 FROM services v WHERE"
        " v.workflow_id = ?1 AND v.host = reserved.a)",
        "UPDATE reserved SET amount = amount - (SELECT sum(rate_bps) FROM"
        " net_reservations n WHERE n.workflow_id = ?1 AND n.node_from ="
        " reserved.a AND n.node_to = reserved.b) WHERE kind = 'link' AND"
        " EXISTS (SELECT 1 FROM net_reservations n WHERE n.workflow_id = ?1"
        " AND n.node_from = reserved.a AND n.node_to = reserved.b)",
        "DELETE FROM workflows WHERE id = ?1",
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof subtract / sizeof *subtract; i++) {
        st = prep(s, subtract[i], err, "release the workflow");
        if (!st) {
            rc = PLC_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, id);
        rc = done(s, st, err, "release the workflow");
    }
    if (rc == 0 &&
        store_exec(s, "DELETE FROM reserved WHERE abs(amount) < 1e-9") < 0)
        rc = fail(s, err, "release the workflow");
    char subject[256];
    snprintf(subject, sizeof subject, "%s/%s", tenant, name);
    if (rc == 0)
        rc = log_event(s, "release", subject, "", err);
    if (rc < 0)
        return rollback(s, rc);
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the release"));
    return 0;
}

/* ---- reading --------------------------------------------------------------
 */

void store_workflow_free(struct store_workflow *w)
{
    free(w->tenant);
    free(w->name);
    free(w->state);
    free(w->plan);
    for (size_t i = 0; w->hosts && w->hosts[i]; i++)
        free(w->hosts[i]);
    free(w->hosts);
    memset(w, 0, sizeof *w);
}

static char *dup_col(sqlite3_stmt *st, int col, bool *oom)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    char *d = strdup(t ? t : "");
    *oom |= d == NULL;
    return d;
}

/* Fill w from a row (id, tenant, name, state, plan), with its hosts. */
static int load_row(struct store *s, sqlite3_stmt *row,
                    struct store_workflow *w, struct plc_error *err)
{
    memset(w, 0, sizeof *w);
    bool oom = false;
    int64_t id = sqlite3_column_int64(row, 0);
    w->id = id;
    w->tenant = dup_col(row, 1, &oom);
    w->name = dup_col(row, 2, &oom);
    w->state = dup_col(row, 3, &oom);
    w->plan_len = (size_t)sqlite3_column_bytes(row, 4);
    w->plan = malloc(w->plan_len + 1);
    oom |= w->plan == NULL;
    if (w->plan && w->plan_len)
        memcpy(w->plan, sqlite3_column_blob(row, 4), w->plan_len);
    sqlite3_stmt *st = prep(s,
                            "SELECT DISTINCT host FROM services WHERE"
                            " workflow_id = ? ORDER BY host",
                            err, "read the workflow's hosts");
    if (!st) {
        store_workflow_free(w);
        return PLC_EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    size_t n = 0, cap = 4;
    w->hosts = calloc(cap + 1, sizeof *w->hosts);
    oom |= w->hosts == NULL;
    while (!oom && sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            char **g = realloc(w->hosts, (cap * 2 + 1) * sizeof *g);
            if (!g) {
                oom = true;
                break;
            }
            w->hosts = g;
            cap *= 2;
        }
        w->hosts[n++] = dup_col(st, 0, &oom);
        w->hosts[n] = NULL;
    }
    store_done(st);
    if (oom) {
        store_workflow_free(w);
        return plc_error_set(err, PLC_ENOMEM, "cannot read workflows (%s)",
                             plc_strerror(PLC_ENOMEM));
    }
    return 0;
}

int store_workflow_exists(struct store *s, const char *tenant, const char *name,
                          struct plc_error *err)
{
    sqlite3_stmt *st = prep(s,
                            "SELECT 1 FROM workflows WHERE tenant = ? AND"
                            " name = ?",
                            err, "find the workflow");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    int rc = r == SQLITE_ROW    ? 1
             : r == SQLITE_DONE ? 0
                                : fail(s, err, "find the workflow");
    store_done(st);
    return rc;
}

int store_workflow_get(struct store *s, const char *tenant, const char *name,
                       struct store_workflow *out, struct plc_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(s,
                            "SELECT id, tenant, name, state, plan FROM"
                            " workflows WHERE tenant = ? AND name = ?",
                            err, "read the workflow");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st), rc;
    if (r == SQLITE_ROW)
        rc = load_row(s, st, out, err);
    else if (r == SQLITE_DONE)
        rc = plc_error_set(err, PLC_ENOENT,
                           "tenant '%s' has no workflow named '%s'", tenant,
                           name);
    else
        rc = fail(s, err, "read the workflow");
    store_done(st);
    return rc;
}

int store_workflow_each(struct store *s, const char *tenant,
                        int (*fn)(void *arg, const struct store_workflow *w),
                        void *arg, struct plc_error *err)
{
    sqlite3_stmt *st = prep(s,
                            tenant ? "SELECT id, tenant, name, state, plan FROM"
                                     " workflows WHERE tenant = ? ORDER BY"
                                     " tenant, name"
                                   : "SELECT id, tenant, name, state, plan FROM"
                                     " workflows ORDER BY tenant, name",
                            err, "list the workflows");
    if (!st)
        return PLC_EIO;
    if (tenant)
        sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    int rc = 0, r;
    while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_workflow w;
        rc = load_row(s, st, &w, err);
        if (rc == 0 && fn(arg, &w))
            r = SQLITE_DONE, rc = 1;
        store_workflow_free(&w);
    }
    store_done(st);
    return rc == 1 ? 0 : rc;
}

int store_reserved_each(struct store *s,
                        void (*fn)(void *arg, const char *kind, const char *a,
                                   const char *b, double amount),
                        void *arg, struct plc_error *err)
{
    sqlite3_stmt *st = prep(s, "SELECT kind, a, b, amount FROM reserved", err,
                            "read the reserved totals");
    if (!st)
        return PLC_EIO;
    while (sqlite3_step(st) == SQLITE_ROW)
        fn(arg, (const char *)sqlite3_column_text(st, 0),
           (const char *)sqlite3_column_text(st, 1),
           (const char *)sqlite3_column_text(st, 2),
           sqlite3_column_double(st, 3));
    store_done(st);
    return 0;
}

int store_reserved_repair(struct store *s, long *repaired, char *first,
                          size_t first_len, struct plc_error *err)
{
    *repaired = 0;
    if (first_len)
        first[0] = '\0';
    int begun = store_begin(s, err, "check the reserved totals");
    if (begun < 0)
        return begun;
    /* rows of the truth the cache lacks or has wrong, and cache rows the
     * truth lacks */
    sqlite3_stmt *st = prep(
        s,
        "WITH truth(kind, a, b, amount) AS (" TRUTH_SQL ")"
        " SELECT t.kind, t.a, t.b, t.amount, r.amount FROM truth t"
        " LEFT JOIN reserved r USING (kind, a, b)"
        " WHERE abs(t.amount - coalesce(r.amount, 0)) >"
        "  1e-9 * max(1, abs(t.amount))"
        " UNION ALL SELECT r.kind, r.a, r.b, 0, r.amount FROM reserved r"
        " WHERE NOT EXISTS (SELECT 1 FROM truth t WHERE t.kind = r.kind AND"
        "  t.a = r.a AND t.b = r.b) AND abs(r.amount) > 1e-9",
        err, "check the reserved totals");
    if (!st)
        return rollback(s, PLC_EIO);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*repaired == 0 && first_len)
            snprintf(first, first_len,
                     "%s %s %s: reservations sum to %.9g, "
                     "the cache said %.9g",
                     (const char *)sqlite3_column_text(st, 0),
                     (const char *)sqlite3_column_text(st, 1),
                     (const char *)sqlite3_column_text(st, 2),
                     sqlite3_column_double(st, 3),
                     sqlite3_column_type(st, 4) == SQLITE_NULL
                         ? 0.0
                         : sqlite3_column_double(st, 4));
        (*repaired)++;
    }
    store_done(st);
    int rc = 0;
    if (*repaired) {
        if (store_exec(s, "DELETE FROM reserved") < 0 ||
            store_exec(s, "WITH truth(kind, a, b, amount) AS (" TRUTH_SQL
                          ") INSERT INTO reserved (kind, a, b, amount)"
                          " SELECT * FROM truth WHERE abs(amount) > 1e-9") < 0)
            rc = fail(s, err, "repair the reserved totals");
        char detail[64];
        snprintf(detail, sizeof detail, "%ld rows repaired", *repaired);
        if (rc == 0)
            rc = log_event(s, "repair", "reserved", detail, err);
    }
    if (rc < 0)
        return rollback(s, rc);
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the repair"));
    return 0;
}

/* ---- reservations and their bindings -------------------------------------
 */

int store_bind(struct store *s, const char *tenant, const char *name,
               const char *subject, bool is_service, struct store_binding *b,
               struct plc_error *err)
{
    int begun = store_begin(s, err, "begin a binding");
    if (begun < 0)
        return begun;
    sqlite3_stmt *st =
        prep(s,
             "SELECT w.id, max(w.admitted_us, coalesce(b.generation,"
             " 0)), (SELECT count(*) FROM services v WHERE"
             " v.workflow_id = w.id AND v.service = ?3),"
             " (SELECT count(*) FROM net_reservations n WHERE"
             " n.workflow_id = w.id AND n.vlink = ?3)"
             " FROM workflows w LEFT JOIN bindings b ON"
             " b.workflow_id = w.id AND b.subject = ?3"
             " WHERE w.tenant = ?1 AND w.name = ?2",
             err, "find the workflow");
    if (!st)
        return rollback(s, PLC_EIO);
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, subject, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    int64_t id = -1, gen = 0, n_svc = 0, n_net = 0;
    if (r == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        gen = sqlite3_column_int64(st, 1);
        n_svc = sqlite3_column_int64(st, 2);
        n_net = sqlite3_column_int64(st, 3);
    }
    store_done(st);
    if (r != SQLITE_ROW)
        return not_found(s, r, tenant, name, err);
    if (is_service ? n_svc == 0 : n_net == 0)
        return rollback(
            s, plc_error_set(err, PLC_ENOENT,
                             is_service
                                 ? "workflow '%s' has no service named '%s'"
                                 : "workflow '%s' reserves no bandwidth for a "
                                   "link %s (a link between two services on "
                                   "one host needs none)",
                             name, subject));
    b->generation = gen + 1;
    st = prep(s,
              "INSERT OR REPLACE INTO bindings (workflow_id, subject, pid,"
              " src, src_port, dst, dst_port, protocol, generation, cgroup)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              err, "record the binding");
    if (!st)
        return rollback(s, PLC_EIO);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    if (b->pid > 0)
        sqlite3_bind_int(st, 3, b->pid);
    sqlite3_bind_text(st, 4, b->src, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, b->src_port);
    sqlite3_bind_text(st, 6, b->dst, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, b->dst_port);
    sqlite3_bind_text(st, 8, b->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, b->generation);
    if (b->cgroup)
        sqlite3_bind_text(st, 10, b->cgroup, -1, SQLITE_STATIC);
    int rc = done(s, st, err, "record the binding");
    char subj[256], detail[160];
    snprintf(subj, sizeof subj, "%s/%s/%s", tenant, name, subject);
    if (b->pid > 0)
        snprintf(detail, sizeof detail, "pid %d", b->pid);
    else if (b->cgroup)
        snprintf(detail, sizeof detail, "cgroup %.140s", b->cgroup);
    else
        snprintf(detail, sizeof detail, "flow %s:%d-%s:%d/%s",
                 b->src ? b->src : "*", b->src_port, b->dst ? b->dst : "*",
                 b->dst_port, b->protocol ? b->protocol : "any");
    if (rc == 0)
        rc = log_event(s, "bind", subj, detail, err);
    if (rc < 0)
        return rollback(s, rc);
    if (store_exec(s, "COMMIT") < 0)
        return rollback(s, fail(s, err, "commit the binding"));
    return 0;
}

static const char *text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

int store_resv_each(struct store *s,
                    int (*fn)(void *arg, const struct store_resv *r), void *arg,
                    struct plc_error *err)
{
    static const char *const sql[2] = {
        "SELECT w.tenant, w.name, c.service, c.host, NULL,"
        " group_concat(c.core), max(c.budget_ns), max(c.period_ns),"
        " max(c.deadline_ns), 0, max(w.admitted_us, coalesce(b.generation,"
        " 0)), b.generation IS NOT NULL, b.pid, NULL, 0, NULL, 0, NULL, 0,"
        " b.cgroup FROM cpu_reservations c JOIN workflows w ON w.id = "
        "c.workflow_id"
        " LEFT JOIN bindings b ON b.workflow_id = c.workflow_id AND"
        " b.subject = c.service GROUP BY c.workflow_id, c.service",
        "SELECT w.tenant, w.name, n.vlink, n.node_from, n.node_to, NULL, 0,"
        " 0, 0, n.rate_bps, max(w.admitted_us, coalesce(b.generation, 0)),"
        " b.generation IS NOT NULL, 0, b.src, b.src_port, b.dst, b.dst_port,"
        " b.protocol, n.back, NULL FROM net_reservations n JOIN workflows w ON "
        "w.id ="
        " n.workflow_id LEFT JOIN bindings b ON b.workflow_id ="
        " n.workflow_id AND b.subject = n.vlink",
    };
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        sqlite3_stmt *st = prep(s, sql[k], err, "list the reservations");
        if (!st)
            return PLC_EIO;
        int r = SQLITE_DONE;
        while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_resv v;
            memset(&v, 0, sizeof v);
            struct store_binding b = {0};
            v.tenant = text(st, 0);
            v.workflow = text(st, 1);
            v.cpu = k == 0;
            v.subject = text(st, 2);
            v.host = text(st, 3);
            v.to = text(st, 4);
            const char *cores = text(st, 5);
            for (const char *p = cores; p && *p && v.n_cores < PLC_VCPUS_MAX;) {
                v.cores[v.n_cores++] = atoi(p);
                p = strchr(p, ',');
                p = p ? p + 1 : NULL;
            }
            v.budget_ns = (uint64_t)sqlite3_column_int64(st, 6);
            v.period_ns = (uint64_t)sqlite3_column_int64(st, 7);
            v.deadline_ns = (uint64_t)sqlite3_column_int64(st, 8);
            v.rate_bps = (uint64_t)sqlite3_column_int64(st, 9);
            v.generation = sqlite3_column_int64(st, 10);
            if (sqlite3_column_int(st, 11)) {
                b.pid = sqlite3_column_int(st, 12);
                b.src = text(st, 13);
                b.src_port = sqlite3_column_int(st, 14);
                b.dst = text(st, 15);
                b.dst_port = sqlite3_column_int(st, 16);
                b.protocol = text(st, 17);
                b.cgroup = text(st, 19);
                b.generation = v.generation;
                v.bound = &b;
            }
            v.back = sqlite3_column_int(st, 18) != 0;
            rc = fn(arg, &v);
        }
        if (rc == 0 && r != SQLITE_DONE)
            rc = fail(s, err, "list the reservations");
        store_done(st);
    }
    return rc;
}
