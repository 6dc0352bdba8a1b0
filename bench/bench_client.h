/* bench_client.h: one request to placerd on a REQ socket (header-only;
 * the service benchmarks share it). */
#ifndef PLACER_BENCH_CLIENT_H
#define PLACER_BENCH_CLIENT_H

#include <stdlib.h>
#include <zmq.h>

#include "proto/placer.pb-c.h"

/* A REQ socket to endpoint with a receive timeout. */
static inline void *bench_socket(void *ctx, const char *endpoint, int tmo_ms)
{
    void *s = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo_ms, sizeof tmo_ms);
    zmq_connect(s, endpoint);
    return s;
}

/* One request; the response (caller frees), or NULL. */
static inline Placer__Response *bench_call(void *sock, Placer__Request *req)
{
    req->has_protocol_version = 1;
    req->protocol_version = 1;
    size_t len = placer__request__get_packed_size(req);
    uint8_t buf[4096], *b = len <= sizeof buf ? buf : malloc(len);
    placer__request__pack(req, b);
    int rc = zmq_send(sock, b, len, 0) < 0 ? -1 : 0;
    if (b != buf)
        free(b);
    if (rc < 0)
        return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0) {
        zmq_msg_close(&m);
        return NULL;
    }
    Placer__Response *r =
        placer__response__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    return r;
}

/* The result case of one request (-2: a plan that was rejected), or -1. */
static inline int bench_call_case(void *sock, Placer__Request *req)
{
    Placer__Response *r = bench_call(sock, req);
    if (!r)
        return -1;
    int k = (int)r->result_case;
    if (k == PLACER__RESPONSE__RESULT_PLAN && !r->plan->admitted)
        k = -2;
    placer__response__free_unpacked(r, NULL);
    return k;
}

#endif
