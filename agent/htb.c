/*
 * htb.c: one HTB class per reserved flow, through libnl-route-3.
 *
 * On a device placer shapes: root qdisc htb 1: (default class 1:fffe),
 * class 1:1 at the link's rate, the default class 1:fffe with what the
 * reservations leave (ceil: the link), and per reservation a class 1:N with
 * rate = ceil = the reserved rate, an explicit quantum and a bfifo leaf
 * N: of at least 128 KiB: one segmentation-offload packet is 64 KiB, and a
 * leaf of exactly 64 KiB still starves TCP (measured on veth with a 10 Mbit
 * class: 64 KiB 0.41 Mbit/s of payload, 128 KiB and more 9.65 Mbit/s).
 * Its flow is classified by a u32 filter of priority N (so that it can be
 * deleted alone) on the IPv4 protocol, addresses and ports.
 */
#define _GNU_SOURCE
#include "agent/enforce.h"
#include "plc/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT TC_HANDLE(1, 0)
#define TOP TC_HANDLE(1, 1)
#define DEFAULT_MINOR 0xfffe
#define LEAF_MIN 131072

struct agent_htb {
    struct nl_sock *sock;
};

static int sys_errno(int nle)
{
    switch (nle < 0 ? -nle : nle) {
    case NLE_EXIST:
        return EEXIST;
    case NLE_OBJ_NOTFOUND:
        return ENOENT;
    case NLE_PERM:
        return EPERM;
    case NLE_BUSY:
        return EBUSY;
    case NLE_INVAL:
        return EINVAL;
    case NLE_NODEV:
        return ENODEV;
    case NLE_OPNOTSUPP:
        return EOPNOTSUPP;
    case NLE_NOMEM:
        return ENOMEM;
    case NLE_RANGE:
        return ERANGE;
    default:
        return EIO;
    }
}

static int fail(struct plc_error *err, int nle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct plc_error *err, int nle, const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    plc_error_set(err, PLC_EIO, "%s: %s", what, nl_geterror(nle));
    return sys_errno(nle);
}

int agent_htb_open(struct agent_htb **out, struct plc_error *err)
{
    struct agent_htb *h = calloc(1, sizeof *h);
    if (!h)
        return ENOMEM;
    h->sock = nl_socket_alloc();
    int rc = h->sock ? nl_connect(h->sock, NETLINK_ROUTE) : -NLE_NOMEM;
    if (rc < 0) {
        if (h->sock)
            nl_socket_free(h->sock);
        free(h);
        return fail(err, rc, "cannot open a netlink route socket");
    }
    *out = h;
    return 0;
}

void agent_htb_close(struct agent_htb *h)
{
    if (!h)
        return;
    nl_socket_free(h->sock);
    free(h);
}

static uint32_t quantum(uint64_t bytes_per_s)
{
    uint64_t q = bytes_per_s / 10;
    return (uint32_t)(q < 1600 ? 1600 : q > 200000 ? 200000 : q);
}

static uint32_t burst(uint64_t bytes_per_s)
{
    uint64_t b = bytes_per_s / 100;
    return (uint32_t)(b < 65536 + 1514 ? 65536 + 1514
                      : b > 1u << 24   ? 1u << 24
                                       : b);
}

/* A class parent -> handle at rate/ceil (bytes/s). */
static int put_class(struct agent_htb *h, struct rtnl_link *link,
                     uint32_t parent, uint32_t handle, uint64_t rate,
                     uint64_t ceil, const char *dev, struct plc_error *err)
{
    struct rtnl_class *c = rtnl_class_alloc();
    if (!c)
        return ENOMEM;
    rtnl_tc_set_link(TC_CAST(c), link);
    rtnl_tc_set_parent(TC_CAST(c), parent);
    rtnl_tc_set_handle(TC_CAST(c), handle);
    int rc = rtnl_tc_set_kind(TC_CAST(c), "htb");
    if (rc == 0) {
        rtnl_htb_set_rate64(c, rate);
        rtnl_htb_set_ceil64(c, ceil);
        rtnl_htb_set_quantum(c, quantum(rate));
        /* a burst that holds one segmentation-offload packet (64 KiB),
         * or 10 ms at the rate: with less, HTB throttles a TSO flow far
         * below its rate (measured on veth: 0.3 of 10 Mbit) */
        rtnl_htb_set_rbuffer(c, burst(rate));
        rtnl_htb_set_cbuffer(c, burst(ceil));
        rc = rtnl_class_add(h->sock, c, NLM_F_CREATE);
    }
    rtnl_class_put(c);
    if (rc < 0)
        return fail(err, rc,
                    "htb class %x:%x on %s (rate %llu bit/s, ceil %llu "
                    "bit/s)",
                    handle >> 16, handle & 0xffff, dev,
                    (unsigned long long)rate * 8, (unsigned long long)ceil * 8);
    return 0;
}

/* The sum of the rates of the reservation classes of ifindex, except
 * `skip` (bytes/s), and whether the root htb exists. */
static int reserved(struct agent_htb *h, int ifindex, uint32_t skip,
                    uint64_t *sum, bool *root, uint64_t *top)
{
    struct nl_cache *cache;
    int rc = rtnl_class_alloc_cache(h->sock, ifindex, &cache);
    if (rc < 0)
        return rc;
    *sum = 0;
    *root = false;
    for (struct nl_object *o = nl_cache_get_first(cache); o;
         o = nl_cache_get_next(o)) {
        struct rtnl_class *c = (struct rtnl_class *)o;
        uint32_t hd = rtnl_tc_get_handle(TC_CAST(c));
        const char *kind = rtnl_tc_get_kind(TC_CAST(c));
        if (!kind || strcmp(kind, "htb") || TC_H_MAJ(hd) != ROOT)
            continue;
        uint64_t r = 0;
        rtnl_htb_get_rate64(c, &r);
        if (hd == TOP) {
            *root = true;
            *top = r;
        } else if (TC_H_MIN(hd) != DEFAULT_MINOR && hd != skip)
            *sum += r;
    }
    nl_cache_free(cache);
    return 0;
}

static int link_of(struct agent_htb *h, const char *dev,
                   struct rtnl_link **link, struct plc_error *err)
{
    int rc = rtnl_link_get_kernel(h->sock, 0, dev, link);
    if (rc < 0)
        return fail(err, rc, "network device '%s'", dev);
    return 0;
}

/* The default class gets what the reservations leave (at least 1 %). */
static int set_default(struct agent_htb *h, struct rtnl_link *link,
                       const char *dev, uint64_t top, uint64_t sum,
                       struct plc_error *err)
{
    uint64_t left = sum < top ? top - sum : 0;
    if (left < top / 100)
        left = top / 100 ? top / 100 : 1;
    return put_class(h, link, TOP, TC_HANDLE(1, DEFAULT_MINOR), left, top, dev,
                     err);
}

int agent_htb_apply(struct agent_htb *h, struct agent_applied *a,
                    const char *dev, struct plc_error *err)
{
    const struct agent_res *r = &a->res;
    if (!a->classid)
        return plc_error_set(err, PLC_EINVAL, "no class minor chosen"), EINVAL;
    struct rtnl_link *link;
    int e = link_of(h, dev, &link, err);
    if (e)
        return e;
    int ifindex = rtnl_link_get_ifindex(link);
    uint64_t link_rate = r->link_rate_bps / 8, rate = r->rate_bps / 8;
    if (!link_rate)
        link_rate = 125000000; /* 1 Gbit/s when placerd did not say */
    uint64_t sum, top = 0;
    bool root;
    int rc = reserved(h, ifindex, TC_HANDLE(1, a->classid), &sum, &root, &top);
    if (rc < 0) {
        e = fail(err, rc, "cannot list the classes of %s", dev);
        goto out;
    }
    if (!root) {
        /* first use of the device: root htb, 1:1 and the default */
        struct rtnl_qdisc *q = rtnl_qdisc_alloc();
        rtnl_tc_set_link(TC_CAST(q), link);
        rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
        rtnl_tc_set_handle(TC_CAST(q), ROOT);
        rtnl_tc_set_kind(TC_CAST(q), "htb");
        rtnl_htb_set_defcls(q, DEFAULT_MINOR);
        rtnl_htb_set_rate2quantum(q, 10);
        rc = rtnl_qdisc_add(h->sock, q, NLM_F_CREATE | NLM_F_REPLACE);
        rtnl_qdisc_put(q);
        if (rc < 0) {
            e = fail(err, rc, "root htb qdisc 1: on %s", dev);
            goto out;
        }
        if ((e = put_class(h, link, ROOT, TOP, link_rate, link_rate, dev, err)))
            goto out;
        top = link_rate;
    } else if (top != link_rate) {
        if ((e = put_class(h, link, ROOT, TOP, link_rate, link_rate, dev, err)))
            goto out;
        top = link_rate;
    }
    if (sum + rate > top) {
        plc_error_set(err, PLC_EDATA,
                      "%s: %llu bit/s reserved already, %llu more exceeds "
                      "the link's %llu bit/s",
                      dev, (unsigned long long)sum * 8,
                      (unsigned long long)rate * 8,
                      (unsigned long long)top * 8);
        e = ENOSPC;
        goto out;
    }
    /* shrink the default before the new class takes its share */
    if ((e = set_default(h, link, dev, top, sum + rate, err)))
        goto out;
    uint32_t handle = TC_HANDLE(1, a->classid);
    if ((e = put_class(h, link, TOP, handle, rate, rate, dev, err)))
        goto out;
    /* the leaf: bfifo of at least 128 KiB */
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    rtnl_tc_set_link(TC_CAST(q), link);
    rtnl_tc_set_parent(TC_CAST(q), handle);
    rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(a->classid, 0));
    rtnl_tc_set_kind(TC_CAST(q), "bfifo");
    uint64_t limit = r->burst_bytes > LEAF_MIN ? r->burst_bytes : LEAF_MIN;
    rtnl_qdisc_fifo_set_limit(q, (int)limit);
    rc = rtnl_qdisc_add(h->sock, q, NLM_F_CREATE | NLM_F_REPLACE);
    rtnl_qdisc_put(q);
    if (rc < 0) {
        e = fail(err, rc, "bfifo leaf %x: (limit %llu bytes) on %s", a->classid,
                 (unsigned long long)limit, dev);
        goto out;
    }
    /* the filter: delete and add again (a flow may have changed) */
    struct rtnl_cls *c = rtnl_cls_alloc();
    rtnl_tc_set_link(TC_CAST(c), link);
    rtnl_tc_set_parent(TC_CAST(c), ROOT);
    rtnl_tc_set_kind(TC_CAST(c), "u32");
    rtnl_cls_set_prio(c, (uint16_t)a->classid);
    rtnl_cls_set_protocol(c, ETH_P_IP);
    rtnl_cls_delete(h->sock, c, 0); /* absent: fine */
    if (r->flow.set) {
        const struct agent_flow *f = &r->flow;
        rtnl_u32_set_classid(c, handle);
        rtnl_u32_set_cls_terminal(c);
        if (f->proto)
            rtnl_u32_add_key(c, htonl((uint32_t)f->proto << 16),
                             htonl(0x00ff0000), 8, 0);
        if (f->src)
            rtnl_u32_add_key(c, f->src, 0xffffffff, 12, 0);
        if (f->dst)
            rtnl_u32_add_key(c, f->dst, 0xffffffff, 16, 0);
        if (f->sport || f->dport) {
            uint32_t v = (uint32_t)f->sport << 16 | f->dport,
                     m = (f->sport ? 0xffff0000u : 0) |
                         (f->dport ? 0x0000ffffu : 0);
            rtnl_u32_add_key(c, htonl(v), htonl(m), 20, 0);
        }
        if (!f->proto && !f->src && !f->dst && !f->sport && !f->dport)
            rtnl_u32_add_key(c, 0, 0, 0, 0); /* everything */
        rc = rtnl_cls_add(h->sock, c, NLM_F_CREATE | NLM_F_EXCL);
        if (rc < 0)
            e = fail(err, rc, "u32 filter (prio %u) to class 1:%x on %s",
                     a->classid, a->classid, dev);
    }
    rtnl_cls_put(c);
    if (!e)
        snprintf(a->device, sizeof a->device, "%s", dev);
out:
    rtnl_link_put(link);
    return e;
}

static int remove_class(struct agent_htb *h, struct rtnl_link *link,
                        uint32_t minor, const char *dev, struct plc_error *err)
{
    struct rtnl_cls *c = rtnl_cls_alloc();
    rtnl_tc_set_link(TC_CAST(c), link);
    rtnl_tc_set_parent(TC_CAST(c), ROOT);
    rtnl_tc_set_kind(TC_CAST(c), "u32");
    rtnl_cls_set_prio(c, (uint16_t)minor);
    rtnl_cls_set_protocol(c, ETH_P_IP);
    rtnl_cls_delete(h->sock, c, 0);
    rtnl_cls_put(c);
    struct rtnl_class *k = rtnl_class_alloc();
    rtnl_tc_set_link(TC_CAST(k), link);
    rtnl_tc_set_handle(TC_CAST(k), TC_HANDLE(1, minor));
    rtnl_tc_set_parent(TC_CAST(k), TOP);
    int rc = rtnl_class_delete(h->sock, k);
    rtnl_class_put(k);
    if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
        return fail(err, rc, "delete htb class 1:%x on %s", minor, dev);
    return 0;
}

int agent_htb_remove(struct agent_htb *h, struct agent_applied *a,
                     struct plc_error *err)
{
    if (!a->device[0])
        return 0;
    struct rtnl_link *link;
    int e = link_of(h, a->device, &link, err);
    if (e)
        return e == ENODEV ? 0 : e; /* the device is gone: so is the class */
    e = remove_class(h, link, a->classid, a->device, err);
    uint64_t sum, top;
    bool root;
    if (!e &&
        reserved(h, rtnl_link_get_ifindex(link), 0, &sum, &root, &top) == 0 &&
        root)
        e = set_default(h, link, a->device, top, sum, err);
    rtnl_link_put(link);
    if (!e)
        a->device[0] = 0;
    return e;
}

int agent_htb_prune(struct agent_htb *h, const char *dev, const uint32_t *keep,
                    size_t n, int *removed, struct plc_error *err)
{
    *removed = 0;
    struct rtnl_link *link;
    int e = link_of(h, dev, &link, err);
    if (e)
        return e;
    struct nl_cache *cache;
    int rc =
        rtnl_class_alloc_cache(h->sock, rtnl_link_get_ifindex(link), &cache);
    if (rc < 0) {
        rtnl_link_put(link);
        return fail(err, rc, "cannot list the classes of %s", dev);
    }
    uint32_t stale[256];
    size_t k = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o && k < 256;
         o = nl_cache_get_next(o)) {
        uint32_t hd = rtnl_tc_get_handle(TC_CAST((struct rtnl_class *)o));
        uint32_t mi = TC_H_MIN(hd);
        if (TC_H_MAJ(hd) != ROOT || hd == TOP || mi == DEFAULT_MINOR)
            continue;
        bool kept = false;
        for (size_t i = 0; i < n && !kept; i++)
            kept = keep[i] == mi;
        if (!kept)
            stale[k++] = mi;
    }
    nl_cache_free(cache);
    for (size_t i = 0; i < k && !e; i++)
        if (!(e = remove_class(h, link, stale[i], dev, err)))
            ++*removed;
    uint64_t sum, top;
    bool root;
    if (!e && k &&
        reserved(h, rtnl_link_get_ifindex(link), 0, &sum, &root, &top) == 0 &&
        root)
        e = set_default(h, link, dev, top, sum, err);
    rtnl_link_put(link);
    return e;
}
