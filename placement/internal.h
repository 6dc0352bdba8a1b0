/* internal.h: what the files of placement/ share.  Private. */
#ifndef PLACE_INTERNAL_H
#define PLACE_INTERNAL_H

#include "milp.h"
#include "place/plan.h"
#include "plc/clock.h"
#include "routes.h"
#include "sched/prob.h"

#include <math.h>
#include <stdbool.h>

/* When every phase of p stops (its deadline, or an earlier cancel), and
 * whether that has passed: every phase checks it and stops with
 * PLC_ETIMEDOUT (place_solve() sets a deadline). */
static inline double place__deadline(const struct place_problem *p)
{
    return place_deadline(p->deadline_s);
}

static inline bool place__expired(const struct place_problem *p)
{
    return place_deadline_passed(p->deadline_s);
}

/* An item's weight in the probability row (-ln phi for independent
 * stages, 1 - phi for the union bound) and the row's budget, with the
 * tolerance the row is given (INFINITY: no row, no deadline or p = 1). */
static inline double place__prob_weight(const struct place_problem *p,
                                        double phi)
{
    return p->prob_model == PLACE_PROB_INDEPENDENT ? sched_prob_lambda(phi)
                                                   : 1 - phi;
}

static inline double place__prob_budget(const struct place_problem *p)
{
    if (p->deadline_ns == PLACE_UNLIMITED || p->probability >= 1)
        return INFINITY;
    return (p->prob_model == PLACE_PROB_INDEPENDENT ? -log(p->probability)
                                                    : 1 - p->probability) +
           SCHED_PROB_TOL;
}

/* A value within the tolerance every optimality test of placement/ uses
 * of a bound: x <= lb + 1e-7 max(1, |lb|). */
static inline bool place__meets(double x, double lb)
{
    return x <= lb + 1e-7 * (fabs(lb) > 1 ? fabs(lb) : 1);
}

/* local.c: clusters of at least this many hosts are first solved on the
 * hosts near the workflow; from PLACE_LOCAL_MID_HOSTS on, when the greedy
 * plan is not proven and the solver would be needed */
#define PLACE_LOCAL_MIN_HOSTS 256
#define PLACE_LOCAL_MID_HOSTS 100
/* place.c: a model of at most this many candidate placements (after the
 * bounds pruned it) is solved whole at once: the local pass and the
 * neighbourhood, there to spare the solver a large model, cost more */
#define PLACE_SMALL_COLS 500
/* local.c: the plan of the hosts near the workflow (on clusters of at
 * least min_hosts) when a relaxation of the whole cluster, or known_lb (a
 * bound of the whole problem the caller proved; -inf none), proves it
 * optimal: 1 (plan filled, the bound that one), 0 (plan untouched; an
 * unproven local plan, if any, in *spare with the bound in *spare_lb,
 * else spare untouched and the bound -inf), PLC_ENOMEM. */
int place__local(const struct place_problem *p, size_t min_hosts,
                 double known_lb, struct place_plan *plan,
                 struct place_plan *spare, double *spare_lb,
                 struct plc_error *err);

/* dag.c: head[v] and tail[v], the longest paths of node weights w (per
 * workflow node) into v and out of v, each without w[v]; PLC_ENOMEM
 * (both then 0). */
int place_longest_paths(const struct place_problem *p, const uint64_t *w,
                        uint64_t *head, uint64_t *tail);
/* dag.c: the vlinks leaving (or, incoming, entering) each workflow node:
 * link[start[v] .. start[v + 1] - 1], in link order. */
int place__dag_adj(const struct place_problem *p, bool incoming, size_t **start,
                   size_t **link);

/* verify.c: hosts ranked by a key, largest first, then by index (a qsort
 * comparator for struct place_keyed). */
struct place_keyed {
    double key;
    size_t h;
};
int place__keyed_desc(const void *a, const void *b);
/* Is a before b in that order (the comparison, for a caller's own loop)? */
static inline bool place__keyed_before(const struct place_keyed *a,
                                       const struct place_keyed *b)
{
    if (a->key != b->key)
        return a->key > b->key;
    return a->h < b->h;
}

/* verify.c: messages and details */
void place__detail_num(struct place_plan *plan, const char *key, double v);
void place__detail_text(struct place_plan *plan, const char *key,
                        const char *v);
void place__reject(struct place_plan *plan, enum place_reject code,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *place__fmt_time(uint64_t ns, char *buf);
/* place.c: the bit/s a workflow's vlinks ask for (duplex twice), what
 * the routes are built for. */
double place__demand_bps(const struct place_problem *p);

const char *place__node_name(const struct place_problem *p, size_t n);

/* verify.c: plans */
int place__pack_host(const struct place_problem *p, struct place_plan *plan,
                     size_t h);
/* Do services v[0..n-1], with utilisation u[i] in all (split evenly
 * over their vCPUs, each on a core of its own), pack on host h's free
 * cores?  1, 0, PLC_ENOMEM. */
int place__packs(const struct place_problem *p, size_t h, const size_t *v,
                 const double *u, size_t n);
/* Every host packed: 1, 0 when one does not pack, or PLC_ENOMEM. */
int place__pack_all(const struct place_problem *p, struct place_plan *plan);
/* Every host packed; the first that does not pack (PLACE_NONE if all
 * do), PLC_ENOMEM into *rc (which must be 0 on entry). */
size_t place__first_unpacked(const struct place_problem *p,
                             struct place_plan *plan, int *rc);
/* The routes of vlinks 0..n-1 freed (paths and ways back). */
void place__free_paths(struct place_plan *plan, size_t n);
size_t place__where(const struct place_problem *p,
                    const struct place_plan *plan, size_t n);
size_t place__plan_arcs(const struct milp *m, const struct place_plan *plan,
                        int k, size_t a, size_t b, size_t *arcs);
uint64_t place__message_ns(const struct place_vlink *e);
size_t *place__topo_order(const struct place_problem *p, size_t *pos);
int place__complete_plan(const struct milp *m, struct place_plan *plan,
                         struct plc_error *err);
/* The same, with *why (NULL: not wanted) the family of the constraint the
 * plan broke when it returns PLC_EINTERNAL (PLACE_REJECT_NONE else); err
 * NULL: no message (a heuristic's tries, whose messages nobody reads,
 * spent a tenth of first fit's time formatting them). */
int place__complete_plan_why(const struct milp *m, struct place_plan *plan,
                             struct plc_error *err, enum place_reject *why);
double place__plan_objective(const struct milp *m,
                             const struct place_plan *plan);
/* verify.c: service v on host[v] with menu item item[v], every vlink on
 * its shortest route, packed and verified, in place of plan's services
 * when its objective is below `than`; plan->heur_item follows.  1 taken
 * (the plan's routes freed), 0 not (plan as it was, routes freed),
 * PLC_ENOMEM. */
int place__try_plan(const struct milp *m, struct place_plan *plan,
                    const size_t *host, const size_t *item, double than);
/* sum of rate x hops (x 2 when duplex) over the plan's routes, bit/s */
double place__plan_bandwidth_hops(const struct milp *m,
                                  const struct place_plan *plan);
double place__milp_units(const struct place_problem *p, double x);

/* explain.c */
/* Why there is no plan when the DP's relaxation (bound.c) has none: the
 * free cores hold no reservations short enough for the deadline and the
 * probability (CPU, with the figures), else as place__explain. */
int place__explain_dp(const struct place_problem *p, const struct routes *r,
                      const struct milp *m, double limit,
                      struct place_plan *plan);
int place__explain(const struct place_problem *p, const struct routes *r,
                   const struct milp *m, double limit, struct place_plan *plan);
void place__explain_no_candidate(const struct place_problem *p,
                                 const struct milp *m, struct place_plan *plan);
/* place__explain_no_candidate when what keeps a service off every host
 * is clear without a solver (no host allowed, none with memory, or its
 * cheapest admissible reservation fits no host's cores): true with the
 * rejection, else false and nothing said. */
bool place__explain_no_candidate_clear(const struct place_problem *p,
                                       const struct milp *m,
                                       struct place_plan *plan);
/* A counting proof that CPU is short (places for the workflow's
 * reservations in the free cores, or free CPU in all): rejects and true
 * when it proves it. */
bool place__cpu_short(const struct place_problem *p, const struct milp *m,
                      struct place_plan *plan);
/* Rules that contradict one another outright (an affinity group with no
 * common allowed host, an anti-affinity group with too few): rejects and
 * true when they do. */
bool place__rules_contradict(const struct place_problem *p,
                             struct place_plan *plan);
bool place__check_routes(const struct place_problem *p, const struct routes *r,
                         struct place_plan *plan);

/* bound.c: the dynamic-programming lower bound of the least total
 * utilisation and the item per service that attains it (choice may be
 * NULL), with the deadline lowered by `slack_ns` (0 for the bound; more
 * to steer the heuristic).  0 with *lb, 1 when even the relaxation is
 * infeasible, PLC_EDATA when a service has no item, PLC_ENOMEM.  With
 * forced_bw, the bandwidth x hops of the crossing no plan avoids (0 if
 * none).  With by_milp, whether *lb is the timing relaxation's optimum
 * proven by GLPK (a DAG whose DP bound fell short of it) rather than the
 * DP's own. */
int place__dp_bound(const struct milp *m, uint64_t slack_ns, double *lb,
                    struct sched_menu_item *choice, double *forced_bw,
                    bool *by_milp);

/* A column of a timing MILP (crossing.c): service v takes an item of
 * utilisation u (x vcpus), local deadline d, probability weight w (lambda
 * or 1 - phi), on core `core` of the one host modelled (-1: no cores);
 * ref is the caller's (a candidate, a menu item). */
struct place_tcol {
    size_t v;
    double u;
    uint64_t d;
    double w;
    int core;
    size_t ref;
};

/* crossing.c: what a timing MILP knows of plans that spread the
 * workflow over several hosts: per vlink the least delay of its crossing
 * (0: none charged), and which columns no host holds together. */
struct place_spread {
    const uint64_t *cross_ns; /* per vlink */
    /* n x n: clash[i * n + j] when no host has room for column i's
     * service with its item beside column j's with its item (NULL: every
     * pair may share a host) */
    const bool *clash;
    /* V x V: 1 when the two services are always on distinct hosts, -1
     * when always on one (the rules), 0 either (NULL: all 0) */
    const signed char *rule;
    /* the most free CPU and free memory of any one host: what the
     * services on one host take together (INFINITY: unchecked) */
    double room, mem_room;
    /* the pairs' rows (transitivity, clashes, room) too, else only some
     * vlink crossing and each crossing charged */
    bool full;
    /* the hosts of the workflow's endpoints (crossing.c), whose vlinks to
     * a service cross unless it is on that host; NULL: none charged */
    const struct spread_ehosts *eh;
};

/* crossing.c: the timing relaxation over columns col[0..n-1] (see there):
 * with core_free (cores entries; a column's core indexes it), each core's
 * items within its free capacity; with spread, the plans that put the
 * services on more than one host, each vlink whose two services are
 * apart charged its crossing; with fixed_ns (per vlink), each vlink's
 * delay charged always; W infinite for no probability row.  0 with its
 * proven optimum *opt and, with pick, the column per service; 1 not
 * proven within tl seconds; 2 no solution; PLC_ENOMEM. */
int place__timing_milp(const struct place_problem *p,
                       const struct place_tcol *col, size_t n,
                       const double *core_free, int cores,
                       const struct place_spread *spread,
                       const uint64_t *fixed_ns, uint64_t D, double W,
                       double tl, double *opt, size_t *pick);

/* heur.c: the plan's hosts kept, the least-utilisation items for them
 * (timing relaxation on the plan's cores, with the delays its vlinks
 * have there): the items in plan (and plan->heur_item), verified, when
 * they meet every row and cost less than `than`.  1 taken, 0 not (plan
 * untouched), PLC_ENOMEM. */
int place__refit_items(const struct milp *m, struct place_plan *plan,
                       double than);

/* crossing.c: what place__cross_bound finds.  The caller gives item
 * room for every service, and than: the objective of the plan in hand
 * (INFINITY: none). */
struct place_cross {
    double than;
    double lb;       /* the bound: the lesser of host_opt and cut_opt */
    size_t host;     /* the host of the least single-host optimum, or NONE */
    double host_opt; /* its value (infinite if none) */
    size_t *item;    /* its menu items on that host */
    double cut_opt;  /* the optimum of the plans over several hosts
                        (infinite: none) */
    /* the host and menu item per service of a plan over several hosts
     * from that optimum (when spread; the caller gives room, or NULL) */
    bool spread;
    size_t *spread_host, *spread_item;
    /* why no host takes every service, in hosts (when host_opt is
     * infinite and not apart): a service without a place there, its
     * memory, its free CPU in all below the bound, its cores holding no
     * reservations that meet the deadline and the probability; apart:
     * the rules keep two services apart */
    size_t no_place, no_memory, no_cpu, no_cores;
    bool apart;
};

/* crossing.c: the least utilisation of any plan of a workflow whose
 * services are joined by vlinks: the lesser of one host's alone (per
 * core; one host of each class of equal ones) and of the plans over
 * several hosts (each crossing charged, pairs and groups of services
 * that no host holds together kept apart), with a plan for each when
 * it has hosts.  0 with *out (lb infinite: no plan at all); 1 not
 * applicable or not proven in time; PLC_ENOMEM. */
int place__cross_bound(const struct milp *m, struct place_cross *out);

/* crossing.c: the spread model with no crossing charged: 0 it has a
 * solution, 2 none (the free cores alone rule the spread plans out), 1
 * not proven within tl seconds, PLC_ENOMEM. */
int place__spread_uncharged(const struct milp *m, double tl);

/* explain.c: the rejection when the one-host and spread relaxations of x
 * (crossing.c) both have no solution. */
int place__explain_spread(const struct place_problem *p, const struct milp *m,
                          const struct place_cross *x, struct place_plan *plan);

/* bound.c: the distinct (u, d, w) items of service v over every host's
 * columns, as timing columns (ref: the model column); SIZE_MAX on
 * PLC_ENOMEM. */
size_t place__distinct_items(const struct milp *m, size_t v,
                             struct place_tcol **out);

/* bound.c: the least delay of a route between two distinct hosts. */
uint64_t place__least_host_pair_delay(const struct milp *m);
/* crossing.c: rule[a * V + b] (V services, the caller frees it): 1 when
 * the placement rules keep services a and b apart, -1 when they keep them
 * together (affinity), else 0; all 0 with the rules relaxed; NULL on
 * PLC_ENOMEM. */
signed char *place__pair_rules(const struct milp *m);

/* netpath.c: the places each service's columns allow, per group of
 * hosts, and the least traversals between them.  *out NULL when the
 * cluster has no network, or when `links` hop evaluations per pair of
 * groups (what the caller will ask) would be too many.  0 or
 * PLC_ENOMEM. */
struct place_net;
int place__net_new(const struct milp *m, size_t links, struct place_net **out);
void place__net_free(struct place_net *t);

/* The network that path seq (n workflow nodes, each joined to the next by
 * a vlink) takes at least in every plan (0 without a net).  0 or
 * PLC_ENOMEM. */
int place__path_net(const struct place_net *t, const size_t *seq, size_t n,
                    uint64_t *least_ns);

/* The path whose least local deadlines (least, per service) plus least
 * network are largest, into seq (room for all nodes), *n nodes (0: none).
 * 0 or PLC_ENOMEM. */
int place__net_critical_path(const struct place_net *t, const uint64_t *least,
                             size_t *seq, size_t *n);

size_t place__net_groups(const struct place_net *t);
/* Has service v a column on a host of group g? */
bool place__net_has(const struct place_net *t, size_t v, size_t g);
/* Service v is no longer on the hosts of group g. */
void place__net_drop(struct place_net *t, size_t v, size_t g);
/* delay[i]: the least traversal of vlink i (crossings x delay) in any
 * plan that puts service s on a host of group g; INF (PLACE_UNLIMITED)
 * when no such plan routes it.  0 or PLC_ENOMEM. */
int place__net_hub(struct place_net *t, size_t s, size_t g, uint64_t *delay);

/* bound.c: a lower bound of the utilisation of every plan with each
 * vlink's least network, given where one service is: *lb (0 when none
 * applies), *by_milp when GLPK proved the relaxation it comes from; it
 * stops once it reaches `than`, unless keep (per column, all true) is
 * given: then the columns no plan as good as `than` uses are set false.
 * 0 or PLC_ENOMEM. */
int place__hub_bound(const struct milp *m, double than, double *lb,
                     bool *by_milp, bool *keep);

/* bound.c: keep[j] (per candidate column) false when no plan that uses
 * column j has a utilisation of at most ub.  0, 1 when the tables would be
 * too large (keep untouched), PLC_EDATA, PLC_ENOMEM. */
int place__dp_prune(const struct milp *m, double ub, bool *keep);

/* bound.c: a lower bound of bandwidth x hops (bit/s x hops) over all
 * plans: for endpoints a and b joined by a path of vlinks, the hops of the
 * path's routes add up to at least the fewest hops between a's and b's
 * nodes, each at the path's least rate (x 2 when duplex). */
double place__bandwidth_lb(const struct milp *m);

/* neighbour.c: the plan in hand (host, item, route per service and vlink)
 * improved by the MILP restricted to a few dozen hosts around it, within
 * time_s: 1 and the better plan in host/item/route, 0 when none (or the
 * cluster is small), or PLC_ENOMEM. */
int place__neighbourhood(const struct place_problem *p, const struct routes *r,
                         const struct milp *whole, struct place_plan *plan,
                         size_t *host, size_t *item, int *route, double time_s);

/* treedp.c: for the objectives "cost" and "bandwidth" without a deadline
 * or affinity rules, on a forest of virtual links: the least objective
 * (ties: utilisation, then bandwidth x hops) over every placement that
 * keeps each link's own bounds, capacity left out; its host, least-
 * utilisation menu item per service and route set per vlink.  1 with
 * *lb, 0 when it does not apply (or ran out of time), PLC_ENOMEM. */
int place__tree_dp(const struct milp *m, size_t *host, size_t *item, int *route,
                   double *lb);

/* ties.c: with the objective "utilization" proven, lower the plan's
 * bandwidth x hops towards lb (place__bandwidth_lb) by moving services
 * (all of a host's, or one) between the plan's hosts, the endpoints' and
 * the freest near them, each keeping a reservation as good as its own;
 * host[] and item[] (menu index) follow.  1 moved (the plan verifies),
 * 0 not, PLC_ENOMEM. */
int place__ties_local(const struct milp *m, struct place_plan *plan,
                      size_t *host, size_t *item, double lb);

/* heur.c: a greedy, verified plan into *plan (services, vlinks, guarantee):
 * 1 found, 0 none, or PLC_ENOMEM. */
int place__heur_plan(const struct milp *m, struct place_plan *plan);
/* The same walk as a greedy policy (fit: PLACE_FIT_*, fit.c): 1 found, 0
 * none (*why: what stopped its last try), PLC_ENOMEM. */
int place__fit_plan(const struct milp *m, int fit, struct place_plan *plan,
                    enum place_reject *why);

/* place.c: the most nodes, and the share of the time limit, the exact search
 * (search.c) is given before the models that follow it. */
#define PLACE_SEARCH_NODES 200000
#define PLACE_SEARCH_SHARE 0.25
/* ...and the first search, before the greedy plan and the bounds: most
 * plans of up to a dozen services are proven in a few hundred nodes, and
 * one that is not gets the rest after them */
#define PLACE_SEARCH_FIRST_NODES 20000
#define PLACE_SEARCH_FIRST_SHARE 0.1
#define PLACE_SEARCH_MAX_SERVICES 12

/* Is the exact search (search.c) for p at all: vlinks, at most a dozen
 * services, not left out (no_search)?  (Its optimum is for the
 * objectives utilization and hosts; whether any plan exists, for all.) */
static inline bool place__search_applies(const struct place_problem *p)
{
    return !p->no_search && p->n_vlinks > 0 &&
           p->n_services <= PLACE_SEARCH_MAX_SERVICES;
}

/* search.c: the exact branch and bound over hosts and menu items
 * (objectives "utilization" and "hosts", with their ties; see there)
 * against the best plan known, ub[] = (new hosts (0 for utilization),
 * utilisation, bandwidth x hops): 1 proven (with *found, host[] and
 * item[] (menu index) hold the optimum, which beats that plan; without,
 * nothing beats it), 0 not proven (the limits, end_s or max_nodes, ran
 * out, or a plan failed verification on the shortest routes; *found: a
 * verified better plan all the same), PLC_ENOMEM.  *nodes: the nodes it
 * visited. */
int place__search(const struct milp *m, const double *ub, double end_s,
                  long max_nodes, size_t *host, size_t *item, bool *found,
                  long *nodes);
/* search.c: is there any plan at all of m's model, with the families it
 * relaxes (m->relax) left out?  1 decided (*found says which), 0 not
 * (the limits ran out, or a plan failed on the shortest routes), or
 * PLC_ENOMEM. */
int place__search_first(const struct milp *m, double end_s, long max_nodes,
                        bool *found);

/* A packing of n items into `bins` bins of one capacity (fill.c): size
 * per item, and optionally cpu per item against cpu_capacity per bin (a
 * summed test only).  Searches until end_s (plc_now_s). */
struct place_fill_in {
    size_t n, bins;
    const uint64_t *size;
    uint64_t capacity;
    const double *cpu; /* NULL: no second dimension */
    double cpu_capacity;
    double end_s;
};
enum {
    PLACE_FILL_NONE = 0,    /* proven: no packing into that many bins */
    PLACE_FILL_FOUND = 1,   /* bin_of[i] < bins for every item */
    PLACE_FILL_TIMEOUT = 2, /* neither, by end_s */
};

/* PLACE_FILL_* or PLC_ENOMEM; bin_of (n entries, caller's) is written only
 * on PLACE_FILL_FOUND. */
int place__fill(const struct place_fill_in *in, size_t *bin_of);

#endif
