/*
 * transport.h: placerd's ZeroMQ side.  Clients on a ROUTER socket, node
 * agents on another (CURVE with a ZAP handler that accepts the keys of
 * --agent-keys, or without keys on a local endpoint), all on the libuv
 * loop that runs the server (server/server.h).
 */
#ifndef PLACERD_TRANSPORT_H
#define PLACERD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct srv;

/* Public keys (Z85), each with whom it stands for. */
struct keyset {
    char (*key)[41];
    char (*who)[80];
    size_t n;
};

struct transport {
    uv_loop_t *loop;
    struct srv *srv;
    void *zctx, *clients, *agents, *zap;
    void *mon[2]; /* the clients' and agents' socket monitors (accepts) */
    uv_poll_t poll, agents_poll, zap_poll, mon_poll[2];
    uv_timer_t kick;   /* read the sockets again after sends */
    uv_timer_t ticker; /* the agents' heartbeats */
    bool started;      /* the handles above are initialised */
    bool closing;
    /* CURVE: placerd's secret key, the agents' public keys (Z85; who:
     * the host each serves, its file's name) and the clients' ("tenant:T",
     * "admin:NAME") */
    char secret[41];
    struct keyset agent_keys, client_keys;
    bool agents_curve, clients_curve;
    const char *keys_dir, *clients_dir;
    /* a refused key is said at most once a minute */
    double refused_key_ms;
    char refused_key[41];
    /* descriptors: the limit, and when running short was last said */
    long fd_limit;
    double fd_warned_ms;
    double accept_failed_ms;    /* a refused connection said once a minute */
    double handshake_failed_ms; /* an agent's failed handshake, likewise */
};

/* Read --server-key, the HOST.pub files of --agent-keys (each key serves
 * the host its file is named after) and of --client-keys the TENANT.pub
 * files (a tenant's clients) and admins/NAME.pub (an admin's); one key in
 * two files is refused.  Either directory may be NULL.  0, or the exit
 * code after saying why on stderr. */
int transport_keys(struct transport *t, const char *server_key,
                   const char *agent_keys, const char *client_keys);

/* Bind the clients' and the agents' endpoints and start reading them into
 * s.  0, or the exit code after saying why on stderr (the caller releases
 * t either way). */
int transport_start(struct transport *t, uv_loop_t *loop, struct srv *s,
                    const char *listen, const char *agents);

/* Stop reading: closes the loop's handles (uv_run() can then return). */
void transport_stop(struct transport *t);

/* Close the sockets and free the keys (after the loop ran out). */
void transport_release(struct transport *t);

/* srv_options.agent_send: a message to an agent, never blocking. */
int transport_agent_send(void *arg, const void *peer, size_t peer_len,
                         const uint8_t *msg, size_t len);

#endif
