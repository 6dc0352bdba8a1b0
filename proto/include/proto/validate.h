/*
 * proto/validate.h: the rules of FORMATS.md, checked on the protobuf form
 * of a document.  Every problem goes to `diags` with its field path; a
 * problem already recorded at a path (by the JSON mapping) is not repeated.
 */
#ifndef PROTO_VALIDATE_H
#define PROTO_VALIDATE_H

#include <stdbool.h>

#include "plc/diag.h"
#include "proto/placer.pb-c.h"

/* Names: [A-Za-z0-9._-]{1,63}. */
bool proto_name_valid(const char *s);

void proto_cluster_validate(const Placer__Cluster *c, struct plc_diags *d);
void proto_workflow_validate(const Placer__Workflow *w, struct plc_diags *d);
void proto_analyze_validate(const Placer__AnalyzeInput *a, struct plc_diags *d);
/* A simulation scenario alone (its files and policy names are checked
 * where they are read: placer simulate). */
void proto_scenario_validate(const Placer__Scenario *s, struct plc_diags *d);
/* Its hosts (variants' like, remove_hosts, host_failures) in cluster c. */
void proto_scenario_validate_refs(const Placer__Scenario *s,
                                  const Placer__Cluster *c,
                                  struct plc_diags *d);

/* Every time, rate and size in m (a document, from a file or the wire) at
 * most PLC_QTY_MAX, each one beyond named by its path.  The validators
 * above call it. */
void proto_check_quantities(const ProtobufCMessage *m, struct plc_diags *d);

/* References from a workflow into a cluster. */
void proto_workflow_validate_refs(const Placer__Workflow *w,
                                  const Placer__Cluster *c,
                                  struct plc_diags *d);

/* Shared helpers of the validators (validate_common in validate_cluster.c). */
bool proto_diags_has(const struct plc_diags *d, const char *path);
void proto_check_name(const char *name, const char *path, const char *what,
                      bool required, struct plc_diags *d);

#endif
