/* plc/keyfile.h: CURVE key files as `placer keygen` writes them (one line of 40
 * Z85 characters), shared by placerd and placer-agent. */
#ifndef PLC_KEYFILE_H
#define PLC_KEYFILE_H

/* The key of `path` into out (40 characters and a NUL).  0, PLC_ENOENT
 * (cannot read it) or PLC_EDATA (not a key). */
int plc_keyfile_read(const char *path, char out[41]);

#endif
