/*
 * placerd: the central placement service.
 *
 * This build opens and migrates the store and reports its schema; serving
 * clients and agents over ZeroMQ arrives with the service issue (#5), and
 * until then placerd says so and exits 70 instead of pretending to serve.
 */
#include "plc/error.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
    "Usage: placerd [--db FILE] [--check]\n"
    "\n"
    "The placer service: holds the cluster and its reservations in a SQLite\n"
    "file, admits workflows one at a time and pushes reservations to the\n"
    "node agents.\n"
    "\n"
    "Options:\n"
    "  --db FILE   the store (default ./placer.db); created and migrated to\n"
    "              the newest schema when opened\n"
    "  --check     open and migrate the store, print its schema version,\n"
    "              and exit 0\n"
    "  -h, --help  show this help\n"
    "\n"
    "Serving clients (--listen) and agents (--agents-listen) is not part of\n"
    "this build yet; without --check placerd exits with status 70.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"check", no_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = "placer.db";
    int check = 0, ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            check = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs("Try 'placerd --help'.\n", stderr);
            return 64;
        }
    }
    struct store *s;
    struct plc_error err = PLC_ERROR_INIT;
    int rc = store_open(db, &s, &err);
    if (rc < 0) {
        fprintf(stderr, "placerd: %s\n", err.msg);
        return plc_exit_code(rc);
    }
    printf("placerd: store '%s' at schema version %d\n", db,
           store_schema_version(s));
    store_close(s);
    if (check)
        return 0;
    fputs("placerd: serving clients is not part of this build yet\n", stderr);
    return 70;
}
