/* cmd_capacity.c: `placer capacity`: how many more copies of a workflow
 * (or of a mix) a cluster takes, by admitting copies one after another
 * through placerd's own decision path (server/decide.h) until one is
 * rejected. */
#include "cli.h"
#include "model/model.h"
#include "plc/clock.h"
#include "proto/json.h"
#include "proto/load.h"
#include "server/decide.h"
#include "sim/sim.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "Usage: placer [--server EP] capacity [--cluster CLUSTER.json] [OPTIONS] "
    "WORKFLOW.json "
    "[WORKFLOW.json ...]\n"
    "\n"
    "How many more copies of the workflow (or of several, in proportion)\n"
    "the cluster takes with every guarantee kept. Copies are admitted one\n"
    "after another through placerd's own decision path: each is planned\n"
    "against what the cluster's background and the copies before it leave,\n"
    "and its reservations are counted as placerd counts them. It stops at\n"
    "the first copy that is rejected, and prints the count, where the\n"
    "copies went (per host and per link) and that rejection: the\n"
    "constraint that binds next.\n"
    "\n"
    "With 'placer --server EP capacity', the count starts from placerd's\n"
    "live state instead: its cluster with every admitted reservation.\n"
    "\n"
    "Options:\n"
    "  --cluster FILE      the cluster; its background load\n"
    "                      (host 'used', 'memory_used', link 'used_rate')\n"
    "                      is respected\n"
    "  --mix A:B[:...]     the proportion of each workflow, in their order\n"
    "                      (default 1 each): with 3:1, three copies of the\n"
    "                      first for each copy of the second, interleaved\n"
    "  --max N             stop after N copies in all (default 100000)\n"
    "  --objective KIND    utilization | cost | hosts | bandwidth | balance\n"
    "  --time-limit TIME   each copy's plan's time limit (default 2s); a copy\n"
    "                      not planned in time ends the count as a rejection\n"
    "                      of code 'timeout'\n"
    "  --add N --like HOST count after adding N hosts like HOST (each a\n"
    "                      copy of it, named HOST-1, HOST-2 ..., linked\n"
    "                      as it is)\n"
    "  --target K --like HOST\n"
    "                      the fewest hosts like HOST to add so that K more\n"
    "                      copies fit (up to --max-hosts, default 1024)\n"
    "  --json              print the result as a document (schema 1)\n"
    "  --quiet             no progress on stderr (none either when stderr is\n"
    "                      not a terminal)\n"
    "\n"
    "Exit status: 0 counted (also when no copy fits), 64 usage, 65 bad\n"
    "input, 66 a file missing, 70 internal error.\n";

#define MAX_WORKFLOWS 16

/* Which workflow the k-th copy is (k from 0): the one whose share of the
 * copies so far is furthest below its proportion. */
static size_t next_of(const unsigned *mix, const size_t *done, size_t n)
{
    double total_mix = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        total_mix += mix[i];
        total += (double)done[i];
    }
    size_t best = 0;
    double lag = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double l = (total + 1) * mix[i] / total_mix - (double)done[i];
        if (l > lag + 1e-12) {
            lag = l;
            best = i;
        }
    }
    return best;
}

static bool parse_mix(const char *s, unsigned *mix, size_t n)
{
    size_t k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 1000000 || k == n)
            return false;
        mix[k++] = (unsigned)v;
        p = end;
        if (*p == ':')
            p++;
        else if (*p)
            return false;
    }
    return k == n && p > s && p[-1] != ':';
}

/* What a count found, for printing. */
struct outcome {
    const struct srv_decider *d;
    const Placer__Cluster *base;
    const size_t *svc; /* services per host */
    const struct proto_doc *wd;
    const unsigned *mix;
    const size_t *done;
    size_t nw, total;
    unsigned long max;
    const Placer__Plan *rejected; /* or NULL */
    size_t rejected_of;
    double ms;
    long added; /* hosts added (--add, --target) */
    const char *like;
    long target;
};

static const char *wf_name(const struct outcome *o, size_t i)
{
    return ((const Placer__Workflow *)o->wd[i].msg)->name;
}

static int print_json(const struct outcome *o)
{
    json_t *j = json_object();
    json_object_set_new(j, "schema", json_integer(1));
    json_object_set_new(j, "copies", json_integer((json_int_t)o->total));
    json_t *ws = json_array();
    for (size_t i = 0; i < o->nw; i++) {
        json_t *w = json_object();
        json_object_set_new(w, "name", json_string(wf_name(o, i)));
        json_object_set_new(w, "mix", json_integer(o->mix[i]));
        json_object_set_new(w, "copies", json_integer((json_int_t)o->done[i]));
        json_array_append_new(ws, w);
    }
    json_object_set_new(j, "workflows", ws);
    json_t *hs = json_array();
    for (size_t h = 0; h < o->base->n_hosts; h++) {
        if (!o->svc[h])
            continue;
        json_t *x = json_object();
        json_object_set_new(x, "name", json_string(o->base->hosts[h]->name));
        json_object_set_new(x, "services", json_integer((json_int_t)o->svc[h]));
        json_object_set_new(x, "cpu", json_real(srv_decider_host_cpu(o->d, h)));
        json_array_append_new(hs, x);
    }
    json_object_set_new(j, "hosts", hs);
    json_t *ls = json_array();
    for (size_t l = 0; l < o->base->n_links; l++)
        for (int dir = 0; dir < 2; dir++) {
            double r = srv_decider_link_rate(o->d, l, dir);
            if (r <= 0)
                continue;
            const Placer__Link *x = o->base->links[l];
            json_t *y = json_object();
            json_object_set_new(y, "from", json_string(dir ? x->b : x->a));
            json_object_set_new(y, "to", json_string(dir ? x->a : x->b));
            json_object_set_new(y, "rate_bps",
                                json_integer((json_int_t)llround(r)));
            json_array_append_new(ls, y);
        }
    json_object_set_new(j, "links", ls);
    json_t *next = json_null();
    if (o->rejected) {
        next = json_object();
        json_object_set_new(next, "workflow",
                            json_string(wf_name(o, o->rejected_of)));
        json_object_set_new(
            next, "rejection",
            o->rejected->rejection
                ? proto_message_to_json(&o->rejected->rejection->base,
                                        PROTO_JSON_EMPTY_ARRAYS)
                : json_null());
    }
    json_object_set_new(j, "next", next);
    if (o->like) {
        json_object_set_new(j, "added_hosts", json_integer(o->added));
        json_object_set_new(j, "like", json_string(o->like));
        if (o->target)
            json_object_set_new(j, "target", json_integer(o->target));
    }
    json_object_set_new(j, "time_ms", json_real(o->ms));
    return cli_print_json(j);
}

static int print_text(const struct outcome *o)
{
    printf("%zu more cop%s fit%s", o->total, o->total == 1 ? "y" : "ies",
           o->total == 1 ? "s" : "");
    for (size_t i = 0; i < o->nw; i++)
        printf("%s%zu of %s", i ? ", " : " (", o->done[i], wf_name(o, i));
    printf(")%s, in %.1f s\n",
           o->total >= o->max && !o->target ? ", --max reached" : "",
           o->ms / 1e3);
    if (o->rejected) {
        const Placer__Rejection *r = o->rejected->rejection;
        char rc[32] = "?";
        if (r && r->has_code)
            proto_enum_json_name(&placer__rejection_code__descriptor,
                                 (int)r->code, rc, sizeof rc);
        printf("next: copy %zu of %s is rejected (%s): %s\n",
               o->done[o->rejected_of] + 1, wf_name(o, o->rejected_of), rc,
               r && r->message ? r->message : "");
    }
    if (o->total)
        printf("\n  %-24s %8s %8s\n", "host", "services", "cpu");
    for (size_t h = 0; h < o->base->n_hosts; h++)
        if (o->svc[h])
            printf("  %-24s %8zu %8.4f\n", o->base->hosts[h]->name, o->svc[h],
                   srv_decider_host_cpu(o->d, h));
    bool head = false;
    for (size_t l = 0; l < o->base->n_links; l++)
        for (int dir = 0; dir < 2; dir++) {
            double r = srv_decider_link_rate(o->d, l, dir);
            if (r <= 0)
                continue;
            if (!head)
                printf("\n  %-40s %s\n", "link", "reserved");
            head = true;
            const Placer__Link *x = o->base->links[l];
            char name[160];
            snprintf(name, sizeof name, "%s > %s", dir ? x->b : x->a,
                     dir ? x->a : x->b);
            printf("  %-40s %s\n", name,
                   cli_qty(PLC_QTY_RATE, (uint64_t)llround(r)));
        }
    return PLC_EXIT_OK;
}

/* One count: copies admitted one after another until one is rejected
 * (or max). */
struct count {
    struct srv_decider *d;
    const Placer__Cluster *base;
    size_t *svc; /* services per host */
    size_t done[MAX_WORKFLOWS], total;
    Placer__Plan *rejected;
    size_t rejected_of;
    double ms;
};

static void count_release(struct count *x)
{
    if (x->rejected)
        placer__plan__free_unpacked(x->rejected, NULL);
    free(x->svc);
    srv_decider_free(x->d);
    memset(x, 0, sizeof *x);
}

/* Count on cluster c (taken).  Returns the exit code. */
static int count_copies(Placer__Cluster *c, const struct proto_doc *wd,
                        size_t nw, const unsigned *mix, unsigned long max,
                        int objective, uint64_t limit_ns, const char *what,
                        struct count *x)
{
    memset(x, 0, sizeof *x);
    if (srv_decider_new(c, &x->d) < 0) {
        cli_error("out of memory");
        return PLC_EXIT_SOFTWARE;
    }
    x->base = srv_decider_residual(x->d);
    size_t H = x->base ? x->base->n_hosts : 0;
    x->svc = calloc(H + 1, sizeof *x->svc);
    if (!x->base || !x->svc) {
        cli_error("out of memory");
        return PLC_EXIT_SOFTWARE;
    }
    int code = PLC_EXIT_OK;
    double t0 = plc_now_ms();
    while (code == PLC_EXIT_OK && x->total < max) {
        size_t i = next_of(mix, x->done, nw);
        const Placer__Workflow *w = (const void *)wd[i].msg;
        struct model_problem mp;
        struct place_plan plan;
        Placer__Plan *doc = NULL;
        struct plc_error err = PLC_ERROR_INIT;
        memset(&mp, 0, sizeof mp);
        memset(&plan, 0, sizeof plan);
        if (srv_decide_plan(x->d, w, objective, (double)limit_ns / 1e9, &mp,
                            &plan, &doc, &err) < 0) {
            cli_error("%s", err.msg);
            code = plc_exit_code(err.code);
        } else if (!plan.admitted) {
            x->rejected = doc;
            x->rejected_of = i;
            doc = NULL;
        } else if (srv_decide_admit(x->d, w, &plan) < 0) {
            cli_error("cannot count copy %zu of '%s'", x->done[i] + 1, w->name);
            code = PLC_EXIT_SOFTWARE;
        } else {
            x->done[i]++;
            x->total++;
            for (size_t v = 0; v < w->n_services; v++)
                x->svc[plan.services[v].host]++;
        }
        if (doc)
            placer__plan__free_unpacked(doc, NULL);
        place_plan_release(&plan);
        model_problem_release(&mp);
        if (what && (x->total % 10 == 0 || x->rejected))
            fprintf(stderr, "\rplacer capacity: %s%zu admitted (%.0f/s)  ",
                    what, x->total,
                    x->total / fmax(1e-3, (plc_now_ms() - t0) / 1e3));
        if (x->rejected)
            break;
    }
    x->ms = plc_now_ms() - t0;
    return code;
}

/* The cluster with n hosts like `like` added (n 0: a copy). */
static Placer__Cluster *with_hosts(const Placer__Cluster *c, unsigned n,
                                   const char *like)
{
    Placer__AddHosts add = PLACER__ADD_HOSTS__INIT;
    Placer__AddHosts *adds[1] = {&add};
    Placer__Variant v = PLACER__VARIANT__INIT;
    v.name = (char *)"capacity";
    if (n) {
        add.has_count = 1;
        add.count = n;
        add.like = (char *)like;
        v.n_add_hosts = 1;
        v.add_hosts = adds;
    }
    struct plc_error err = PLC_ERROR_INIT;
    Placer__Cluster *x = sim_variant_cluster(c, &v, &err);
    if (!x)
        cli_error("%s", err.msg);
    return x;
}

int cmd_capacity(int argc, char **argv)
{
    enum {
        O_CLUSTER = 256,
        O_MIX,
        O_MAX,
        O_OBJ,
        O_TIME,
        O_JSON,
        O_QUIET,
        O_ADD,
        O_LIKE,
        O_TARGET,
        O_MAX_HOSTS
    };
    static const struct option opts[] = {
        {"cluster", required_argument, 0, O_CLUSTER},
        {"mix", required_argument, 0, O_MIX},
        {"max", required_argument, 0, O_MAX},
        {"objective", required_argument, 0, O_OBJ},
        {"time-limit", required_argument, 0, O_TIME},
        {"json", no_argument, 0, O_JSON},
        {"quiet", no_argument, 0, O_QUIET},
        {"add", required_argument, 0, O_ADD},
        {"like", required_argument, 0, O_LIKE},
        {"target", required_argument, 0, O_TARGET},
        {"max-hosts", required_argument, 0, O_MAX_HOSTS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *cluster = NULL, *mix_s = NULL, *like = NULL;
    int objective = 0, ch;
    uint64_t limit_ns = 2000000000ULL;
    unsigned long max = 100000;
    long add = 0, target = 0, max_hosts = 1024;
    bool json = false, quiet = false;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case O_CLUSTER:
            cluster = optarg;
            break;
        case O_MIX:
            mix_s = optarg;
            break;
        case O_MAX: {
            char *end;
            max = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end || max == 0 || max > 10000000)
                return cli_usage("capacity",
                                 "--max: a whole number from 1 to 10000000, "
                                 "not '%s'",
                                 optarg);
            break;
        }
        case O_OBJ:
            if (cli_opt_objective("capacity", optarg, &objective) !=
                PLC_EXIT_OK)
                return PLC_EXIT_USAGE;
            break;
        case O_TIME:
            if (cli_opt_time_limit("capacity", optarg, &limit_ns) !=
                PLC_EXIT_OK)
                return PLC_EXIT_USAGE;
            break;
        case O_JSON:
            json = true;
            break;
        case O_QUIET:
            quiet = true;
            break;
        case O_ADD:
            if (!cli_parse_int("--add", optarg, 1, 100000, &add))
                return PLC_EXIT_USAGE;
            break;
        case O_LIKE:
            like = optarg;
            break;
        case O_TARGET:
            if (!cli_parse_int("--target", optarg, 1, 10000000, &target))
                return PLC_EXIT_USAGE;
            break;
        case O_MAX_HOSTS:
            if (!cli_parse_int("--max-hosts", optarg, 1, 100000, &max_hosts))
                return PLC_EXIT_USAGE;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("capacity", "unknown option");
        }
    }
    if (!cluster && !cli_server_given)
        return cli_usage("capacity",
                         "--cluster FILE is required (or 'placer --server EP "
                         "capacity ...' to count on placerd's live state)");
    if (cluster && cli_server_given)
        return cli_usage("capacity",
                         "give --cluster FILE or --server EP, not both");
    if ((add || target) && !like)
        return cli_usage("capacity", "--add and --target need --like HOST");
    if (like && !add && !target)
        return cli_usage("capacity", "--like goes with --add N or --target K");
    if (add && target)
        return cli_usage("capacity", "give --add N or --target K, not both");
    size_t nw = (size_t)(argc - optind);
    if (nw == 0)
        return cli_usage("capacity", "give at least one WORKFLOW file");
    if (nw > MAX_WORKFLOWS)
        return cli_usage("capacity", "at most %d workflows", MAX_WORKFLOWS);
    unsigned mix[MAX_WORKFLOWS];
    for (size_t i = 0; i < nw; i++)
        mix[i] = 1;
    if (mix_s && !parse_mix(mix_s, mix, nw))
        return cli_usage("capacity",
                         "--mix: %zu whole numbers above 0 separated by ':' "
                         "(one per workflow, in their order), not '%s'",
                         nw, mix_s);
    struct proto_doc cd = PROTO_DOC_INIT, wd[MAX_WORKFLOWS];
    for (size_t i = 0; i < nw; i++)
        wd[i] = (struct proto_doc)PROTO_DOC_INIT;
    int code;
    if (cluster) {
        code = cli_load_doc(&cd, cluster, PROTO_DOC_CLUSTER);
    } else {
        Placer__Cluster *snap = NULL;
        code = cli_snapshot(&snap);
        cd.msg = &snap->base;
        cd.kind = PROTO_DOC_CLUSTER;
        if (code == PLC_EXIT_OK && !snap)
            code = PLC_EXIT_SOFTWARE;
    }
    const Placer__Cluster *base = (const void *)cd.msg;
    for (size_t i = 0; code == PLC_EXIT_OK && i < nw; i++) {
        code = cli_load_doc(&wd[i], argv[optind + (int)i], PROTO_DOC_WORKFLOW);
        if (code == PLC_EXIT_OK &&
            proto_doc_check_refs(&wd[i], base) == PLC_EDATA) {
            proto_doc_print_diags(&wd[i], stderr);
            code = PLC_EXIT_DATAERR;
        }
    }
    bool known = false;
    for (size_t h = 0; code == PLC_EXIT_OK && like && h < base->n_hosts; h++)
        known |= !strcmp(base->hosts[h]->name, like);
    if (code == PLC_EXIT_OK && like && !known) {
        cli_error("--like: '%s' is not a host of the cluster", like);
        code = PLC_EXIT_USAGE;
    }
    bool progress = !quiet && isatty(2);
    struct count x = {0};
    long added = add;
    double t0 = plc_now_ms();
    if (code == PLC_EXIT_OK && target) {
        /* the fewest hosts like LIKE for `target` more copies: doubling,
         * then halving (more hosts never take fewer copies) */
        unsigned long want = (unsigned long)target;
        unsigned lo = 0, hi = 0, n = 0;
        bool found = false;
        for (;;) {
            Placer__Cluster *c = with_hosts(base, n, like);
            char what[64];
            snprintf(what, sizeof what, "%u hosts added: ", n);
            code = c ? count_copies(c, wd, nw, mix, want, objective, limit_ns,
                                    progress ? what : NULL, &x)
                     : PLC_EXIT_SOFTWARE;
            if (code != PLC_EXIT_OK)
                break;
            if (x.total >= want) {
                found = true;
                hi = n;
                break;
            }
            lo = n;
            count_release(&x);
            if (n >= (unsigned)max_hosts)
                break;
            n = n ? 2 * n : 1;
            if (n > (unsigned)max_hosts)
                n = (unsigned)max_hosts;
        }
        if (code == PLC_EXIT_OK && !found) {
            if (progress)
                fputc('\n', stderr);
            cli_error("--target %ld: not even %ld hosts like %s (--max-hosts) "
                      "take %ld more copies; what binds is not the hosts' "
                      "room (placer capacity without --target shows it)",
                      target, max_hosts, like, target);
            code = PLC_EXIT_NEGATIVE;
        }
        /* lo takes fewer, hi enough: the least between */
        while (code == PLC_EXIT_OK && found && hi - lo > 1 && hi > 0) {
            unsigned mid = lo + (hi - lo) / 2;
            struct count y;
            Placer__Cluster *c = with_hosts(base, mid, like);
            char what[64];
            snprintf(what, sizeof what, "%u hosts added: ", mid);
            code = c ? count_copies(c, wd, nw, mix, want, objective, limit_ns,
                                    progress ? what : NULL, &y)
                     : PLC_EXIT_SOFTWARE;
            if (code != PLC_EXIT_OK) {
                count_release(&y);
                break;
            }
            if (y.total >= want) {
                hi = mid;
                count_release(&x);
                x = y;
            } else {
                lo = mid;
                count_release(&y);
            }
        }
        added = hi;
        max = want;
    } else if (code == PLC_EXIT_OK) {
        Placer__Cluster *c = with_hosts(base, (unsigned)add, like);
        code = c ? count_copies(c, wd, nw, mix, max, objective, limit_ns,
                                progress ? "" : NULL, &x)
                 : PLC_EXIT_SOFTWARE;
    }
    if (progress)
        fputc('\n', stderr);
    if (code == PLC_EXIT_OK && (add || target) && !json)
        printf("with %ld host%s like %s added%s:\n", added,
               added == 1 ? "" : "s", like,
               target ? " (the fewest for --target)" : "");
    struct outcome o = {.d = x.d,
                        .base = x.base,
                        .svc = x.svc,
                        .wd = wd,
                        .mix = mix,
                        .done = x.done,
                        .nw = nw,
                        .total = x.total,
                        .max = max,
                        .rejected = x.rejected,
                        .rejected_of = x.rejected_of,
                        .ms = plc_now_ms() - t0,
                        .added = added,
                        .like = like,
                        .target = target};
    if (code == PLC_EXIT_OK)
        code = json ? print_json(&o) : print_text(&o);
    count_release(&x);
    proto_doc_release(&cd);
    for (size_t i = 0; i < nw; i++)
        proto_doc_release(&wd[i]);
    return code;
}
