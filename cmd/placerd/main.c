/*
 * placerd: the central placement service.
 *
 * The service itself is server/ (requests, the admission queue, the group
 * commit, the agents' reservations); this is its daemon: options, the
 * store's lock, ZeroMQ (transport.c), signals and systemd's notify
 * protocol, on one libuv loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "options.h"
#include "plc/error.h"
#include "plc/log.h"
#include "server/server.h"
#include "http.h"
#include "token.h"
#include "transport.h"
#include "plc/buf.h"
#include "store/store.h"

/* Hold DB.lock (flock, exclusive) for as long as this process lives, with
 * "pid endpoint" in it for the one that finds it taken.  0, or the exit
 * code: 75 when another placerd holds it, 73 when it cannot be made. */
static int lock_store(const char *db, const char *listen, int *fd_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.lock", db);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "placerd: cannot create the lock file '%s' (%s)\n",
                path, strerror(errno));
        return PLC_EXIT_CANTCREAT;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[256] = "";
        ssize_t n = pread(fd, who, sizeof who - 1, 0);
        who[n > 0 ? n : 0] = 0;
        who[strcspn(who, "\n")] = 0;
        int pid = 0;
        char ep[200] = "?";
        sscanf(who, "%d %199s", &pid, ep);
        close(fd);
        if (e == EWOULDBLOCK) {
            fprintf(stderr,
                    "placerd: another placerd (pid %d, listening on %s) "
                    "serves the store '%s'; stop it first, or give this one "
                    "another --db\n",
                    pid, ep, db);
            return PLC_EXIT_TEMPFAIL;
        }
        fprintf(stderr, "placerd: cannot lock '%s' (%s)\n", path, strerror(e));
        return PLC_EXIT_CANTCREAT;
    }
    char line[300];
    int len = snprintf(line, sizeof line, "%d %s\n", (int)getpid(), listen);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
        fprintf(stderr, "placerd: cannot write the lock file '%s' (%s)\n", path,
                strerror(errno));
    *fd_out = fd;
    return 0;
}

struct daemon {
    uv_loop_t *loop;
    struct srv *srv;
    struct transport t;
    struct http http;
    uv_signal_t sigterm, sigint, sighup;
    bool signals;
};

/* srv_stop()'s: nothing runs any more; let the loop run out. */
static void on_stopped(void *arg)
{
    struct daemon *d = arg;
    transport_stop(&d->t);
    http_stop(&d->http);
    if (d->signals) {
        uv_close((uv_handle_t *)&d->sigterm, NULL);
        uv_close((uv_handle_t *)&d->sigint, NULL);
        uv_close((uv_handle_t *)&d->sighup, NULL);
        d->signals = false;
    }
}

static void on_signal(uv_signal_t *h, int sig)
{
    struct daemon *d = h->data;
    plc_log(PLC_LOG_INFO, "%s: stopping%s; %zu waiting will hear 'busy'",
            strsignal(sig),
            srv_planning(d->srv) ? " after the admission in progress" : "",
            srv_queued(d->srv));
    sd_notify(0, "STOPPING=1");
    srv_stop(d->srv, on_stopped, d);
}

/* SIGHUP: the configuration is read at start only; said, and ignored
 * (a daemon killed by a reload signal is worse than one that says no). */
static void on_sighup(uv_signal_t *h, int sig)
{
    (void)h;
    (void)sig;
    plc_log(PLC_LOG_WARN, "SIGHUP: placerd reads its configuration only at "
                          "start; restart it to apply changes (ignored)");
}

static void signals_start(struct daemon *d)
{
    uv_signal_init(d->loop, &d->sigterm);
    uv_signal_init(d->loop, &d->sigint);
    uv_signal_init(d->loop, &d->sighup);
    d->sigterm.data = d->sigint.data = d->sighup.data = d;
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sighup, on_sighup, SIGHUP);
    d->signals = true;
    signal(SIGPIPE, SIG_IGN);
}

/* `placerd --check`: the file's integrity and foreign keys; 0, or 65 after
 * listing the problems. */
static int check_store(const char *path)
{
    struct store *st;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_open(path, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        return plc_exit_code(rc);
    }
    struct plc_buf problems = PLC_BUF_INIT;
    long n = 0;
    rc = store_verify(st, &problems, &n, &err);
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        plc_buf_release(&problems);
        return plc_exit_code(rc);
    }
    if (n) {
        fprintf(stderr,
                "placerd: store '%s' is damaged: SQLite's integrity and "
                "foreign-key checks found %ld problem%s:\n%s"
                "placerd: restore the store from a backup (sqlite3 '%s' "
                "'.recover' may save what is left)\n",
                path, n, n == 1 ? "" : "s", plc_buf_str(&problems), path);
        plc_buf_release(&problems);
        return PLC_EXIT_DATAERR;
    }
    plc_buf_release(&problems);
    printf("placerd: store '%s': integrity and foreign keys ok\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    plc_log_init("placerd", PLC_LOG_INFO);
    /* each plan allocates and frees a few MB (routes, models): kept in the
     * heap rather than mapped and unmapped each time, which costs page
     * faults on every admission */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    struct options o = {0};
    struct daemon d = {0};
    struct plc_error err = PLC_ERROR_INIT;
    int lock_fd = -1;
    int code = options_parse(&o, argc, argv);
    if (code >= 0)
        goto out_options;
    code = PLC_EXIT_OK;
    if (o.token_argc) {
        code = token_command(o.db, o.token_argc, o.token_argv);
        goto out_options;
    }
    if (o.server_key && (code = transport_keys(&d.t, o.server_key, o.agent_keys,
                                               o.client_keys)) != 0)
        goto out_keys;
    /* one placerd per store: a second would take over the endpoints while
     * the first keeps running */
    if ((code = lock_store(o.db, o.listen, &lock_fd)) != 0)
        goto out_keys;
    /* --check: SQLite's checks of the file first, before placerd loads
     * or repairs anything from it (opening applies pending migrations) */
    if (o.check && (code = check_store(o.db)) != 0)
        goto out_lock;
    d.loop = uv_default_loop();
    struct srv_options so = {
        .db = o.db,
        .queue_max = o.queue > 0 ? (size_t)o.queue : 64,
        .agents_allowed = o.insecure_agents || d.t.agents_curve,
        .tokens_required = !o.insecure_clients,
        .agent_send = transport_agent_send,
        .agent_arg = &d.t,
    };
    int rc = srv_open(&d.srv, d.loop, &so, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        code = plc_exit_code(rc);
        goto out_lock;
    }
    if (o.check) {
        printf("placerd: store '%s' at schema version %d%s\n", o.db,
               srv_schema_version(d.srv),
               srv_repaired(d.srv) ? " (reserved totals repaired)" : "");
        goto out_loop;
    }
    if ((code = transport_start(&d.t, d.loop, d.srv, o.listen, o.agents)) != 0)
        goto out_loop;
    if (o.http && (code = http_start(&d.http, d.loop, d.srv, o.http,
                                     o.http_cert, o.http_key)) != 0)
        goto out_loop;
    signals_start(&d);
    plc_log(
        PLC_LOG_INFO, "serving %s (store %s, schema %d, %s); agents on %s %s",
        o.listen, o.db, srv_schema_version(d.srv),
        srv_has_cluster(d.srv) ? "cluster loaded" : "no cluster yet", o.agents,
        d.t.agents_curve    ? "(CURVE: the keys of --agent-keys, each for "
                              "the host its file is named after)"
        : so.agents_allowed ? "(without keys: --insecure-agents)"
                            : "(refused: without CURVE keys agents need "
                              "--insecure-agents on ipc:// or loopback)");
    plc_log(PLC_LOG_INFO, "clients on %s: %s%s", o.listen,
            o.insecure_clients
                ? "requests without a token act as an admin "
                  "(--insecure-clients)"
                : "every request carries a bearer token (placerd token "
                  "create)",
            d.t.clients_curve ? ", or comes over CURVE with a key of "
                                "--client-keys (its tenant's, or an admin's)"
                              : "");
    if (o.http)
        plc_log(PLC_LOG_INFO, "HTTP API on %s://%s/v1/",
                o.http_cert ? "https" : "http", o.http);
    /* systemd (Type=notify): serving now; nothing without NOTIFY_SOCKET */
    sd_notifyf(0, "READY=1\nSTATUS=serving %s; agents on %s; store %s",
               o.listen, o.agents, o.db);
    uv_run(d.loop, UV_RUN_DEFAULT);
    plc_log(PLC_LOG_INFO, "stopped after %ld replies", srv_served(d.srv));
out_loop:
    /* whatever handles were started, closed, and their callbacks run */
    on_stopped(&d);
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    srv_close(d.srv);
out_lock:
    close(lock_fd);
out_keys:
    transport_release(&d.t);
out_options:
    options_release(&o);
    return code;
}
