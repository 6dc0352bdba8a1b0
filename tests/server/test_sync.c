/* The server's agent synchronisation (server/sync.c) through its seams:
 * a cluster in the totals, an admission's rows, a send function that
 * records what would go to each agent, and acknowledgements fed back.
 * The lifecycle: admitted while the host has no agent, the desired set and
 * applying once it is up, active on its ack, degraded with the agent's
 * words on a failure and retried with backoff, removes on release. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "plc/error.h"
#include "proto/load.h"
#include "sync.h"

struct sent {
    int n, apply, remove, desired;
    size_t host;
    char id[256];
    uint64_t generation, budget_ns;
};

static void record(void *arg, size_t host, const Placer__ServerToAgent *m)
{
    struct sent *s = arg;
    s->n++;
    s->host = host;
    const Placer__Reservation *r = NULL;
    if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_APPLY) {
        s->apply++;
        r = m->apply;
    } else if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_REMOVE) {
        s->remove++;
        r = m->remove;
    } else if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_DESIRED) {
        s->desired++;
        if (m->desired->n_reservations)
            r = m->desired->reservations[0];
    }
    if (r) {
        snprintf(s->id, sizeof s->id, "%s", r->id ? r->id : "");
        s->generation = r->generation;
        s->budget_ns = r->budget_ns;
    }
}

static Placer__AgentAck ack_of(const struct sent *s, bool ok, bool remove,
                               const char *error)
{
    Placer__AgentAck a = PLACER__AGENT_ACK__INIT;
    a.reservation_id = (char *)s->id;
    a.has_generation = a.has_op = a.has_ok = 1;
    a.generation = s->generation;
    a.op =
        remove ? PLACER__ACK_OP__ACK_OP_REMOVE : PLACER__ACK_OP__ACK_OP_APPLY;
    a.ok = ok;
    a.error = (char *)error;
    return a;
}

Test(sync, the_lifecycle_of_a_reservation_through_its_agent)
{
    struct proto_doc doc = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    const char *json = "{\"hosts\": [{\"name\": \"h1\", \"cores\": 2},"
                       " {\"name\": \"h2\", \"cores\": 2}]}";
    cr_assert_eq(proto_doc_load_text(&doc, "c.json", json, strlen(json),
                                     PROTO_DOC_CLUSTER, &err),
                 0, "%s", err.msg);
    struct totals t = {0};
    cr_assert_eq(srv__totals_set_cluster(&t, (Placer__Cluster *)doc.msg), 0);
    doc.msg = NULL; /* the totals own it */
    proto_doc_release(&doc);
    struct sent got = {0};
    struct sync s = {0};
    s.totals = &t;
    s.send = record;
    s.arg = &got;

    struct store_service svc = {"s", "h1", 0};
    struct store_cpu cpu = {"s", "h1", 1, 0.1, 1000000, 10000000, 10000000};
    struct admission_rows rows = {&svc, &cpu, NULL, 1, 1, 0, NULL, NULL};
    cr_assert_eq(srv__sync_admitted(&s, "t", "w", &rows, 42), 0);
    const struct resv *r = srv__sync_find(&s, "t/w/s");
    cr_assert_not_null(r);
    const char *why;
    /* no agent on h1 yet: admitted, nothing sent */
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_ADMITTED);
    cr_assert_eq(got.n, 0);

    /* the agent registers: the desired set, with the reservation */
    t.agent[0].state = HOST_UP;
    t.agent[0].synced = true;
    srv__sync_host_up(&s, 0);
    cr_assert_geq(got.desired + got.apply, 1);
    cr_assert_eq(got.host, 0);
    cr_assert_str_eq(got.id, "t/w/s");
    cr_assert_eq(got.generation, 42);
    cr_assert_eq(got.budget_ns, 1000000);
    srv__sync_tick(&s); /* sends what is waiting */
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_APPLYING);

    /* a stale ack (another generation) changes nothing; the right one
     * makes it active */
    struct sent stale = got;
    stale.generation = 41;
    Placer__AgentAck a = ack_of(&stale, true, false, NULL);
    srv__sync_ack(&s, 0, &a);
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_APPLYING);
    a = ack_of(&got, true, false, NULL);
    srv__sync_ack(&s, 1, &a); /* from the wrong host: ignored */
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_APPLYING);
    srv__sync_ack(&s, 0, &a);
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_ACTIVE);

    /* a failure: degraded with the agent's words, retried after ~1 s */
    a = ack_of(&got, false, false, "sched_setattr(...): busy");
    srv__sync_ack(&s, 0, &a);
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_DEGRADED);
    cr_assert_str_eq(why, "sched_setattr(...): busy");
    int before = got.apply + got.desired;
    srv__sync_tick(&s);
    cr_assert_eq(got.apply + got.desired, before, "retried at once");
    struct timespec pause = {1, 100000000};
    nanosleep(&pause, NULL);
    srv__sync_tick(&s);
    cr_assert_eq(got.apply + got.desired, before + 1, "not retried");
    a = ack_of(&got, true, false, NULL);
    srv__sync_ack(&s, 0, &a);
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_ACTIVE);

    /* the agent goes down: degraded, naming the agent */
    t.agent[0].state = HOST_DOWN;
    cr_assert_eq(srv__sync_state(&s, r, &why), PLACER__STATE__STATE_DEGRADED);
    cr_assert(why && strstr(why, "agent"), "%s", why ? why : "(none)");
    t.agent[0].state = HOST_UP;

    /* release: a remove goes out; its ack drops the reservation */
    srv__sync_released(&s, "t", "w");
    cr_assert_geq(got.remove, 1);
    cr_assert_str_eq(got.id, "t/w/s");
    a = ack_of(&got, true, true, NULL);
    srv__sync_ack(&s, 0, &a);
    cr_assert_null(srv__sync_find(&s, "t/w/s"));
    cr_assert_null(srv__sync_workflow(&s, "t", "w"));

    srv__sync_release_all(&s);
    srv__totals_release(&t);
}
