/*
 * fuzz_http: libFuzzer target for placerd's HTTP request layer
 * (server/http.h): routes, query arguments, headers (If-Match), bodies
 * loaded as documents, and every answer, over the real server library on
 * a store in /dev/shm with a k=4 fat-tree applied.  Every request carries
 * an admin's bearer token unless the input gives its own Authorization.
 *
 * An input is a request in a simple text form:
 *   METHOD PATH[?QUERY]\n
 *   Name: value\n        (headers, until an empty line)
 *   \n
 *   BODY
 * Every request must be answered exactly once, with a status from 200 to
 * 599, a JSON body whose problem documents carry that status, and a
 * Location only on 201.  What an input admits is released after it (by
 * its Location, through the same layer), and a cluster it applied is
 * replaced by the fat-tree again.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plc/log.h"
#include "plc/quantity.h"
#include "proto/json.h"
#include "proto/topo.h"
#include "server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct srv *srv;
static Placer__Cluster *fat_tree;
static char db[64];

#define MAX_FIELDS 16

struct parsed {
    char *method, *path, *body;
    size_t len;
    const char *hk[MAX_FIELDS], *hv[MAX_FIELDS], *qk[MAX_FIELDS],
        *qv[MAX_FIELDS];
    int nh, nq;
};

static const char *lookup(void *arg, enum srv_http_kind kind, const char *key)
{
    const struct parsed *p = arg;
    for (int i = 0; kind == SRV_HTTP_HEADER && i < p->nh; i++)
        if (!strcasecmp(p->hk[i], key))
            return p->hv[i];
    for (int i = 0; kind == SRV_HTTP_QUERY && i < p->nq; i++)
        if (!strcmp(p->qk[i], key))
            return p->qv[i];
    return NULL;
}

struct got {
    int n;
    unsigned status;
    char location[512];
};

static void on_reply(void *ctx, const struct srv_http_response *r)
{
    struct got *g = ctx;
    if (++g->n != 1)
        abort(); /* answered exactly once */
    g->status = r->status;
    if (r->status < 200 || r->status > 599 || !r->content_type ||
        (r->len && !r->body))
        abort();
    if ((r->location != NULL) != (r->status == 201))
        abort();
    if (r->location)
        snprintf(g->location, sizeof g->location, "%s", r->location);
    if (strstr(r->content_type, "json")) {
        json_error_t e;
        json_t *j = json_loadb(r->body, r->len, 0, &e);
        if (!j)
            abort(); /* every JSON answer parses */
        if (strstr(r->content_type, "problem") &&
            json_integer_value(json_object_get(j, "status")) != r->status)
            abort();
        json_decref(j);
    }
}

static void ask(const struct srv_http_request *rq, struct got *g)
{
    srv_http(srv, rq, on_reply, g);
    while (g->n == 0 && uv_run(&loop, UV_RUN_ONCE))
        ;
    if (g->n != 1)
        abort();
}

static char admin_bearer[128]; /* "Bearer plc_..." */

static void simple(const char *method, const char *path, const char *body,
                   struct got *g)
{
    struct parsed p = {0};
    p.hk[0] = "Authorization";
    p.hv[0] = admin_bearer;
    p.nh = 1;
    struct srv_http_request rq = {method, path, body, body ? strlen(body) : 0,
                                  lookup, &p};
    ask(&rq, g);
}

static char *fat_tree_json;

/* A local request (no token: an admin on the library's own socket) for
 * the admin token every fuzzed request carries unless it has its own
 * Authorization. */
static void on_token(void *ctx, const Placer__Response *r)
{
    (void)ctx;
    if (r->result_case != PLACER__RESPONSE__RESULT_TOKEN_CREATED)
        abort();
    snprintf(admin_bearer, sizeof admin_bearer, "Bearer %s",
             r->token_created->token);
}

static void make_admin_token(void)
{
    Placer__TokenCreateRequest c = PLACER__TOKEN_CREATE_REQUEST__INIT;
    c.has_admin = c.admin = 1;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.has_protocol_version = 1;
    req.protocol_version = SRV_PROTOCOL_VERSION;
    req.op_case = PLACER__REQUEST__OP_TOKEN_CREATE;
    req.token_create = &c;
    size_t len = placer__request__get_packed_size(&req);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    placer__request__pack(&req, buf);
    srv_request_bytes(srv, buf, len, on_token, NULL);
    free(buf);
    if (!admin_bearer[0])
        abort();
}

static void apply_fat_tree(void)
{
    struct parsed p = {0};
    p.hk[0] = "Authorization";
    p.hv[0] = admin_bearer;
    p.nh = 1;
    p.qk[0] = "force";
    p.qv[0] = "true";
    p.nq = 1;
    struct srv_http_request rq = {
        "PUT", "/v1/cluster", fat_tree_json, strlen(fat_tree_json), lookup, &p};
    struct got g = {0};
    ask(&rq, &g);
    if (g.status != 200)
        abort();
}

static void cleanup(void)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    srv_close(srv);
    uv_loop_close(&loop);
    free(fat_tree_json);
    char path[80];
    unlink(db);
    snprintf(path, sizeof path, "%s-wal", db);
    unlink(path);
    snprintf(path, sizeof path, "%s-shm", db);
    unlink(path);
}

static void setup(void)
{
    snprintf(db, sizeof db, "/dev/shm/fuzz_http.%d.db", (int)getpid());
    unlink(db);
    struct plc_error err = PLC_ERROR_INIT;
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    plc_log_set_level("error");
    struct srv_options so = {.db = db, .agents_allowed = true};
    if (uv_loop_init(&loop) != 0 ||
        proto_topo_fat_tree(4, &o, &fat_tree, &err) < 0 ||
        srv_open(&srv, &loop, &so, &err) < 0) {
        fprintf(stderr, "fuzz_http: %s\n", err.msg);
        abort();
    }
    json_t *j = proto_message_to_json(&fat_tree->base, 0);
    fat_tree_json = json_dumps(j, 0);
    json_decref(j);
    placer__cluster__free_unpacked(fat_tree, NULL);
    if (!fat_tree_json)
        abort();
    atexit(cleanup);
    make_admin_token();
    apply_fat_tree();
}

/* The text form into p (pointers into `text`, which it cuts). */
static void parse(char *text, size_t size, struct parsed *p)
{
    char *end = text + size, *nl = memchr(text, '\n', size);
    char *line_end = nl ? nl : end;
    *line_end = 0;
    p->method = text;
    char *sp = strchr(text, ' ');
    p->path = sp ? sp + 1 : line_end;
    if (sp)
        *sp = 0;
    char *q = strchr(p->path, '?');
    if (q) {
        *q++ = 0;
        while (q && *q && p->nq < MAX_FIELDS) {
            char *amp = strchr(q, '&'), *eq;
            if (amp)
                *amp = 0;
            eq = strchr(q, '=');
            if (eq)
                *eq = 0;
            p->qk[p->nq] = q;
            p->qv[p->nq++] = eq ? eq + 1 : "";
            q = amp ? amp + 1 : NULL;
        }
    }
    char *s = nl ? nl + 1 : end;
    while (s < end) {
        char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e)
            e = end;
        if (e == s) { /* the empty line: the body follows */
            s++;
            break;
        }
        *e = 0;
        char *colon = strchr(s, ':');
        if (colon && p->nh < MAX_FIELDS) {
            *colon = 0;
            p->hk[p->nh] = s;
            p->hv[p->nh++] = colon[1] == ' ' ? colon + 2 : colon + 1;
        }
        s = e + 1;
    }
    p->body = s < end ? s : end;
    p->len = s < end ? (size_t)(end - s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        setup();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct parsed p = {0};
    parse(text, size, &p);
    /* a solver limit keeps an input to a fraction of a second: the
     * input's own when it is shorter or malformed */
    const char *tl = lookup(&p, SRV_HTTP_QUERY, "time_limit");
    uint64_t ns;
    struct plc_error err = PLC_ERROR_INIT;
    if (tl && plc_qty_parse(PLC_QTY_TIME, tl, &ns, &err) == 0 &&
        ns > 200000000) {
        for (int i = 0; i < p.nq; i++)
            if (!strcmp(p.qk[i], "time_limit"))
                p.qv[i] = "200ms";
    } else if (!tl && p.nq < MAX_FIELDS) {
        p.qk[p.nq] = "time_limit";
        p.qv[p.nq++] = "200ms";
    }
    if (!lookup(&p, SRV_HTTP_HEADER, "Authorization") && p.nh < MAX_FIELDS) {
        p.hk[p.nh] = "Authorization";
        p.hv[p.nh++] = admin_bearer;
    }
    struct srv_http_request rq = {p.method, p.path, p.body, p.len, lookup, &p};
    struct got g = {0};
    ask(&rq, &g);
    bool applied = !strcmp(p.method, "PUT") && g.status == 200;
    free(text);
    if (g.location[0]) {
        struct got h = {0};
        simple("DELETE", g.location, NULL, &h);
        if (h.status != 200)
            abort(); /* what was admitted can be released by its Location */
    }
    if (applied)
        apply_fat_tree();
    return 0;
}
