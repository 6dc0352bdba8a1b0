/*
 * bench_agents: how fast placerd's decisions reach the hosts.  placerd on
 * ipc, three placer-agents (hosts h0, h1, h2 under one switch); each
 * workflow places one service on every host.
 *
 *   submit -> active: the time from sending the submission to the first
 *   `status` that says active (every agent acknowledged), p50 and p99 over
 *   N workflows submitted one after another; beside it the submission's
 *   own round trip (the baseline in the same run).
 *   apply / remove per agent: host h2's agent started again on an empty
 *   journal (a desired set of N to apply), then, killed, the N released,
 *   started again on its journal (N to remove); N over the time the agent
 *   took for the desired set (its log), once placerd heard every ack.
 *
 * Rows: the dryrun backend (the protocol and placerd), and, as root, the
 * deadline backend (each apply journaled with fsync before and after; the
 * reservations are not bound, so the kernel is not asked).
 *
 * Usage: bench_agents BIN_DIR [N]   (N workflows per row, default 200)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_client.h"
#include "bench_util.h"
#include "proto/load.h"

static void *zctx;
static char endpoint[200], agents_ep[200], dir[] = "/tmp/placer-bagents-XXXXXX";
static const char *bin;
static int n_wf = 200;

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static Placer__Request *request(Placer__Request *req, int op, void *msg)
{
    placer__request__init(req);
    req->op_case = op;
    switch (op) {
    case PLACER__REQUEST__OP_SUBMIT:
        req->submit = msg;
        break;
    case PLACER__REQUEST__OP_STATUS:
        req->status = msg;
        break;
    case PLACER__REQUEST__OP_RELEASE:
        req->release = msg;
        break;
    case PLACER__REQUEST__OP_HOSTS:
        req->hosts = msg;
        break;
    case PLACER__REQUEST__OP_CLUSTER_APPLY:
        req->cluster_apply = msg;
        break;
    }
    return req;
}

static void *load(const char *text, int kind)
{
    struct proto_doc d = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_doc_load_text(&d, "bench", text, strlen(text), kind, &err)) {
        fprintf(stderr, "bench_agents: %s\n", err.msg);
        exit(1);
    }
    void *m = d.msg;
    d.msg = NULL;
    proto_doc_release(&d);
    return m;
}

static Placer__Workflow *workflow(int i, bool links)
{
    char j[2048];
    snprintf(j, sizeof j,
             "{\"name\": \"w%d\", \"tenant\": \"bench\", \"deadline\": \"1s\","
             " \"services\": ["
             "{\"name\": \"x\", \"host\": \"h0\", \"exec_time\": {\"wcet\":"
             " \"10us\"}, \"reservation\": {\"periods\": [\"10ms\"]}},"
             "{\"name\": \"y\", \"host\": \"h1\", \"exec_time\": {\"wcet\":"
             " \"10us\"}, \"reservation\": {\"periods\": [\"10ms\"]}},"
             "{\"name\": \"z\", \"host\": \"h2\", \"exec_time\": {\"wcet\":"
             " \"10us\"}, \"reservation\": {\"periods\": [\"10ms\"]}}],"
             " \"links\": [%s]}",
             i,
             links ? "{\"from\": \"x\", \"to\": \"y\", \"rate\": \"1Mbit\"},"
                     "{\"from\": \"y\", \"to\": \"z\", \"rate\": \"1Mbit\"}"
                   : "");
    return load(j, PROTO_DOC_WORKFLOW);
}

static int state_of(void *s, const char *name)
{
    Placer__StatusRequest st = PLACER__STATUS_REQUEST__INIT;
    st.name = (char *)name;
    st.tenant = "bench";
    Placer__Request req;
    Placer__Response *r =
        bench_call(s, request(&req, PLACER__REQUEST__OP_STATUS, &st));
    int k = r && r->result_case == PLACER__RESPONSE__RESULT_PLAN
                ? (int)r->plan->state
                : -1;
    if (r)
        placer__response__free_unpacked(r, NULL);
    return k;
}

/* From byte `from` of placerd's log: when host h's agent registered, and
 * how many `op` acknowledgements of h came after, the last when (seconds
 * of the day, ms resolution). */
static void scan(const char *log, long from, int h, const char *op,
                 double *t_reg, long *count, double *t_last)
{
    FILE *f = fopen(log, "r");
    char line[1024], reg[32], ack[48];
    snprintf(reg, sizeof reg, "agent for h%d registered", h);
    snprintf(ack, sizeof ack, "agent of h%d: %s ", h, op);
    *t_reg = *t_last = 0;
    *count = 0;
    if (f)
        fseek(f, from, SEEK_SET);
    while (f && fgets(line, sizeof line, f)) {
        int hh, mm;
        double ss;
        if (sscanf(line, "%*d-%*d-%*dT%d:%d:%lfZ", &hh, &mm, &ss) != 3)
            continue;
        double t = hh * 3600.0 + mm * 60.0 + ss;
        if (strstr(line, reg))
            *t_reg = t;
        else if (*t_reg && strstr(line, ack) && strstr(line, " done"))
            ++*count, *t_last = t;
    }
    if (f)
        fclose(f);
}

static long log_size(const char *log)
{
    struct stat st;
    return stat(log, &st) == 0 ? (long)st.st_size : 0;
}

/* Host h's agent again, and the rate of its `op` acknowledgements after it
 * registers until there are n. */
static double agent_rate(pid_t *ag, const char *argv0, const char *backend,
                         const char *state, const char *log, const char *op,
                         long n)
{
    long from = log_size(log);
    char *aa[] = {(char *)argv0, "--server",  agents_ep,       "--host",
                  "h2",          "--backend", (char *)backend, "--state-dir",
                  (char *)state, NULL};
    char alog[400];
    snprintf(alog, sizeof alog, "%s.agent", log);
    long afrom = log_size(alog);
    *ag = spawn(aa, alog);
    double t_reg = 0, t_last = 0, t0 = bench_now_us();
    long count = 0;
    while (count < n && bench_now_us() - t0 < 20e6) {
        usleep(20000);
        scan(log, from, 2, op, &t_reg, &count, &t_last);
    }
    if (count < n)
        return 0;
    /* the agent's own time for the desired set ("... in X ms") */
    FILE *f = fopen(alog, "r");
    char line[512];
    double ms = 0;
    if (f)
        fseek(f, afrom, SEEK_SET);
    while (f && fgets(line, sizeof line, f)) {
        const char *in = strstr(line, "desired set of ");
        in = in ? strstr(in, " in ") : NULL;
        if (in)
            sscanf(in, " in %lf ms", &ms);
    }
    if (f)
        fclose(f);
    return ms > 0 ? n / (ms / 1e3) : 0;
}

static void row(const char *backend, bool root_only, bool links)
{
    if (root_only && geteuid() != 0) {
        printf("%-10s (skipped: needs root)\n", backend);
        return;
    }
    char db[300], log[300], state[3][300];
    static int run;
    run++;
    snprintf(db, sizeof db, "%s/r%d.db", dir, run);
    snprintf(log, sizeof log, "%s/r%d.log", dir, run);
    snprintf(endpoint, sizeof endpoint, "ipc://%s/r%d.sock", dir, run);
    snprintf(agents_ep, sizeof agents_ep, "ipc://%s/r%d-agents.sock", dir, run);
    char placerd[600], agent[600];
    snprintf(placerd, sizeof placerd, "%s/placerd", bin);
    snprintf(agent, sizeof agent, "%s/placer-agent", bin);
    char *pa[] = {placerd,
                  "--db",
                  db,
                  "--listen",
                  endpoint,
                  "--agents-listen",
                  agents_ep,
                  "--insecure-agents",
                  "--insecure-clients",
                  "--log-level",
                  "debug",
                  "--queue",
                  "1024",
                  NULL};
    pid_t pd = spawn(pa, log);
    void *s = bench_socket(zctx, endpoint, 30000);
    Placer__ClusterApplyRequest ap = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    ap.cluster = load("{\"hosts\": [{\"name\": \"h0\", \"cores\": 8},"
                      " {\"name\": \"h1\", \"cores\": 8},"
                      " {\"name\": \"h2\", \"cores\": 8}],"
                      " \"switches\": [{\"name\": \"s\"}],"
                      " \"links\": [{\"a\": \"h0\", \"b\": \"s\", \"rate\":"
                      " \"10Gbit\"}, {\"a\": \"h1\", \"b\": \"s\", \"rate\":"
                      " \"10Gbit\"}, {\"a\": \"h2\", \"b\": \"s\", \"rate\":"
                      " \"10Gbit\"}]}",
                      PROTO_DOC_CLUSTER);
    Placer__Request req;
    int k = -1;
    for (int i = 0; i < 100 && k != PLACER__RESPONSE__RESULT_CLUSTER_APPLY;
         i++) {
        usleep(50000);
        k = bench_call_case(
            s, request(&req, PLACER__REQUEST__OP_CLUSTER_APPLY, &ap));
        if (k < 0) { /* a REQ socket without an answer is stuck: anew */
            zmq_close(s);
            s = bench_socket(zctx, endpoint, 30000);
        }
    }
    pid_t ag[3];
    for (int h = 0; h < 3; h++) {
        char host[8];
        snprintf(host, sizeof host, "h%d", h);
        snprintf(state[h], sizeof state[h], "%s/r%d-state-%d", dir, run, h);
        char *aa[] = {agent,    "--server",  agents_ep,       "--host",
                      host,     "--backend", (char *)backend, "--state-dir",
                      state[h], NULL};
        char alog[400];
        snprintf(alog, sizeof alog, "%s.agent", log);
        ag[h] = spawn(aa, alog); /* apart: lines would interleave */
        usleep(100000);          /* one deadline probe at a time */
    }
    /* every host up */
    for (int i = 0; i < 200; i++) {
        Placer__HostsRequest hr = PLACER__HOSTS_REQUEST__INIT;
        Placer__Response *r =
            bench_call(s, request(&req, PLACER__REQUEST__OP_HOSTS, &hr));
        int up = 0;
        for (size_t j = 0; r && r->hosts && j < r->hosts->n_hosts; j++)
            up +=
                r->hosts->hosts[j]->state == PLACER__HOST_STATE__HOST_STATE_UP;
        if (r)
            placer__response__free_unpacked(r, NULL);
        if (up == 3)
            break;
        usleep(20000);
    }
    /* submit -> active, one after another */
    double *lat = calloc((size_t)n_wf, sizeof *lat),
           *sub = calloc((size_t)n_wf, sizeof *sub);
    int ok = 0, polls = 0;
    for (int i = 0; i < n_wf; i++) {
        Placer__SubmitRequest sr = PLACER__SUBMIT_REQUEST__INIT;
        sr.workflow = workflow(i, links);
        double t0 = bench_now_us();
        k = bench_call_case(s, request(&req, PLACER__REQUEST__OP_SUBMIT, &sr));
        double t1 = bench_now_us();
        if (k == PLACER__RESPONSE__RESULT_PLAN) {
            char name[16];
            snprintf(name, sizeof name, "w%d", i);
            int st;
            while ((st = state_of(s, name)) != PLACER__STATE__STATE_ACTIVE &&
                   st >= 0 && bench_now_us() - t0 < 5e6)
                polls++;
            if (st == PLACER__STATE__STATE_ACTIVE) {
                lat[ok] = (bench_now_us() - t0) / 1e3;
                sub[ok] = (t1 - t0) / 1e3;
                ok++;
            }
        }
        placer__workflow__free_unpacked(sr.workflow, NULL);
    }
    double p50 = bench_median(lat, ok), p99 = ok ? lat[(int)(0.99 * ok)] : 0;
    double s50 = bench_median(sub, ok);
    /* one agent's throughput: h2's agent killed and started again on an
     * empty journal gets the n reservations in one desired set ... */
    kill(ag[2], SIGKILL);
    waitpid(ag[2], NULL, 0);
    char fresh[400];
    snprintf(fresh, sizeof fresh, "%s-again", state[2]);
    double apply_rate =
        agent_rate(&ag[2], agent, backend, fresh, log, "apply", ok);
    /* ... and, killed again, the n released meanwhile, started again on
     * its journal of n: a desired set of none, n removes */
    usleep(300000);
    kill(ag[2], SIGKILL);
    waitpid(ag[2], NULL, 0);
    for (int i = 0; i < n_wf; i++) {
        Placer__ReleaseRequest rr = PLACER__RELEASE_REQUEST__INIT;
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        rr.name = name;
        rr.tenant = "bench";
        bench_call_case(s, request(&req, PLACER__REQUEST__OP_RELEASE, &rr));
    }
    double remove_rate =
        agent_rate(&ag[2], agent, backend, fresh, log, "remove", ok);
    printf("%-10s %5d/%d active  submit->active p50 %6.2f ms p99 %6.2f ms "
           "(submit alone p50 %5.2f ms)  one agent: %6.0f applies/s "
           "%6.0f removes/s\n",
           backend, ok, n_wf, p50, p99, s50, apply_rate, remove_rate);
    fflush(stdout);
    free(lat);
    free(sub);
    zmq_close(s);
    placer__cluster__free_unpacked(ap.cluster, NULL);
    for (int h = 0; h < 3; h++) {
        kill(ag[h], SIGTERM);
        waitpid(ag[h], NULL, 0);
    }
    kill(pd, SIGTERM);
    waitpid(pd, NULL, 0);
    (void)polls;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_agents BIN_DIR [N]\n");
        return 64;
    }
    bin = argv[1];
    if (argc > 2)
        n_wf = atoi(argv[2]);
    if (n_wf < 10)
        n_wf = 10;
    if (!mkdtemp(dir))
        return 1;
    zctx = zmq_ctx_new();
    printf("bench_agents: placerd and 3 placer-agents on ipc, %d workflows "
           "of 3 services (one per host) per row\n",
           n_wf);
    row("dryrun", false, true);
    row("deadline", true, false);
    zmq_ctx_term(zctx);
    if (getenv("BENCH_KEEP")) {
        printf("(kept %s)\n", dir);
        return 0;
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
