/* token.h: `placerd token ...` on the store (token.c). */
#ifndef PLACERD_TOKEN_H
#define PLACERD_TOKEN_H

/* argv[0] is "token"; the exit code. */
int token_command(const char *db, int argc, char **argv);

#endif
