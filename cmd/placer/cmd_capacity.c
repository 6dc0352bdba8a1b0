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

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
    "Usage: placer capacity --cluster CLUSTER.json [OPTIONS] WORKFLOW.json "
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
    "Options:\n"
    "  --cluster FILE      the cluster (required); its background load\n"
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

int cmd_capacity(int argc, char **argv)
{
    enum { O_CLUSTER = 256, O_MIX, O_MAX, O_OBJ, O_TIME, O_JSON, O_QUIET };
    static const struct option opts[] = {
        {"cluster", required_argument, 0, O_CLUSTER},
        {"mix", required_argument, 0, O_MIX},
        {"max", required_argument, 0, O_MAX},
        {"objective", required_argument, 0, O_OBJ},
        {"time-limit", required_argument, 0, O_TIME},
        {"json", no_argument, 0, O_JSON},
        {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *cluster = NULL, *mix_s = NULL;
    int objective = 0, ch;
    uint64_t limit_ns = 2000000000ULL;
    unsigned long max = 100000;
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
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("capacity", "unknown option");
        }
    }
    if (!cluster)
        return cli_usage("capacity", "--cluster FILE is required");
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
    int code = cli_load_doc(&cd, cluster, PROTO_DOC_CLUSTER);
    for (size_t i = 0; code == PLC_EXIT_OK && i < nw; i++) {
        code = cli_load_doc(&wd[i], argv[optind + (int)i], PROTO_DOC_WORKFLOW);
        if (code == PLC_EXIT_OK &&
            proto_doc_check_refs(&wd[i], (const Placer__Cluster *)cd.msg) ==
                PLC_EDATA) {
            proto_doc_print_diags(&wd[i], stderr);
            code = PLC_EXIT_DATAERR;
        }
    }
    struct srv_decider *d = NULL;
    if (code == PLC_EXIT_OK) {
        /* the decider takes the cluster */
        Placer__Cluster *c = (Placer__Cluster *)cd.msg;
        cd.msg = NULL;
        if (srv_decider_new(c, &d) < 0) {
            cli_error("out of memory");
            code = PLC_EXIT_SOFTWARE;
        }
    }
    const Placer__Cluster *base = d ? srv_decider_residual(d) : NULL;
    size_t H = base ? base->n_hosts : 0, L = base ? base->n_links : 0;
    size_t done[MAX_WORKFLOWS] = {0};
    size_t *svc = calloc(H + 1, sizeof *svc);
    double *cpu = calloc(H + 1, sizeof *cpu);
    double *rate = calloc(2 * L + 1, sizeof *rate);
    if (code == PLC_EXIT_OK && (!svc || !cpu || !rate)) {
        cli_error("out of memory");
        code = PLC_EXIT_SOFTWARE;
    }
    Placer__Plan *rejected = NULL;
    size_t rejected_of = 0, total = 0;
    bool progress = !quiet && isatty(2);
    double t0 = plc_now_ms();
    while (code == PLC_EXIT_OK && total < max) {
        size_t i = next_of(mix, done, nw);
        const Placer__Workflow *w = (const void *)wd[i].msg;
        struct model_problem mp;
        struct place_plan plan;
        Placer__Plan *doc = NULL;
        struct plc_error err = PLC_ERROR_INIT;
        memset(&mp, 0, sizeof mp);
        memset(&plan, 0, sizeof plan);
        if (srv_decide_plan(d, w, objective, (double)limit_ns / 1e9, &mp, &plan,
                            &doc, &err) < 0) {
            cli_error("%s", err.msg);
            code = plc_exit_code(err.code);
        } else if (!plan.admitted) {
            rejected = doc;
            rejected_of = i;
            doc = NULL;
        } else if (srv_decide_admit(d, w, &plan) < 0) {
            cli_error("cannot count copy %zu of '%s'", done[i] + 1, w->name);
            code = PLC_EXIT_SOFTWARE;
        } else {
            done[i]++;
            total++;
            for (size_t v = 0; v < w->n_services; v++) {
                size_t h = plan.services[v].host;
                svc[h]++;
                cpu[h] +=
                    plan.services[v].item.utilization *
                    (w->services[v]->has_vcpus ? w->services[v]->vcpus : 1);
            }
            for (size_t k = 0; k < w->n_links; k++) {
                const struct place_vlink_plan *vl = &plan.vlinks[k];
                for (size_t s = 0; s + 1 < vl->n_path; s++)
                    for (size_t l = 0; l < L; l++) {
                        const Placer__Link *x = base->links[l];
                        const char *
                            a = mp.problem.cluster->node_names[vl->path[s]],
                           *b = mp.problem.cluster->node_names[vl->path[s + 1]];
                        if (!strcmp(x->a, a) && !strcmp(x->b, b))
                            rate[2 * l] +=
                                (double)mp.problem.vlinks[k].rate_bps;
                        else if (!strcmp(x->a, b) && !strcmp(x->b, a))
                            rate[2 * l + 1] +=
                                (double)mp.problem.vlinks[k].rate_bps;
                    }
            }
        }
        if (doc)
            placer__plan__free_unpacked(doc, NULL);
        place_plan_release(&plan);
        model_problem_release(&mp);
        if (progress && (total % 10 == 0 || rejected))
            fprintf(stderr, "\rplacer capacity: %zu admitted (%.0f/s)  ", total,
                    total / fmax(1e-3, (plc_now_ms() - t0) / 1e3));
        if (rejected)
            break;
    }
    if (progress)
        fputc('\n', stderr);
    double ms = plc_now_ms() - t0;
    if (code == PLC_EXIT_OK && json) {
        json_t *j = json_object();
        json_object_set_new(j, "schema", json_integer(1));
        json_object_set_new(j, "copies", json_integer((json_int_t)total));
        json_t *ws = json_array();
        for (size_t i = 0; i < nw; i++) {
            const Placer__Workflow *w = (const void *)wd[i].msg;
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(w->name));
            json_object_set_new(o, "mix", json_integer(mix[i]));
            json_object_set_new(o, "copies", json_integer((json_int_t)done[i]));
            json_array_append_new(ws, o);
        }
        json_object_set_new(j, "workflows", ws);
        json_t *hs = json_array();
        for (size_t h = 0; h < H; h++) {
            if (!svc[h])
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(base->hosts[h]->name));
            json_object_set_new(o, "services",
                                json_integer((json_int_t)svc[h]));
            json_object_set_new(o, "cpu", json_real(cpu[h]));
            json_array_append_new(hs, o);
        }
        json_object_set_new(j, "hosts", hs);
        json_t *ls = json_array();
        for (size_t l = 0; l < L; l++) {
            for (int dir = 0; dir < 2; dir++) {
                if (rate[2 * l + (size_t)dir] <= 0)
                    continue;
                const Placer__Link *x = base->links[l];
                json_t *o = json_object();
                json_object_set_new(o, "from", json_string(dir ? x->b : x->a));
                json_object_set_new(o, "to", json_string(dir ? x->a : x->b));
                json_object_set_new(
                    o, "rate_bps",
                    json_integer((json_int_t)rate[2 * l + (size_t)dir]));
                json_array_append_new(ls, o);
            }
        }
        json_object_set_new(j, "links", ls);
        if (rejected) {
            json_t *r = json_object();
            json_object_set_new(
                r, "workflow",
                json_string(
                    ((const Placer__Workflow *)wd[rejected_of].msg)->name));
            json_object_set_new(
                r, "rejection",
                rejected->rejection
                    ? proto_message_to_json(&rejected->rejection->base,
                                            PROTO_JSON_EMPTY_ARRAYS)
                    : json_null());
            json_object_set_new(j, "next", r);
        } else {
            json_object_set_new(j, "next", json_null());
        }
        json_object_set_new(j, "time_ms", json_real(ms));
        code = cli_print_json(j);
    } else if (code == PLC_EXIT_OK) {
        printf("%zu more cop%s fit%s", total, total == 1 ? "y" : "ies",
               total == 1 ? "s" : "");
        for (size_t i = 0; i < nw; i++)
            printf("%s%zu of %s", i ? ", " : " (", done[i],
                   ((const Placer__Workflow *)wd[i].msg)->name);
        printf(")%s, in %.1f s\n", total >= max ? ", --max reached" : "",
               ms / 1e3);
        if (rejected) {
            const Placer__Rejection *r = rejected->rejection;
            char rc[32] = "?";
            if (r && r->has_code)
                proto_enum_json_name(&placer__rejection_code__descriptor,
                                     (int)r->code, rc, sizeof rc);
            printf("next: copy %zu of %s is rejected (%s): %s\n",
                   done[rejected_of] + 1,
                   ((const Placer__Workflow *)wd[rejected_of].msg)->name, rc,
                   r && r->message ? r->message : "");
        }
        size_t used = 0;
        for (size_t h = 0; h < H; h++)
            used += svc[h] > 0;
        if (used) {
            printf("\n  %-24s %8s %8s\n", "host", "services", "cpu");
            for (size_t h = 0; h < H; h++)
                if (svc[h])
                    printf("  %-24s %8zu %8.4f\n", base->hosts[h]->name, svc[h],
                           cpu[h]);
        }
        bool any = false;
        for (size_t l = 0; l < 2 * L; l++)
            any |= rate[l] > 0;
        if (any) {
            printf("\n  %-40s %s\n", "link", "reserved");
            for (size_t l = 0; l < L; l++)
                for (int dir = 0; dir < 2; dir++) {
                    double r = rate[2 * l + (size_t)dir];
                    if (r <= 0)
                        continue;
                    const Placer__Link *x = base->links[l];
                    char name[160];
                    snprintf(name, sizeof name, "%s > %s", dir ? x->b : x->a,
                             dir ? x->a : x->b);
                    printf("  %-40s %s\n", name,
                           cli_qty(PLC_QTY_RATE, (uint64_t)llround(r)));
                }
        }
    }
    if (rejected)
        placer__plan__free_unpacked(rejected, NULL);
    free(svc);
    free(cpu);
    free(rate);
    srv_decider_free(d);
    proto_doc_release(&cd);
    for (size_t i = 0; i < nw; i++)
        proto_doc_release(&wd[i]);
    return code;
}
