/*
 * transport.c: placerd's ZeroMQ sockets on the libuv loop.
 *
 * Each socket's ZMQ_FD is watched with uv_poll.  That descriptor is
 * edge-triggered (it signals a change of ZMQ_EVENTS, not a level), and a
 * send can consume the edge, so every wake-up reads while ZMQ_EVENTS says
 * POLLIN, and every send schedules one more look on the next turn of the
 * loop (never a nested read: the server may be in the middle of a reply).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zmq.h>

#include "plc/clock.h"
#include "plc/error.h"
#include "plc/keyfile.h"
#include "plc/log.h"
#include "server/server.h"
#include "transport.h"

/* Per-peer limits (README "Limits"). */
#define CLIENT_QUEUE 100                  /* requests waiting unread */
#define AGENT_MAX_MESSAGE_BYTES (4 << 20) /* an agent's report */
#define HANDSHAKE_MS 10000
#define HEARTBEAT_IVL_MS 10000
#define HEARTBEAT_TIMEOUT_MS 30000

/* ---- keys -------------------------------------------------------------- */

/* A key file (placer keygen); 0 or an exit code after saying why. */
static int read_key(const char *path, char out[41])
{
    int rc = plc_keyfile_read(path, out);
    if (rc < 0)
        fprintf(stderr, "placerd: '%s' %s\n", path,
                rc == PLC_ENOENT ? "cannot be read"
                                 : "is not a key file of 'placer keygen' (one "
                                   "line of 40 Z85 characters)");
    return rc < 0 ? plc_exit_code(rc) : 0;
}

/* The file a key came from, by whom it stands for: "h-0-0-0.pub",
 * "acme.pub", "admins/ops.pub" (one of two buffers in turn). */
static const char *key_file(const char *who)
{
    static char buf[2][96];
    static int k;
    char *b = buf[k++ % 2];
    const char *colon = strchr(who, ':');
    snprintf(b, sizeof buf[0], "%s%s.pub",
             colon && !strncmp(who, "admin:", 6) ? "admins/" : "",
             colon ? colon + 1 : who);
    return b;
}

/* Every DIR/NAME.pub into ks, each standing for prefix NAME; 0, or an
 * exit code after saying why.  `opt` names the option, `what` what a
 * name is (a host, a tenant). */
static int load_keys(struct keyset *ks, const char *opt, const char *dir,
                     const char *prefix, const char *what)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "placerd: %s: cannot read '%s' (%s)\n", opt, dir,
                strerror(errno));
        return PLC_EXIT_NOINPUT;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n - 4 > 63) {
            fprintf(stderr,
                    "placerd: %s: '%s': a key file is named after the %s it "
                    "serves (NAME.pub), and no name has more than 63 "
                    "characters\n",
                    opt, path, what);
            rc = PLC_EXIT_DATAERR;
            break;
        }
        char(*k)[41] = realloc(ks->key, (ks->n + 1) * sizeof *k);
        if (k)
            ks->key = k;
        char(*w)[80] = k ? realloc(ks->who, (ks->n + 1) * sizeof *w) : NULL;
        if (!k || !w) {
            fprintf(stderr, "placerd: out of memory reading %s\n", opt);
            rc = PLC_EXIT_SOFTWARE;
            break;
        }
        ks->who = w;
        rc = read_key(path, ks->key[ks->n]);
        if (rc)
            break;
        snprintf(ks->who[ks->n], sizeof *w, "%s%.*s", prefix, (int)(n - 4),
                 e->d_name);
        for (size_t i = 0; i < ks->n; i++)
            if (!strcmp(ks->key[i], ks->key[ks->n])) {
                fprintf(stderr,
                        "placerd: %s: %s and %s hold the same key; a key "
                        "serves one %s: make one pair each with 'placer "
                        "keygen'\n",
                        opt, key_file(ks->who[i]), key_file(ks->who[ks->n]),
                        what);
                rc = PLC_EXIT_DATAERR;
            }
        ks->n++;
    }
    closedir(d);
    return rc;
}

int transport_keys(struct transport *t, const char *server_key,
                   const char *agent_keys, const char *client_keys)
{
    int rc = read_key(server_key, t->secret);
    if (rc == 0 && agent_keys) {
        rc = load_keys(&t->agent_keys, "--agent-keys", agent_keys, "", "host");
        t->keys_dir = agent_keys;
        t->agents_curve = true;
    }
    if (rc == 0 && client_keys) {
        /* TENANT.pub: a tenant's client; admins/NAME.pub: an admin's */
        rc = load_keys(&t->client_keys, "--client-keys", client_keys,
                       "tenant:", "tenant");
        char admins[4096];
        snprintf(admins, sizeof admins, "%s/admins", client_keys);
        struct stat st;
        if (rc == 0 && stat(admins, &st) == 0 && S_ISDIR(st.st_mode))
            rc = load_keys(&t->client_keys, "--client-keys", admins,
                           "admin:", "admin");
        t->clients_dir = client_keys;
        t->clients_curve = true;
    }
    return rc;
}

/* ---- reading ----------------------------------------------------------- */

/* The next message waiting on a socket (ZMQ_EVENTS is the truth): up to
 * `max` frames into f, the rest dropped; *n is their count, or max + 1
 * when there were more.  false when nothing waits.  The caller closes
 * f[0 .. min(*n, max) - 1] (close_frames). */
static bool next_message(void *sock, zmq_msg_t *f, int max, int *n)
{
    int events = 0;
    size_t sz = sizeof events;
    if (!sock || zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) < 0 ||
        !(events & ZMQ_POLLIN))
        return false;
    int more = 1, got = 0, kept = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        got++;
        if (kept < max)
            f[kept++] = m;
        else
            zmq_msg_close(&m);
    }
    *n = got > max ? max + 1 : got;
    return true;
}

static void close_frames(zmq_msg_t *f, int n, int max)
{
    for (int i = 0; i < n && i < max; i++)
        zmq_msg_close(&f[i]);
}

static void kick(struct transport *t);

/* A client's routing id, the reply's context. */
struct peer {
    struct transport *t;
    size_t len;
    unsigned char id[];
};

static void on_reply(void *ctx, const Placer__Response *r)
{
    struct peer *p = ctx;
    struct transport *t = p->t;
    size_t len = placer__response__get_packed_size(r);
    uint8_t *buf = malloc(len + 1);
    if (!buf) {
        plc_log(PLC_LOG_ERROR, "out of memory for a reply of %zu bytes", len);
    } else if (t->clients) {
        placer__response__pack(r, buf);
        if (zmq_send(t->clients, p->id, p->len, ZMQ_SNDMORE) < 0 ||
            zmq_send(t->clients, "", 0, ZMQ_SNDMORE) < 0 ||
            zmq_send(t->clients, buf, len, 0) < 0)
            plc_log(PLC_LOG_WARN, "cannot reply (%s)", zmq_strerror(errno));
    }
    free(buf);
    free(p);
    kick(t);
}

/* Messages read per socket in one turn of the loop: the rest wait for the
 * next turn (kick), so a flood never keeps signals, timers and the other
 * sockets waiting. */
#define READ_BATCH 64

/* Whether one more message may be read in this turn; else the rest
 * wait for the next (kick). */
static bool more_this_turn(struct transport *t, int *count)
{
    if ((*count)++ < READ_BATCH)
        return true;
    kick(t);
    return false;
}

/* Clients: [identity][empty][request]. */
static void read_clients(struct transport *t)
{
    zmq_msg_t f[4];
    int n, count = 0;
    while (!t->closing && more_this_turn(t, &count) &&
           next_message(t->clients, f, 4, &n)) {
        if (n == 3 && zmq_msg_size(&f[1]) == 0) {
            size_t il = zmq_msg_size(&f[0]);
            struct peer *p = malloc(sizeof *p + il);
            if (p) {
                p->t = t;
                p->len = il;
                memcpy(p->id, zmq_msg_data(&f[0]), il);
                /* with CURVE, whom the client's key stands for (ZAP's
                 * user id) */
                srv_request_bytes_as(
                    t->srv, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]),
                    t->clients_curve ? zmq_msg_gets(&f[2], "User-Id") : NULL,
                    on_reply, p);
            } else {
                plc_log(PLC_LOG_ERROR, "out of memory: a request dropped");
            }
        } else if (n > 0) {
            plc_log(PLC_LOG_WARN,
                    "dropped a message of %d frames that is not a request "
                    "envelope",
                    n);
        }
        close_frames(f, n, 4);
    }
}

/* Agents: [identity][message]. */
static void read_agents(struct transport *t)
{
    zmq_msg_t f[3];
    int n, count = 0;
    while (!t->closing && more_this_turn(t, &count) &&
           next_message(t->agents, f, 3, &n)) {
        if (n == 2)
            /* with CURVE, the host the agent's key serves (ZAP's user id) */
            srv_agent_message(t->srv, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]),
                              t->agents_curve ? zmq_msg_gets(&f[1], "User-Id")
                                              : NULL,
                              zmq_msg_data(&f[1]), zmq_msg_size(&f[1]));
        else
            plc_log(PLC_LOG_WARN,
                    "dropped a message of %d frames on the agents' socket", n);
        close_frames(f, n, 3);
    }
}

/* ZAP (RFC 27): libzmq asks whether a CURVE client key may connect. */
static void read_zap(struct transport *t)
{
    /* version, request id, domain, address, identity, mechanism, key */
    zmq_msg_t f[8];
    int n;
    while (!t->closing && next_message(t->zap, f, 8, &n)) {
        char key[41] = "?", addr[64] = "";
        const char *host = "";
        bool ok = false;
        /* the domain says which socket asks (ZMQ_ZAP_DOMAIN) */
        bool clients = n >= 3 && zmq_msg_size(&f[2]) == 7 &&
                       !memcmp(zmq_msg_data(&f[2]), "clients", 7);
        const struct keyset *ks = clients ? &t->client_keys : &t->agent_keys;
        if (n == 7 && zmq_msg_size(&f[6]) == 32) {
            zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
            for (size_t i = 0; i < ks->n && !ok; i++)
                if ((ok = !strcmp(ks->key[i], key)))
                    host = ks->who[i];
            snprintf(addr, sizeof addr, "%.*s", (int)zmq_msg_size(&f[3]),
                     (const char *)zmq_msg_data(&f[3]));
        }
        /* an agent refused retries its handshake every 100 ms: say so
         * once a minute per key */
        if (!ok && (strcmp(t->refused_key, key) ||
                    plc_now_ms() - t->refused_key_ms > 60000)) {
            plc_log(PLC_LOG_WARN, "refused %s from %s: its key %s is not in %s",
                    clients ? "a client" : "an agent", addr[0] ? addr : "?",
                    key, clients ? t->clients_dir : t->keys_dir);
            memcpy(t->refused_key, key, sizeof t->refused_key);
            t->refused_key_ms = plc_now_ms();
        }
        const char *code = ok ? "200" : "400";
        zmq_send(t->zap, "1.0", 3, ZMQ_SNDMORE);
        if (n >= 2)
            zmq_send(t->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]),
                     ZMQ_SNDMORE);
        else
            zmq_send(t->zap, "", 0, ZMQ_SNDMORE);
        zmq_send(t->zap, code, 3, ZMQ_SNDMORE);
        zmq_send(t->zap, ok ? "OK" : "unknown key", ok ? 2 : 11, ZMQ_SNDMORE);
        /* the user id: the host the key serves, checked at registration */
        zmq_send(t->zap, host, strlen(host), ZMQ_SNDMORE);
        zmq_send(t->zap, "", 0, 0);
        close_frames(f, n, 8);
    }
}

/* The descriptors this process has open (the limit when it has none left
 * to look with). */
static long fds_in_use(long limit)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d && (errno == EMFILE || errno == ENFILE))
        return limit; /* not even one to look with */
    long n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* A socket monitor's events: a connection libzmq could not accept (out of
 * descriptors, EMFILE) is otherwise refused without a word. */
static void read_monitor(struct transport *t, int which)
{
    zmq_msg_t f[2];
    int n;
    while (!t->closing && next_message(t->mon[which], f, 2, &n)) {
        uint16_t event = 0;
        uint32_t value = 0;
        if (n >= 1 && zmq_msg_size(&f[0]) >= 6) {
            memcpy(&event, zmq_msg_data(&f[0]), 2);
            memcpy(&value, (const char *)zmq_msg_data(&f[0]) + 2, 4);
        }
        if (event == ZMQ_EVENT_ACCEPT_FAILED &&
            plc_now_ms() - t->accept_failed_ms > 60000) {
            plc_log(PLC_LOG_ERROR,
                    "refused a connection on the %s socket: %s (%ld of %ld "
                    "file descriptors in use; raise LimitNOFILE or ulimit "
                    "-n); said once a minute",
                    which ? "agents'" : "clients'", zmq_strerror((int)value),
                    fds_in_use(t->fd_limit), t->fd_limit);
            t->accept_failed_ms = plc_now_ms();
        }
        /* an agent whose CURVE hello placerd cannot read: most often it
         * holds another placerd's public key (a refused key is ZAP's) */
        if ((event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
             event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) &&
            plc_now_ms() - t->handshake_failed_ms > 60000) {
            plc_log(PLC_LOG_WARN,
                    "an agent's CURVE handshake failed (%s): its "
                    "--server-pub is probably not this placerd's public "
                    "key; said once a minute",
                    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                        ? "protocol error"
                        : zmq_strerror((int)value));
            t->handshake_failed_ms = plc_now_ms();
        }
        close_frames(f, n, 2);
    }
}

static void read_all(struct transport *t)
{
    read_clients(t);
    read_agents(t);
    read_zap(t);
    for (int i = 0; i < 2; i++)
        if (t->mon[i])
            read_monitor(t, i);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    read_all(h->data);
}

static void on_kick(uv_timer_t *h)
{
    read_all(h->data);
}

static void kick(struct transport *t)
{
    if (t->started && !t->closing)
        uv_timer_start(&t->kick, on_kick, 0, 0);
}

/* Running out of descriptors makes libzmq refuse connections without a
 * word: say so, at most once a minute, before it happens. */
static void check_fds(struct transport *t)
{
    if (t->fd_limit <= 0 || plc_now_ms() - t->fd_warned_ms < 60000)
        return;
    long n = fds_in_use(t->fd_limit);
    if (n * 10 >= t->fd_limit * 9) {
        plc_log(PLC_LOG_WARN,
                "%ld of %ld file descriptors in use: new clients and agents "
                "will be refused when they run out (raise LimitNOFILE or "
                "ulimit -n)",
                n, t->fd_limit);
        t->fd_warned_ms = plc_now_ms();
    }
}

static void on_tick(uv_timer_t *h)
{
    struct transport *t = h->data;
    srv_agents_tick(t->srv);
    check_fds(t);
    /* the descriptors are edge-triggered: look now and then regardless */
    read_all(t);
}

int transport_agent_send(void *arg, const void *peer, size_t peer_len,
                         const uint8_t *msg, size_t len)
{
    struct transport *t = arg;
    if (!t->agents)
        return ENOTCONN;
    int e = 0;
    if (zmq_send(t->agents, peer, peer_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(t->agents, msg, len, ZMQ_DONTWAIT) < 0)
        e = errno;
    kick(t);
    return e;
}

/* ---- start and stop ---------------------------------------------------- */

static int poll_socket(struct transport *t, void *sock, uv_poll_t *h)
{
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0 ||
        uv_poll_init(t->loop, h, fd) != 0)
        return -1;
    h->data = t;
    return uv_poll_start(h, UV_READABLE, on_poll);
}

int transport_start(struct transport *t, uv_loop_t *loop, struct srv *s,
                    const char *listen, const char *agents)
{
    t->loop = loop;
    t->srv = s;
    t->refused_key_ms = -1e9;
    t->zctx = zmq_ctx_new();
    if (!t->zctx) {
        fprintf(stderr, "placerd: cannot start ZeroMQ (%s)\n",
                zmq_strerror(errno));
        return PLC_EXIT_SOFTWARE;
    }
    /* the descriptors: as many as the hard limit allows */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        t->fd_limit = rl.rlim_cur == RLIM_INFINITY ? 0 : (long)rl.rlim_cur;
    }
    t->fd_warned_ms = -1e9;
    /* per peer: a frame a little over the request limit is still read
     * (and refused with a reply); a larger one disconnects the peer; at
     * most CLIENT_QUEUE requests wait unread per client; a handshake or a
     * silent connection ends after HANDSHAKE_MS / HEARTBEAT_TIMEOUT_MS */
    int64_t maxmsg = (int64_t)SRV_MAX_REQUEST_BYTES + (1 << 20);
    int64_t agent_maxmsg = AGENT_MAX_MESSAGE_BYTES;
    int linger = 1000, hwm = CLIENT_QUEUE, hs = HANDSHAKE_MS,
        hb = HEARTBEAT_IVL_MS, hbt = HEARTBEAT_TIMEOUT_MS;
    t->clients = zmq_socket(t->zctx, ZMQ_ROUTER);
    zmq_setsockopt(t->clients, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(t->clients, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(t->clients, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(t->clients, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    zmq_setsockopt(t->clients, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(t->clients, ZMQ_HEARTBEAT_TIMEOUT, &hbt, sizeof hbt);
    int one = 1;
    if ((t->agents_curve || t->clients_curve) && !t->zap) {
        /* the ZAP handler first: libzmq asks it about every CURVE peer */
        t->zap = zmq_socket(t->zctx, ZMQ_REP);
        zmq_setsockopt(t->zap, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(t->zap, "inproc://zeromq.zap.01") != 0) {
            fprintf(stderr, "placerd: cannot set up CURVE (%s)\n",
                    zmq_strerror(errno));
            return PLC_EXIT_SOFTWARE;
        }
    }
    if (t->clients_curve &&
        (zmq_setsockopt(t->clients, ZMQ_ZAP_DOMAIN, "clients", 7) != 0 ||
         zmq_setsockopt(t->clients, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
         zmq_setsockopt(t->clients, ZMQ_CURVE_SECRETKEY, t->secret, 40) != 0)) {
        fprintf(stderr, "placerd: cannot set up CURVE on --listen (%s)\n",
                zmq_strerror(errno));
        return PLC_EXIT_SOFTWARE;
    }
    if (zmq_bind(t->clients, listen) != 0) {
        fprintf(stderr, "placerd: --listen: cannot bind '%s' (%s)\n", listen,
                zmq_strerror(errno));
        return PLC_EXIT_UNAVAILABLE;
    }
    t->agents = zmq_socket(t->zctx, ZMQ_ROUTER);
    zmq_setsockopt(t->agents, ZMQ_MAXMSGSIZE, &agent_maxmsg,
                   sizeof agent_maxmsg);
    zmq_setsockopt(t->agents, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(t->agents, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(t->agents, ZMQ_HANDSHAKE_IVL, &hs, sizeof hs);
    if (t->agents_curve) {
        if (zmq_setsockopt(t->agents, ZMQ_ZAP_DOMAIN, "agents", 6) != 0 ||
            zmq_setsockopt(t->agents, ZMQ_CURVE_SERVER, &one, sizeof one) !=
                0 ||
            zmq_setsockopt(t->agents, ZMQ_CURVE_SECRETKEY, t->secret, 40) !=
                0) {
            fprintf(stderr, "placerd: cannot set up CURVE (%s)\n",
                    zmq_strerror(errno));
            return PLC_EXIT_SOFTWARE;
        }
    }
    if (zmq_bind(t->agents, agents) != 0) {
        fprintf(stderr, "placerd: --agents-listen: cannot bind '%s' (%s)\n",
                agents, zmq_strerror(errno));
        return PLC_EXIT_UNAVAILABLE;
    }
    /* watch the accepts of both sockets */
    void *watched[2] = {t->clients, t->agents};
    for (int i = 0; i < 2; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://placerd.monitor.%d", i);
        int events = ZMQ_EVENT_ACCEPT_FAILED;
        if (i == 1 ? t->agents_curve : t->clients_curve)
            events |= ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                      ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
        if (zmq_socket_monitor(watched[i], ep, events) != 0)
            continue;
        t->mon[i] = zmq_socket(t->zctx, ZMQ_PAIR);
        zmq_setsockopt(t->mon[i], ZMQ_LINGER, &linger, sizeof linger);
        if (t->mon[i] && zmq_connect(t->mon[i], ep) != 0) {
            zmq_close(t->mon[i]);
            t->mon[i] = NULL;
        }
    }
    t->accept_failed_ms = t->handshake_failed_ms = -1e9;
    uv_timer_init(loop, &t->kick);
    uv_timer_init(loop, &t->ticker);
    t->kick.data = t->ticker.data = t;
    t->started = true;
    if (poll_socket(t, t->clients, &t->poll) != 0 ||
        poll_socket(t, t->agents, &t->agents_poll) != 0 ||
        (t->zap && poll_socket(t, t->zap, &t->zap_poll) != 0) ||
        (t->mon[0] && poll_socket(t, t->mon[0], &t->mon_poll[0]) != 0) ||
        (t->mon[1] && poll_socket(t, t->mon[1], &t->mon_poll[1]) != 0)) {
        fputs("placerd: cannot watch the sockets on the loop\n", stderr);
        return PLC_EXIT_SOFTWARE;
    }
    uv_timer_start(&t->ticker, on_tick, SRV_HEARTBEAT_MS / 2,
                   SRV_HEARTBEAT_MS / 2);
    /* anything that arrived before the polls started */
    kick(t);
    return 0;
}

static void close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

void transport_stop(struct transport *t)
{
    if (!t->started || t->closing)
        return;
    t->closing = true;
    close_handle((uv_handle_t *)&t->poll);
    close_handle((uv_handle_t *)&t->agents_poll);
    close_handle((uv_handle_t *)&t->zap_poll);
    close_handle((uv_handle_t *)&t->mon_poll[0]);
    close_handle((uv_handle_t *)&t->mon_poll[1]);
    close_handle((uv_handle_t *)&t->kick);
    close_handle((uv_handle_t *)&t->ticker);
}

void transport_release(struct transport *t)
{
    void *watched[2] = {t->clients, t->agents};
    for (int i = 0; i < 2; i++)
        if (t->mon[i]) {
            zmq_socket_monitor(watched[i], NULL, 0);
            zmq_close(t->mon[i]);
            t->mon[i] = NULL;
        }
    if (t->zap)
        zmq_close(t->zap);
    if (t->agents)
        zmq_close(t->agents);
    if (t->clients)
        zmq_close(t->clients);
    if (t->zctx)
        zmq_ctx_term(t->zctx);
    t->zap = t->agents = t->clients = t->zctx = NULL;
    for (int i = 0; i < 2; i++) {
        struct keyset *ks = i ? &t->client_keys : &t->agent_keys;
        free(ks->key);
        free(ks->who);
        *ks = (struct keyset){0};
    }
}
