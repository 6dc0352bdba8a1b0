/* util.h: small helpers shared by the Criterion tests. */
#ifndef PLACER_TEST_UTIL_H
#define PLACER_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The path of `rel` under the source tree (static buffer, rotating). */
const char *src_path(const char *rel);

/* Names of the files in directory `dir` ending in `suffix`, sorted; NULL
 * terminated.  Free with free_names(). */
char **list_files(const char *dir, const char *suffix, size_t *n);
void free_names(char **names);

/* Whole file as a NUL-terminated string (caller frees), or NULL. */
char *slurp(const char *path, size_t *len);

/* Count non-overlapping occurrences of `needle` in `hay`. */
size_t count_substr(const char *hay, const char *needle);

/* The next of a seeded xorshift sequence in *state, below n: the tests'
 * random instances, the same on every machine. */
unsigned xorshift_below(uint64_t *state, unsigned n);

#endif
