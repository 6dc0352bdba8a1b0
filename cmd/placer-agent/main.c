/*
 * placer-agent: the node agent that enforces reservations on its host.
 *
 * This build reports what the host offers (--probe); enforcement arrives
 * with the node-agent issue (#6), and until then the agent says so and
 * exits 70 instead of pretending to enforce.
 */
#include "agent/probe.h"
#include "plc/error.h"

#include <getopt.h>
#include <stdio.h>

static const char help[] =
    "Usage: placer-agent --probe\n"
    "\n"
    "The placer node agent: registers its host with placerd and makes the\n"
    "kernel enforce the host's reservations (SCHED_DEADLINE, cgroup CPU\n"
    "quota, tc HTB classes).\n"
    "\n"
    "Options:\n"
    "  --probe     print what this host offers (CPUs, memory, the kernel's\n"
    "              real-time limit) as JSON and exit\n"
    "  -h, --help  show this help\n"
    "\n"
    "Connecting to placerd and enforcing is not part of this build yet;\n"
    "without --probe the agent exits with status 70.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"probe", no_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int probe = 0, ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            probe = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs("Try 'placer-agent --help'.\n", stderr);
            return 64;
        }
    }
    if (!probe) {
        fputs("placer-agent: enforcement is not part of this build yet; "
              "try --probe\n",
              stderr);
        return 70;
    }
    struct agent_host_facts f;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = agent_probe_facts("/proc", &f, &err);
    if (rc < 0) {
        fprintf(stderr, "placer-agent: %s\n", err.msg);
        return plc_exit_code(rc);
    }
    printf("{\"schema\": 1, \"cpus\": %d, \"memory_bytes\": %llu, "
           "\"rt_runtime_us\": %lld, \"rt_period_us\": %lld}\n",
           f.cpus, (unsigned long long)f.memory_bytes,
           (long long)f.rt_runtime_us, (long long)f.rt_period_us);
    return 0;
}
