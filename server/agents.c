/*
 * agents.c: the node agents' side of the server.  An agent registers its
 * host; the server answers with the heartbeat period and sends it the
 * reservations of its host (sync.c); a host whose agent misses three
 * heartbeats is down (nothing new is placed there) until it is heard
 * again.  The transport delivers the agents' messages and carries the
 * server's (srv_options.agent_send).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plc/clock.h"
#include "proto/json.h"

static void agent_send(struct srv *srv, const void *id, size_t id_len,
                       bool accepted, const char *msg)
{
    Placer__RegisterReply rr = PLACER__REGISTER_REPLY__INIT;
    rr.has_accepted = rr.has_heartbeat_ms = 1;
    rr.accepted = accepted;
    rr.heartbeat_ms = SRV_HEARTBEAT_MS;
    rr.message = (char *)msg;
    Placer__ServerToAgent m = PLACER__SERVER_TO_AGENT__INIT;
    m.has_protocol_version = 1;
    m.protocol_version = SRV_PROTOCOL_VERSION;
    m.msg_case = PLACER__SERVER_TO_AGENT__MSG_REGISTERED;
    m.registered = &rr;
    uint8_t buf[1024];
    size_t len = placer__server_to_agent__get_packed_size(&m);
    if (len > sizeof buf)
        return;
    placer__server_to_agent__pack(&m, buf);
    int e = srv->agent_send
                ? srv->agent_send(srv->agent_arg, id, id_len, buf, len)
                : 0;
    if (e)
        plc_log(PLC_LOG_WARN, "cannot answer an agent (%s)", strerror(e));
}

/* Any message to host h's agent (sync.c's sender). */
void srv__agent_send_to(void *arg, size_t h, const Placer__ServerToAgent *m)
{
    struct srv *srv = arg;
    const struct host_agent *a =
        h < srv->totals.n_hosts ? &srv->totals.agent[h] : NULL;
    if (!a || !a->identity)
        return;
    Placer__ServerToAgent c = *m;
    c.has_protocol_version = 1;
    c.protocol_version = SRV_PROTOCOL_VERSION;
    size_t len = placer__server_to_agent__get_packed_size(&c);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return;
    placer__server_to_agent__pack(&c, buf);
    int e = srv->agent_send ? srv->agent_send(srv->agent_arg, a->identity,
                                              a->identity_len, buf, len)
                            : 0;
    if (e)
        plc_log(PLC_LOG_WARN, "cannot send to the agent of %s (%s); retried",
                srv->totals.node_names[h], strerror(e));
    free(buf);
}

/* The host of the agent behind a routing id, or SIZE_MAX. */
static size_t agent_host(const struct srv *srv, const void *id, size_t id_len)
{
    for (size_t h = 0; srv->totals.agent && h < srv->totals.n_hosts; h++) {
        const struct host_agent *a = &srv->totals.agent[h];
        if (a->identity && a->identity_len == id_len &&
            !memcmp(a->identity, id, id_len))
            return h;
    }
    return SIZE_MAX;
}

static void agent_state(struct srv *srv, size_t h, enum host_agent_state st,
                        const Placer__AgentRegister *r)
{
    struct host_agent *a = &srv->totals.agent[h];
    bool changed = a->state != st;
    a->state = st;
    srv__totals_touch_agent(&srv->totals, h); /* capacity, platform, state */
    struct plc_error err = PLC_ERROR_INIT;
    struct store_agent row = {srv->totals.node_names[h],
                              st == HOST_UP ? "up" : "down",
                              r && r->has_cores ? r->cores : 0,
                              r && r->has_core_capacity ? r->core_capacity : 0,
                              r && r->has_memory_bytes ? r->memory_bytes : 0,
                              a->summary,
                              r && r->version ? r->version : "",
                              a->has_platform ? (int64_t)a->overhead_ns : -1,
                              a->has_platform ? (int64_t)a->granularity_ns : -1,
                              a->has_platform ? (int64_t)a->wakeup_ns : -1,
                              a->has_platform ? a->platform_note : NULL};
    if (store_agent_put(srv->store, &row, &err) < 0)
        plc_log(PLC_LOG_ERROR, "%s", err.msg);
    if (changed) {
        /* the watch's: who said so is the agent, or placerd's clock */
        char actor[96];
        snprintf(actor, sizeof actor, "%s",
                 st == HOST_UP ? "agent" : "placerd (missed heartbeats)");
        store_set_actor(srv->store, actor);
        if (store_event_append(srv->store,
                               st == HOST_UP ? "host_up" : "host_down",
                               srv->totals.node_names[h], a->summary, &err) < 0)
            plc_log(PLC_LOG_ERROR, "%s", err.msg);
    }
}

/* A workflow's state changed (srv__sync_state_changes): an event. */
static void state_event(void *arg, const char *workflow, Placer__State st)
{
    struct srv *srv = arg;
    char name[32];
    struct plc_error err = PLC_ERROR_INIT;
    proto_enum_json_name(&placer__state__descriptor, (int)st, name,
                         sizeof name);
    store_set_actor(srv->store, "agents");
    if (store_event_append(srv->store, "state", workflow, name, &err) < 0)
        plc_log(PLC_LOG_ERROR, "%s", err.msg);
}

/* An agent's steal envelope changed: the supply delay it implies at the
 * host's capacity, computed once here for every later plan. */
static void steal_taken(struct srv *srv, size_t h)
{
    struct host_agent *a = &srv->totals.agent[h];
    srv__totals_supply_cache(&srv->totals, h);
    srv__totals_touch_agent(&srv->totals, h);
    if (!a->n_steal)
        return;
    plc_log(PLC_LOG_INFO,
            "host %s: its host takes CPU time (steal, up to %llu us in "
            "%llu ms); plans add a supply delay of %llu us at capacity %.3f "
            "(usable %.3f)",
            srv->totals.node_names[h],
            (unsigned long long)a->steal_ns[0] / 1000,
            (unsigned long long)a->steal_window_ns[0] / 1000000,
            (unsigned long long)(a->supply_delay_ns + 999) / 1000,
            a->supply_for, a->supply_cap);
}

static void agent_register(struct srv *srv, const void *id, size_t id_len,
                           const char *key_host, const Placer__AgentRegister *r)
{
    size_t h = r->host ? srv__totals_node(&srv->totals, r->host) : SIZE_MAX;
    /* a key serves the one host it is named after: a valid key of one host
     * must not register as another */
    if (key_host && (!r->host || strcmp(key_host, r->host))) {
        double *said = h < srv->totals.n_hosts
                           ? &srv->totals.agent[h].refused_log_ms
                           : &srv->refused_agents_ms;
        if (plc_now_ms() - *said > 60000) {
            plc_log(PLC_LOG_WARN,
                    "refused an agent registering as '%s': its key is "
                    "%s.pub, the key of host '%s'",
                    r->host ? r->host : "", key_host, key_host);
            *said = plc_now_ms();
        }
        char msg[256];
        snprintf(msg, sizeof msg,
                 "this agent's key is the key of host '%s' (%s.pub in "
                 "placerd's --agent-keys), not of '%s'; give each host its "
                 "own pair, named after it",
                 key_host, key_host, r->host ? r->host : "");
        agent_send(srv, id, id_len, false, msg);
        return;
    }
    if (h >= srv->totals.n_hosts) {
        plc_log(PLC_LOG_WARN,
                "refused an agent for '%s': no such host in the "
                "cluster",
                r->host ? r->host : "");
        agent_send(srv, id, id_len, false, "no such host in placerd's cluster");
        return;
    }
    struct host_agent *a = &srv->totals.agent[h];
    /* a second agent for a host whose agent is alive: refused (the same
     * agent restarted has the same instance and takes over at once) */
    bool other = a->identity && (a->identity_len != id_len ||
                                 memcmp(a->identity, id, id_len) != 0);
    if (other && a->state == HOST_UP &&
        plc_now_ms() - a->last_seen_ms < 2.5 * SRV_HEARTBEAT_MS &&
        r->instance && a->instance[0] && strcmp(a->instance, r->instance)) {
        if (plc_now_ms() - a->refused_log_ms > 60000) {
            plc_log(PLC_LOG_WARN,
                    "refused a second agent for %s (%s): the agent %s serves "
                    "it and is alive",
                    r->host, r->instance, a->instance);
            a->refused_log_ms = plc_now_ms();
        }
        agent_send(srv, id, id_len, false,
                   "another agent serves this host and is alive; stop it, "
                   "or start this one with the --host it serves");
        return;
    }
    snprintf(a->instance, sizeof a->instance, "%s",
             r->instance ? r->instance : "");
    void *copy = malloc(id_len + 1);
    if (!copy)
        return;
    memcpy(copy, id, id_len);
    free(a->identity);
    a->identity = copy;
    a->identity_len = id_len;
    a->last_seen_ms = plc_now_ms();
    char backends[96] = "";
    for (size_t i = 0; i < r->n_backends; i++)
        snprintf(backends + strlen(backends),
                 sizeof backends - strlen(backends), "%s%s", i ? "," : "",
                 r->backends[i]);
    /* and its network devices, as it listed them */
    char devices[96] = "";
    for (size_t i = 0; i < r->n_devices && r->devices[i]->name; i++)
        snprintf(devices + strlen(devices), sizeof devices - strlen(devices),
                 "%s%s%s%s", i ? ", " : "; ", r->devices[i]->name,
                 r->devices[i]->address ? " " : "",
                 r->devices[i]->address ? r->devices[i]->address : "");
    snprintf(a->summary, sizeof a->summary, "placer-agent %.16s (%.60s%.95s)",
             r->version ? r->version : "?", backends, devices);
    /* the kernel's deadline capacity as the agent probed it counts from
     * the next plan on */
    a->capacity =
        r->has_core_capacity && r->core_capacity > 0 && r->core_capacity <= 1
            ? r->core_capacity
            : 0;
    /* the kernel's bandwidth is global over its CPUs: spread it over the
     * cores the cluster file models */
    const Placer__Host *mh = srv->totals.cluster->hosts[h];
    int model_cores = mh->has_cores && mh->cores > 0 ? mh->cores : 1;
    if (a->capacity > 0 && r->has_cores && r->cores > 0 &&
        r->cores != model_cores)
        a->capacity = fmin(1.0, a->capacity * r->cores / model_cores);
    a->has_platform = r->platform && r->platform->overhead &&
                      r->platform->granularity && r->platform->wakeup_latency;
    if (a->has_platform) {
        a->overhead_ns = r->platform->overhead->ns;
        a->granularity_ns = r->platform->granularity->ns;
        a->wakeup_ns = r->platform->wakeup_latency->ns;
        a->hrtick = r->platform->has_hrtick && r->platform->hrtick;
        /* p99.9 figures without distributions leave 0.001 per term */
        a->exceed = r->platform->has_exceed_probability &&
                            r->platform->exceed_probability >= 0 &&
                            r->platform->exceed_probability < 1
                        ? r->platform->exceed_probability
                        : 0.002;
        a->n_q = r->platform->n_overhead_quantiles == 5 &&
                         r->platform->n_wakeup_quantiles == 5
                     ? 5
                     : 0;
        for (size_t i = 0; i < a->n_q; i++) {
            a->overhead_q[i] = r->platform->overhead_quantiles[i]->ns;
            a->wakeup_q[i] = r->platform->wakeup_quantiles[i]->ns;
        }
        snprintf(a->platform_note, sizeof a->platform_note, "%s",
                 r->platform_note ? r->platform_note : "");
        a->n_steal = 0;
        srv__host_agent_set_steal(a, r->platform->steal, r->platform->n_steal);
        steal_taken(srv, h);
        plc_log(PLC_LOG_INFO,
                "agent for %s measured its platform: overhead %llu us, "
                "wake-up %llu us, budget overrun %llu us (%s)",
                r->host, (unsigned long long)(a->overhead_ns + 999) / 1000,
                (unsigned long long)(a->wakeup_ns + 999) / 1000,
                (unsigned long long)(a->granularity_ns + 999) / 1000,
                a->hrtick ? "HRTICK_DL on" : "HRTICK_DL off");
    }
    agent_state(srv, h, HOST_UP, r);
    char cap[32] = "capacity not probed";
    if (r->has_core_capacity)
        snprintf(cap, sizeof cap, "capacity %.3f", r->core_capacity);
    plc_log(PLC_LOG_INFO,
            "agent for %s registered: %d CPUs (%s), %llu bytes, backends %s",
            r->host, r->has_cores ? r->cores : 0, cap,
            (unsigned long long)(r->has_memory_bytes ? r->memory_bytes : 0),
            backends);
    agent_send(srv, id, id_len, true, "registered");
    /* then what it should enforce */
    a->synced = true;
    srv__sync_host_up(&srv->sync, h);
}

void srv_agent_message(struct srv *srv, const void *id, size_t id_len,
                       const char *key_host, const uint8_t *data, size_t len)
{
    Placer__AgentToServer *m = placer__agent_to_server__unpack(NULL, len, data);
    if (!m) {
        plc_log(PLC_LOG_WARN,
                "dropped %zu bytes on the agents' socket that are "
                "not an AgentToServer message",
                len);
        return;
    }
    if (!srv->agents_allowed) {
        /* it retries every second */
        if (plc_now_ms() - srv->refused_agents_ms > 60000) {
            plc_log(PLC_LOG_WARN,
                    "refused an agent: placerd accepts agents only with "
                    "CURVE keys (--server-key, --agent-keys) or with "
                    "--insecure-agents on ipc:// or loopback");
            srv->refused_agents_ms = plc_now_ms();
        }
        agent_send(srv, id, id_len, false,
                   "placerd does not accept agents without keys on this "
                   "socket; run it with --server-key and --agent-keys, or "
                   "--insecure-agents on ipc:// or loopback");
    } else if (!m->has_protocol_version ||
               m->protocol_version != SRV_PROTOCOL_VERSION) {
        plc_log(PLC_LOG_WARN, "refused an agent message of protocol version %u",
                m->has_protocol_version ? m->protocol_version : 0);
        char msg[96];
        snprintf(msg, sizeof msg,
                 "protocol version %u is not spoken here; this placerd "
                 "speaks %d",
                 m->has_protocol_version ? m->protocol_version : 0,
                 SRV_PROTOCOL_VERSION);
        agent_send(srv, id, id_len, false, msg);
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_REGISTRATION) {
        agent_register(srv, id, id_len, key_host, m->registration);
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_HEARTBEAT) {
        const char *host = m->heartbeat->host;
        size_t h = host ? srv__totals_node(&srv->totals, host) : SIZE_MAX;
        struct host_agent *a =
            h < srv->totals.n_hosts ? &srv->totals.agent[h] : NULL;
        if (a && a->identity && a->identity_len == id_len &&
            !memcmp(a->identity, id, id_len)) {
            a->last_seen_ms = plc_now_ms();
            if (a->has_platform && m->heartbeat->n_steal &&
                srv__host_agent_set_steal(a, m->heartbeat->steal,
                                          m->heartbeat->n_steal))
                steal_taken(srv, h);
            /* echoed, so that the agent knows placerd is there */
            Placer__ServerToAgent echo = PLACER__SERVER_TO_AGENT__INIT;
            echo.msg_case = PLACER__SERVER_TO_AGENT__MSG_HEARTBEAT;
            echo.heartbeat = m->heartbeat;
            srv__agent_send_to(srv, h, &echo);
            if (a->state == HOST_DOWN) {
                plc_log(PLC_LOG_INFO, "host %s is up again", host);
                agent_state(srv, h, HOST_UP, NULL);
                srv__sync_host_up(&srv->sync, h);
            }
        } else {
            /* placerd restarted, or the cluster changed: register again */
            agent_send(srv, id, id_len, false, "unknown agent: register");
        }
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_ACK) {
        size_t h = agent_host(srv, id, id_len);
        const Placer__AgentAck *k = m->ack;
        if (h == SIZE_MAX) {
            agent_send(srv, id, id_len, false, "unknown agent: register");
        } else {
            if (!k->ok)
                plc_log(PLC_LOG_WARN, "agent of %s: %s %s failed: %s",
                        srv->totals.node_names[h],
                        k->op == PLACER__ACK_OP__ACK_OP_REMOVE ? "remove"
                                                               : "apply",
                        k->reservation_id ? k->reservation_id : "?",
                        k->error ? k->error : "no reason given");
            else
                plc_log(PLC_LOG_DEBUG, "agent of %s: %s %s done",
                        srv->totals.node_names[h],
                        k->op == PLACER__ACK_OP__ACK_OP_REMOVE ? "remove"
                                                               : "apply",
                        k->reservation_id ? k->reservation_id : "?");
            srv__sync_ack(&srv->sync, h, k);
        }
    } else if (m->msg_case == PLACER__AGENT_TO_SERVER__MSG_REPORT) {
        size_t h = agent_host(srv, id, id_len);
        if (h != SIZE_MAX)
            plc_log(PLC_LOG_DEBUG, "agent of %s enforces %zu reservations",
                    srv->totals.node_names[h], m->report->n_active);
    }
    placer__agent_to_server__free_unpacked(m, NULL);
}

void srv_agents_tick(struct srv *srv)
{
    double now = plc_now_ms();
    for (size_t h = 0; srv->totals.agent && h < srv->totals.n_hosts; h++) {
        struct host_agent *a = &srv->totals.agent[h];
        if (a->state == HOST_UP &&
            now - a->last_seen_ms > 3 * SRV_HEARTBEAT_MS) {
            plc_log(PLC_LOG_WARN,
                    "host %s is down: its agent missed three heartbeats "
                    "(%.1f s of silence); nothing new is placed there",
                    srv->totals.node_names[h], (now - a->last_seen_ms) / 1000);
            agent_state(srv, h, HOST_DOWN, NULL);
        }
    }
    srv__sync_tick(&srv->sync);
    srv__sync_state_changes(&srv->sync, state_event, srv);
    srv__watch_poll(srv, false);
    /* the event log keeps its newest SRV_EVENTS_KEPT: pruned each minute */
    if (now - srv->pruned_ms > 60000) {
        struct plc_error err = PLC_ERROR_INIT;
        srv->pruned_ms = now;
        if (store_events_prune(srv->store, SRV_EVENTS_KEPT, &err) < 0)
            plc_log(PLC_LOG_WARN, "%s", err.msg);
    }
}
