/*
 * import.c: real topologies into cluster files.
 *
 * GraphML (Internet Topology Zoo) is read with libxml2; the SNDlib native
 * format (Orlowski et al., Networks 2010) is a small line-oriented text
 * format with no library of its own, read here.  Both land in one neutral
 * form (nodes with optional coordinates, edges with optional rate) that
 * emit() turns into a cluster.
 */
#define _GNU_SOURCE /* hcreate_r: a hash table of the names given so far */
#include "proto/topo.h"
#include "cluster_build.h"
#include "plc/quantity.h"
#include "proto/validate.h"

#include <search.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tnode {
    char *id;   /* identifier in the source file */
    char *name; /* valid, unique cluster name */
    double lat, lon;
    bool has_coord;
};

struct tedge {
    size_t a, b;
    uint64_t rate_bps; /* 0: not in the file */
};

struct topo {
    struct tnode *nodes;
    size_t n_nodes, cap_nodes;
    struct tedge *edges;
    size_t n_edges, cap_edges;
};

static void topo_release(struct topo *t)
{
    for (size_t i = 0; i < t->n_nodes; i++) {
        free(t->nodes[i].id);
        free(t->nodes[i].name);
    }
    free(t->nodes);
    free(t->edges);
}

static struct tnode *topo_add_node(struct topo *t, const char *id)
{
    if (t->n_nodes == t->cap_nodes) {
        size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 32;
        struct tnode *v = realloc(t->nodes, cap * sizeof *v);
        if (!v)
            return NULL;
        t->nodes = v;
        t->cap_nodes = cap;
    }
    struct tnode *n = &t->nodes[t->n_nodes];
    memset(n, 0, sizeof *n);
    n->id = strdup(id);
    if (!n->id)
        return NULL;
    t->n_nodes++;
    return n;
}

static bool topo_add_edge(struct topo *t, size_t a, size_t b, uint64_t rate)
{
    if (t->n_edges == t->cap_edges) {
        size_t cap = t->cap_edges ? t->cap_edges * 2 : 32;
        struct tedge *v = realloc(t->edges, cap * sizeof *v);
        if (!v)
            return false;
        t->edges = v;
        t->cap_edges = cap;
    }
    t->edges[t->n_edges++] = (struct tedge){a, b, rate};
    return true;
}

static long topo_find(const struct topo *t, const char *id)
{
    for (size_t i = 0; i < t->n_nodes; i++)
        if (!strcmp(t->nodes[i].id, id))
            return (long)i;
    return -1;
}

double proto_topo_distance_km(double lat1, double lon1, double lat2,
                              double lon2)
{
    const double r = 6371.0, rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double h =
        sin(dlat / 2) * sin(dlat / 2) +
        cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(h < 1 ? h : 1));
}

static bool name_taken(struct hsearch_data *taken, const char *name)
{
    ENTRY e = {(char *)name, NULL}, *found = NULL;
    return hsearch_r(e, FIND, &found, taken) && found;
}

/* Is `name` free, and, with `hosts` hosts per node, name-h1..name-hN too? */
static bool name_free(struct hsearch_data *taken, const char *name, int hosts)
{
    if (name_taken(taken, name))
        return false;
    char host[96];
    for (int h = 1; h <= hosts; h++) {
        snprintf(host, sizeof host, "%s-h%d", name, h);
        if (name_taken(taken, host))
            return false;
    }
    return true;
}

static bool enter_name(struct hsearch_data *taken, char *name)
{
    ENTRY e = {name, NULL}, *entered;
    return hsearch_r(e, ENTER, &entered, taken);
}

/* "Canarias (las palmas)" -> "Canarias_las_palmas"; duplicates get -2, -3,
 * and no name is one another node's hosts get (its name-h1..-hN, with
 * `hosts` hosts per node).  A valid name has at most 63 characters: the
 * base keeps 40, room for "-" and 10 digits of a count, then "-h" and 10
 * digits of a host.  Returns the number of names that had to change, or
 * (size_t)-1 out of memory. */
static size_t make_names(struct topo *t, int hosts, const char **example_from,
                         const char **example_to)
{
    size_t changed = 0;
    struct hsearch_data taken;
    memset(&taken, 0, sizeof taken);
    if (hosts < 0)
        hosts = 0;
    /* every host name is entered too: the table's names are owned by
     * `owned` (host names) or by the nodes */
    size_t cap = (size_t)(hosts + 1) * t->n_nodes;
    char **owned = calloc(cap + 1, sizeof *owned);
    char **bases = calloc(t->n_nodes + 1, sizeof *bases);
    size_t n_owned = 0, n_bases = 0;
    struct hsearch_data counts; /* base name -> its next count */
    memset(&counts, 0, sizeof counts);
    if (!owned || !bases || !hcreate_r(2 * cap + 16, &taken)) {
        free(owned);
        free(bases);
        return (size_t)-1;
    }
    if (!hcreate_r(2 * t->n_nodes + 16, &counts)) {
        hdestroy_r(&taken);
        free(owned);
        free(bases);
        return (size_t)-1;
    }
    size_t rc = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        char buf[48];
        size_t n = 0;
        bool pending = false;
        for (const char *p = t->nodes[i].id; *p && n < 40; p++) {
            char s[2] = {*p, 0};
            if (proto_name_valid(s)) {
                if (pending && n > 0)
                    buf[n++] = '_';
                pending = false;
                if (n < 40)
                    buf[n++] = *p;
            } else {
                pending = true;
            }
        }
        buf[n] = '\0';
        if (n == 0)
            snprintf(buf, sizeof buf, "node");
        char name[64];
        snprintf(name, sizeof name, "%s", buf);
        /* at most n_nodes names are taken: a free count exists; each
         * base resumes its count where it stopped (linear in the nodes) */
        if (!name_free(&taken, name, hosts)) {
            ENTRY q = {buf, NULL}, *seen = NULL;
            unsigned long k = hsearch_r(q, FIND, &seen, &counts) && seen
                                  ? (unsigned long)(uintptr_t)seen->data
                                  : 2;
            do
                snprintf(name, sizeof name, "%s-%lu", buf, k++);
            while (!name_free(&taken, name, hosts));
            if (seen) {
                seen->data = (void *)(uintptr_t)k;
            } else {
                ENTRY e = {strdup(buf), (void *)(uintptr_t)k}, *entered;
                if (!(bases[n_bases] = e.key) ||
                    !hsearch_r(e, ENTER, &entered, &counts)) {
                    free(e.key);
                    rc = (size_t)-1;
                    break;
                }
                n_bases++;
            }
        }
        t->nodes[i].name = strdup(name);
        if (!t->nodes[i].name || !enter_name(&taken, t->nodes[i].name)) {
            rc = (size_t)-1;
            break;
        }
        for (int h = 1; h <= hosts && rc == 0; h++) {
            char host[96];
            snprintf(host, sizeof host, "%s-h%d", name, h);
            if (!(owned[n_owned] = strdup(host)) ||
                !enter_name(&taken, owned[n_owned++]))
                rc = (size_t)-1;
        }
        if (rc)
            break;
        if (strcmp(name, t->nodes[i].id)) {
            if (changed++ == 0) {
                *example_from = t->nodes[i].id;
                *example_to = t->nodes[i].name;
            }
        }
    }
    hdestroy_r(&taken);
    hdestroy_r(&counts);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    for (size_t i = 0; i < n_bases; i++)
        free(bases[i]);
    free(owned);
    free(bases);
    return rc ? rc : changed;
}

/* Turn the neutral form into a cluster; notes say what was substituted. */
static int emit(struct topo *t, const struct proto_topo_opts *o,
                Placer__Cluster **out, struct plc_buf *notes,
                struct plc_error *err)
{
    const char *from = NULL, *to = NULL;
    size_t renamed = make_names(t, o->hosts_per_node, &from, &to);
    if (renamed == (size_t)-1)
        return plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                             plc_strerror(PLC_ENOMEM));
    if (renamed)
        plc_buf_printf(notes,
                       "%zu node name%s changed to valid names (e.g. \"%s\" "
                       "-> \"%s\")\n",
                       renamed, renamed == 1 ? " was" : "s were", from, to);
    struct proto__cluster_build b;
    if (!proto__cb_init(&b))
        return plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                             plc_strerror(PLC_ENOMEM));
    size_t no_coord = 0, no_rate = 0;
    struct plc_buf which = PLC_BUF_INIT;
    char host[80];
    for (size_t i = 0; i < t->n_nodes; i++) {
        const struct tnode *n = &t->nodes[i];
        if (!n->has_coord)
            plc_buf_printf(&which, "%s\"%s\"", no_coord++ ? ", " : "", n->name);
        if (o->hosts_per_node <= 0) {
            proto__cb_host(&b, n->name, o->cores, o->core_capacity,
                           o->memory_bytes);
            continue;
        }
        proto__cb_switch(&b, n->name);
        for (int h = 1; h <= o->hosts_per_node; h++) {
            snprintf(host, sizeof host, "%s-h%d", n->name, h);
            proto__cb_host(&b, host, o->cores, o->core_capacity,
                           o->memory_bytes);
            proto__cb_link(&b, host, n->name, o->access_rate_bps,
                           o->access_latency_ns, o->buffer_bytes);
        }
    }
    size_t loops = 0;
    for (size_t i = 0; i < t->n_edges; i++) {
        const struct tedge *e = &t->edges[i];
        const struct tnode *a = &t->nodes[e->a], *z = &t->nodes[e->b];
        if (e->a == e->b) {
            loops++; /* a link joins two different nodes */
            continue;
        }
        uint64_t lat = o->latency_ns;
        if (a->has_coord && z->has_coord)
            /* propagation: 5 us per km of great-circle distance */
            lat = (uint64_t)llround(
                proto_topo_distance_km(a->lat, a->lon, z->lat, z->lon) *
                5000.0);
        if (!e->rate_bps)
            no_rate++;
        proto__cb_link(&b, a->name, z->name,
                       e->rate_bps ? e->rate_bps : o->rate_bps, lat,
                       o->buffer_bytes);
    }
    char q[PLC_QTY_BUFSZ];
    if (loops)
        plc_buf_printf(notes,
                       "%zu link%s from a node to itself skipped (a link "
                       "joins two different nodes)\n",
                       loops, loops == 1 ? "" : "s");
    if (no_coord) {
        plc_qty_format(PLC_QTY_TIME, o->latency_ns, q, sizeof q);
        plc_buf_printf(notes,
                       "%zu node%s no coordinates (%s); %s links take "
                       "latency %s (--latency)\n",
                       no_coord, no_coord == 1 ? " has" : "s have",
                       plc_buf_str(&which), no_coord == 1 ? "its" : "their", q);
    }
    plc_buf_release(&which);
    if (no_rate) {
        plc_qty_format(PLC_QTY_RATE, o->rate_bps, q, sizeof q);
        plc_buf_printf(notes,
                       "%zu link%s no rate in the file; %s %s (--rate)\n",
                       no_rate, no_rate == 1 ? " has" : "s have",
                       no_rate == 1 ? "it takes" : "they take", q);
    }
    *out = proto__cb_finish(&b);
    if (!*out)
        return plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                             plc_strerror(PLC_ENOMEM));
    return 0;
}

/* ---- GraphML ------------------------------------------------------------ */

static bool is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static char *attr(const xmlNode *n, const char *name)
{
    return (char *)xmlGetProp((xmlNode *)n, (const xmlChar *)name);
}

/* The text of the <data> child whose key has attr.name `name`, or NULL.
 * `keys` maps key ids to attribute names (pairs). Caller frees. */
static char *data_of(const xmlNode *n, char **keys, size_t nkeys,
                     const char *name)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (!is_elem(c, "data"))
            continue;
        char *key = attr(c, "key");
        bool match = false;
        for (size_t i = 0; key && i + 1 < nkeys; i += 2)
            if (!strcmp(keys[i], key) && !strcmp(keys[i + 1], name))
                match = true;
        xmlFree(key);
        if (match)
            return (char *)xmlNodeGetContent(c);
    }
    return NULL;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    if (!s)
        return false;
    *out = strtod(s, &end);
    return end != s && isfinite(*out);
}

/* Edge rate: LinkSpeedRaw in bit/s, else LinkSpeed with LinkSpeedUnits. */
static uint64_t graphml_rate(const xmlNode *e, char **keys, size_t nkeys)
{
    double v = 0;
    char *raw = data_of(e, keys, nkeys, "LinkSpeedRaw");
    bool ok = parse_double(raw, &v);
    xmlFree(raw);
    if (!ok) {
        char *sp = data_of(e, keys, nkeys, "LinkSpeed");
        char *un = data_of(e, keys, nkeys, "LinkSpeedUnits");
        if (parse_double(sp, &v) && un) {
            double m = un[0] == 'G'   ? 1e9
                       : un[0] == 'M' ? 1e6
                       : un[0] == 'K' ? 1e3
                                      : 1;
            v *= m;
            ok = true;
        }
        xmlFree(sp);
        xmlFree(un);
    }
    return ok && v >= 1 && v < 1e18 ? (uint64_t)llround(v) : 0;
}

static int graphml_walk(xmlNode *root, struct topo *t, struct plc_error *err)
{
    char **keys = NULL; /* id, attr.name pairs */
    size_t nkeys = 0;
    xmlNode *graph = NULL;
    int rc = 0;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (is_elem(c, "key")) {
            char **k = realloc(keys, (nkeys + 2) * sizeof *k);
            if (!k) {
                rc = plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                                   plc_strerror(PLC_ENOMEM));
                goto out;
            }
            keys = k;
            keys[nkeys] = attr(c, "id");
            keys[nkeys + 1] = attr(c, "attr.name");
            if (!keys[nkeys] || !keys[nkeys + 1]) {
                xmlFree(keys[nkeys]);
                xmlFree(keys[nkeys + 1]);
                continue;
            }
            nkeys += 2;
        } else if (is_elem(c, "graph") && !graph) {
            graph = c;
        }
    }
    if (!graph) {
        rc = plc_error_set(err, PLC_EDATA, "no <graph> element");
        goto out;
    }
    for (xmlNode *n = graph->children; n && rc == 0; n = n->next) {
        if (!is_elem(n, "node"))
            continue;
        char *id = attr(n, "id");
        char *label = data_of(n, keys, nkeys, "label");
        char *la = data_of(n, keys, nkeys, "Latitude");
        char *lo = data_of(n, keys, nkeys, "Longitude");
        struct tnode *tn = NULL;
        if (!id)
            rc = plc_error_set(err, PLC_EDATA, "a <node> has no id");
        else if (!(tn = topo_add_node(t, id)))
            rc = plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                               plc_strerror(PLC_ENOMEM));
        if (tn) {
            /* the label names the node; the id is kept to resolve edges */
            tn->has_coord =
                parse_double(la, &tn->lat) && parse_double(lo, &tn->lon);
            if (label && *label) {
                char *l = strdup(label);
                if (l) {
                    free(tn->name);
                    tn->name = l; /* temporarily: label, see below */
                }
            }
        }
        xmlFree(id);
        xmlFree(label);
        xmlFree(la);
        xmlFree(lo);
    }
    for (xmlNode *e = graph->children; e && rc == 0; e = e->next) {
        if (!is_elem(e, "edge"))
            continue;
        char *s = attr(e, "source"), *d = attr(e, "target");
        long a = s ? topo_find(t, s) : -1, b = d ? topo_find(t, d) : -1;
        if (a < 0 || b < 0)
            rc = plc_error_set(err, PLC_EDATA,
                               "an <edge> names unknown node \"%s\"",
                               a < 0 ? (s ? s : "") : (d ? d : ""));
        else if (!topo_add_edge(t, (size_t)a, (size_t)b,
                                graphml_rate(e, keys, nkeys)))
            rc = plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                               plc_strerror(PLC_ENOMEM));
        xmlFree(s);
        xmlFree(d);
    }
out:
    for (size_t i = 0; i < nkeys; i++)
        xmlFree(keys[i]);
    free(keys);
    return rc;
}

int proto_topo_import_graphml(const char *text, size_t len,
                              const struct proto_topo_opts *o,
                              Placer__Cluster **out, struct plc_buf *notes,
                              struct plc_error *err)
{
    *out = NULL;
    if (len > INT32_MAX)
        return plc_error_set(err, PLC_EDATA, "file too large");
    xmlDoc *doc = xmlReadMemory(text, (int)len, "topology.graphml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *x = xmlGetLastError();
        return plc_error_set(err, PLC_EDATA, "not valid XML (line %d: %s)",
                             x ? x->line : 0,
                             x && x->message ? x->message : "parse error");
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    struct topo t = {0};
    int rc;
    if (!root || !is_elem(root, "graphml")) {
        rc = plc_error_set(err, PLC_EDATA, "no <graphml> root element");
    } else {
        rc = graphml_walk(root, &t, err);
        /* name nodes by label where there is one: move it into id's place
         * now that edges are resolved */
        for (size_t i = 0; rc == 0 && i < t.n_nodes; i++)
            if (t.nodes[i].name) {
                free(t.nodes[i].id);
                t.nodes[i].id = t.nodes[i].name;
                t.nodes[i].name = NULL;
            }
        if (rc == 0 && t.n_nodes == 0)
            rc = plc_error_set(err, PLC_EDATA, "the graph has no nodes");
        if (rc == 0)
            rc = emit(&t, o, out, notes, err);
    }
    topo_release(&t);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- SNDlib native ------------------------------------------------------ */

#define MAX_TOKENS 16

/* Split `line` into at most MAX_TOKENS whitespace-separated tokens, with
 * '(' and ')' tokens of their own; '#' starts a comment.  The tokens are
 * copied into `buf`, which holds 2 * strlen(line) + 2 bytes. */
static size_t tokenize(const char *line, char *buf, char **tok)
{
    size_t n = 0;
    const char *p = line;
    while (*p && n < MAX_TOKENS) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            break;
        tok[n++] = buf;
        if (*p == '(' || *p == ')')
            *buf++ = *p++;
        else
            while (*p && !strchr(" \t\r()#", *p))
                *buf++ = *p++;
        *buf++ = '\0';
    }
    return n;
}

static int sndlib_line(struct topo *t, int section, char **tok, size_t n,
                       int lineno, struct plc_error *err)
{
    if (section == 1) { /* NODES: id ( lon lat ) */
        struct tnode *tn;
        if (n < 1)
            return 0;
        if (!(tn = topo_add_node(t, tok[0])))
            return plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                                 plc_strerror(PLC_ENOMEM));
        tn->has_coord = n >= 5 && !strcmp(tok[1], "(") &&
                        parse_double(tok[2], &tn->lon) &&
                        parse_double(tok[3], &tn->lat);
        return 0;
    }
    /* LINKS: id ( source target ) capacity cost routing setup ( ... ) */
    if (n < 6 || strcmp(tok[1], "(") || strcmp(tok[4], ")"))
        return plc_error_set(err, PLC_EDATA,
                             "line %d: a link is \"ID ( SOURCE TARGET ) "
                             "CAPACITY ...\"",
                             lineno);
    long a = topo_find(t, tok[2]), b = topo_find(t, tok[3]);
    if (a < 0 || b < 0)
        return plc_error_set(err, PLC_EDATA,
                             "line %d: link \"%s\" names unknown node \"%s\"",
                             lineno, tok[0], a < 0 ? tok[2] : tok[3]);
    double mbit = 0;
    char *cend;
    mbit = strtod(tok[5], &cend);
    if (cend == tok[5] || *cend)
        return plc_error_set(err, PLC_EDATA,
                             "line %d: capacity \"%s\" is not a number", lineno,
                             tok[5]);
    if (!(mbit >= 0 && mbit <= 1e12))
        return plc_error_set(err, PLC_ERANGE,
                             "line %d: capacity \"%s\" Mbit/s is out of range "
                             "(0, none installed, to 1e12)",
                             lineno, tok[5]);
    /* pre-installed capacity in Mbit/s; 0 means none installed */
    if (!topo_add_edge(t, (size_t)a, (size_t)b, (uint64_t)llround(mbit * 1e6)))
        return plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                             plc_strerror(PLC_ENOMEM));
    return 0;
}

int proto_topo_import_sndlib(const char *text, size_t len,
                             const struct proto_topo_opts *o,
                             Placer__Cluster **out, struct plc_buf *notes,
                             struct plc_error *err)
{
    *out = NULL;
    struct topo t = {0};
    int rc = 0, section = 0, lineno = 0; /* 1 nodes, 2 links, 3 other */
    bool seen_nodes = false;
    const char *p = text, *end = text + len;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = malloc(3 * ll + 3); /* the line, then its tokens */
        if (!line) {
            rc = plc_error_set(err, PLC_ENOMEM, "cannot import (%s)",
                               plc_strerror(PLC_ENOMEM));
            break;
        }
        memcpy(line, p, ll);
        line[ll] = '\0';
        lineno++;
        char *tok[MAX_TOKENS];
        size_t n = tokenize(line, line + ll + 1, tok);
        if (section == 0 && n >= 2 && !strcmp(tok[1], "(")) {
            section = !strcmp(tok[0], "NODES")   ? 1
                      : !strcmp(tok[0], "LINKS") ? 2
                                                 : 3;
            seen_nodes |= section == 1;
        } else if (section && n == 1 && !strcmp(tok[0], ")")) {
            section = 0;
        } else if ((section == 1 || section == 2) && n > 0) {
            rc = sndlib_line(&t, section, tok, n, lineno, err);
        }
        free(line);
        p = nl ? nl + 1 : end;
    }
    if (rc == 0 && section)
        rc = plc_error_set(err, PLC_EDATA,
                           "the %s section is not closed with \")\" (line %d "
                           "is the last): is the file cut off?",
                           section == 1   ? "NODES"
                           : section == 2 ? "LINKS"
                                          : "last",
                           lineno);
    if (rc == 0 && (!seen_nodes || t.n_nodes == 0))
        rc = plc_error_set(err, PLC_EDATA,
                           "no NODES section; is this an SNDlib native "
                           "file?");
    if (rc == 0)
        rc = emit(&t, o, out, notes, err);
    topo_release(&t);
    return rc;
}
