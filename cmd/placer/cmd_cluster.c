/* cmd_cluster.c: `placer cluster gen|import|show` */
#include "cli.h"
#include "model/model.h"
#include "place/topo.h"
#include "plc/buf.h"
#include "plc/limits.h"
#include "proto/json.h"
#include "proto/load.h"
#include "proto/topo.h"
#include "proto/validate.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage: placer cluster gen fat-tree --k K [OPTIONS]\n"
    "       placer cluster import graphml|sndlib FILE [OPTIONS]\n"
    "       placer cluster show FILE [--json]\n"
    "       placer [--server EP] cluster apply [--force] FILE\n"
    "\n"
    "gen fat-tree   print a k-ary fat-tree as a cluster file: k pods of k/2\n"
    "               edge and k/2 aggregation switches, (k/2)^2 core\n"
    "               switches, k^3/4 hosts (k=4: 16 hosts, 20 switches, 48\n"
    "               links). Host h-P-E-H hangs off edge-P-E.\n"
    "import         turn a real topology into a cluster file: GraphML\n"
    "               (Internet Topology Zoo) or SNDlib native. Link latency\n"
    "               is the great-circle distance at 5 us per km where both\n"
    "               ends have coordinates, else --latency; the rate is the\n"
    "               file's (GraphML LinkSpeedRaw, SNDlib pre-installed\n"
    "               capacity in Mbit/s) or --rate. Each node becomes a host,\n"
    "               or with --hosts-per-node N a switch with N hosts\n"
    "               NODE-h1..NODE-hN. What was substituted is noted on\n"
    "               stderr.\n"
    "show           summarise a cluster file: hosts, cores, switches,\n"
    "               links, capacity, diameter between hosts in hops and in\n"
    "               latency.\n"
    "\n"
    "Options of gen and import:\n"
    "  --k K                fat-tree arity, even, 2..64 (gen; required)\n"
    "  --cores N            cores per host (default 1)\n"
    "  --memory SIZE        memory per host, e.g. 64GiB (default: not\n"
    "                       constrained)\n"
    "  --rate RATE          link rate (default 10Gbit)\n"
    "  --latency TIME       link latency (default 1us for gen, 1ms for\n"
    "                       import links without coordinates)\n"
    "  --buffer SIZE        output buffer per port, enables the network-\n"
    "                       calculus port check (default none)\n"
    "  --hosts-per-node N   import: N hosts per topology node (default 0:\n"
    "                       the node is the host)\n"
    "  --access-rate RATE   import: rate of host-to-node links (10Gbit)\n"
    "  --access-latency TIME  import: latency of host-to-node links (1us)\n"
    "\n"
    "The cluster file is printed on stdout; redirect it to a file.\n"
    "Exit status: 0 success, 64 usage error, 65 bad input file, 66 file\n"
    "missing.\n";

enum {
    OPT_K = 256,
    OPT_CORES,
    OPT_CAPACITY,
    OPT_MEMORY,
    OPT_RATE,
    OPT_LATENCY,
    OPT_BUFFER,
    OPT_HPN,
    OPT_ARATE,
    OPT_ALAT,
    OPT_JSON,
};

static const struct option opts[] = {
    {"k", required_argument, 0, OPT_K},
    {"cores", required_argument, 0, OPT_CORES},
    {"core-capacity", required_argument, 0, OPT_CAPACITY},
    {"memory", required_argument, 0, OPT_MEMORY},
    {"rate", required_argument, 0, OPT_RATE},
    {"latency", required_argument, 0, OPT_LATENCY},
    {"buffer", required_argument, 0, OPT_BUFFER},
    {"hosts-per-node", required_argument, 0, OPT_HPN},
    {"access-rate", required_argument, 0, OPT_ARATE},
    {"access-latency", required_argument, 0, OPT_ALAT},
    {"json", no_argument, 0, OPT_JSON},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

struct args {
    struct proto_topo_opts topo;
    long k;
    bool latency_given;
    bool json;
};

/* Parse options from argv[1..]; returns -1 to continue, else an exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
    proto_topo_opts_init(&a->topo);
    a->k = 0;
    a->latency_given = false;
    a->json = false;
    long v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        bool ok = true;
        switch (ch) {
        case OPT_K:
            ok = cli_parse_int("k", optarg, 2, 64, &a->k);
            break;
        case OPT_CORES:
            ok = cli_parse_int("cores", optarg, 1, 65536, &v);
            a->topo.cores = (int)v;
            break;
        case OPT_CAPACITY: {
            char *end;
            a->topo.core_capacity = strtod(optarg, &end);
            ok = end != optarg && !*end && a->topo.core_capacity > 0 &&
                 a->topo.core_capacity <= 1;
            if (!ok)
                cli_error("--core-capacity: \"%s\" is not a fraction in "
                          "(0, 1]",
                          optarg);
            break;
        }
        case OPT_MEMORY:
            ok = cli_parse_qty("memory", PLC_QTY_SIZE, optarg,
                               &a->topo.memory_bytes);
            break;
        case OPT_RATE:
            ok = cli_parse_qty("rate", PLC_QTY_RATE, optarg, &a->topo.rate_bps);
            ok = ok && a->topo.rate_bps > 0;
            break;
        case OPT_LATENCY:
            ok = cli_parse_qty("latency", PLC_QTY_TIME, optarg,
                               &a->topo.latency_ns);
            a->latency_given = true;
            break;
        case OPT_BUFFER:
            ok = cli_parse_qty("buffer", PLC_QTY_SIZE, optarg,
                               &a->topo.buffer_bytes);
            break;
        case OPT_HPN:
            ok = cli_parse_int("hosts-per-node", optarg, 0, 1024, &v);
            a->topo.hosts_per_node = (int)v;
            break;
        case OPT_ARATE:
            ok = cli_parse_qty("access-rate", PLC_QTY_RATE, optarg,
                               &a->topo.access_rate_bps);
            ok = ok && a->topo.access_rate_bps > 0;
            break;
        case OPT_ALAT:
            ok = cli_parse_qty("access-latency", PLC_QTY_TIME, optarg,
                               &a->topo.access_latency_ns);
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("cluster", "unknown option");
        }
        if (!ok)
            return PLC_EXIT_USAGE;
    }
    return -1;
}

/* Print a generated cluster after checking it like any input file: a
 * generator bug must not reach the user as a file placer rejects. */
static int print_cluster(Placer__Cluster *c)
{
    struct plc_diags d = PLC_DIAGS_INIT;
    proto_cluster_validate(c, &d);
    int rc = PLC_EXIT_OK;
    if (d.n) {
        cli_error("internal error: generated cluster is invalid: %s: %s",
                  d.v[0].path, d.v[0].msg);
        rc = PLC_EXIT_SOFTWARE;
    } else {
        rc = cli_print_message(&c->base);
    }
    plc_diags_release(&d);
    placer__cluster__free_unpacked(c, NULL);
    return rc;
}

static int cluster_gen(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (optind >= argc || strcmp(argv[optind], "fat-tree"))
        return cli_usage("cluster", "gen: give the topology kind: fat-tree");
    if (optind + 1 < argc)
        return cli_usage("cluster", "gen: unexpected argument '%s'",
                         argv[optind + 1]);
    if (a.k == 0)
        return cli_usage("cluster", "gen fat-tree: --k K is required");
    if (!a.latency_given)
        a.topo.latency_ns = 1000;
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    if (proto_topo_fat_tree((int)a.k, &a.topo, &c, &err) < 0) {
        cli_error("%s", err.msg);
        return err.code == PLC_EUSAGE ? PLC_EXIT_USAGE : PLC_EXIT_SOFTWARE;
    }
    return print_cluster(c);
}

static int cluster_import(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (optind + 2 != argc)
        return cli_usage("cluster",
                         "import: give the format (graphml or sndlib) and "
                         "one FILE");
    const char *fmt = argv[optind], *path = argv[optind + 1];
    bool graphml = !strcmp(fmt, "graphml");
    if (!graphml && strcmp(fmt, "sndlib"))
        return cli_usage("cluster",
                         "import: unknown format '%s' (accepted: graphml, "
                         "sndlib)",
                         fmt);
    char *text;
    size_t len;
    struct plc_error err = PLC_ERROR_INIT;
    if ((rc = plc_read_file(path, PLC_INPUT_FILE_MAX, &text, &len, &err)) < 0) {
        cli_error("%s", err.msg);
        return plc_exit_code(rc);
    }
    Placer__Cluster *c = NULL;
    struct plc_buf notes = PLC_BUF_INIT;
    rc = graphml
             ? proto_topo_import_graphml(text, len, &a.topo, &c, &notes, &err)
             : proto_topo_import_sndlib(text, len, &a.topo, &c, &notes, &err);
    free(text);
    if (rc < 0) {
        cli_error("cannot import '%s' (%s)", path, err.msg);
        plc_buf_release(&notes);
        return plc_exit_code(rc);
    }
    /* one "placer: note:" line per substitution */
    for (const char *p = plc_buf_str(&notes); *p;) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "placer: note: %s: %.*s\n", path, n, p);
        p += n + (nl ? 1 : 0);
    }
    plc_buf_release(&notes);
    return print_cluster(c);
}

static int cluster_show(int argc, char **argv)
{
    struct args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (optind + 1 != argc)
        return cli_usage("cluster", "show: give one cluster FILE");
    struct proto_doc doc = PROTO_DOC_INIT;
    rc = cli_load_doc(&doc, argv[optind], PROTO_DOC_CLUSTER);
    if (rc != PLC_EXIT_OK) {
        proto_doc_release(&doc);
        return rc;
    }
    const Placer__Cluster *c = (const void *)doc.msg;
    long cores = 0;
    double capacity = 0;
    uint64_t memory = 0, rate = 0;
    size_t unconstrained = 0;
    for (size_t i = 0; i < c->n_hosts; i++) {
        const Placer__Host *h = c->hosts[i];
        int k = h->has_cores ? h->cores : 1;
        cores += k;
        capacity += k * (h->has_core_capacity ? h->core_capacity : 1.0);
        if (h->memory)
            memory += h->memory->bytes;
        else
            unconstrained++;
    }
    for (size_t i = 0; i < c->n_links; i++)
        rate += c->links[i]->rate->bps;
    bool *is_host = NULL;
    struct place_topo *t = model_cluster_topo(c, &is_host);
    struct place_diameter dia = {0};
    if (!t || place_topo_diameter(t, is_host, &dia) < 0) {
        cli_error("cannot summarise '%s' (%s)", doc.name,
                  plc_strerror(PLC_ENOMEM));
        rc = PLC_EXIT_SOFTWARE;
    } else if (a.json) {
        json_t *o = json_pack(
            "{s:i, s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
            "schema", 1, "file", doc.name, "hosts", (json_int_t)c->n_hosts,
            "cores", (json_int_t)cores, "cpu_capacity", capacity,
            "memory_bytes", (json_int_t)memory, "switches",
            (json_int_t)c->n_switches, "links", (json_int_t)c->n_links,
            "link_rate_bps", (json_int_t)rate, "diameter_hops",
            (json_int_t)dia.hops, "diameter_latency_us",
            (json_int_t)((dia.latency_ns + 999) / 1000),
            "disconnected_host_pairs", (json_int_t)dia.unreachable_pairs);
        rc = cli_print_json(o);
    } else {
        printf("cluster %s\n", doc.name);
        printf("  hosts      %zu (%ld cores, %.10g core-equivalents of "
               "capacity)\n",
               c->n_hosts, cores, capacity);
        if (unconstrained == c->n_hosts)
            printf("  memory     not constrained\n");
        else
            printf("  memory     %s%s\n", cli_qty(PLC_QTY_SIZE, memory),
                   unconstrained ? " (some hosts not constrained)" : "");
        printf("  switches   %zu\n", c->n_switches);
        printf("  links      %zu (%s in each direction in total)\n", c->n_links,
               cli_qty(PLC_QTY_RATE, rate));
        if (c->n_hosts < 2)
            printf("  diameter   - (fewer than two hosts)\n");
        else
            printf("  diameter   %llu hops, %s (between hosts)\n",
                   (unsigned long long)dia.hops,
                   cli_qty(PLC_QTY_TIME, dia.latency_ns));
        if (dia.unreachable_pairs)
            printf("  warning    %zu host pairs are not connected\n",
                   dia.unreachable_pairs);
        rc = PLC_EXIT_OK;
    }
    place_topo_free(t);
    free(is_host);
    proto_doc_release(&doc);
    return rc;
}

int cmd_cluster(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help, stderr);
        return PLC_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(help, stdout);
        return PLC_EXIT_OK;
    }
    if (!strcmp(sub, "gen"))
        return cluster_gen(argc - 1, argv + 1);
    if (!strcmp(sub, "import"))
        return cluster_import(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return cluster_show(argc - 1, argv + 1);
    if (!strcmp(sub, "apply"))
        return cmd_cluster_apply(argc - 1, argv + 1);
    return cli_usage("cluster",
                     "unknown subcommand '%s' (accepted: gen, import, show, "
                     "apply)",
                     sub);
}
