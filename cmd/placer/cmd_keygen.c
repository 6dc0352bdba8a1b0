/*
 * placer keygen PATH: a CURVE key pair for ZeroMQ (placerd's agent socket
 * and the agents): PATH.key holds the secret key (mode 0600), PATH.pub the
 * public key, each one Z85 line of 40 characters.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static const char help[] =
    "Usage: placer keygen [--force] PATH\n"
    "\n"
    "Write a new CURVE key pair for ZeroMQ: PATH.key (the secret key,\n"
    "readable by its owner only) and PATH.pub (the public key), each one\n"
    "line of Z85 text. placerd keeps its own pair (--server-key) and the\n"
    "public keys of the agents it accepts; an agent keeps its pair and\n"
    "placerd's public key.\n"
    "\n"
    "Options:\n"
    "  --force     replace existing files (a symlink is replaced by the\n"
    "              file, never followed)\n"
    "  -h, --help  show this help\n"
    "\n"
    "Each file is written beside its name and moved in place, so a crash\n"
    "never leaves a half-written key.\n"
    "\n"
    "Exit status: 0, 64 usage (a file exists without --force), 70 this\n"
    "libzmq has no CURVE, 73 the files cannot be written.\n";

/* Write `line` and a newline to `path` with `mode`, atomically: into a new
 * file beside it (mkstemp: O_EXCL, never an existing file or a symlink's
 * target), synced, then put in place.  Without `force` by link(), which
 * fails if anything has the name, a dangling symlink too; with it by
 * rename(), which replaces the name itself, never what a symlink points
 * to.  0, or -1 with errno. */
static int write_key(const char *path, const char *line, mode_t mode,
                     bool force)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    size_t len = strlen(line);
    bool ok = fchmod(fd, mode) == 0 && write(fd, line, len) == (ssize_t)len &&
              write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (ok)
        ok = force ? rename(tmp, path) == 0 : link(tmp, path) == 0;
    if (!ok)
        saved = errno;
    if (!ok || !force)
        unlink(tmp); /* after link() the name stays; on failure: no trace */
    errno = saved;
    return ok ? 0 : -1;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    bool force = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            force = true;
            break;
        case 'h':
            fputs(help, stdout);
            return PLC_EXIT_OK;
        default:
            return cli_usage("keygen", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage("keygen", "give one PATH (PATH.key and PATH.pub "
                                   "are written)");
    const char *base = argv[optind];
    char pub[41], sec[41], key_path[4096], pub_path[4096];
    if (zmq_curve_keypair(pub, sec) != 0) {
        cli_error("cannot make a CURVE key pair (%s)", zmq_strerror(errno));
        return PLC_EXIT_SOFTWARE;
    }
    snprintf(key_path, sizeof key_path, "%s.key", base);
    snprintf(pub_path, sizeof pub_path, "%s.pub", base);
    struct stat st;
    if (!force && (lstat(key_path, &st) == 0 || lstat(pub_path, &st) == 0))
        return cli_usage("keygen",
                         "'%s' or '%s' exists; use --force to replace them",
                         key_path, pub_path);
    if (write_key(key_path, sec, 0600, force) != 0) {
        int e = errno;
        if (e == EEXIST)
            return cli_usage("keygen", "'%s' exists; use --force to replace it",
                             key_path);
        cli_error("cannot write '%s' (%s)", key_path, strerror(e));
        return PLC_EXIT_CANTCREAT;
    }
    if (write_key(pub_path, pub, 0644, force) != 0) {
        int e = errno;
        if (!force)
            unlink(key_path); /* ours: just linked */
        if (e == EEXIST)
            return cli_usage("keygen", "'%s' exists; use --force to replace it",
                             pub_path);
        cli_error("cannot write '%s' (%s)", pub_path, strerror(e));
        return PLC_EXIT_CANTCREAT;
    }
    printf("wrote %s (secret, mode 0600) and %s (public: %s)\n", key_path,
           pub_path, pub);
    return PLC_EXIT_OK;
}
