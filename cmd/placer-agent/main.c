/*
 * placer-agent: the node agent of one host.
 *
 * It connects to placerd's agent socket (ZeroMQ DEALER, CURVE when given
 * keys), registers its host with the probed capacity and keeps it up with
 * heartbeats; it registers again whenever placerd does not know it
 * (placerd restarted, the cluster changed) or has been silent for three
 * heartbeats.  What placerd sends (the desired set on each registration,
 * then applies and removes) goes to agent/ (agent.h), whose results come
 * back as acknowledgements.
 */
#define _GNU_SOURCE
#include "plc/log.h"
#include "plc/clock.h"
#include "plc/version.h"
#include "agent/agent.h"
#include "agent/partition.h"
#include "agent/platform.h"
#include "agent/steal.h"
#include "agent/probe.h"
#include "plc/keyfile.h"
#include "agent/wire.h"
#include "plc/error.h"
#include "proto/placer.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

static const char help[] =
    "Usage: placer-agent --server ENDPOINT --host NAME --backend LIST\n"
    "                    [--server-pub FILE --key FILE] [--link [HOP=]DEV]\n"
    "       placer-agent --probe [--backend deadline]\n"
    "\n"
    "The placer node agent: registers its host with placerd (CPUs, the\n"
    "kernel's SCHED_DEADLINE capacity per CPU as probed, memory, network\n"
    "devices), heartbeats, and enforces the reservations placerd sends:\n"
    "on every (re)connection the whole desired set (what is not in it is\n"
    "removed, what is missing applied), then each apply and remove, each\n"
    "acknowledged with success or the errno and what was attempted.\n"
    "\n"
    "Options:\n"
    "  --server ENDPOINT  placerd's agent socket (placerd --agents-listen)\n"
    "  --server-pub FILE  placerd's public key (CURVE; placer keygen)\n"
    "  --key FILE         this agent's secret key (its PATH.key); without\n"
    "                     these two, placerd must run --insecure-agents\n"
    "  --host NAME        this host's name in placerd's cluster\n"
    "  --backend LIST     comma-separated (default dryrun):\n"
    "                       deadline  SCHED_DEADLINE on every thread of a\n"
    "                                 bound process (placer bind --pid)\n"
    "                       cgroup    CPU quota and cpuset (work that forks)\n"
    "                       htb       an HTB class per reserved link with a\n"
    "                                 u32 filter on its flow (--flow)\n"
    "                       dryrun    records what it would do, alone\n"
    "  --link [HOP=]DEV   the device toward the cluster node HOP (repeat);\n"
    "                     without HOP=, the device toward every next hop\n"
    "  --state-dir DIR    where the journal of what is applied lives\n"
    "                     (default /var/lib/placer-agent); it lets a\n"
    "                     restarted agent find and undo stale state\n"
    "  --cgroup-root DIR  the cgroup mount (default /sys/fs/cgroup)\n"
    "  --cpus LIST        partition: reserve these CPUs (e.g. 1 or 2-3)\n"
    "                     for reservations, each an exclusive cpuset with\n"
    "                     its own root domain, so a thread planned on a\n"
    "                     core runs on that CPU only; they are the host's\n"
    "                     cores for plans; the other CPUs stay load-\n"
    "                     balanced for the rest of the system (on a small\n"
    "                     host that leaves little to it; SCHED_OTHER work\n"
    "                     may still run on a reserved CPU, below every\n"
    "                     reservation)\n"
    "  --probe            print what this host offers as JSON and exit;\n"
    "                     with --backend deadline (root) also the exact\n"
    "                     deadline capacity per CPU and the platform terms\n"
    "  --calibrate N      with the deadline backend, measure the platform\n"
    "                     terms at start over N jobs (default 2000, about\n"
    "                     4 ms each, idle and beside a load; kept per boot\n"
    "                     in the state directory;\n"
    "                     0: do not measure, placerd then uses the cluster\n"
    "                     file's platform block): the CPU a job uses beyond\n"
    "                     its work and its wake-up latency (p99.9 of\n"
    "                     SCHED_DEADLINE pipe round trips), and how far a\n"
    "                     budget overruns (HRTICK_DL is turned on where the\n"
    "                     kernel allows; off, budgets are enforced at the\n"
    "                     tick)\n"
    "  -h, --help         show this help\n"
    "      --version      print the version and exit\n"
    "\n"
    "SIGTERM or SIGINT: exit 0, leaving the reservations in force (placerd\n"
    "decides when they go).\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int send_msg(void *sock, Placer__AgentToServer *m)
{
    m->has_protocol_version = 1;
    m->protocol_version = 1;
    size_t len = placer__agent_to_server__get_packed_size(m);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return -1;
    placer__agent_to_server__pack(m, buf);
    int rc = zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
    free(buf);
    return rc;
}

struct agent_state {
    void *sock;
    const char *host;
    struct agent_host_facts facts;
    double capacity; /* probed, 0 if not */
    int backends;
    struct agent *agent;
    char *devices[16];
    char *addresses[16];
    size_t n_devices;
    long applied, removed, failed;
    bool quiet;                       /* a desired set: one line for all */
    bool calibrated;                  /* platform measured */
    struct agent_partition partition; /* --cpus; n 0: none */
    struct agent_platform platform;
    struct agent_steal steal; /* watched when calibrated */
    char steal_path[640];     /* kept there per boot ("" : nowhere) */
    char boot[48];
    bool steal_sent;    /* the envelope placerd has is the latest */
    char instance[200]; /* machine id and state directory */
    const char *server_pub, *key_file; /* CURVE; NULL: none */
    struct agent_res batch[64];        /* on_messages' applies in a row */
    /* what was last said, so a repeat is said once a minute */
    struct {
        double at;
        uint32_t what;
        bool ok;
    } said_handshake;
    struct {
        char why[256];
        double at;
    } said_refusal;
};

/* The steal envelope as StealPoints (the windows with any steal). */
static size_t steal_points(const struct agent_steal *s, Placer__StealPoint *pt,
                           Placer__StealPoint **pp, Placer__Time *tm)
{
    size_t n = 0;
    for (int w = 0; w < AGENT_STEAL_WINDOWS && s->cap; w++) {
        if (!s->stolen_ns[w])
            continue;
        placer__steal_point__init(&pt[n]);
        placer__time__init(&tm[2 * n]);
        placer__time__init(&tm[2 * n + 1]);
        tm[2 * n].has_ns = tm[2 * n + 1].has_ns = 1;
        tm[2 * n].ns = agent_steal_windows_ns[w];
        tm[2 * n + 1].ns = s->stolen_ns[w];
        pt[n].window = &tm[2 * n];
        pt[n].stolen = &tm[2 * n + 1];
        pp[n] = &pt[n];
        n++;
    }
    return n;
}

static void send_register(struct agent_state *st)
{
    Placer__AgentRegister r = PLACER__AGENT_REGISTER__INIT;
    r.host = (char *)st->host;
    r.has_cores = r.has_memory_bytes = 1;
    /* partitioned, the host's cores for plans are the reserved CPUs */
    r.cores = st->partition.n ? st->partition.n : st->facts.cpus;
    r.memory_bytes = st->facts.memory_bytes;
    if (st->capacity > 0) {
        r.has_core_capacity = 1;
        r.core_capacity = st->capacity;
    }
    char *backends[4];
    size_t nb = 0;
    if (st->backends & AGENT_BE_DRYRUN)
        backends[nb++] = "dryrun";
    if (st->backends & AGENT_BE_DEADLINE)
        backends[nb++] = "deadline";
    if (st->backends & AGENT_BE_CGROUP)
        backends[nb++] = "cgroup";
    if (st->backends & AGENT_BE_HTB)
        backends[nb++] = "htb";
    r.backends = backends;
    r.n_backends = nb;
    Placer__NetDevice dev[16], *devp[16];
    for (size_t i = 0; i < st->n_devices; i++) {
        placer__net_device__init(&dev[i]);
        dev[i].name = st->devices[i];
        dev[i].address = st->addresses[i];
        devp[i] = &dev[i];
    }
    r.devices = devp;
    r.n_devices = st->n_devices;
    Placer__Platform pf = PLACER__PLATFORM__INIT;
    Placer__Time ov = PLACER__TIME__INIT, gr = PLACER__TIME__INIT,
                 wk = PLACER__TIME__INIT, oq[5], wq[5];
    Placer__Time *oqp[5], *wqp[5];
    Placer__StealPoint spt[AGENT_STEAL_WINDOWS], *sptp[AGENT_STEAL_WINDOWS];
    Placer__Time stm[2 * AGENT_STEAL_WINDOWS];
    if (st->calibrated) {
        ov.has_ns = gr.has_ns = wk.has_ns = 1;
        ov.ns = st->platform.overhead_ns;
        gr.ns = st->platform.granularity_ns;
        wk.ns = st->platform.wakeup_ns;
        pf.overhead = &ov;
        pf.granularity = &gr;
        pf.wakeup_latency = &wk;
        pf.has_hrtick = 1;
        pf.hrtick = st->platform.hrtick;
        /* the figures are samples of `jobs`: beyond the largest seen,
         * about one job in `jobs` for each of the two terms */
        pf.has_exceed_probability = 1;
        pf.exceed_probability =
            2.0 / (st->platform.jobs ? st->platform.jobs : 1);
        for (int i = 0; i < 5; i++) {
            placer__time__init(&oq[i]);
            placer__time__init(&wq[i]);
            oq[i].has_ns = wq[i].has_ns = 1;
            oq[i].ns = st->platform.overhead_q[i];
            wq[i].ns = st->platform.wakeup_q[i];
            oqp[i] = &oq[i];
            wqp[i] = &wq[i];
        }
        pf.overhead_quantiles = oqp;
        pf.wakeup_quantiles = wqp;
        pf.n_overhead_quantiles = pf.n_wakeup_quantiles = 5;
        pf.n_steal = steal_points(&st->steal, spt, sptp, stm);
        pf.steal = sptp;
        st->steal_sent = true;
        r.platform = &pf;
        r.platform_note = st->platform.note;
    }
    r.version = PLC_VERSION;
    r.instance = (char *)st->instance;
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_REGISTRATION;
    m.registration = &r;
    send_msg(st->sock, &m);
}

static void send_heartbeat(struct agent_state *st, uint64_t seq)
{
    Placer__AgentHeartbeat hb = PLACER__AGENT_HEARTBEAT__INIT;
    hb.host = (char *)st->host;
    hb.has_seq = 1;
    hb.seq = seq;
    /* the steal envelope, when it grew since placerd had it */
    Placer__StealPoint spt[AGENT_STEAL_WINDOWS], *sptp[AGENT_STEAL_WINDOWS];
    Placer__Time stm[2 * AGENT_STEAL_WINDOWS];
    if (st->calibrated && !st->steal_sent) {
        hb.n_steal = steal_points(&st->steal, spt, sptp, stm);
        hb.steal = sptp;
        st->steal_sent = true;
    }
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_HEARTBEAT;
    m.heartbeat = &hb;
    send_msg(st->sock, &m);
}

/* An acknowledgement for placerd (agent_result_fn). */
static void ack(void *arg, const struct agent_res *r, int op, int errnum,
                const char *error)
{
    struct agent_state *st = arg;
    Placer__AgentAck k = PLACER__AGENT_ACK__INIT;
    k.reservation_id = (char *)r->id;
    k.has_generation = k.has_op = k.has_ok = 1;
    k.generation = r->generation;
    k.op =
        op == 2 ? PLACER__ACK_OP__ACK_OP_REMOVE : PLACER__ACK_OP__ACK_OP_APPLY;
    k.ok = errnum == 0;
    if (errnum) {
        k.has_errno_value = 1;
        k.errno_value = errnum;
        k.error = (char *)error;
        st->failed++;
        plc_log(PLC_LOG_INFO, "%s %s failed: %s (errno %d)",
                op == 2 ? "remove" : "apply", r->id, error, errnum);
    } else if (op == 2) {
        st->removed++;
        if (!st->quiet)
            plc_log(PLC_LOG_INFO, "removed %s", r->id);
    } else {
        st->applied++;
        if (!st->quiet)
            plc_log(PLC_LOG_INFO, "applied %s (generation %llu)", r->id,
                    (unsigned long long)r->generation);
    }
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_ACK;
    m.ack = &k;
    send_msg(st->sock, &m);
}

static void send_report(struct agent_state *st)
{
    size_t n = agent_count(st->agent);
    Placer__Reservation *v = calloc(n + 1, sizeof *v);
    Placer__Reservation **vp = calloc(n + 1, sizeof *vp);
    if (!v || !vp) {
        free(v);
        free(vp);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct agent_applied *e = agent_at(st->agent, i);
        if (e->errnum)
            continue;
        placer__reservation__init(&v[k]);
        v[k].id = (char *)e->res.id;
        v[k].has_generation = 1;
        v[k].generation = e->res.generation;
        vp[k] = &v[k];
        k++;
    }
    Placer__AgentReport rep = PLACER__AGENT_REPORT__INIT;
    rep.active = vp;
    rep.n_active = k;
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_REPORT;
    m.report = &rep;
    send_msg(st->sock, &m);
    free(v);
    free(vp);
}

static void on_desired(struct agent_state *st, const Placer__DesiredSet *d)
{
    struct agent_res *want = calloc(d->n_reservations + 1, sizeof *want);
    if (!want)
        return;
    size_t n = 0;
    for (size_t i = 0; i < d->n_reservations; i++) {
        char why[256];
        if (agent_wire_res(d->reservations[i], &want[n], why, sizeof why))
            n++;
        else
            ack(st, &want[n], 1, EINVAL, why);
    }
    long a0 = st->applied, r0 = st->removed, f0 = st->failed;
    double t0 = plc_now_ms();
    st->quiet = true;
    agent_reconcile(st->agent, want, n, ack, st);
    st->quiet = false;
    plc_log(PLC_LOG_INFO,
            "desired set of %zu: %ld applied or kept, %ld removed, %ld failed "
            "in %.3f ms",
            d->n_reservations, st->applied - a0, st->removed - r0,
            st->failed - f0, plc_now_ms() - t0);
    free(want);
    send_report(st);
}

/* Messages in the order they came; consecutive applies (removes) go
 * together, with one journal write for all. */
static void on_messages(struct agent_state *st, Placer__ServerToAgent **m,
                        size_t n)
{
    struct agent_res *r = st->batch;
    const char *ids[64];
    uint64_t gens[64];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        char why[256];
        switch (m[i]->msg_case) {
        case PLACER__SERVER_TO_AGENT__MSG_DESIRED:
            on_desired(st, m[i++]->desired);
            break;
        case PLACER__SERVER_TO_AGENT__MSG_APPLY:
            for (; i < n && k < 64 &&
                   m[i]->msg_case == PLACER__SERVER_TO_AGENT__MSG_APPLY;
                 i++) {
                if (agent_wire_res(m[i]->apply, &r[k], why, sizeof why))
                    k++;
                else
                    ack(st, &r[k], 1, EINVAL, why);
            }
            agent_apply_many(st->agent, r, k, ack, st);
            break;
        case PLACER__SERVER_TO_AGENT__MSG_REMOVE:
            for (; i < n && k < 64 &&
                   m[i]->msg_case == PLACER__SERVER_TO_AGENT__MSG_REMOVE;
                 i++, k++) {
                ids[k] = m[i]->remove->id ? m[i]->remove->id : "";
                gens[k] = m[i]->remove->generation;
            }
            agent_remove_many(st->agent, ids, gens, k, ack, st);
            break;
        default:
            i++;
            break;
        }
    }
}

/* A key file (placer keygen), or false after saying why. */
static bool read_key(const char *path, char out[41])
{
    int rc = plc_keyfile_read(path, out);
    if (rc < 0)
        plc_log(PLC_LOG_INFO, "'%s' %s", path,
                rc == PLC_ENOENT ? "cannot be read"
                                 : "is not a key file of 'placer keygen'");
    return rc == 0;
}

/* The network devices with an IPv4 address (for the registration). */
static void list_devices(struct agent_state *st)
{
    struct ifaddrs *ifs, *i;
    if (getifaddrs(&ifs) != 0)
        return;
    for (i = ifs; i && st->n_devices < 16; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
            !strcmp(i->ifa_name, "lo"))
            continue;
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
                  sizeof a);
        st->devices[st->n_devices] = strdup(i->ifa_name);
        st->addresses[st->n_devices] = strdup(a);
        st->n_devices++;
    }
    freeifaddrs(ifs);
}

/* The socket monitor's events (libzmq: a frame of a 16-bit event and a
 * 32-bit value, then the endpoint): a failed CURVE handshake said once a
 * minute with what to check, the first success once. */
static void handshake_events(struct agent_state *st, void *mon,
                             const char *server, double now)
{
    __typeof__(st->said_handshake) *said = &st->said_handshake;
    for (;;) {
        zmq_msg_t ev, ep;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&ev) >= 6) {
            memcpy(&event, zmq_msg_data(&ev), 2);
            memcpy(&value, (const char *)zmq_msg_data(&ev) + 2, 4);
        }
        bool more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) {
            zmq_msg_init(&ep);
            zmq_msg_recv(&ep, mon, 0);
            zmq_msg_close(&ep);
        }
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            if (!said->ok)
                plc_log(PLC_LOG_INFO, "CURVE handshake with %s done", server);
            said->ok = true;
            said->what = 0;
            continue;
        }
        uint32_t what = (uint32_t)event << 16 ^ value;
        if (what == said->what && now - said->at < 60000)
            continue;
        said->what = what;
        said->at = now;
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            plc_log(PLC_LOG_WARN,
                    "placerd at %s refused this agent's key (status %u): "
                    "its public key must be in placerd's --agent-keys "
                    "directory as HOST.pub, named after this host; "
                    "retrying",
                    server, value);
        else
            plc_log(PLC_LOG_WARN,
                    "the CURVE handshake with %s failed (%s): check that "
                    "--server-pub is the public key of that placerd's "
                    "--server-key; retrying",
                    server,
                    event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                        ? "a protocol error"
                        : "placerd closed the connection");
    }
}

static int run(const char *server, struct agent_state *st)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    st->sock = sock;
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    const char *server_pub = st->server_pub, *key_file = st->key_file;
    if (server_pub || key_file) {
        /* CURVE: placerd's public key, and this agent's own pair */
        char spub[41], sec[41], pub[41];
        if (!server_pub || !key_file) {
            plc_log(PLC_LOG_INFO, "--server-pub and --key go together");
            zmq_close(sock);
            zmq_ctx_term(ctx);
            return PLC_EXIT_USAGE;
        }
        if (!read_key(server_pub, spub) || !read_key(key_file, sec) ||
            zmq_curve_public(pub, sec) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spub, 40) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
            zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40) != 0) {
            zmq_close(sock);
            zmq_ctx_term(ctx);
            return PLC_EXIT_DATAERR;
        }
    }
    /* with CURVE, watch the handshakes: a refusal is otherwise silent on
     * this side (libzmq retries the connection for good) */
    void *mon = NULL;
    if (server_pub &&
        zmq_socket_monitor(sock, "inproc://placer-agent.monitor",
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
        mon = zmq_socket(ctx, ZMQ_PAIR);
        if (mon && zmq_connect(mon, "inproc://placer-agent.monitor") != 0) {
            zmq_close(mon);
            mon = NULL;
        }
    }
    if (zmq_connect(sock, server) != 0) {
        plc_log(PLC_LOG_INFO, "--server: cannot use '%s' (%s)", server,
                zmq_strerror(errno));
        if (mon)
            zmq_close(mon);
        zmq_close(sock);
        zmq_ctx_term(ctx);
        return PLC_EXIT_USAGE;
    }
    char cap[48] = "deadline capacity not probed";
    if (st->capacity > 0)
        snprintf(cap, sizeof cap, "deadline capacity %.4f per CPU",
                 st->capacity);
    plc_log(PLC_LOG_INFO,
            "host %s: %d CPUs (%s), %llu bytes, %zu reservations in the "
            "journal; connecting to %s",
            st->host, st->facts.cpus, cap,
            (unsigned long long)st->facts.memory_bytes, agent_count(st->agent),
            server);
    unsigned heartbeat = 1000;
    double last_heard = plc_now_ms(), next_beat = 0, retry = 0, next_scan = 0;
    double next_steal = 0, steal_said = -1e9;
    bool registered = false;
    uint64_t seq = 0;
    send_register(st);
    retry = plc_now_ms() + 1000; /* the answer comes first, normally */
    while (!stop) {
        zmq_pollitem_t it[2] = {{sock, 0, ZMQ_POLLIN, 0},
                                {mon, 0, ZMQ_POLLIN, 0}};
        double now = plc_now_ms();
        long wait = (long)((registered ? next_beat : retry) - now);
        if (wait < 0)
            wait = 0;
        if (wait > 200)
            wait = 200; /* look at the stop flag now and then */
        if (st->steal.cap && wait > (long)(next_steal - now))
            wait = next_steal > now ? (long)(next_steal - now) : 0;
        zmq_poll(it, mon ? 2 : 1, wait);
        now = plc_now_ms();
        if (mon)
            handshake_events(st, mon, server, now);
        Placer__ServerToAgent *batch[256];
        size_t nb = 0;
        while (!stop && nb < 256) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                break;
            }
            Placer__ServerToAgent *m = placer__server_to_agent__unpack(
                NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
            last_heard = now;
            if (m && m->msg_case == PLACER__SERVER_TO_AGENT__MSG_REGISTERED) {
                const Placer__RegisterReply *r = m->registered;
                if (r->accepted) {
                    if (!registered)
                        plc_log(PLC_LOG_INFO, "registered with placerd (%s)",
                                r->message ? r->message : "");
                    registered = true;
                    if (r->has_heartbeat_ms && r->heartbeat_ms)
                        heartbeat = r->heartbeat_ms;
                    next_beat = now + heartbeat;
                } else {
                    /* the same refusal again: once a minute */
                    const char *why = r->message ? r->message : "refused";
                    char *said = st->said_refusal.why;
                    if (strcmp(said, why) ||
                        now - st->said_refusal.at > 60000) {
                        plc_log(PLC_LOG_INFO,
                                "placerd: %s; registering again every second",
                                why);
                        snprintf(said, sizeof st->said_refusal.why, "%s", why);
                        st->said_refusal.at = now;
                    }
                    registered = false;
                    retry = now + 1000;
                }
            } else if (m && registered &&
                       m->msg_case != PLACER__SERVER_TO_AGENT__MSG_HEARTBEAT) {
                batch[nb++] = m; /* handled below, together */
                m = NULL;
            }
            if (m)
                placer__server_to_agent__free_unpacked(m, NULL);
            zmq_msg_close(&msg);
        }
        on_messages(st, batch, nb);
        for (size_t i = 0; i < nb; i++)
            placer__server_to_agent__free_unpacked(batch[i], NULL);
        now = plc_now_ms();
        if (registered && now >= next_beat) {
            send_heartbeat(st, ++seq);
            next_beat = now + heartbeat;
            /* placerd silent for three heartbeats: start over */
            if (now - last_heard > 3.0 * heartbeat && seq % 3 == 0) {
                registered = false;
                retry = now;
            }
        }
        if (st->steal.cap && now >= next_steal) {
            if (agent_steal_sample(&st->steal, NULL,
                                   plc_clock_ns(CLOCK_MONOTONIC))) {
                st->steal_sent = false;
                if (st->steal_path[0])
                    agent_steal_save(&st->steal, st->steal_path, st->boot);
                if (now - steal_said > 10000) {
                    plc_log(PLC_LOG_INFO,
                            "the host took CPU time (steal): up to %llu us in "
                            "100 ms, %llu us in 1 s, %llu us in 60 s so far",
                            (unsigned long long)st->steal.stolen_ns[0] / 1000,
                            (unsigned long long)st->steal.stolen_ns[3] / 1000,
                            (unsigned long long)st->steal.stolen_ns[8] / 1000);
                    steal_said = now;
                }
            }
            next_steal = now + AGENT_STEAL_SAMPLE_NS / 1e6;
        }
        if (registered && now >= next_scan) {
            /* new threads of bound processes; processes gone */
            agent_rescan(st->agent, ack, st);
            next_scan = now + 500;
        }
        if (!registered && now >= retry) {
            send_register(st);
            retry = now + 1000;
        }
    }
    plc_log(PLC_LOG_INFO,
            "stopping (%ld applied, %ld removed, %ld failed); reservations "
            "stay in force",
            st->applied, st->removed, st->failed);
    if (mon) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(mon);
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

/* The first line of a file without its newline ("" when unreadable). */
static void first_line(const char *path, char *out, size_t len)
{
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(out, (int)len, f))
            out[0] = 0;
        fclose(f);
    }
    out[strcspn(out, "\n")] = 0;
}

/*
 * The platform terms, measured once per boot: a file beside the journal
 * keeps them ("v2:BOOT_ID overhead wakeup granularity hrtick jobs", ns), so an
 * agent restarting on the same boot registers at once.  `path` NULL:
 * measure, keep nothing.
 */
static int calibrate(struct agent_state *st, unsigned jobs, const char *path)
{
    /* the boot, and how it was measured (v2: idle and beside a load, on
     * the reserved CPU): figures measured otherwise are measured again */
    char id[48], boot[64];
    first_line("/proc/sys/kernel/random/boot_id", id, sizeof id);
    snprintf(boot, sizeof boot, "v2:%s", id);
    FILE *f = path ? fopen(path, "r") : NULL;
    if (f) {
        char was[64];
        unsigned long long v[13];
        int hr;
        unsigned n;
        if (fscanf(f,
                   "%63s %llu %llu %llu %d %u %llu %llu %llu %llu %llu %llu "
                   "%llu %llu %llu %llu",
                   was, &v[0], &v[1], &v[2], &hr, &n, &v[3], &v[4], &v[5],
                   &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12]) == 16 &&
            !strcmp(was, boot) && n >= jobs) {
            st->platform = (struct agent_platform){0};
            st->platform.overhead_ns = v[0];
            st->platform.wakeup_ns = v[1];
            st->platform.granularity_ns = v[2];
            st->platform.jobs = n;
            for (int i = 0; i < 5; i++) {
                st->platform.overhead_q[i] = v[3 + i];
                st->platform.wakeup_q[i] = v[8 + i];
            }
            agent_platform_hrtick(NULL, &st->platform.hrtick, st->platform.note,
                                  sizeof st->platform.note);
            st->calibrated = true;
            fclose(f);
            plc_log(PLC_LOG_INFO,
                    "platform (measured earlier this boot, %u jobs): overhead "
                    "%llu ns, wake-up %llu ns, overrun %llu ns; %s",
                    n, v[0], v[1], v[2], st->platform.note);
            return 0;
        }
        fclose(f);
    }
    struct plc_error err = PLC_ERROR_INIT;
    int e = agent_platform_measure(
        jobs, st->partition.n ? &st->partition : NULL, &st->platform, &err);
    if (e) {
        fprintf(stderr, "placer-agent: %s\n", err.msg);
        return e == EPERM ? PLC_EXIT_NOPERM : PLC_EXIT_SOFTWARE;
    }
    st->calibrated = true;
    plc_log(PLC_LOG_INFO,
            "platform measured over %u jobs: overhead %llu ns, wake-up %llu "
            "ns (p99.9), budget overrun up to %llu ns; %s",
            st->platform.jobs, (unsigned long long)st->platform.overhead_ns,
            (unsigned long long)st->platform.wakeup_ns,
            (unsigned long long)st->platform.granularity_ns, st->platform.note);
    if (path && (f = fopen(path, "w"))) {
        fprintf(f, "%s %llu %llu %llu %d %u", boot,
                (unsigned long long)st->platform.overhead_ns,
                (unsigned long long)st->platform.wakeup_ns,
                (unsigned long long)st->platform.granularity_ns,
                st->platform.hrtick, st->platform.jobs);
        for (int i = 0; i < 5; i++)
            fprintf(f, " %llu", (unsigned long long)st->platform.overhead_q[i]);
        for (int i = 0; i < 5; i++)
            fprintf(f, " %llu", (unsigned long long)st->platform.wakeup_q[i]);
        fputc('\n', f);
        fclose(f);
    }
    return 0;
}

/* The deadline capacity per CPU: what the kernel still admits plus what
 * this agent's own reservations hold. */
static int probe_capacity(struct agent_state *st)
{
    struct plc_error err = PLC_ERROR_INIT;
    double free_per_cpu;
    int e = agent_deadline_probe(st->facts.cpus, &st->partition, &free_per_cpu,
                                 &err);
    if (e) {
        plc_log(PLC_LOG_INFO, "%s%s", err.msg,
                e == EPERM ? " (the deadline backend needs root or "
                             "CAP_SYS_NICE)"
                           : "");
        return PLC_EXIT_SOFTWARE;
    }
    double held = st->agent ? agent_deadline_held(st->agent) : 0;
    /* partitioned: what one reserved CPU admits (the agent's own
     * reservations spread over the reserved CPUs) */
    st->capacity = free_per_cpu +
                   held / (st->partition.n ? st->partition.n : st->facts.cpus);
    if (st->capacity > 1)
        st->capacity = 1;
    return 0;
}

static int mkdirs(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s", dir);
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = 0;
            mkdir(p, 0755);
            *c = '/';
        }
    return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int main(int argc, char **argv)
{
    plc_log_init("placer-agent", PLC_LOG_INFO);
    enum {
        O_SERVER = 256,
        O_HOST,
        O_BACKEND,
        O_PROBE,
        O_SPUB,
        O_KEY,
        O_LINK,
        O_STATE,
        O_CGROUP,
        O_CALIBRATE,
        O_CPUS
    };
    static const struct option opts[] = {
        {"server", required_argument, 0, O_SERVER},
        {"host", required_argument, 0, O_HOST},
        {"backend", required_argument, 0, O_BACKEND},
        {"probe", no_argument, 0, O_PROBE},
        {"server-pub", required_argument, 0, O_SPUB},
        {"key", required_argument, 0, O_KEY},
        {"link", required_argument, 0, O_LINK},
        {"state-dir", required_argument, 0, O_STATE},
        {"cgroup-root", required_argument, 0, O_CGROUP},
        {"calibrate", required_argument, 0, O_CALIBRATE},
        {"cpus", required_argument, 0, O_CPUS},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    const char *server = NULL, *host = NULL, *backend = "dryrun";
    const char *state_dir = "/var/lib/placer-agent", *cgroup_root = NULL;
    unsigned calib_jobs = 2000;
    const char *cpus = NULL;
    struct agent_link links[32];
    size_t n_links = 0;
    struct agent_state st = {0};
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
            st.server_pub = optarg;
            break;
        case O_KEY:
            st.key_file = optarg;
            break;
        case O_LINK: {
            if (n_links == 32) {
                fputs("placer-agent: --link: at most 32\n", stderr);
                return PLC_EXIT_USAGE;
            }
            const char *eq = strchr(optarg, '=');
            struct agent_link *l = &links[n_links++];
            if (eq) {
                snprintf(l->next_hop, sizeof l->next_hop, "%.*s",
                         (int)(eq - optarg), optarg);
                snprintf(l->device, sizeof l->device, "%s", eq + 1);
            } else {
                snprintf(l->device, sizeof l->device, "%s", optarg);
            }
            if (!l->device[0] || if_nametoindex(l->device) == 0) {
                fprintf(stderr,
                        "placer-agent: --link: no network device '%s' here\n",
                        l->device);
                return PLC_EXIT_USAGE;
            }
            break;
        }
        case O_CALIBRATE: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 1000000 || (v > 0 && v < 100)) {
                fprintf(stderr,
                        "placer-agent: --calibrate: '%s' is not 0 "
                        "or a number of jobs from 100 to 1000000\n",
                        optarg);
                return PLC_EXIT_USAGE;
            }
            calib_jobs = (unsigned)v;
            break;
        }
        case O_CPUS:
            cpus = optarg;
            break;
        case O_STATE:
            state_dir = optarg;
            break;
        case O_CGROUP:
            cgroup_root = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        case 'V':
            puts("placer-agent " PLC_VERSION);
            return 0;
        default:
            fputs("Try 'placer-agent --help'.\n", stderr);
            return PLC_EXIT_USAGE;
        }
    }
    struct plc_error err = PLC_ERROR_INIT;
    int backends = agent_backends_parse(backend, &err);
    if (!backends) {
        fprintf(stderr, "placer-agent: --backend: %s\n", err.msg);
        return PLC_EXIT_USAGE;
    }
    st.backends = backends;
    if (agent_probe_facts("/proc", &st.facts, &err) < 0) {
        fprintf(stderr, "placer-agent: %s\n", err.msg);
        return PLC_EXIT_SOFTWARE;
    }
    if (probe) {
        if ((backends & AGENT_BE_DEADLINE) && probe_capacity(&st))
            return PLC_EXIT_SOFTWARE;
        printf("{\"schema\": 1, \"cpus\": %d, \"memory_bytes\": %llu, "
               "\"rt_runtime_us\": %lld, \"rt_period_us\": %lld",
               st.facts.cpus, (unsigned long long)st.facts.memory_bytes,
               (long long)st.facts.rt_runtime_us,
               (long long)st.facts.rt_period_us);
        if (st.capacity > 0)
            printf(", \"deadline_capacity_per_cpu\": %.4f", st.capacity);
        if ((backends & AGENT_BE_DEADLINE) && calib_jobs) {
            int e = calibrate(&st, calib_jobs, NULL);
            if (e)
                return e;
            printf(", \"platform\": {\"overhead_ns\": %llu, "
                   "\"wakeup_latency_ns\": %llu, \"granularity_ns\": %llu, "
                   "\"hrtick\": %s, \"jobs\": %u}",
                   (unsigned long long)st.platform.overhead_ns,
                   (unsigned long long)st.platform.wakeup_ns,
                   (unsigned long long)st.platform.granularity_ns,
                   st.platform.hrtick ? "true" : "false", st.platform.jobs);
        }
        printf("}\n");
        return 0;
    }
    if (!server || !host) {
        fputs("placer-agent: --server ENDPOINT and --host NAME are required\n"
              "Try 'placer-agent --help'.\n",
              stderr);
        return PLC_EXIT_USAGE;
    }
    char journal[600];
    if (!(backends & AGENT_BE_DRYRUN) ||
        strcmp(state_dir, "/var/lib/placer-agent")) {
        if (mkdirs(state_dir) != 0) {
            fprintf(stderr,
                    "placer-agent: --state-dir: cannot create '%s' "
                    "(%s)\n",
                    state_dir, strerror(errno));
            return PLC_EXIT_CANTCREAT;
        }
        snprintf(journal, sizeof journal, "%s/%s.json", state_dir, host);
    } else {
        journal[0] = 0; /* dryrun: nothing in the kernel to find again */
    }
    if (cpus) {
        if (!(backends & AGENT_BE_DEADLINE) || (backends & AGENT_BE_CGROUP)) {
            fputs("placer-agent: --cpus partitions CPUs for the deadline "
                  "backend; use it with --backend deadline (the cgroup "
                  "backend's cpusets cannot overlap exclusive ones)\n",
                  stderr);
            return PLC_EXIT_USAGE;
        }
        if (agent_partition_parse(cpus, st.facts.cpus, &st.partition, &err) <
            0) {
            fprintf(stderr, "placer-agent: %s\n", err.msg);
            return PLC_EXIT_USAGE;
        }
        int pe = agent_partition_setup(&st.partition, cgroup_root,
                                       st.facts.cpus, &err);
        if (pe) {
            fprintf(stderr, "placer-agent: --cpus: %s\n", err.msg);
            return pe == EACCES || pe == EPERM ? PLC_EXIT_NOPERM
                                               : PLC_EXIT_SOFTWARE;
        }
        char list[256] = "";
        for (int k = 0; k < st.partition.n; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d",
                     k ? "," : "", st.partition.cpu[k]);
        plc_log(PLC_LOG_INFO,
                "CPUs %s reserved, each an exclusive cpuset and its own root "
                "domain (%s/placer-cpuN); the other CPUs stay load-balanced in "
                "%s/placer-rest",
                list, st.partition.root, st.partition.root);
    }
    struct agent_config cfg = {backends,    journal[0] ? journal : NULL,
                               cgroup_root, links,
                               n_links,     cpus ? &st.partition : NULL};
    int rc = agent_open(&st.agent, &cfg, &err);
    if (rc < 0) {
        fprintf(stderr, "placer-agent: %s\n", err.msg);
        return plc_exit_code(rc);
    }
    if ((backends & AGENT_BE_DEADLINE) && (rc = probe_capacity(&st)) != 0) {
        agent_close(st.agent);
        return rc;
    }
    if ((backends & AGENT_BE_DEADLINE) && calib_jobs) {
        char cal[640];
        snprintf(cal, sizeof cal, "%s/%s.platform", state_dir, host);
        if ((rc = calibrate(&st, calib_jobs, journal[0] ? cal : NULL)) != 0) {
            agent_close(st.agent);
            return rc;
        }
    }
    /* with the platform measured, the host's steal of the CPUs the plans
     * use is watched from now on */
    if (st.calibrated &&
        agent_steal_init(&st.steal, st.partition.n ? st.partition.cpu : NULL,
                         st.partition.n) != 0) {
        agent_close(st.agent);
        fputs("placer-agent: out of memory\n", stderr);
        return PLC_EXIT_SOFTWARE;
    }
    /* steal seen earlier in this boot, by an earlier run, still counts */
    if (st.calibrated && journal[0]) {
        snprintf(st.steal_path, sizeof st.steal_path, "%s/%s.steal", state_dir,
                 host);
        first_line("/proc/sys/kernel/random/boot_id", st.boot, sizeof st.boot);
        if (agent_steal_load(&st.steal, st.steal_path, st.boot))
            plc_log(PLC_LOG_INFO,
                    "steal seen earlier this boot: up to %llu us in 100 ms",
                    (unsigned long long)st.steal.stolen_ns[0] / 1000);
    }
    st.host = host;
    list_devices(&st);
    /* this agent across its restarts: the machine and its journal (a
     * journal-less dryrun agent is itself only while it runs) */
    char machine[64];
    first_line("/etc/machine-id", machine, sizeof machine);
    if (journal[0])
        snprintf(st.instance, sizeof st.instance, "%.40s:%.150s", machine,
                 journal);
    else
        snprintf(st.instance, sizeof st.instance, "%s:pid %d", machine,
                 (int)getpid());
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    rc = run(server, &st);
    agent_close(st.agent);
    agent_steal_release(&st.steal);
    for (size_t i = 0; i < st.n_devices; i++) {
        free(st.devices[i]);
        free(st.addresses[i]);
    }
    return rc;
}
