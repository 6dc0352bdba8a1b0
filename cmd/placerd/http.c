/*
 * http.c: placerd's HTTP API (server/http.h) served by libmicrohttpd on
 * the loop that runs the server.
 *
 * libmicrohttpd runs without threads of its own (MHD_USE_EPOLL, external
 * polling): its epoll descriptor is watched with a uv_poll and MHD_run()
 * called when it is readable and when MHD_get_timeout() says (connection
 * timeouts, and work it has in hand, as 0).  A request whose answer comes
 * later (an admission waits for its plan and commit) is suspended, and
 * resumed by the reply; its response waits in the request until the
 * access handler is called again.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "plc/error.h"
#include "plc/log.h"
#include "server/http.h"

/* One request on a connection. */
struct hreq {
    struct http *h;
    struct MHD_Connection *conn;
    char *body;
    size_t len, cap;
    bool too_big;
    bool in_call;   /* inside srv_http(): an answer now needs no resume */
    bool suspended; /* waiting for the answer */
    struct MHD_Response *resp;
    unsigned status;
};

static void run(struct http *h);

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run(p->data);
}

/* MHD's work now, then its next deadline on the timer. */
static void run(struct http *h)
{
    if (!h->d)
        return;
    MHD_run(h->d);
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(h->d, &ms) == MHD_YES)
        uv_timer_start(&h->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&h->timer);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = 0;
    plc_log(PLC_LOG_WARN, "http: %s", msg);
}

static const char *lookup(void *arg, enum srv_http_kind kind, const char *key)
{
    return MHD_lookup_connection_value(
        arg, kind == SRV_HTTP_HEADER ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND,
        key);
}

static struct MHD_Response *response(const struct srv_http_response *r)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        r->len, (void *)r->body, MHD_RESPMEM_MUST_COPY);
    if (!m)
        return NULL;
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->location)
        MHD_add_response_header(m, MHD_HTTP_HEADER_LOCATION, r->location);
    if (r->etag)
        MHD_add_response_header(m, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->allow)
        MHD_add_response_header(m, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_authenticate)
        MHD_add_response_header(m, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                r->www_authenticate);
    if (r->retry_after) {
        char s[16];
        snprintf(s, sizeof s, "%u", r->retry_after);
        MHD_add_response_header(m, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    return m;
}

/* srv_http()'s answer: kept for the access handler, which queues it now
 * (still inside the call) or when the connection is resumed. */
static void on_reply(void *ctx, const struct srv_http_response *r)
{
    struct hreq *q = ctx;
    q->resp = response(r);
    q->status = r->status;
    q->h->served++;
    if (!q->in_call && q->suspended) {
        q->suspended = false;
        MHD_resume_connection(q->conn);
        /* the resumed connection is served on MHD's next run */
        uv_timer_start(&q->h->timer, on_timer, 0, 0);
    }
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status,
                                  const char *json)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (!m)
        return MHD_NO;
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/problem+json");
    enum MHD_Result rc = MHD_queue_response(c, status, m);
    MHD_destroy_response(m);
    return rc;
}

static const char too_large[] =
    "{\"type\": \"urn:placer:problem:too_large\", \"title\": \"Content Too "
    "Large\", \"status\": 413, \"code\": \"too_large\", \"detail\": \"the "
    "body is larger than 16 MiB, the largest request placerd takes\"}\n";

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    struct http *h = cls;
    struct hreq *q = *con_cls;
    if (!q) {
        /* the headers: a body announced too large is refused before it
         * is read (the connection is then closed) */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > SRV_HTTP_MAX_BODY)
            return queue_text(conn, 413, too_large);
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->h = h;
        q->conn = conn;
        *con_cls = q;
        return MHD_YES;
    }
    if (q->resp) { /* resumed with its answer */
        enum MHD_Result rc = MHD_queue_response(conn, q->status, q->resp);
        MHD_destroy_response(q->resp);
        q->resp = NULL;
        return rc;
    }
    if (q->suspended)
        return MHD_YES;
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->len + n > SRV_HTTP_MAX_BODY) {
            q->too_big = true; /* chunked: found out while reading */
            free(q->body);
            q->body = NULL;
            q->len = q->cap = 0;
            return MHD_YES;
        }
        if (q->len + n > q->cap) {
            size_t cap = q->cap ? q->cap : 4096;
            while (cap < q->len + n)
                cap *= 2;
            char *b = realloc(q->body, cap);
            if (!b)
                return MHD_NO;
            q->body = b;
            q->cap = cap;
        }
        memcpy(q->body + q->len, upload, n);
        q->len += n;
        return MHD_YES;
    }
    if (q->too_big)
        return queue_text(conn, 413, too_large);
    struct srv_http_request rq = {
        .method = method,
        .path = url,
        .body = q->body,
        .len = q->len,
        .get = lookup,
        .get_arg = conn,
    };
    q->in_call = true;
    srv_http(h->srv, &rq, on_reply, q);
    q->in_call = false;
    if (!q->resp && q->status == 0) {
        /* answered later: nothing to read or write until then */
        q->suspended = true;
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    if (!q->resp)
        return MHD_NO; /* out of memory for the answer */
    enum MHD_Result rc = MHD_queue_response(conn, q->status, q->resp);
    MHD_destroy_response(q->resp);
    q->resp = NULL;
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct hreq *q = *con_cls;
    if (!q)
        return;
    if (q->resp)
        MHD_destroy_response(q->resp);
    free(q->body);
    free(q);
    *con_cls = NULL;
}

/* A PEM file read whole (at most 1 MiB); NULL after saying why. */
static char *read_pem(const char *opt, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "placerd: %s: cannot read '%s' (%s)\n", opt, path,
                strerror(errno));
        return NULL;
    }
    char *b = malloc((1 << 20) + 1);
    size_t n = b ? fread(b, 1, 1 << 20, f) : 0;
    bool more = b && fgetc(f) != EOF;
    fclose(f);
    if (!b || !n || more) {
        fprintf(stderr,
                "placerd: %s: '%s' is %s; give a PEM file of at most 1 MiB\n",
                opt, path,
                !b   ? "not readable (out of memory)"
                : !n ? "empty"
                     : "too large");
        free(b);
        return NULL;
    }
    b[n] = 0;
    return b;
}

/* "ADDR:PORT" or "[ADDR6]:PORT" as a socket address; false after saying
 * why. */
static bool parse_addr(const char *s, struct sockaddr_storage *ss,
                       bool *loopback)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    unsigned long port = 0;
    char *end = NULL;
    if (colon)
        port = strtoul(colon + 1, &end, 10);
    size_t hl = colon ? (size_t)(colon - s) : 0;
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    memset(ss, 0, sizeof *ss);
    bool ok = colon && end && !*end && colon[1] && port >= 1 && port <= 65535 &&
              hl && hl < sizeof host;
    if (ok) {
        memcpy(host, s, hl);
        host[hl] = 0;
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)port);
            *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
        } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)port);
            *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        } else {
            ok = false;
        }
    }
    if (!ok)
        fprintf(stderr,
                "placerd: --http '%s': give ADDRESS:PORT with a numeric "
                "address, such as 127.0.0.1:7480 or [::1]:7480\n",
                s);
    return ok;
}

int http_start(struct http *h, uv_loop_t *loop, struct srv *s, const char *addr,
               const char *cert_file, const char *key_file)
{
    struct sockaddr_storage ss;
    bool loopback = false;
    h->loop = loop;
    h->srv = s;
    if (!parse_addr(addr, &ss, &loopback))
        return PLC_EXIT_USAGE;
    if (!loopback && !cert_file) {
        fprintf(stderr,
                "placerd: --http '%s': off loopback (127.0.0.0/8, ::1) the "
                "API is served over HTTPS only, so that bearer tokens never "
                "cross a network in clear: give --http-cert and --http-key\n",
                addr);
        return PLC_EXIT_USAGE;
    }
    unsigned flags =
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (cert_file || key_file) {
        if (!cert_file || !key_file) {
            fputs("placerd: --http-cert and --http-key go together\n", stderr);
            return PLC_EXIT_USAGE;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fputs("placerd: this libmicrohttpd was built without TLS\n",
                  stderr);
            return PLC_EXIT_UNAVAILABLE;
        }
        if (!(h->cert = read_pem("--http-cert", cert_file)) ||
            !(h->key = read_pem("--http-key", key_file)))
            return PLC_EXIT_NOINPUT;
        flags |= MHD_USE_TLS;
    }
    /* options: TLS's only when it is asked for (MHD_OPTION_END ends the
     * list there otherwise) */
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, h, MHD_OPTION_EXTERNAL_LOGGER, on_log,
        h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
        h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->key, MHD_OPTION_END);
    if (!h->d) {
        fprintf(stderr,
                "placerd: --http '%s': cannot serve HTTP there (%s%s)\n", addr,
                errno == EADDRINUSE ? "the address is in use"
                                    : "libmicrohttpd could not start",
                h->cert ? "; or the certificate and key do not load" : "");
        return PLC_EXIT_UNAVAILABLE;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    uv_timer_init(loop, &h->timer);
    h->timer.data = h;
    if (!info || uv_poll_init(loop, &h->poll, info->epoll_fd) != 0) {
        uv_close((uv_handle_t *)&h->timer, NULL);
        MHD_stop_daemon(h->d);
        h->d = NULL;
        fputs("placerd: --http: cannot watch libmicrohttpd's descriptor\n",
              stderr);
        return PLC_EXIT_SOFTWARE;
    }
    h->poll.data = h;
    uv_poll_start(&h->poll, UV_READABLE, on_poll);
    h->started = true;
    run(h);
    return 0;
}

void http_stop(struct http *h)
{
    if (h->started) {
        run(h); /* what is ready goes out first */
        uv_poll_stop(&h->poll);
        uv_close((uv_handle_t *)&h->poll, NULL);
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, NULL);
        h->started = false;
    }
    if (h->d) {
        MHD_stop_daemon(h->d);
        h->d = NULL;
    }
    free(h->cert);
    free(h->key);
    h->cert = h->key = NULL;
}
