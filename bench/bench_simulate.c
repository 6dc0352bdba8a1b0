/*
 * bench_simulate: placer simulate's engine at scale (issue 15).
 *
 * Instances, from a seed: fat-trees k = 4 and 8 (16 and 128 hosts of 4
 * cores at 0.95, 64 GiB, 10 Gbit/5 us links, 1 MiB buffers), idle or with a
 * random background of 0-50 % per core; two workflow mixes, each of three
 * templates arriving as Poisson processes (one arrival every 0.5 s in all)
 * and holding for an exponential time (mean 60 s: the cluster fills and
 * stays full):
 *   chains     3, 4 and 6 services in a line between two endpoints on
 *              random hosts, 3-point pmfs {b: 0.7, 2b: 0.25, 3b: 0.05},
 *              b drawn from 0.5-3 ms, 100 Mbit links of 1500 B messages,
 *              deadline 12 ms per stage at probability 0.99;
 *   forks      fork/joins 1 -> 2 -> 1, 1 -> 3 -> 1 and 1 -> 4 -> 1 of the
 *              same services (deadline 40 ms at 0.95, union bound).
 * Every shape runs the greedy policies and requests-only over ARRIVALS
 * arrivals (default 10,000) and placer over PLACER arrivals (default
 * 100), one thread each; the Monte-Carlo check (2,000 jobs per admitted
 * copy) is timed on first fit's copies.
 *
 * Prints per shape and policy: arrivals, acceptance, decisions per second
 * of wall time, decision time p50 and p99; and Monte-Carlo jobs per
 * second on one core.
 *
 * Usage: bench_simulate [ARRIVALS [PLACER [SEED [POLICY]]]]
 * (POLICY: that policy alone, by its name in placer simulate, for a
 * profile of one policy)
 *
 * bench_simulate examples [ARRIVALS [SEEDS]] (PLACER_SRC: the source tree,
 * default .): issue 15's figure, ARRIVALS (default 10,000) of the
 * examples' mix (vepc-attach, video-pipeline, control-loop from
 * examples/) under placer on the k=8 fat-tree of `placer cluster gen
 * fat-tree --k 8` with the examples' options (4 cores at 0.9, 32 GiB, 10
 * Gbit, 2 us, 1 MiB buffers), per seed on four shapes: idle or with a
 * random background of 0-50 % per core, at examples/scenario.json's rates
 * (one every 40, 60 and 90 s, holding exponential 900 s, exponential 1,200
 * s and 1,800 s) or three times as often.  Prints per shape: wall time
 * (the target: under 120 s), acceptance, the share of decisions proven
 * (optimal, or infeasible), decisions a second, p50/p99/max decision time.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"
#include "sim/sim.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_simulate: %s: %s\n", what, msg);
    exit(1);
}

/* A k-ary fat-tree of 4-core hosts at capacity cap per core, mem_gib GiB
 * each, 10 Gbit links of latency_us with 1 MiB buffers; busy: each core
 * 0-50 % taken (from the bench's generator). */
static Placer__Cluster *cluster_of(int k, bool busy, double cap, int mem_gib,
                                   int latency_us)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.cores = 4;
    o.core_capacity = cap;
    o.memory_bytes = (uint64_t)mem_gib << 30;
    o.rate_bps = 10000000000ULL;
    o.latency_ns = (uint64_t)latency_us * 1000;
    o.buffer_bytes = 1 << 20;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree(k, &o, &c, &err) < 0)
        die("fat-tree", err.msg);
    for (size_t h = 0; busy && h < c->n_hosts; h++) {
        Placer__Host *x = c->hosts[h];
        x->n_used = 4;
        x->used = calloc(4, sizeof *x->used);
        for (int i = 0; i < 4; i++)
            x->used[i] = 0.5 * rng_unit();
    }
    return c;
}

static Placer__Cluster *cluster(int k, bool busy)
{
    return cluster_of(k, busy, 0.95, 64, 5);
}

/* A workflow document: n services, as a chain (fork 0) or a fork/join
 * 1 -> fork -> 1. */
static struct proto_doc workflow(const Placer__Cluster *c, int n, int fork,
                                 int idx)
{
    json_t *w = json_object();
    char name[32];
    snprintf(name, sizeof name, "%s%d", fork ? "fork" : "chain", idx);
    json_object_set_new(w, "name", json_string(name));
    json_object_set_new(w, "probability", json_real(fork ? 0.95 : 0.99));
    json_object_set_new(w, "probability_model",
                        json_string(fork ? "union" : "independent"));
    char dl[32];
    snprintf(dl, sizeof dl, "%dms", fork ? 40 : 12 * n);
    json_object_set_new(w, "deadline", json_string(dl));
    json_t *ep = json_array();
    for (int e = 0; e < 2; e++) {
        const char *host = c->hosts[rng_next() % c->n_hosts]->name;
        json_array_append_new(ep,
                              json_pack("{s:s, s:s}", "name",
                                        e ? "sink" : "source", "node", host));
    }
    json_object_set_new(w, "endpoints", ep);
    json_t *sv = json_array(), *ln = json_array();
    for (int i = 0; i < n; i++) {
        int b = 500 + (int)(rng_next() % 2501); /* us */
        char t1[32], t2[32], t3[32], s[16];
        snprintf(t1, sizeof t1, "%dus", b);
        snprintf(t2, sizeof t2, "%dus", 2 * b);
        snprintf(t3, sizeof t3, "%dus", 3 * b);
        snprintf(s, sizeof s, "s%d", i);
        json_t *pmf = json_object();
        json_object_set_new(pmf, t1, json_real(0.7));
        json_object_set_new(pmf, t2, json_real(0.25));
        json_object_set_new(pmf, t3, json_real(0.05));
        json_array_append_new(sv, json_pack("{s:s, s:s, s:{s:o}}", "name", s,
                                            "memory", "1GiB", "exec_time",
                                            "pmf", pmf));
    }
    /* links: a chain s0 -> s1 -> ..., or s0 -> s1..s(n-2) -> s(n-1) */
    char a[16], b2[16];
    for (int i = 0; i + 1 < n || (fork && i < n); i++) {
        if (!fork) {
            snprintf(a, sizeof a, "s%d", i);
            snprintf(b2, sizeof b2, "s%d", i + 1);
            json_array_append_new(ln, json_pack("{s:s, s:s, s:s, s:s}", "from",
                                                a, "to", b2, "rate", "100Mbit",
                                                "message", "1500B"));
        } else if (i > 0 && i < n - 1) {
            snprintf(a, sizeof a, "s%d", i);
            snprintf(b2, sizeof b2, "s%d", n - 1);
            json_array_append_new(ln, json_pack("{s:s, s:s, s:s, s:s}", "from",
                                                "s0", "to", a, "rate",
                                                "100Mbit", "message", "1500B"));
            json_array_append_new(ln, json_pack("{s:s, s:s, s:s, s:s}", "from",
                                                a, "to", b2, "rate", "100Mbit",
                                                "message", "1500B"));
        }
    }
    snprintf(b2, sizeof b2, "s%d", n - 1);
    json_array_append_new(ln, json_pack("{s:s, s:s, s:s, s:s}", "from",
                                        "source", "to", "s0", "rate", "100Mbit",
                                        "message", "1500B"));
    json_array_append_new(ln, json_pack("{s:s, s:s, s:s, s:s}", "from", b2,
                                        "to", "sink", "rate", "100Mbit",
                                        "message", "1500B"));
    json_object_set_new(w, "services", sv);
    json_object_set_new(w, "links", ln);
    char *text = json_dumps(w, 0);
    json_decref(w);
    struct proto_doc d = PROTO_DOC_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_doc_load_text(&d, name, text, strlen(text), PROTO_DOC_WORKFLOW,
                            &err) != 0 ||
        proto_doc_check_refs(&d, c) != 0) {
        proto_doc_print_diags(&d, stderr);
        die("workflow", err.msg[0] ? err.msg : text);
    }
    free(text);
    return d;
}

/* Poisson arrivals of the templates, one every 0.5 s in all, holding
 * for an exponential time of mean 60 s. */
static struct sim_event *arrivals(size_t n, size_t nt)
{
    struct sim_event *ev = calloc(n + 1, sizeof *ev);
    double t = 0;
    for (size_t i = 0; ev && i < n; i++) {
        t += -0.5 * log(1 - rng_unit());
        ev[i] = (struct sim_event){.t = t,
                                   .kind = SIM_SUBMIT,
                                   .tmpl = (uint32_t)(rng_next() % nt),
                                   .hold = -60 * log(1 - rng_unit())};
    }
    return ev;
}

/* The examples' mix (see the top). */
static int examples(int argc, char **argv)
{
    size_t n_arr = argc > 2 ? (size_t)atol(argv[2]) : 10000;
    int seeds = argc > 3 ? atoi(argv[3]) : 1;
    if (!n_arr || seeds < 1)
        die("usage", "bench_simulate examples [ARRIVALS [SEEDS]]");
    const char *src = getenv("PLACER_SRC");
    static const char *const file[3] = {"vepc-attach", "video-pipeline",
                                        "control-loop"};
    /* scenario.json's: mean gap, holding (exponential mean, or fixed) */
    static const double gap[3] = {40, 60, 90}, hold[3] = {900, 1200, 1800};
    static const bool fixed[3] = {false, false, true};
    struct proto_doc wd[3];
    struct sim_template tm[3];
    for (int i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/examples/%s.json", src ? src : ".",
                 file[i]);
        wd[i] = (struct proto_doc)PROTO_DOC_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        if (proto_doc_load_file(&wd[i], path, PROTO_DOC_WORKFLOW, &err) != 0)
            die(path,
                err.msg[0] ? err.msg : "not a valid workflow (set PLACER_SRC)");
        const Placer__Workflow *w = (const void *)wd[i].msg;
        tm[i] = (struct sim_template){w->name, w, 1};
    }
    printf("bench_simulate examples: %zu arrivals of vepc-attach, "
           "video-pipeline and control-loop under placer, k=8 fat-tree "
           "(128 hosts), %d seed(s)\n\n",
           n_arr, seeds);
    printf("%-5s %-7s %-6s %8s %7s %8s %9s %10s %8s %8s %9s\n", "seed", "load",
           "rates", "arrivals", "accept", "proven", "wall s", "decisions/s",
           "p50 ms", "p99 ms", "max ms");
    for (int sd = 1; sd <= seeds; sd++)
        for (int busy = 0; busy < 2; busy++)
            for (int fast = 0; fast < 2; fast++) {
                rng_state =
                    (uint64_t)sd * 1000 + 100 + (uint64_t)(busy * 2 + fast);
                /* the examples' options (placer cluster gen fat-tree
                 * --k 8 --cores 4 --core-capacity 0.9 --memory 32GiB
                 * --latency 2us --buffer 1MiB) */
                Placer__Cluster *c = cluster_of(8, busy, 0.9, 32, 2);
                struct plc_error err = PLC_ERROR_INIT;
                /* superposed Poisson arrivals: each one's template by its
                 * share of the rate */
                double rate[3], total = 0;
                for (int i = 0; i < 3; i++)
                    total += rate[i] = (fast ? 3.0 : 1.0) / gap[i];
                struct sim_event *ev = calloc(n_arr + 1, sizeof *ev);
                double t = 0;
                for (size_t i = 0; ev && i < n_arr; i++) {
                    t += -log(1 - rng_unit()) / total;
                    double pick = rng_unit() * total;
                    uint32_t k = pick < rate[0]             ? 0
                                 : pick < rate[0] + rate[1] ? 1
                                                            : 2;
                    ev[i] = (struct sim_event){
                        .t = t,
                        .kind = SIM_SUBMIT,
                        .tmpl = k,
                        .hold = fixed[k] ? hold[k]
                                         : -hold[k] * log(1 - rng_unit())};
                }
                if (!ev)
                    die("arrivals", "out of memory");
                struct sim_run_in in = {.cluster = c,
                                        .tmpl = tm,
                                        .n_tmpl = 3,
                                        .ev = ev,
                                        .n_ev = n_arr,
                                        .policy = SRV_POLICY_PLACER,
                                        .time_limit_s = 2,
                                        .horizon_s = ev[n_arr - 1].t,
                                        .interval_s = ev[n_arr - 1].t / 100,
                                        .keep_decisions = true,
                                        .seed = (uint64_t)sd};
                struct sim_result r;
                if (sim_run(&in, &r, &err) < 0)
                    die("run", err.msg);
                size_t proven = 0;
                double mx = 0;
                for (size_t i = 0; i < r.n_decisions; i++) {
                    proven += r.decisions[i].status == PLACE_OPTIMAL ||
                              r.decisions[i].status == PLACE_INFEASIBLE;
                    mx = fmax(mx, r.decisions[i].time_ms);
                }
                printf("%-5d %-7s %-6s %8zu %6.1f%% %7.1f%% %9.1f %10.0f "
                       "%8.2f %8.2f %9.1f\n",
                       sd, busy ? "0-50%" : "idle", fast ? "3x" : "1x",
                       r.arrivals,
                       100.0 * (double)r.admitted / (double)r.arrivals,
                       100.0 * (double)proven /
                           (double)(r.n_decisions ? r.n_decisions : 1),
                       r.wall_ms / 1e3, (double)r.arrivals / (r.wall_ms / 1e3),
                       sim_percentile(r.solver_ms, r.n_solver, 0.5),
                       sim_percentile(r.solver_ms, r.n_solver, 0.99), mx);
                fflush(stdout);
                sim_result_release(&r);
                free(ev);
                placer__cluster__free_unpacked(c, NULL);
            }
    for (int i = 0; i < 3; i++)
        proto_doc_release(&wd[i]);
    place_thread_release();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "examples"))
        return examples(argc, argv);
    size_t n_arr = argc > 1 ? (size_t)atol(argv[1]) : 10000;
    size_t n_placer = argc > 2 ? (size_t)atol(argv[2]) : 100;
    uint64_t seed = argc > 3 ? (uint64_t)atoll(argv[3]) : 1;
    int only = -1;
    for (int pol = 0; argc > 4 && pol < SRV_POLICIES; pol++)
        if (strcmp(argv[4], srv_policy_name((enum srv_policy)pol)) == 0)
            only = pol;
    if (argc > 4 && only < 0)
        die(argv[4], "no such policy (placer, first-fit, best-fit, "
                     "worst-fit, requests-only)");
    printf("bench_simulate: %zu arrivals per greedy run, %zu under placer, "
           "seed %llu\n\n",
           n_arr, n_placer, (unsigned long long)seed);
    printf("%-8s %-7s %-7s %-14s %8s %7s %12s %9s %9s\n", "hosts", "load",
           "mix", "policy", "arrivals", "accept", "decisions/s", "p50 ms",
           "p99 ms");
    double mc_jobs = 0, mc_ms = 0;
    int k_of[2] = {4, 8};
    for (int ki = 0; ki < 2; ki++)
        for (int busy = 0; busy < 2; busy++)
            for (int fork = 0; fork < 2; fork++) {
                rng_state = seed * 1000 + (uint64_t)(ki * 4 + busy * 2 + fork);
                Placer__Cluster *c = cluster(k_of[ki], busy);
                struct proto_doc wd[3];
                struct sim_template tm[3];
                static const int chain_n[3] = {3, 4, 6}, fork_n[3] = {4, 5, 6};
                for (int i = 0; i < 3; i++) {
                    wd[i] = workflow(c, fork ? fork_n[i] : chain_n[i], fork, i);
                    const Placer__Workflow *w = (const void *)wd[i].msg;
                    tm[i] = (struct sim_template){w->name, w, 1};
                }
                struct sim_event *ev = arrivals(n_arr, 3);
                for (int pol = 0; pol < SRV_POLICIES; pol++) {
                    size_t n = pol == SRV_POLICY_PLACER ? n_placer : n_arr;
                    if (!n || (only >= 0 && pol != only))
                        continue;
                    struct sim_run_in in = {
                        .cluster = c,
                        .tmpl = tm,
                        .n_tmpl = 3,
                        .ev = ev,
                        .n_ev = n,
                        .policy = (enum srv_policy)pol,
                        .time_limit_s = 2,
                        .horizon_s = ev[n - 1].t,
                        .interval_s = ev[n - 1].t / 100,
                        .mc_jobs = pol == SRV_POLICY_FIRST_FIT ? 2000 : 0,
                        .seed = seed};
                    struct sim_result r;
                    struct plc_error err = PLC_ERROR_INIT;
                    if (sim_run(&in, &r, &err) < 0)
                        die("run", err.msg);
                    double wall = r.wall_ms - r.mc_ms;
                    printf("%-8zu %-7s %-7s %-14s %8zu %6.1f%% %12.0f %9.3f "
                           "%9.3f\n",
                           c->n_hosts, busy ? "0-50%" : "idle",
                           fork ? "forks" : "chains",
                           srv_policy_name((enum srv_policy)pol), r.arrivals,
                           100.0 * (double)r.admitted / (double)r.arrivals,
                           (double)r.arrivals / (wall / 1e3),
                           sim_percentile(r.solver_ms, r.n_solver, 0.5),
                           sim_percentile(r.solver_ms, r.n_solver, 0.99));
                    fflush(stdout);
                    for (size_t i = 0; i < r.n_mc; i++)
                        mc_jobs += (double)r.mc[i].jobs;
                    mc_ms += r.mc_ms;
                    sim_result_release(&r);
                }
                free(ev);
                for (int i = 0; i < 3; i++)
                    proto_doc_release(&wd[i]);
                placer__cluster__free_unpacked(c, NULL);
            }
    place_thread_release();
    if (mc_ms > 0)
        printf("\nMonte-Carlo: %.0f jobs of first fit's admitted copies in "
               "%.0f ms: %.2e jobs/s on one core\n",
               mc_jobs, mc_ms, mc_jobs / (mc_ms / 1e3));
    else
        printf("\nMonte-Carlo: not run (first fit was not)\n");
    return 0;
}
