/* Shortest paths and diameter of the topology graph. */
#include <criterion/criterion.h>

#include "place/topo.h"
#include "plc/error.h"

/* a - b - c - d in a line, plus a slow shortcut a - d */
static struct place_topo *line4(void)
{
    struct place_topo *t = place_topo_new(4);
    cr_assert_not_null(t);
    cr_assert_eq(place_topo_add_link(t, 0, 1, 10, 1), 0);
    cr_assert_eq(place_topo_add_link(t, 1, 2, 10, 1), 0);
    cr_assert_eq(place_topo_add_link(t, 2, 3, 10, 1), 0);
    cr_assert_eq(place_topo_add_link(t, 0, 3, 100, 1), 0);
    return t;
}

Test(place_topo, hops_and_latency_take_different_paths)
{
    struct place_topo *t = line4();
    uint64_t d[4];
    cr_assert_eq(place_topo_distances(t, 0, false, d), 0);
    cr_assert_eq(d[3], 1); /* the shortcut is one hop */
    cr_assert_eq(d[2], 2);
    cr_assert_eq(place_topo_distances(t, 0, true, d), 0);
    cr_assert_eq(d[3], 30); /* three fast links beat the 100 shortcut */
    place_topo_free(t);
}

Test(place_topo, paths_do_not_pass_through_non_forwarding_nodes)
{
    struct place_topo *t = line4();
    place_topo_set_forwarding(t, 1, false);
    uint64_t d[4];
    cr_assert_eq(place_topo_distances(t, 0, true, d), 0);
    cr_assert_eq(d[1], 10);  /* it may be an end point */
    cr_assert_eq(d[2], 110); /* but not a transit: a - d - c */
    cr_assert_eq(place_topo_distances(t, 1, true, d), 0);
    cr_assert_eq(d[3], 20); /* and it may start a path */
    place_topo_free(t);
}

Test(place_topo, diameter_between_terminals_and_disconnected_pairs)
{
    struct place_topo *t = place_topo_new(5);
    cr_assert_eq(place_topo_add_link(t, 0, 1, 5, 1), 0);
    cr_assert_eq(place_topo_add_link(t, 1, 2, 7, 1), 0);
    /* node 3 and 4 joined to each other only */
    cr_assert_eq(place_topo_add_link(t, 3, 4, 1, 1), 0);
    bool term[5] = {true, false, true, true, false};
    struct place_diameter dia;
    cr_assert_eq(place_topo_diameter(t, term, &dia), 0);
    cr_assert_eq(dia.hops, 2);
    cr_assert_eq(dia.latency_ns, 12);
    cr_assert_eq(dia.unreachable_pairs, 2); /* 0-3 and 2-3 */
    cr_assert_eq(place_topo_links(t), 3);
    place_topo_free(t);
}

Test(place_topo, bad_links_are_refused)
{
    struct place_topo *t = place_topo_new(2);
    cr_assert_eq(place_topo_add_link(t, 0, 0, 1, 1), PLC_EINVAL);
    cr_assert_eq(place_topo_add_link(t, 0, 2, 1, 1), PLC_EINVAL);
    cr_assert_eq(place_topo_links(t), 0);
    place_topo_free(t);
    place_topo_free(NULL);
}
