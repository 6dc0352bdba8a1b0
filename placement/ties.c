/*
 * ties.c: bandwidth x hops of a plan whose utilisation is proven optimal,
 * lowered by moving its services, before (and often instead of) the
 * tie-break MILP.
 *
 * On a busy cluster the user's own host seldom holds a whole chain, and
 * the greedy plan leaves it for the nearest host with room, then the next:
 * a chain of five over three hosts where two would do.  The tie-break
 * MILP finds the better plan but takes a hundred milliseconds and more on
 * a thousand hosts, which is the admission rate of placerd.  Here: move
 * every service of one host to another, or one service, among the hosts
 * the plan uses, the endpoints' hosts and the freest hosts near them;
 * keep a move when it lowers bandwidth x hops, keeps each service's
 * reservation (no more utilisation, no longer local deadline, no lower
 * probability) and the whole plan still verifies (cores, memory, rules,
 * link rates and ports, latency, deadline, probability).
 */
#include "internal.h"
#include "milp_internal.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Near hosts taken per host of the plan. */
#define TIES_NEAR 4
/* Rounds of moves at most. */
#define TIES_ROUNDS 8

/* The item of v on h no worse than `was` in utilisation, local deadline
 * and probability, least utilisation first; PLACE_NONE if none. */
static size_t same_item(const struct milp *m, size_t v, size_t h,
                        const struct sched_menu_item *was)
{
    size_t H = m->p->cluster->n_hosts, k = v * H + h, best = PLACE_NONE;
    double bu = INFINITY;
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++) {
        const struct sched_menu_item *it =
            &m->p->services[v].menu[h]->v[m->y[j].m];
        if (it->utilization <= was->utilization + 1e-12 &&
            it->deadline_ns <= was->deadline_ns && it->phi >= was->phi &&
            it->utilization < bu) {
            bu = it->utilization;
            best = m->y[j].m;
        }
    }
    return best;
}

static bool rules_allow(const struct place_problem *p,
                        const struct place_plan *plan)
{
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        for (const size_t *a = p->anti_affinity[g]; *a != PLACE_NONE; a++)
            for (const size_t *b = a + 1; *b != PLACE_NONE; b++)
                if (plan->services[*a].host == plan->services[*b].host)
                    return false;
    for (size_t g = 0; g < p->n_affinity; g++)
        for (const size_t *a = p->affinity[g]; *a != PLACE_NONE; a++)
            if (plan->services[*a].host !=
                plan->services[p->affinity[g][0]].host)
                return false;
    return true;
}

/* Does the plan (hosts and items set) hold: memory, rules, cores, then
 * everything place__complete_plan checks?  Leaves no paths behind. */
static bool holds(const struct milp *m, struct place_plan *plan, size_t a,
                  size_t b)
{
    const struct place_problem *p = m->p;
    const struct place_host *hb = &p->cluster->hosts[b];
    if (hb->mem_bytes != PLACE_UNLIMITED) {
        uint64_t mem = hb->mem_used_bytes;
        for (size_t v = 0; v < p->n_services; v++)
            if (plan->services[v].host == b)
                mem += p->services[v].mem_bytes;
        if (mem > hb->mem_bytes)
            return false;
    }
    if (!rules_allow(p, plan) || place__pack_host(p, plan, b) != 1 ||
        place__pack_host(p, plan, a) != 1)
        return false;
    uint64_t bound = plan->latency_bound_ns;
    bool ok = place__complete_plan(m, plan, NULL) == 0;
    plan->latency_bound_ns = bound;
    place__free_paths(plan, p->n_vlinks);
    return ok;
}

/* Move the services of `set` (per service: moves or not) to host b, each
 * with an item as good as its own; false (nothing changed) if one has
 * none there. */
static bool move(const struct milp *m, struct place_plan *plan, const bool *set,
                 size_t b, size_t *item)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services;
    for (size_t v = 0; v < V; v++)
        if (set[v] && same_item(m, v, b, &plan->services[v].item) == PLACE_NONE)
            return false;
    for (size_t v = 0; v < V; v++) {
        if (!set[v])
            continue;
        size_t it = same_item(m, v, b, &plan->services[v].item);
        plan->services[v].host = b;
        plan->services[v].item = p->services[v].menu[b]->v[it];
        item[v] = it;
    }
    return true;
}

int place__ties_local(const struct milp *m, struct place_plan *plan,
                      size_t *host, size_t *item, double lb)
{
    const struct place_problem *p = m->p;
    const struct place_cluster *c = p->cluster;
    size_t V = p->n_services, H = c->n_hosts, E = p->n_endpoints;
    if (V == 0 || p->n_vlinks == 0 || m->single_location)
        return 0;
    double bw = place__plan_bandwidth_hops(m, plan);
    if (!(bw > lb * (1 + 1e-9)))
        return 0;
    size_t cap = V + E + (V + E) * TIES_NEAR + 1;
    size_t *cand = malloc(cap * sizeof *cand);
    bool *in = calloc(H + 1, sizeof *in), *set = calloc(V + 1, sizeof *set);
    size_t *hops = malloc((c->n_nodes + 1) * sizeof *hops);
    size_t *queue = malloc((c->n_nodes + 1) * sizeof *queue);
    double *spare = malloc((H + 1) * sizeof *spare);
    struct place_service_plan *save = malloc((V + 1) * sizeof *save);
    size_t *save_item = malloc((V + 1) * sizeof *save_item);
    size_t *near = malloc((TIES_NEAR + 1) * sizeof *near);
    int rc = 0;
    if (!cand || !in || !set || !hops || !queue || !spare || !save ||
        !save_item || !near) {
        rc = PLC_ENOMEM;
        goto out;
    }
    /* candidates: the plan's hosts and the endpoints' (where hosts), and
     * near each the freest hosts within two hops */
    for (size_t h = 0; h < H; h++) {
        const struct place_host *o = &c->hosts[h];
        spare[h] = place__milp_host_free(o);
    }
    for (size_t v = 0; v < V; v++)
        spare[host[v]] -=
            p->services[v].vcpus * plan->services[v].item.utilization;
    size_t nc = 0;
    for (size_t x = 0; x < V + E; x++) {
        size_t h = x < V ? host[x] : p->endpoint_node[x - V];
        if (h < H && !in[h]) {
            in[h] = true;
            cand[nc++] = h;
        }
    }
    size_t seeds = nc;
    for (size_t s = 0; s < seeds; s++) {
        place__routes_hops_from(m->r, cand[s], hops, queue);
        size_t nn = 0;
        for (size_t h = 0; h < H; h++) {
            if (in[h] || hops[h] == PLACE_NONE || hops[h] > 2)
                continue;
            /* keep the TIES_NEAR freest, insertion-sorted */
            size_t k = nn < TIES_NEAR ? nn++ : TIES_NEAR;
            if (k == TIES_NEAR && spare[h] <= spare[near[TIES_NEAR - 1]])
                continue;
            if (k == TIES_NEAR)
                k = TIES_NEAR - 1;
            while (k > 0 && spare[near[k - 1]] < spare[h]) {
                near[k] = near[k - 1];
                k--;
            }
            near[k] = h;
        }
        for (size_t k = 0; k < nn; k++)
            if (!in[near[k]]) {
                in[near[k]] = true;
                cand[nc++] = near[k];
            }
    }
    bool better = false;
    for (int round = 0; round < TIES_ROUNDS && bw > lb * (1 + 1e-9); round++) {
        bool moved = false;
        /* every service of host a to b, then one service to b */
        for (size_t a = 0; a < nc && !moved; a++)
            for (int one = 0; one < 2 && !moved; one++)
                for (size_t v0 = 0; v0 < (one ? V : 1) && !moved; v0++) {
                    size_t from = cand[a];
                    bool any = false;
                    for (size_t v = 0; v < V; v++) {
                        set[v] = host[v] == from && (!one || v == v0);
                        any |= set[v];
                    }
                    for (size_t b = 0; any && b < nc && !moved; b++) {
                        if (cand[b] == from || place__expired(p))
                            continue;
                        memcpy(save, plan->services, V * sizeof *save);
                        memcpy(save_item, item, V * sizeof *save_item);
                        if (move(m, plan, set, cand[b], item) &&
                            place__plan_bandwidth_hops(m, plan) <
                                bw * (1 - 1e-9) &&
                            holds(m, plan, from, cand[b])) {
                            bw = place__plan_bandwidth_hops(m, plan);
                            for (size_t v = 0; v < V; v++)
                                host[v] = plan->services[v].host;
                            moved = better = true;
                        } else {
                            memcpy(plan->services, save, V * sizeof *save);
                            memcpy(item, save_item, V * sizeof *save_item);
                        }
                    }
                }
        if (!moved)
            break;
    }
    rc = better;
    /* cores as the final hosts pack them */
    for (size_t h = 0; better && h < nc; h++)
        place__pack_host(p, plan, cand[h]);
out:
    free(cand);
    free(in);
    free(set);
    free(hops);
    free(queue);
    free(spare);
    free(save);
    free(save_item);
    free(near);
    return rc;
}
