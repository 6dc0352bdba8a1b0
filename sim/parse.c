/*
 * parse.c: the untrusted text placer simulate reads besides its JSON
 * documents (sim.h): trace files (JSON lines of TraceEvent) and workload
 * logs in the Standard Workload Format 2.2 of the Parallel Workloads
 * Archive.  Each problem is named with its file, line and field.
 */
#include "sim/sim.h"
#include "proto/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The next line of text[*at..len) (without its newline) into a fresh,
 * NUL-terminated copy; NULL at the end or when memory runs out (*oom). */
static char *next_line(const char *text, size_t len, size_t *at, bool *oom,
                       size_t *out_n)
{
    if (*at >= len)
        return NULL;
    const char *s = text + *at;
    const char *nl = memchr(s, '\n', len - *at);
    size_t n = nl ? (size_t)(nl - s) : len - *at;
    *at += n + (nl ? 1 : 0);
    char *line = malloc(n + 1);
    if (!line) {
        *oom = true;
        return NULL;
    }
    memcpy(line, s, n);
    line[n] = '\0';
    *out_n = n;
    return line;
}

void sim_trace_release(struct sim_trace *t)
{
    for (size_t i = 0; t->names && i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->ev);
    memset(t, 0, sizeof *t);
}

/* One trace line into e (names[k] for its copy's name).  0 or PLC_EDATA
 * with the problem in err (without file and line), PLC_ENOMEM. */
static int trace_line(const char *s, const struct sim_template *tm, size_t nt,
                      const Placer__Cluster *c, struct sim_trace *t,
                      double *last, struct plc_error *err)
{
    json_error_t je;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return plc_error_set(err, PLC_EDATA,
                             "not a JSON object (%s); give one object {...} "
                             "per line",
                             j ? "another JSON value" : je.text);
    }
    struct plc_diags d = PLC_DIAGS_INIT;
    Placer__TraceEvent *e = (Placer__TraceEvent *)proto_json_to_message(
        &placer__trace_event__descriptor, j, "", &d);
    json_decref(j);
    int rc = 0;
    if (d.oom || (!e && !d.n))
        rc = PLC_ENOMEM;
    else if (d.n || !e)
        rc = plc_error_set(err, PLC_EDATA, "%s%s%s", d.v[0].path,
                           d.v[0].path[0] ? ": " : "", d.v[0].msg);
    plc_diags_release(&d);
    struct sim_event *x = &t->ev[t->n];
    memset(x, 0, sizeof *x);
    x->t = rc == 0 && e->t && e->t->has_ns ? (double)e->t->ns / 1e9 : -1;
    if (rc != 0) {
        /* (said above) */
    } else if (x->t < 0) {
        rc = plc_error_set(err, PLC_EDATA,
                           "t: missing; give the event's time, e.g. "
                           "\"12.5s\"");
    } else if (x->t < *last) {
        rc = plc_error_set(err, PLC_EDATA,
                           "t: out of order: %.9g s is before the time of an "
                           "earlier line (%.9g s); sort the trace by time",
                           x->t, *last);
    } else if (!e->op) {
        rc = plc_error_set(err, PLC_EDATA,
                           "op: missing; one of submit, release, host_down, "
                           "host_up");
    } else if (!strcmp(e->op, "submit")) {
        x->kind = SIM_SUBMIT;
        size_t k = nt;
        for (size_t i = 0; e->workflow && i < nt; i++)
            if (!strcmp(tm[i].name, e->workflow))
                k = i;
        x->hold =
            e->hold && e->hold->has_ns ? (double)e->hold->ns / 1e9 : INFINITY;
        x->tmpl = (uint32_t)k;
        if (k == nt)
            rc = plc_error_set(err, PLC_EDATA,
                               "workflow: \"%s\" is not a workflow of the "
                               "scenario (its \"name\", or the workflow "
                               "file's name)",
                               e->workflow ? e->workflow : "(missing)");
        else if (e->name && !(t->names[t->n] = strdup(e->name)))
            rc = PLC_ENOMEM;
        x->name = t->names[t->n];
    } else if (!strcmp(e->op, "release")) {
        x->kind = SIM_RELEASE;
        x->of = SIZE_MAX;
        /* the latest submission of that name */
        for (size_t i = t->n; e->name && i-- > 0;)
            if (t->ev[i].kind == SIM_SUBMIT && t->names[i] &&
                !strcmp(t->names[i], e->name)) {
                x->of = i;
                break;
            }
        if (x->of == SIZE_MAX)
            rc = plc_error_set(err, PLC_EDATA,
                               "name: \"%s\" names no copy submitted on an "
                               "earlier line",
                               e->name ? e->name : "(missing)");
    } else if (!strcmp(e->op, "host_down") || !strcmp(e->op, "host_up")) {
        x->kind = e->op[5] == 'd' ? SIM_HOST_DOWN : SIM_HOST_UP;
        size_t h = c->n_hosts;
        for (size_t i = 0; e->host && i < c->n_hosts; i++)
            if (!strcmp(c->hosts[i]->name, e->host))
                h = i;
        if (h == c->n_hosts)
            rc = plc_error_set(err, PLC_EDATA,
                               "host: \"%s\" is not a host of the cluster",
                               e->host ? e->host : "(missing)");
        else
            x->host = c->hosts[h]->name;
    } else {
        rc = plc_error_set(err, PLC_EDATA,
                           "op: \"%s\" is not an operation; use submit, "
                           "release, host_down or host_up",
                           e->op);
    }
    if (rc == 0) {
        *last = x->t;
        t->n++;
    }
    if (e)
        placer__trace_event__free_unpacked(e, NULL);
    return rc;
}

int sim_trace_parse(const char *name, const char *text, size_t len,
                    const struct sim_template *tm, size_t nt,
                    const Placer__Cluster *c, struct sim_trace *t,
                    struct plc_error *err)
{
    memset(t, 0, sizeof *t);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    t->ev = calloc(lines + 1, sizeof *t->ev);
    t->names = calloc(lines + 1, sizeof *t->names);
    if (!t->ev || !t->names)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    size_t at = 0;
    bool oom = false;
    double last = 0;
    char *line;
    size_t ln;
    for (size_t no = 1; (line = next_line(text, len, &at, &oom, &ln)); no++) {
        char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        int rc = 0;
        struct plc_error e = PLC_ERROR_INIT;
        if (strlen(line) != ln)
            rc = plc_error_set(&e, PLC_EDATA, "a NUL byte in the line");
        else if (*s)
            rc = trace_line(s, tm, nt, c, t, &last, &e);
        free(line);
        if (rc == PLC_ENOMEM)
            return plc_error_set(err, PLC_ENOMEM, "out of memory");
        if (rc < 0)
            return plc_error_set(err, PLC_EDATA, "%s:%zu: %s", name, no, e.msg);
    }
    if (oom)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    return 0;
}

/* ---- SWF ------------------------------------------------------------------
 */

static const char *const swf_fields[18] = {"job number",
                                           "submit time",
                                           "wait time",
                                           "run time",
                                           "allocated processors",
                                           "average CPU time",
                                           "used memory",
                                           "requested processors",
                                           "requested time",
                                           "requested memory",
                                           "status",
                                           "user",
                                           "group",
                                           "executable",
                                           "queue",
                                           "partition",
                                           "preceding job",
                                           "think time"};

static int cmp_job(const void *a, const void *b)
{
    const struct sim_swf_job *x = a, *y = b;
    if (x->submit != y->submit)
        return x->submit < y->submit ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* The 18 fields of a job line; 0 or PLC_EDATA with the problem in err. */
static int swf_fields_of(const char *s, double *f, struct plc_error *err)
{
    int k = 0;
    while (*s && *s != '\r') {
        char *end;
        double v = strtod(s, &end);
        if (end == s || (*end && *end != ' ' && *end != '\t' && *end != '\r') ||
            !isfinite(v))
            return plc_error_set(err, PLC_EDATA,
                                 "field %d (%s): not a number; an SWF job "
                                 "line has 18 numbers separated by spaces, "
                                 "-1 where unknown",
                                 k + 1, k < 18 ? swf_fields[k] : "extra");
        if (k == 18)
            return plc_error_set(err, PLC_EDATA,
                                 "more than 18 fields; an SWF job line has "
                                 "18");
        f[k++] = v;
        s = end;
        while (*s == ' ' || *s == '\t')
            s++;
    }
    if (k != 18)
        return plc_error_set(err, PLC_EDATA,
                             "%d fields; an SWF job line has 18 (field %d, "
                             "%s, is missing)",
                             k, k + 1, swf_fields[k]);
    return 0;
}

int sim_swf_parse(const char *name, const char *text, size_t len,
                  struct sim_swf_job **jobs, size_t *n, size_t *unknown,
                  struct plc_error *err)
{
    size_t cap = 1024;
    *n = *unknown = 0;
    *jobs = malloc(cap * sizeof **jobs);
    if (!*jobs)
        return plc_error_set(err, PLC_ENOMEM, "out of memory");
    size_t at = 0;
    bool oom = false;
    char *line;
    size_t ln;
    int rc = 0;
    for (size_t no = 1;
         rc == 0 && (line = next_line(text, len, &at, &oom, &ln)); no++) {
        char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        double f[18];
        struct plc_error e = PLC_ERROR_INIT;
        if (strlen(line) != ln) {
            rc = plc_error_set(err, PLC_EDATA, "%s:%zu: a NUL byte in the line",
                               name, no);
            free(line);
            break;
        }
        if (!*s || *s == ';') {
            free(line);
            continue;
        }
        if (swf_fields_of(s, f, &e) < 0)
            rc = plc_error_set(err, PLC_EDATA, "%s:%zu: %s", name, no, e.msg);
        free(line);
        if (rc < 0)
            break;
        if (f[1] < 0 || f[3] < 0) {
            (*unknown)++;
            continue;
        }
        if (*n == cap) {
            struct sim_swf_job *x = realloc(*jobs, 2 * cap * sizeof *x);
            if (!x) {
                rc = plc_error_set(err, PLC_ENOMEM, "out of memory");
                break;
            }
            *jobs = x;
            cap *= 2;
        }
        (*jobs)[(*n)++] = (struct sim_swf_job){
            f[1], f[3], (long)fmax(-1e15, fmin(1e15, f[0])),
            (long)fmax(-1e15, fmin(1e15, f[14])), no};
    }
    if (rc == 0 && oom)
        rc = plc_error_set(err, PLC_ENOMEM, "out of memory");
    if (rc < 0) {
        free(*jobs);
        *jobs = NULL;
        *n = 0;
        return rc;
    }
    qsort(*jobs, *n, sizeof **jobs, cmp_job);
    return 0;
}
