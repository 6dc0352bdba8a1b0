/* Field paths and the ordering of collected problems. */
#include <criterion/criterion.h>

#include "plc/diag.h"

Test(diag, paths_use_dots_indexes_and_quoted_keys)
{
    char p[128];
    plc_path_join(p, sizeof p, "", "services", 0);
    cr_assert_str_eq(p, "services");
    plc_path_join(p, sizeof p, p, NULL, 2);
    cr_assert_str_eq(p, "services[2]");
    plc_path_join(p, sizeof p, p, "exec_time", 0);
    cr_assert_str_eq(p, "services[2].exec_time");
    plc_path_join(p, sizeof p, "pmf", "1.5ms", 0);
    cr_assert_str_eq(p, "pmf[\"1.5ms\"]");
    plc_path_join(p, sizeof p, "labels", "a\"b", 0);
    cr_assert_str_eq(p, "labels[\"a\\\"b\"]");
}

Test(diag, sorts_by_position_keeping_ties_in_order)
{
    struct plc_diags d = PLC_DIAGS_INIT;
    plc_diags_add_at(&d, 3, 1, "c");
    plc_diags_add_at(&d, 1, 5, "a");
    plc_diags_add_at(&d, 3, 1, "d");
    plc_diags_add_at(&d, 2, 9, "b");
    plc_diags_sort(&d);
    cr_assert_eq(d.n, 4);
    cr_assert_str_eq(d.v[0].msg, "a");
    cr_assert_str_eq(d.v[1].msg, "b");
    cr_assert_str_eq(d.v[2].msg, "c");
    cr_assert_str_eq(d.v[3].msg, "d");
    plc_diags_release(&d);
    cr_assert_eq(d.n, 0);
}

Test(diag, a_list_stops_at_its_limit_with_a_last_line_that_says_so)
{
    struct plc_diags d = PLC_DIAGS_INIT;
    for (int i = 0; i < 10 * PLC_DIAGS_MAX; i++)
        plc_diags_add_at(&d, 10 * PLC_DIAGS_MAX - i, 1, "problem %d", i);
    cr_assert_eq(d.n, PLC_DIAGS_MAX + 1);
    plc_diags_sort(&d);
    /* sorted by line, the closing line stays last */
    cr_assert_eq(d.v[PLC_DIAGS_MAX].line, -1);
    cr_assert(strstr(d.v[PLC_DIAGS_MAX].msg, "more problems follow"), "%s",
              d.v[PLC_DIAGS_MAX].msg);
    for (size_t i = 1; i < PLC_DIAGS_MAX; i++)
        cr_assert_lt(d.v[i - 1].line, d.v[i].line);
    plc_diags_release(&d);
}
