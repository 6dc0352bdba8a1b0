/*
 * fuzz_request: libFuzzer target for what placerd does with the bytes of
 * a client frame: the server library's srv_request_bytes() itself (the
 * size limit, protobuf-c unpacking of a Request, the protocol version,
 * the validation of a workflow or cluster no JSON loader built, so any
 * field may be missing, the references into the cluster, the admission
 * queue, model_plan with the solver, the group commit into SQLite, and
 * every query).  The server runs over a store in /dev/shm with a k=4
 * fat-tree applied; what an input admits is released after it, and a
 * cluster it applied is replaced by the fat-tree again, so that inputs
 * do not depend on each other.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plc/log.h"
#include "proto/topo.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct srv *srv;
static Placer__Cluster *fat_tree;
static char db[64];

struct got {
    int n;
    bool admitted;
    char tenant[256], name[256];
};

static void on_reply(void *ctx, const Placer__Response *r)
{
    struct got *g = ctx;
    g->n++;
    if (g->n != 1)
        abort(); /* every request is answered exactly once */
    if (r->result_case == PLACER__RESPONSE__RESULT_PLAN && r->plan->admitted &&
        r->plan->workflow) {
        g->admitted = true;
        snprintf(g->tenant, sizeof g->tenant, "%s",
                 r->plan->tenant ? r->plan->tenant : "");
        snprintf(g->name, sizeof g->name, "%s", r->plan->workflow);
    }
}

static void run(Placer__Request *req, struct got *g)
{
    srv_request(srv, req, on_reply, g);
    while (g->n == 0 && uv_run(&loop, UV_RUN_ONCE))
        ;
    if (g->n != 1)
        abort();
}

/* A request of ours (not the fuzzer's): packed and unpacked, since the
 * server takes ownership of what it is given. */
static void ask(Placer__Request *req, struct got *g)
{
    req->has_protocol_version = 1;
    req->protocol_version = SRV_PROTOCOL_VERSION;
    size_t len = placer__request__get_packed_size(req);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    placer__request__pack(req, buf);
    srv_request_bytes(srv, buf, len, on_reply, g);
    free(buf);
    while (g->n == 0 && uv_run(&loop, UV_RUN_ONCE))
        ;
    if (g->n != 1)
        abort();
}

static void apply_fat_tree(void)
{
    Placer__ClusterApplyRequest a = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    a.cluster = fat_tree;
    a.has_force = a.force = 1;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &a;
    struct got g = {0};
    ask(&req, &g);
}

static void cleanup(void)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    srv_close(srv);
    uv_loop_close(&loop);
    char path[80];
    unlink(db);
    snprintf(path, sizeof path, "%s-wal", db);
    unlink(path);
    snprintf(path, sizeof path, "%s-shm", db);
    unlink(path);
}

static void setup(void)
{
    snprintf(db, sizeof db, "/dev/shm/fuzz_request.%d.db", (int)getpid());
    unlink(db);
    struct plc_error err = PLC_ERROR_INIT;
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    plc_log_set_level("error"); /* an admission per input is no news */
    struct srv_options so = {.db = db, .agents_allowed = true};
    if (uv_loop_init(&loop) != 0 ||
        proto_topo_fat_tree(4, &o, &fat_tree, &err) < 0 ||
        srv_open(&srv, &loop, &so, &err) < 0) {
        fprintf(stderr, "fuzz_request: %s\n", err.msg);
        abort();
    }
    atexit(cleanup);
    apply_fat_tree();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        setup();
    Placer__Request *req = placer__request__unpack(NULL, size, data);
    struct got g = {0};
    if (!req) {
        /* the refusal path, through the bytes entry point */
        srv_request_bytes(srv, data, size, on_reply, &g);
        if (g.n != 1)
            abort();
        return 0;
    }
    Placer__Request__OpCase op = req->op_case;
    /* a solver limit keeps an input to a fraction of a second */
    if (op == PLACER__REQUEST__OP_SUBMIT && req->submit &&
        (!req->submit->has_time_limit_ms || req->submit->time_limit_ms > 200)) {
        req->submit->has_time_limit_ms = 1;
        req->submit->time_limit_ms = 200;
    }
    run(req, &g); /* the server owns req now */
    if (g.admitted) {
        Placer__ReleaseRequest rel = PLACER__RELEASE_REQUEST__INIT;
        rel.name = g.name;
        rel.tenant = g.tenant;
        Placer__Request r = PLACER__REQUEST__INIT;
        r.op_case = PLACER__REQUEST__OP_RELEASE;
        r.release = &rel;
        struct got h = {0};
        ask(&r, &h);
    }
    if (op == PLACER__REQUEST__OP_CLUSTER_APPLY)
        apply_fat_tree();
    return 0;
}
