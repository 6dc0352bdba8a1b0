/*
 * heur.c: a greedy plan, used to warm-start the MILP and as the answer when
 * the solver finds no plan within its time limit.
 *
 * Items: every service takes its least-utilisation item whose phi meets an
 * equal share of the probability target (phi >= p^(1/n), independent;
 * phi >= 1 - (1-p)/n, union) and whose local deadline fits its share of the
 * deadline, s x D x (least d of v) / (longest path of least d's), for a
 * shrinking s.  Hosts: in topological order, next to a predecessor first
 * (co-location costs no network), then the rest in order, first fit on
 * cores, memory and the rules.  Every candidate plan goes through the same
 * exact verification as a solver plan.
 */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"
#include "sched/prob.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Least local deadline of v over the items it may take at all. */
static uint64_t least_d(const struct milp *m, size_t v, double share)
{
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    uint64_t lo = UINT64_MAX;
    if (m->kth) {
        /* v's columns on a run of hosts with one menu are those of the
         * host with the freest cores among them: each run's menu read
         * once (not every host's columns) */
        const struct sched_menu *menu = NULL;
        double most = -INFINITY;
        bool cpu = !(m->relax & FAM_CPU);
        for (size_t h = 0; h <= H; h++) {
            const struct sched_menu *here =
                h < H && m->kth[v * H + h] != -INFINITY ? p->services[v].menu[h]
                                                        : NULL;
            if (here && here == menu) {
                most = fmax(most, m->kth[v * H + h]);
                continue;
            }
            for (size_t k = 0; menu && k < menu->n; k++) {
                const struct sched_menu_item *it = &menu->v[k];
                if ((!cpu || it->utilization <= most + 1e-9) &&
                    it->phi >= share - SCHED_PROB_TOL && it->deadline_ns < lo &&
                    place__milp_item_ok(m, v, it))
                    lo = it->deadline_ns;
            }
            menu = here;
            most = here ? m->kth[v * H + h] : -INFINITY;
        }
        return lo;
    }
    /* (v's columns, host by host) */
    for (size_t h = 0; h < H; h++)
        for (size_t j = m->ys[v * H + h];
             j < m->ys[v * H + h] + m->yn[v * H + h]; j++) {
            const struct sched_menu_item *it =
                &p->services[v].menu[m->y[j].h]->v[m->y[j].m];
            if (it->phi >= share - SCHED_PROB_TOL && it->deadline_ns < lo)
                lo = it->deadline_ns;
        }
    return lo;
}

struct heur {
    const struct milp *m;
    double share;     /* per-stage probability share */
    uint64_t *budget; /* per service: local deadline allowance */
    double *load;     /* host x core */
    uint64_t *mem;    /* per host */
    /* the hosts whose load or memory a try changed, so that the next try
     * resets them alone (not H x cores at each try) */
    size_t *touched, n_touched;
    bool *is_touched;
    size_t *order, *pos;
    int max_cores;
    const struct sched_menu_item *want; /* items to use, or NULL */
    bool mbs;                           /* place by minimum bin slack */
    const double *weight;               /* MBS weights, or NULL */
    /* a greedy policy of placer simulate (place_fit): hosts in index
     * order (first fit), fullest first (best fit) or emptiest first
     * (worst fit), no preference for neighbours; 0: the heuristic's own
     * order */
    int fit;
    /* why the last service placed nowhere (fit): PLACE_REJECT_CPU or
     * PLACE_REJECT_MEMORY */
    enum place_reject stuck;
    /* per service: least_d() at this share, found by the first try (each
     * try of a run has the same share) */
    uint64_t *least;
    /* per service: the longest path of least deadlines through it (from
     * least[]), found by the first try; paths_ok -1 until then, 0 when
     * some service has no item */
    uint64_t *path;
    int paths_ok;
    /* per service: the least item within its allowance on hosts with this
     * menu, what pick_item() takes where it fits (m->kth) */
    struct pick_memo {
        const struct sched_menu *menu;
        uint64_t budget;
        size_t best;
    } * memo;
    /* best and worst fit: each host's free CPU before this try (over its
     * cores), and the hosts in their order by it (fullest or emptiest
     * first, then by index): the order of every host this try has not
     * touched */
    double *base_free;
    struct place_keyed *keyed, *tkeyed; /* (tkeyed: the touched ones) */
    /* hop scores (place_one) */
    size_t *target; /* per workflow node: a downstream endpoint's node */
    size_t *score, *hops, *queue;
    uint64_t *rank;
};

/* The least-utilisation item of v in menu within allowance `budget` that
 * v may take anywhere (the first of equals); PLACE_NONE if none. */
static size_t menu_best(const struct heur *hs, size_t v,
                        const struct sched_menu *menu, uint64_t budget)
{
    size_t best = PLACE_NONE;
    double bu = INFINITY;
    for (size_t i = 0; i < menu->n; i++) {
        const struct sched_menu_item *it = &menu->v[i];
        if (it->phi >= hs->share - SCHED_PROB_TOL &&
            it->deadline_ns <= budget && it->utilization < bu &&
            place__milp_item_ok(hs->m, v, it)) {
            bu = it->utilization;
            best = i;
        }
    }
    return best;
}

/* menu_best() at v's allowance now, kept per service until the menu or
 * the allowance changes (pick_item() asks it of every host). */
static size_t memo_best(const struct heur *hs, size_t v,
                        const struct sched_menu *menu)
{
    struct pick_memo *x = &hs->memo[v];
    if (x->menu != menu || x->budget != hs->budget[v]) {
        x->menu = menu;
        x->budget = hs->budget[v];
        x->best = menu_best(hs, v, menu, hs->budget[v]);
    }
    return x->best;
}

/* The least-utilisation item of v on h within its allowance; PLACE_NONE
 * if none. */
static size_t pick_item(const struct heur *hs, size_t v, size_t h)
{
    const struct milp *m = hs->m;
    size_t k = v * m->p->cluster->n_hosts + h, best = PLACE_NONE;
    double bu = INFINITY;
    if (!hs->want && m->kth) {
        /* v's columns on h are the items allowed anywhere that fit its
         * cores (milp.h): the least within the allowance, found once per
         * menu and allowance, is h's when it fits (first fit asked this
         * of 94 hosts per service on 128, most of them full) */
        const struct sched_menu *menu = m->p->services[v].menu[h];
        if (!menu || m->kth[k] == -INFINITY)
            return PLACE_NONE;
        size_t b = memo_best(hs, v, menu);
        if (b == PLACE_NONE)
            return PLACE_NONE;
        return (m->relax & FAM_CPU) ||
                       menu->v[b].utilization <= m->kth[k] + 1e-9
                   ? b
                   : PLACE_NONE;
    }
    if (hs->want) {
        /* the DP's item, where this host offers it */
        const struct sched_menu_item *w = &hs->want[v];
        for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++) {
            const struct sched_menu_item *it =
                &m->p->services[v].menu[h]->v[m->y[j].m];
            if (it->budget_ns == w->budget_ns &&
                it->period_ns == w->period_ns &&
                it->deadline_ns == w->deadline_ns && it->phi == w->phi)
                return m->y[j].m;
        }
        return PLACE_NONE;
    }
    for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++) {
        const struct sched_menu_item *it =
            &m->p->services[v].menu[h]->v[m->y[j].m];
        if (it->phi >= hs->share - SCHED_PROB_TOL &&
            it->deadline_ns <= hs->budget[v] && it->utilization < bu) {
            bu = it->utilization;
            best = m->y[j].m;
        }
    }
    return best;
}

/* Put vcpus copies of u on distinct cores of h (first fit); false if they
 * do not fit.  Commits only on success. */
static bool take_cores(struct heur *hs, size_t h, int vcpus, double u)
{
    const struct place_host *ho = &hs->m->p->cluster->hosts[h];
    double *load = hs->load + h * (size_t)hs->max_cores;
    int got = 0, cores[PLC_VCPUS_MAX];
    for (int c = 0; c < ho->cores && got < vcpus && got < PLC_VCPUS_MAX; c++)
        if (load[c] + u <= place__milp_core_free(ho, c) + 1e-9)
            cores[got++] = c;
    if (got < vcpus)
        return false;
    for (int i = 0; i < got; i++)
        load[cores[i]] += u;
    return true;
}

static bool rules_ok(const struct place_problem *p,
                     const struct place_plan *plan, size_t v, size_t h)
{
    for (size_t g = 0; g < p->n_anti_affinity; g++) {
        bool in = false;
        for (const size_t *s = p->anti_affinity[g]; *s != PLACE_NONE; s++)
            in |= *s == v;
        for (const size_t *s = p->anti_affinity[g]; in && *s != PLACE_NONE; s++)
            if (*s != v && plan->services[*s].host == h)
                return false;
    }
    for (size_t g = 0; g < p->n_affinity; g++) {
        bool in = false;
        for (const size_t *s = p->affinity[g]; *s != PLACE_NONE; s++)
            in |= *s == v;
        for (const size_t *s = p->affinity[g]; in && *s != PLACE_NONE; s++)
            if (*s != v && plan->services[*s].host != PLACE_NONE &&
                plan->services[*s].host != h)
                return false;
    }
    return true;
}

/* Undo every try: the hosts' load and memory as the cluster has them. */
static void reset_hosts(struct heur *hs)
{
    const struct place_host *ho = hs->m->p->cluster->hosts;
    for (size_t i = 0; i < hs->n_touched; i++) {
        size_t h = hs->touched[i];
        memset(hs->load + h * (size_t)hs->max_cores, 0,
               (size_t)hs->max_cores * sizeof *hs->load);
        hs->mem[h] = ho[h].mem_used_bytes;
        hs->is_touched[h] = false;
    }
    hs->n_touched = 0;
}

/* Put service v on host h if the model allows it there and its rules,
 * memory and cores take it; commits the host's load and the plan entry. */
static bool try_host(struct heur *hs, struct place_plan *plan, size_t v,
                     size_t h)
{
    const struct place_problem *p = hs->m->p;
    if (!place__milp_candidate(hs->m, v, h) || !rules_ok(p, plan, v, h))
        return false;
    const struct place_host *ho = &p->cluster->hosts[h];
    if (ho->mem_bytes != PLACE_UNLIMITED &&
        hs->mem[h] + p->services[v].mem_bytes > ho->mem_bytes)
        return false;
    size_t it = pick_item(hs, v, h);
    if (it == PLACE_NONE)
        return false;
    const struct sched_menu_item *x = &p->services[v].menu[h]->v[it];
    if (!take_cores(hs, h, p->services[v].vcpus, x->utilization))
        return false;
    hs->mem[h] += p->services[v].mem_bytes;
    if (!hs->is_touched[h]) {
        hs->is_touched[h] = true;
        hs->touched[hs->n_touched++] = h;
    }
    plan->services[v].host = h;
    plan->services[v].item = *x;
    plan->heur_item[v] = it;
    return true;
}

/* Hop scores of the hosts for v: hops from the hosts of v's predecessors
 * plus hops to the node of the endpoint downstream of v, so that a chain
 * between two endpoints stays on a shortest way between them (bandwidth
 * x hops breaks ties).  false when nothing is placed around v. */
static bool host_scores(struct heur *hs, const size_t *pred, size_t np,
                        size_t v)
{
    const struct place_problem *p = hs->m->p;
    size_t H = p->cluster->n_hosts, target = hs->target[p->n_endpoints + v];
    if (np == 0 && target == PLACE_NONE)
        return false;
    for (size_t h = 0; h < H; h++)
        hs->score[h] = 0;
    for (size_t k = 0; k <= np; k++) {
        size_t from = k < np ? pred[k] : target;
        if (from == PLACE_NONE)
            continue;
        place__routes_hops_from(hs->m->r, from, hs->hops, hs->queue);
        for (size_t h = 0; h < H; h++)
            hs->score[h] += hs->hops[h] == PLACE_NONE ? H : hs->hops[h];
    }
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Free CPU of host h (over its cores) after what this try put there. */
static double free_cpu(const struct heur *hs, size_t h)
{
    if (!hs->is_touched[h])
        return hs->base_free[h];
    const struct place_host *ho = &hs->m->p->cluster->hosts[h];
    double free = 0;
    for (int c = 0; c < ho->cores; c++)
        free += fmax(0, place__milp_core_free(ho, c) -
                            hs->load[h * (size_t)hs->max_cores + c]);
    return free;
}

/* Could v's try on h succeed, as far as try_host() can tell without
 * this try's own placements and rules (memory, and with m->kth the item
 * pick_item() would take for the host's menu, found once per menu: it
 * and its call were most of a greedy decision on 128 hosts)?  *menu and
 * *need carry that item from host to host. */
static bool may_take(struct heur *hs, size_t v, size_t h,
                     const struct sched_menu **menu, double *need)
{
    const struct milp *m = hs->m;
    const struct place_problem *p = m->p;
    const struct place_service *s = &p->services[v];
    const struct place_host *ho = &p->cluster->hosts[h];
    size_t H = p->cluster->n_hosts;
    if (!place__milp_candidate(m, v, h) ||
        (ho->mem_bytes != PLACE_UNLIMITED &&
         hs->mem[h] + s->mem_bytes > ho->mem_bytes))
        return false;
    if (!m->kth || hs->want)
        return pick_item(hs, v, h) != PLACE_NONE;
    if (s->menu[h] != *menu) {
        *menu = s->menu[h];
        size_t b = memo_best(hs, v, *menu);
        *need = b == PLACE_NONE         ? INFINITY
                : !(m->relax & FAM_CPU) ? (*menu)->v[b].utilization
                                        : -INFINITY;
    }
    return *need <= m->kth[v * H + h] + 1e-9;
}

/* The greedy policies' host order for v: first fit by index; best fit
 * the least free CPU first; worst fit the most.  Ties by index. */
static bool place_fit_one(struct heur *hs, struct place_plan *plan, size_t v)
{
    const struct place_problem *p = hs->m->p;
    size_t H = p->cluster->n_hosts;
    const struct sched_menu *menu = NULL;
    double need = INFINITY;
    if (hs->fit == PLACE_FIT_FIRST) {
        for (size_t h = 0; h < H; h++)
            if (may_take(hs, v, h, &menu, &need) && try_host(hs, plan, v, h))
                return true;
    } else {
        /* the hosts this try touched, with their keys now, and the
         * others in their fixed order: the first of both that may take
         * v is tried, and dropped when it fails (on a host this try
         * touched, or on a placement rule: a few at most).  Sorting all
         * 128 hosts for every service was a fifth of best fit's time. */
        struct place_keyed *t = hs->tkeyed;
        size_t nt = 0, si = 0;
        for (size_t i = 0; i < hs->n_touched; i++) {
            size_t h = hs->touched[i];
            if (!may_take(hs, v, h, &menu, &need))
                continue;
            double f = free_cpu(hs, h);
            t[nt++] =
                (struct place_keyed){hs->fit == PLACE_FIT_WORST ? f : -f, h};
        }
        for (;;) {
            while (si < H && (hs->is_touched[hs->keyed[si].h] ||
                              !may_take(hs, v, hs->keyed[si].h, &menu, &need)))
                si++;
            size_t b = 0;
            for (size_t i = 1; i < nt; i++)
                if (place__keyed_before(&t[i], &t[b]))
                    b = i;
            size_t h;
            if (nt && (si == H || place__keyed_before(&t[b], &hs->keyed[si]))) {
                h = t[b].h;
                t[b] = t[--nt];
            } else if (si < H) {
                h = hs->keyed[si++].h;
            } else {
                break;
            }
            if (try_host(hs, plan, v, h))
                return true;
        }
    }
    /* what kept it off every host: memory where no host had room for
     * it, else its cores */
    hs->stuck = PLACE_REJECT_CPU;
    bool mem_somewhere = false;
    for (size_t h = 0; h < H && !mem_somewhere; h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        mem_somewhere = ho->mem_bytes == PLACE_UNLIMITED ||
                        hs->mem[h] + p->services[v].mem_bytes <= ho->mem_bytes;
    }
    if (!mem_somewhere)
        hs->stuck = PLACE_REJECT_MEMORY;
    return false;
}

static bool place_one(struct heur *hs, struct place_plan *plan, size_t v)
{
    const struct milp *m = hs->m;
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts, E = p->n_endpoints;
    if (hs->fit)
        return place_fit_one(hs, plan, v);
    /* preferred: hosts of predecessors (services or endpoint nodes) */
    size_t pref[8], np = 0;
    for (size_t i = 0; i < p->n_vlinks && np < 8; i++) {
        if (p->vlinks[i].to != E + v)
            continue;
        size_t f = p->vlinks[i].from;
        size_t h = f < E ? p->endpoint_node[f] : plan->services[f - E].host;
        if (h < H)
            pref[np++] = h;
    }
    for (size_t k = 0; k < np; k++)
        if (try_host(hs, plan, v, pref[k]))
            return true;
    /* then every host, fewest hops first (sorted as score x H + host)
     * and, among as near, the one with the most free CPU first (so that
     * what follows v fits beside it rather than a hop further each time
     * on a busy cluster): each group of equal score is ordered by its
     * free CPU when the walk reaches it, so a plan that fits near its
     * predecessors looks at a few hosts only */
    bool scored = !m->single_location && host_scores(hs, pref, np, v);
    for (size_t h = 0; h < H; h++)
        hs->rank[h] = (scored ? (uint64_t)hs->score[h] * H : 0) + h;
    if (scored)
        qsort(hs->rank, H, sizeof *hs->rank, cmp_u64);
    for (size_t k = 0; k < H;) {
        size_t end = k + 1;
        while (scored && end < H && hs->rank[end] / H == hs->rank[k] / H)
            end++;
        if (scored && end - k > 1) {
            /* busy share in 1/1024ths, then host */
            for (size_t j = k; j < end; j++) {
                size_t h = (size_t)(hs->rank[j] % H);
                const struct place_host *ho = &p->cluster->hosts[h];
                double free = 0, all = 0;
                for (int c = 0; c < ho->cores; c++) {
                    all += ho->core_capacity;
                    free +=
                        fmax(0, place__milp_core_free(ho, c) -
                                    hs->load[h * (size_t)hs->max_cores + c]);
                }
                uint64_t busy =
                    all > 0 ? (uint64_t)(1023 * (1 - fmin(1, free / all)))
                            : 1023;
                hs->rank[j] = busy * H + h;
            }
            qsort(hs->rank + k, end - k, sizeof *hs->rank, cmp_u64);
        }
        for (size_t j = k; j < end; j++)
            if (try_host(hs, plan, v, (size_t)(hs->rank[j] % H)))
                return true;
        k = end;
    }
    return false;
}

/* Minimum bin slack (Gupta & Ho, 1999) for a workflow without links: fill
 * one host at a time with the subset of the remaining services (the
 * largest always among them) that leaves the least memory unused, by a
 * depth-first search over the services in decreasing size with a node
 * budget.  On packings it reaches the optimum far more often than first
 * fit decreasing.  With `weight`, the subset of largest total weight is
 * taken instead (still within the host's memory): perturbed weights make
 * the perturbation variant (Fleszar & Hindi, 2002) that repeats MBS with
 * different choices between near-equal subsets. */
struct mbs {
    const struct place_problem *p;
    const double *weight; /* per service, or NULL: memory */
    size_t *rest;         /* remaining services, largest first */
    size_t n_rest;
    size_t h;
    uint64_t room; /* free memory of host h */
    double cpu;    /* free CPU of host h (sum over cores) */
    size_t pick[256], n_pick, best[256], n_best;
    uint64_t best_used;
    double best_w;
    long budget;
};

static void mbs_dfs(struct mbs *b, size_t from, uint64_t used, double cpu,
                    double w)
{
    if (b->n_best == 0 || (b->weight ? w > b->best_w : used > b->best_used)) {
        b->best_used = used;
        b->best_w = w;
        b->n_best = b->n_pick;
        memcpy(b->best, b->pick, b->n_pick * sizeof *b->pick);
    }
    for (size_t k = from; k < b->n_rest && b->budget-- > 0 && b->n_pick < 256 &&
                          b->best_used < b->room;
         k++) {
        size_t v = b->rest[k];
        const struct place_service *s = &b->p->services[v];
        double u = 0;
        const struct sched_menu *m = s->menu[b->h];
        for (size_t i = 0; m && i < m->n; i++)
            u = i == 0 || m->v[i].utilization < u ? m->v[i].utilization : u;
        if (used + s->mem_bytes > b->room || cpu + s->vcpus * u > b->cpu)
            continue;
        b->pick[b->n_pick++] = k;
        mbs_dfs(b, k + 1, used + s->mem_bytes, cpu + s->vcpus * u,
                w + (b->weight ? b->weight[v] : 0));
        b->n_pick--;
        if (from == 0)
            break; /* the largest remaining service is always taken */
    }
}

static bool place_mbs(struct heur *hs, struct place_plan *plan,
                      const double *weight)
{
    const struct place_problem *p = hs->m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts, E = p->n_endpoints;
    struct mbs b = {
        .p = p, .weight = weight, .rest = malloc((V + 1) * sizeof *b.rest)};
    if (!b.rest)
        return false;
    for (size_t k = 0; k < E + V; k++)
        if (hs->order[k] >= E)
            b.rest[b.n_rest++] = hs->order[k] - E;
    for (size_t h = 0; h < H && b.n_rest && !place__expired(p); h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        b.h = h;
        b.room = ho->mem_bytes == PLACE_UNLIMITED ? UINT64_MAX / 2
                                                  : ho->mem_bytes - hs->mem[h];
        b.cpu = 0;
        for (int c = 0; c < ho->cores; c++)
            b.cpu += place__milp_core_free(ho, c);
        b.n_pick = b.n_best = 0;
        b.best_used = 0;
        b.best_w = 0;
        b.budget = 20000;
        /* hosts a service may not use are skipped by place_one below */
        mbs_dfs(&b, 0, 0, 0, 0);
        size_t keep = 0;
        bool *taken = calloc(b.n_rest + 1, sizeof *taken);
        if (!taken)
            break;
        for (size_t i = 0; i < b.n_best; i++)
            taken[b.best[i]] = try_host(hs, plan, b.rest[b.best[i]], h);
        for (size_t k = 0; k < b.n_rest; k++)
            if (!taken[k])
                b.rest[keep++] = b.rest[k];
        b.n_rest = keep;
        free(taken);
    }
    bool ok = b.n_rest == 0;
    free(b.rest);
    return ok;
}

/* The deadline allowances scaled by s (hs->budget); false when some
 * service has no item at all. */
static bool set_budgets(struct heur *hs, double s)
{
    const struct milp *m = hs->m;
    const struct place_problem *p = m->p;
    size_t V = p->n_services, E = p->n_endpoints, N = E + V;
    /* allowances: s x D x least_v / longest path of least d's (the
     * paths found once per run: each try of a run has the same share) */
    if (hs->paths_ok < 0) {
        uint64_t *least = calloc(N + 1, sizeof *least);
        uint64_t *head = calloc(N + 1, sizeof *head),
                 *tail = calloc(N + 1, sizeof *tail);
        bool ok = least && head && tail;
        for (size_t v = 0; ok && v < V; v++) {
            if (hs->least[v] == 0)
                hs->least[v] = least_d(m, v, hs->share);
            least[E + v] = hs->least[v];
            if (least[E + v] == UINT64_MAX)
                ok = false;
        }
        if (ok)
            ok = place_longest_paths(p, least, head, tail) == 0;
        for (size_t v = 0; ok && v < V; v++)
            hs->path[v] = head[E + v] + least[E + v] + tail[E + v];
        free(least);
        free(head);
        free(tail);
        hs->paths_ok = ok;
    }
    for (size_t v = 0; hs->paths_ok == 1 && v < V; v++) {
        uint64_t path = hs->path[v], least = hs->least[v];
        hs->budget[v] = p->deadline_ns == PLACE_UNLIMITED || path == 0
                            ? UINT64_MAX
                            : (uint64_t)(s * (double)p->deadline_ns *
                                         (double)least / (double)path);
        if (hs->budget[v] < least)
            hs->budget[v] = least;
    }
    return hs->paths_ok == 1;
}

/* With m->kth, does every service take the same items under the
 * allowances hs->budget as under was[] (its least item on each menu,
 * which a smaller allowance keeps when its deadline is within it)?  Then
 * a greedy try under them repeats the last one, whose verdict stands: a
 * greedy rejection ran its seven tries over the same items. */
static bool same_items(const struct heur *hs, const uint64_t *was)
{
    const struct milp *m = hs->m;
    const struct place_problem *p = m->p;
    size_t H = p->cluster->n_hosts;
    if (!m->kth || hs->want)
        return false;
    for (size_t v = 0; v < p->n_services; v++) {
        if (hs->budget[v] == was[v])
            continue;
        const struct sched_menu *last = NULL;
        for (size_t h = 0; h < H; h++) {
            const struct sched_menu *menu = p->services[v].menu[h];
            if (!m->yn[v * H + h] || menu == last)
                continue;
            last = menu;
            size_t b = menu_best(hs, v, menu, was[v]);
            if (b != PLACE_NONE && menu->v[b].deadline_ns > hs->budget[v])
                return false;
        }
    }
    return true;
}

/* One attempt with deadline allowances scaled by s (ready: what
 * set_budgets() gave for s already, -1 when not called yet). */
static bool attempt(struct heur *hs, struct place_plan *plan, double s,
                    int ready)
{
    const struct place_problem *p = hs->m->p;
    size_t V = p->n_services, E = p->n_endpoints, N = E + V;
    if (ready < 0 ? !set_budgets(hs, s) : !ready)
        return false;
    reset_hosts(hs);
    for (size_t v = 0; v < V; v++)
        plan->services[v].host = PLACE_NONE;
    if (hs->mbs)
        return place_mbs(hs, plan, hs->weight);
    for (size_t k = 0; k < N; k++)
        if ((k % 64 == 0 && place__expired(p)) ||
            (hs->order[k] >= E && !place_one(hs, plan, hs->order[k] - E)))
            return false;
    return true;
}

/* The whole workflow on one host with the DP's items (hs->want): on a busy
 * cluster the first fit in topological order spreads a fork/join over
 * several hosts, whose crossings then break a deadline the DP's items
 * meet only without network, while one host with room for all of them,
 * packed exactly core by core, needs none (a fork/join of 6 on 128 hosts
 * with a random background: 3.15 where 3.0, the DP bound, fits on 4 of
 * them).  Hosts are tried from the most free CPU down, among those with
 * room for the items' total utilisation and memory; a host that packs
 * them but whose plan fails verification (an endpoint too far) lets the
 * next be tried, a few times.  true with every service on the host. */
#define COLOCATE_VERIFY_MAX 8
static bool colocate(struct heur *hs, struct place_plan *plan)
{
    const struct milp *m = hs->m;
    const struct place_problem *p = m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts;
    if (V < 2 || !hs->want || m->single_location)
        return false;
    for (size_t g = 0; g < p->n_anti_affinity; g++)
        if (p->anti_affinity[g][0] != PLACE_NONE &&
            p->anti_affinity[g][1] != PLACE_NONE)
            return false; /* two that may not share a host */
    double need = 0;
    uint64_t mem = 0;
    for (size_t v = 0; v < V; v++) {
        need += p->services[v].vcpus * hs->want[v].utilization;
        mem += p->services[v].mem_bytes;
    }
    struct place_keyed *c = malloc((H + 1) * sizeof *c);
    if (!c)
        return false;
    size_t n = 0;
    for (size_t h = 0; h < H; h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        double f = place__milp_host_free(ho);
        if (f + 1e-9 < need || (ho->mem_bytes != PLACE_UNLIMITED &&
                                ho->mem_used_bytes + mem > ho->mem_bytes))
            continue;
        c[n++] = (struct place_keyed){f, h};
    }
    qsort(c, n, sizeof *c, place__keyed_desc);
    bool ok = false;
    int verified = 0;
    for (size_t i = 0; i < n && !ok && verified < COLOCATE_VERIFY_MAX; i++) {
        size_t h = c[i].h;
        bool all = true;
        for (size_t v = 0; v < V && all; v++) {
            size_t it = place__milp_candidate(m, v, h) ? pick_item(hs, v, h)
                                                       : PLACE_NONE;
            all = it != PLACE_NONE;
            if (all) {
                plan->services[v].host = h;
                plan->services[v].item = p->services[v].menu[h]->v[it];
                plan->heur_item[v] = it;
            }
        }
        if (!all || place__pack_host(p, plan, h) != 1)
            continue;
        plan->latency_bound_ns = 0;
        for (size_t e = 0; e < p->n_vlinks; e++)
            plan->vlinks[e].route = 0;
        ok = place__complete_plan(m, plan, NULL) == 0;
        if (!ok) {
            place__free_paths(plan, p->n_vlinks);
            verified++;
        }
    }
    free(c);
    return ok;
}

/* A spread plan's hosts, items and vlink delays, kept while the one-host
 * try reuses the plan. */
struct spread {
    struct place_service_plan *services;
    uint64_t *latency;
    size_t *item;
};

static bool keep_spread(const struct place_problem *p,
                        const struct place_plan *plan, struct spread *s)
{
    size_t V = p->n_services, L = p->n_vlinks;
    if (!s->services) {
        s->services = malloc((V + 1) * sizeof *s->services);
        s->latency = malloc((L + 1) * sizeof *s->latency);
        s->item = malloc((V + 1) * sizeof *s->item);
    }
    if (!s->services || !s->latency || !s->item)
        return false;
    memcpy(s->services, plan->services, V * sizeof *s->services);
    memcpy(s->item, plan->heur_item, V * sizeof *s->item);
    for (size_t i = 0; i < L; i++)
        s->latency[i] = plan->vlinks[i].latency_ns;
    return true;
}

static void restore_spread(const struct place_problem *p,
                           struct place_plan *plan, const struct spread *s)
{
    memcpy(plan->services, s->services, p->n_services * sizeof *plan->services);
    memcpy(plan->heur_item, s->item, p->n_services * sizeof *s->item);
    for (size_t i = 0; i < p->n_vlinks; i++)
        plan->vlinks[i].latency_ns = s->latency[i];
}

int place__refit_items(const struct milp *m, struct place_plan *plan,
                       double than)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts, L = p->n_vlinks;
    if (p->deadline_ns == PLACE_UNLIMITED || V == 0)
        return 0;
    for (size_t v = 0; v < V; v++)
        if (p->services[v].vcpus != 1 || plan->services[v].host >= H)
            return 0;
    /* the plan's hosts, each a run of max_c cores */
    size_t *slot = malloc((V + 1) * sizeof *slot), ns = 0;
    size_t *used = malloc((V + 1) * sizeof *used);
    int max_c = 1;
    int rc = slot && used ? 0 : PLC_ENOMEM;
    for (size_t v = 0; rc == 0 && v < V; v++) {
        size_t h = plan->services[v].host, k = 0;
        while (k < ns && used[k] != h)
            k++;
        if (k == ns)
            used[ns++] = h;
        slot[v] = k;
        if (p->cluster->hosts[h].cores > max_c)
            max_c = p->cluster->hosts[h].cores;
    }
    size_t n = 0;
    for (size_t v = 0; rc == 0 && v < V; v++)
        n += m->yn[v * H + plan->services[v].host] * (size_t)max_c;
    double *core_free =
        rc == 0 ? malloc((ns * (size_t)max_c + 1) * sizeof *core_free) : NULL;
    struct place_tcol *col = rc == 0 ? malloc((n + 1) * sizeof *col) : NULL;
    uint64_t *fixed = rc == 0 ? calloc(L + 1, sizeof *fixed) : NULL;
    size_t *pick = rc == 0 ? malloc((V + 1) * sizeof *pick) : NULL;
    if (rc == 0 && (!core_free || !col || !fixed || !pick))
        rc = PLC_ENOMEM;
    for (size_t k = 0; rc == 0 && k < ns; k++) {
        const struct place_host *o = &p->cluster->hosts[used[k]];
        for (int c = 0; c < max_c; c++)
            core_free[k * (size_t)max_c + (size_t)c] =
                c < o->cores ? place__milp_core_free(o, c) : -1;
    }
    n = 0;
    for (size_t v = 0; rc == 0 && v < V; v++) {
        size_t h = plan->services[v].host, k = v * H + h;
        for (size_t j = m->ys[k]; j < m->ys[k] + m->yn[k]; j++) {
            const struct sched_menu_item *it =
                &p->services[v].menu[h]->v[m->y[j].m];
            for (int c = 0; c < max_c; c++) {
                size_t g = slot[v] * (size_t)max_c + (size_t)c;
                if (it->utilization <= core_free[g] + 1e-9)
                    col[n++] =
                        (struct place_tcol){v,
                                            it->utilization,
                                            it->deadline_ns,
                                            place__prob_weight(p, it->phi),
                                            (int)g,
                                            m->y[j].m};
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < L; i++)
        fixed[i] =
            plan->vlinks[i].latency_ns *
            (uint64_t)(p->vlinks[i].crossings > 0 ? p->vlinks[i].crossings : 0);
    double W = place__prob_budget(p);
    double opt = INFINITY;
    /* (a safety net: the node limit ends it, crossing.c) */
    double tl = fmin(0.25, (place__deadline(p) - plc_now_s()) / 10);
    int r = rc == 0 ? place__timing_milp(p, col, n, core_free,
                                         (int)(ns * (size_t)max_c), NULL, fixed,
                                         p->deadline_ns, W, tl, &opt, pick)
                    : rc;
    size_t *host =
        r == 0 && opt < than - 1e-12 ? malloc((V + 1) * sizeof *host) : NULL;
    size_t *item = host ? malloc((V + 1) * sizeof *item) : NULL;
    if (r < 0 || (host && !item))
        rc = r < 0 ? r : PLC_ENOMEM;
    else if (host) {
        for (size_t v = 0; v < V; v++) {
            host[v] = plan->services[v].host;
            item[v] = col[pick[v]].ref;
        }
        rc = place__try_plan(m, plan, host, item, than);
    }
    free(host);
    free(item);
    free(slot);
    free(used);
    free(core_free);
    free(col);
    free(fixed);
    free(pick);
    return rc;
}

/* Nodes ranked by a key, largest first, then by position. */
struct ranked {
    double key;
    size_t node, at;
};

static int ranked_cmp(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

static size_t hosts_used(const struct place_problem *p,
                         const struct place_plan *plan)
{
    size_t n = 0, H = p->cluster->n_hosts;
    bool *seen = calloc(H + 1, sizeof *seen);
    if (!seen)
        return SIZE_MAX; /* (no better than any) */
    for (size_t v = 0; v < p->n_services; v++) {
        size_t h = plan->services[v].host;
        if (h < H && !seen[h]) {
            seen[h] = true;
            n++;
        }
    }
    free(seen);
    return n;
}

/* Fewest hosts any packing needs: total memory (and least CPU) over the
 * largest free host; 0 when some host is in use already (the hosts
 * objective then counts only new ones) or has unlimited memory. */
static size_t packing_lb(const struct place_problem *p)
{
    const struct place_cluster *c = p->cluster;
    double mem = 0, cpu = 0, room = 0, cores = 0;
    for (size_t h = 0; h < c->n_hosts; h++) {
        const struct place_host *ho = &c->hosts[h];
        double free_cpu = 0;
        bool in_use = ho->mem_used_bytes > 0;
        for (int k = 0; k < ho->cores; k++) {
            free_cpu += place__milp_core_free(ho, k);
            in_use |= ho->used && ho->used[k] > 0;
        }
        if (in_use || ho->mem_bytes == PLACE_UNLIMITED)
            return 0;
        room = fmax(room, (double)ho->mem_bytes);
        cores = fmax(cores, free_cpu);
    }
    for (size_t v = 0; v < p->n_services; v++) {
        const struct place_service *s = &p->services[v];
        double u = INFINITY;
        for (size_t h = 0; h < c->n_hosts; h++)
            for (size_t i = 0; s->menu[h] && i < s->menu[h]->n; i++)
                u = fmin(u, s->menu[h]->v[i].utilization);
        mem += (double)s->mem_bytes;
        cpu += isfinite(u) ? u * s->vcpus : 0;
    }
    double lb = fmax(room > 0 ? ceil(mem / room - 1e-9) : 0,
                     cores > 0 ? ceil(cpu / cores - 1e-9) : 0);
    return (size_t)fmax(1, lb);
}

/* The packing of exactly lb hosts by bin completion (fill.c), when the
 * hosts that could take it are alike in memory and no rule or pin tells
 * the services apart; placed on cores by try_host, which checks what the
 * search only sums.  true with the plan in *plan. */
static bool exact_packing(struct heur *hs, struct place_plan *plan, size_t lb,
                          double end)
{
    const struct place_problem *p = hs->m->p;
    size_t V = p->n_services, H = p->cluster->n_hosts, nb = 0;
    if (lb == 0 || p->n_anti_affinity || p->n_affinity)
        return false;
    uint64_t room = 0;
    for (size_t h = 0; h < H; h++)
        if (p->cluster->hosts[h].mem_bytes > room)
            room = p->cluster->hosts[h].mem_bytes;
    size_t *bins = malloc((lb + 1) * sizeof *bins);
    uint64_t *size = malloc((V + 1) * sizeof *size);
    double *cpu = malloc((V + 1) * sizeof *cpu);
    size_t *bin_of = malloc((V + 1) * sizeof *bin_of);
    double cpu_cap = INFINITY;
    bool any_cpu = false, ok = bins && size && cpu && bin_of;
    for (size_t h = 0; ok && h < H && nb < lb; h++) {
        const struct place_host *ho = &p->cluster->hosts[h];
        if (ho->mem_bytes != room)
            continue;
        cpu_cap = fmin(cpu_cap, place__milp_host_free(ho));
        bins[nb++] = h;
    }
    ok = ok && nb == lb && room != PLACE_UNLIMITED;
    for (size_t v = 0; ok && v < V; v++) {
        const struct place_service *s = &p->services[v];
        double u = INFINITY;
        for (size_t b = 0; ok && b < nb; b++) {
            const struct sched_menu *mu = s->menu[bins[b]];
            ok = place__milp_candidate(hs->m, v, bins[b]) && mu && mu->n;
            for (size_t i = 0; ok && i < mu->n; i++)
                u = fmin(u, mu->v[i].utilization);
        }
        size[v] = s->mem_bytes;
        cpu[v] = ok ? u * s->vcpus : 0;
        any_cpu |= cpu[v] > 0;
    }
    struct place_fill_in in = {.n = V,
                               .bins = lb,
                               .size = size,
                               .capacity = room,
                               .cpu = any_cpu ? cpu : NULL,
                               .cpu_capacity = cpu_cap,
                               .end_s = end};
    ok = ok && place__fill(&in, bin_of) == PLACE_FILL_FOUND;
    if (ok) {
        reset_hosts(hs);
        for (size_t v = 0; v < V; v++)
            plan->services[v].host = PLACE_NONE;
        for (size_t k = 0; ok && k < p->n_endpoints + V; k++)
            if (hs->order[k] >= p->n_endpoints) {
                size_t v = hs->order[k] - p->n_endpoints;
                ok = try_host(hs, plan, v, bins[bin_of[v]]);
            }
    }
    free(bins);
    free(size);
    free(cpu);
    free(bin_of);
    return ok;
}

/* A packing placed by MBS is in *plan: try first fit decreasing, then (for
 * the hosts objective) perturbed MBS runs for up to a tenth of the time
 * limit (1 s at most) or until the plan meets packing_lb, then the exact
 * search for a packing of packing_lb hosts for up to half the limit; keep
 * the plan with the fewest hosts.  0 or PLC_ENOMEM. */
static int improve_packing(struct heur *hs, struct place_plan *plan)
{
    const struct place_problem *p = hs->m->p;
    size_t V = p->n_services;
    struct place_service_plan *best = malloc((V + 1) * sizeof *best);
    size_t *best_item = malloc((V + 1) * sizeof *best_item);
    double *weight = malloc((V + 1) * sizeof *weight);
    if (!best || !best_item || !weight) {
        free(best);
        free(best_item);
        free(weight);
        return PLC_ENOMEM;
    }
    memcpy(best, plan->services, V * sizeof *best);
    memcpy(best_item, plan->heur_item, V * sizeof *best_item);
    size_t nb = hosts_used(p, plan);
    size_t lb = p->objective == PLACE_OBJ_HOSTS ? packing_lb(p) : nb;
    double start = plc_now_s();
    double end = start + fmin(0.25, p->time_limit_s / 20);
    /* greedy rules and their perturbations end a bin above a bound that
     * leaves little slack (Falkenauer's triplets: none), where the MILP's
     * bound cannot close the gap either: the exact search gets longer */
    double exact_end = start + p->time_limit_s / 2;
    double deadline = place__deadline(p);
    if (deadline > 0 && end > deadline)
        end = deadline;
    if (deadline > 0 && exact_end > deadline)
        exact_end = deadline;
    uint64_t rng = 0x9e3779b97f4a7c15ULL; /* fixed: plans are reproducible */
    bool exact_tried = false;
    for (int run = 0; nb > lb || run == 0; run++) {
        bool ok;
        if (run == 0) {
            hs->mbs = false; /* first fit decreasing */
        } else if (p->objective != PLACE_OBJ_HOSTS) {
            break;
        } else if (plc_now_s() > end) {
            if (exact_tried)
                break;
            exact_tried = true;
            ok = exact_packing(hs, plan, lb, exact_end);
            if (ok && hosts_used(p, plan) < nb) {
                nb = hosts_used(p, plan);
                memcpy(best, plan->services, V * sizeof *best);
                memcpy(best_item, plan->heur_item, V * sizeof *best_item);
            }
            break;
        } else {
            hs->mbs = true;
            /* weights: memory x (1 +- 10 %), xorshift64 */
            for (size_t v = 0; v < V; v++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                double r = (double)(rng >> 11) / 9007199254740992.0;
                weight[v] = (double)p->services[v].mem_bytes * (0.9 + 0.2 * r);
            }
            hs->weight = weight;
        }
        ok = attempt(hs, plan, 1.0, -1);
        hs->weight = NULL;
        if (ok && hosts_used(p, plan) < nb) {
            nb = hosts_used(p, plan);
            memcpy(best, plan->services, V * sizeof *best);
            memcpy(best_item, plan->heur_item, V * sizeof *best_item);
        }
    }
    memcpy(plan->services, best, V * sizeof *best);
    memcpy(plan->heur_item, best_item, V * sizeof *best_item);
    hs->mbs = true;
    free(best);
    free(best_item);
    free(weight);
    return 0;
}

/* Are plan's hosts and items those of tried[] (hosts, then items)? */
static bool same_try(const struct place_problem *p,
                     const struct place_plan *plan, const size_t *tried)
{
    size_t V = p->n_services;
    for (size_t v = 0; v < V; v++)
        if (plan->services[v].host != tried[v] ||
            plan->heur_item[v] != tried[V + v])
            return false;
    return true;
}

/* The heuristic (fit 0) or a greedy policy (PLACE_FIT_*: its host order,
 * equal shares of a shrinking deadline only; *why gets what stopped the
 * last try when none is found). */
static int heur_run(const struct milp *m, struct place_plan *plan, int fit,
                    enum place_reject *why)
{
    const struct place_problem *p = m->p;
    size_t V = p->n_services, N = p->n_endpoints + V, H = p->cluster->n_hosts;
    struct heur hs = {.m = m, .share = 1.0, .max_cores = 1, .fit = fit};
    for (size_t h = 0; h < H; h++)
        if (p->cluster->hosts[h].cores > hs.max_cores)
            hs.max_cores = p->cluster->hosts[h].cores;
    if (p->deadline_ns != PLACE_UNLIMITED && p->probability < 1)
        hs.share = p->prob_model == PLACE_PROB_INDEPENDENT
                       ? pow(p->probability, 1.0 / (double)(V ? V : 1))
                       : 1.0 - (1.0 - p->probability) / (double)(V ? V : 1);
    hs.budget = malloc((V + 1) * sizeof *hs.budget);
    hs.least = calloc(V + 1, sizeof *hs.least);
    hs.path = calloc(V + 1, sizeof *hs.path);
    hs.paths_ok = -1;
    hs.memo = calloc(V + 1, sizeof *hs.memo);
    hs.load = calloc(H * (size_t)hs.max_cores + 1, sizeof *hs.load);
    hs.mem = calloc(H + 1, sizeof *hs.mem);
    if (fit == PLACE_FIT_BEST || fit == PLACE_FIT_WORST) {
        hs.base_free = malloc((H + 1) * sizeof *hs.base_free);
        hs.keyed = malloc((H + 1) * sizeof *hs.keyed);
        hs.tkeyed = malloc((H + 1) * sizeof *hs.tkeyed);
        for (size_t h = 0; hs.base_free && hs.keyed && h < H; h++) {
            const struct place_host *ho = &p->cluster->hosts[h];
            hs.base_free[h] = 0;
            for (int c = 0; c < ho->cores; c++)
                hs.base_free[h] += fmax(0, place__milp_core_free(ho, c));
            double f = hs.base_free[h];
            hs.keyed[h] =
                (struct place_keyed){fit == PLACE_FIT_WORST ? f : -f, h};
        }
        if (hs.keyed)
            qsort(hs.keyed, H, sizeof *hs.keyed, place__keyed_desc);
    }
    hs.touched = malloc((H + 1) * sizeof *hs.touched);
    hs.is_touched = calloc(H + 1, sizeof *hs.is_touched);
    for (size_t h = 0; hs.mem && h < H; h++)
        hs.mem[h] = p->cluster->hosts[h].mem_used_bytes;
    hs.pos = malloc((N + 1) * sizeof *hs.pos);
    size_t nn = p->cluster->n_nodes + 1;
    hs.target = malloc((N + 1) * sizeof *hs.target);
    hs.score = malloc((H + 1) * sizeof *hs.score);
    hs.rank = malloc((H + 1) * sizeof *hs.rank);
    hs.hops = malloc(nn * sizeof *hs.hops);
    hs.queue = malloc(nn * sizeof *hs.queue);
    hs.order = hs.pos ? place__topo_order(p, hs.pos) : NULL;
    /* a downstream endpoint of every node: each node after all it feeds,
     * its first link with one */
    size_t *out_start = NULL, *out = NULL;
    bool adj = hs.order && place__dag_adj(p, false, &out_start, &out) == 0;
    for (size_t x = 0; hs.target && x < N; x++)
        hs.target[x] = PLACE_NONE;
    for (size_t k = N; hs.target && adj && k-- > 0;) {
        size_t a = hs.order[k];
        for (size_t j = out_start[a];
             j < out_start[a + 1] && hs.target[a] == PLACE_NONE; j++) {
            size_t b = p->vlinks[out[j]].to;
            hs.target[a] =
                b < p->n_endpoints ? p->endpoint_node[b] : hs.target[b];
        }
    }
    free(out_start);
    free(out);
    if (hs.order && p->n_vlinks == 0) {
        /* no links: a packing, placed largest first (first-fit
         * decreasing, by memory share then reserved utilisation) */
        uint64_t maxmem = 1;
        for (size_t h = 0; h < H; h++)
            if (p->cluster->hosts[h].mem_bytes != PLACE_UNLIMITED &&
                p->cluster->hosts[h].mem_bytes > maxmem)
                maxmem = p->cluster->hosts[h].mem_bytes;
        /* largest first, ties in their order (a stable sort) */
        struct ranked *r = malloc((N + 1) * sizeof *r);
        for (size_t i = 0; r && i < N; i++) {
            size_t a = hs.order[i];
            r[i] = (struct ranked){
                a < p->n_endpoints
                    ? 1e9
                    : (double)p->services[a - p->n_endpoints].mem_bytes /
                          (double)maxmem,
                a, i};
        }
        if (r) {
            qsort(r, N, sizeof *r, ranked_cmp);
            for (size_t i = 0; i < N; i++)
                hs.order[i] = r[i].node;
        }
        free(r);
    }
    free(plan->heur_item);
    plan->heur_item = calloc(V + 1, sizeof *plan->heur_item);
    int found = 0;
    if (!hs.budget || !hs.least || !hs.path || !hs.memo || !hs.load ||
        !hs.mem || !hs.touched || !hs.is_touched || !hs.order ||
        !plan->heur_item || !hs.target || !hs.score || !hs.rank || !hs.hops ||
        !hs.queue ||
        ((fit == PLACE_FIT_BEST || fit == PLACE_FIT_WORST) &&
         (!hs.base_free || !hs.keyed || !hs.tkeyed)))
        found = PLC_ENOMEM;
    /* first the DP's items (placed next to each other where possible),
     * with the deadline they may use lowered by what the network added
     * when a try missed it; then equal shares of a shrinking deadline */
    static const double scales[] = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
    struct sched_menu_item *want = malloc((V + 1) * sizeof *want);
    struct spread spread = {0};
    uint64_t slack = 0;
    /* (a greedy policy: the hosts, then items, of the last try verified,
     * and why it failed) */
    size_t *tried = NULL;
    enum place_reject tried_why = PLACE_REJECT_NONE,
                      last_why = PLACE_REJECT_CPU;
    uint64_t *was = fit ? malloc((V + 1) * sizeof *was) : NULL;
    for (int k = fit           ? 0
                 : p->n_vlinks ? -4
                               : -5;
         found == 0 && k < (int)(sizeof scales / sizeof *scales) &&
         !place__expired(p);
         k++) {
        double lb;
        hs.want = NULL;
        hs.mbs = k == -5; /* a packing: minimum bin slack first */
        if (k < 0 && k > -5) {
            /* (with no slack, the bound's own items: computed once) */
            if (!m->has_dp || !want)
                continue;
            if (slack == 0 && m->dp_choice)
                memcpy(want, m->dp_choice, V * sizeof *want);
            else if (place__dp_bound(m, slack, &lb, want, NULL, NULL) != 0)
                continue;
            hs.want = want;
        }
        int ready = -1;
        if (fit && k > 0 && was) {
            /* (the items of the last try: its verdict) */
            memcpy(was, hs.budget, V * sizeof *was);
            ready = set_budgets(&hs, scales[k]);
            if (ready && same_items(&hs, was)) {
                if (why)
                    *why = last_why;
                continue;
            }
        }
        if (!attempt(&hs, plan, k < 0 ? 1.0 : scales[k], ready)) {
            last_why = hs.stuck ? hs.stuck : PLACE_REJECT_CPU;
            if (why)
                *why = last_why;
            /* (the DP's items on one host, when spread they fit nowhere) */
            if (hs.want && colocate(&hs, plan))
                found = 1;
            continue;
        }
        if (hs.mbs && improve_packing(&hs, plan) < 0)
            found = PLC_ENOMEM;
        if (fit && tried && same_try(p, plan, tried)) {
            /* the hosts and items of the last try, at a smaller share of
             * the deadline: its verdict stands (a greedy policy's
             * rejection otherwise verified the same plan up to 7 times) */
            if (why)
                *why = tried_why;
            continue;
        }
        bool packed = place__pack_all(p, plan) == 1;
        plan->latency_bound_ns = 0;
        enum place_reject broke = PLACE_REJECT_NONE;
        if (packed &&
            place__complete_plan_why(m, plan, NULL, fit ? &broke : NULL) == 0) {
            found = 1;
            /* above the bound: the least items for these hosts */
            double obj = place__plan_objective(m, plan);
            if (m->has_dp && !place__meets(obj, m->dp_lb) &&
                place__refit_items(m, plan, obj) < 0)
                found = PLC_ENOMEM;
        } else {
            uint64_t late = plan->latency_bound_ns;
            place__free_paths(plan, p->n_vlinks);
            enum place_reject w = !packed ? PLACE_REJECT_CPU
                                  : broke != PLACE_REJECT_NONE
                                      ? broke
                                      : PLACE_REJECT_DEADLINE;
            if (why)
                *why = w;
            last_why = w;
            if (fit) {
                if (!tried)
                    tried = malloc((2 * V + 1) * sizeof *tried);
                for (size_t v = 0; tried && v < V; v++) {
                    tried[v] = plan->services[v].host;
                    tried[V + v] = plan->heur_item[v];
                }
                tried_why = w;
                continue;
            }
            /* spread, the DP's items missed: all on one host, no network;
             * else the least items for these hosts and their crossings */
            bool refit = packed && late > p->deadline_ns &&
                         p->deadline_ns != PLACE_UNLIMITED &&
                         keep_spread(p, plan, &spread);
            if (hs.want && colocate(&hs, plan)) {
                found = 1;
                continue;
            }
            if (refit) {
                restore_spread(p, plan, &spread);
                found = place__refit_items(m, plan, INFINITY);
                if (found != 0)
                    continue;
            }
            if (k < 0 && late > p->deadline_ns &&
                p->deadline_ns != PLACE_UNLIMITED)
                slack += late - p->deadline_ns;
        }
    }
    free(want);
    free(tried);
    free(was);
    free(spread.services);
    free(spread.latency);
    free(spread.item);
    free(hs.budget);
    free(hs.least);
    free(hs.path);
    free(hs.memo);
    free(hs.load);
    free(hs.mem);
    free(hs.base_free);
    free(hs.keyed);
    free(hs.tkeyed);
    free(hs.touched);
    free(hs.is_touched);
    free(hs.pos);
    free(hs.order);
    free(hs.target);
    free(hs.score);
    free(hs.rank);
    free(hs.hops);
    free(hs.queue);
    return found;
}

int place__heur_plan(const struct milp *m, struct place_plan *plan)
{
    return heur_run(m, plan, 0, NULL);
}

int place__fit_plan(const struct milp *m, int fit, struct place_plan *plan,
                    enum place_reject *why)
{
    return heur_run(m, plan, fit, why);
}
