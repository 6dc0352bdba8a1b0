/* options.h: placerd's command line and its config file. */
#ifndef PLACERD_OPTIONS_H
#define PLACERD_OPTIONS_H

#include <stdbool.h>

struct options {
    const char *db, *listen, *agents, *config, *level;
    long queue;
    bool check, insecure_agents, insecure_clients;
    const char *server_key, *agent_keys, *client_keys;
    const char *http, *http_cert, *http_key; /* NULL: no HTTP */
    int token_argc; /* `placerd [--db FILE] token ...`: its words */
    char **token_argv;
    char *owned[16]; /* values read from the config file */
    int n_owned;
};

/* The command line, then --config for what it left unset, then the
 * defaults.  -1 to go on, or the exit code (0 after --help or
 * --version) after saying why. */
int options_parse(struct options *o, int argc, char **argv);

void options_release(struct options *o);

#endif
