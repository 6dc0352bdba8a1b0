/* The logger writes one bounded line whatever it is given: a peer's
 * megabyte error string is cut (with the count left out) and its control
 * characters cannot start lines of their own. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plc/log.h"

/* What plc_log wrote to stderr. */
static char *logged(const char *msg)
{
    char path[] = "/tmp/test_log.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    plc_log_init("test", PLC_LOG_INFO);
    plc_log(PLC_LOG_WARN, "agent of h1: apply r1 failed: %s", msg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t len = lseek(fd, 0, SEEK_END);
    char *out = calloc((size_t)len + 1, 1);
    cr_assert_eq(pread(fd, out, (size_t)len, 0), len);
    close(fd);
    unlink(path);
    return out;
}

Test(log, a_huge_message_is_cut_to_one_bounded_line)
{
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = 0;
    char *out = logged(big);
    cr_assert_lt(strlen(out), PLC_LOG_LINE_MAX + 128, "%zu bytes", strlen(out));
    cr_assert(strstr(out, "bytes cut"), "%.200s", out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line");
    free(out);
    free(big);
}

Test(log, control_characters_cannot_forge_lines)
{
    char *out = logged("bad\n2026-01-01T00:00:00.000Z placerd info: forged");
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
    cr_assert(strstr(out, "bad?2026"), "%s", out);
    free(out);
}
