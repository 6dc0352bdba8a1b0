/*
 * http.c: the HTTP/JSON API (http.h) as placer.Requests: routes, bodies
 * loaded like the CLI's files (field paths, lines, columns), replies as
 * the CLI's --json documents, errors as RFC 9457 problem details.
 */
#define _GNU_SOURCE
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "plc/buf.h"
#include "plc/clock.h"
#include "plc/log.h"
#include "plc/quantity.h"
#include "proto/json.h"
#include "proto/load.h"
#include "server/http.h"
#include "store/store.h"

#define JSON_TYPE "application/json"
#define PROBLEM_TYPE "application/problem+json"
/* a tenant or workflow name in a path (store names are shorter) */
#define NAME_MAX_LEN 256

/* What a plan document answers: a submission (201 or 409), a status (with
 * its ETag), or anything else (200). */
enum op { OP_OTHER, OP_SUBMIT, OP_PLAN, OP_STATUS, OP_RELEASE };

/* One HTTP request waiting for its placer.Response. */
struct call {
    struct srv *srv;
    const char *token; /* the bearer token (the request's, during srv_http) */
    struct store_token who; /* token_ok()'s: whose token it is */
    srv_http_reply_fn reply;
    void *ctx;
    enum op op;
    bool orphan; /* answered already: the server's reply is dropped */
    /* DELETE with If-Match: the status asked first */
    bool precheck;
    char etag[24];
    int status_code; /* the status's error code, 0 when found */
    char status_msg[512];
};

/* ---- replies -------------------------------------------------------------
 */

/* j as text with a final newline (curl's output then ends its line);
 * j's reference is dropped.  NULL for lack of memory. */
static char *dump(json_t *j)
{
    char *text = j ? json_dumps(j, PROTO_JSON_DUMP_FLAGS) : NULL;
    json_decref(j);
    size_t n = text ? strlen(text) : 0;
    char *nl = text ? realloc(text, n + 2) : NULL;
    if (!nl) {
        free(text);
        return NULL;
    }
    memcpy(nl + n, "\n", 2);
    return nl;
}

/* The one way an answer goes out: counted, then to the transport. */
static void answer(struct call *c, const struct srv_http_response *r)
{
    srv_metrics_http(c->srv, r->status);
    c->reply(c->ctx, r);
}

static void send_json(struct call *c, unsigned status, const char *type,
                      json_t *j, const char *location, const char *etag,
                      unsigned retry_after)
{
    char *text = dump(j);
    struct srv_http_response r = {
        .status = text ? status : 500,
        .content_type = text ? type : "text/plain",
        .body = text ? text : "out of memory\n",
        .len = text ? strlen(text) : 14,
        .location = location,
        .etag = etag,
        .retry_after = retry_after,
        .www_authenticate = status == 401 ? "Bearer realm=\"placer\"" : NULL,
    };
    answer(c, &r);
    free(text);
}

static const char *error_code_name(Placer__ErrorCode code, char *buf,
                                   size_t len)
{
    return proto_enum_json_name(&placer__error_code__descriptor, (int)code, buf,
                                len);
}

static unsigned http_status_of(Placer__ErrorCode code)
{
    switch (code) {
    case PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT:
        return 422;
    case PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND:
        return 404;
    case PLACER__ERROR_CODE__ERROR_CODE_BUSY:
        return 503;
    case PLACER__ERROR_CODE__ERROR_CODE_CONFLICT:
        return 409;
    case PLACER__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED:
        return 401;
    case PLACER__ERROR_CODE__ERROR_CODE_FORBIDDEN:
        return 403;
    case PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST:
    case PLACER__ERROR_CODE__ERROR_CODE_VERSION:
        return 400;
    default:
        return 500;
    }
}

static const char *title_of(unsigned status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 412:
        return "Precondition Failed";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

/* A JSON string of text that may quote a request's bytes: invalid UTF-8
 * and control characters become '?' (jansson takes only valid UTF-8). */
static json_t *jtext(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = u[i];
        size_t len = b < 0x80           ? 1
                     : (b >> 5) == 0x6  ? 2
                     : (b >> 4) == 0xe  ? 3
                     : (b >> 3) == 0x1e ? 4
                                        : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t j = 1; ok && j < len; j++)
            ok = (u[i + j] & 0xc0) == 0x80;
        if (ok && len == 1 && (b < 0x20 || b == 0x7f))
            ok = false;
        if (ok) {
            memcpy(c + k, s + i, len);
            k += len;
            i += len;
        } else {
            c[k++] = '?';
            i++;
        }
    }
    c[k] = 0;
    json_t *j = json_string(c);
    free(c);
    return j ? j : json_string("?");
}

/* A problem document: status, the placer error code, the detail, and the
 * problems (as `errors`, each with its field path) when given. */
static json_t *problem_doc(unsigned status, const char *code,
                           const char *detail)
{
    char type[96];
    snprintf(type, sizeof type, "urn:placer:problem:%s", code);
    return json_pack("{s:s, s:s, s:i, s:s, s:o}", "type", type, "title",
                     title_of(status), "status", (int)status, "code", code,
                     "detail", jtext(detail));
}

static void problem(struct call *c, unsigned status, const char *code,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct call *c, unsigned status, const char *code,
                    const char *fmt, ...)
{
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    send_json(c, status, PROBLEM_TYPE, problem_doc(status, code, detail), NULL,
              NULL, status == 503 ? 1 : 0);
}

/* 422 (or 400) with a loaded document's problems. */
static void problem_diags(struct call *c, unsigned status, const char *what,
                          const struct plc_diags *d)
{
    char detail[256];
    snprintf(detail, sizeof detail, "the %s has %zu problem%s (see errors)",
             what, d->n, d->n == 1 ? "" : "s");
    json_t *j =
        problem_doc(status, status == 400 ? "malformed" : "bad_input", detail);
    json_t *errs = json_array();
    for (size_t i = 0; i < d->n; i++) {
        json_t *e = json_pack("{s:o, s:o}", "path", jtext(d->v[i].path),
                              "detail", jtext(d->v[i].msg));
        if (e && d->v[i].line > 0) {
            json_object_set_new(e, "line", json_integer(d->v[i].line));
            json_object_set_new(e, "column", json_integer(d->v[i].col));
        }
        json_array_append_new(errs, e);
    }
    json_object_set_new(j, "errors", errs);
    send_json(c, status, PROBLEM_TYPE, j, NULL, NULL, 0);
}

/* An error reply of the server: its problems are "PATH: MESSAGE" lines. */
static void problem_error(struct call *c, const Placer__Error *e)
{
    char code[48];
    unsigned status = http_status_of(e->code);
    error_code_name(e->code, code, sizeof code);
    json_t *j = problem_doc(status, code,
                            e->message ? e->message : "placerd refused it");
    if (e->n_problems) {
        json_t *errs = json_array();
        for (size_t i = 0; i < e->n_problems; i++) {
            char *p = strdup(e->problems[i]), *sep = p ? strstr(p, ": ") : NULL;
            if (sep)
                *sep = 0;
            if (p)
                json_array_append_new(
                    errs, json_pack("{s:o, s:o}", "path", jtext(sep ? p : ""),
                                    "detail", jtext(sep ? sep + 2 : p)));
            free(p);
        }
        json_object_set_new(j, "errors", errs);
    }
    send_json(c, status, PROBLEM_TYPE, j, NULL, NULL, status == 503 ? 1 : 0);
}

/* The plan document as `placer submit --json` prints it. */
static json_t *plan_json(const Placer__Plan *p)
{
    json_t *j = proto_message_to_json(&p->base, PROTO_JSON_EMPTY_ARRAYS);
    if (j && !json_object_get(j, "rejection"))
        json_object_set_new(j, "rejection", json_null());
    return j;
}

/* A strong ETag of a plan document with its state: FNV-1a of its bytes. */
static void plan_etag(const Placer__Plan *p, char out[24])
{
    size_t len = placer__plan__get_packed_size(p);
    uint8_t *b = malloc(len + 1);
    uint64_t h = 1469598103934665603ULL;
    if (b) {
        placer__plan__pack(p, b);
        for (size_t i = 0; i < len; i++)
            h = (h ^ b[i]) * 1099511628211ULL;
        free(b);
    }
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* Percent-encode a path segment (RFC 3986 unreserved kept). */
static void seg_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (; *s && k + 4 < len; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
            out[k++] = (char)ch;
        } else {
            out[k++] = '%';
            out[k++] = hex[ch >> 4];
            out[k++] = hex[ch & 15];
        }
    }
    out[k] = 0;
}

static void on_response(void *ctx, const Placer__Response *r)
{
    struct call *c = ctx;
    if (c->orphan) {
        free(c);
        return;
    }
    if (c->precheck) {
        /* DELETE's If-Match: the state as it is now */
        if (r->result_case == PLACER__RESPONSE__RESULT_PLAN) {
            plan_etag(r->plan, c->etag);
        } else {
            c->status_code = r->result_case == PLACER__RESPONSE__RESULT_ERROR
                                 ? (int)r->error->code
                                 : PLACER__ERROR_CODE__ERROR_CODE_INTERNAL;
            snprintf(c->status_msg, sizeof c->status_msg, "%s",
                     r->result_case == PLACER__RESPONSE__RESULT_ERROR &&
                             r->error->message
                         ? r->error->message
                         : "no status");
        }
        c->precheck = false;
        return;
    }
    switch (r->result_case) {
    case PLACER__RESPONSE__RESULT_ERROR:
        problem_error(c, r->error);
        break;
    case PLACER__RESPONSE__RESULT_PLAN: {
        const Placer__Plan *p = r->plan;
        if (c->op == OP_SUBMIT && p->admitted) {
            char t[3 * NAME_MAX_LEN + 1], n[3 * NAME_MAX_LEN + 1], loc[1600];
            seg_encode(srv__tenant_of(p->tenant), t, sizeof t);
            seg_encode(p->workflow ? p->workflow : "", n, sizeof n);
            snprintf(loc, sizeof loc, "/v1/workflows/%s/%s", t, n);
            send_json(c, 201, JSON_TYPE, plan_json(p), loc, NULL, 0);
        } else if (c->op == OP_SUBMIT) {
            send_json(c, 409, JSON_TYPE, plan_json(p), NULL, NULL, 0);
        } else if (c->op == OP_STATUS) {
            char etag[24];
            plan_etag(p, etag);
            send_json(c, 200, JSON_TYPE, plan_json(p), NULL, etag, 0);
        } else {
            send_json(c, 200, JSON_TYPE, plan_json(p), NULL, NULL, 0);
        }
        break;
    }
    case PLACER__RESPONSE__RESULT_CLUSTER_APPLY:
        send_json(c, 200, JSON_TYPE,
                  proto_message_to_json(&r->cluster_apply->base,
                                        PROTO_JSON_EMPTY_ARRAYS),
                  NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_LIST:
        send_json(
            c, 200, JSON_TYPE,
            proto_message_to_json(&r->list->base, PROTO_JSON_EMPTY_ARRAYS),
            NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_HOSTS:
        send_json(
            c, 200, JSON_TYPE,
            proto_message_to_json(&r->hosts->base, PROTO_JSON_EMPTY_ARRAYS),
            NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_RELEASE:
        send_json(c, 200, JSON_TYPE,
                  proto_message_to_json(&r->release->base, 0), NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_TOKEN_CREATED: {
        char loc[64];
        snprintf(loc, sizeof loc, "/v1/tokens/%llu",
                 r->token_created->info
                     ? (unsigned long long)r->token_created->info->id
                     : 0ULL);
        send_json(c, 201, JSON_TYPE,
                  proto_message_to_json(&r->token_created->base, 0), loc, NULL,
                  0);
        break;
    }
    case PLACER__RESPONSE__RESULT_TOKENS:
        send_json(
            c, 200, JSON_TYPE,
            proto_message_to_json(&r->tokens->base, PROTO_JSON_EMPTY_ARRAYS),
            NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_TOKEN_REVOKED:
        send_json(c, 200, JSON_TYPE,
                  proto_message_to_json(&r->token_revoked->base, 0), NULL, NULL,
                  0);
        break;
    case PLACER__RESPONSE__RESULT_QUOTA:
        send_json(c, 200, JSON_TYPE, proto_message_to_json(&r->quota->base, 0),
                  NULL, NULL, 0);
        break;
    case PLACER__RESPONSE__RESULT_BIND:
        send_json(c, 200, JSON_TYPE, proto_message_to_json(&r->bind->base, 0),
                  NULL, NULL, 0);
        break;
    default:
        problem(c, 500, "internal", "placerd gave an answer of another kind");
        break;
    }
    free(c);
}

/* Ask the server: the request packed as a ZeroMQ client would send it. */
/* req with the token, packed as a ZeroMQ client sends it, to the server;
 * false for lack of memory (nothing sent). */
static bool send_request(struct srv *s, Placer__Request *req, const char *token,
                         srv_reply_fn fn, void *ctx)
{
    req->has_protocol_version = 1;
    req->protocol_version = SRV_PROTOCOL_VERSION;
    req->token = (char *)token;
    size_t len = placer__request__get_packed_size(req);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return false;
    placer__request__pack(req, buf);
    srv_request_bytes(s, buf, len, fn, ctx);
    free(buf);
    return true;
}

static void ask(struct call *c, Placer__Request *req)
{
    if (!send_request(c->srv, req, c->token, on_response, c)) {
        problem(c, 500, "internal", "out of memory");
        free(c);
    }
}

static const char *get(const struct srv_http_request *rq,
                       enum srv_http_kind kind, const char *key)
{
    return rq->get ? rq->get(rq->get_arg, kind, key) : NULL;
}

/* ---- Idempotency-Key --------------------------------------------------------
 *
 * A POST with an Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-
 * header) is answered once: the first answer is kept a day, in the store,
 * by who asked (the token's id) and the key, with a hash of the request
 * (method, path, arguments, body).  A retry with the same request gets
 * that answer again and plans nothing; the same key with another request
 * is 422.  Requests with a key that arrive while the first is still being
 * answered wait for its answer.  Answers that say to retry (401, 403,
 * 500, 503) are not kept.  Nothing is admitted twice even across a crash
 * between an admission's commit and the keeping of its answer: the retry
 * then finds the workflow's name taken (409 conflict).
 */

#define IDEM_MAX_AGE_US (24LL * 3600 * 1000000)
#define IDEM_KEY_MAX 255

struct idem_waiter {
    srv_http_reply_fn reply;
    void *ctx;
    struct idem_waiter *next;
};

struct srv_idem {
    struct srv_idem *next;
    struct srv *srv;
    char scope[40];
    char key[IDEM_KEY_MAX + 1];
    unsigned char hash[32];
    struct idem_waiter *waiters, **tail;
};

static bool idem_keep(unsigned status)
{
    return status != 401 && status != 403 && status != 500 && status != 503;
}

/* The first answer: kept, then given to every request waiting for it. */
static void idem_reply(void *ctx, const struct srv_http_response *r)
{
    struct srv_idem *e = ctx;
    struct srv *s = e->srv;
    for (struct srv_idem **p = &s->idem; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    if (idem_keep(r->status)) {
        struct store_answer a = {
            .status = (int)r->status, .body = (char *)r->body, .len = r->len};
        memcpy(a.hash, e->hash, sizeof a.hash);
        snprintf(a.content_type, sizeof a.content_type, "%s", r->content_type);
        snprintf(a.location, sizeof a.location, "%s",
                 r->location ? r->location : "");
        struct plc_error err = PLC_ERROR_INIT;
        if (store_answer_put(s->store, e->scope, e->key, &a, IDEM_MAX_AGE_US,
                             &err) < 0)
            plc_log(PLC_LOG_WARN,
                    "the answer to Idempotency-Key '%s' is not kept (%s): "
                    "a retry will be planned again",
                    e->key, err.msg);
    }
    while (e->waiters) {
        struct idem_waiter *w = e->waiters;
        e->waiters = w->next;
        w->reply(w->ctx, r);
        free(w);
    }
    free(e);
}

static void hash_part(gnutls_hash_hd_t h, const char *s, size_t n)
{
    gnutls_hash(h, s ? s : "", s ? n : 0);
    gnutls_hash(h, "\n", 1);
}

static void key_reused(struct call *c, const char *key)
{
    problem(c, 422, "idempotency_key_reused",
            "Idempotency-Key '%.64s' was given to another request; use a new "
            "key for a new request",
            key);
}

/* For a request with an Idempotency-Key: true when it was answered here
 * (a replay, a wait for the first, a key reused); false to go on, with
 * c's answer going through idem_reply(). */
static bool idempotent(struct call *c, const struct srv_http_request *rq,
                       const char *key, srv_http_reply_fn reply, void *ctx)
{
    struct srv *s = c->srv;
    size_t kl = strlen(key);
    if (!kl || kl > IDEM_KEY_MAX) {
        problem(c, 400, "bad_request",
                "Idempotency-Key: give 1 to %d characters (a UUID will do)",
                IDEM_KEY_MAX);
        free(c);
        return true;
    }
    /* who: the token's id ("plc_12"); a token that is not one is refused
     * by the server, and 401 is not kept */
    char scope[40];
    const char *u =
        c->token ? strchr(c->token + (c->token[0] ? 4 : 0), '_') : NULL;
    snprintf(scope, sizeof scope, "%.*s",
             u ? (int)(u - c->token) : (int)strlen(c->token ? c->token : ""),
             c->token ? c->token : "");
    unsigned char hash[32];
    gnutls_hash_hd_t h;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0) {
        problem(c, 500, "internal", "cannot hash the request");
        free(c);
        return true;
    }
    hash_part(h, rq->method, strlen(rq->method));
    hash_part(h, rq->path, strlen(rq->path));
    static const char *const args[] = {"objective", "time_limit", "force"};
    for (size_t i = 0; i < 3; i++) {
        const char *v = get(rq, SRV_HTTP_QUERY, args[i]);
        hash_part(h, v, v ? strlen(v) : 0);
    }
    gnutls_hash(h, rq->body ? rq->body : "", rq->len);
    gnutls_hash_deinit(h, hash);
    for (struct srv_idem *e = s->idem; e; e = e->next) {
        if (strcmp(e->scope, scope) || strcmp(e->key, key))
            continue;
        if (memcmp(e->hash, hash, sizeof hash)) {
            key_reused(c, key);
        } else {
            struct idem_waiter *w = calloc(1, sizeof *w);
            if (!w) {
                problem(c, 500, "internal", "out of memory");
            } else { /* answered with the first */
                w->reply = reply;
                w->ctx = ctx;
                *e->tail = w;
                e->tail = &w->next;
            }
        }
        free(c);
        return true;
    }
    struct store_answer a;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_answer_get(s->store, scope, key, IDEM_MAX_AGE_US, &a, &err);
    if (rc == 0) {
        if (memcmp(a.hash, hash, sizeof hash)) {
            key_reused(c, key);
        } else {
            struct srv_http_response r = {
                .status = (unsigned)a.status,
                .content_type = a.content_type,
                .body = a.body,
                .len = a.len,
                .location = a.location[0] ? a.location : NULL,
            };
            answer(c, &r);
        }
        free(a.body);
        free(c);
        return true;
    }
    if (rc != PLC_ENOENT) {
        problem(c, 500, "internal", "%s", err.msg);
        free(c);
        return true;
    }
    struct srv_idem *e = calloc(1, sizeof *e);
    struct idem_waiter *w = calloc(1, sizeof *w);
    if (!e || !w) {
        free(e);
        free(w);
        problem(c, 500, "internal", "out of memory");
        free(c);
        return true;
    }
    e->srv = s;
    snprintf(e->scope, sizeof e->scope, "%s", scope);
    snprintf(e->key, sizeof e->key, "%s", key);
    memcpy(e->hash, hash, sizeof hash);
    w->reply = reply;
    w->ctx = ctx;
    e->waiters = w;
    e->tail = &w->next;
    e->next = s->idem;
    s->idem = e;
    c->reply = idem_reply;
    c->ctx = e;
    return false;
}

/* ---- GET /v1/events: the watch ----------------------------------------------
 *
 * Every change is in the store's event log with an index that only grows
 * (its row id, never reused, kept across restarts).  A watch asks for the
 * events after `since`; with `wait` it is answered when one comes or the
 * wait is over (srv__watch_poll: after each commit, release, cluster
 * change and agents' tick).  A tenant's token sees its workflows' events
 * and the cluster's and hosts'; an `since` older than what is kept (the
 * newest SRV_EVENTS_KEPT) is 410.
 */

#define WATCH_MAX_WAIT_S 300
#define WATCH_MAX_EVENTS 10000

struct srv_watch {
    struct srv_watch *next;
    struct call *c;
    int64_t since;
    size_t limit;
    char tenant[64]; /* "" for an admin */
    double deadline_ms;
};

struct events_ctx {
    json_t *list;
    int64_t last;
};

static int event_one(void *arg, const struct store_event *e)
{
    struct events_ctx *x = arg;
    json_t *j = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o}", "index",
                          (json_int_t)e->id, "at_us", (json_int_t)e->at_us,
                          "kind", e->kind, "subject", jtext(e->subject),
                          "detail", jtext(e->detail), "actor", jtext(e->actor));
    json_array_append_new(x->list, j);
    x->last = e->id;
    return 0;
}

/* The events after since: 0 with *out (the answer) when there are some
 * or `always`; 1 when none (wait); -1 after answering an error. */
static int events_answer(struct call *c, int64_t since, const char *tenant,
                         size_t limit, bool always)
{
    struct events_ctx x = {json_array(), since};
    int64_t first = 0, last = 0;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_events_since(c->srv->store, since, tenant[0] ? tenant : NULL,
                                limit, event_one, &x, &first, &last, &err);
    if (rc < 0) {
        json_decref(x.list);
        problem(c, 500, "internal", "%s", err.msg);
        return -1;
    }
    if (first > 0 && since < first - 1) {
        json_decref(x.list);
        problem(c, 410, "gone",
                "events up to index %lld are no longer kept (the newest "
                "%d are); read the state again (GET /v1/workflows, "
                "/v1/hosts) and watch from index %lld",
                (long long)first - 1, SRV_EVENTS_KEPT, (long long)last);
        return -1;
    }
    if (!json_array_size(x.list) && !always) {
        json_decref(x.list);
        return 1;
    }
    /* with nothing for this token, the next watch starts at the newest
     * index there is: what lies between is not its to see */
    int64_t index =
        json_array_size(x.list) ? x.last : (last > since ? last : since);
    send_json(
        c, 200, JSON_TYPE,
        json_pack("{s:I, s:o}", "index", (json_int_t)index, "events", x.list),
        NULL, NULL, 0);
    return 0;
}

void srv__watch_poll(struct srv *s, bool all)
{
    double now = plc_now_ms();
    struct srv_watch **p = &s->watch;
    while (*p) {
        struct srv_watch *w = *p;
        bool over = all || now >= w->deadline_ms;
        int rc = events_answer(w->c, w->since, w->tenant, w->limit, over);
        if (rc == 1) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        free(w->c);
        free(w);
    }
}

static bool token_ok(struct call *c);

static void do_events(struct call *c, const struct srv_http_request *rq)
{
    if (!token_ok(c))
        return;
    const struct store_token *t = &c->who;
    struct plc_error err = PLC_ERROR_INIT;
    int rc;
    const char *sv = get(rq, SRV_HTTP_QUERY, "since"),
               *wv = get(rq, SRV_HTTP_QUERY, "wait"),
               *lv = get(rq, SRV_HTTP_QUERY, "limit");
    char *end = NULL;
    long long since = sv ? strtoll(sv, &end, 10) : 0;
    if (sv && (*end || !sv[0] || since < 0)) {
        problem(c, 400, "bad_request",
                "?since=%.32s: give the index of the last event seen (0: "
                "from the start)",
                sv);
        free(c);
        return;
    }
    uint64_t wait_ns = 0;
    if (wv && (plc_qty_parse(PLC_QTY_TIME, wv, &wait_ns, &err) < 0 ||
               wait_ns > (uint64_t)WATCH_MAX_WAIT_S * 1000000000ULL)) {
        problem(c, 400, "bad_request",
                "?wait=%.32s: give a duration of at most %ds, such as 30s", wv,
                WATCH_MAX_WAIT_S);
        free(c);
        return;
    }
    unsigned long long limit = lv ? strtoull(lv, &end, 10) : 1000;
    if (lv && (*end || !lv[0] || !limit || limit > WATCH_MAX_EVENTS)) {
        problem(c, 400, "bad_request", "?limit=%.32s: 1 to %d", lv,
                WATCH_MAX_EVENTS);
        free(c);
        return;
    }
    const char *tenant = t->admin ? "" : t->tenant;
    /* placerd stopping: no new watch waits (its connection would outlive
     * libmicrohttpd) */
    rc = events_answer(c, since, tenant, (size_t)limit,
                       wait_ns == 0 || srv_stopping(c->srv));
    if (rc != 1) {
        free(c);
        return;
    }
    struct srv_watch *w = calloc(1, sizeof *w);
    if (!w) {
        problem(c, 500, "internal", "out of memory");
        free(c);
        return;
    }
    w->c = c;
    w->since = since;
    w->limit = (size_t)limit;
    snprintf(w->tenant, sizeof w->tenant, "%s", tenant);
    w->deadline_ms = plc_now_ms() + (double)wait_ns / 1e6;
    w->next = c->srv->watch;
    c->srv->watch = w;
}

/* ---- the Kubernetes scheduler extender --------------------------------------
 *
 * kube-scheduler's extender protocol (k8s.io/kube-scheduler/extender/v1,
 * field names as the Go structs spell them): a pod annotated
 * placer.io/workflow ("tenant/name", or "name") and placer.io/service is
 * kept to the host its service's plan chose; a pod without them is not
 * placer's and every node passes.  kube-scheduler sends no Authorization
 * header, so the token may also be the URL's: urlPrefix
 * https://placerd:7480/k8s/TOKEN.
 */

#define K8S_MAX_PRIORITY 10 /* extender v1's MaxExtenderPriority */

/* The host the plan of a pod's workflow gives its service, asked of the
 * server (a status, answered at once). */
struct k8s_status {
    bool answered;
    int code; /* 0, or the error's */
    char msg[512];
    char host[128];
    const char *service;
};

static void on_k8s_status(void *ctx, const Placer__Response *r)
{
    struct k8s_status *x = ctx;
    x->answered = true;
    if (r->result_case != PLACER__RESPONSE__RESULT_PLAN) {
        x->code = r->result_case == PLACER__RESPONSE__RESULT_ERROR
                      ? (int)r->error->code
                      : PLACER__ERROR_CODE__ERROR_CODE_INTERNAL;
        snprintf(x->msg, sizeof x->msg, "%s",
                 r->result_case == PLACER__RESPONSE__RESULT_ERROR &&
                         r->error->message
                     ? r->error->message
                     : "no plan");
        return;
    }
    for (size_t i = 0; i < r->plan->n_services; i++)
        if (r->plan->services[i]->name && r->plan->services[i]->host &&
            !strcmp(r->plan->services[i]->name, x->service))
            snprintf(x->host, sizeof x->host, "%s", r->plan->services[i]->host);
    if (!x->host[0]) {
        x->code = PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND;
        snprintf(x->msg, sizeof x->msg,
                 "workflow '%s' has no service named '%s'",
                 r->plan->workflow ? r->plan->workflow : "?", x->service);
    }
}

/* The pod's planned host: 1 with x->host, 0 when the pod is not
 * placer's (no annotations), -1 with x->msg when it cannot be known. */
static int k8s_planned(struct call *c, json_t *pod, struct k8s_status *x)
{
    json_t *ann =
        json_object_get(json_object_get(pod, "metadata"), "annotations");
    const char *wf = json_string_value(
                   json_object_get(ann, "placer.io/workflow")),
               *svc =
                   json_string_value(json_object_get(ann, "placer.io/service"));
    if (!wf && !svc)
        return 0;
    if (!wf || !svc || !wf[0] || !svc[0]) {
        snprintf(x->msg, sizeof x->msg,
                 "the pod needs both annotations placer.io/workflow "
                 "(tenant/name) and placer.io/service");
        return -1;
    }
    char tenant[128] = "", name[256];
    const char *slash = strchr(wf, '/');
    if (slash)
        snprintf(tenant, sizeof tenant, "%.*s", (int)(slash - wf), wf);
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : wf);
    x->service = svc;
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__StatusRequest s = PLACER__STATUS_REQUEST__INIT;
    s.name = name;
    s.tenant = tenant[0] ? tenant : NULL;
    req.op_case = PLACER__REQUEST__OP_STATUS;
    req.status = &s;
    if (!send_request(c->srv, &req, c->token, on_k8s_status, x)) {
        snprintf(x->msg, sizeof x->msg, "out of memory");
        return -1;
    }
    if (!x->answered) /* a status is answered on the loop, at once */
        snprintf(x->msg, sizeof x->msg, "placerd did not answer at once");
    return x->answered && !x->code ? 1 : -1;
}

/* A node's name in a v1.Node. */
static const char *node_name(json_t *n)
{
    return json_string_value(
        json_object_get(json_object_get(n, "metadata"), "name"));
}

static void do_k8s(struct call *c, const struct srv_http_request *rq,
                   const char *verb)
{
    json_error_t je;
    json_t *in = rq->len ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
    if (!json_is_object(in)) {
        problem(c, 400, "malformed", "the body is not a JSON object%s%s",
                in ? "" : ": ", in ? "" : (rq->len ? je.text : "it is empty"));
        json_decref(in);
        free(c);
        return;
    }
    if (!strcmp(verb, "bind")) {
        /* ExtenderBindingArgs -> ExtenderBindingResult */
        const char *pod = json_string_value(json_object_get(in, "PodName")),
                   *ns = json_string_value(json_object_get(in, "PodNamespace")),
                   *uid = json_string_value(json_object_get(in, "PodUID")),
                   *node = json_string_value(json_object_get(in, "Node"));
        json_t *out = json_object();
        if (!pod || !node) {
            json_object_set_new(out, "Error",
                                json_string("PodName and Node are required"));
        } else {
            char detail[256];
            snprintf(detail, sizeof detail, "pod %s/%s (uid %s) on %s",
                     ns ? ns : "default", pod, uid ? uid : "?", node);
            /* do_k8s() runs after token_ok(): c->who is whose token */
            struct plc_error err = PLC_ERROR_INIT;
            char actor[96];
            snprintf(actor, sizeof actor, "%s token %lld (k8s bind)",
                     c->who.admin ? "admin" : c->who.tenant,
                     (long long)c->who.id);
            store_set_actor(c->srv->store, actor);
            int rc = store_event_append(c->srv->store, "pod",
                                        ns ? ns : "default", detail, &err);
            srv__watch_poll(c->srv, false);
            json_object_set_new(out, "Error", jtext(rc == 0 ? "" : err.msg));
        }
        json_decref(in);
        send_json(c, 200, JSON_TYPE, out, NULL, NULL, 0);
        free(c);
        return;
    }
    json_t *pod = json_object_get(in, "Pod");
    json_t *nodes = json_object_get(in, "Nodes");
    json_t *items = json_object_get(nodes, "items");
    json_t *names = json_object_get(in, "NodeNames");
    struct k8s_status x = {0};
    int mine = k8s_planned(c, pod, &x);
    json_t *out;
    if (!strcmp(verb, "prioritize")) {
        /* HostPriorityList: the planned host scores the most */
        out = json_array();
        size_t n = json_is_array(items) ? json_array_size(items)
                                        : json_array_size(names);
        for (size_t i = 0; i < n; i++) {
            const char *h = json_is_array(items)
                                ? node_name(json_array_get(items, i))
                                : json_string_value(json_array_get(names, i));
            if (!h)
                continue;
            json_array_append_new(out,
                                  json_pack("{s:s, s:i}", "Host", h, "Score",
                                            mine == 1 && !strcmp(h, x.host)
                                                ? K8S_MAX_PRIORITY
                                                : 0));
        }
    } else {
        /* ExtenderFilterResult: the planned host passes, the others
         * fail with the reason; a pod that is not placer's passes */
        json_t *keep_items = json_array(), *keep_names = json_array(),
               *failed = json_object();
        char why[600];
        if (mine == 1)
            snprintf(why, sizeof why,
                     "placer: service %s of its workflow is planned on %s",
                     x.service, x.host);
        size_t n = json_is_array(items) ? json_array_size(items)
                                        : json_array_size(names);
        for (size_t i = 0; i < n; i++) {
            json_t *item =
                json_is_array(items) ? json_array_get(items, i) : NULL;
            const char *h = item ? node_name(item)
                                 : json_string_value(json_array_get(names, i));
            if (!h)
                continue;
            bool pass = mine == 0 || (mine == 1 && !strcmp(h, x.host));
            if (pass && item)
                json_array_append(keep_items, item);
            else if (pass)
                json_array_append_new(keep_names, json_string(h));
            else
                json_object_set_new(failed, h, jtext(mine == 1 ? why : x.msg));
        }
        out = json_object();
        if (json_is_array(items)) {
            json_t *list = json_deep_copy(nodes);
            json_object_set_new(list, "items", keep_items);
            json_object_set_new(out, "Nodes", list);
            json_object_set_new(out, "NodeNames", json_null());
            json_decref(keep_names);
        } else {
            json_object_set_new(out, "Nodes", json_null());
            json_object_set_new(out, "NodeNames", keep_names);
            json_decref(keep_items);
        }
        json_object_set_new(out, "FailedNodes", failed);
        json_object_set_new(out, "FailedAndUnresolvableNodes", json_object());
        json_object_set_new(out, "Error", json_string(""));
    }
    json_decref(in);
    send_json(c, 200, JSON_TYPE, out, NULL, NULL, 0);
    free(c);
}

/* ---- requests -------------------------------------------------------------
 */

/* A query argument that is true or false (absent: false); -1 after
 * answering 400. */
static int flag_arg(struct call *c, const struct srv_http_request *rq,
                    const char *key)
{
    const char *v = get(rq, SRV_HTTP_QUERY, key);
    if (!v || !strcmp(v, "false") || !strcmp(v, "0"))
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "1") || !v[0])
        return 1;
    problem(c, 400, "bad_request", "?%s=%.64s: give true or false", key, v);
    return -1;
}

/* ?objective= and ?time_limit= of a submission or dry run; false after
 * answering 400. */
static bool ask_args(struct call *c, const struct srv_http_request *rq,
                     int *objective, uint64_t *limit_ms, bool *has_limit)
{
    const char *o = get(rq, SRV_HTTP_QUERY, "objective");
    *objective = 0;
    if (o) {
        const ProtobufCEnumDescriptor *d = &placer__objective__descriptor;
        char name[48], names[160];
        for (unsigned i = 0; i < d->n_values && !*objective; i++)
            if (d->values[i].value &&
                !strcmp(proto_enum_json_name(d, d->values[i].value, name,
                                             sizeof name),
                        o))
                *objective = d->values[i].value;
        if (!*objective) {
            proto_enum_json_names(d, names, sizeof names);
            problem(c, 400, "bad_request",
                    "?objective=%.64s is not an objective (accepted: %s)", o,
                    names);
            return false;
        }
    }
    const char *t = get(rq, SRV_HTTP_QUERY, "time_limit");
    *has_limit = false;
    if (t) {
        uint64_t ns;
        struct plc_error err = PLC_ERROR_INIT;
        if (plc_qty_parse(PLC_QTY_TIME, t, &ns, &err) < 0 || ns < 1000000) {
            problem(c, 400, "bad_request",
                    "?time_limit=%.64s: give a duration of at least 1ms, "
                    "such as 500ms or 2s%s%s",
                    t, err.msg[0] ? "; " : "", err.msg);
            return false;
        }
        *limit_ms = ns / 1000000;
        *has_limit = true;
    }
    return true;
}

/* A JSON body as a document of `kind`; NULL after answering (400 when it
 * is not JSON at all, 422 with every problem otherwise). */
static ProtobufCMessage *load_body(struct call *c,
                                   const struct srv_http_request *rq,
                                   enum proto_doc_kind kind,
                                   struct proto_doc *doc)
{
    struct plc_error err = PLC_ERROR_INIT;
    const char *what = proto_doc_kind_name(kind);
    if (!rq->len) {
        problem(c, 400, "bad_request",
                "the request body is empty; send the "
                "%s as JSON",
                what);
        return NULL;
    }
    int rc = proto_doc_load_text(doc, "body", rq->body, rq->len, kind, &err);
    if (rc == 0)
        return doc->msg;
    if (rc == PLC_EDATA)
        problem_diags(c, doc->msg ? 422 : 400, what, &doc->diags);
    else
        problem(c, 500, "internal", "%s", err.msg);
    return NULL;
}

static void do_ask(struct call *c, const struct srv_http_request *rq)
{
    int objective;
    uint64_t limit_ms = 0;
    bool has_limit;
    if (!ask_args(c, rq, &objective, &limit_ms, &has_limit)) {
        free(c);
        return;
    }
    struct proto_doc doc = PROTO_DOC_INIT;
    Placer__Workflow *w =
        (Placer__Workflow *)load_body(c, rq, PROTO_DOC_WORKFLOW, &doc);
    if (!w) {
        proto_doc_release(&doc);
        free(c);
        return;
    }
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__SubmitRequest s = PLACER__SUBMIT_REQUEST__INIT;
    Placer__PlanRequest p = PLACER__PLAN_REQUEST__INIT;
    if (c->op == OP_SUBMIT) {
        s.workflow = w;
        s.has_objective = objective != 0;
        s.objective = (Placer__Objective)objective;
        s.has_time_limit_ms = has_limit;
        s.time_limit_ms = limit_ms;
        req.op_case = PLACER__REQUEST__OP_SUBMIT;
        req.submit = &s;
    } else {
        p.workflow = w;
        p.has_objective = objective != 0;
        p.objective = (Placer__Objective)objective;
        p.has_time_limit_ms = has_limit;
        p.time_limit_ms = limit_ms;
        req.op_case = PLACER__REQUEST__OP_PLAN;
        req.plan = &p;
    }
    ask(c, &req);
    proto_doc_release(&doc);
}

static void do_apply(struct call *c, const struct srv_http_request *rq)
{
    int force = flag_arg(c, rq, "force");
    if (force < 0) {
        free(c);
        return;
    }
    struct proto_doc doc = PROTO_DOC_INIT;
    Placer__Cluster *cl =
        (Placer__Cluster *)load_body(c, rq, PROTO_DOC_CLUSTER, &doc);
    if (!cl) {
        proto_doc_release(&doc);
        free(c);
        return;
    }
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__ClusterApplyRequest a = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    a.cluster = cl;
    a.has_force = 1;
    a.force = force;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &a;
    ask(c, &req);
    proto_doc_release(&doc);
}

static void do_bind(struct call *c, const struct srv_http_request *rq,
                    const char *tenant, const char *name)
{
    json_error_t je;
    json_t *j = rq->len ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
    if (!j || !json_is_object(j)) {
        problem(c, 400, "bad_request",
                "the body is not a JSON object%s%s: send {\"service\": S, "
                "\"pid\": P} or {\"from\": A, \"to\": B, \"flow\": {...}}",
                j ? "" : ": ", j ? "" : (rq->len ? je.text : "it is empty"));
        json_decref(j);
        free(c);
        return;
    }
    struct plc_diags d = PLC_DIAGS_INIT;
    Placer__BindRequest *b = (Placer__BindRequest *)proto_json_to_message(
        &placer__bind_request__descriptor, j, "", &d);
    json_decref(j);
    if (!b || d.n) {
        problem_diags(c, 422, "binding", &d);
        plc_diags_release(&d);
        if (b)
            placer__bind_request__free_unpacked(b, NULL);
        free(c);
        return;
    }
    plc_diags_release(&d);
    /* the path names the workflow */
    char *old_w = b->workflow, *old_t = b->tenant;
    b->workflow = (char *)name;
    b->tenant = (char *)tenant;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_BIND;
    req.bind = b;
    ask(c, &req);
    b->workflow = old_w;
    b->tenant = old_t;
    placer__bind_request__free_unpacked(b, NULL);
}

static void do_named(struct call *c, const struct srv_http_request *rq,
                     const char *tenant, const char *name)
{
    Placer__Request req = PLACER__REQUEST__INIT;
    if (c->op == OP_STATUS) {
        Placer__StatusRequest s = PLACER__STATUS_REQUEST__INIT;
        s.name = (char *)name;
        s.tenant = (char *)tenant;
        req.op_case = PLACER__REQUEST__OP_STATUS;
        req.status = &s;
        ask(c, &req);
        return;
    }
    const char *if_match = get(rq, SRV_HTTP_HEADER, "If-Match");
    if (if_match) {
        /* the state now, then the release, in one turn of the loop:
         * nothing else runs between them */
        Placer__StatusRequest s = PLACER__STATUS_REQUEST__INIT;
        s.name = (char *)name;
        s.tenant = (char *)tenant;
        req.op_case = PLACER__REQUEST__OP_STATUS;
        req.status = &s;
        c->precheck = true;
        ask(c, &req);
        if (c->precheck) { /* status is answered on the loop, at once */
            problem(c, 500, "internal", "the status was not answered at once");
            c->orphan = true; /* its answer, when it comes, frees c */
            return;
        }
        if (c->status_code) {
            problem(c, http_status_of((Placer__ErrorCode)c->status_code),
                    c->status_code == PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND
                        ? "not_found"
                        : "internal",
                    "%s", c->status_msg);
            free(c);
            return;
        }
        if (strcmp(if_match, "*") && !strstr(if_match, c->etag)) {
            problem(c, 412, "precondition_failed",
                    "If-Match %.64s: the workflow is now %s; read it again "
                    "(GET) and retry with its ETag",
                    if_match, c->etag);
            free(c);
            return;
        }
    }
    Placer__ReleaseRequest r = PLACER__RELEASE_REQUEST__INIT;
    r.name = (char *)name;
    r.tenant = (char *)tenant;
    req.op_case = PLACER__REQUEST__OP_RELEASE;
    req.release = &r;
    ask(c, &req);
}

/* Splits "/a/b/c" into at most `max` segments; their count, or max + 1
 * when there are more.  Empty segments count (a trailing slash is one). */
static size_t segments(const char *path, char seg[][NAME_MAX_LEN + 1],
                       size_t max, bool *too_long)
{
    size_t n = 0;
    *too_long = false;
    if (*path != '/')
        return 0;
    while (*path == '/') {
        const char *s = path + 1, *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (n == max)
            return max + 1;
        if (len > NAME_MAX_LEN)
            *too_long = true;
        snprintf(seg[n++], NAME_MAX_LEN + 1, "%.*s", (int)len, s);
        path = s + len;
    }
    return n;
}

static bool is(const char *a, const char *b)
{
    return !strcmp(a, b);
}

static void not_allowed(struct call *c, const char *method, const char *allow)
{
    char detail[160];
    snprintf(detail, sizeof detail, "%.16s is not served here (allowed: %s)",
             method, allow);
    char *text = dump(problem_doc(405, "method_not_allowed", detail));
    struct srv_http_response r = {
        .status = text ? 405 : 500,
        .content_type = PROBLEM_TYPE,
        .body = text ? text : "",
        .len = text ? strlen(text) : 0,
        .allow = allow,
    };
    answer(c, &r);
    free(text);
    free(c);
}

/* For what this layer answers itself: the token is valid (any tenant's
 * or an admin's; c->who says whose); false after answering 401 and
 * freeing c. */
static bool token_ok(struct call *c)
{
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_token_check(c->srv->store, c->token, &c->who, &err);
    if (rc == 0)
        return true;
    if (rc == PLC_EPERM)
        problem(c, 401, "unauthenticated", "%s", err.msg);
    else
        problem(c, 500, "internal", "%s", err.msg);
    free(c);
    return false;
}

/* A request whose body is one small JSON message (a token to make, a
 * quota): decoded with its field paths, then asked.  `tenant`: the
 * quota's, from the path. */
static void do_json_op(struct call *c, const struct srv_http_request *rq,
                       const ProtobufCMessageDescriptor *desc, const char *what,
                       Placer__Request__OpCase op, const char *tenant)
{
    json_error_t je;
    json_t *j = rq->len ? json_loadb(rq->body, rq->len, 0, &je) : NULL;
    if (!j || !json_is_object(j)) {
        problem(c, 400, "malformed", "the %s is not a JSON object%s%s", what,
                j ? "" : ": ",
                j ? "" : (rq->len ? je.text : "the body is empty"));
        json_decref(j);
        free(c);
        return;
    }
    struct plc_diags d = PLC_DIAGS_INIT;
    ProtobufCMessage *msg = proto_json_to_message(desc, j, "", &d);
    json_decref(j);
    if (!msg || d.n) {
        problem_diags(c, 422, what, &d);
        plc_diags_release(&d);
        if (msg)
            protobuf_c_message_free_unpacked(msg, NULL);
        free(c);
        return;
    }
    plc_diags_release(&d);
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__QuotaSetRequest qs = PLACER__QUOTA_SET_REQUEST__INIT;
    char *old = NULL;
    req.op_case = op;
    if (op == PLACER__REQUEST__OP_QUOTA_SET) {
        Placer__Quota *q = (Placer__Quota *)msg;
        if (q->tenant && strcmp(q->tenant, tenant)) {
            problem(c, 422, "bad_input",
                    "tenant: the body names '%.64s', the path '%.64s'",
                    q->tenant, tenant);
            protobuf_c_message_free_unpacked(msg, NULL);
            free(c);
            return;
        }
        old = q->tenant;
        q->tenant = (char *)tenant;
        qs.quota = q;
        req.quota_set = &qs;
    } else {
        req.token_create = (Placer__TokenCreateRequest *)msg;
    }
    ask(c, &req);
    if (op == PLACER__REQUEST__OP_QUOTA_SET)
        ((Placer__Quota *)msg)->tenant = old;
    protobuf_c_message_free_unpacked(msg, NULL);
}

void srv_http(struct srv *s, const struct srv_http_request *rq,
              srv_http_reply_fn reply, void *ctx)
{
    struct call *c = calloc(1, sizeof *c);
    if (!c) {
        struct srv_http_response r = {503, "text/plain", "out of memory\n",
                                      14,  NULL,         NULL,
                                      1,   NULL,         NULL};
        reply(ctx, &r);
        return;
    }
    c->srv = s;
    c->reply = reply;
    c->ctx = ctx;
    const char *m = rq->method ? rq->method : "";
    char seg[6][NAME_MAX_LEN + 1];
    bool too_long;
    size_t n = segments(rq->path ? rq->path : "", seg, 5, &too_long);
    if (too_long) {
        problem(c, 404, "not_found",
                "no such resource (a name in the path is "
                "longer than 256 bytes)");
        free(c);
        return;
    }
    bool get_ = is(m, "GET") || is(m, "HEAD");
    if (n == 2 && is(seg[0], "v1") && is(seg[1], "openapi.json")) {
        if (!get_) {
            not_allowed(c, m, "GET, HEAD");
            return;
        }
        struct srv_http_response r = {.status = 200,
                                      .content_type = JSON_TYPE,
                                      .body = srv_openapi_json,
                                      .len = srv_openapi_json_len};
        answer(c, &r);
        free(c);
        return;
    }
    if (n == 1 && (is(seg[0], "healthz") || is(seg[0], "readyz"))) {
        if (!get_) {
            not_allowed(c, m, "GET, HEAD");
            return;
        }
        if (is(seg[0], "readyz") && !srv_has_cluster(s))
            problem(c, 503, "not_ready",
                    "no cluster applied yet: PUT /v1/cluster first");
        else if (is(seg[0], "readyz") && srv_stopping(s))
            problem(c, 503, "not_ready", "placerd is shutting down");
        else
            send_json(c, 200, JSON_TYPE, json_pack("{s:s}", "status", "ok"),
                      NULL, NULL, 0);
        free(c);
        return;
    }
    /* the scheduler extender: its token in the header or in the path */
    const char *k8s_token = NULL;
    if ((n == 2 || n == 3) && is(seg[0], "k8s")) {
        const char *verb = seg[n - 1];
        if (!is(verb, "filter") && !is(verb, "prioritize") &&
            !is(verb, "bind")) {
            problem(c, 404, "not_found",
                    "the extender's verbs are filter, prioritize and bind");
            free(c);
            return;
        }
        if (!is(m, "POST")) {
            not_allowed(c, m, "POST");
            return;
        }
        if (n == 3)
            k8s_token = seg[1];
    }
    /* everything else needs a token: checked by the server with the
     * request, or here for what this layer answers itself */
    const char *auth = get(rq, SRV_HTTP_HEADER, "Authorization");
    if (k8s_token) {
        c->token = k8s_token;
        if (!token_ok(c))
            return;
        do_k8s(c, rq, seg[2]);
        return;
    }
    if (!auth || strncasecmp(auth, "Bearer ", 7) || !auth[7]) {
        problem(c, 401, "unauthenticated",
                "%s: send 'Authorization: Bearer TOKEN' (an admin makes "
                "tokens with placer token create, or placerd --db FILE "
                "token create --admin on placerd's host)",
                auth ? "the Authorization header is not a bearer token"
                     : "no token");
        free(c);
        return;
    }
    c->token = auth + 7;
    while (*c->token == ' ')
        c->token++;
    const char *ikey = get(rq, SRV_HTTP_HEADER, "Idempotency-Key");
    if (ikey && is(m, "POST") && idempotent(c, rq, ikey, reply, ctx))
        return;
    if (n == 1 && is(seg[0], "metrics")) {
        if (!get_) {
            not_allowed(c, m, "GET, HEAD");
            return;
        }
        if (!token_ok(c))
            return;
        struct plc_buf b = PLC_BUF_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        if (srv_metrics(s, &b, &err) < 0) {
            problem(c, 500, "internal", "%s", err.msg);
        } else {
            struct srv_http_response r = {
                .status = 200,
                .content_type = "text/plain; version=0.0.4; charset=utf-8",
                .body = plc_buf_str(&b),
                .len = b.len,
            };
            answer(c, &r); /* counted in the next scrape */
        }
        plc_buf_release(&b);
        free(c);
        return;
    }
    if (n == 2 && is(seg[0], "k8s")) {
        if (!token_ok(c))
            return;
        do_k8s(c, rq, seg[1]);
        return;
    }
    if (n < 2 || !is(seg[0], "v1")) {
        problem(c, 404, "not_found",
                "no such resource: %.300s (the API is under /v1/; see "
                "placerd --help)",
                rq->path ? rq->path : "");
        free(c);
        return;
    }
    const char *res = seg[1];
    if (n == 2 && is(res, "cluster")) {
        if (is(m, "PUT")) {
            do_apply(c, rq);
        } else if (get_) {
            if (!token_ok(c))
                return;
            const Placer__Cluster *cl = srv_cluster(s);
            if (!cl)
                problem(c, 404, "not_found",
                        "no cluster applied yet: PUT /v1/cluster first");
            else
                send_json(c, 200, JSON_TYPE,
                          proto_message_to_json(&cl->base, 0), NULL, NULL, 0);
            free(c);
        } else {
            not_allowed(c, m, "GET, HEAD, PUT");
        }
        return;
    }
    if (n == 2 && is(res, "plans")) {
        if (!is(m, "POST")) {
            not_allowed(c, m, "POST");
            return;
        }
        c->op = OP_PLAN;
        do_ask(c, rq);
        return;
    }
    if (n == 2 && is(res, "events")) {
        if (!get_) {
            not_allowed(c, m, "GET, HEAD");
            return;
        }
        do_events(c, rq);
        return;
    }
    if (n == 2 && is(res, "hosts")) {
        if (!get_) {
            not_allowed(c, m, "GET, HEAD");
            return;
        }
        Placer__Request req = PLACER__REQUEST__INIT;
        Placer__HostsRequest h = PLACER__HOSTS_REQUEST__INIT;
        req.op_case = PLACER__REQUEST__OP_HOSTS;
        req.hosts = &h;
        ask(c, &req);
        return;
    }
    if (is(res, "workflows") && n == 2) {
        if (is(m, "POST")) {
            c->op = OP_SUBMIT;
            do_ask(c, rq);
        } else if (get_) {
            Placer__Request req = PLACER__REQUEST__INIT;
            Placer__ListRequest l = PLACER__LIST_REQUEST__INIT;
            l.tenant = (char *)get(rq, SRV_HTTP_QUERY, "tenant");
            req.op_case = PLACER__REQUEST__OP_LIST;
            req.list = &l;
            ask(c, &req);
        } else {
            not_allowed(c, m, "GET, HEAD, POST");
        }
        return;
    }
    if (is(res, "workflows") && (n == 4 || n == 5) && seg[2][0] && seg[3][0]) {
        if (n == 5 && is(seg[4], "bindings")) {
            if (!is(m, "POST")) {
                not_allowed(c, m, "POST");
                return;
            }
            do_bind(c, rq, seg[2], seg[3]);
            return;
        }
        if (n == 4 && get_) {
            c->op = OP_STATUS;
            do_named(c, rq, seg[2], seg[3]);
        } else if (n == 4 && is(m, "DELETE")) {
            c->op = OP_RELEASE;
            do_named(c, rq, seg[2], seg[3]);
        } else if (n == 4) {
            not_allowed(c, m, "GET, HEAD, DELETE");
        } else {
            problem(c, 404, "not_found", "no such resource: %.300s", rq->path);
            free(c);
        }
        return;
    }
    if (is(res, "tokens") && n == 2) {
        if (is(m, "POST")) {
            do_json_op(c, rq, &placer__token_create_request__descriptor,
                       "token", PLACER__REQUEST__OP_TOKEN_CREATE, NULL);
        } else if (get_) {
            Placer__Request req = PLACER__REQUEST__INIT;
            Placer__TokenListRequest l = PLACER__TOKEN_LIST_REQUEST__INIT;
            req.op_case = PLACER__REQUEST__OP_TOKEN_LIST;
            req.token_list = &l;
            ask(c, &req);
        } else {
            not_allowed(c, m, "GET, HEAD, POST");
        }
        return;
    }
    if (is(res, "tokens") && n == 3 && seg[2][0]) {
        if (!is(m, "DELETE")) {
            not_allowed(c, m, "DELETE");
            return;
        }
        char *end;
        unsigned long long id = strtoull(seg[2], &end, 10);
        if (*end || !id) {
            problem(c, 404, "not_found", "no such token: %.64s", seg[2]);
            free(c);
            return;
        }
        Placer__Request req = PLACER__REQUEST__INIT;
        Placer__TokenRevokeRequest r = PLACER__TOKEN_REVOKE_REQUEST__INIT;
        r.has_id = 1;
        r.id = id;
        req.op_case = PLACER__REQUEST__OP_TOKEN_REVOKE;
        req.token_revoke = &r;
        ask(c, &req);
        return;
    }
    if (is(res, "quotas") && n == 3 && seg[2][0]) {
        if (is(m, "PUT")) {
            do_json_op(c, rq, &placer__quota__descriptor, "quota",
                       PLACER__REQUEST__OP_QUOTA_SET, seg[2]);
        } else if (get_) {
            Placer__Request req = PLACER__REQUEST__INIT;
            Placer__QuotaGetRequest g = PLACER__QUOTA_GET_REQUEST__INIT;
            g.tenant = seg[2];
            req.op_case = PLACER__REQUEST__OP_QUOTA_GET;
            req.quota_get = &g;
            ask(c, &req);
        } else {
            not_allowed(c, m, "GET, HEAD, PUT");
        }
        return;
    }
    problem(c, 404, "not_found", "no such resource: %.300s", rq->path);
    free(c);
}
