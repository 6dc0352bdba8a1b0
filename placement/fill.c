/*
 * fill.c: an exact search for a packing into a given number of identical
 * bins, by bin completion (R. E. Korf, An improved algorithm for optimal
 * bin packing, IJCAI 2003).  Each level opens a bin with one item left
 * and branches on the completions of that bin: subsets of the items left
 * that fit beside it, best filled first, each wasting no more than the
 * slack the target leaves (bins x capacity - total size).  Only maximal
 * completions are tried (one to which no item left could be added), and
 * a completion of one item that fills the bin exactly is taken alone: every
 * other completion fits inside that item (Martello & Toth's dominance).
 * Items of equal size are interchangeable, so a subset is enumerated once
 * per multiset of sizes.
 *
 * The item that opens the bin is the one with the fewest completions (the
 * largest among equals), not always the largest: a dead end, an item
 * nothing completes, shows at once.  Depth-first search on such packings
 * has heavy tails (most orders finish in milliseconds, a few take
 * minutes), so it restarts with growing budgets of dead ends in the Luby
 * sequence, each run after the first trying equal completions in another
 * (seeded, reproducible) order.
 *
 * It is meant for packings whose lower bound leaves little or no slack
 * (Falkenauer's triplets: none), where greedy rules and their
 * perturbations end one bin above the bound and the MILP's bound cannot
 * close the gap.  CPU is a second, summed dimension: a necessary test;
 * the caller places the result on cores and checks it. */
#include "internal.h"
#include "plc/clock.h"
#include "plc/error.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fill {
    const struct place_fill_in *in;
    size_t *order;  /* items by decreasing size */
    bool *used;     /* per position in order */
    size_t *stack;  /* completions of every open level, as positions */
    size_t n_stack; /* entries used in stack */
    size_t cap_stack;
    size_t *bin_of; /* per position in order */
    uint64_t slack; /* waste still allowed */
    long nodes;
    long fails, fail_limit; /* dead ends in this run, and its budget */
    uint64_t rng;           /* 0: completions best filled first */
    bool out_of_time, no_memory, restart;
};

struct comp {
    size_t at, n; /* positions stack[at .. at + n) */
    uint64_t sum;
};

static bool fill_push(struct fill *f, size_t pos)
{
    if (f->n_stack == f->cap_stack) {
        size_t cap = f->cap_stack ? 2 * f->cap_stack : 1024;
        size_t *s = realloc(f->stack, cap * sizeof *s);
        if (!s) {
            f->no_memory = true;
            return false;
        }
        f->stack = s;
        f->cap_stack = cap;
    }
    f->stack[f->n_stack++] = pos;
    return true;
}

/* Completions of a bin holding `first` with `room` and `cpu` left: every
 * maximal subset of the unused positions after `from`, within the slack,
 * appended to comps (positions on the stack). */
struct enumerate {
    struct fill *f;
    size_t first;
    struct comp *comps; /* NULL: count only */
    size_t n_comps, max_comps;
    long budget;     /* search nodes left; < 0: gave up */
    uint64_t *after; /* after[pos]: size of the unused from pos on */
    size_t pick[64], n_pick;
};

static bool maximal(const struct enumerate *e, uint64_t room, double cpu)
{
    const struct fill *f = e->f;
    const struct place_fill_in *in = f->in;
    /* an unused item that still fits (picked ones and the first are
     * marked used) */
    for (size_t pos = in->n; pos-- > 0;) {
        size_t item = f->order[pos];
        if (in->size[item] > room)
            return true; /* sizes only grow from here */
        if (!f->used[pos] && (!in->cpu || in->cpu[item] <= cpu + 1e-9))
            return false;
    }
    return true;
}

static void enumerate(struct enumerate *e, size_t from, uint64_t room,
                      double cpu)
{
    struct fill *f = e->f;
    const struct place_fill_in *in = f->in;
    if ((++f->nodes & 4095) == 0 && plc_now_s() > in->end_s)
        f->out_of_time = true;
    if (--e->budget < 0 || e->n_comps == e->max_comps || f->no_memory ||
        f->out_of_time)
        return;
    if (room <= f->slack && maximal(e, room, cpu)) {
        if (e->comps) {
            struct comp *c = &e->comps[e->n_comps];
            c->at = f->n_stack;
            c->n = e->n_pick;
            c->sum = in->capacity - room;
            for (size_t j = 0; j < e->n_pick; j++)
                if (!fill_push(f, e->pick[j]))
                    return;
        }
        e->n_comps++;
    }
    uint64_t last = 0;
    for (size_t pos = from; pos < in->n && e->n_pick < 64; pos++) {
        /* what is left from here cannot bring the waste within slack */
        if (room > f->slack + e->after[pos])
            break;
        size_t item = f->order[pos];
        uint64_t w = in->size[item];
        if (f->used[pos] || w > room || w == last)
            continue;
        double u = in->cpu ? in->cpu[item] : 0;
        if (u > cpu + 1e-9)
            continue;
        last = w; /* an equal size later would repeat this branch */
        e->pick[e->n_pick++] = pos;
        f->used[pos] = true;
        enumerate(e, pos + 1, room - w, cpu - u);
        f->used[pos] = false;
        e->n_pick--;
        if (e->budget < 0)
            return;
    }
}

/* after[pos] for the items unused now */
static void suffix_sizes(const struct fill *f, uint64_t *after)
{
    const struct place_fill_in *in = f->in;
    after[in->n] = 0;
    for (size_t pos = in->n; pos-- > 0;)
        after[pos] =
            after[pos + 1] + (f->used[pos] ? 0 : in->size[f->order[pos]]);
}

/* Completions of the bin opened by `pos`, counted up to `limit` within a
 * budget of search nodes; SIZE_MAX when the budget ran out first. */
static size_t count_completions(struct fill *f, size_t pos, size_t limit,
                                uint64_t *after)
{
    const struct place_fill_in *in = f->in;
    size_t item = f->order[pos];
    if (in->size[item] > in->capacity ||
        (in->cpu && in->cpu[item] > in->cpu_capacity + 1e-9))
        return 0;
    struct enumerate e = {.f = f,
                          .first = pos,
                          .max_comps = limit,
                          .budget = 2048,
                          .after = after};
    f->used[pos] = true;
    suffix_sizes(f, after);
    enumerate(&e, 0, in->capacity - in->size[item],
              in->cpu ? in->cpu_capacity - in->cpu[item] : 0);
    f->used[pos] = false;
    return e.budget < 0 ? SIZE_MAX : e.n_comps;
}

/* The unused item whose bin has the fewest completions (so a dead end
 * shows at once), the largest among equals; in->n when some item has
 * none.  Items of one size share a count. */
static size_t choose(struct fill *f, uint64_t *after)
{
    const struct place_fill_in *in = f->in;
    size_t best = in->n, best_count = SIZE_MAX;
    uint64_t last = 0;
    bool any = false;
    for (size_t pos = 0; pos < in->n; pos++) {
        if (f->used[pos])
            continue;
        uint64_t w = in->size[f->order[pos]];
        if (any && w == last && !in->cpu)
            continue;
        any = true;
        last = w;
        size_t limit = best_count == SIZE_MAX ? 4096 : best_count;
        size_t k = count_completions(f, pos, limit, after);
        if (k == 0 && !f->out_of_time)
            return in->n;
        if (best == in->n || (k != SIZE_MAX && k < best_count)) {
            best = pos;
            best_count = k;
        }
        if (best_count <= 1 || f->out_of_time || f->no_memory)
            break;
    }
    return best;
}

static int comp_cmp(const void *a, const void *b)
{
    const struct comp *x = a, *y = b;
    if (x->sum != y->sum)
        return x->sum > y->sum ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

static uint64_t next_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* In a restarted run, completions that waste the same are tried in a
 * random order (the first run keeps the sorted one). */
static void shuffle_ties(struct fill *f, struct comp *c, size_t n)
{
    if (!f->rng)
        return;
    for (size_t i = 0; i < n;) {
        size_t m = 1;
        while (i + m < n && c[i + m].sum == c[i].sum)
            m++;
        for (size_t k = m; k > 1; k--) {
            size_t r = next_rng(&f->rng) % k;
            struct comp t = c[i + k - 1];
            c[i + k - 1] = c[i + r];
            c[i + r] = t;
        }
        i += m;
    }
}

/* The Luby sequence 1 1 2 1 1 2 4 ...: the dead ends allowed in run i
 * (from 1), in units. */
static long luby(long i)
{
    for (long k = 1; k < 62; k++) {
        long p = 1L << k;
        if (i == p - 1)
            return 1L << (k - 1);
        if (i < p - 1)
            return luby(i - (p >> 1) + 1);
    }
    return 1L << 61;
}

/* Pack what is unused into `bins` bins numbered from `bin`; true when it
 * fits. */
static bool fill_dfs(struct fill *f, size_t bin, size_t bins)
{
    const struct place_fill_in *in = f->in;
    size_t left = 0;
    while (left < in->n && f->used[left])
        left++;
    if (left == in->n)
        return true;
    if (bins == 0)
        return false;
    if (plc_now_s() > in->end_s)
        f->out_of_time = true;
    if (f->out_of_time || f->no_memory || f->restart)
        return false;
    uint64_t *after = malloc((in->n + 1) * sizeof *after);
    struct enumerate e = {.f = f, .max_comps = 4096, .after = after};
    e.comps = malloc(e.max_comps * sizeof *e.comps);
    if (!e.comps || !after) {
        free(e.comps);
        free(after);
        f->no_memory = true;
        return false;
    }
    size_t first = choose(f, after);
    if (first == in->n || f->out_of_time || f->no_memory) {
        free(e.comps);
        free(after);
        return false;
    }
    size_t item = f->order[first];
    size_t mark = f->n_stack;
    e.first = first;
    e.budget = LONG_MAX;
    f->used[first] = true;
    suffix_sizes(f, after);
    enumerate(&e, 0, in->capacity - in->size[item],
              in->cpu ? in->cpu_capacity - in->cpu[item] : 0);
    qsort(e.comps, e.n_comps, sizeof *e.comps, comp_cmp);
    shuffle_ties(f, e.comps, e.n_comps);
    if (!in->cpu && e.n_comps > 0 && e.comps[0].sum == in->capacity)
        for (size_t c = 0; c < e.n_comps; c++)
            if (e.comps[c].sum == in->capacity && e.comps[c].n == 1) {
                e.comps[0] = e.comps[c]; /* dominates the others */
                e.n_comps = 1;
                break;
            }
    bool ok = false;
    for (size_t c = 0; c < e.n_comps && !ok; c++) {
        const struct comp *k = &e.comps[c];
        uint64_t waste = in->capacity - k->sum;
        for (size_t j = 0; j < k->n; j++)
            f->used[f->stack[k->at + j]] = true;
        f->slack -= waste;
        ok = fill_dfs(f, bin + 1, bins - 1);
        f->slack += waste;
        if (ok) {
            f->bin_of[first] = bin;
            for (size_t j = 0; j < k->n; j++)
                f->bin_of[f->stack[k->at + j]] = bin;
        } else {
            for (size_t j = 0; j < k->n; j++)
                f->used[f->stack[k->at + j]] = false;
        }
        if (!ok && ++f->fails > f->fail_limit)
            f->restart = true;
        if (f->out_of_time || f->no_memory || f->restart)
            break;
    }
    if (!ok)
        f->used[first] = false;
    f->n_stack = mark;
    free(e.comps);
    free(after);
    return ok;
}

struct sized {
    uint64_t size;
    size_t item;
};

static int by_size_desc(const void *a, const void *b)
{
    const struct sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

int place__fill(const struct place_fill_in *in, size_t *bin_of)
{
    struct fill f = {.in = in};
    uint64_t total = 0;
    for (size_t i = 0; i < in->n; i++)
        total += in->size[i];
    if (in->n == 0)
        return PLACE_FILL_FOUND;
    if (in->bins == 0 || (double)total > (double)in->bins * in->capacity)
        return PLACE_FILL_NONE;
    f.slack = in->bins * in->capacity - total;
    struct sized *s = malloc(in->n * sizeof *s);
    f.order = malloc(in->n * sizeof *f.order);
    f.used = calloc(in->n, sizeof *f.used);
    f.bin_of = malloc(in->n * sizeof *f.bin_of);
    int rc = PLC_ENOMEM;
    if (s && f.order && f.used && f.bin_of) {
        for (size_t i = 0; i < in->n; i++)
            s[i] = (struct sized){in->size[i], i};
        qsort(s, in->n, sizeof *s, by_size_desc);
        for (size_t i = 0; i < in->n; i++)
            f.order[i] = s[i].item;
        /* heavy tails: runs with growing budgets of dead ends, each
         * after the first in another order of equal completions, until
         * one packs, one ends within its budget (none exists) or time
         * runs out (Luby, Sinclair & Zuckerman's restarts) */
        bool ok = false;
        for (long run = 1;; run++) {
            f.fails = 0;
            f.fail_limit = 256 * luby(run);
            f.restart = false;
            ok = fill_dfs(&f, 0, in->bins);
            if (ok || !f.restart || f.out_of_time || f.no_memory)
                break;
            memset(f.used, 0, in->n * sizeof *f.used);
            f.n_stack = 0;
            f.rng = 0x9e3779b97f4a7c15ULL + (uint64_t)run; /* reproducible */
        }
        rc = f.no_memory                  ? PLC_ENOMEM
             : ok                         ? PLACE_FILL_FOUND
             : f.out_of_time || f.restart ? PLACE_FILL_TIMEOUT
                                          : PLACE_FILL_NONE;
        for (size_t pos = 0; ok && pos < in->n; pos++)
            bin_of[f.order[pos]] = f.bin_of[pos];
    }
    free(s);
    free(f.order);
    free(f.used);
    free(f.bin_of);
    free(f.stack);
    return rc;
}
