/* The server library through its API (server/server.h), as a transport
 * drives it: requests as bytes, replies to a callback, a real SQLite file
 * and real GLPK solves on libuv's worker pool.  Each reply is checked
 * against what the request asked and what the store then holds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/wire.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "proto/load.h"
#include "server/server.h"
#include "util.h"

struct got {
    int n;
    Placer__Response *r; /* the last reply, copied */
};

static void on_reply(void *ctx, const Placer__Response *r)
{
    struct got *g = ctx;
    g->n++;
    if (g->r)
        placer__response__free_unpacked(g->r, NULL);
    size_t len = placer__response__get_packed_size(r);
    uint8_t *buf = malloc(len + 1);
    cr_assert_not_null(buf);
    placer__response__pack(r, buf);
    g->r = placer__response__unpack(NULL, len, buf);
    free(buf);
    cr_assert_not_null(g->r);
}

static void got_clear(struct got *g)
{
    if (g->r)
        placer__response__free_unpacked(g->r, NULL);
    g->r = NULL;
    g->n = 0;
}

struct fixture {
    char dir[64], db[96];
    uv_loop_t loop;
    struct srv *s;
};

static void fx_open(struct fixture *f, size_t queue_max)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/test_request.XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/placer.db", f->dir);
    cr_assert_eq(uv_loop_init(&f->loop), 0);
    struct srv_options o = {.db = f->db, .queue_max = queue_max};
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(srv_open(&f->s, &f->loop, &o, &err), 0, "%s", err.msg);
}

/* Close the server, keeping its store. */
static void fx_shut(struct fixture *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT); /* whatever still runs */
    cr_assert(srv_idle(f->s));
    srv_close(f->s);
    cr_assert_eq(uv_loop_close(&f->loop), 0);
}

static void fx_close(struct fixture *f)
{
    fx_shut(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    cr_assert_eq(system(cmd), 0);
}

/* Send req (packed, as a transport would) and run the loop until its
 * reply came. */
static void ask(struct fixture *f, Placer__Request *req, struct got *g)
{
    req->has_protocol_version = 1;
    req->protocol_version = SRV_PROTOCOL_VERSION;
    size_t len = placer__request__get_packed_size(req);
    uint8_t *buf = malloc(len + 1);
    placer__request__pack(req, buf);
    got_clear(g);
    srv_request_bytes(f->s, buf, len, on_reply, g);
    free(buf);
    while (g->n == 0 && uv_run(&f->loop, UV_RUN_ONCE))
        ;
    cr_assert_eq(g->n, 1, "one reply, not %d", g->n);
    cr_assert(g->r->has_protocol_version &&
              g->r->protocol_version == SRV_PROTOCOL_VERSION);
}

static Placer__ErrorCode error_of(const struct got *g)
{
    cr_assert_eq(g->r->result_case, PLACER__RESPONSE__RESULT_ERROR,
                 "expected an error, got result %d", g->r->result_case);
    return g->r->error->code;
}

static void *load(const char *rel, enum proto_doc_kind kind)
{
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_doc_load_file(&doc, src_path(rel), kind, &err), 0,
                 "%s: %s", rel, err.msg);
    void *m = doc.msg;
    doc.msg = NULL;
    proto_doc_release(&doc);
    return m;
}

static void apply_cluster(struct fixture *f, Placer__Cluster *c, bool force,
                          struct got *g)
{
    Placer__ClusterApplyRequest a = PLACER__CLUSTER_APPLY_REQUEST__INIT;
    a.cluster = c;
    a.has_force = force;
    a.force = force;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_CLUSTER_APPLY;
    req.cluster_apply = &a;
    ask(f, &req, g);
}

static void submit(struct fixture *f, Placer__Workflow *w, struct got *g)
{
    Placer__SubmitRequest s = PLACER__SUBMIT_REQUEST__INIT;
    s.workflow = w;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.has_id = 1;
    req.id = 77;
    req.op_case = PLACER__REQUEST__OP_SUBMIT;
    req.submit = &s;
    ask(f, &req, g);
}

static void named(struct fixture *f, Placer__Request__OpCase op,
                  const char *name, struct got *g)
{
    Placer__StatusRequest st = PLACER__STATUS_REQUEST__INIT;
    Placer__ReleaseRequest rel = PLACER__RELEASE_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = op;
    st.name = rel.name = (char *)name;
    if (op == PLACER__REQUEST__OP_STATUS)
        req.status = &st;
    else
        req.release = &rel;
    ask(f, &req, g);
}

static void list(struct fixture *f, struct got *g)
{
    Placer__ListRequest l = PLACER__LIST_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_LIST;
    req.list = &l;
    ask(f, &req, g);
}

Test(request, bytes_that_are_no_request_get_one_clear_error)
{
    struct fixture f;
    fx_open(&f, 0);
    struct got g = {0};
    /* not a protobuf message */
    srv_request_bytes(f.s, (const uint8_t *)"\xff\xff\xff", 3, on_reply, &g);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST);
    cr_assert(strstr(g.r->error->message, "not a placer.Request"), "%s",
              g.r->error->message);
    /* larger than the limit: refused before decoding */
    got_clear(&g);
    size_t big = SRV_MAX_REQUEST_BYTES + 1;
    uint8_t *buf = calloc(1, big);
    srv_request_bytes(f.s, buf, big, on_reply, &g);
    free(buf);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BAD_REQUEST);
    cr_assert(strstr(g.r->error->message, "limit"), "%s", g.r->error->message);
    /* another protocol version */
    Placer__ListRequest l = PLACER__LIST_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_LIST;
    req.list = &l;
    req.has_protocol_version = 1;
    req.protocol_version = SRV_PROTOCOL_VERSION + 1;
    req.has_id = 1;
    req.id = 9;
    size_t len = placer__request__get_packed_size(&req);
    uint8_t small[64];
    cr_assert_lt(len, sizeof small);
    placer__request__pack(&req, small);
    got_clear(&g);
    srv_request_bytes(f.s, small, len, on_reply, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_VERSION);
    cr_assert_eq(g.r->id, 9, "the reply carries the request's id");
    cr_assert_eq(srv_served(f.s), 3);
    got_clear(&g);
    fx_close(&f);
}

Test(request, a_workflow_admitted_is_durable_listed_and_released)
{
    struct fixture f;
    fx_open(&f, 0);
    struct got g = {0};
    Placer__Workflow *w =
        load("examples/video-pipeline.json", PROTO_DOC_WORKFLOW);
    Placer__Cluster *c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);

    /* before any cluster: not found, naming the fix */
    submit(&f, w, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND);
    cr_assert(strstr(g.r->error->message, "cluster apply"), "%s",
              g.r->error->message);
    cr_assert_not(srv_has_cluster(f.s));

    apply_cluster(&f, c, false, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_CLUSTER_APPLY);
    cr_assert_eq(g.r->cluster_apply->hosts, c->n_hosts);
    cr_assert(srv_has_cluster(f.s));

    submit(&f, w, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert_eq(g.r->id, 77);
    const Placer__Plan *p = g.r->plan;
    cr_assert(p->admitted, "rejected");
    cr_assert_eq(p->n_services, w->n_services);
    for (size_t i = 0; i < p->n_services; i++)
        cr_assert(p->services[i]->host && p->services[i]->host[0]);
    cr_assert(srv_idle(f.s), "the reply waits for the commit");

    /* the same name again: a conflict, nothing planned */
    submit(&f, w, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_CONFLICT);

    /* status and list come from the store */
    named(&f, PLACER__REQUEST__OP_STATUS, w->name, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert_str_eq(g.r->plan->tenant, w->tenant);
    list(&f, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_LIST);
    cr_assert_eq(g.r->list->n_workflows, 1);
    cr_assert_str_eq(g.r->list->workflows[0]->name, w->name);

    /* a new cluster without its hosts would strand it: refused */
    Placer__Cluster *small =
        load("examples/measured-host.json", PROTO_DOC_CLUSTER);
    apply_cluster(&f, small, false, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_CONFLICT);
    cr_assert_geq(g.r->error->n_problems, 1);

    /* the server reopened on the same file has it (durable) */
    uv_run(&f.loop, UV_RUN_DEFAULT);
    srv_close(f.s);
    struct plc_error err = PLC_ERROR_INIT;
    struct srv_options o = {.db = f.db};
    cr_assert_eq(srv_open(&f.s, &f.loop, &o, &err), 0, "%s", err.msg);
    cr_assert(srv_has_cluster(f.s));
    named(&f, PLACER__REQUEST__OP_STATUS, w->name, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert_eq(g.r->plan->n_services, w->n_services);

    named(&f, PLACER__REQUEST__OP_RELEASE, w->name, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_RELEASE);
    cr_assert_eq(g.r->release->state, PLACER__STATE__STATE_RELEASED);
    named(&f, PLACER__REQUEST__OP_STATUS, w->name, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND);
    named(&f, PLACER__REQUEST__OP_RELEASE, w->name, &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND);
    /* released: the small cluster strands nothing now */
    apply_cluster(&f, small, false, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_CLUSTER_APPLY);

    placer__workflow__free_unpacked(w, NULL);
    placer__cluster__free_unpacked(c, NULL);
    placer__cluster__free_unpacked(small, NULL);
    got_clear(&g);
    fx_close(&f);
}

Test(request, an_invalid_workflow_names_its_fields)
{
    struct fixture f;
    fx_open(&f, 0);
    struct got g = {0};
    Placer__Cluster *c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);
    apply_cluster(&f, c, false, &g);
    Placer__Workflow *w =
        load("examples/video-pipeline.json", PROTO_DOC_WORKFLOW);
    /* a probability out of range: named, with the range */
    double prob = w->probability;
    w->probability = 1.5;
    submit(&f, w, &g);
    w->probability = prob;
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT);
    cr_assert_eq(g.r->error->n_problems, 1);
    cr_assert(strstr(g.r->error->problems[0], "probability") &&
                  strstr(g.r->error->problems[0], "(0, 1]"),
              "%s", g.r->error->problems[0]);
    /* an endpoint on a node the cluster lacks: named, with the node */
    char *node = w->endpoints[0]->node;
    w->endpoints[0]->node = (char *)"h-9-9-9";
    submit(&f, w, &g);
    w->endpoints[0]->node = node;
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT);
    cr_assert_eq(g.r->error->n_problems, 1);
    cr_assert(strstr(g.r->error->problems[0], "endpoints[0].node") &&
                  strstr(g.r->error->problems[0], "h-9-9-9"),
              "%s", g.r->error->problems[0]);
    /* raw integers off the wire: UINT64_MAX is no deadline to placer,
     * and a rate past PLC_QTY_MAX overflows sums; both named */
    uint64_t dl = w->deadline->ns;
    w->deadline->ns = UINT64_MAX;
    cr_assert(w->n_links > 0 && w->links[0]->rate);
    uint64_t rate = w->links[0]->rate->bps;
    w->links[0]->rate->bps = PLC_QTY_MAX + 1;
    submit(&f, w, &g);
    w->deadline->ns = dl;
    w->links[0]->rate->bps = rate;
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BAD_INPUT);
    cr_assert_eq(g.r->error->n_problems, 2);
    bool named_deadline = false, named_rate = false;
    for (size_t i = 0; i < 2; i++) {
        const char *m = g.r->error->problems[i];
        named_deadline |=
            !strncmp(m, "deadline: ", 10) && strstr(m, "too large for a time");
        named_rate |= !strncmp(m, "links[0].rate: ", 15) &&
                      strstr(m, "too large for a rate");
    }
    cr_assert(named_deadline && named_rate, "%s | %s", g.r->error->problems[0],
              g.r->error->problems[1]);
    list(&f, &g);
    cr_assert_eq(g.r->list->n_workflows, 0, "nothing stored");
    placer__workflow__free_unpacked(w, NULL);
    placer__cluster__free_unpacked(c, NULL);
    got_clear(&g);
    fx_close(&f);
}

/* A full queue answers busy; srv_stop() answers the waiting ones busy and
 * calls back once the one in progress is done. */
struct stopped {
    int n;
};

static void on_stopped(void *arg)
{
    ((struct stopped *)arg)->n++;
}

Test(request, a_full_queue_and_a_stop_answer_busy)
{
    struct fixture f;
    fx_open(&f, 1);
    struct got g = {0};
    Placer__Cluster *c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);
    apply_cluster(&f, c, false, &g);
    Placer__Workflow *w =
        load("examples/video-pipeline.json", PROTO_DOC_WORKFLOW);
    char names[3][32];
    struct got r[3] = {{0}};
    Placer__SubmitRequest s[3];
    Placer__Request req[3];
    for (int i = 0; i < 3; i++) {
        snprintf(names[i], sizeof names[i], "video-%d", i);
        placer__submit_request__init(&s[i]);
        placer__request__init(&req[i]);
        s[i].workflow = w;
        req[i].op_case = PLACER__REQUEST__OP_SUBMIT;
        req[i].submit = &s[i];
        req[i].has_protocol_version = 1;
        req[i].protocol_version = SRV_PROTOCOL_VERSION;
    }
    /* three at once, without running the loop: the first is planned, the
     * second waits (the queue holds one), the third hears busy at once */
    char *name = w->name;
    for (int i = 0; i < 3; i++) {
        w->name = names[i];
        size_t len = placer__request__get_packed_size(&req[i]);
        uint8_t *buf = malloc(len);
        placer__request__pack(&req[i], buf);
        srv_request_bytes(f.s, buf, len, on_reply, &r[i]);
        free(buf);
    }
    w->name = name;
    cr_assert(srv_planning(f.s));
    cr_assert_eq(srv_queued(f.s), 1);
    cr_assert_eq(r[0].n + r[1].n, 0, "answered before the plan");
    cr_assert_eq(r[2].n, 1);
    cr_assert_eq(error_of(&r[2]), PLACER__ERROR_CODE__ERROR_CODE_BUSY);
    /* stop: the waiting one hears busy now, the running one finishes */
    struct stopped st = {0};
    srv_stop(f.s, on_stopped, &st);
    cr_assert_eq(r[1].n, 1);
    cr_assert_eq(error_of(&r[1]), PLACER__ERROR_CODE__ERROR_CODE_BUSY);
    cr_assert(strstr(r[1].r->error->message, "shutting down"), "%s",
              r[1].r->error->message);
    cr_assert_eq(st.n, 0, "stopped before the plan in progress is done");
    uv_run(&f.loop, UV_RUN_DEFAULT);
    cr_assert_eq(st.n, 1);
    cr_assert_eq(r[0].n, 1);
    cr_assert_eq(r[0].r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert(r[0].r->plan->admitted);
    /* stopped: new admissions hear busy, queries are still answered */
    w->name = names[2];
    submit(&f, w, &g);
    w->name = name;
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_BUSY);
    list(&f, &g);
    cr_assert_eq(g.r->list->n_workflows, 1);
    cr_assert_str_eq(g.r->list->workflows[0]->name, names[0]);
    for (int i = 0; i < 3; i++)
        got_clear(&r[i]);
    placer__workflow__free_unpacked(w, NULL);
    placer__cluster__free_unpacked(c, NULL);
    got_clear(&g);
    fx_close(&f);
}

/* Agents: what the server sends back goes through the transport's
 * sender, to the peer that spoke. */
struct outbox {
    int n, accepted;
    char peer[16];
    Placer__ServerToAgent *last;
    /* the largest CPU reservation sent: its cores on the wire, and as
     * the agent's wire conversion reads them */
    size_t wire_cores;
    int agent_cores;
};

static void saw_reservation(struct outbox *o, const Placer__Reservation *r)
{
    if (r->kind != PLACER__RESERVATION_KIND__RESERVATION_KIND_CPU ||
        r->n_cores <= o->wire_cores)
        return;
    o->wire_cores = r->n_cores;
    struct agent_res a;
    char why[256];
    cr_assert(agent_wire_res(r, &a, why, sizeof why), "%s", why);
    o->agent_cores = a.n_cores;
    for (int i = 0; i < a.n_cores; i++)
        cr_assert_eq(a.cores[i], (int)r->cores[i]);
}

static int record_send(void *arg, const void *peer, size_t peer_len,
                       const uint8_t *msg, size_t len)
{
    struct outbox *o = arg;
    o->n++;
    snprintf(o->peer, sizeof o->peer, "%.*s", (int)peer_len,
             (const char *)peer);
    if (o->last)
        placer__server_to_agent__free_unpacked(o->last, NULL);
    o->last = placer__server_to_agent__unpack(NULL, len, msg);
    cr_assert_not_null(o->last);
    o->accepted +=
        o->last->msg_case == PLACER__SERVER_TO_AGENT__MSG_REGISTERED &&
        o->last->registered->accepted;
    if (o->last->msg_case == PLACER__SERVER_TO_AGENT__MSG_APPLY)
        saw_reservation(o, o->last->apply);
    if (o->last->msg_case == PLACER__SERVER_TO_AGENT__MSG_DESIRED)
        for (size_t i = 0; i < o->last->desired->n_reservations; i++)
            saw_reservation(o, o->last->desired->reservations[i]);
    return 0;
}

/* A message from `peer`, whose key serves `key_host` (NULL: no keys). */
static void agent_says_as(struct srv *s, const char *peer, const char *key_host,
                          Placer__AgentToServer *m)
{
    m->has_protocol_version = 1;
    m->protocol_version = SRV_PROTOCOL_VERSION;
    size_t len = placer__agent_to_server__get_packed_size(m);
    uint8_t *buf = malloc(len + 1);
    placer__agent_to_server__pack(m, buf);
    srv_agent_message(s, peer, strlen(peer), key_host, buf, len);
    free(buf);
}

static void agent_says(struct srv *s, const char *peer,
                       Placer__AgentToServer *m)
{
    agent_says_as(s, peer, NULL, m);
}

/* A submission's time limit runs from its arrival: one whose limit ran
 * out while it waited behind another plan is answered busy, unplanned,
 * and leaves nothing stored. */
Test(request, a_limit_spent_in_the_queue_is_answered_busy_unplanned)
{
    struct fixture f;
    fx_open(&f, 4);
    struct got g = {0};
    Placer__Cluster *c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);
    apply_cluster(&f, c, false, &g);
    Placer__Workflow *w =
        load("examples/video-pipeline.json", PROTO_DOC_WORKFLOW);
    char *name = w->name;
    char names[2][32] = {"first", "late"};
    struct got r[2] = {{0}};
    for (int i = 0; i < 2; i++) {
        Placer__SubmitRequest s = PLACER__SUBMIT_REQUEST__INIT;
        Placer__Request req = PLACER__REQUEST__INIT;
        s.workflow = w;
        /* the second gets 1 ms: less than any plan before it takes */
        s.has_time_limit_ms = i == 1;
        s.time_limit_ms = 1;
        req.op_case = PLACER__REQUEST__OP_SUBMIT;
        req.submit = &s;
        req.has_protocol_version = 1;
        req.protocol_version = SRV_PROTOCOL_VERSION;
        w->name = names[i];
        size_t len = placer__request__get_packed_size(&req);
        uint8_t *buf = malloc(len);
        placer__request__pack(&req, buf);
        srv_request_bytes(f.s, buf, len, on_reply, &r[i]);
        free(buf);
    }
    w->name = name;
    while ((r[0].n == 0 || r[1].n == 0) && uv_run(&f.loop, UV_RUN_ONCE))
        ;
    cr_assert_eq(r[0].r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert(r[0].r->plan->admitted);
    cr_assert_eq(error_of(&r[1]), PLACER__ERROR_CODE__ERROR_CODE_BUSY);
    cr_assert(strstr(r[1].r->error->message, "waited") &&
                  strstr(r[1].r->error->message, "time limit"),
              "%s", r[1].r->error->message);
    named(&f, PLACER__REQUEST__OP_STATUS, "late", &g);
    cr_assert_eq(error_of(&g), PLACER__ERROR_CODE__ERROR_CODE_NOT_FOUND);
    got_clear(&g);
    got_clear(&r[0]);
    got_clear(&r[1]);
    placer__workflow__free_unpacked(w, NULL);
    placer__cluster__free_unpacked(c, NULL);
    fx_close(&f);
}

Test(request, agents_register_through_the_transport_sender)
{
    struct fixture f;
    snprintf(f.dir, sizeof f.dir, "/tmp/test_request.XXXXXX");
    cr_assert_not_null(mkdtemp(f.dir));
    snprintf(f.db, sizeof f.db, "%s/placer.db", f.dir);
    cr_assert_eq(uv_loop_init(&f.loop), 0);
    struct outbox out = {0};
    struct srv_options o = {.db = f.db,
                            .agents_allowed = true,
                            .agent_send = record_send,
                            .agent_arg = &out};
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(srv_open(&f.s, &f.loop, &o, &err), 0, "%s", err.msg);
    struct got g = {0};
    Placer__Cluster *c = load("examples/fat-tree-k4.json", PROTO_DOC_CLUSTER);
    apply_cluster(&f, c, false, &g);

    Placer__AgentRegister reg = PLACER__AGENT_REGISTER__INIT;
    reg.host = (char *)"h-9-9-9";
    reg.instance = (char *)"agent-a";
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_REGISTRATION;
    m.registration = &reg;
    /* a host the cluster lacks: refused, saying so */
    agent_says(f.s, "peer-a", &m);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.peer, "peer-a");
    cr_assert_eq(out.last->msg_case, PLACER__SERVER_TO_AGENT__MSG_REGISTERED);
    cr_assert_not(out.last->registered->accepted);
    cr_assert(strstr(out.last->registered->message, "no such host"));

    reg.host = c->hosts[0]->name;
    reg.has_cores = 1;
    reg.cores = 4;
    /* the valid key of another host: refused, naming whose key it is */
    agent_says_as(f.s, "peer-x", c->hosts[1]->name, &m);
    cr_assert_eq(out.n, 2);
    cr_assert_str_eq(out.peer, "peer-x");
    cr_assert_not(out.last->registered->accepted);
    cr_assert(strstr(out.last->registered->message, "the key of host") &&
                  strstr(out.last->registered->message, c->hosts[1]->name),
              "%s", out.last->registered->message);
    /* its own key */
    agent_says_as(f.s, "peer-a", c->hosts[0]->name, &m);
    cr_assert_geq(out.n, 3);
    /* accepted (then, perhaps, the desired set of its host) */
    cr_assert_eq(out.accepted, 1);
    Placer__HostsRequest hr = PLACER__HOSTS_REQUEST__INIT;
    Placer__Request req = PLACER__REQUEST__INIT;
    req.op_case = PLACER__REQUEST__OP_HOSTS;
    req.hosts = &hr;
    ask(&f, &req, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_HOSTS);
    int up = 0;
    for (size_t i = 0; i < g.r->hosts->n_hosts; i++)
        up += g.r->hosts->hosts[i]->state == PLACER__HOST_STATE__HOST_STATE_UP
                  ? !strcmp(g.r->hosts->hosts[i]->name, reg.host) ? 1 : 100
                  : 0;
    cr_assert_eq(up, 1, "the registered host alone is up");

    /* a second agent for the same, live host: refused */
    reg.instance = (char *)"agent-b";
    int before = out.n;
    agent_says(f.s, "peer-b", &m);
    cr_assert_eq(out.n, before + 1);
    cr_assert_str_eq(out.peer, "peer-b");
    cr_assert_not(out.last->registered->accepted);

    /* a heartbeat from the registered one is echoed to it */
    Placer__AgentHeartbeat hb = PLACER__AGENT_HEARTBEAT__INIT;
    hb.host = c->hosts[0]->name;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_HEARTBEAT;
    m.heartbeat = &hb;
    agent_says(f.s, "peer-a", &m);
    cr_assert_str_eq(out.peer, "peer-a");
    cr_assert_eq(out.last->msg_case, PLACER__SERVER_TO_AGENT__MSG_HEARTBEAT);

    placer__server_to_agent__free_unpacked(out.last, NULL);
    placer__cluster__free_unpacked(c, NULL);
    got_clear(&g);
    fx_close(&f);
}

/* A service of 100 vCPUs on a 128-core host (more cores than placer once
 * had room for anywhere): admitted, sent to its agent with all 100 cores,
 * and again after the server reopens its store. */
static void open_with_agents(struct fixture *f, struct outbox *out)
{
    cr_assert_eq(uv_loop_init(&f->loop), 0);
    struct srv_options o = {.db = f->db,
                            .agents_allowed = true,
                            .agent_send = record_send,
                            .agent_arg = out};
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(srv_open(&f->s, &f->loop, &o, &err), 0, "%s", err.msg);
}

static void register_agent(struct fixture *f, const char *host)
{
    Placer__AgentRegister reg = PLACER__AGENT_REGISTER__INIT;
    reg.host = (char *)host;
    reg.instance = (char *)"agent-w";
    reg.has_cores = 1;
    reg.cores = 128;
    Placer__AgentToServer m = PLACER__AGENT_TO_SERVER__INIT;
    m.msg_case = PLACER__AGENT_TO_SERVER__MSG_REGISTRATION;
    m.registration = &reg;
    agent_says(f->s, "peer-w", &m);
    for (int i = 0; i < 20; i++) { /* what the registration set going */
        srv_agents_tick(f->s);
        uv_run(&f->loop, UV_RUN_NOWAIT);
    }
}

static void *parse(const char *json, enum proto_doc_kind kind)
{
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(
        proto_doc_load_text(&doc, "t.json", json, strlen(json), kind, &err), 0,
        "%s", err.msg);
    void *m = doc.msg;
    doc.msg = NULL;
    proto_doc_release(&doc);
    return m;
}

Test(request, a_wide_service_reaches_its_agent_with_every_core)
{
    struct fixture f;
    snprintf(f.dir, sizeof f.dir, "/tmp/test_request.XXXXXX");
    cr_assert_not_null(mkdtemp(f.dir));
    snprintf(f.db, sizeof f.db, "%s/placer.db", f.dir);
    struct outbox out = {0};
    open_with_agents(&f, &out);
    struct got g = {0};
    Placer__Cluster *c =
        parse("{\"hosts\": [{\"name\": \"big\", \"cores\": 128,"
              " \"core_capacity\": 0.9}]}",
              PROTO_DOC_CLUSTER);
    Placer__Workflow *w =
        parse("{\"name\": \"wide\", \"deadline\": \"100ms\", \"services\":"
              " [{\"name\": \"s\", \"vcpus\": 100, \"exec_time\": {\"wcet\":"
              " \"2ms\"}, \"reservation\": {\"periods\": [\"10ms\"]}}]}",
              PROTO_DOC_WORKFLOW);
    apply_cluster(&f, c, false, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_CLUSTER_APPLY);
    submit(&f, w, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN, "result %d",
                 g.r->result_case);
    const Placer__Plan *plan = g.r->plan;
    cr_assert(plan && plan->admitted);
    cr_assert_eq(plan->n_services, 1);
    cr_assert_eq(plan->services[0]->n_cores, 100);

    register_agent(&f, "big");
    cr_assert_eq(out.accepted, 1);
    cr_assert_eq(out.wire_cores, 100, "sent with %zu cores", out.wire_cores);
    cr_assert_eq(out.agent_cores, 100, "read by the agent as %d cores",
                 out.agent_cores);

    /* reopened: the reservation comes back from the store whole */
    fx_shut(&f);
    placer__server_to_agent__free_unpacked(out.last, NULL);
    out = (struct outbox){0};
    open_with_agents(&f, &out);
    register_agent(&f, "big");
    cr_assert_eq(out.accepted, 1);
    cr_assert_eq(out.wire_cores, 100, "reloaded with %zu cores",
                 out.wire_cores);
    cr_assert_eq(out.agent_cores, 100);

    placer__server_to_agent__free_unpacked(out.last, NULL);
    placer__workflow__free_unpacked(w, NULL);
    placer__cluster__free_unpacked(c, NULL);
    got_clear(&g);
    fx_close(&f);
}

/* Each admission counts against the next plan at once, and a release
 * gives its capacity back: the residual the plans read is kept up to date
 * host by host (state.c), never re-derived from the store per plan. */
Test(request, admissions_take_and_releases_give_back_host_by_host)
{
    struct fixture f;
    fx_open(&f, 0);
    struct got g = {0};
    Placer__Cluster *c = parse(
        "{\"hosts\": [{\"name\": \"a\", \"cores\": 1}, {\"name\": \"b\","
        " \"cores\": 1}], \"switches\": [{\"name\": \"s\"}], \"links\": [{"
        "\"a\": \"a\", \"b\": \"s\", \"rate\": \"1Gbit\"}, {\"a\": \"b\","
        " \"b\": \"s\", \"rate\": \"1Gbit\"}]}",
        PROTO_DOC_CLUSTER);
    apply_cluster(&f, c, false, &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_CLUSTER_APPLY);
    /* 0.6 of a core each: one per host */
    char text[512], host[3][16];
    Placer__Workflow *w[3];
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text,
                 "{\"name\": \"w%d\", \"services\": [{\"name\": \"s\","
                 " \"exec_time\": {\"wcet\": \"6ms\"}, \"reservation\":"
                 " {\"periods\": [\"10ms\"], \"budgets\": [\"6ms\"]}}]}",
                 i);
        w[i] = parse(text, PROTO_DOC_WORKFLOW);
    }
    for (int i = 0; i < 2; i++) {
        submit(&f, w[i], &g);
        cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
        cr_assert(g.r->plan->admitted, "w%d rejected", i);
        snprintf(host[i], sizeof host[i], "%s", g.r->plan->services[0]->host);
    }
    cr_assert_str_neq(host[0], host[1], "both on %s: booked twice", host[0]);
    submit(&f, w[2], &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert_not(g.r->plan->admitted, "a third 0.6 fitted two cores");
    /* the first released: its host takes the third */
    named(&f, PLACER__REQUEST__OP_RELEASE, "w0", &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_RELEASE);
    submit(&f, w[2], &g);
    cr_assert_eq(g.r->result_case, PLACER__RESPONSE__RESULT_PLAN);
    cr_assert(g.r->plan->admitted, "the released capacity did not return");
    cr_assert_str_eq(g.r->plan->services[0]->host, host[0]);
    for (int i = 0; i < 3; i++)
        placer__workflow__free_unpacked(w[i], NULL);
    placer__cluster__free_unpacked(c, NULL);
    got_clear(&g);
    fx_close(&f);
}
