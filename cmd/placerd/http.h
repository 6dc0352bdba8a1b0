/*
 * http.h: placerd's HTTP side: libmicrohttpd without threads of its own,
 * its epoll descriptor under a uv_poll and its timeout under a uv_timer
 * of the loop that runs the server; requests go to server/http.h's layer.
 */
#ifndef PLACERD_HTTP_H
#define PLACERD_HTTP_H

#include <stdbool.h>
#include <uv.h>

struct srv;
struct MHD_Daemon;

/* Idle keep-alive connections, and slow clients, are closed after this
 * many seconds without a byte. */
#define HTTP_IDLE_TIMEOUT_S 30
/* Connections open at once; more wait in the listen backlog. */
#define HTTP_MAX_CONNECTIONS 4096

struct http {
    uv_loop_t *loop;
    struct srv *srv;
    struct MHD_Daemon *d;
    uv_poll_t poll;
    uv_timer_t timer;
    bool started;     /* the handles above are initialised */
    char *cert, *key; /* PEM, for TLS */
    long served;
};

/* Serve HTTP on ADDR:PORT ("127.0.0.1:7480", "[::1]:7480"), with TLS when
 * cert_file and key_file are given.  0, or the exit code after saying why
 * on stderr. */
int http_start(struct http *h, uv_loop_t *loop, struct srv *s, const char *addr,
               const char *cert_file, const char *key_file);

/* Stop: sends what is ready, closes every connection and the handles. */
void http_stop(struct http *h);

#endif
