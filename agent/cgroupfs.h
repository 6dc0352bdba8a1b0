/* cgroupfs.h (internal): one control file of a cgroup, written or read. */
#ifndef AGENT_CGROUPFS_H
#define AGENT_CGROUPFS_H

#include <stddef.h>

struct plc_error;

/* Write `value` to DIR/FILE.  0 or the errno, with the path in `err`
 * (may be NULL). */
int agent__cg_put(const char *dir, const char *file, const char *value,
                  struct plc_error *err);

/* The first line of DIR/FILE, without its newline.  0 or the errno. */
int agent__cg_get(const char *dir, const char *file, char *out, size_t cap);

#endif
