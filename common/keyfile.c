/* keyfile.c: reading CURVE key files (plc/keyfile.h; Z85 by libzmq). */
#include "plc/keyfile.h"
#include "plc/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int plc_keyfile_read(const char *path, char out[41])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return PLC_ENOENT;
    char line[128] = "";
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    uint8_t raw[32];
    if (!ok || strlen(line) != 40 || !zmq_z85_decode(raw, line))
        return PLC_EDATA;
    memcpy(out, line, 41);
    return 0;
}
