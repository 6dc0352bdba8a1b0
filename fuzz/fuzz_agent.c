/*
 * fuzz_agent: libFuzzer target for what placer-agent does with bytes it
 * did not write.  First byte 0: the rest is its journal (a file a crash
 * or a disk may have damaged), read by agent_open.  Otherwise: a frame
 * from placerd, unpacked as a ServerToAgent, converted (wire.c) and
 * applied, removed or reconciled on a dryrun agent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "plc/error.h"
#include "agent/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char journal[64];

static struct agent *dryrun(bool with_journal)
{
    struct agent_config c = {
        AGENT_BE_DRYRUN, with_journal ? journal : NULL, NULL, NULL, 0, NULL};
    struct agent *a = NULL;
    struct plc_error err = PLC_ERROR_INIT;
    agent_open(&a, &c, &err);
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!journal[0])
        snprintf(journal, sizeof journal, "/tmp/fuzz-agent-%d.json",
                 (int)getpid());
    if (size < 1)
        return 0;
    if (data[0] == 0) {
        FILE *f = fopen(journal, "w");
        if (!f)
            return 0;
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        /* read only: its entries name backends and threads of this
         * machine, which a reconciliation would act on */
        struct agent *a = dryrun(true);
        if (a)
            agent_close(a);
        unlink(journal);
        return 0;
    }
    Placer__ServerToAgent *m =
        placer__server_to_agent__unpack(NULL, size - 1, data + 1);
    if (!m)
        return 0;
    struct agent *a = dryrun(false);
    char why[256];
    if (a) {
        struct agent_res r;
        if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_APPLY &&
            agent_wire_res(m->apply, &r, why, sizeof why))
            agent_apply_many(a, &r, 1, NULL, NULL);
        if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_REMOVE) {
            const char *id = m->remove->id ? m->remove->id : "";
            agent_remove(a, id, m->remove->generation, NULL, NULL);
        }
        if (m->msg_case == PLACER__SERVER_TO_AGENT__MSG_DESIRED) {
            size_t n = m->desired->n_reservations, k = 0;
            struct agent_res *w = calloc(n + 1, sizeof *w);
            for (size_t i = 0; w && i < n; i++)
                if (agent_wire_res(m->desired->reservations[i], &w[k], why,
                                   sizeof why))
                    k++;
            if (w)
                agent_reconcile(a, w, k, NULL, NULL);
            free(w);
        }
        agent_close(a);
    }
    placer__server_to_agent__free_unpacked(m, NULL);
    return 0;
}
