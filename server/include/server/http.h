/*
 * http.h: placerd's HTTP/JSON API (v1) as a request layer over the
 * server library, independent of any HTTP implementation.
 *
 * A transport (placerd's libmicrohttpd on its loop, a test, a fuzzer)
 * hands over the method, the path, the query arguments and headers it
 * is asked for, and the body; the answer comes through the reply function
 * exactly once, before srv_http() returns (queries, refusals) or later from
 * the loop (admissions, dry runs, cluster changes: after the plan and the
 * commit).  Every request becomes the placer.Request the ZeroMQ clients
 * send, through srv_request_bytes(), so both transports answer the same
 * way; the documents are the CLI's --json ones (FORMATS.md).
 *
 *   GET    /healthz, /readyz
 *   GET    /v1/cluster                       the cluster as applied
 *   PUT    /v1/cluster[?force=true]          apply
 *   POST   /v1/plans                         a dry run on the live state
 *   POST   /v1/workflows                     submit: 201, 409, 422, 503
 *   GET    /v1/workflows[?tenant=T]
 *   GET    /v1/workflows/{tenant}/{name}     the plan with its state; ETag
 *   DELETE /v1/workflows/{tenant}/{name}     release; If-Match honoured
 *   POST   /v1/workflows/{tenant}/{name}/bindings
 *   GET    /v1/hosts
 *   POST   /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id}   (admin)
 *   PUT    /v1/quotas/{tenant} (admin), GET /v1/quotas/{tenant}
 *   GET    /metrics                          Prometheus' text format
 *   GET    /v1/openapi.json                  the OpenAPI 3.1 document
 *
 * Every request but /healthz and /readyz needs "Authorization: Bearer
 * TOKEN" (401 without a valid one); a tenant's token sees and changes only
 * its tenant's workflows (404 for others'), and what only an admin may do
 * is 403 for it.
 *
 * Errors are application/problem+json (RFC 9457) with the placer error
 * code and, for bad input, every problem with its field path.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <stddef.h>

#include "server/server.h"

/* The largest request body accepted (413 beyond). */
#define SRV_HTTP_MAX_BODY SRV_MAX_REQUEST_BYTES

enum srv_http_kind { SRV_HTTP_HEADER, SRV_HTTP_QUERY };

struct srv_http_request {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* without the query string, percent-decoded */
    const char *body;   /* may be NULL when len is 0 */
    size_t len;
    /* A header's or query argument's value, or NULL when absent. */
    const char *(*get)(void *arg, enum srv_http_kind kind, const char *key);
    void *get_arg;
};

struct srv_http_response {
    unsigned status;
    const char *content_type; /* of body */
    const char *body;
    size_t len;
    const char *location;         /* NULL: none */
    const char *etag;             /* NULL: none */
    unsigned retry_after;         /* seconds; 0: none */
    const char *allow;            /* 405's Allow; NULL: none */
    const char *www_authenticate; /* 401's; NULL: none */
};

/* `r` and everything it points to are valid during the call only. */
typedef void (*srv_http_reply_fn)(void *ctx, const struct srv_http_response *r);

/* One request; `rq` and what it points to need live only during the call. */
void srv_http(struct srv *s, const struct srv_http_request *rq,
              srv_http_reply_fn reply, void *ctx);

/* docs/openapi.json, the OpenAPI 3.1 document of all of it (built in). */
extern const char srv_openapi_json[];
extern const size_t srv_openapi_json_len;

#endif
