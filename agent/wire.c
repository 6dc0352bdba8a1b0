/* wire.c: placerd's Reservation messages as the agent library's plain
 * structs (the edge between proto/ and agent/). */
#include "agent/wire.h"
#include "plc/limits.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* A reservation from placerd in plain C; false when it cannot be. */
bool agent_wire_res(const Placer__Reservation *m, struct agent_res *r,
                    char *why, size_t cap)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", m->id ? m->id : "");
    r->generation = m->generation;
    r->kind = m->kind == PLACER__RESERVATION_KIND__RESERVATION_KIND_NET
                  ? AGENT_NET
                  : AGENT_CPU;
    snprintf(r->workflow, sizeof r->workflow, "%s",
             m->workflow ? m->workflow : "");
    snprintf(r->service, sizeof r->service, "%s", m->service ? m->service : "");
    r->budget_ns = m->budget_ns;
    r->period_ns = m->period_ns;
    r->deadline_ns = m->deadline_ns ? m->deadline_ns : m->period_ns;
    for (size_t i = 0; i < m->n_cores && i < PLC_VCPUS_MAX; i++)
        r->cores[r->n_cores++] = (int)m->cores[i];
    r->vcpus = r->n_cores ? r->n_cores : 1;
    r->pid = m->pid;
    snprintf(r->cgroup_path, sizeof r->cgroup_path, "%s",
             m->cgroup ? m->cgroup : "");
    snprintf(r->next_hop, sizeof r->next_hop, "%s",
             m->next_hop ? m->next_hop : "");
    r->rate_bps = m->rate_bps;
    r->burst_bytes = m->burst_bytes;
    r->link_rate_bps = m->link_rate_bps;
    if (m->flow) {
        const Placer__FlowSpec *f = m->flow;
        struct in_addr x;
        r->flow.set = true;
        if (f->src && f->src[0]) {
            if (inet_pton(AF_INET, f->src, &x) != 1) {
                snprintf(why, cap, "flow source '%s' is not an IPv4 address",
                         f->src);
                return false;
            }
            r->flow.src = x.s_addr;
        }
        if (f->dst && f->dst[0]) {
            if (inet_pton(AF_INET, f->dst, &x) != 1) {
                snprintf(why, cap,
                         "flow destination '%s' is not an IPv4 address",
                         f->dst);
                return false;
            }
            r->flow.dst = x.s_addr;
        }
        r->flow.sport = (uint16_t)f->src_port;
        r->flow.dport = (uint16_t)f->dst_port;
        r->flow.proto = f->protocol && !strcmp(f->protocol, "tcp")   ? 6
                        : f->protocol && !strcmp(f->protocol, "udp") ? 17
                                                                     : 0;
    }
    if (r->kind == AGENT_CPU &&
        (!r->period_ns || !r->budget_ns || r->budget_ns > r->deadline_ns ||
         r->deadline_ns > r->period_ns)) {
        snprintf(why, cap,
                 "budget %llu ns, deadline %llu ns, period %llu ns: need 0 < "
                 "budget <= deadline <= period",
                 (unsigned long long)r->budget_ns,
                 (unsigned long long)r->deadline_ns,
                 (unsigned long long)r->period_ns);
        return false;
    }
    return true;
}
