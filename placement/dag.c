/*
 * dag.c: the workflow graph (endpoints then services, joined by vlinks)
 * as adjacency lists and in topological order, each built in
 * O(nodes + links), and the longest paths over it.
 */
#include "internal.h"
#include "plc/error.h"

#include <stdlib.h>

int place__dag_adj(const struct place_problem *p, bool incoming, size_t **start,
                   size_t **link)
{
    size_t n = p->n_endpoints + p->n_services, L = p->n_vlinks;
    *start = calloc(n + 2, sizeof **start);
    *link = malloc((L ? L : 1) * sizeof **link);
    if (!*start || !*link) {
        free(*start);
        free(*link);
        *start = *link = NULL;
        return PLC_ENOMEM;
    }
    size_t *s = *start;
    for (size_t i = 0; i < L; i++)
        s[(incoming ? p->vlinks[i].to : p->vlinks[i].from) + 2]++;
    for (size_t v = 0; v < n; v++)
        s[v + 2] += s[v + 1];
    /* in link order within each node (a counting sort is stable) */
    for (size_t i = 0; i < L; i++)
        (*link)[s[(incoming ? p->vlinks[i].to : p->vlinks[i].from) + 1]++] = i;
    return 0;
}

size_t *place__topo_order(const struct place_problem *p, size_t *pos)
{
    size_t n = p->n_endpoints + p->n_services;
    size_t *indeg = calloc(n ? n : 1, sizeof *indeg);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *start = NULL, *out = NULL;
    if (!indeg || !order || place__dag_adj(p, false, &start, &out) < 0) {
        free(indeg);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < p->n_vlinks; i++)
        indeg[p->vlinks[i].to]++;
    size_t head = 0, tail = 0;
    for (size_t v = 0; v < n; v++)
        if (!indeg[v])
            order[tail++] = v;
    while (head < tail) {
        size_t v = order[head++];
        for (size_t k = start[v]; k < start[v + 1]; k++) {
            size_t b = p->vlinks[out[k]].to;
            if (--indeg[b] == 0)
                order[tail++] = b;
        }
    }
    for (size_t k = 0; k < tail; k++)
        pos[order[k]] = k;
    free(indeg);
    free(start);
    free(out);
    if (tail != n) {
        free(order);
        return NULL;
    }
    return order;
}

int place_longest_paths(const struct place_problem *p, const uint64_t *w,
                        uint64_t *head, uint64_t *tail)
{
    size_t N = p->n_endpoints + p->n_services;
    size_t *pos = malloc((N + 1) * sizeof *pos), *start = NULL, *out = NULL;
    size_t *order = pos ? place__topo_order(p, pos) : NULL;
    int rc = order ? place__dag_adj(p, false, &start, &out) : PLC_ENOMEM;
    for (size_t v = 0; v < N; v++)
        head[v] = tail[v] = 0;
    for (size_t k = 0; rc == 0 && k < N; k++) {
        size_t a = order[k];
        for (size_t j = start[a]; j < start[a + 1]; j++) {
            size_t b = p->vlinks[out[j]].to;
            if (head[a] + w[a] > head[b])
                head[b] = head[a] + w[a];
        }
    }
    for (size_t k = N; rc == 0 && k-- > 0;) {
        size_t a = order[k];
        for (size_t j = start[a]; j < start[a + 1]; j++) {
            size_t b = p->vlinks[out[j]].to;
            if (tail[b] + w[b] > tail[a])
                tail[a] = tail[b] + w[b];
        }
    }
    free(pos);
    free(order);
    free(start);
    free(out);
    return rc;
}
