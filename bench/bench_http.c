/*
 * bench_http: durable admissions per second through placerd's HTTP API
 * against its ZeroMQ socket, in the same run, on the same placerd: rows
 * alternate between the two transports, with 1 and 8 clients, 1- and
 * 5-service workflows on a k = 8 fat-tree (as bench_service), HTTP with
 * keep-alive (libcurl, one connection per client); then the HTTP rows
 * again with 1,000 idle keep-alive connections open beside them.  Prints
 * admissions per second, p50 and p99, and HTTP's throughput as a share
 * of ZeroMQ's.
 *
 * Usage: bench_http BIN_DIR [SECONDS [ROUNDS]]   (seconds per row, default
 * 3; rounds of the alternation, default 2)
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_client.h"
#include "bench_util.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static char endpoint[64], base[96], bearer[160];
static int http_port;
static double seconds = 3;
static void *zctx;
static const char *const *hosts;
static size_t n_hosts;

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

struct worker {
    pthread_t t;
    int id, services;
    bool http;
    double *lat;
    int n, cap, errors, rejected;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    char name[64], json[4096];
    unsigned seed = (unsigned)w->id * 7919u + 1;
    double end = bench_now_us() + seconds * 1e6;
    CURL *cu = NULL;
    struct curl_slist *hdr = NULL;
    void *s = NULL;
    if (w->http) {
        cu = curl_easy_init();
        hdr = curl_slist_append(hdr, bearer);
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        char url[128];
        snprintf(url, sizeof url, "%s/v1/workflows", base);
        curl_easy_setopt(cu, CURLOPT_URL, url);
        curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(cu, CURLOPT_TIMEOUT, 60L);
    } else {
        s = bench_socket(zctx, endpoint, 60000);
    }
    for (int i = 0; bench_now_us() < end && w->n < w->cap; i++) {
        snprintf(name, sizeof name, "%c%d-%d", w->http ? 'h' : 'z', w->id, i);
        const char *node = hosts[rand_r(&seed) % n_hosts];
        double t0 = bench_now_us();
        int k; /* 1 admitted, 0 rejected, -1 error */
        if (w->http) {
            int len = bench_workflow_json(json, sizeof json, name, node,
                                          w->services, "100us");
            curl_easy_setopt(cu, CURLOPT_POSTFIELDS, json);
            curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)len);
            long code = 0;
            k = curl_easy_perform(cu) == CURLE_OK &&
                        curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code) ==
                            CURLE_OK
                    ? (code == 201   ? 1
                       : code == 409 ? 0
                                     : -1)
                    : -1;
        } else {
            bench_workflow_json(json, sizeof json, name, node, w->services,
                                "100us");
            struct proto_doc d = PROTO_DOC_INIT;
            struct plc_error err = PLC_ERROR_INIT;
            proto_doc_load_text(&d, "w", json, strlen(json), PROTO_DOC_WORKFLOW,
                                &err);
            Placer__Request req = PLACER__REQUEST__INIT;
            req.has_id = 1;
            req.id = (uint64_t)i;
            Placer__SubmitRequest sub = PLACER__SUBMIT_REQUEST__INIT;
            sub.workflow = (Placer__Workflow *)d.msg;
            req.op_case = PLACER__REQUEST__OP_SUBMIT;
            req.submit = &sub;
            int c = d.msg ? bench_call_case(s, &req) : -1;
            proto_doc_release(&d);
            k = c == PLACER__RESPONSE__RESULT_PLAN ? 1 : c == -2 ? 0 : -1;
            if (c == -1) {
                zmq_close(s);
                s = bench_socket(zctx, endpoint, 60000);
            }
        }
        double dt = bench_now_us() - t0;
        if (k == 1)
            w->lat[w->n++] = dt / 1000;
        else if (k == 0)
            w->rejected++;
        else
            w->errors++;
    }
    if (cu) {
        curl_easy_cleanup(cu);
        curl_slist_free_all(hdr);
    }
    if (s)
        zmq_close(s);
    return NULL;
}

static double row(bool http, int clients, int services, const char *note)
{
    static int gen;
    struct worker w[8];
    double t0 = bench_now_us();
    for (int i = 0; i < clients; i++) {
        w[i] = (struct worker){0};
        w[i].id = ++gen * 100 + i;
        w[i].services = services;
        w[i].http = http;
        w[i].cap = 400000;
        w[i].lat = malloc((size_t)w[i].cap * sizeof *w[i].lat);
        pthread_create(&w[i].t, NULL, run_worker, &w[i]);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(w[i].t, NULL);
    double el = (bench_now_us() - t0) / 1e6;
    int total = 0, errors = 0, rejected = 0;
    double *all = malloc(400000 * (size_t)clients * sizeof *all);
    for (int i = 0; i < clients; i++) {
        memcpy(all + total, w[i].lat, (size_t)w[i].n * sizeof *all);
        total += w[i].n;
        errors += w[i].errors;
        rejected += w[i].rejected;
        free(w[i].lat);
    }
    printf("  %-6s %d client%s, %d-service: %7.0f admissions/s, p50 %6.2f ms, "
           "p99 %6.2f ms (%d admitted, %d rejected, %d errors)%s\n",
           http ? "HTTP" : "ZeroMQ", clients, clients == 1 ? " " : "s",
           services, total / el, bench_pct(all, total, 0.5),
           bench_pct(all, total, 0.99), total, rejected, errors, note);
    fflush(stdout);
    free(all);
    return total / el;
}

/* n idle keep-alive connections: each asks /healthz once, then waits. */
static int *idle_open(int n)
{
    int *fd = calloc((size_t)n, sizeof *fd);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_port),
                            .sin_addr.s_addr = htonl(0x7f000001)};
    static const char get[] =
        "GET /healthz HTTP/1.1\r\nHost: b\r\nConnection: keep-alive\r\n\r\n";
    int ok = 0;
    for (int i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fd[i] < 0 || connect(fd[i], (struct sockaddr *)&a, sizeof a) ||
            write(fd[i], get, sizeof get - 1) != (ssize_t)(sizeof get - 1))
            continue;
        char buf[512];
        if (read(fd[i], buf, sizeof buf) > 12 && !strncmp(buf + 9, "200", 3))
            ok++;
    }
    printf("  %d idle keep-alive connections open (each answered /healthz "
           "once)\n",
           ok);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_http BIN_DIR [SECONDS [ROUNDS]]\n");
        return 64;
    }
    if (argc > 2)
        seconds = atof(argv[2]);
    int rounds = argc > 3 ? atoi(argv[3]) : 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char dir[] = "/tmp/placer-bench-XXXXXX", db[128], bin[512], agents[160],
         http[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(bin, sizeof bin, "%s/placerd", argv[1]);
    snprintf(agents, sizeof agents, "ipc://%s/agents", dir);
    srand((unsigned)getpid());
    int port = 20000 + rand() % 30000;
    http_port = port + 1;
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    snprintf(http, sizeof http, "127.0.0.1:%d", http_port);
    snprintf(base, sizeof base, "http://%s", http);
    /* the admin token, made in the store first */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --db %s token create --admin 2>/dev/null",
             bin, db);
    FILE *p = popen(cmd, "r");
    char tok[128] = "";
    if (!p || !fgets(tok, sizeof tok, p) || pclose(p) != 0) {
        fprintf(stderr, "bench_http: placerd token create failed\n");
        return 1;
    }
    tok[strcspn(tok, "\n")] = 0;
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", tok);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(getenv("BENCH_LOG") ? getenv("BENCH_LOG") : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        execl(bin, bin, "--db", db, "--listen", endpoint, "--agents-listen",
              agents, "--queue", "256", "--http", http, "--insecure-clients",
              (char *)NULL);
        _exit(127);
    }
    zctx = zmq_ctx_new();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 32;
    o.core_capacity = 0.9;
    o.rate_bps = 10000000000ULL;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree(8, &o, &c, &err) < 0)
        return 1;
    const char **h = calloc(c->n_hosts, sizeof *h);
    for (size_t i = 0; i < c->n_hosts; i++)
        h[i] = c->hosts[i]->name;
    hosts = h;
    n_hosts = c->n_hosts;
    Placer__Request req = PLACER__REQUEST__INIT;
    Placer__ClusterApplyRequest ap = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    ap.cluster = c;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &ap;
    int k = -1;
    for (int i = 0; i < 100 && k != PLACER__RESPONSE__RESULT_CLUSTER_APPLY;
         i++) {
        usleep(50000);
        void *s = bench_socket(zctx, endpoint, 1000);
        k = bench_call_case(s, &req);
        zmq_close(s);
    }
    if (k != PLACER__RESPONSE__RESULT_CLUSTER_APPLY) {
        fprintf(stderr, "bench_http: placerd did not take the cluster\n");
        kill(pid, SIGKILL);
        return 1;
    }
    printf("bench_http: placerd with ZeroMQ on %s and HTTP on %s, %zu-host "
           "fat-tree, SQLite synchronous=FULL, %.0f s per row\n",
           endpoint, base, c->n_hosts, seconds);
    static const int shape[][2] = {{1, 1}, {8, 1}, {8, 5}};
    double sum_h[3] = {0}, sum_z[3] = {0};
    for (int r = 0; r < rounds; r++)
        for (int s = 0; s < 3; s++) {
            /* alternate which goes first */
            bool hfirst = (r + s) % 2;
            double a = row(hfirst, shape[s][0], shape[s][1], "");
            double b = row(!hfirst, shape[s][0], shape[s][1], "");
            sum_h[s] += hfirst ? a : b;
            sum_z[s] += hfirst ? b : a;
        }
    for (int s = 0; s < 3; s++)
        printf("  HTTP/ZeroMQ, %d client%s, %d-service: %.0f %%\n", shape[s][0],
               shape[s][0] == 1 ? "" : "s", shape[s][1],
               100 * sum_h[s] / sum_z[s]);
    int *idle = idle_open(1000);
    double with_idle[3];
    for (int s = 0; s < 3; s++)
        with_idle[s] =
            row(true, shape[s][0], shape[s][1], " [1,000 idle open]");
    for (int s = 0; s < 3; s++)
        printf("  HTTP with 1,000 idle connections / HTTP alone, %d client%s, "
               "%d-service: %.0f %%\n",
               shape[s][0], shape[s][0] == 1 ? "" : "s", shape[s][1],
               100 * with_idle[s] / (sum_h[s] / rounds));
    for (int i = 0; i < 1000; i++)
        if (idle[i] >= 0)
            close(idle[i]);
    free(idle);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_http: cannot remove %s\n", dir);
    curl_global_cleanup();
    return 0;
}
