/*
 * bench_plan: plan time, status and gap of placer against a first-fit
 * baseline on the same instances.
 *
 * Instances: a chain source -> s1 -> ... -> sN -> sink of N = 3 or 10
 * services with 3-point execution-time pmfs, periods 5 or 10 ms, a
 * deadline and probability 0.99 (independent stages), on fat-trees k = 4,
 * 8, 16 (16, 128, 1,024 hosts of 4 cores at 0.9) with a random background
 * load of 0-90 % on every core.  Endpoints sit on two random hosts.
 * First fit: each stage takes its least-utilisation item with
 * phi >= 0.99^(1/N) and d <= (D - network) / N, on the first host (in
 * file order) with a core that fits; the plan counts when its latency
 * bound meets D.  Prints medians over the instances.
 *
 * Then the 10-service chains again on busy clusters (background 63-90 %
 * per core), where the greedy plan often misses the DP bound.
 *
 * Usage: bench_plan [RUNS [K N [DIR]]]: RUNS instances of each size, or
 * only fat-tree K with N-service chains, writing the instances to DIR.
 *
 * bench_plan table [RUNS [MAX_K [LIMIT_S [SEED [MIN_K]]]]]: the shapes a user's
 * instances take (issue 14), RUNS seeded instances per cell, each planned
 * with the time limit LIMIT_S (default 2 s, placer's own) and timed from
 * the documents to the answer:
 *   clusters   fat-trees k = MIN_K (default 4), 2 MIN_K, ... up to MAX_K
 *              (default 16): 4
 *              cores per host at capacity 1.0 (the file default), 64 GiB,
 *              10 Gbit/5 us links;
 *   background per core: idle (0), random (0, 0.1, ..., 0.9 uniformly),
 *              heavy (0.6-0.9 uniformly), busy (0.3, 0.4, ..., 0.8
 *              uniformly: most hosts too full for a fork/join, few
 *              cores too full for a service);
 *   workflows  chains of 3, 10 and 20 services with pmfs {b: 0.7, 2b:
 *              0.25, 3b: 0.05}, b = 3 ms for all ("identical") or drawn
 *              from 1-4 ms ("distinct"), 1 GiB each, 100 Mbit links,
 *              deadline 15 ms per stage at p 0.95; a fork/join DAG 1 -> 4
 *              -> 1 of the same services (45 ms); examples/vepc-attach.
 * A cell prints how many were proven optimal, proven infeasible, feasible
 * (with the median gap), timed out; the median and largest time; and how
 * far the largest time went past the limit.  With BENCH_DUMP=DIR in the
 * environment the instances are written there as c-*.json / w-*.json.
 *
 * bench_plan mesh [RUNS [LIMIT_S [SEED]]]: OSM PLA's kind of instance
 * (mesh_cluster, mesh_workflow below): full meshes of 10, 20, 40 and 80
 * sites, chains of 3-5 and 6-10 functions, objective cost; the same
 * columns.
 *
 * bench_plan admit [RUNS [SEED]]: what one placerd admission costs in
 * planning alone (the problem from the cluster's index with the cluster
 * converted once, the solve, the plan document: model_plan), by cluster size
 * and shape: fat-trees k = 8, 16, 32 with 4 or 32 cores per host, idle or a
 * random background (0-90 % per core), 1- and 5-service chains of
 * bench_service's kind (100 us every 10 ms per service, 1 Mbit links, deadline
 * 100 ms) from a user on a random host.  RUNS plans per row (default 400);
 * median and p90 in us.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "bench_util.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"

static int load_lo;          /* background load per core: lo-90 % (percent) */
static const char *dump_dir; /* write the instances there */

/* The table's own generator: splitmix64, so a seed gives the same
 * instances on every libc. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* (busy last: each cell's random stream is keyed by its index) */
enum background { BG_IDLE, BG_RANDOM, BG_HEAVY, BG_BUSY };
static const char *const bg_name[] = {"idle", "random", "heavy", "busy"};

/* A k-ary fat-tree as a cluster document, every core's background drawn
 * from load() (none when NULL). */
static char *fat_tree_json(int k, const struct proto_topo_opts *o,
                           double (*load)(void))
{
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree(k, o, &c, &err) < 0) {
        fprintf(stderr, "bench_plan: %s\n", err.msg);
        exit(1);
    }
    json_t *j = proto_message_to_json(&c->base, 0);
    json_t *hosts = json_object_get(j, "hosts");
    for (size_t h = 0; load && h < json_array_size(hosts); h++) {
        json_t *used = json_array();
        for (int i = 0; i < o->cores; i++)
            json_array_append_new(used, json_real(load()));
        json_object_set_new(json_array_get(hosts, h), "used", used);
    }
    char *s = json_dumps(j, 0);
    json_decref(j);
    placer__cluster__free_unpacked(c, NULL);
    return s;
}

static double random_load(void) /* 0, 0.1, ..., 0.9 */
{
    return (double)(rng_next() % 10) / 10;
}

static double heavy_load(void) /* 0.6-0.9 */
{
    return 0.6 + 0.3 * rng_unit();
}

static double busy_load(void) /* 0.3, 0.4, ..., 0.8 */
{
    return (double)(3 + rng_next() % 6) / 10;
}

static char *table_cluster(int k, enum background bg)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 4;
    o.memory_bytes = 64ULL << 30;
    o.rate_bps = 10000000000ULL;
    o.latency_ns = 5000;
    return fat_tree_json(k, &o,
                         bg == BG_IDLE     ? NULL
                         : bg == BG_RANDOM ? random_load
                         : bg == BG_BUSY   ? busy_load
                                           : heavy_load);
}

enum shape { SH_CHAIN, SH_DAG, SH_VEPC };

static json_t *table_service(int i, bool distinct)
{
    char name[32], t[32];
    snprintf(name, sizeof name, "s%d", i);
    int b = distinct ? 1000 + (int)(rng_next() % 3001) : 3000; /* us */
    json_t *pmf = json_object();
    snprintf(t, sizeof t, "%dus", b);
    json_object_set_new(pmf, t, json_real(0.7));
    snprintf(t, sizeof t, "%dus", 2 * b);
    json_object_set_new(pmf, t, json_real(0.25));
    snprintf(t, sizeof t, "%dus", 3 * b);
    json_object_set_new(pmf, t, json_real(0.05));
    return json_pack("{s:s, s:s, s:{s:o}}", "name", name, "memory", "1GiB",
                     "exec_time", "pmf", pmf);
}

static json_t *table_link(int a, int b)
{
    char x[32], y[32];
    snprintf(x, sizeof x, "s%d", a);
    snprintf(y, sizeof y, "s%d", b);
    return json_pack("{s:s, s:s, s:s}", "from", x, "to", y, "rate", "100Mbit");
}

static char *vepc_text; /* examples/vepc-attach.json */

static char *table_workflow(enum shape sh, int n, bool distinct)
{
    if (sh == SH_VEPC)
        return strdup(vepc_text);
    json_t *svc = json_array(), *links = json_array();
    int stages = n;
    if (sh == SH_CHAIN) {
        for (int i = 0; i < n; i++) {
            json_array_append_new(svc, table_service(i, distinct));
            if (i)
                json_array_append_new(links, table_link(i - 1, i));
        }
    } else { /* 1 -> 4 -> 1 */
        for (int i = 0; i < 6; i++)
            json_array_append_new(svc, table_service(i, distinct));
        for (int i = 1; i <= 4; i++) {
            json_array_append_new(links, table_link(0, i));
            json_array_append_new(links, table_link(i, 5));
        }
        stages = 3;
    }
    char dl[32];
    snprintf(dl, sizeof dl, "%dms", 15 * stages);
    json_t *w =
        json_pack("{s:s, s:s, s:f, s:o, s:o}", "name", "w", "deadline", dl,
                  "probability", 0.95, "services", svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

struct cell {
    int optimal, infeasible, feasible, timeout, errors;
    double t[64], gap[64], over; /* over: most past the limit, in s */
    int nt, ng;
    char reason[24];
};

static void plan_texts(char *cj, char *wj, double limit, struct cell *c);

static void table_run(int k, enum shape sh, int n, bool distinct,
                      enum background bg, double limit, struct cell *c)
{
    char *cj = table_cluster(k, bg), *wj = table_workflow(sh, n, distinct);
    if (dump_dir) {
        /* the instance as files, for placer plan, glpsol or cbc */
        char path[512];
        for (int f = 0; f < 2; f++) {
            snprintf(path, sizeof path, "%s/%c-k%d-%s-%d%s-%s-%d.json",
                     dump_dir, f ? 'w' : 'c', k,
                     sh == SH_CHAIN ? "chain"
                     : sh == SH_DAG ? "dag"
                                    : "vepc",
                     n, distinct ? "d" : "i", bg_name[bg], c->nt);
            FILE *o = fopen(path, "w");
            if (o) {
                fputs(f ? wj : cj, o);
                fclose(o);
            }
        }
    }
    plan_texts(cj, wj, limit, c);
}

/* Plan the workflow text wj on the cluster text cj (both freed), timed
 * from the documents to the answer, into cell c. */
static void plan_texts(char *cj, char *wj, double limit, struct cell *c)
{
    double t0 = bench_now_us();
    struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    struct model_problem mp;
    struct place_plan plan;
    memset(&plan, 0, sizeof plan);
    int rc =
        proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER, &err);
    if (rc == 0)
        rc = proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW,
                                 &err);
    if (rc == 0)
        rc = proto_doc_check_refs(&wd, (const void *)cd.msg);
    bool built = false;
    if (rc == 0) {
        rc = model_problem_build(&mp, (const void *)cd.msg,
                                 (const void *)wd.msg, 0, limit, &err);
        built = true; /* released in every case */
    }
    if (rc == 0)
        rc = place_solve(&mp.problem, &plan, &err);
    double s = (bench_now_us() - t0) / 1e6;
    if (rc < 0) {
        c->errors++;
        fprintf(stderr, "bench_plan: %s\n", err.msg);
    } else if (plan.status == PLACE_OPTIMAL) {
        c->optimal++;
    } else if (plan.admitted) {
        c->feasible++;
        c->gap[c->ng++] = plan.gap;
    } else if (plan.status == PLACE_INFEASIBLE) {
        c->infeasible++;
        static const char *const code[] = {
            "",         "cpu",     "memory", "bandwidth",
            "deadline", "latency", "route",  "probability",
            "rules",    "timeout", "hosts"};
        snprintf(c->reason, sizeof c->reason, "%s",
                 plan.reject < sizeof code / sizeof *code ? code[plan.reject]
                                                          : "?");
    } else {
        c->timeout++;
    }
    c->t[c->nt++] = s;
    if (s - limit > c->over)
        c->over = s - limit;
    place_plan_release(&plan);
    if (built)
        model_problem_release(&mp);
    proto_doc_release(&cd);
    proto_doc_release(&wd);
    free(cj);
    free(wj);
}

static void table_cell_print(const char *cluster, const char *wf,
                             enum background bg, struct cell *c, int runs)
{
    double tmax = 0;
    for (int i = 0; i < c->nt; i++)
        tmax = fmax(tmax, c->t[i]);
    char feas[48] = "-";
    if (c->feasible)
        snprintf(feas, sizeof feas, "%d (gap %.1f %%)", c->feasible,
                 100 * bench_median(c->gap, c->ng));
    char inf[48] = "-";
    if (c->infeasible)
        snprintf(inf, sizeof inf, "%d (%s)", c->infeasible, c->reason);
    printf("| %-14s | %-22s | %-6s | %2d/%-2d | %-9s | %-16s | %7s | %9.1f | "
           "%9.1f | %+7.2f |\n",
           cluster, wf, bg_name[bg], c->optimal, runs, inf, feas,
           c->timeout ? (char[8]){(char)('0' + (c->timeout % 10)), 0} : "-",
           1000 * bench_median(c->t, c->nt), 1000 * tmax, c->over);
    fflush(stdout);
}

static int table(int runs, int min_k, int max_k, double limit, uint64_t seed,
                 const char *vepc_path)
{
    FILE *f = fopen(vepc_path, "r");
    if (!f) {
        fprintf(stderr, "bench_plan: cannot read %s\n", vepc_path);
        return 1;
    }
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    vepc_text = buf;
    printf("bench_plan table: %d instances per cell, seed %llu, time limit "
           "%.3g s (medians; 'over' is the most any took past the limit, "
           "in s)\n\n",
           runs, (unsigned long long)seed, limit);
    printf("| cluster        | workflow               | load   | opt   | "
           "infeasible | feasible         | timeout | median ms | max ms    | "
           "over    |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    static const struct {
        enum shape sh;
        int n;
        bool distinct;
        const char *name;
    } wfs[] = {
        {SH_CHAIN, 3, false, "3-chain identical"},
        {SH_CHAIN, 10, false, "10-chain identical"},
        {SH_CHAIN, 10, true, "10-chain distinct"},
        {SH_CHAIN, 20, false, "20-chain identical"},
        {SH_CHAIN, 20, true, "20-chain distinct"},
        {SH_DAG, 6, false, "fork/join identical"},
        {SH_DAG, 6, true, "fork/join distinct"},
        {SH_VEPC, 0, false, "vepc-attach"},
    };
    for (int k = min_k; k <= max_k; k *= 2) {
        char cl[32];
        snprintf(cl, sizeof cl, "k=%d (%d hosts)", k, k * k * k / 4);
        for (size_t w = 0; w < sizeof wfs / sizeof *wfs; w++)
            for (int bg = BG_IDLE; bg <= BG_BUSY; bg++) {
                struct cell c;
                memset(&c, 0, sizeof c);
                /* each cell its own stream: adding a cell changes no other */
                rng_state = seed ^ ((uint64_t)k << 40) ^ ((uint64_t)w << 32) ^
                            ((uint64_t)bg << 24);
                for (int r = 0; r < runs && r < 64; r++)
                    table_run(k, wfs[w].sh, wfs[w].n, wfs[w].distinct,
                              (enum background)bg, limit, &c);
                table_cell_print(cl, wfs[w].name, (enum background)bg, &c,
                                 runs);
            }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\nmax RSS %.0f MB\n", (double)ru.ru_maxrss / 1024);
    return 0;
}

/* The instances OSM's placement module (PLA) solves: sites (VIMs) joined
 * pairwise by point-of-interconnect links with a latency, a jitter and a
 * price; a network service of F functions in a chain, each with a price
 * per site where it is offered; each virtual link with a latency and a
 * jitter bound; the objective the total price.  Here: N sites at random
 * points of a 2,000 km square, latency 5 us/km + 100 us (so the direct
 * link is always the fastest route), jitter 10-100 us, price 1-20 per
 * link; every site 64 cores, 1 TiB; each function priced 1-50 on a random
 * 60-100 % of the sites, 4 GiB, no CPU reservation; 100 Mbit links bounded
 * by 2-12 ms and 0.2-1 ms of jitter. */
static char *mesh_cluster(int n)
{
    double *x = malloc((size_t)n * sizeof *x),
           *y = malloc((size_t)n * sizeof *y);
    json_t *hosts = json_array(), *links = json_array();
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "site%d", i);
        x[i] = 2000 * rng_unit();
        y[i] = 2000 * rng_unit();
        json_array_append_new(hosts, json_pack("{s:s, s:i, s:s}", "name", name,
                                               "cores", 64, "memory", "1TiB"));
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            char a[16], b[16], lat[32], jit[32];
            snprintf(a, sizeof a, "site%d", i);
            snprintf(b, sizeof b, "site%d", j);
            double km = hypot(x[i] - x[j], y[i] - y[j]);
            snprintf(lat, sizeof lat, "%dus", 100 + (int)(5 * km));
            snprintf(jit, sizeof jit, "%dus", 10 + (int)(rng_next() % 91));
            json_array_append_new(
                links, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "a", a, "b",
                                 b, "rate", "10Gbit", "latency", lat, "jitter",
                                 jit, "cost", 1 + (int)(rng_next() % 20)));
        }
    free(x);
    free(y);
    json_t *c = json_pack("{s:o, s:o}", "hosts", hosts, "links", links);
    char *s = json_dumps(c, 0);
    json_decref(c);
    return s;
}

static char *mesh_workflow(int n_sites, int f)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < f; i++) {
        char name[16];
        snprintf(name, sizeof name, "vnf%d", i);
        json_t *prices = json_object(), *allowed = json_array();
        double share = 0.6 + 0.4 * rng_unit();
        for (int s = 0; s < n_sites; s++) {
            if (rng_unit() >= share && json_array_size(allowed) + 1 < (size_t)s)
                continue;
            char site[16];
            snprintf(site, sizeof site, "site%d", s);
            json_array_append_new(allowed, json_string(site));
            json_object_set_new(prices, site,
                                json_integer(1 + (int)(rng_next() % 50)));
        }
        json_array_append_new(svc, json_pack("{s:s, s:s, s:o, s:o}", "name",
                                             name, "memory", "4GiB", "hosts",
                                             allowed, "prices", prices));
        if (i) {
            char a[16], lat[32], jit[32];
            snprintf(a, sizeof a, "vnf%d", i - 1);
            snprintf(lat, sizeof lat, "%dus", 2000 + (int)(rng_next() % 10001));
            snprintf(jit, sizeof jit, "%dus", 200 + (int)(rng_next() % 801));
            json_array_append_new(
                links, json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", a, "to",
                                 name, "rate", "100Mbit", "max_latency", lat,
                                 "max_jitter", jit));
        }
    }
    json_t *w = json_pack("{s:s, s:s, s:o, s:o}", "name", "ns", "objective",
                          "cost", "services", svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

static int mesh_table(int runs, double limit, uint64_t seed)
{
    printf("bench_plan mesh: PLA-style instances (full mesh of sites, cost "
           "objective), %d per cell, seed %llu, time limit %.3g s\n\n",
           runs, (unsigned long long)seed, limit);
    printf("| cluster        | workflow               | load   | opt   | "
           "infeasible | feasible         | timeout | median ms | max ms    | "
           "over    |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|\n");
    static const int sites[] = {10, 20, 40, 80};
    static const int fs[][2] = {{3, 5}, {6, 10}};
    for (size_t si = 0; si < sizeof sites / sizeof *sites; si++)
        for (size_t fi = 0; fi < sizeof fs / sizeof *fs; fi++) {
            struct cell c;
            memset(&c, 0, sizeof c);
            rng_state =
                seed ^ ((uint64_t)sites[si] << 40) ^ ((uint64_t)fi << 32);
            for (int r = 0; r < runs && r < 64; r++) {
                int f =
                    fs[fi][0] +
                    (int)(rng_next() % (uint64_t)(fs[fi][1] - fs[fi][0] + 1));
                char *cj = mesh_cluster(sites[si]);
                char *wj = mesh_workflow(sites[si], f);
                if (dump_dir) {
                    char path[512];
                    for (int k = 0; k < 2; k++) {
                        snprintf(path, sizeof path, "%s/%c-mesh%d-f%d-%d.json",
                                 dump_dir, k ? 'w' : 'c', sites[si], f, c.nt);
                        FILE *o = fopen(path, "w");
                        if (o) {
                            fputs(k ? wj : cj, o);
                            fclose(o);
                        }
                    }
                }
                plan_texts(cj, wj, limit, &c);
            }
            char cl[32], wf[32];
            snprintf(cl, sizeof cl, "mesh of %d", sites[si]);
            snprintf(wf, sizeof wf, "chain of %d-%d", fs[fi][0], fs[fi][1]);
            table_cell_print(cl, wf, BG_IDLE, &c, runs);
        }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\nmax RSS %.0f MB\n", (double)ru.ru_maxrss / 1024);
    return 0;
}

static double legacy_load(void)
{
    return 0.9 * (load_lo + rand() % (100 - load_lo)) / 100;
}

static char *cluster_json(int k)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 4;
    o.core_capacity = 0.9;
    o.latency_ns = 2000;
    return fat_tree_json(k, &o, legacy_load);
}

static char *chain_json(int n, int hosts, int k)
{
    json_t *svc = json_array(), *links = json_array();
    char a[32], b[32];
    for (int i = 0; i < n; i++) {
        snprintf(a, sizeof a, "s%d", i);
        int base = 200 + rand() % 600; /* us */
        json_t *pmf = json_object();
        char t[32];
        snprintf(t, sizeof t, "%dus", base);
        json_object_set_new(pmf, t, json_real(0.7));
        snprintf(t, sizeof t, "%dus", base * 2);
        json_object_set_new(pmf, t, json_real(0.25));
        snprintf(t, sizeof t, "%dus", base * 3);
        json_object_set_new(pmf, t, json_real(0.05));
        json_array_append_new(svc, json_pack("{s:s, s:{s:o}, s:{s:[s,s]}}",
                                             "name", a, "exec_time", "pmf", pmf,
                                             "reservation", "periods", "5ms",
                                             "10ms"));
        snprintf(b, sizeof b, "%s", i ? a : "src");
        if (i) {
            char prev[32];
            snprintf(prev, sizeof prev, "s%d", i - 1);
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s}", "from", prev,
                                            "to", a, "rate", "10Mbit"));
        } else {
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s}", "from", "src",
                                            "to", a, "rate", "10Mbit"));
        }
    }
    snprintf(a, sizeof a, "s%d", n - 1);
    json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "from", a, "to",
                                           "sink", "rate", "10Mbit"));
    char h1[64], h2[64], dl[32];
    int x = rand() % hosts, y = rand() % hosts;
    int half = k / 2;
    snprintf(h1, sizeof h1, "h-%d-%d-%d", x / (half * half), (x / half) % half,
             x % half);
    snprintf(h2, sizeof h2, "h-%d-%d-%d", y / (half * half), (y / half) % half,
             y % half);
    snprintf(dl, sizeof dl, "%dms", 12 * n);
    json_t *w = json_pack(
        "{s:s, s:s, s:f, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:o, s:o}", "name",
        "chain", "deadline", dl, "probability", 0.99, "probability_model",
        "independent", "endpoints", "name", "src", "node", h1, "name", "sink",
        "node", h2, "services", svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

/* The first-fit baseline described above; returns true if it admits, with
 * the total utilisation in *obj. */
static bool first_fit(const struct place_problem *p, double *obj)
{
    const struct place_cluster *c = p->cluster;
    size_t n = p->n_services;
    double share = pow(p->probability, 1.0 / (double)n);
    double *load = calloc(c->n_hosts * 4, sizeof *load);
    uint64_t total = 0;
    *obj = 0;
    bool ok = true;
    for (size_t v = 0; v < n && ok; v++) {
        const struct sched_menu *m = p->services[v].menu[0];
        const struct sched_menu_item *best = NULL;
        for (size_t i = 0; i < m->n; i++)
            if (m->v[i].phi >= share &&
                m->v[i].deadline_ns * n <= p->deadline_ns * 9 / 10 &&
                (!best || m->v[i].utilization < best->utilization))
                best = &m->v[i];
        if (!best) {
            ok = false;
            break;
        }
        bool placed = false;
        for (size_t h = 0; h < c->n_hosts && !placed; h++)
            for (int k = 0; k < c->hosts[h].cores && !placed; k++)
                if (c->hosts[h].used[k] + load[h * 4 + k] + best->utilization <=
                    c->hosts[h].core_capacity) {
                    load[h * 4 + k] += best->utilization;
                    placed = true;
                }
        ok = placed;
        *obj += best->utilization;
        total += best->deadline_ns;
    }
    free(load);
    /* network: at most 6 hops of 2 us each per link (fat-tree diameter) */
    return ok && total + (n + 1) * 12000 <= p->deadline_ns;
}

static void bench(int k, int n, int runs)
{
    int hosts = k * k * k / 4;
    double t[64], gap[64];
    int optimal = 0, admitted = 0, ff_ok = 0, nt = 0, by_dp = 0;
    double sum_obj = 0, sum_ff = 0;
    int both = 0;
    for (int r = 0; r < runs; r++) {
        char *cj = cluster_json(k), *wj = chain_json(n, hosts, k);
        if (dump_dir) {
            char path[512];
            snprintf(path, sizeof path, "%s/c%d-%d-%d.json", dump_dir, k, n, r);
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(cj, f);
                fclose(f);
            }
            snprintf(path, sizeof path, "%s/w%d-%d-%d.json", dump_dir, k, n, r);
            f = fopen(path, "w");
            if (f) {
                fputs(wj, f);
                fclose(f);
            }
        }
        struct proto_doc cd = PROTO_DOC_INIT, wd = PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        if (proto_doc_load_text(&cd, "c", cj, strlen(cj), PROTO_DOC_CLUSTER,
                                &err) ||
            proto_doc_load_text(&wd, "w", wj, strlen(wj), PROTO_DOC_WORKFLOW,
                                &err)) {
            fprintf(stderr, "bench_plan: bad instance\n");
            exit(1);
        }
        struct model_problem mp;
        model_problem_build(&mp, (const void *)cd.msg, (const void *)wd.msg, 0,
                            10.0, &err);
        struct place_plan plan;
        if (place_solve(&mp.problem, &plan, &err) < 0) {
            fprintf(stderr, "bench_plan: %s\n", err.msg);
            exit(1);
        }
        double ffo;
        bool ff = first_fit(&mp.problem, &ffo);
        t[nt] = plan.time_ms;
        gap[nt++] = plan.admitted ? plan.gap : NAN;
        optimal += plan.status == PLACE_OPTIMAL;
        by_dp += plan.status == PLACE_OPTIMAL && plan.proof == PLACE_PROOF_DP;
        admitted += plan.admitted;
        ff_ok += ff;
        if (plan.admitted && ff) {
            sum_obj += plan.objective;
            sum_ff += ffo;
            both++;
        }
        place_plan_release(&plan);
        model_problem_release(&mp);
        proto_doc_release(&cd);
        proto_doc_release(&wd);
        free(cj);
        free(wj);
    }
    printf("  k=%-2d %4d hosts, %2d-service chain%s: median %8.1f ms, optimal "
           "%d/%d (%d by the DP bound), admitted %d/%d, median gap %.4f | "
           "first fit admitted %d/%d, mean utilisation %.3f vs placer %.3f "
           "(%d both)\n",
           k, hosts, n, load_lo ? " (busy)" : "", bench_median(t, nt), optimal,
           runs, by_dp, admitted, runs, bench_median(gap, nt), ff_ok, runs,
           both ? sum_ff / both : NAN, both ? sum_obj / both : NAN, both);
    fflush(stdout);
}

/* bench_service's workflow: n services of 100 us every 10 ms in a chain
 * from a user at host `at`. */
static char *admit_workflow(int n, const char *at)
{
    json_t *svc = json_array(), *links = json_array();
    for (int i = 0; i < n; i++) {
        char a[16], prev[16];
        snprintf(a, sizeof a, "s%d", i);
        snprintf(prev, sizeof prev, i ? "s%d" : "u", i - 1);
        json_array_append_new(svc, json_pack("{s:s, s:{s:s}, s:{s:[s], s:[s]}}",
                                             "name", a, "exec_time", "wcet",
                                             "100us", "reservation", "periods",
                                             "10ms", "budgets", "100us"));
        json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "from", prev,
                                               "to", a, "rate", "1Mbit"));
    }
    json_t *w =
        json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}], s:o, s:o}", "name", "w",
                  "tenant", "bench", "deadline", "100ms", "endpoints", "name",
                  "u", "node", at, "services", svc, "links", links);
    char *s = json_dumps(w, 0);
    json_decref(w);
    return s;
}

static int admit_table(int runs, uint64_t seed)
{
    printf("bench_plan admit: planning time per admission (model_plan on the "
           "cluster's index), %d plans per row, seed %llu\n",
           runs, (unsigned long long)seed);
    printf("%-8s %5s %6s %-7s %8s %8s %8s %8s\n", "cluster", "hosts", "cores",
           "load", "services", "p50 us", "p90 us", "admitted");
    static const int ks[] = {8, 16, 32}, cores[] = {4, 32}, svcs[] = {1, 5};
    double *t = malloc((size_t)runs * sizeof *t);
    for (size_t ik = 0; t && ik < 3; ik++)
        for (size_t ic = 0; ic < 2; ic++)
            for (int bg = 0; bg < 2; bg++) {
                int k = ks[ik], half = k / 2;
                rng_state = seed * 2654435761u + (uint64_t)(k * 100 + bg);
                struct proto_topo_opts o;
                proto_topo_opts_init(&o);
                o.cores = cores[ic];
                o.core_capacity = 0.9;
                o.rate_bps = 10000000000ULL;
                char *cj = fat_tree_json(k, &o, bg ? random_load : NULL);
                struct proto_doc cd = PROTO_DOC_INIT;
                struct plc_error err = PLC_ERROR_INIT;
                if (proto_doc_load_text(&cd, "c", cj, strlen(cj),
                                        PROTO_DOC_CLUSTER, &err) < 0) {
                    fprintf(stderr, "bench_plan: %s\n", err.msg);
                    return 1;
                }
                free(cj);
                const Placer__Cluster *c = (const void *)cd.msg;
                struct model_index *ix = model_index_build(c);
                /* converted once, as placerd keeps it between admissions */
                if (ix && model_index_refresh(ix, c, NULL, 0, NULL, 0, NULL, 0,
                                              true) < 0)
                    return 1;
                for (size_t is = 0; ix && is < 2; is++) {
                    int admitted = 0;
                    for (int r = 0; r < runs; r++) {
                        int x = (int)(rng_next() % c->n_hosts);
                        char at[64];
                        snprintf(at, sizeof at, "h-%d-%d-%d", x / (half * half),
                                 (x / half) % half, x % half);
                        char *wj = admit_workflow(svcs[is], at);
                        struct proto_doc wd = PROTO_DOC_INIT;
                        if (proto_doc_load_text(&wd, "w", wj, strlen(wj),
                                                PROTO_DOC_WORKFLOW, &err) < 0) {
                            fprintf(stderr, "bench_plan: %s\n", err.msg);
                            return 1;
                        }
                        free(wj);
                        struct model_problem mp;
                        struct place_plan plan;
                        Placer__Plan *doc = NULL;
                        double t0 = bench_now_us();
                        int rc = model_plan(&mp, c, ix, (const void *)wd.msg, 0,
                                            2.0, NULL, &plan, &doc, &err);
                        t[r] = bench_now_us() - t0;
                        if (rc < 0) {
                            fprintf(stderr, "bench_plan: %s\n", err.msg);
                            return 1;
                        }
                        admitted += plan.admitted;
                        placer__plan__free_unpacked(doc, NULL);
                        place_plan_release(&plan);
                        model_problem_release(&mp);
                        proto_doc_release(&wd);
                    }
                    qsort(t, (size_t)runs, sizeof *t, bench_cmp_double);
                    char name[16];
                    snprintf(name, sizeof name, "k=%d", k);
                    printf("%-8s %5zu %6d %-7s %8d %8.0f %8.0f %8d\n", name,
                           c->n_hosts, cores[ic], bg_name[bg], svcs[is],
                           t[runs / 2], t[runs * 9 / 10], admitted);
                    fflush(stdout);
                }
                model_index_free(ix);
                proto_doc_release(&cd);
            }
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "admit")) {
        int runs = argc > 2 ? atoi(argv[2]) : 400;
        uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
        if (runs < 10 || runs > 100000) {
            fprintf(stderr, "bench_plan: usage: bench_plan admit [RUNS "
                            "(10-100000) [SEED]]\n");
            return 64;
        }
        return admit_table(runs, seed);
    }
    if (argc > 1 && !strcmp(argv[1], "mesh")) {
        /* argv[2..4]: RUNS, LIMIT_S, SEED */
        dump_dir = getenv("BENCH_DUMP");
        int runs = argc > 2 ? atoi(argv[2]) : 5;
        double limit = argc > 3 ? atof(argv[3]) : 2.0;
        uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
        if (runs < 1 || runs > 64 || !(limit > 0)) {
            fprintf(stderr, "bench_plan: usage: bench_plan mesh [RUNS (1-64) "
                            "[LIMIT_S [SEED]]]\n");
            return 64;
        }
        return mesh_table(runs, limit, seed);
    }
    if (argc > 1 && !strcmp(argv[1], "table")) {
        dump_dir = getenv("BENCH_DUMP");
        const char *src = getenv("PLACER_SRC");
        char path[4096];
        snprintf(path, sizeof path, "%s/examples/vepc-attach.json",
                 src ? src : ".");
        /* argv[2..6]: RUNS, MAX_K, LIMIT_S, SEED, MIN_K */
        static const char *const what[] = {"",        "",     "RUNS", "MAX_K",
                                           "LIMIT_S", "SEED", "MIN_K"};
        double v[7] = {0, 0, 3, 16, 2.0, 1, 4};
        for (int i = 2; i < argc && i <= 6; i++) {
            char *end;
            v[i] = strtod(argv[i], &end);
            if (*end || end == argv[i] || v[i] < 0 ||
                (i != 4 && v[i] != floor(v[i]))) {
                fprintf(stderr,
                        "bench_plan: %s '%s' is not a number; usage: "
                        "bench_plan table [RUNS [MAX_K [LIMIT_S [SEED "
                        "[MIN_K]]]]]\n",
                        what[i], argv[i]);
                return 64;
            }
        }
        uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
        int runs = (int)v[2], max_k = (int)v[3], min_k = (int)v[6];
        if (runs < 1 || runs > 64 || min_k < 4 || max_k > 64 || min_k > max_k ||
            min_k % 2 || max_k % 2 || v[4] <= 0) {
            fprintf(stderr, "bench_plan: RUNS must be 1-64, MIN_K <= MAX_K "
                            "even fat-tree sizes from 4 to 64, LIMIT_S above "
                            "0\n");
            return 64;
        }
        return table(runs, min_k, max_k, v[4], seed, path);
    }
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    srand(42);
    printf("bench_plan (%d instances each, time limit 10 s)\n", runs);
    if (argc > 4)
        dump_dir = argv[4];
    if (argc > 3) {
        bench(atoi(argv[2]), atoi(argv[3]), runs);
        return 0;
    }
    bench(4, 3, runs);
    bench(4, 10, runs);
    bench(8, 3, runs);
    bench(8, 10, runs);
    bench(16, 3, runs);
    bench(16, 10, runs);
    /* busy clusters: every core 63-90 % loaded, so the cheapest
     * reservations often fit nowhere and the greedy plan misses the DP
     * bound; GLPK's branch and bound has to do the work */
    load_lo = 70;
    printf("busy clusters (background 63-90 %% per core):\n");
    bench(4, 10, runs);
    bench(8, 10, runs);
    bench(16, 10, runs);
    return 0;
}
