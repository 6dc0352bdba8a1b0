/* Generated and imported clusters: counts equal the source, and the result
 * is a valid cluster file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/topo.h"
#include "proto/validate.h"
#include "util.h"

static void assert_valid(const Placer__Cluster *c, const char *what)
{
    struct plc_diags d = PLC_DIAGS_INIT;
    proto_cluster_validate(c, &d);
    cr_assert_eq(d.n, 0, "%s: %s: %s", what, d.n ? d.v[0].path : "",
                 d.n ? d.v[0].msg : "");
    plc_diags_release(&d);
}

Test(topo, fat_tree_counts_for_k_4_8_16)
{
    const int ks[] = {4, 8, 16};
    for (int i = 0; i < 3; i++) {
        int k = ks[i];
        struct proto_topo_opts o;
        proto_topo_opts_init(&o);
        Placer__Cluster *c;
        struct plc_error err = PLC_ERROR_INIT;
        cr_assert_eq(proto_topo_fat_tree(k, &o, &c, &err), 0);
        cr_assert_eq(c->n_hosts, (size_t)(k * k * k / 4), "k=%d", k);
        cr_assert_eq(c->n_switches, (size_t)(5 * k * k / 4), "k=%d", k);
        cr_assert_eq(c->n_links, (size_t)(3 * k * k * k / 4), "k=%d", k);
        assert_valid(c, "fat-tree");
        placer__cluster__free_unpacked(c, NULL);
    }
}

Test(topo, fat_tree_k4_is_16_hosts_20_switches_48_links)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(4, &o, &c, &err), 0);
    cr_assert_eq(c->n_hosts, 16);
    cr_assert_eq(c->n_switches, 20);
    cr_assert_eq(c->n_links, 48);
    placer__cluster__free_unpacked(c, NULL);
}

Test(topo, fat_tree_rejects_odd_arity)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    Placer__Cluster *c;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(proto_topo_fat_tree(3, &o, &c, &err), PLC_EUSAGE);
    cr_assert_null(c);
    cr_assert(strstr(err.msg, "must be even"));
}

/* Nodes and links of an SNDlib file counted independently: the lines
 * inside its NODES ( ... ) and LINKS ( ... ) sections. */
static void sndlib_counts(const char *text, size_t *nodes, size_t *links)
{
    *nodes = *links = 0;
    size_t *cur = NULL;
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (!strncmp(p, "NODES (", 7))
            cur = nodes;
        else if (!strncmp(p, "LINKS (", 7))
            cur = links;
        else if (n >= 1 && p[0] == ')')
            cur = NULL;
        else if (cur && n > 2 && p[0] == ' ')
            (*cur)++;
        p = nl ? nl + 1 : NULL;
    }
}

static Placer__Cluster *import(const char *rel, bool graphml, int per_node)
{
    size_t len;
    char *text = slurp(src_path(rel), &len);
    cr_assert_not_null(text, "%s", rel);
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    o.hosts_per_node = per_node;
    Placer__Cluster *c;
    struct plc_buf notes = PLC_BUF_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = graphml
                 ? proto_topo_import_graphml(text, len, &o, &c, &notes, &err)
                 : proto_topo_import_sndlib(text, len, &o, &c, &notes, &err);
    cr_assert_eq(rc, 0, "%s: %s", rel, err.msg);
    plc_buf_release(&notes);
    free(text);
    return c;
}

Test(topo, every_graphml_file_imports_with_its_counts)
{
    size_t n;
    char **files =
        list_files(src_path("tests/data/topologies/zoo"), ".graphml", &n);
    cr_assert_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "tests/data/topologies/zoo/%s", files[i]);
        char *text = slurp(src_path(rel), NULL);
        size_t nodes = count_substr(text, "<node "),
               edges = count_substr(text, "<edge ");
        free(text);
        Placer__Cluster *c = import(rel, true, 0);
        cr_assert_eq(c->n_hosts, nodes, "%s", rel);
        cr_assert_eq(c->n_switches, 0);
        cr_assert_eq(c->n_links, edges, "%s", rel);
        assert_valid(c, rel);
        placer__cluster__free_unpacked(c, NULL);
        /* with hosts per node: nodes become switches */
        c = import(rel, true, 3);
        cr_assert_eq(c->n_switches, nodes, "%s", rel);
        cr_assert_eq(c->n_hosts, 3 * nodes, "%s", rel);
        cr_assert_eq(c->n_links, edges + 3 * nodes, "%s", rel);
        assert_valid(c, rel);
        placer__cluster__free_unpacked(c, NULL);
    }
    free_names(files);
}

Test(topo, every_sndlib_file_imports_with_its_counts)
{
    size_t n;
    char **files =
        list_files(src_path("tests/data/topologies/sndlib"), ".txt", &n);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "tests/data/topologies/sndlib/%s", files[i]);
        char *text = slurp(src_path(rel), NULL);
        size_t nodes, links;
        sndlib_counts(text, &nodes, &links);
        free(text);
        cr_assert_gt(nodes, 0, "%s", rel);
        Placer__Cluster *c = import(rel, false, 0);
        cr_assert_eq(c->n_hosts, nodes, "%s", rel);
        cr_assert_eq(c->n_links, links, "%s", rel);
        assert_valid(c, rel);
        placer__cluster__free_unpacked(c, NULL);
    }
    free_names(files);
}

Test(topo, abilene_rates_and_latencies_come_from_the_file)
{
    Placer__Cluster *c =
        import("tests/data/topologies/sndlib/abilene.txt", false, 0);
    /* ATLAng_IPLSng has 2480 Mbit/s pre-installed, every other 9920 */
    size_t slow = 0;
    for (size_t i = 0; i < c->n_links; i++) {
        const Placer__Link *l = c->links[i];
        if (l->rate->bps == 2480000000ULL)
            slow++;
        else
            cr_assert_eq(l->rate->bps, 9920000000ULL);
        cr_assert_gt(l->latency->ns, 0);
    }
    cr_assert_eq(slow, 1);
    placer__cluster__free_unpacked(c, NULL);
}

Test(topo, great_circle_distance_matches_a_known_value)
{
    /* New York (40.7128, -74.0060) to Los Angeles (34.0522, -118.2437):
     * 3936 km by the haversine formula on a 6371 km sphere */
    double km = proto_topo_distance_km(40.7128, -74.0060, 34.0522, -118.2437);
    cr_assert(fabs(km - 3935.7) < 1.0, "%f", km);
    cr_assert_eq(proto_topo_distance_km(10, 20, 10, 20), 0);
}

Test(topo, garbage_is_refused_with_a_reason)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    Placer__Cluster *c;
    struct plc_buf notes = PLC_BUF_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    const char *x = "<graphml><graph></graph></graphml>";
    cr_assert_eq(proto_topo_import_graphml(x, strlen(x), &o, &c, &notes, &err),
                 PLC_EDATA);
    cr_assert_str_eq(err.msg, "the graph has no nodes");
    plc_error_clear(&err);
    cr_assert_eq(proto_topo_import_graphml("<a", 2, &o, &c, &notes, &err),
                 PLC_EDATA);
    plc_error_clear(&err);
    const char *s = "NODES (\n  A ( 1 2 )\n)\nLINKS (\n  L ( A B ) 1 0 0 0 "
                    "( )\n)\n";
    cr_assert_eq(proto_topo_import_sndlib(s, strlen(s), &o, &c, &notes, &err),
                 PLC_EDATA);
    cr_assert_str_eq(err.msg, "line 5: link \"L\" names unknown node \"B\"");
    plc_buf_release(&notes);
}

Test(topo, a_link_from_a_node_to_itself_is_skipped_with_a_note)
{
    /* found by fuzz_import: such a link made an invalid cluster */
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    Placer__Cluster *c = NULL;
    struct plc_buf notes = PLC_BUF_INIT;
    struct plc_error err = PLC_ERROR_INIT;
    const char *s = "NODES (\n  A ( 1 2 )\n  B ( 3 4 )\n)\nLINKS (\n"
                    "  L1 ( A B ) 1 0 0 0 ( )\n  L2 ( A A ) 1 0 0 0 ( )\n)\n";
    cr_assert_eq(proto_topo_import_sndlib(s, strlen(s), &o, &c, &notes, &err),
                 0, "%s", err.msg);
    cr_assert_eq(c->n_links, 1);
    cr_assert(strstr(plc_buf_str(&notes), "1 link from a node to itself"), "%s",
              plc_buf_str(&notes));
    struct plc_diags d = PLC_DIAGS_INIT;
    proto_cluster_validate(c, &d);
    cr_assert_eq(d.n, 0);
    plc_diags_release(&d);
    placer__cluster__free_unpacked(c, NULL);
    plc_buf_release(&notes);
}

/* Import SNDlib text that must be refused with `code`; its message. */
static void sndlib_refused(const char *s, int code, struct plc_error *err)
{
    struct proto_topo_opts o;
    proto_topo_opts_init(&o);
    Placer__Cluster *c = NULL;
    struct plc_buf notes = PLC_BUF_INIT;
    cr_assert_eq(proto_topo_import_sndlib(s, strlen(s), &o, &c, &notes, err),
                 code, "%s", err->msg);
    cr_assert_null(c);
    plc_buf_release(&notes);
}

Test(topo, a_file_cut_off_inside_a_section_is_refused)
{
    struct plc_error err = PLC_ERROR_INIT;
    sndlib_refused("NODES (\n  A ( 1 2 )\n  B ( 3 4 )\n", PLC_EDATA, &err);
    cr_assert(strstr(err.msg, "NODES section is not closed"), "%s", err.msg);
    cr_assert(strstr(err.msg, "cut off"), "%s", err.msg);
}

/* 1,001 nodes of one name (renaming stopped at -999 and the importer made
 * an invalid cluster, found by fuzz_import), and names that collide with
 * the hosts another node gets ("A-h1"): every name comes out unique. */
Test(topo, any_number_of_same_named_nodes_get_unique_names)
{
    struct plc_buf in = PLC_BUF_INIT;
    plc_buf_printf(&in, "NODES (\n  A-h1 ( 0 0 )\n");
    for (int i = 0; i < 1001; i++)
        plc_buf_printf(&in, "  A ( 0 0 )\n");
    plc_buf_printf(&in, ")\nLINKS (\n  L ( A A-h1 ) 1 0 0 0 ( )\n)\n");
    for (int per_node = 0; per_node <= 2; per_node++) {
        struct proto_topo_opts o;
        proto_topo_opts_init(&o);
        o.hosts_per_node = per_node;
        Placer__Cluster *c = NULL;
        struct plc_buf notes = PLC_BUF_INIT;
        struct plc_error err = PLC_ERROR_INIT;
        cr_assert_eq(proto_topo_import_sndlib(plc_buf_str(&in), in.len, &o, &c,
                                              &notes, &err),
                     0, "%d: %s", per_node, err.msg);
        cr_assert_eq(per_node ? c->n_switches : c->n_hosts, 1002);
        cr_assert_eq(c->n_hosts, per_node ? 1002u * per_node : 1002u);
        assert_valid(c, "1,002 nodes of two names");
        placer__cluster__free_unpacked(c, NULL);
        plc_buf_release(&notes);
    }
    plc_buf_release(&in);
}

/* 1e400 overflowed to "no rate", and the link got the 10 Gbit default */
Test(topo, a_capacity_out_of_range_is_refused_not_defaulted)
{
    struct plc_error err = PLC_ERROR_INIT;
    sndlib_refused("NODES (\n  A ( 1 2 )\n  B ( 3 4 )\n)\nLINKS (\n"
                   "  L1 ( A B ) 1e400 0 0 0 ( )\n)\n",
                   PLC_ERANGE, &err);
    cr_assert(strstr(err.msg, "line 6: capacity \"1e400\" Mbit/s is out of "
                              "range"),
              "%s", err.msg);
}
