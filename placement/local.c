/*
 * local.c: a large cluster's plan made on the hosts near the workflow and
 * proven optimal against a relaxation of the whole cluster.
 *
 * Every pass of place_solve() over the whole cluster (routes, candidates,
 * the heuristic, the bounds) costs time in proportion to its hosts: 0.2 ms
 * for one service on 1,024 hosts, 1.6 ms on 8,192, most of what placerd
 * spends per admission.  A workflow's good plans sit near its endpoints,
 * so the problem is first solved on a part of the cluster:
 *
 *  - the *local* problem: the hosts and switches within the smallest hop
 *    radius of the endpoints that holds LOCAL_WANT hosts with room for the
 *    workflow's cheapest reservation (at most LOCAL_MAX_HOSTS), with the
 *    links between them.  Its plan is a plan of the whole cluster: the
 *    same hosts, capacities, links and routes (a route of the part is a
 *    route of the whole).
 *  - the *relaxed* problem: every host class (hosts with the same menus and
 *    execution times for every service) becomes min(members, services)
 *    copies of one host at least as large as any member (the most cores,
 *    the highest capacity, every core as free as the freest core of any
 *    member, the most free memory, the lowest price, allowed where any
 *    member is), each endpoint host stays itself, and every node hangs off
 *    one switch by a link of no cost, more rate than the whole cluster has
 *    (two of its hops transmit faster than any one real hop) and, for a
 *    host, half the latency of the shortest route between two hosts (at
 *    most that of a host's shortest link).  Any plan of the cluster maps onto
 * it (services on one host to one copy) with the same objective and no more
 * delay, so its optimum bounds the cluster's from below.
 *
 * The relaxation is solved first; the local solve is told its optimum and
 * stops as soon as it has a plan that good.  When the local plan's
 * objective meets the relaxed optimum, it is optimal for the whole
 * cluster.  Otherwise the whole problem is solved as before, with the
 * time left, and the local plan (a plan of the whole cluster all the
 * same) is the answer if that solve finds none or a worse one.  Only
 * objectives a host's own figures price (utilisation, cost) are treated
 * so; ties among optima are the local problem's, best effort as on any
 * large cluster.  place_solve() runs the pass first on clusters of
 * PLACE_LOCAL_MIN_HOSTS and more, and from PLACE_LOCAL_MID_HOSTS when the
 * greedy plan misses the DP bound.
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* hosts in the ball with room for the cheapest reservation, wanted */
#define LOCAL_WANT 48
/* hosts of the local problem at most */
#define LOCAL_MAX_HOSTS 128
/* a service allowed on at most this many hosts brings them all */
#define LOCAL_NARROW 16
/* host classes and hosts of the relaxed problem at most */
#define LOCAL_MAX_CLASSES 64
#define LOCAL_MAX_RELAXED 200

/* A problem over some hosts of p (local) or over class copies (relaxed),
 * with everything it points to. */
struct part {
    struct place_problem p;
    struct place_cluster c;
    struct place_host *hosts;
    const char **names;
    struct place_link *links;
    size_t *endpoint_node;
    struct place_service *services;
    const struct sched_menu **menus;
    const struct sched_dist **execs;
    const char **reasons;
    bool *allowed;
    double *prices;
    double *used;    /* relaxed: per copy x core */
    size_t *node_of; /* local: the cluster's node of each node */
};

static void part_release(struct part *x)
{
    free(x->hosts);
    free((void *)x->names);
    free(x->links);
    free(x->endpoint_node);
    free(x->services);
    free((void *)x->menus);
    free((void *)x->execs);
    free((void *)x->reasons);
    free(x->allowed);
    free(x->prices);
    free(x->used);
    free(x->node_of);
    memset(x, 0, sizeof *x);
}

/* The per-host arrays of x's services for n hosts, each host i standing
 * for p's host of[i] (menus, execution times, reasons, the rules and the
 * price); with member lists (member[beg[i]] .. member[end[i] - 1], the
 * hosts a copy stands for), allowed where any member is and at the lowest
 * price of a member. */
static int part_services(struct part *x, const struct place_problem *p,
                         size_t n, const size_t *of, const size_t *member,
                         const size_t *beg, const size_t *end)
{
    size_t V = p->n_services;
    x->services = calloc(V + 1, sizeof *x->services);
    x->menus = calloc(V * n + 1, sizeof *x->menus);
    x->execs = calloc(V * n + 1, sizeof *x->execs);
    x->reasons = calloc(V * n + 1, sizeof *x->reasons);
    x->allowed = calloc(V * n + 1, sizeof *x->allowed);
    x->prices = calloc(V * n + 1, sizeof *x->prices);
    if (!x->services || !x->menus || !x->execs || !x->reasons || !x->allowed ||
        !x->prices)
        return PLC_ENOMEM;
    for (size_t v = 0; v < V; v++) {
        const struct place_service *s = &p->services[v];
        for (size_t i = 0; i < n; i++) {
            size_t h = of[i], k = v * n + i;
            x->menus[k] = s->menu[h];
            x->execs[k] = s->exec ? s->exec[h] : NULL;
            x->reasons[k] = s->menu_reason ? s->menu_reason[h] : NULL;
            if (member && i > 0 && beg[i] == beg[i - 1]) {
                /* another copy of the same class */
                x->allowed[k] = x->allowed[k - 1];
                x->prices[k] = x->prices[k - 1];
                continue;
            }
            x->allowed[k] = !s->allowed || s->allowed[h];
            x->prices[k] = s->price ? s->price[h] : p->cluster->hosts[h].cost;
            for (size_t j = member ? beg[i] : 0; member && j < end[i]; j++) {
                size_t g = member[j];
                x->allowed[k] |= !s->allowed || s->allowed[g];
                x->prices[k] =
                    fmin(x->prices[k],
                         s->price ? s->price[g] : p->cluster->hosts[g].cost);
            }
        }
        x->services[v] = *s;
        x->services[v].menu = &x->menus[v * n];
        x->services[v].exec = s->exec ? &x->execs[v * n] : NULL;
        x->services[v].menu_reason = s->menu_reason ? &x->reasons[v * n] : NULL;
        x->services[v].allowed = &x->allowed[v * n];
        x->services[v].price = s->price ? &x->prices[v * n] : NULL;
    }
    return 0;
}

static void part_problem(struct part *x, const struct place_problem *p,
                         double deadline_s)
{
    x->p = *p;
    x->p.cluster = &x->c;
    x->p.endpoint_node = x->endpoint_node;
    x->p.services = x->services;
    x->p.deadline_s = deadline_s;
    x->p.part = true;
}

/* The cheapest utilisation any item of any service has on host h. */
static double cheapest(const struct place_problem *p, size_t h)
{
    double u = INFINITY;
    for (size_t v = 0; v < p->n_services; v++) {
        const struct sched_menu *m = p->services[v].menu[h];
        for (size_t k = 0; m && k < m->n; k++)
            u = fmin(u, m->v[k].utilization);
    }
    return u;
}

/* Room on h for its cheapest reservation (or for memory alone). */
static bool useful(const struct place_problem *p, size_t h)
{
    const struct place_host *ho = &p->cluster->hosts[h];
    double u = cheapest(p, h);
    if (!isfinite(u))
        return false;
    for (int c = 0; c < ho->cores; c++)
        if (place__milp_core_free(ho, c) >= u - 1e-9)
            return true;
    return false;
}

/* The local problem's hosts and switches (into x), or 0 when the ball is
 * too large, the endpoints are not all reached, or memory ran out. */
static int local_part(struct part *x, const struct place_problem *p)
{
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, N = c->n_nodes, L = c->n_links;
    size_t *start = calloc(N + 2, sizeof *start),
           *adj = malloc((2 * L + 1) * sizeof *adj);
    size_t *dist = malloc((N + 1) * sizeof *dist),
           *queue = malloc((N + 1) * sizeof *queue),
           *map = malloc((N + 1) * sizeof *map);
    bool *in = calloc(N + 1, sizeof *in);
    int rc = 0;
    if (!start || !adj || !dist || !queue || !map || !in) {
        rc = PLC_ENOMEM;
        goto out;
    }
    for (size_t l = 0; l < L; l++) {
        start[c->links[l].a + 2]++;
        start[c->links[l].b + 2]++;
    }
    for (size_t v = 0; v < N; v++)
        start[v + 2] += start[v + 1];
    for (size_t l = 0; l < L; l++) {
        adj[start[c->links[l].a + 1]++] = c->links[l].b;
        adj[start[c->links[l].b + 1]++] = c->links[l].a;
    }
    for (size_t v = 0; v < N; v++)
        dist[v] = PLACE_NONE;
    size_t head = 0, tail = 0, hosts = 0, good = 0;
    bool pinned = false;
    for (size_t e = 0; e < p->n_endpoints; e++) {
        size_t v = p->endpoint_node[e];
        if (dist[v] == PLACE_NONE) {
            dist[v] = 0;
            queue[tail++] = v;
            in[v] = true;
            hosts += v < H;
        }
    }
    /* services allowed on few hosts bring those hosts, and the ball grows
     * from them too (so that routes reach them) */
    for (size_t v = 0; v < p->n_services; v++) {
        const bool *a = p->services[v].allowed;
        size_t n = 0;
        for (size_t h = 0; a && h < H && n <= LOCAL_NARROW; h++)
            n += a[h];
        for (size_t h = 0; a && n <= LOCAL_NARROW && h < H; h++)
            if (a[h] && dist[h] == PLACE_NONE) {
                dist[h] = 0;
                queue[tail++] = h;
                in[h] = true;
                hosts++;
                pinned = true;
            }
    }
    /* layer by layer from the endpoints: interior nodes all (they may
     * carry routes), the last layer's hosts while they are wanted, its
     * switches not (they lead only outwards) */
    while (head < tail && good < LOCAL_WANT) {
        size_t layer_end = tail;
        for (; head < layer_end; head++) {
            size_t u = queue[head];
            if (u < H && !in[u]) {
                if (!useful(p, u))
                    continue;
                if (good >= LOCAL_WANT)
                    continue;
                in[u] = true;
                hosts++;
                good++;
            } else if (u < H && dist[u] == 0) {
                good += useful(p, u);
            }
            for (size_t j = start[u]; j < start[u + 1]; j++) {
                size_t w = adj[j];
                if (dist[w] != PLACE_NONE)
                    continue;
                dist[w] = dist[u] + 1;
                queue[tail++] = w;
            }
        }
        if (hosts > LOCAL_MAX_HOSTS)
            goto out; /* (rc 0: too large) */
    }
    /* the nodes reached: interior ones (not the last layer's switches)
     * and the hosts taken; a host passed over for lack of room still
     * relays when interior */
    size_t last = head ? dist[queue[head - 1]] : 0;
    for (size_t i = 0; i < head; i++) {
        size_t u = queue[i];
        if (u >= H && dist[u] < last)
            in[u] = true;
        else if (u < H && dist[u] < last && c->hosts[u].forwarding &&
                 start[u + 1] - start[u] > 1 && !in[u]) {
            in[u] = true;
            hosts++;
        }
    }
    if (pinned && p->n_endpoints) {
        /* pinned hosts far from the endpoints: the ball may hold both
         * without a route between them; the nodes of a shortest route
         * from the endpoints to each pinned host join it */
        size_t *pred = malloc((N + 1) * sizeof *pred);
        if (!pred) {
            rc = PLC_ENOMEM;
            goto out;
        }
        for (size_t v = 0; v < N; v++)
            pred[v] = PLACE_NONE;
        size_t qh = 0, qt = 0;
        for (size_t e = 0; e < p->n_endpoints; e++) {
            size_t v = p->endpoint_node[e];
            if (pred[v] == PLACE_NONE) {
                pred[v] = v;
                queue[qt++] = v;
            }
        }
        while (qh < qt) {
            size_t u = queue[qh++];
            /* (hosts that do not forward end routes) */
            if (u < H && pred[u] != u && !c->hosts[u].forwarding)
                continue;
            for (size_t j = start[u]; j < start[u + 1]; j++)
                if (pred[adj[j]] == PLACE_NONE) {
                    pred[adj[j]] = u;
                    queue[qt++] = adj[j];
                }
        }
        for (size_t h = 0; h < H; h++) {
            if (!in[h] || dist[h] != 0 || pred[h] == PLACE_NONE)
                continue;
            for (size_t u = pred[h]; pred[u] != u; u = pred[u])
                if (!in[u]) {
                    in[u] = true;
                    hosts += u < H;
                }
        }
        free(pred);
    }
    if (good == 0 || hosts > LOCAL_MAX_HOSTS)
        goto out;
    /* the part: hosts first, in the cluster's order, then switches */
    size_t n = 0, nn = 0;
    for (size_t v = 0; v < N; v++)
        nn += in[v];
    x->hosts = malloc((hosts + 1) * sizeof *x->hosts);
    x->names = malloc((nn + 1) * sizeof *x->names);
    size_t *of = malloc((hosts + 1) * sizeof *of);
    x->endpoint_node = malloc((p->n_endpoints + 1) * sizeof *x->endpoint_node);
    if (!x->hosts || !x->names || !of || !x->endpoint_node) {
        free(of);
        rc = PLC_ENOMEM;
        goto out;
    }
    for (size_t v = 0; v < N; v++)
        map[v] = PLACE_NONE;
    for (size_t h = 0; h < H; h++)
        if (in[h]) {
            x->hosts[n] = c->hosts[h];
            x->names[n] = c->node_names[h];
            of[n] = h;
            map[h] = n++;
        }
    size_t nh = n;
    for (size_t v = H; v < N; v++)
        if (in[v]) {
            x->names[n] = c->node_names[v];
            map[v] = n++;
        }
    size_t nl = 0;
    for (size_t l = 0; l < L; l++)
        nl += map[c->links[l].a] != PLACE_NONE &&
              map[c->links[l].b] != PLACE_NONE;
    x->links = malloc((nl + 1) * sizeof *x->links);
    if (!x->links) {
        free(of);
        rc = PLC_ENOMEM;
        goto out;
    }
    nl = 0;
    for (size_t l = 0; l < L; l++)
        if (map[c->links[l].a] != PLACE_NONE &&
            map[c->links[l].b] != PLACE_NONE) {
            x->links[nl] = c->links[l];
            x->links[nl].a = map[c->links[l].a];
            x->links[nl].b = map[c->links[l].b];
            nl++;
        }
    for (size_t e = 0; e < p->n_endpoints; e++)
        x->endpoint_node[e] = map[p->endpoint_node[e]];
    x->c = (struct place_cluster){nh, n,        x->hosts, x->names,
                                  nl, x->links, NULL,     NULL};
    x->node_of = malloc((n + 1) * sizeof *x->node_of);
    for (size_t v = 0; x->node_of && v < N; v++)
        if (map[v] != PLACE_NONE)
            x->node_of[map[v]] = v;
    rc =
        x->node_of ? part_services(x, p, nh, of, NULL, NULL, NULL) : PLC_ENOMEM;
    free(of);
    if (rc == 0)
        rc = 1;
out:
    free(start);
    free(adj);
    free(dist);
    free(queue);
    free(map);
    free(in);
    return rc;
}

/* Same menus and execution times for every service. */
static bool same_class(const struct place_problem *p, size_t a, size_t b)
{
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        if (s->menu[a] != s->menu[b] || (s->exec && s->exec[a] != s->exec[b]))
            return false;
    }
    return true;
}

/* The relaxed problem (into x): 1, 0 when there are too many classes or
 * copies, or PLC_ENOMEM. */
static int relaxed_part(struct part *x, const struct place_problem *p)
{
    const struct place_cluster *c = p->cluster;
    size_t H = c->n_hosts, V = p->n_services, E = p->n_endpoints;
    size_t *cls = malloc((H + 1) * sizeof *cls);
    size_t *member = malloc((H + 1) * sizeof *member);
    size_t first[LOCAL_MAX_CLASSES], start[LOCAL_MAX_CLASSES + 2];
    size_t of[LOCAL_MAX_RELAXED], beg[LOCAL_MAX_RELAXED],
        end[LOCAL_MAX_RELAXED];
    struct place_host tmpl[LOCAL_MAX_CLASSES];
    double freest[LOCAL_MAX_CLASSES]; /* per class: its freest core */
    int rc = 0;
    if (!cls || !member) {
        rc = PLC_ENOMEM;
        goto out;
    }
    /* endpoint hosts stay themselves; the others by class */
    for (size_t h = 0; h < H; h++)
        cls[h] = PLACE_NONE;
    size_t nc = 0;
    for (size_t e = 0; e < E; e++) {
        size_t h = p->endpoint_node[e];
        if (h < H && cls[h] == PLACE_NONE) {
            if (nc == LOCAL_MAX_CLASSES)
                goto out;
            first[nc] = h;
            cls[h] = nc++;
        }
    }
    size_t singles = nc;
    for (size_t h = 0; h < H; h++) {
        if (cls[h] != PLACE_NONE)
            continue;
        size_t k = singles;
        while (k < nc && !same_class(p, first[k], h))
            k++;
        if (k == nc) {
            if (nc == LOCAL_MAX_CLASSES)
                goto out;
            first[nc++] = h;
        }
        cls[h] = k;
    }
    /* members by class: member[start[k] .. start[k + 1] - 1] */
    memset(start, 0, sizeof start);
    for (size_t h = 0; h < H; h++)
        start[cls[h] + 2]++;
    for (size_t k = 0; k < nc; k++)
        start[k + 2] += start[k + 1];
    for (size_t h = 0; h < H; h++)
        member[start[cls[h] + 1]++] = h;
    /* each class as one host at least as large as any member */
    int max_cores = 1;
    for (size_t k = 0; k < nc; k++) {
        struct place_host y = c->hosts[first[k]];
        double free_core = 0, cap = 0, free_mem = 0;
        bool unlimited = false;
        int cores = 0;
        for (size_t j = start[k]; j < start[k + 1]; j++) {
            const struct place_host *g = &c->hosts[member[j]];
            if (g->cores > cores)
                cores = g->cores;
            if (g->core_capacity > cap)
                cap = g->core_capacity;
            /* (no core of g can beat a freest core as free as g's
             * capacity: most hosts skip the scan) */
            for (int q = 0; free_core < g->core_capacity && q < g->cores; q++) {
                double f = place__milp_core_free(g, q);
                if (f > free_core)
                    free_core = f;
            }
            if (g->mem_bytes == PLACE_UNLIMITED)
                unlimited = true;
            else if (g->mem_bytes > g->mem_used_bytes &&
                     (double)(g->mem_bytes - g->mem_used_bytes) > free_mem)
                free_mem = (double)(g->mem_bytes - g->mem_used_bytes);
            if (g->cost < y.cost)
                y.cost = g->cost;
        }
        y.cores = cores;
        y.core_capacity = cap;
        y.used = NULL; /* set per copy below: cap - free_core per core */
        y.mem_bytes = unlimited ? PLACE_UNLIMITED : (uint64_t)free_mem;
        y.mem_used_bytes = 0;
        y.forwarding = false;
        tmpl[k] = y;
        freest[k] = free_core;
        max_cores = cores > max_cores ? cores : max_cores;
    }
    /* copies: one per endpoint host, min(members, services) per class */
    size_t n = 0;
    for (size_t k = 0; k < nc; k++) {
        size_t members = start[k + 1] - start[k];
        size_t copies = k < singles ? 1 : (members < V ? members : V);
        for (size_t i = 0; i < (copies ? copies : 1); i++) {
            if (n == LOCAL_MAX_RELAXED)
                goto out;
            of[n] = first[k];
            beg[n] = start[k];
            end[n++] = start[k + 1];
        }
    }
    size_t ns = 1; /* the hub, then a node per endpoint on a switch */
    for (size_t e = 0; e < E; e++)
        ns += p->endpoint_node[e] >= H;
    x->hosts = calloc(n + 1, sizeof *x->hosts);
    x->names = calloc(n + ns + 1, sizeof *x->names);
    x->links = calloc(n + ns + 1, sizeof *x->links);
    x->used = calloc(n * (size_t)max_cores + 1, sizeof *x->used);
    x->endpoint_node = malloc((E + 1) * sizeof *x->endpoint_node);
    if (!x->hosts || !x->names || !x->links || !x->used || !x->endpoint_node) {
        rc = PLC_ENOMEM;
        goto out;
    }
    /* links of more rate than the whole cluster has (twice: two relaxed
     * hops transmit faster than one real one), no cost */
    double all = 0;
    for (size_t l = 0; l < c->n_links; l++)
        all += (double)c->links[l].rate_bps;
    uint64_t rate = (uint64_t)fmin(fmax(2 * all, 1e9), 1e18);
    /* and the latency no real route undercuts: a route leaving a host
     * starts with one of its links (at least `inc`), one between two hosts
     * takes at least `pair` (a host's link, then another link unless it
     * reaches a host); a copy's link gets min(inc, pair / 2), so that two
     * relaxed hops are never slower than a real route */
    uint64_t least = UINT64_MAX, inc = UINT64_MAX, pair = UINT64_MAX;
    for (size_t l = 0; l < c->n_links; l++)
        if (c->links[l].latency_ns < least)
            least = c->links[l].latency_ns;
    for (size_t l = 0; l < c->n_links; l++) {
        const struct place_link *e = &c->links[l];
        for (int side = 0; side < 2; side++) {
            size_t a = side ? e->b : e->a, b = side ? e->a : e->b;
            if (a >= H)
                continue;
            uint64_t d = e->latency_ns + (b < H ? 0 : least);
            inc = e->latency_ns < inc ? e->latency_ns : inc;
            pair = d < pair ? d : pair;
        }
    }
    uint64_t hop = inc == UINT64_MAX ? 0 : (inc < pair / 2 ? inc : pair / 2);
    size_t hub = n, nl = 0;
    x->names[hub] = "(any switch)";
    for (size_t i = 0; i < n; i++) {
        size_t k = cls[of[i]];
        double *u = x->used + i * (size_t)max_cores;
        x->hosts[i] = tmpl[k];
        for (int q = 0; q < tmpl[k].cores; q++)
            u[q] = fmax(0, tmpl[k].core_capacity - freest[k]);
        x->hosts[i].used = u;
        x->names[i] = c->node_names[of[i]];
        x->links[nl++] = (struct place_link){i, hub, rate, hop, 0, 0, 0, 0};
    }
    /* endpoints: a host is its own copy; a switch a node of its own */
    size_t next = hub + 1;
    for (size_t e = 0; e < E; e++) {
        size_t v = p->endpoint_node[e];
        if (v < H) {
            x->endpoint_node[e] = cls[v]; /* singles come first, one copy */
        } else {
            x->names[next] = c->node_names[v];
            x->links[nl++] =
                (struct place_link){next, hub, rate, 0, 0, 0, 0, 0};
            x->endpoint_node[e] = next++;
        }
    }
    x->c = (struct place_cluster){n,  next,     x->hosts, x->names,
                                  nl, x->links, NULL,     NULL};
    rc = part_services(x, p, n, of, member, beg, end);
    if (rc == 0)
        rc = 1;
out:
    free(cls);
    free(member);
    return rc;
}

/* The local plan in the whole cluster's indices: hosts and routes. */
static void map_back(const struct part *loc, const struct place_problem *p,
                     struct place_plan *plan)
{
    for (size_t v = 0; v < p->n_services; v++)
        plan->services[v].host = loc->node_of[plan->services[v].host];
    for (size_t i = 0; i < p->n_vlinks; i++) {
        struct place_vlink_plan *vp = &plan->vlinks[i];
        for (size_t k = 0; k < vp->n_path; k++)
            vp->path[k] = loc->node_of[vp->path[k]];
        for (size_t k = 0; k < vp->n_back; k++)
            vp->back[k] = loc->node_of[vp->back[k]];
    }
}

int place__local(const struct place_problem *p, size_t min_hosts,
                 double known_lb, struct place_plan *plan,
                 struct place_plan *spare, double *spare_lb,
                 struct plc_error *err)
{
    *spare_lb = -INFINITY;
    /* (without endpoints there is no place to start from: the whole
     * cluster is solved, measured faster on the fat-trees of bench_plan
     * table than a local pass from the freest host) */
    if (p->part || p->cluster->n_hosts < min_hosts || p->n_endpoints == 0 ||
        (p->objective != PLACE_OBJ_UTILIZATION &&
         p->objective != PLACE_OBJ_COST))
        return 0;
    double t0 = plc_now_s(), end = place__deadline(p);
    if (end - t0 <= 0.01)
        return 0;
    struct part loc = {0}, rel = {0};
    struct place_plan lp = {0}, rp = {0};
    int rc = local_part(&loc, p);
    if (rc == 1)
        rc = relaxed_part(&rel, p);
    bool proven = false;
    double lb = -INFINITY;
    if (rc == 1) {
        /* the relaxation first (an eighth of the time left): its optimum
         * is what the local plan must meet, and the local solve stops as
         * soon as it does */
        part_problem(&rel, p, t0 + (end - t0) / 8);
        rel.p.stop_at = -1;
        rc = place_solve(&rel.p, &rp, err);
        if (rc == 0 && rp.admitted)
            lb = rp.status == PLACE_OPTIMAL ? rp.objective : rp.bound;
    }
    /* the caller's bound of the whole cluster, when higher */
    bool known = rc == 0 && rp.admitted && known_lb > lb;
    if (known)
        lb = known_lb;
    if (rc == 0 && rp.admitted) {
        /* then the local problem, in a quarter of the time left */
        double now = plc_now_s();
        part_problem(&loc, p, now + (end - now) / 4);
        loc.p.stop_at = known || rp.status == PLACE_OPTIMAL ? lb : -1;
        rc = place_solve(&loc.p, &lp, err);
        proven = rc == 0 && lp.admitted &&
                 (known || rp.status == PLACE_OPTIMAL) &&
                 place__meets(lp.objective, lb);
    }
    if (proven) {
        map_back(&loc, p, &lp);
        lp.status = PLACE_OPTIMAL;
        lp.bound = fmin(lb, lp.objective);
        lp.gap = 0;
        lp.proof = known                          ? PLACE_PROOF_DP
                   : rp.proof != PLACE_PROOF_NONE ? rp.proof
                                                  : PLACE_PROOF_MILP;
        lp.time_ms = (plc_now_s() - t0) * 1000;
        lp.local = true;
        *plan = lp;
        memset(&lp, 0, sizeof lp);
    } else if (rc == 0 && lp.admitted) {
        /* not proven: a plan of the whole cluster all the same, for when
         * the whole solve finds none or a worse one in its time; the
         * relaxation's bound with it */
        map_back(&loc, p, &lp);
        lp.status = PLACE_FEASIBLE;
        lp.local = true;
        *spare_lb = lb;
        *spare = lp;
        memset(&lp, 0, sizeof lp);
    }
    place_plan_release(&lp);
    place_plan_release(&rp);
    part_release(&loc);
    part_release(&rel);
    return rc < 0 ? rc : proven;
}
