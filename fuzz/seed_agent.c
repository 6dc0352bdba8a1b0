/* seed_agent: seeds for fuzz_agent in DIR: an apply, a remove and a
 * desired set from placerd (first byte 1), and a journal (first byte 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/placer.pb-c.h"

static void put(const char *dir, const char *name, uint8_t first, const void *p,
                size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        exit(1);
    fputc(first, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static void msg(const char *dir, const char *name, Placer__ServerToAgent *m)
{
    size_t n = placer__server_to_agent__get_packed_size(m);
    uint8_t *b = malloc(n + 1);
    placer__server_to_agent__pack(m, b);
    put(dir, name, 1, b, n);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 64;
    uint32_t cores[] = {0, 1};
    Placer__Reservation cpu = PLACER__RESERVATION__INIT, net = cpu;
    cpu.id = "t/w/s";
    cpu.has_generation = cpu.has_kind = cpu.has_budget_ns = 1;
    cpu.has_period_ns = cpu.has_deadline_ns = 1;
    cpu.generation = 7;
    cpu.kind = PLACER__RESERVATION_KIND__RESERVATION_KIND_CPU;
    cpu.budget_ns = 1000000;
    cpu.period_ns = cpu.deadline_ns = 10000000;
    cpu.cores = cores;
    cpu.n_cores = 2;
    Placer__FlowSpec f = PLACER__FLOW_SPEC__INIT;
    f.src = "10.0.0.1";
    f.dst = "10.0.0.2";
    f.has_dst_port = 1;
    f.dst_port = 5201;
    f.protocol = "tcp";
    net.id = "t/w/a->b/h1>s";
    net.has_generation = net.has_kind = net.has_rate_bps = 1;
    net.generation = 7;
    net.kind = PLACER__RESERVATION_KIND__RESERVATION_KIND_NET;
    net.rate_bps = 10000000;
    net.next_hop = "s";
    net.flow = &f;
    Placer__ServerToAgent m = PLACER__SERVER_TO_AGENT__INIT;
    m.msg_case = PLACER__SERVER_TO_AGENT__MSG_APPLY;
    m.apply = &cpu;
    msg(argv[1], "apply-cpu", &m);
    m.apply = &net;
    msg(argv[1], "apply-net", &m);
    m.msg_case = PLACER__SERVER_TO_AGENT__MSG_REMOVE;
    m.remove = &cpu;
    msg(argv[1], "remove", &m);
    Placer__Reservation *all[] = {&cpu, &net};
    Placer__DesiredSet d = PLACER__DESIRED_SET__INIT;
    d.reservations = all;
    d.n_reservations = 2;
    m.msg_case = PLACER__SERVER_TO_AGENT__MSG_DESIRED;
    m.desired = &d;
    msg(argv[1], "desired", &m);
    const char *j =
        "{\"schema\":2,\"boot_id\":\"\"}\n"
        "{\"put\":{\"id\":\"t/w/s\",\"generation\":7,\"kind\":1,\"backend\":"
        "\"dryrun\",\"budget_ns\":1000000,\"period_ns\":10000000,"
        "\"deadline_ns\":10000000,\"vcpus\":2,\"cores\":[0,1],\"pid\":0,"
        "\"tids\":[],\"done\":true}}\n"
        "{\"del\":\"t/w/x\"}\n";
    put(argv[1], "journal", 0, j, strlen(j));
    return 0;
}
