/*
 * placer-agent: the node agent of one host.
 *
 * This build connects to placerd's agent socket (ZeroMQ DEALER), registers
 * its host with the probed capacity and keeps it up with heartbeats; it
 * registers again whenever placerd does not know it (placerd restarted, the
 * cluster changed) or has been silent for three heartbeats.  Enforcement
 * (deadline, cgroup, htb) and CURVE keys arrive with the rest of the
 * node-agent issue; the dryrun backend is the only one taken.
 */
#define _GNU_SOURCE
#include "agent/probe.h"
#include "keyfile.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static const char help[] =
    "Usage: placer-agent --server ENDPOINT --host NAME [--backend dryrun]\n"
    "       placer-agent --probe\n"
    "\n"
    "The placer node agent: registers its host with placerd and keeps it up\n"
    "with heartbeats (placerd marks a host down after three missed ones and\n"
    "places nothing new there).\n"
    "\n"
    "Options:\n"
    "  --server ENDPOINT  placerd's agent socket (placerd --agents-listen)\n"
    "  --server-pub FILE  placerd's public key (CURVE; placer keygen)\n"
    "  --key FILE         this agent's secret key (its PATH.key); without\n"
    "                     these two, placerd must run --insecure-agents\n"
    "  --host NAME        this host's name in placerd's cluster\n"
    "  --backend LIST     enforcement backends; this build has dryrun only\n"
    "                     (records nothing yet: there is nothing to apply)\n"
    "  --probe            print what this host offers (CPUs, memory, the\n"
    "                     kernel's real-time limit) as JSON and exit\n"
    "  -h, --help         show this help\n"
    "\n"
    "SIGTERM or SIGINT: exit 0.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("placer-agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int send_msg(void *sock, Placer__AgentToServer *m)
{
    m->has_protocol_version = 1;
    m->protocol_version = 1;
    uint8_t buf[1024];
    size_t len = placer__agent_to_server__get_packed_size(m);
    if (len > sizeof buf)
        return -1;
    placer__agent_to_server__pack(m, buf);
    return zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

static void send_register(void *sock, const char *host,
                          const struct agent_host_facts *f)
{
    Placer__AgentRegister r = PLACER__AGENT_REGISTER__INIT;
    r.host = (char *)host;
    r.has_cores = r.has_memory_bytes = 1;
    r.cores = f->cpus;
    r.memory_bytes = f->memory_bytes;
    /* no core_capacity yet: the kernel's real-time share (rt_runtime /
     * rt_period) is only an upper bound of what SCHED_DEADLINE admits; the
     * exact figure comes from the deadline backend's probe */
    char *backends[] = {"dryrun"};
    r.backends = backends;
    r.n_backends = 1;
    r.version = "0.1.0";
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_REGISTRATION;
    m.registration = &r;
    send_msg(sock, &m);
}

static void send_heartbeat(void *sock, const char *host, uint64_t seq)
{
    Placer__AgentHeartbeat hb = PLACER__AGENT_HEARTBEAT__INIT;
    hb.host = (char *)host;
    hb.has_seq = 1;
    hb.seq = seq;
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_HEARTBEAT;
    m.heartbeat = &hb;
    send_msg(sock, &m);
}

/* A key file (placer keygen), or false after saying why. */
static bool read_key(const char *path, char out[41])
{
    int rc = keyfile_read(path, out);
    if (rc < 0)
        logf_("'%s' %s", path,
              rc == PLC_ENOENT ? "cannot be read"
                               : "is not a key file of 'placer keygen'");
    return rc == 0;
}

static const char *server_pub, *key_file;

static int run(const char *server, const char *host)
{
    struct agent_host_facts f;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = agent_probe_facts("/proc", &f, &err);
    if (rc < 0) {
        logf_("%s", err.msg);
        return plc_exit_code(rc);
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (server_pub || key_file) {
        /* CURVE: placerd's public key, and this agent's own pair */
        char spub[41], sec[41], pub[41];
        if (!server_pub || !key_file) {
            logf_("--server-pub and --key go together");
            zmq_close(sock);
            zmq_ctx_term(ctx);
            return 64;
        }
        if (!read_key(server_pub, spub) || !read_key(key_file, sec) ||
            zmq_curve_public(pub, sec) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spub, 40) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40) != 0) {
            zmq_close(sock);
            zmq_ctx_term(ctx);
            return 65;
        }
    }
    if (zmq_connect(sock, server) != 0) {
        logf_("--server: cannot use '%s' (%s)", server, zmq_strerror(errno));
        zmq_close(sock);
        zmq_ctx_term(ctx);
        return 64;
    }
    logf_("host %s: %d CPUs, %llu bytes; connecting to %s", host, f.cpus,
          (unsigned long long)f.memory_bytes, server);
    unsigned heartbeat = 1000;
    double last_heard = now_ms(), next_beat = 0, retry = 0;
    bool registered = false;
    uint64_t seq = 0;
    send_register(sock, host, &f);
    retry = now_ms() + 1000; /* the answer comes first, normally */
    while (!stop) {
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        double now = now_ms();
        long wait = (long)((registered ? next_beat : retry) - now);
        if (wait < 0)
            wait = 0;
        if (wait > 200)
            wait = 200; /* look at the stop flag now and then */
        zmq_poll(&it, 1, wait);
        now = now_ms();
        if (it.revents & ZMQ_POLLIN) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0) {
                Placer__ServerToAgent *m = placer__server_to_agent__unpack(
                    NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
                last_heard = now;
                if (m &&
                    m->msg_case == PLACER__SERVER_TO_AGENT__MSG_REGISTERED) {
                    const Placer__RegisterReply *r = m->registered;
                    if (r->accepted) {
                        if (!registered)
                            logf_("registered with placerd (%s)",
                                  r->message ? r->message : "");
                        registered = true;
                        if (r->has_heartbeat_ms && r->heartbeat_ms)
                            heartbeat = r->heartbeat_ms;
                        next_beat = now + heartbeat;
                    } else {
                        logf_("placerd: %s; registering again in 1 s",
                              r->message ? r->message : "refused");
                        registered = false;
                        retry = now + 1000;
                    }
                }
                if (m)
                    placer__server_to_agent__free_unpacked(m, NULL);
            }
            zmq_msg_close(&msg);
        }
        if (registered && now >= next_beat) {
            send_heartbeat(sock, host, ++seq);
            next_beat = now + heartbeat;
            /* placerd silent for three heartbeats: start over */
            if (now - last_heard > 3.0 * heartbeat && seq % 3 == 0) {
                registered = false;
                retry = now;
            }
        }
        if (!registered && now >= retry) {
            send_register(sock, host, &f);
            retry = now + 1000;
        }
    }
    logf_("stopping");
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_SERVER = 256, O_HOST, O_BACKEND, O_PROBE, O_SPUB, O_KEY };
    static const struct option opts[] = {
        {"server", required_argument, 0, O_SERVER},
        {"host", required_argument, 0, O_HOST},
        {"backend", required_argument, 0, O_BACKEND},
        {"probe", no_argument, 0, O_PROBE},
        {"server-pub", required_argument, 0, O_SPUB},
        {"key", required_argument, 0, O_KEY},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *server = NULL, *host = NULL, *backend = "dryrun";
    int probe = 0, ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_SERVER:
            server = optarg;
            break;
        case O_HOST:
            host = optarg;
            break;
        case O_BACKEND:
            backend = optarg;
            break;
        case O_PROBE:
            probe = 1;
            break;
        case O_SPUB:
            server_pub = optarg;
            break;
        case O_KEY:
            key_file = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs("Try 'placer-agent --help'.\n", stderr);
            return 64;
        }
    }
    if (probe) {
        struct agent_host_facts f;
        struct plc_error err = PLC_ERROR_INIT;
        int rc = agent_probe_facts("/proc", &f, &err);
        if (rc < 0) {
            fprintf(stderr, "placer-agent: %s\n", err.msg);
            return plc_exit_code(rc);
        }
        printf("{\"schema\": 1, \"cpus\": %d, \"memory_bytes\": %llu, "
               "\"rt_runtime_us\": %lld, \"rt_period_us\": %lld}\n",
               f.cpus, (unsigned long long)f.memory_bytes,
               (long long)f.rt_runtime_us, (long long)f.rt_period_us);
        return 0;
    }
    if (!server || !host) {
        fputs("placer-agent: --server ENDPOINT and --host NAME are required\n"
              "Try 'placer-agent --help'.\n",
              stderr);
        return 64;
    }
    if (strcmp(backend, "dryrun")) {
        fprintf(stderr,
                "placer-agent: --backend: this build has dryrun only (got "
                "'%s'); deadline, cgroup and htb come with enforcement\n",
                backend);
        return 64;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return run(server, host);
}
