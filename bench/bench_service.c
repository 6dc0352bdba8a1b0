/*
 * bench_service: durable admissions per second through placerd, end to
 * end (ZeroMQ over tcp loopback, the plan, the SQLite commit with
 * synchronous=FULL, the reply), with 1 and 8 concurrent clients, for
 * 1-service and 5-service workflows on a 128-host fat-tree (k = 8, 32
 * cores per host); then status queries while 8 clients keep admitting.
 * Prints admissions per second and p50/p99 latency per row.
 *
 * Usage: bench_service BIN_DIR [SECONDS [K]]   (seconds per row, default
 * 3; a k = K fat-tree, default 8)
 *
 * bench_service BIN_DIR fill [K [CLIENTS [SEED]]]: the cluster filling up.
 * A k = K fat-tree (default 16: 1,024 hosts) of 4 cores at 0.9; CLIENTS
 * (default 8) submit 5-service chains (each service 1.8 ms every 10 ms, so
 * 0.9 core per workflow, 1 Mbit links, the user at a random host drawn
 * from SEED) until every core is full or 200 in a row are rejected;
 * per window of 500 admissions (a tenth of the cluster's on smaller ones): how
 * full, admissions per second, p50 and p99 latency, rejections.
 *
 * BENCH_LOG=FILE in the environment appends placerd's log there (else it
 * goes to /dev/null).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_client.h"
#include "bench_util.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static char endpoint[64];
static double seconds = 3;
static void *zctx;

static int call(void *sock, const Placer__Request *req)
{
    return bench_call_case(sock, (Placer__Request *)req);
}

static void *socket_new(void)
{
    return bench_socket(zctx, endpoint, 60000);
}

static const char *wcet = "100us"; /* per service, every 10 ms */

static Placer__Workflow *workflow(int services)
{
    char j[4096];
    bench_workflow_json(j, sizeof j, "w", "h-0-0-0", services, wcet);
    struct proto_doc d = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_doc_load_text(&d, "w", j, strlen(j), PROTO_DOC_WORKFLOW, &err)) {
        fprintf(stderr, "bench_service: bad workflow\n");
        exit(1);
    }
    Placer__Workflow *w = (Placer__Workflow *)d.msg;
    d.msg = NULL; /* keep the message */
    proto_doc_release(&d);
    return w;
}

struct worker {
    pthread_t t;
    int id, services;
    bool status_only;
    const char *probe; /* status: a workflow that exists */
    const char *const *hosts;
    size_t n_hosts;
    double *lat;
    int n, cap, errors, rejected;
    volatile bool *stop;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    void *s = socket_new();
    Placer__Workflow *wf = w->status_only ? NULL : workflow(w->services);
    char name[64];
    unsigned seed = (unsigned)w->id * 7919u + 1;
    double end = bench_now_us() + seconds * 1e6;
    for (int i = 0; !*w->stop && bench_now_us() < end && w->n < w->cap; i++) {
        Placer__Request req = PLACER__REQUEST__INIT;
        req.has_protocol_version = req.has_id = 1;
        req.protocol_version = 1;
        req.id = (uint64_t)i;
        Placer__SubmitRequest sub = PLACER__SUBMIT_REQUEST__INIT;
        Placer__StatusRequest st = PLACER__STATUS_REQUEST__INIT;
        if (w->status_only) {
            st.name = (char *)w->probe;
            st.tenant = "bench";
            req.op_case = PLACER__REQUEST__OP_STATUS;
            req.status = &st;
        } else {
            snprintf(name, sizeof name, "w%d-%d", w->id, i);
            wf->name = name;
            /* the user at a random host: spreads the traffic */
            wf->endpoints[0]->node =
                (char *)w->hosts[rand_r(&seed) % w->n_hosts];
            sub.workflow = wf;
            req.op_case = PLACER__REQUEST__OP_SUBMIT;
            req.submit = &sub;
        }
        double t0 = bench_now_us();
        int k = call(s, &req);
        double dt = bench_now_us() - t0;
        if (k == PLACER__RESPONSE__RESULT_PLAN)
            w->lat[w->n++] = dt / 1000;
        else if (k == -2)
            w->rejected++;
        else
            w->errors++;
        if (k == -1) {
            zmq_close(s);
            s = socket_new();
        }
    }
    if (wf) {
        wf->name = NULL;
        for (size_t e = 0; e < wf->n_endpoints; e++)
            wf->endpoints[e]->node = NULL;
        placer__workflow__free_unpacked(wf, NULL);
    }
    zmq_close(s);
    return NULL;
}

static const char *const *hosts_of(const Placer__Cluster *c)
{
    const char **h = calloc(c->n_hosts, sizeof *h);
    for (size_t i = 0; i < c->n_hosts; i++)
        h[i] = c->hosts[i]->name;
    return h;
}

/* One row: `clients` submitters (and a status prober if `probe`). */
static void row(const Placer__Cluster *c, int clients, int services, bool probe)
{
    struct worker w[9];
    volatile bool stop = false;
    const char *const *hosts = hosts_of(c);
    int n = clients + (probe ? 1 : 0);
    double t0 = bench_now_us();
    char probe_name[64];
    snprintf(probe_name, sizeof probe_name, "w%d-0",
             (int)(t0 / 1000) % 100000 * 10);
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){0};
        w[i].id = i + (int)(t0 / 1000) % 100000 * 10;
        w[i].services = services;
        w[i].status_only = i == clients;
        w[i].probe = probe_name;
        w[i].hosts = hosts;
        w[i].n_hosts = c->n_hosts;
        w[i].cap = 400000;
        w[i].lat = malloc((size_t)w[i].cap * sizeof *w[i].lat);
        w[i].stop = &stop;
        pthread_create(&w[i].t, NULL, run_worker, &w[i]);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(w[i].t, NULL);
    stop = true;
    if (probe)
        pthread_join(w[clients].t, NULL);
    double el = (bench_now_us() - t0) / 1e6;
    int total = 0, errors = 0, rejected = 0;
    double *all = malloc(400000 * (size_t)clients * sizeof *all);
    for (int i = 0; i < clients; i++) {
        memcpy(all + total, w[i].lat, (size_t)w[i].n * sizeof *all);
        total += w[i].n;
        errors += w[i].errors;
        rejected += w[i].rejected;
    }
    printf("  %d client%s, %d-service workflows: %7.0f admissions/s, p50 "
           "%6.2f ms, p99 %6.2f ms (%d admitted, %d rejected, %d errors, "
           "%.1f s)\n",
           clients, clients == 1 ? " " : "s", services, total / el,
           bench_pct(all, total, 0.5), bench_pct(all, total, 0.99), total,
           rejected, errors, el);
    if (probe)
        printf("     status while admitting: %7.0f queries/s, p50 %6.3f ms, "
               "p99 %6.3f ms\n",
               w[clients].n / el, bench_pct(w[clients].lat, w[clients].n, 0.5),
               bench_pct(w[clients].lat, w[clients].n, 0.99));
    fflush(stdout);
    for (int i = 0; i < n; i++)
        free(w[i].lat);
    free(all);
    free((void *)hosts);
}

/* The filling run: every answer in time order. */
struct answer {
    double t, ms; /* when it came (us), how long it took */
    bool admitted;
};
static struct answer *answers;
static size_t n_answers, cap_answers;
static pthread_mutex_t answers_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int fill_admitted, fill_rejected_run;
static int fill_target;

struct filler {
    pthread_t t;
    int id;
    unsigned seed;
    const char *const *hosts;
    size_t n_hosts;
    volatile bool *stop;
};

static void *run_filler(void *arg)
{
    struct filler *f = arg;
    void *s = socket_new();
    Placer__Workflow *wf = workflow(5);
    char name[64];
    for (int i = 0; !*f->stop; i++) {
        Placer__Request req = PLACER__REQUEST__INIT;
        req.has_protocol_version = req.has_id = 1;
        req.protocol_version = 1;
        req.id = (uint64_t)i;
        Placer__SubmitRequest sub = PLACER__SUBMIT_REQUEST__INIT;
        snprintf(name, sizeof name, "f%d-%d", f->id, i);
        wf->name = name;
        wf->endpoints[0]->node =
            (char *)f->hosts[rand_r(&f->seed) % f->n_hosts];
        sub.workflow = wf;
        req.op_case = PLACER__REQUEST__OP_SUBMIT;
        req.submit = &sub;
        double t0 = bench_now_us();
        int k = call(s, &req);
        double t1 = bench_now_us();
        pthread_mutex_lock(&answers_lock);
        if (n_answers == cap_answers) {
            cap_answers = cap_answers ? 2 * cap_answers : 65536;
            answers = realloc(answers, cap_answers * sizeof *answers);
        }
        answers[n_answers++] = (struct answer){
            t1, (t1 - t0) / 1000, k == PLACER__RESPONSE__RESULT_PLAN};
        if (k == PLACER__RESPONSE__RESULT_PLAN) {
            fill_admitted++;
            fill_rejected_run = 0;
        } else {
            fill_rejected_run++;
        }
        if (fill_admitted >= fill_target || fill_rejected_run >= 200)
            *f->stop = true;
        pthread_mutex_unlock(&answers_lock);
        if (k == -1) {
            zmq_close(s);
            s = socket_new();
        }
    }
    wf->name = NULL;
    wf->endpoints[0]->node = NULL;
    placer__workflow__free_unpacked(wf, NULL);
    zmq_close(s);
    return NULL;
}

static void fill(const Placer__Cluster *c, int clients, unsigned seed)
{
    double cores = 0;
    for (size_t h = 0; h < c->n_hosts; h++)
        cores +=
            c->hosts[h]->cores *
            (c->hosts[h]->has_core_capacity ? c->hosts[h]->core_capacity : 1.0);
    /* 0.9 of a core per workflow (five 0.18 reservations fill a core at
     * 0.9): on to 100 %, or until 200 rejections in a row; windows of a
     * tenth of 90 % */
    fill_target = (int)(cores / 0.9);
    const char *const *hosts = hosts_of(c);
    struct filler f[64];
    volatile bool stop = false;
    double t0 = bench_now_us();
    for (int i = 0; i < clients; i++) {
        f[i] = (struct filler){.id = i,
                               .seed = seed * 7919u + (unsigned)i,
                               .hosts = hosts,
                               .n_hosts = c->n_hosts,
                               .stop = &stop};
        pthread_create(&f[i].t, NULL, run_filler, &f[i]);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(f[i].t, NULL);
    printf("  %d clients, 5-service chains of 0.9 core on %.0f cores: %d "
           "admitted in %.1f s\n",
           clients, cores, fill_admitted, (bench_now_us() - t0) / 1e6);
    printf("  | reserved | admissions/s | p50 ms | p99 ms | rejected |\n");
    printf("  |---|---|---|---|---|\n");
    double *lat = malloc((n_answers + 1) * sizeof *lat);
    size_t start = 0, admitted = 0;
    /* windows of 500 admissions, or a tenth of a small cluster's */
    size_t window =
        fill_target >= 5000 ? 500 : (size_t)(0.9 * fill_target) / 10 + 1;
    double from = t0;
    while (start < n_answers) {
        size_t end = start, got = 0, rej = 0, n = 0;
        while (end < n_answers && got < window) {
            if (answers[end].admitted)
                got++;
            else
                rej++;
            lat[n++] = answers[end].ms;
            end++;
        }
        admitted += got;
        double el = (answers[end - 1].t - from) / 1e6;
        printf("  | %5.1f %%  | %12.0f | %6.2f | %6.2f | %8zu |\n",
               100 * 0.9 * (double)admitted / cores, el > 0 ? got / el : 0,
               bench_pct(lat, (int)n, 0.5), bench_pct(lat, (int)n, 0.99), rej);
        from = answers[end - 1].t;
        start = end;
    }
    fflush(stdout);
    free(lat);
    free((void *)hosts);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_service BIN_DIR [SECONDS]\n");
        return 64;
    }
    bool filling = argc > 2 && !strcmp(argv[2], "fill");
    int k_tree = filling && argc > 3 ? atoi(argv[3]) : filling ? 16 : 8;
    int clients = filling && argc > 4 ? atoi(argv[4]) : 8;
    unsigned seed = filling && argc > 5 ? (unsigned)atoi(argv[5]) : 1;
    if (filling && (k_tree < 4 || k_tree > 32 || k_tree % 2 || clients < 1 ||
                    clients > 64)) {
        fprintf(stderr, "usage: bench_service BIN_DIR fill [K (even, 4-32) "
                        "[CLIENTS (1-64) [SEED]]]\n");
        return 64;
    }
    if (argc > 2 && !filling)
        seconds = atof(argv[2]);
    if (argc > 3 && !filling)
        k_tree = atoi(argv[3]);
    if (!filling && (k_tree < 4 || k_tree > 32 || k_tree % 2)) {
        fprintf(stderr, "usage: bench_service BIN_DIR [SECONDS [K (even, "
                        "4-32)]]\n");
        return 64;
    }
    char dir[] = "/tmp/placer-bench-XXXXXX", db[128], bin[512], agents[160];
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(bin, sizeof bin, "%s/placerd", argv[1]);
    snprintf(agents, sizeof agents, "ipc://%s/agents", dir);
    srand((unsigned)getpid());
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d",
             20000 + rand() % 30000);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(getenv("BENCH_LOG") ? getenv("BENCH_LOG") : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        execl(bin, bin, "--db", db, "--listen", endpoint, "--agents-listen",
              agents, "--queue", "256", "--insecure-clients", (char *)NULL);
        _exit(127);
    }
    zctx = zmq_ctx_new();
    /* the cluster: k = 8 fat-tree, 32 cores at 0.9, 10 Gbit/s links */
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = filling ? 4 : 32;
    o.core_capacity = 0.9;
    o.rate_bps = 10000000000ULL;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree(k_tree, &o, &c, &err) < 0)
        return 1;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.has_protocol_version = 1;
    req.protocol_version = 1;
    Placer__ClusterApplyRequest ap = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    ap.cluster = c;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &ap;
    int k = -1;
    for (int i = 0; i < 100 && k != PLACER__RESPONSE__RESULT_CLUSTER_APPLY;
         i++) {
        usleep(50000);
        void *s = socket_new();
        int tmo = 1000;
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        k = call(s, &req);
        zmq_close(s);
    }
    if (k != PLACER__RESPONSE__RESULT_CLUSTER_APPLY) {
        fprintf(stderr, "bench_service: placerd did not take the cluster\n");
        kill(pid, SIGKILL);
        return 1;
    }
    if (filling) {
        printf("bench_service fill: placerd on %s, %zu-host fat-tree (k=%d), "
               "SQLite synchronous=FULL, seed %u\n",
               endpoint, c->n_hosts, k_tree, seed);
        wcet = "1800us";
        fill(c, clients, seed);
        goto out;
    }
    printf("bench_service: placerd on %s, %zu-host fat-tree, SQLite "
           "synchronous=FULL, %.0f s per row\n",
           endpoint, c->n_hosts, seconds);
    row(c, 1, 1, false);
    row(c, 8, 1, false);
    row(c, 1, 5, false);
    row(c, 8, 5, false);
    row(c, 8, 1, true);
out:
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    placer__cluster__free_unpacked(c, NULL);
    zmq_ctx_term(zctx);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
