/*
 * tokens.c: bearer tokens (their hashes) and tenants' quotas.
 *
 * A token is shown once, when it is made: "plc_ID_SECRET", where ID is its
 * row and SECRET 64 hex digits of random bytes.  Only SHA-256 of SECRET is
 * kept; a token is checked by reading its row by ID and comparing the
 * hashes in constant time (gnutls_memcmp).
 */
#define _GNU_SOURCE
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plc/clock.h"

#define SECRET_BYTES 32

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int digest(const char *secret, unsigned char out[32])
{
    return gnutls_hash_fast(GNUTLS_DIG_SHA256, secret, strlen(secret), out) == 0
               ? 0
               : PLC_EIO;
}

int store_token_create(struct store *s, const char *tenant, bool admin,
                       int64_t expires_us, const char *note,
                       char token[STORE_TOKEN_MAX], int64_t *id,
                       struct plc_error *err)
{
    unsigned char raw[SECRET_BYTES], h[32];
    char secret[2 * SECRET_BYTES + 1];
    if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof raw) != 0)
        return plc_error_set(err, PLC_EIO,
                             "cannot draw random bytes for a "
                             "token");
    hex(raw, sizeof raw, secret);
    if (digest(secret, h) < 0)
        return plc_error_set(err, PLC_EIO, "cannot hash the token");
    sqlite3_stmt *st = store_prep(s,
                                  "INSERT INTO tokens (hash, tenant, admin,"
                                  " created_us, expires_us, note) VALUES"
                                  " (?, ?, ?, ?, ?, ?)",
                                  err, "record a token");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
    if (tenant)
        sqlite3_bind_text(st, 2, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, admin);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)plc_wall_us());
    if (expires_us > 0)
        sqlite3_bind_int64(st, 5, (sqlite3_int64)expires_us);
    sqlite3_bind_text(st, 6, note ? note : "", -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = plc_error_set(err, store_code(s), "cannot record the token (%s)",
                           store_why(s));
    else
        *id = (int64_t)sqlite3_last_insert_rowid(s->db);
    store_done(st);
    gnutls_memset(raw, 0, sizeof raw);
    if (rc == 0)
        snprintf(token, STORE_TOKEN_MAX, "plc_%" PRId64 "_%s", *id, secret);
    gnutls_memset(secret, 0, sizeof secret);
    return rc;
}

static void row_token(sqlite3_stmt *st, struct store_token *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    const unsigned char *tn = sqlite3_column_text(st, 1);
    if (tn)
        snprintf(t->tenant, sizeof t->tenant, "%s", (const char *)tn);
    t->admin = sqlite3_column_int(st, 2) != 0;
    t->created_us = sqlite3_column_int64(st, 3);
    t->expires_us = sqlite3_column_int64(st, 4);
    t->revoked_us = sqlite3_column_int64(st, 5);
    const unsigned char *n = sqlite3_column_text(st, 6);
    snprintf(t->note, sizeof t->note, "%s", n ? (const char *)n : "");
}

int store_token_check(struct store *s, const char *token,
                      struct store_token *out, struct plc_error *err)
{
    /* plc_ID_SECRET */
    char *end = NULL;
    long long id = 0;
    const char *secret = NULL;
    if (token && !strncmp(token, "plc_", 4)) {
        id = strtoll(token + 4, &end, 10);
        if (end && *end == '_' && end > token + 4)
            secret = end + 1;
    }
    if (!secret || id <= 0 || strlen(secret) != 2 * SECRET_BYTES)
        return plc_error_set(err, PLC_EPERM,
                             "the token is not one placerd makes "
                             "(plc_ID_SECRET)");
    unsigned char h[32];
    if (digest(secret, h) < 0)
        return plc_error_set(err, PLC_EIO, "cannot hash the token");
    sqlite3_stmt *st = store_prep(s,
                                  "SELECT id, tenant, admin, created_us,"
                                  " expires_us, revoked_us, note, hash FROM"
                                  " tokens WHERE id = ?",
                                  err, "read a token");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st), rc = 0;
    if (r == SQLITE_ROW) {
        row_token(st, out);
        const void *stored = sqlite3_column_blob(st, 7);
        int n = sqlite3_column_bytes(st, 7);
        if (n != (int)sizeof h || !stored || gnutls_memcmp(stored, h, sizeof h))
            rc = plc_error_set(err, PLC_EPERM, "the token is not valid");
        else if (out->revoked_us)
            rc = plc_error_set(err, PLC_EPERM, "the token was revoked");
        else if (out->expires_us && out->expires_us <= plc_wall_us())
            rc = plc_error_set(err, PLC_EPERM, "the token has expired");
    } else if (r == SQLITE_DONE) {
        rc = plc_error_set(err, PLC_EPERM, "the token is not valid");
    } else {
        rc = plc_error_set(err, store_code(s), "cannot read the token (%s)",
                           store_why(s));
    }
    store_done(st);
    return rc;
}

int store_token_each(struct store *s,
                     int (*fn)(void *arg, const struct store_token *t),
                     void *arg, struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "SELECT id, tenant, admin, created_us,"
                                  " expires_us, revoked_us, note FROM tokens"
                                  " ORDER BY id",
                                  err, "list the tokens");
    if (!st)
        return PLC_EIO;
    int r, rc = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_token t;
        row_token(st, &t);
        if (fn(arg, &t))
            break;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = plc_error_set(err, store_code(s), "cannot list the tokens (%s)",
                           store_why(s));
    store_done(st);
    return rc;
}

int store_token_revoke(struct store *s, int64_t id, struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "UPDATE tokens SET revoked_us = ? WHERE id ="
                                  " ? AND revoked_us IS NULL",
                                  err, "revoke a token");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)plc_wall_us());
    sqlite3_bind_int64(st, 2, id);
    int rc = 0;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = plc_error_set(err, store_code(s), "cannot revoke the token (%s)",
                           store_why(s));
    else if (sqlite3_changes(s->db) == 0)
        rc = plc_error_set(err, PLC_ENOENT,
                           "no token %" PRId64 " (or it was revoked already)",
                           id);
    store_done(st);
    return rc;
}

/* ---- quotas ---------------------------------------------------------------
 */

int store_quota_put(struct store *s, const struct store_quota *q,
                    struct plc_error *err)
{
    sqlite3_stmt *st = store_prep(s,
                                  "INSERT OR REPLACE INTO quotas (tenant, cpu,"
                                  " bandwidth_bps, workflows) VALUES (?, ?,"
                                  " ?, ?)",
                                  err, "record a quota");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, q->tenant, -1, SQLITE_STATIC);
    if (q->cpu >= 0)
        sqlite3_bind_double(st, 2, q->cpu);
    if (q->bandwidth_bps >= 0)
        sqlite3_bind_int64(st, 3, q->bandwidth_bps);
    if (q->workflows >= 0)
        sqlite3_bind_int64(st, 4, q->workflows);
    int rc = sqlite3_step(st) == SQLITE_DONE
                 ? 0
                 : plc_error_set(err, store_code(s),
                                 "cannot record the quota (%s)", store_why(s));
    store_done(st);
    return rc;
}

int store_quota_get(struct store *s, const char *tenant, struct store_quota *q,
                    struct plc_error *err)
{
    memset(q, 0, sizeof *q);
    snprintf(q->tenant, sizeof q->tenant, "%s", tenant);
    q->cpu = -1;
    q->bandwidth_bps = q->workflows = -1;
    sqlite3_stmt *st = store_prep(s,
                                  "SELECT cpu, bandwidth_bps, workflows FROM"
                                  " quotas WHERE tenant = ?",
                                  err, "read a quota");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    int r = sqlite3_step(st), rc = 0;
    if (r == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            q->cpu = sqlite3_column_double(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            q->bandwidth_bps = sqlite3_column_int64(st, 1);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            q->workflows = sqlite3_column_int64(st, 2);
    } else if (r != SQLITE_DONE) {
        rc = plc_error_set(err, store_code(s), "cannot read the quota (%s)",
                           store_why(s));
    }
    store_done(st);
    return rc;
}

/* ---- idempotent requests --------------------------------------------------
 */

int store_answer_put(struct store *s, const char *scope, const char *key,
                     const struct store_answer *a, int64_t max_age_us,
                     struct plc_error *err)
{
    int64_t now = plc_wall_us();
    sqlite3_stmt *st =
        store_prep(s, "DELETE FROM idempotency WHERE created_us < ?", err,
                   "purge old answers");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - max_age_us));
    int r = sqlite3_step(st);
    store_done(st);
    if (r != SQLITE_DONE)
        return plc_error_set(err, store_code(s), "cannot purge answers (%s)",
                             store_why(s));
    st = store_prep(s,
                    "INSERT OR REPLACE INTO idempotency (scope, key, hash,"
                    " status, content_type, body, location, created_us)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    err, "record an answer");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, a->hash, sizeof a->hash, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, a->status);
    sqlite3_bind_text(st, 5, a->content_type, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, a->body ? a->body : "", (int)a->len,
                      SQLITE_STATIC);
    if (a->location[0])
        sqlite3_bind_text(st, 7, a->location, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
    int rc = sqlite3_step(st) == SQLITE_DONE
                 ? 0
                 : plc_error_set(err, store_code(s),
                                 "cannot record the answer (%s)", store_why(s));
    store_done(st);
    return rc;
}

int store_answer_get(struct store *s, const char *scope, const char *key,
                     int64_t max_age_us, struct store_answer *a,
                     struct plc_error *err)
{
    memset(a, 0, sizeof *a);
    sqlite3_stmt *st = store_prep(s,
                                  "SELECT hash, status, content_type, body,"
                                  " location FROM idempotency WHERE scope = ?"
                                  " AND key = ? AND created_us >= ?",
                                  err, "read an answer");
    if (!st)
        return PLC_EIO;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)(plc_wall_us() - max_age_us));
    int r = sqlite3_step(st), rc = 0;
    if (r == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == (int)sizeof a->hash)
            memcpy(a->hash, sqlite3_column_blob(st, 0), sizeof a->hash);
        a->status = sqlite3_column_int(st, 1);
        const unsigned char *ct = sqlite3_column_text(st, 2);
        snprintf(a->content_type, sizeof a->content_type, "%s",
                 ct ? (const char *)ct : "application/json");
        a->len = (size_t)sqlite3_column_bytes(st, 3);
        a->body = malloc(a->len + 1);
        if (!a->body) {
            rc = plc_error_set(err, PLC_ENOMEM, "out of memory");
        } else {
            if (a->len)
                memcpy(a->body, sqlite3_column_blob(st, 3), a->len);
            a->body[a->len] = 0;
        }
        const unsigned char *loc = sqlite3_column_text(st, 4);
        snprintf(a->location, sizeof a->location, "%s",
                 loc ? (const char *)loc : "");
    } else if (r == SQLITE_DONE) {
        rc = PLC_ENOENT;
    } else {
        rc = plc_error_set(err, store_code(s), "cannot read the answer (%s)",
                           store_why(s));
    }
    store_done(st);
    return rc;
}
