/*
 * validate_scenario.c: the rules of a placer simulate scenario
 * (docs/formats.md, "Simulation scenario").
 */
#include "proto/validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define P 256 /* path buffer */

/* The most arrivals, copies added or explicit times a scenario asks for:
 * beyond, the simulation would not end in a useful time. */
#define SCENARIO_ARRIVALS_MAX 10000000ULL
#define SCENARIO_ADD_MAX 100000U

static bool set(const Placer__Time *t)
{
    return t && t->has_ns;
}

static void positive_time(const Placer__Time *t, const char *path,
                          const char *what, struct plc_diags *d)
{
    if (set(t) && t->ns == 0 && !proto_diags_has(d, path))
        plc_diags_add(d, path, "must be above 0 (%s)", what);
}

static void check_arrival(const Placer__ArrivalProcess *a, const char *path,
                          struct plc_diags *d)
{
    char q[2 * P];
    int kinds = set(a->poisson) + set(a->every) + (a->n_at > 0);
    if (kinds != 1)
        plc_diags_add(d, path,
                      "give exactly one of \"poisson\" (mean gap, e.g. "
                      "\"30s\"), \"every\" (a fixed gap) or \"at\" (a list "
                      "of times)");
    snprintf(q, sizeof q, "%s.poisson", path);
    positive_time(a->poisson, q, "the mean gap between arrivals", d);
    snprintf(q, sizeof q, "%s.every", path);
    positive_time(a->every, q, "the gap between arrivals", d);
    if (a->n_at > SCENARIO_ARRIVALS_MAX) {
        snprintf(q, sizeof q, "%s.at", path);
        plc_diags_add(d, q, "at most %llu times",
                      (unsigned long long)SCENARIO_ARRIVALS_MAX);
    }
}

static void check_holding(const Placer__Holding *h, const char *path,
                          struct plc_diags *d)
{
    char q[2 * P];
    int kinds = set(h->fixed) + set(h->exponential) + (h->n_samples > 0);
    if (kinds != 1)
        plc_diags_add(d, path,
                      "give exactly one of \"fixed\" (e.g. \"600s\"), "
                      "\"exponential\" (its mean) or \"samples\" (a list of "
                      "times), or leave \"holding\" out to hold forever");
    snprintf(q, sizeof q, "%s.fixed", path);
    positive_time(h->fixed, q, "how long a copy holds", d);
    snprintf(q, sizeof q, "%s.exponential", path);
    positive_time(h->exponential, q, "the mean holding time", d);
}

static void check_variant(const Placer__Variant *v, const char *path,
                          struct plc_diags *d)
{
    char q[2 * P];
    snprintf(q, sizeof q, "%s.name", path);
    proto_check_name(v->name, q, "variant", true, d);
    for (size_t i = 0; i < v->n_add_hosts; i++) {
        const Placer__AddHosts *a = v->add_hosts[i];
        snprintf(q, sizeof q, "%s.add_hosts[%zu].count", path, i);
        if (!a->has_count || a->count == 0 || a->count > SCENARIO_ADD_MAX)
            plc_diags_add(d, q, "%s; give how many hosts to add, 1 to %u",
                          a->has_count ? "out of range" : "missing",
                          SCENARIO_ADD_MAX);
        snprintf(q, sizeof q, "%s.add_hosts[%zu].like", path, i);
        proto_check_name(a->like, q, "group of added hosts' model host", true,
                         d);
    }
    for (size_t i = 0; i < v->n_remove_hosts; i++) {
        snprintf(q, sizeof q, "%s.remove_hosts[%zu]", path, i);
        proto_check_name(v->remove_hosts[i], q, "removed host", true, d);
    }
    if (v->has_link_scale && !(isfinite(v->link_scale) && v->link_scale > 0 &&
                               v->link_scale <= 1000)) {
        snprintf(q, sizeof q, "%s.link_scale", path);
        plc_diags_add(d, q,
                      "must be a number above 0 and at most 1000 (2 doubles "
                      "every link's rate, 0.5 halves it)");
    }
    for (size_t i = 0; i < v->n_host_failures; i++) {
        const Placer__HostFailure *f = v->host_failures[i];
        snprintf(q, sizeof q, "%s.host_failures[%zu].host", path, i);
        proto_check_name(f->host, q, "failure", true, d);
        snprintf(q, sizeof q, "%s.host_failures[%zu].at", path, i);
        if (!set(f->at) && !proto_diags_has(d, q))
            plc_diags_add(d, q,
                          "missing; give when the host fails, e.g. "
                          "\"600s\"");
        snprintf(q, sizeof q, "%s.host_failures[%zu].until", path, i);
        if (set(f->at) && set(f->until) && f->until->ns <= f->at->ns)
            plc_diags_add(d, q,
                          "must be after \"at\" (when the host is "
                          "back up)");
    }
}

void proto_scenario_validate(const Placer__Scenario *s, struct plc_diags *d)
{
    char q[P];
    proto_check_quantities(&s->base, d);
    bool trace = s->trace != NULL;
    /* (absent: placer --server EP simulate takes placerd's live state;
     * placer simulate says so without it) */
    if (s->cluster && !*s->cluster)
        plc_diags_add(d, "cluster", "is empty; name the cluster file");
    if (trace && !*s->trace)
        plc_diags_add(d, "trace",
                      "is empty; name the trace file or leave "
                      "\"trace\" out");
    if (s->n_workflows == 0)
        plc_diags_add(d, "workflows",
                      "missing; list at least one workflow, e.g. "
                      "[{\"file\": \"vepc-attach.json\", \"arrival\": "
                      "{\"poisson\": \"30s\"}}]");
    for (size_t i = 0; i < s->n_workflows; i++) {
        const Placer__ScenarioWorkflow *w = s->workflows[i];
        snprintf(q, sizeof q, "workflows[%zu].file", i);
        if (!w->file || !*w->file)
            plc_diags_add(d, q,
                          "missing; name the workflow file (relative "
                          "to this scenario)");
        snprintf(q, sizeof q, "workflows[%zu].name", i);
        proto_check_name(w->name, q, "workflow", false, d);
        for (size_t j = 0; w->name && j < i; j++)
            if (s->workflows[j]->name &&
                !strcmp(s->workflows[j]->name, w->name))
                plc_diags_add(d, q,
                              "\"%s\" is already the name of "
                              "workflows[%zu]",
                              w->name, j);
        snprintf(q, sizeof q, "workflows[%zu].arrival", i);
        if (w->arrival)
            check_arrival(w->arrival, q, d);
        else if (!trace)
            plc_diags_add(d, q,
                          "missing; say how copies arrive, e.g. "
                          "{\"poisson\": \"30s\"} (or give a \"trace\")");
        snprintf(q, sizeof q, "workflows[%zu].holding", i);
        if (w->holding)
            check_holding(w->holding, q, d);
        snprintf(q, sizeof q, "workflows[%zu].price", i);
        if (w->has_price && !(isfinite(w->price) && w->price >= 0))
            plc_diags_add(d, q, "must be a number, 0 or more");
    }
    if (!trace && !set(s->horizon) && !s->has_arrivals)
        plc_diags_add(d, "horizon",
                      "missing; give \"horizon\" (simulated time, e.g. "
                      "\"3600s\") or \"arrivals\" (how many in all), or "
                      "both");
    positive_time(s->horizon, "horizon", "the simulated time", d);
    if (s->has_arrivals &&
        (s->arrivals == 0 || s->arrivals > SCENARIO_ARRIVALS_MAX))
        plc_diags_add(d, "arrivals", "must be 1 to %llu",
                      (unsigned long long)SCENARIO_ARRIVALS_MAX);
    positive_time(s->time_limit, "time_limit", "each plan's time limit", d);
    positive_time(s->interval, "interval", "the time series' step", d);
    for (size_t i = 0; i < s->n_policies; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->policies[i], s->policies[j])) {
                snprintf(q, sizeof q, "policies[%zu]", i);
                plc_diags_add(d, q, "\"%s\" is listed twice", s->policies[i]);
            }
    for (size_t i = 0; i < s->n_variants; i++) {
        snprintf(q, sizeof q, "variants[%zu]", i);
        check_variant(s->variants[i], q, d);
        for (size_t j = 0; s->variants[i]->name && j < i; j++)
            if (s->variants[j]->name &&
                !strcmp(s->variants[j]->name, s->variants[i]->name)) {
                snprintf(q, sizeof q, "variants[%zu].name", i);
                plc_diags_add(d, q,
                              "\"%s\" is already the name of "
                              "variants[%zu]",
                              s->variants[i]->name, j);
            }
    }
}

static bool is_host(const Placer__Cluster *c, const char *name)
{
    for (size_t h = 0; name && h < c->n_hosts; h++)
        if (!strcmp(c->hosts[h]->name, name))
            return true;
    return false;
}

void proto_scenario_validate_refs(const Placer__Scenario *s,
                                  const Placer__Cluster *c, struct plc_diags *d)
{
    char q[P];
    for (size_t i = 0; i < s->n_variants; i++) {
        const Placer__Variant *v = s->variants[i];
        for (size_t k = 0; k < v->n_add_hosts; k++)
            if (v->add_hosts[k]->like && !is_host(c, v->add_hosts[k]->like)) {
                snprintf(q, sizeof q, "variants[%zu].add_hosts[%zu].like", i,
                         k);
                plc_diags_add(d, q, "\"%s\" is not a host of the cluster",
                              v->add_hosts[k]->like);
            }
        for (size_t k = 0; k < v->n_remove_hosts; k++)
            if (!is_host(c, v->remove_hosts[k])) {
                snprintf(q, sizeof q, "variants[%zu].remove_hosts[%zu]", i, k);
                plc_diags_add(d, q, "\"%s\" is not a host of the cluster",
                              v->remove_hosts[k]);
            }
        for (size_t k = 0; k < v->n_host_failures; k++)
            if (v->host_failures[k]->host &&
                !is_host(c, v->host_failures[k]->host)) {
                snprintf(q, sizeof q, "variants[%zu].host_failures[%zu].host",
                         i, k);
                plc_diags_add(d, q, "\"%s\" is not a host of the cluster",
                              v->host_failures[k]->host);
            }
    }
}
