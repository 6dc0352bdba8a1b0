/*
 * server.h: placerd's service as a library, independent of any transport.
 *
 * A request goes in (a placer.Request, as bytes or decoded) with a reply
 * function; the reply function is called exactly once with the
 * placer.Response, either before srv_request() returns (queries, refusals)
 * or later from the loop (admissions: after the plan on libuv's worker pool
 * and the group commit that makes it durable).  ZeroMQ, HTTP or a test
 * drive the same functions.
 *
 * Admissions and cluster changes wait in one bounded FIFO and run one at a
 * time, each planned against what every earlier one left: no double
 * booking.  An admitted plan counts against the residuals at once and
 * joins the commit queue; one worker writes every waiting admission in one
 * SQLite transaction on its own connection, and only then are their
 * replies sent.  Nothing is acknowledged before it is durable.
 *
 * Node agents talk through srv_agent_message() and the sender given in
 * srv_options; the server sends each host's agent the reservations of its
 * host as they become durable and tracks what the agent acknowledged.
 *
 * Everything runs on the loop's thread except the plan and the commit.
 */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "plc/error.h"
#include "plc/limits.h"
#include "proto/placer.pb-c.h"

/* The protocol version the server speaks with clients and agents. */
#define SRV_PROTOCOL_VERSION 1
/* The largest request accepted, in bytes. */
#define SRV_MAX_REQUEST_BYTES PLC_REQUEST_MAX
/* After a stop, the plan in progress ends within this many seconds. */
#define SRV_STOP_GRACE_S 1.0
/* Agents send a heartbeat this often; three missed mark a host down. */
#define SRV_HEARTBEAT_MS 1000

struct srv;

/* A reply: `r` and everything it points to are valid during the call
 * only.  ctx is what srv_request() was given. */
typedef void (*srv_reply_fn)(void *ctx, const Placer__Response *r);

/* A message (a packed placer.ServerToAgent) to the agent behind `peer`,
 * the transport's identity of it as srv_agent_message() gave it.  It must
 * not block; 0 when sent, or an errno value (the server logs it, and what
 * was not acknowledged is sent again later). */
typedef int (*srv_agent_send_fn)(void *arg, const void *peer, size_t peer_len,
                                 const uint8_t *msg, size_t len);

struct srv_options {
    const char *db;      /* the store's file */
    size_t queue_max;    /* admissions that may wait (0: 64) */
    bool agents_allowed; /* agents may register: their transport
                          * authenticated them, or keys are waived */
    srv_agent_send_fn agent_send;
    void *agent_arg;
    /* every client request needs a bearer token (Request.token); else a
     * request without one acts as an admin (a local ZeroMQ client) */
    bool tokens_required;
};

/* Open the store (created and migrated), a second connection for the
 * commits, check and repair the reserved totals, and load the cluster and
 * every reservation.  0, or a PLC_E* code with err set. */
int srv_open(struct srv **out, uv_loop_t *loop, const struct srv_options *o,
             struct plc_error *err);

/* Release everything.  Requests still waiting are answered busy first;
 * call it only when no plan or commit runs (srv_idle()). */
void srv_close(struct srv *s);

/* One request from its bytes: the size limit, the decoding, the protocol
 * version, then srv_request(). */
void srv_request_bytes(struct srv *s, const uint8_t *data, size_t len,
                       srv_reply_fn reply, void *ctx);

/* One decoded request; the server takes ownership of req (freed with
 * placer__request__free_unpacked). */
void srv_request(struct srv *s, Placer__Request *req, srv_reply_fn reply,
                 void *ctx);

/* As srv_request_bytes() and srv_request(), from a peer the transport
 * authenticated by its CURVE key: `who` is "tenant:T" (it acts for tenant
 * T) or "admin:NAME"; a token in the request still wins. */
void srv_request_bytes_as(struct srv *s, const uint8_t *data, size_t len,
                          const char *who, srv_reply_fn reply, void *ctx);
void srv_request_as(struct srv *s, Placer__Request *req, const char *who,
                    srv_reply_fn reply, void *ctx);

/* Stop taking admissions: the waiting ones are answered busy, the one in
 * progress and the commits finish, then done(arg) is called once from the
 * loop (or at once when nothing runs).  Queries are still answered. */
void srv_stop(struct srv *s, void (*done)(void *arg), void *arg);

/* No plan and no commit in flight. */
bool srv_idle(const struct srv *s);

/* Counters for logs: replies sent, admissions waiting, whether one is
 * being planned. */
long srv_served(const struct srv *s);
size_t srv_queued(const struct srv *s);
bool srv_planning(const struct srv *s);

/* For `placerd --check` and the start-up log. */
int srv_schema_version(const struct srv *s);
long srv_repaired(const struct srv *s); /* totals rows repaired at open */
bool srv_has_cluster(const struct srv *s);
/* The cluster as applied (NULL before the first), valid until the next
 * request; whether srv_stop() was called. */
const Placer__Cluster *srv_cluster(const struct srv *s);
bool srv_stopping(const struct srv *s);

/* The figures of GET /metrics, in Prometheus' text format (0.0.4),
 * appended to b.  0, or a PLC_E* code with err set. */
struct plc_buf;
int srv_metrics(struct srv *s, struct plc_buf *b, struct plc_error *err);

/* An HTTP answer of this status, counted for the metrics. */
void srv_metrics_http(struct srv *s, unsigned status);

/* A message from an agent (a packed placer.AgentToServer).  `key_host`:
 * the host the peer's authenticated key serves (CURVE), or NULL when the
 * transport authenticates nobody; a registration for another host is
 * refused. */
void srv_agent_message(struct srv *s, const void *peer, size_t peer_len,
                       const char *key_host, const uint8_t *data, size_t len);

/* Call every SRV_HEARTBEAT_MS / 2: hosts whose agent went silent are
 * marked down, failed reservations are retried. */
void srv_agents_tick(struct srv *s);

#endif
