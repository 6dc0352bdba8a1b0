/*
 * explain.c: why a workflow is rejected: the constraint family that alone
 * makes it infeasible (found by re-solving with each family switched off)
 * and the binding figures.
 */
#include "plc/clock.h"
#include "internal.h"
#include "plc/error.h"
#include "plc/quantity.h"
#include "sched/netcalc.h"
#include "sched/prob.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- explanations
 * ------------------------------------------------------------ */

/* A share of a core in words: four decimals, more for a share so small
 * that four would print 0.0000 (0.0000412 of a core, not 0.0000). */
static const char *share(double u, char *buf, size_t len)
{
    int digits = 4;
    if (u > 0 && u < 0.001)
        digits = (int)fmin(12, 2 - floor(log10(u)));
    snprintf(buf, len, "%.*f", digits, u);
    return buf;
}

static int try_relaxed(const struct place_problem *p, const struct routes *r,
                       unsigned relax, enum milp_goal goal, double limit,
                       struct milp_result *res)
{
    struct milp m;
    int rc = place__milp_prepare(&m, p, r, relax, goal);
    if (rc == PLC_EDATA || rc == PLC_ETIMEDOUT) {
        place__milp_release(&m);
        memset(res, 0, sizeof *res);
        res->status = rc == PLC_EDATA ? PLACE_INFEASIBLE : PLACE_TIMEOUT;
        return 0;
    }
    /* whether any plan exists without the family: the exact search
     * (search.c) answers most before GLPK's model is built (a rejected
     * vepc-attach on a full k=8 fat-tree spent 0.8 s of solves here) */
    if (rc == 0 && goal == GOAL_PRIMARY && place__search_applies(p)) {
        bool found = false;
        rc = place__search_first(&m, plc_now_s() + limit / 2,
                                 PLACE_SEARCH_FIRST_NODES, &found);
        if (rc == 1) {
            place__milp_release(&m);
            memset(res, 0, sizeof *res);
            res->status = found ? PLACE_FEASIBLE : PLACE_INFEASIBLE;
            return 0;
        }
    }
    if (rc == 0)
        rc = place__milp_finish(&m);
    if (rc == PLC_ETIMEDOUT) {
        place__milp_release(&m);
        memset(res, 0, sizeof *res);
        res->status = PLACE_TIMEOUT;
        return 0;
    }
    double end = plc_now_s() + limit;
    /* which family rules the workflow out needs a plan without it, not
     * the best one: the 63rd vepc-attach on the k=8 fat-tree spent all of
     * its 7.5 s without the placement rules, and on a busy machine found
     * none in them and blamed CPU instead */
    m.first_plan = goal == GOAL_PRIMARY;
    if (rc == 0)
        rc = place__milp_solve(&m, limit, NULL, res);
    /* the relaxed model, like the whole one, leaves the per-core packing
     * to be checked: a plan whose cores do not pack is cut off and the
     * model solved again.  (Without this a family with no part in it was
     * blamed: "the placement rules leave no feasible placement" for a
     * workflow without any, when the relaxed plan fitted the hosts' CPU
     * rows but not their cores.) */
    struct place_plan tmp = {0};
    size_t V = p->n_services;
    if (rc == 0 && !(relax & FAM_CPU) &&
        !(tmp.services = calloc(V + 1, sizeof *tmp.services)))
        rc = PLC_ENOMEM;
    for (int round = 0;
         rc == 0 && tmp.services &&
         (res->status == PLACE_OPTIMAL || res->status == PLACE_FEASIBLE);
         round++) {
        for (size_t v = 0; v < V; v++) {
            tmp.services[v].host = res->host[v];
            tmp.services[v].item =
                p->services[v].menu[res->host[v]]->v[res->item[v]];
        }
        size_t bad = place__first_unpacked(p, &tmp, &rc);
        if (rc < 0 || bad == PLACE_NONE)
            break;
        double left = end - plc_now_s();
        if (round == 50 || left < 0.005) {
            res->status = PLACE_TIMEOUT; /* not shown to fit */
            break;
        }
        rc = place__milp_cut_host(&m, res, bad);
        place__milp_result_release(res);
        if (rc == 0)
            rc = place__milp_solve(&m, left, NULL, res);
    }
    free(tmp.services);
    place__milp_release(&m);
    return rc;
}

/* A service with an empty menu on every host it may use, for a reason the
 * model recorded (the platform's overrun, arrivals it cannot keep up
 * with): that is the shortfall, whatever the free cores. */
static bool explain_empty_menu(const struct place_problem *p,
                               struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        const char *why = NULL;
        bool any = false;
        for (size_t h = 0; h < c->n_hosts && !any; h++) {
            if (s->allowed && !s->allowed[h])
                continue;
            any = s->menu[h] && s->menu[h]->n > 0;
            if (!why && s->menu_reason && s->menu_reason[h])
                why = s->menu_reason[h];
        }
        if (any || !why)
            continue;
        place__reject(plan, PLACE_REJECT_CPU, "%s", why);
        place__detail_text(plan, "service", s->name);
        return true;
    }
    return false;
}

/* Can a plan use the item at all: a local deadline longer than the
 * workflow's is in none (the network only adds). */
static bool usable(const struct place_problem *p,
                   const struct sched_menu_item *it)
{
    return p->deadline_ns == PLACE_UNLIMITED ||
           it->deadline_ns <= p->deadline_ns;
}

/* The cores of host h with room for service v's cheapest reservation
 * there (*least: its utilisation), or -1 when v has no reservation there. */
static int cores_with_room(const struct place_problem *p, size_t v, size_t h,
                           double *least)
{
    const struct place_service *s = &p->services[v];
    const struct place_host *ho = &p->cluster->hosts[h];
    const struct sched_menu *menu = s->menu ? s->menu[h] : NULL;
    *least = INFINITY;
    for (size_t k = 0; menu && k < menu->n; k++)
        if (usable(p, &menu->v[k]))
            *least = fmin(*least, menu->v[k].utilization);
    if (*least == INFINITY)
        return -1;
    int cores = 0;
    for (int k = 0; k < ho->cores; k++)
        cores += place__milp_core_free(ho, k) + 1e-9 >= *least;
    return cores;
}

struct host_counts {
    size_t rules, memory, cpu, fit;
};

/* Why each host cannot take service v alone, counted per reason (as
 * Nomad's "constraint: N hosts"); with `rules` false its placement rules
 * are left out. */
static struct host_counts count_hosts(const struct place_problem *p, size_t v,
                                      bool rules)
{
    const struct place_cluster *c = p->cluster;
    const struct place_service *s = &p->services[v];
    struct host_counts n = {0, 0, 0, 0};
    for (size_t h = 0; h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        if (rules && s->allowed && !s->allowed[h]) {
            n.rules++;
            continue;
        }
        if (ho->mem_bytes != PLACE_UNLIMITED &&
            s->mem_bytes + ho->mem_used_bytes > ho->mem_bytes) {
            n.memory++;
            continue;
        }
        double least;
        int cores = cores_with_room(p, v, h, &least);
        if (s->menu && (cores < 0 ? 0 : cores) < s->vcpus)
            n.cpu++;
        else
            n.fit++;
    }
    return n;
}

/* The counts of service v appended to `msg` and recorded as details. */
static void host_reasons(const struct place_problem *p, size_t v,
                         struct place_plan *plan, char *msg, size_t len)
{
    struct host_counts n = count_hosts(p, v, true);
    size_t at = strlen(msg);
    snprintf(msg + at, len - at,
             "; of %zu hosts for '%s': %zu excluded by its placement rules, "
             "%zu short of memory, %zu short of CPU, %zu would take it alone",
             p->cluster->n_hosts, p->services[v].name, n.rules, n.memory, n.cpu,
             n.fit);
    place__detail_num(plan, "hosts_placement_rules", (double)n.rules);
    place__detail_num(plan, "hosts_memory", (double)n.memory);
    place__detail_num(plan, "hosts_cpu", (double)n.cpu);
    place__detail_num(plan, "hosts_fit", (double)n.fit);
}

static void explain_cpu(const struct place_problem *p, struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    char b1[32], b2[32];
    if (explain_empty_menu(p, plan))
        return;
    double best_core = 0;
    size_t best_host = 0;
    for (size_t h = 0; h < c->n_hosts; h++)
        for (int k = 0; k < c->hosts[h].cores; k++)
            if (place__milp_core_free(&c->hosts[h], k) > best_core) {
                best_core = place__milp_core_free(&c->hosts[h], k);
                best_host = h;
            }
    /* a service that fits no host alone: its vCPUs each need a core of
     * their own with room for its cheapest reservation there */
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *sv_ = &p->services[v];
        int most = 0;
        size_t most_h = 0, hosts_short = 0, hosts_menu = 0;
        double at = 0;
        for (size_t h = 0; h < c->n_hosts; h++) {
            if (sv_->allowed && !sv_->allowed[h])
                continue;
            double least;
            int fit = cores_with_room(p, v, h, &least);
            if (fit < 0)
                continue;
            hosts_menu++;
            if (fit < sv_->vcpus)
                hosts_short++;
            if (fit > most || (fit == most && most == 0)) {
                most = fit;
                most_h = h;
                at = least;
            }
        }
        /* (no core anywhere: the largest free core says it better) */
        if (hosts_menu == 0 || most >= sv_->vcpus || most == 0)
            continue;
        place__reject(
            plan, PLACE_REJECT_CPU,
            "not enough CPU: service '%s' needs %d vCPU%s, each on a core "
            "of its own with %s of it free; no host it may use has that "
            "many (%zu of %zu hosts short; the most is %d, on host '%s')",
            sv_->name, sv_->vcpus, sv_->vcpus == 1 ? "" : "s",
            share(at, b1, sizeof b1), hosts_short, hosts_menu, most,
            c->hosts[most_h].name);
        place__detail_text(plan, "service", sv_->name);
        place__detail_num(plan, "vcpus", sv_->vcpus);
        place__detail_num(plan, "most_cores", most);
        place__detail_num(plan, "hosts_short", (double)hosts_short);
        place__detail_text(plan, "host", c->hosts[most_h].name);
        return;
    }
    /* the service whose cheapest admissible reservation is largest */
    double worst = -1;
    size_t sv = 0;
    for (size_t v = 0; v < p->n_services; v++) {
        double least = INFINITY;
        for (size_t h = 0; h < c->n_hosts; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            for (size_t k = 0; menu && k < menu->n; k++)
                if (usable(p, &menu->v[k]) &&
                    (menu->v[k].phi >= p->probability - SCHED_PROB_TOL ||
                     p->n_services > 1))
                    least = fmin(least, menu->v[k].utilization);
        }
        if (least > worst && least < INFINITY) {
            worst = least;
            sv = v;
        }
    }
    if (worst > best_core + 1e-9 || worst < 0) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 "not enough CPU: service '%s' needs a reservation of at "
                 "least %s of a core (x %d vCPU); the largest free core is "
                 "%s on host '%s'",
                 p->services[sv].name, share(fmax(worst, 0), b1, sizeof b1),
                 p->services[sv].vcpus, share(best_core, b2, sizeof b2),
                 c->hosts[best_host].name);
        host_reasons(p, sv, plan, msg, sizeof msg);
        place__reject(plan, PLACE_REJECT_CPU, "%s", msg);
    } else {
        /* every service fits a free core alone: what is short is room for
         * all of them at once, with reservations short enough for the
         * deadline and probability */
        double need = 0, free_total = 0;
        for (size_t v = 0; v < p->n_services; v++) {
            double least = INFINITY;
            for (size_t h = 0; h < c->n_hosts; h++)
                for (size_t k = 0;
                     p->services[v].menu[h] && k < p->services[v].menu[h]->n;
                     k++)
                    if (usable(p, &p->services[v].menu[h]->v[k]))
                        least = fmin(least,
                                     p->services[v].menu[h]->v[k].utilization);
            if (least < INFINITY)
                need += least * p->services[v].vcpus;
        }
        for (size_t h = 0; h < c->n_hosts; h++)
            free_total += place__milp_host_free(&c->hosts[h]);
        if (need > free_total + 1e-9)
            place__reject(
                plan, PLACE_REJECT_CPU,
                "not enough CPU for the services together: their "
                "cheapest reservations take %s of a core in total; the "
                "cluster has %s free",
                share(need, b1, sizeof b1), share(free_total, b2, sizeof b2));
        else
            place__reject(
                plan, PLACE_REJECT_CPU,
                "not enough CPU where the deadline allows: each service "
                "fits a free core alone (the largest need, '%s', is "
                "%s of a core; the largest free core is %s on host "
                "'%s') and without the CPU limits the workflow fits, but "
                "the free cores cannot hold reservations short enough "
                "for the deadline and the probability %.4g at once",
                p->services[sv].name, share(worst, b1, sizeof b1),
                share(best_core, b2, sizeof b2), c->hosts[best_host].name,
                p->probability);
        place__detail_num(plan, "needed_total", need);
        place__detail_num(plan, "free_total", free_total);
    }
    place__detail_text(plan, "service", p->services[sv].name);
    place__detail_num(plan, "needed_utilization", worst);
    place__detail_num(plan, "largest_free_core", best_core);
    place__detail_text(plan, "host", c->hosts[best_host].name);
}

/* The hosts service v may use (its pin, allowed hosts, zone): how many,
 * and the first, into `out`. */
static size_t allowed_hosts(const struct place_problem *p, size_t v, char *out,
                            size_t len)
{
    const struct place_cluster *c = p->cluster;
    size_t n = 0;
    out[0] = 0;
    for (size_t h = 0; h < c->n_hosts; h++)
        if (!p->services[v].allowed || p->services[v].allowed[h])
            if (n++ == 0)
                snprintf(out, len, "%s", c->hosts[h].name);
    return n;
}

/* Rules that contradict one another outright: an affinity group whose
 * members share no allowed host, an anti-affinity group with fewer
 * allowed hosts than members.  Rejects and returns true when one does
 * (whatever else is short: such rules never hold). */
bool place__rules_contradict(const struct place_problem *p,
                             struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    char a[64], b[64];
    for (size_t g = 0; g < p->n_affinity; g++) {
        const size_t *m = p->affinity[g];
        bool any = false;
        for (size_t h = 0; h < c->n_hosts && !any; h++) {
            bool all = true;
            for (size_t k = 0; m[k] != PLACE_NONE && all; k++)
                all =
                    !p->services[m[k]].allowed || p->services[m[k]].allowed[h];
            any = all;
        }
        if (any || m[0] == PLACE_NONE || m[1] == PLACE_NONE)
            continue;
        /* two members with nothing in common, named with their hosts */
        size_t x = m[0], y = m[1];
        for (size_t i = 0; m[i] != PLACE_NONE; i++)
            for (size_t j = i + 1; m[j] != PLACE_NONE; j++) {
                bool common = false;
                for (size_t h = 0; h < c->n_hosts && !common; h++)
                    common = (!p->services[m[i]].allowed ||
                              p->services[m[i]].allowed[h]) &&
                             (!p->services[m[j]].allowed ||
                              p->services[m[j]].allowed[h]);
                if (!common) {
                    x = m[i];
                    y = m[j];
                    goto found;
                }
            }
    found:;
        size_t na = allowed_hosts(p, x, a, sizeof a),
               nb = allowed_hosts(p, y, b, sizeof b);
        place__reject(
            plan, PLACE_REJECT_PLACEMENT_RULES,
            "affinity group %zu wants '%s' and '%s' on one host, but no "
            "host is allowed for both: '%s' may use %zu host%s (%s%s), "
            "'%s' %zu (%s%s) by their pins, allowed hosts and zones",
            g, p->services[x].name, p->services[y].name, p->services[x].name,
            na, na == 1 ? "" : "s", a, na > 1 ? ", ..." : "",
            p->services[y].name, nb, b, nb > 1 ? ", ..." : "");
        place__detail_text(plan, "rule", "affinity");
        place__detail_num(plan, "group", (double)g);
        place__detail_text(plan, "service", p->services[x].name);
        place__detail_text(plan, "other", p->services[y].name);
        return true;
    }
    for (size_t g = 0; g < p->n_anti_affinity; g++) {
        const size_t *m = p->anti_affinity[g];
        size_t members = 0, hosts = 0;
        while (m[members] != PLACE_NONE)
            members++;
        for (size_t h = 0; h < c->n_hosts; h++) {
            bool some = false;
            for (size_t k = 0; k < members && !some; k++)
                some =
                    !p->services[m[k]].allowed || p->services[m[k]].allowed[h];
            hosts += some;
        }
        if (hosts >= members)
            continue;
        place__reject(
            plan, PLACE_REJECT_PLACEMENT_RULES,
            "anti-affinity group %zu wants its %zu services ('%s', ...) "
            "on distinct hosts, but their pins, allowed hosts and zones "
            "allow %zu host%s among them",
            g, members, p->services[m[0]].name, hosts, hosts == 1 ? "" : "s");
        place__detail_text(plan, "rule", "anti_affinity");
        place__detail_num(plan, "group", (double)g);
        place__detail_num(plan, "hosts", (double)hosts);
        return true;
    }
    return false;
}

static void explain_rules(const struct place_problem *p,
                          struct place_plan *plan)
{
    if (place__rules_contradict(p, plan))
        return;
    /* a service none of whose allowed hosts can take it alone, which
     * others could */
    for (size_t v = 0; v < p->n_services; v++) {
        if (count_hosts(p, v, true).fit > 0 ||
            count_hosts(p, v, false).fit == 0)
            continue;
        char msg[512];
        snprintf(msg, sizeof msg,
                 "the placement rules leave service '%s' no host with room "
                 "for it, where other hosts have room",
                 p->services[v].name);
        host_reasons(p, v, plan, msg, sizeof msg);
        place__reject(plan, PLACE_REJECT_PLACEMENT_RULES, "%s", msg);
        place__detail_text(plan, "service", p->services[v].name);
        return;
    }
    place__reject(
        plan, PLACE_REJECT_PLACEMENT_RULES,
        "the placement rules (pins, allowed hosts, zones, affinity, "
        "anti-affinity) leave no feasible placement together; without "
        "them the workflow fits");
}

static void explain_memory(const struct place_problem *p,
                           struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    uint64_t best = 0;
    size_t bh = 0, sv = 0;
    for (size_t h = 0; h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        uint64_t f = ho->mem_bytes == PLACE_UNLIMITED
                         ? UINT64_MAX
                         : ho->mem_bytes - ho->mem_used_bytes;
        if (f > best) {
            best = f;
            bh = h;
        }
    }
    for (size_t v = 0; v < p->n_services; v++)
        if (p->services[v].mem_bytes > p->services[sv].mem_bytes)
            sv = v;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    plc_qty_format(PLC_QTY_SIZE, p->services[sv].mem_bytes, a, sizeof a);
    plc_qty_format(PLC_QTY_SIZE, best, b, sizeof b);
    char msg[512];
    snprintf(msg, sizeof msg,
             "not enough memory: service '%s' needs %s; the most free memory "
             "on a host is %s ('%s')%s",
             p->services[sv].name, a, b, c->hosts[bh].name,
             p->services[sv].mem_bytes > best
                 ? ""
                 : ", and the services do not fit together");
    host_reasons(p, sv, plan, msg, sizeof msg);
    place__reject(plan, PLACE_REJECT_MEMORY, "%s", msg);
    place__detail_text(plan, "service", p->services[sv].name);
    place__detail_num(plan, "needed_bytes", (double)p->services[sv].mem_bytes);
    place__detail_num(plan, "largest_free_bytes", (double)best);
}

static void explain_bandwidth(const struct place_problem *p,
                              struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    size_t big = 0;
    for (size_t i = 1; i < p->n_vlinks; i++)
        if (p->vlinks[i].rate_bps > p->vlinks[big].rate_bps)
            big = i;
    double best = 0;
    size_t bl = 0;
    for (size_t l = 0; l < c->n_links; l++) {
        double f = (double)c->links[l].rate_bps - (double)c->links[l].used_bps;
        if (l == 0 || f < best) {
            best = f;
            bl = l;
        }
    }
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    const struct place_vlink *e = &p->vlinks[big];
    plc_qty_format(PLC_QTY_RATE, e->rate_bps, a, sizeof a);
    plc_qty_format(PLC_QTY_RATE, (uint64_t)best, b, sizeof b);
    place__reject(
        plan, PLACE_REJECT_BANDWIDTH,
        "not enough bandwidth: %s -> %s needs %s on every link of its "
        "route; the tightest link, %s-%s, has %s free",
        place__node_name(p, e->from), place__node_name(p, e->to), a,
        c->node_names[c->links[bl].a], c->node_names[c->links[bl].b], b);
    place__detail_text(plan, "from", place__node_name(p, e->from));
    place__detail_text(plan, "to", place__node_name(p, e->to));
    place__detail_num(plan, "rate_bps", (double)e->rate_bps);
    place__detail_num(plan, "tightest_free_bps", best);
}

static int explain_deadline(const struct place_problem *p,
                            const struct routes *r, double limit,
                            struct place_plan *plan)
{
    struct milp_result res;
    int rc = try_relaxed(p, r, FAM_DEADLINE, GOAL_MAKESPAN, limit, &res);
    if (rc < 0)
        return rc;
    char a[PLC_QTY_BUFSZ], b[PLC_QTY_BUFSZ];
    if (res.status == PLACE_OPTIMAL || res.status == PLACE_FEASIBLE) {
        uint64_t best = (uint64_t)ceil(res.obj);
        place__reject(plan, PLACE_REJECT_DEADLINE,
                      "the deadline cannot be met: the shortest achievable "
                      "end-to-end latency is %s%s against a deadline of %s",
                      res.status == PLACE_OPTIMAL ? "" : "at least ",
                      place__fmt_time(res.status == PLACE_OPTIMAL
                                          ? best
                                          : (uint64_t)fmax(0, ceil(res.bound)),
                                      a),
                      place__fmt_time(p->deadline_ns, b));
        place__detail_num(
            plan, "latency_us",
            ceil((res.status == PLACE_OPTIMAL ? res.obj : res.bound) / 1000));
    } else {
        place__reject(plan, PLACE_REJECT_DEADLINE,
                      "the deadline of %s cannot be met",
                      place__fmt_time(p->deadline_ns, b));
    }
    place__detail_num(plan, "deadline_us", (double)p->deadline_ns / 1000);
    place__milp_result_release(&res);
    return 0;
}

static int explain_probability(const struct place_problem *p,
                               const struct routes *r, double limit,
                               struct place_plan *plan)
{
    struct milp_result res;
    int rc = try_relaxed(p, r, 0, GOAL_PROBABILITY, limit, &res);
    if (rc < 0)
        return rc;
    double best = -1;
    if (res.status == PLACE_OPTIMAL)
        best = p->prob_model == PLACE_PROB_INDEPENDENT ? exp(-res.obj)
                                                       : 1 - res.obj;
    if (best >= 0)
        place__reject(plan, PLACE_REJECT_PROBABILITY,
                      "the probability cannot be met: the best achievable "
                      "guarantee is %.6f (%s model) against a target of %.6f",
                      best,
                      p->prob_model == PLACE_PROB_INDEPENDENT ? "independent"
                                                              : "union",
                      p->probability);
    else
        place__reject(plan, PLACE_REJECT_PROBABILITY,
                      "the probability %.6f cannot be met within the deadline",
                      p->probability);
    /* a host's measured terms are percentiles: they cap what any stage
     * there can be promised, which decides a target near 1 */
    double cap = 1;
    const char *host = NULL;
    for (size_t h = 0; h < p->cluster->n_hosts; h++) {
        double e = p->cluster->hosts[h].platform.exceed_probability;
        if (e > 0 && 1 - e < cap) {
            cap = 1 - e;
            host = p->cluster->hosts[h].name;
        }
    }
    if (host && p->probability > cap - SCHED_PROB_TOL) {
        size_t n = strlen(plan->message);
        snprintf(plan->message + n, sizeof plan->message - n,
                 "; host '%s' cannot promise more than %.4f per stage: its "
                 "per-job overhead and wake-up latency are measured "
                 "percentiles (p99.9), which %.4f of jobs exceed, so placer "
                 "declines to promise %.6g there",
                 host, cap, 1 - cap, p->probability);
    }
    if (best >= 0)
        place__detail_num(plan, "best_probability", best);
    place__detail_num(plan, "target", p->probability);
    place__milp_result_release(&res);
    return 0;
}

/* Which family alone makes it infeasible, and its figures, within `limit`
 * seconds in all: each relaxed solve gets a quarter of it at most, and
 * what is left when the families are through goes to the figures. */
int place__explain(const struct place_problem *p, const struct routes *r,
                   const struct milp *m, double limit, struct place_plan *plan)
{
    static const unsigned order[] = {
        FAM_RULES,        FAM_MEMORY,   FAM_CPU,        FAM_BANDWIDTH,
        FAM_LINK_LATENCY, FAM_DEADLINE, FAM_PROBABILITY};
    /* a contradiction among the rules is found without a solver, and is
     * the answer however the solves below would time out */
    if (place__rules_contradict(p, plan))
        return 0;
    double end = plc_now_s() + limit;
    unsigned cause = 0;
    for (size_t k = 0; k < sizeof order / sizeof *order && !cause; k++) {
        double left = end - plc_now_s();
        if (left < 0.01)
            break;
        struct milp_result res;
        int rc = try_relaxed(p, r, order[k], GOAL_PRIMARY,
                             fmin(limit / 4, left), &res);
        if (rc < 0)
            return rc;
        if (res.status == PLACE_OPTIMAL || res.status == PLACE_FEASIBLE)
            cause = order[k];
        place__milp_result_release(&res);
    }
    if (!cause && place__expired(p) && m) {
        place__reject(plan, PLACE_REJECT_TIMEOUT,
                      "no plan exists (the solver proved it), and the time "
                      "limit ran out before the constraint family that rules "
                      "it out was found; give a longer time limit for the "
                      "explanation");
        return 0;
    }
    limit = fmax(0.01, end - plc_now_s()); /* for the figures */
    switch (cause) {
    case FAM_RULES:
        explain_rules(p, plan);
        return 0;
    case FAM_MEMORY:
        explain_memory(p, plan);
        return 0;
    case FAM_CPU:
        explain_cpu(p, plan);
        return 0;
    case FAM_BANDWIDTH:
        explain_bandwidth(p, plan);
        return 0;
    case FAM_LINK_LATENCY:
        place__reject(
            plan, PLACE_REJECT_LINK_LATENCY,
            "a virtual link's max_latency or max_jitter cannot be met by "
            "any placement; without those limits the workflow fits");
        return 0;
    case FAM_DEADLINE:
        return explain_deadline(p, r, limit, plan);
    case FAM_PROBABILITY:
        return explain_probability(p, r, limit, plan);
    }
    /* no single family: report the tightest by the deadline figures when
     * there is a deadline, else CPU */
    if (!m)
        return 0; /* the caller has a more specific explanation */
    if (p->deadline_ns != PLACE_UNLIMITED) {
        int rc = explain_deadline(p, r, limit, plan);
        if (rc == 0)
            snprintf(plan->message + strlen(plan->message),
                     sizeof plan->message - strlen(plan->message),
                     "; several constraint families bind together");
        return rc;
    }
    explain_cpu(p, plan);
    return 0;
}

int place__explain_dp(const struct place_problem *p, const struct routes *r,
                      const struct milp *m, double limit,
                      struct place_plan *plan)
{
    if (place__rules_contradict(p, plan))
        return 0;
    /* the same relaxation with every reservation, whether a core has room
     * for it or not */
    const struct place_cluster *c = p->cluster;
    struct milp all;
    size_t V = p->n_services;
    struct sched_menu_item *choice = malloc((V + 1) * sizeof *choice);
    int rc = choice ? place__milp_prepare(&all, p, r, FAM_CPU, GOAL_PRIMARY)
                    : PLC_ENOMEM;
    double need = 0;
    int b = rc == 0 ? place__dp_bound(&all, 0, &need, choice, NULL, NULL) : 1;
    place__milp_release(&all);
    if (rc == PLC_ENOMEM || b == PLC_ENOMEM) {
        free(choice);
        return PLC_ENOMEM;
    }
    if (rc != 0 || b != 0) {
        /* not the free cores: the deadline or the probability itself */
        free(choice);
        return place__explain(p, r, m, limit, plan);
    }
    /* Some item of that solution fits no core of any host its service may
     * use (else the first DP would have it): the one that misses by the
     * most is named. */
    size_t worst = PLACE_NONE, worst_h = 0;
    double miss = 0, worst_free = 0;
    for (size_t v = 0; v < V; v++) {
        const struct place_service *s = &p->services[v];
        double u = choice[v].utilization, most = 0;
        size_t most_h = 0;
        for (size_t h = 0; h < c->n_hosts; h++) {
            if (s->allowed && !s->allowed[h])
                continue;
            for (int k = 0; k < c->hosts[h].cores; k++)
                if (place__milp_core_free(&c->hosts[h], k) > most) {
                    most = place__milp_core_free(&c->hosts[h], k);
                    most_h = h;
                }
        }
        if (u - most > miss) {
            miss = u - most;
            worst = v;
            worst_h = most_h;
            worst_free = most;
        }
    }
    free(choice);
    if (worst == PLACE_NONE)
        return place__explain(p, r, m, limit, plan);
    char b1[32], b2[32], b3[32], b4[32];
    const struct place_service *s = &p->services[worst];
    double u = miss + worst_free;
    size_t hosts = 0;
    for (size_t h = 0; h < c->n_hosts; h++)
        hosts += !s->allowed || s->allowed[h];
    place__reject(
        plan, PLACE_REJECT_CPU,
        "not enough CPU where the deadline allows: reservations short "
        "enough for the deadline of %s at probability %.4g take at least %s "
        "of a core in all, and in the cheapest such plan '%s' needs %s of a "
        "core (x %d vCPU); none of the %zu hosts it may use has a core with "
        "that much free (the largest is %s, on host '%s')",
        place__fmt_time(p->deadline_ns, b4), p->probability,
        share(need, b1, sizeof b1), s->name, share(u, b2, sizeof b2), s->vcpus,
        hosts, share(worst_free, b3, sizeof b3), c->hosts[worst_h].name);
    place__detail_text(plan, "service", s->name);
    place__detail_num(plan, "needed_utilization", u);
    place__detail_num(plan, "needed_total", need);
    place__detail_num(plan, "largest_free_core", worst_free);
    place__detail_text(plan, "host", c->hosts[worst_h].name);
    place__detail_num(plan, "hosts_cpu", (double)hosts);
    return 0;
}

/* A service that fits no host even alone: rules, memory or CPU. */
/* A counting proof that CPU is short, without a solver: every
 * reservation of the workflow takes at least u, the least utilisation of
 * any service's cheapest admissible item, on a core of its own per vCPU;
 * the free cores hold at most floor(free / u) each.  Fewer such places
 * than vCPUs to reserve, or less free CPU than their least total, and no
 * plan exists.  Rejects with the counts and returns true when it proves
 * it. */
bool place__cpu_short(const struct place_problem *p, const struct milp *m,
                      struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts;
    double u = INFINITY, need = 0;
    long vcpus = 0;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        double least = place__milp_least_util(m, v);
        if (!isfinite(least) || least <= 0)
            continue; /* no reservation, or none anywhere (said elsewhere) */
        u = fmin(u, least);
        need += s->vcpus * least;
        vcpus += s->vcpus;
    }
    if (vcpus == 0)
        return false;
    long places = 0;
    size_t hosts = 0;
    double free_all = 0;
    for (size_t h = 0; h < H; h++) {
        long here = 0;
        for (int k = 0; k < c->hosts[h].cores; k++) {
            double f = place__milp_core_free(&c->hosts[h], k);
            if (f < u - 1e-9)
                continue;
            free_all += f;
            here += (long)floor(f / u + 1e-9);
        }
        places += here;
        hosts += here > 0;
        /* (room enough: nothing proven; on a cluster with room the scan
         * stops at the first hosts) */
        if (places >= vcpus && free_all >= need)
            return false;
    }
    char b1[32], b2[32], b3[32];
    if (places < vcpus) {
        place__reject(plan, PLACE_REJECT_CPU,
                      "not enough CPU: the workflow's %ld reservation%s take "
                      "at least %s of a core each; the free cores of the "
                      "cluster have room for %ld such (on %zu of %zu hosts)",
                      vcpus, vcpus == 1 ? "" : "s", share(u, b1, sizeof b1),
                      places, hosts, H);
    } else if (need > free_all + 1e-9 * fmax(1, free_all)) {
        place__reject(plan, PLACE_REJECT_CPU,
                      "not enough CPU: the workflow's reservations take at "
                      "least %s of a core in all; the cluster has %s free",
                      share(need, b2, sizeof b2),
                      share(free_all, b3, sizeof b3));
    } else {
        return false;
    }
    place__detail_num(plan, "vcpus", (double)vcpus);
    place__detail_num(plan, "places", (double)places);
    place__detail_num(plan, "hosts_with_room", (double)hosts);
    return true;
}

bool place__explain_no_candidate_clear(const struct place_problem *p,
                                       const struct milp *m,
                                       struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        bool any = false, allowed = false, mem_any = false, fits_any = false,
             menu_here = false;
        for (size_t h = 0; h < c->n_hosts && !any; h++) {
            any = place__milp_candidate(m, v, h);
            bool al = !s->allowed || s->allowed[h];
            const struct place_host *ho = &c->hosts[h];
            bool me = ho->mem_bytes == PLACE_UNLIMITED ||
                      ho->mem_used_bytes + s->mem_bytes <= ho->mem_bytes;
            double least;
            int fit = me ? cores_with_room(p, v, h, &least) : -1;
            allowed |= al;
            mem_any |= me;
            fits_any |= fit >= s->vcpus; /* rules aside */
            menu_here |= al && fit >= 0;
        }
        if (any)
            continue;
        /* clear, in the order the relaxations would find it: no host
         * allowed (rules); no host with the memory (memory); no host,
         * allowed or not, whose cores hold its cheapest reservation the
         * deadline and probability admit, while an allowed one has such
         * a reservation (CPU).  Else the solver's relaxations decide. */
        if (c->n_hosts == 0 || !allowed || !mem_any ||
            (!fits_any && menu_here)) {
            place__explain_no_candidate(p, m, plan);
            return plan->reject != PLACE_REJECT_NONE;
        }
        return false;
    }
    return false;
}

void place__explain_no_candidate(const struct place_problem *p,
                                 const struct milp *m, struct place_plan *plan)
{
    const struct place_cluster *c = p->cluster;
    for (size_t v = 0; v < p->n_services; v++) {
        bool any = false, allowed = false, mem = false;
        for (size_t h = 0; h < c->n_hosts && !any; h++) {
            any = place__milp_candidate(m, v, h);
            bool al = !p->services[v].allowed || p->services[v].allowed[h];
            allowed |= al;
            const struct place_host *ho = &c->hosts[h];
            mem |= al && (ho->mem_bytes == PLACE_UNLIMITED ||
                          ho->mem_used_bytes + p->services[v].mem_bytes <=
                              ho->mem_bytes);
        }
        if (any)
            continue;
        if (c->n_hosts == 0) {
            place__reject(plan, PLACE_REJECT_NO_HOSTS,
                          "the cluster has no hosts");
        } else if (!allowed) {
            place__reject(plan, PLACE_REJECT_PLACEMENT_RULES,
                          "service '%s' may run on no host of the cluster (its "
                          "pin, allowed hosts or zone)",
                          p->services[v].name);
            place__detail_text(plan, "service", p->services[v].name);
        } else if (!mem) {
            explain_memory(p, plan);
        } else {
            explain_cpu(p, plan);
        }
        return;
    }
}

/* Endpoint pairs joined by a vlink must be connected. */
bool place__check_routes(const struct place_problem *p, const struct routes *r,
                         struct place_plan *plan)
{
    if (p->cluster->n_links == 0)
        return true;
    for (size_t i = 0; i < p->n_vlinks; i++) {
        const struct place_vlink *e = &p->vlinks[i];
        if (e->from >= p->n_endpoints || e->to >= p->n_endpoints)
            continue;
        size_t a = p->endpoint_node[e->from], b = p->endpoint_node[e->to];
        uint64_t d, j;
        if (a != b && !place__routes_between(r, 0, a, b, &d, &j)) {
            place__reject(plan, PLACE_REJECT_NO_ROUTE,
                          "endpoints '%s' and '%s' are not connected in the "
                          "cluster",
                          p->endpoint_names[e->from], p->endpoint_names[e->to]);
            return false;
        }
        char x[PLC_QTY_BUFSZ], y[PLC_QTY_BUFSZ];
        if (p->deadline_ns != PLACE_UNLIMITED &&
            d * (uint64_t)e->crossings > p->deadline_ns) {
            place__reject(plan, PLACE_REJECT_DEADLINE,
                          "the deadline cannot be met: %s -> %s alone takes %s "
                          "against a deadline of %s",
                          p->endpoint_names[e->from], p->endpoint_names[e->to],
                          place__fmt_time(d * (uint64_t)e->crossings, x),
                          place__fmt_time(p->deadline_ns, y));
            return false;
        }
    }
    return true;
}

int place__explain_spread(const struct place_problem *p, const struct milp *m,
                          const struct place_cross *x, struct place_plan *plan)
{
    size_t V = p->n_services, H = p->cluster->n_hosts;
    char one[256], dl[PLC_QTY_BUFSZ], cr[PLC_QTY_BUFSZ];
    if (x->apart)
        snprintf(one, sizeof one,
                 "the anti-affinity rules keep its %zu services off any one "
                 "host",
                 V);
    else
        snprintf(one, sizeof one,
                 "no host takes all %zu services (of %zu hosts, %zu lack a "
                 "place for one of them, %zu the memory, %zu the free CPU, "
                 "and %zu have cores that cannot hold reservations meeting "
                 "the deadline and the probability)",
                 V, H, x->no_place, x->no_memory, x->no_cpu, x->no_cores);
    double left = place__deadline(p) - plc_now_s();
    int u = place__spread_uncharged(m, fmax(left, 0.001));
    if (u < 0)
        return u;
    place__fmt_time(p->deadline_ns, dl);
    place__fmt_time(place__least_host_pair_delay(m), cr);
    place__reject(plan, PLACE_REJECT_CPU,
                  "not enough CPU where the deadline allows: %s, and over "
                  "several hosts the free cores cannot hold reservations "
                  "short enough for the deadline of %s and the probability "
                  "%g, %s%s",
                  one, dl, p->probability,
                  u == 2 ? "whatever the crossings take"
                         : "with each crossing taking at least ",
                  u == 2 ? "" : cr);
    place__detail_num(plan, "hosts", (double)H);
    place__detail_num(plan, "hosts_no_place", (double)x->no_place);
    place__detail_num(plan, "hosts_memory", (double)x->no_memory);
    place__detail_num(plan, "hosts_cpu", (double)x->no_cpu);
    place__detail_num(plan, "hosts_cores", (double)x->no_cores);
    return 0;
}
