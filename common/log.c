/* log.c: the daemons' logger (plc/log.h). */
#include "plc/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* the process's logging configuration: set once at start */
static struct {
    const char *program;
    enum plc_log_level level;
    bool journal;
} logger = {"placer", PLC_LOG_INFO, false};

void plc_log_init(const char *program, enum plc_log_level level)
{
    logger.program = program;
    logger.level = level;
    /* JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected;
     * it counts only if stderr is still that stream */
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    logger.journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
                     fstat(STDERR_FILENO, &st) == 0 &&
                     (unsigned long long)st.st_dev == dev &&
                     (unsigned long long)st.st_ino == ino;
}

bool plc_log_set_level(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            logger.level = (enum plc_log_level)i;
            return true;
        }
    return false;
}

bool plc_log_to_journal(void)
{
    return logger.journal;
}

void plc_log(enum plc_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    /* sd-daemon(3) priorities: err, warning, info, debug */
    static const char prio[] = {'3', '4', '6', '7'};
    if (level > logger.level)
        return;
    if (logger.journal)
        fprintf(stderr, "<%c>", prio[level]);
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(stderr, "%s.%03ldZ %s %s: ", when, ts.tv_nsec / 1000000,
                logger.program, names[level]);
    }
    /* one line of at most PLC_LOG_LINE_MAX bytes, whatever a peer sent:
     * control characters become '?', the rest is cut with its length */
    char line[PLC_LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    if (n >= (int)sizeof line)
        fprintf(stderr, "%s... (%d bytes cut)\n", line,
                n - (int)sizeof line + 1);
    else
        fprintf(stderr, "%s\n", line);
}
