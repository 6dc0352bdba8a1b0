/* The agent's table, journal and reconciliation, with the dryrun backend
 * (no privileges needed); the kernel backends are tested end to end as
 * root by test_enforce.sh and test_htb.sh. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "plc/error.h"

struct log {
    int applied, removed, failed;
    char last_error[512];
    char ids[32][64];
    int n;
};

static void on_result(void *arg, const struct agent_res *r, int op, int errnum,
                      const char *error)
{
    struct log *l = arg;
    if (errnum) {
        l->failed++;
        snprintf(l->last_error, sizeof l->last_error, "%s", error);
    } else if (op == 2) {
        l->removed++;
    } else {
        l->applied++;
    }
    if (l->n < 32)
        snprintf(l->ids[l->n++], 64, "%c%.60s", op == 2 ? '-' : '+', r->id);
}

static struct agent_res cpu(const char *id, uint64_t gen)
{
    struct agent_res r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id);
    r.generation = gen;
    r.kind = AGENT_CPU;
    r.budget_ns = 1000000;
    r.period_ns = r.deadline_ns = 10000000;
    r.vcpus = 1;
    return r;
}

static char journal[64];

static struct agent *open_agent(int backends)
{
    struct agent_config c = {backends, journal, NULL, NULL, 0, NULL};
    struct agent *a;
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(agent_open(&a, &c, &err), 0, "%s", err.msg);
    return a;
}

static void setup(void)
{
    snprintf(journal, sizeof journal, "/tmp/placer-journal-%d.json",
             (int)getpid());
    unlink(journal);
}

static void teardown(void)
{
    unlink(journal);
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", journal);
    unlink(tmp);
}

TestSuite(agent, .init = setup, .fini = teardown);

Test(agent, backends_parse)
{
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(agent_backends_parse("deadline,htb", &err),
                 AGENT_BE_DEADLINE | AGENT_BE_HTB);
    cr_assert_eq(agent_backends_parse("cgroup", &err), AGENT_BE_CGROUP);
    cr_assert_eq(agent_backends_parse("deadline,warp", &err), 0);
    cr_assert(strstr(err.msg, "unknown backend 'warp'"), "%s", err.msg);
    plc_error_clear(&err);
    cr_assert_eq(agent_backends_parse("dryrun,htb", &err), 0);
    cr_assert(strstr(err.msg, "does not combine"), "%s", err.msg);
}

Test(agent, reconcile_removes_the_unwanted_and_applies_the_missing)
{
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    struct agent_res r[3] = {cpu("t/w/a", 1), cpu("t/w/b", 1), cpu("t/w/c", 1)};
    struct log l = {0};
    agent_apply_many(a, r, 3, on_result, &l);
    cr_assert_eq(l.applied, 3);
    cr_assert_eq(agent_count(a), 3);
    /* the desired set now: b unchanged, c at a new generation, d new */
    struct agent_res want[3] = {cpu("t/w/b", 1), cpu("t/w/c", 2),
                                cpu("t/w/d", 1)};
    memset(&l, 0, sizeof l);
    agent_reconcile(a, want, 3, on_result, &l);
    cr_assert_eq(l.removed, 1);
    cr_assert_eq(l.applied, 3);
    cr_assert_str_eq(l.ids[0], "-t/w/a");
    cr_assert_eq(agent_count(a), 3);
    for (size_t i = 0; i < agent_count(a); i++)
        cr_assert_str_neq(agent_at(a, i)->res.id, "t/w/a");
    agent_close(a);
}

Test(agent, the_journal_brings_back_what_was_applied)
{
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    struct agent_res r[2] = {cpu("t/w/a", 7), cpu("t/w/b", 9)};
    r[1].pid = 4242;
    r[1].cores[0] = 1;
    r[1].n_cores = 1;
    agent_apply_many(a, r, 2, NULL, NULL);
    agent_close(a);
    a = open_agent(AGENT_BE_DRYRUN);
    cr_assert_eq(agent_count(a), 2);
    const struct agent_applied *b = agent_at(a, 1);
    cr_assert_str_eq(b->res.id, "t/w/b");
    cr_assert_eq(b->res.generation, 9);
    cr_assert_eq(b->res.pid, 4242);
    cr_assert_eq(b->res.n_cores, 1);
    cr_assert_eq(b->res.cores[0], 1);
    cr_assert_str_eq(b->backend, "dryrun");
    cr_assert_eq(b->errnum, 0);
    /* remove one: gone from the journal too */
    struct log l = {0};
    cr_assert_eq(agent_remove(a, "t/w/a", 7, on_result, &l), 0);
    cr_assert_eq(l.removed, 1);
    /* removing what is not there succeeds (idempotent) */
    cr_assert_eq(agent_remove(a, "t/w/zz", 1, on_result, &l), 0);
    cr_assert_eq(l.removed, 2);
    agent_close(a);
    a = open_agent(AGENT_BE_DRYRUN);
    cr_assert_eq(agent_count(a), 1);
    agent_close(a);
}

Test(agent, a_journal_of_another_boot_is_ignored)
{
    FILE *f = fopen(journal, "w");
    fputs("{\"schema\":2,\"boot_id\":\"not-this-boot\"}\n"
          "{\"put\":{\"id\":\"t/w/a\",\"generation\":1,\"kind\":1,"
          "\"backend\":\"deadline\",\"pid\":1,\"done\":true}}\n",
          f);
    fclose(f);
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    cr_assert_eq(agent_count(a), 0);
    agent_close(a);
}

Test(agent, an_interrupted_apply_is_applied_again)
{
    char boot[64] = "";
    FILE *b = fopen("/proc/sys/kernel/random/boot_id", "r");
    cr_assert(b && fgets(boot, sizeof boot, b));
    fclose(b);
    boot[strcspn(boot, "\n")] = 0;
    FILE *f = fopen(journal, "w");
    /* and a last record cut short by the crash */
    fprintf(f,
            "{\"schema\":2,\"boot_id\":\"%s\"}\n"
            "{\"put\":{\"id\":\"t/w/a\",\"generation\":1,\"kind\":1,"
            "\"backend\":\"dryrun\",\"budget_ns\":1000000,\"period_ns\":"
            "10000000,\"deadline_ns\":10000000,\"vcpus\":1,\"done\":"
            "false}}\n{\"put\":{\"id\":\"t/w/",
            boot);
    fclose(f);
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    cr_assert_eq(agent_count(a), 1);
    cr_assert_eq(agent_at(a, 0)->errnum, EINTR);
    struct log l = {0};
    struct agent_res r = cpu("t/w/a", 1);
    agent_apply_many(a, &r, 1, on_result, &l);
    cr_assert_eq(l.applied, 1);
    cr_assert_eq(agent_at(a, 0)->errnum, 0);
    agent_close(a);
}

Test(agent, a_kind_without_a_backend_fails_with_the_fix)
{
    struct agent *a = open_agent(AGENT_BE_CGROUP);
    struct agent_res r = cpu("t/w/link", 1);
    r.kind = AGENT_NET;
    struct log l = {0};
    agent_apply_many(a, &r, 1, on_result, &l);
    cr_assert_eq(l.failed, 1);
    cr_assert(strstr(l.last_error, "--backend htb"), "%s", l.last_error);
    agent_close(a);
}

Test(agent, the_last_of_two_applies_of_one_id_wins)
{
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    struct agent_res r[2] = {cpu("t/w/a", 1), cpu("t/w/a", 2)};
    r[1].budget_ns = 2000000;
    agent_apply_many(a, r, 2, NULL, NULL);
    cr_assert_eq(agent_count(a), 1);
    cr_assert_eq(agent_at(a, 0)->res.generation, 2);
    cr_assert_eq(agent_at(a, 0)->res.budget_ns, 2000000);
    agent_close(a);
}

Test(agent, the_journal_grows_with_the_changes_and_is_compacted)
{
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    struct agent_res r = cpu("t/w/x", 1);
    /* 300 reservations, one apply at a time, then 290 removed */
    for (int i = 0; i < 300; i++) {
        snprintf(r.id, sizeof r.id, "t/w/s%d", i);
        agent_apply_many(a, &r, 1, NULL, NULL);
    }
    struct log l = {0};
    for (int i = 0; i < 290; i++) {
        char id[32];
        snprintf(id, sizeof id, "t/w/s%d", i);
        agent_remove(a, id, 1, on_result, &l);
    }
    cr_assert_eq(l.removed, 290);
    agent_close(a);
    /* the file holds a bounded number of records */
    FILE *f = fopen(journal, "r");
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    cr_assert_leq(lines, 2 * 10 + 64 + 2, "%d lines for 10 entries", lines);
    a = open_agent(AGENT_BE_DRYRUN);
    cr_assert_eq(agent_count(a), 10);
    for (size_t i = 0; i < agent_count(a); i++)
        cr_assert_geq(atoi(agent_at(a, i)->res.id + 5), 290);
    agent_close(a);
}

Test(agent, an_unbound_deadline_reservation_stays_enforced_as_it_is)
{
    struct agent *a = open_agent(AGENT_BE_DEADLINE);
    struct agent_res r = cpu("t/w/free", 1);
    struct log l = {0};
    agent_apply_many(a, &r, 1, on_result, &l);
    agent_apply_many(a, &r, 1, on_result, &l); /* unchanged: no process */
    cr_assert_eq(l.applied, 2, "%s", l.last_error);
    cr_assert_eq(l.failed, 0, "%s", l.last_error);
    agent_close(a);
}

Test(agent, a_backend_no_longer_given_hands_over_to_the_one_that_is)
{
    char root[] = "/tmp/placer-cgroot-XXXXXX";
    cr_assert_not_null(mkdtemp(root));
    struct agent *a = open_agent(AGENT_BE_DRYRUN);
    struct agent_res r = cpu("t/w/a", 1);
    agent_apply_many(a, &r, 1, NULL, NULL);
    agent_close(a);
    /* the same reservation, the agent now with cgroup (a plain directory
     * stands for the cgroup mount) */
    char cpu_dir[128];
    snprintf(cpu_dir, sizeof cpu_dir, "%s/cpu", root);
    cr_assert_eq(mkdir(cpu_dir, 0700), 0);
    struct agent_config c = {AGENT_BE_CGROUP, journal, root, NULL, 0, NULL};
    struct plc_error err = PLC_ERROR_INIT;
    cr_assert_eq(agent_open(&a, &c, &err), 0, "%s", err.msg);
    struct log l = {0};
    agent_apply_many(a, &r, 1, on_result, &l);
    cr_assert_eq(l.applied, 1, "%s", l.last_error);
    cr_assert_str_eq(agent_at(a, 0)->backend, "cgroup");
    char p[256], v[32] = "";
    snprintf(p, sizeof p, "%s/cpu/placer/t_w_a/cpu.cfs_quota_us", root);
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f, "%s", p);
    cr_assert_not_null(fgets(v, sizeof v, f));
    fclose(f);
    cr_assert_str_eq(v, "1000"); /* 1 ms per 10 ms, one vCPU */
    agent_close(a);
    snprintf(p, sizeof p, "rm -rf '%s'", root);
    cr_assert_eq(system(p), 0);
}
