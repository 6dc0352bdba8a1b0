#!/usr/bin/python3
"""placerd's HTTP/JSON API end to end, with real clients: Python's
http.client and urllib, and curl.

    test_http.py BIN_DIR SOURCE_DIR [SCENARIO]...

openapi      GET /v1/openapi.json is docs/openapi.json, OpenAPI 3.1, its
             schemas valid JSON Schema 2020-12, every route in it; and every
             response any scenario receives is checked against it (status,
             content type, body schema, documented headers)
k8s          the Kubernetes scheduler extender as kube-scheduler calls
             it: filter (node objects or names), prioritize, bind, the
             token in the path, pods not placer's, other tenants
watch        GET /v1/events: every change in order with who made it, a
             long poll answered by the change, an agent's applying, a
             tenant's view, across a restart, 410, SIGTERM while waiting
idempotency  ten identical POSTs with one Idempotency-Key at once admit
             once, all get the first answer; a retry later and after a
             restart too; the key with another body is 422
walkthrough  examples/http-walkthrough.sh: each step's status, in order
lifecycle    readyz before and after a cluster, PUT/GET /v1/cluster, a dry
             run that changes nothing, submit (201 + Location), status with
             an ETag that changes with the state, list, hosts, a stale
             If-Match (412, still there), release with the right one,
             then 404; a rejection is 409 with its code
same         an HTTP submission and `placer submit --json` over ZeroMQ on
             two fresh daemons give the same plan
errors       422 with field paths, 400 for malformed JSON, an empty body
             and bad query arguments, 404, 405 with Allow, 413 (declared
             and chunked); none of them changes the stored state
metrics      GET /metrics passes promtool; its counters, histograms and
             gauges agree with what was answered and with /v1/hosts; a real
             Prometheus server scrapes placerd and answers a query for
             placer_admissions_total
tenants      tokens made over HTTP; a tenant's token sees and changes only
             its tenant's workflows (404 for others', 403 for admin
             operations); missing, malformed, wrong, expired and revoked
             tokens (401); quotas of workflows and CPU enforced (409
             quota, dry runs too); placer --token over ZeroMQ
curve        the client socket over CURVE: TENANT.pub and admins/NAME.pub
             keys act for their tenant or as an admin; others are refused
busy         a full queue (--queue 1): 503 busy with Retry-After, placerd
             still answering; and, beside every scenario, a client silent
             mid-request is cut off at 30 s
clients      keep-alive reuse, 8 clients submitting at once (all answered,
             no core over its capacity), a slow client and one that
             disconnects mid-body or while its admission is planned do not
             stop others being served; SIGTERM with connections open
options      --http refused off loopback (exit 64), a malformed address
             (64), a port in use (69); HTTPS with --http-cert/--http-key
             checked by curl against the certificate
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import jsonschema  # noqa: E402  (Debian's python3-jsonschema)

BIN, SRC = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="placer-http-")
failures = []
with open(os.path.join(SRC, "docs", "openapi.json")) as f:
    OPENAPI = json.load(f)
RESOLVER = jsonschema.RefResolver.from_schema(OPENAPI)
checked = {"responses": 0}


def openapi_operation(method, path):
    """The OpenAPI operation serving METHOD PATH, or None."""
    for tmpl, item in OPENAPI["paths"].items():
        if re.match("^" + re.sub(r"\{[^}]+\}", "[^/]+", tmpl) + "$", path):
            return item.get("get" if method == "HEAD" else method.lower())
    return None


def check_openapi(method, path, status, hdrs, data):
    """Every response a test receives, checked against docs/openapi.json:
    the operation's response for its status (or default), its content
    type, its body against the schema, its documented headers."""
    op = openapi_operation(method, path.split("?")[0])
    if op is None:
        check(status in (404, 405), "%s %s: a path the document lacks "
              "answered %d" % (method, path, status))
        op = {"responses": {"default": {"content": {
            "application/problem+json": {"schema": {
                "$ref": "#/components/schemas/Problem"}}}}}}
    r = op["responses"].get(str(status)) or op["responses"].get("default")
    if r is None:
        fail("%s %s: status %d is not in the OpenAPI document"
                        % (method, path, status))
        return
    for h in r.get("headers", {}):
        check(h.lower() in hdrs, "%s %s %d: header %s documented, not sent"
              % (method, path, status, h))
    if method == "HEAD" or "content" not in r:
        return
    ctype = hdrs.get("content-type", "").split(";")[0]
    if ctype not in r["content"]:
        fail("%s %s %d: content type %r, the document says %r"
                        % (method, path, status, ctype, list(r["content"])))
        return
    schema = r["content"][ctype]["schema"]
    body = data
    if ctype.endswith("json"):
        try:
            body = json.loads(data)
        except ValueError:
            fail("%s %s %d: the body is not JSON" % (method, path, status))
            return
    else:
        body = data.decode()
    try:
        jsonschema.Draft202012Validator(schema, resolver=RESOLVER).validate(body)
        checked["responses"] += 1
    except jsonschema.ValidationError as e:
        fail("%s %s %d: the body does not match the OpenAPI "
                        "schema: %s at %s" % (method, path, status, e.message,
                                              list(e.absolute_path)))


def fail(what):
    failures.append(what)
    print("FAIL:", what, flush=True)


def check(cond, what):
    if not cond:
        fail(what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def example(name):
    with open(os.path.join(SRC, "examples", name), "rb") as f:
        return f.read()


def renamed(body, name):
    d = json.loads(body)
    d["name"] = name
    return json.dumps(d).encode()


class Daemon:
    def __init__(self, tag, extra=(), http=True):
        self.dir = os.path.join(WORK, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "p.db")
        self.port = free_port()
        self.zmq = "ipc://" + self.dir + "/c"
        args = [BIN + "/placerd", "--db", self.db, "--listen", self.zmq,
                "--agents-listen", "ipc://" + self.dir + "/a"]
        if http:
            args += ["--http", "127.0.0.1:%d" % self.port]
        self.log = open(self.db + ".log", "ab")
        self.admin = self.token("--admin")  # the store's first
        self.proc = subprocess.Popen(args + list(extra), stdout=self.log,
                                     stderr=self.log)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError("placerd exited with %d" % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("placerd's HTTP did not come up")

    def token(self, *args):
        """A token made in the store on this host (placerd token create)."""
        out = subprocess.run([BIN + "/placerd", "--db", self.db, "token",
                              "create"] + list(args), capture_output=True,
                             text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError("placerd token create: " + out.stderr)
        return out.stdout.strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        check(rc == 0, "placerd exits 0 on SIGTERM (got %d)" % rc)

    def state(self):
        """Rows the store holds: workflows, reservations, bindings."""
        import sqlite3
        c = sqlite3.connect(self.db)
        try:
            return tuple(c.execute("SELECT count(*) FROM " + t).fetchone()[0]
                         for t in ("workflows", "cpu_reservations",
                                   "net_reservations", "bindings"))
        finally:
            c.close()


ADMIN = object()


def call(d, method, path, body=None, headers=None, conn=None, token=ADMIN):
    """(status, headers dict with lower-case names, parsed JSON or text);
    with d's admin token unless another (or None) is given."""
    c = conn or http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    headers = dict(headers or {})
    token = d.admin if token is ADMIN else token
    if token is not None:
        headers.setdefault("Authorization", "Bearer " + token)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if conn is None:
        c.close()
    check_openapi(method, path, r.status, hdrs, data)
    ctype = hdrs.get("content-type", "")
    doc = json.loads(data) if "json" in ctype and data else data
    return r.status, hdrs, doc


def problem_ok(doc, status, code, what):
    check(isinstance(doc, dict) and doc.get("status") == status and
          doc.get("code") == code and doc.get("type", "").endswith(code) and
          isinstance(doc.get("title"), str) and doc.get("detail"),
          "%s: a problem document with status %d and code %s (got %r)"
          % (what, status, code, doc))


def lifecycle():
    d = Daemon("lifecycle")
    try:
        st, _, doc = call(d, "GET", "/healthz")
        check(st == 200 and doc == {"status": "ok"}, "healthz: 200 ok")
        st, h, doc = call(d, "GET", "/readyz")
        check(st == 503 and h.get("retry-after") == "1",
              "readyz: 503 with Retry-After before a cluster (got %d)" % st)
        problem_ok(doc, 503, "not_ready", "readyz before a cluster")
        st, _, doc = call(d, "GET", "/v1/cluster")
        check(st == 404, "GET /v1/cluster before one: 404 (got %d)" % st)
        st, h, doc = call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        check(st == 200 and doc == {"hosts": 16, "switches": 20, "links": 48,
                                    "stranded": []},
              "PUT /v1/cluster: 200 with its counts (got %d %r)" % (st, doc))
        st, _, _ = call(d, "GET", "/readyz")
        check(st == 200, "readyz: 200 once a cluster is applied")
        st, _, doc = call(d, "GET", "/v1/cluster")
        check(st == 200 and len(doc.get("hosts", [])) == 16 and
              doc["hosts"][0]["name"] == "h-0-0-0",
              "GET /v1/cluster: the cluster as applied")
        vepc = example("vepc-attach.json")
        # a dry run: a plan, and nothing stored
        before = d.state()
        st, _, doc = call(d, "POST", "/v1/plans?time_limit=2s", vepc)
        check(st == 200 and doc.get("admitted") is True and
              doc.get("services"), "POST /v1/plans: 200 with a plan")
        check(d.state() == before, "a dry run stores nothing")
        st, _, doc = call(d, "GET", "/v1/workflows")
        check(st == 200 and doc == {"schema": 1, "workflows": []},
              "after a dry run the list is empty (got %r)" % doc)
        # submit
        st, h, plan = call(d, "POST", "/v1/workflows", vepc)
        check(st == 201 and h.get("location") == "/v1/workflows/acme/vepc-attach",
              "submit: 201 with Location (got %d %r)" % (st, h.get("location")))
        check(plan.get("admitted") is True and plan.get("rejection", 1) is None and
              plan["solver"]["status"] == "optimal",
              "submit: the plan document, admitted and optimal")
        st, h, doc = call(d, "GET", h["location"])
        etag = h.get("etag", "")
        check(st == 200 and etag.startswith('"') and
              doc.get("workflow") == "vepc-attach" and doc.get("state"),
              "status: 200 with an ETag and the state (got %d %r)" % (st, etag))
        check([s["host"] for s in doc["services"]] ==
              [s["host"] for s in plan["services"]],
              "status: the plan that was admitted")
        st, h2, _ = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(h2.get("etag") == etag, "the ETag is stable while nothing changes")
        st, _, doc = call(d, "GET", "/v1/workflows?tenant=acme")
        check(st == 200 and [w["name"] for w in doc["workflows"]] ==
              ["vepc-attach"], "list: the workflow")
        st, _, doc = call(d, "GET", "/v1/workflows?tenant=other")
        check(st == 200 and doc["workflows"] == [],
              "list of another tenant: empty")
        st, _, doc = call(d, "GET", "/v1/hosts")
        used = {hh["name"]: sum(hh.get("reserved", [])) for hh in doc["hosts"]}
        check(st == 200 and len(used) == 16 and
              all(used.get(s["host"], 0) > 0 for s in plan["services"]),
              "hosts: the plan's hosts carry reservations")
        # a binding for an unknown service is refused by the server (404)
        st, _, doc = call(d, "POST", "/v1/workflows/acme/vepc-attach/bindings",
                          json.dumps({"service": "nope", "pid": os.getpid()}))
        check(st in (404, 422) and isinstance(doc, dict) and doc.get("code"),
              "a binding of an unknown service: refused with a problem "
              "(got %d %r)" % (st, doc))
        # a cgroup binding must name a group under /sys/fs/cgroup/
        for cg in ("/sys/fs/cgroup/cpu", "/tmp/x", "/sys/fs/cgroup/cpu/../x"):
            st, _, doc = call(d, "POST", "/v1/workflows/acme/vepc-attach/bindings",
                              json.dumps({"service": "mme", "cgroup": cg}))
            check(st == 422 and "cgroup" in doc.get("detail", ""),
                  "a cgroup binding to %s: 422 (got %d)" % (cg, st))
        # release with a stale ETag: 412, and still there
        st, _, doc = call(d, "DELETE", "/v1/workflows/acme/vepc-attach",
                          headers={"If-Match": '"0123456789abcdef"'})
        check(st == 412, "DELETE with a stale If-Match: 412 (got %d)" % st)
        problem_ok(doc, 412, "precondition_failed", "stale If-Match")
        st, _, _ = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(st == 200, "after the 412 the workflow is still there")
        st, _, doc = call(d, "DELETE", "/v1/workflows/acme/vepc-attach",
                          headers={"If-Match": etag})
        check(st == 200 and doc == {"name": "vepc-attach", "state": "released"},
              "DELETE with the ETag: released (got %d %r)" % (st, doc))
        st, _, doc = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(st == 404, "after the release: 404 (got %d)" % st)
        problem_ok(doc, 404, "not_found", "status of a released workflow")
        st, _, _ = call(d, "DELETE", "/v1/workflows/acme/vepc-attach")
        check(st == 404, "a second release: 404 (got %d)" % st)
        # a rejection: 409 with the plan document and its code
        tight = json.loads(example("video-pipeline.json"))
        tight["deadline"] = "5ms"
        before = d.state()
        st, h, doc = call(d, "POST", "/v1/workflows", json.dumps(tight))
        check(st == 409 and doc.get("admitted") is False and
              isinstance(doc.get("rejection"), dict) and
              doc["rejection"].get("code") and "location" not in h,
              "a rejection: 409 with admitted false and its code (got %d %r)"
              % (st, doc.get("rejection")))
        check(d.state() == before, "a rejection stores nothing")
        # admitted again: another admission, another ETag, and the old
        # one no longer releases it
        st, h, _ = call(d, "POST", "/v1/workflows", vepc)
        st, h1, _ = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(st == 200 and h1.get("etag") and h1["etag"] != etag,
              "a new admission has a new ETag (%r, %r)" % (h1.get("etag"), etag))
        st, _, _ = call(d, "DELETE", "/v1/workflows/acme/vepc-attach",
                        headers={"If-Match": etag})
        check(st == 412, "the old ETag does not release the new admission")
        # curl, a second client
        out = subprocess.run(["curl", "-sS", "-w", "\\n%{http_code}",
                              "-H", "Authorization: Bearer " + d.admin,
                              d.base + "/v1/workflows/acme/vepc-attach"],
                             capture_output=True, text=True, timeout=30)
        body, code = out.stdout.rsplit("\n", 1)
        check(code == "200" and json.loads(body)["workflow"] == "vepc-attach",
              "curl reads the status (got %s)" % code)
    finally:
        d.stop()


def same():
    """One submission over HTTP and one with `placer submit` over ZeroMQ,
    each on a fresh daemon with the same cluster: the same plan."""
    a, b = Daemon("same-http"), Daemon("same-zmq")
    try:
        for d in (a, b):
            st, _, _ = call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
            check(st == 200, "cluster applied")
        st, _, ph = call(a, "POST", "/v1/workflows", example("vepc-attach.json"))
        out = subprocess.run([BIN + "/placer", "--server", b.zmq, "submit",
                              "--json", SRC + "/examples/vepc-attach.json"],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, PLACER_TOKEN=b.admin))
        check(out.returncode == 0, "placer submit: exit 0 (%s)" % out.stderr)
        pz = json.loads(out.stdout)
        strip = ("solver",)
        ph2 = {k: v for k, v in ph.items() if k not in strip}
        pz2 = {k: v for k, v in pz.items() if k not in strip}
        check(ph2 == pz2, "HTTP and ZeroMQ give the same plan document "
              "(but for the solver's times)")
        check(ph["solver"]["status"] == pz["solver"]["status"],
              "...and the same solver status")
    finally:
        a.stop()
        b.stop()


def errors():
    d = Daemon("errors")
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        call(d, "POST", "/v1/workflows", example("vepc-attach.json"))
        before = d.state()
        bad = json.loads(example("video-pipeline.json"))
        bad["services"][1]["exec_time"] = "6ms"
        bad["probability"] = 1.5
        st, _, doc = call(d, "POST", "/v1/workflows", json.dumps(bad, indent=1))
        check(st == 422, "invalid workflow: 422 (got %d)" % st)
        problem_ok(doc, 422, "bad_input", "invalid workflow")
        paths = sorted(e["path"] for e in doc.get("errors", []))
        check(paths == ["probability", "services[1].exec_time"],
              "422: every problem with its field path (got %r)" % paths)
        check(all(e.get("line", 0) > 0 for e in doc.get("errors", [])),
              "422: with lines")
        bad_ref = json.loads(example("video-pipeline.json"))
        bad_ref["endpoints"][0]["node"] = "no-such-host"
        st, _, doc = call(d, "POST", "/v1/plans", json.dumps(bad_ref))
        check(st == 422 and any("endpoints[0]" in e["path"]
                                for e in doc.get("errors", [])),
              "an unknown host: 422 naming endpoints[0] (got %d %r)" % (st, doc))
        st, _, doc = call(d, "POST", "/v1/workflows", b'{"name": ')
        check(st == 400, "malformed JSON: 400 (got %d)" % st)
        problem_ok(doc, 400, "malformed", "malformed JSON")
        st, _, doc = call(d, "POST", "/v1/workflows", b"")
        check(st == 400, "an empty body: 400 (got %d)" % st)
        for q in ("objective=fastest", "time_limit=soon", "time_limit=0s"):
            st, _, doc = call(d, "POST", "/v1/plans?" + q,
                              example("vepc-attach.json"))
            check(st == 400 and q.split("=")[0] in doc.get("detail", ""),
                  "?%s: 400 naming the argument (got %d)" % (q, st))
        st, _, doc = call(d, "PUT", "/v1/cluster?force=maybe",
                          example("fat-tree-k4.json"))
        check(st == 400, "?force=maybe: 400 (got %d)" % st)
        for path in ("/", "/v1", "/v2/workflows", "/v1/nothing",
                     "/v1/workflows/acme", "/v1/workflows/acme/x/y/z"):
            st, _, doc = call(d, "GET", path)
            check(st == 404, "GET %s: 404 (got %d)" % (path, st))
        for method, path, allow in (("PATCH", "/v1/hosts", "GET, HEAD"),
                                    ("DELETE", "/v1/workflows", "GET, HEAD, POST"),
                                    ("GET", "/v1/plans", "POST"),
                                    ("POST", "/v1/cluster", "GET, HEAD, PUT")):
            st, h, doc = call(d, method, path)
            check(st == 405 and h.get("allow") == allow,
                  "%s %s: 405 with Allow: %s (got %d %r)"
                  % (method, path, allow, st, h.get("allow")))
        # 413: declared (with and without Expect: 100-continue), then
        # chunked (found out while reading)
        n = (16 << 20) + 1
        for expect in (b"Expect: 100-continue\r\n", b""):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=60)
            s.sendall(b"POST /v1/workflows HTTP/1.1\r\nHost: x\r\n%s"
                      b"Content-Length: %d\r\n\r\n" % (expect, n))
            if not expect:
                try:
                    s.sendall(b" " * n)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused before the body was read: fine
            head = s.recv(4096)
            s.close()
            check(head.startswith(b"HTTP/1.1 413"),
                  "a body of 16 MiB + 1 %s: 413 (got %r)"
                  % ("announced with Expect" if expect else "sent whole",
                     head[:40]))
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        c.putrequest("POST", "/v1/workflows")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        chunk = b" " * (1 << 20)
        try:
            for _ in range(17):
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            c.send(b"0\r\n\r\n")
            r = c.getresponse()
            check(r.status == 413, "a chunked body over 16 MiB: 413 (got %d)"
                  % r.status)
        except (BrokenPipeError, ConnectionResetError):
            fail("a chunked body over 16 MiB: the connection was "
                            "cut before a 413")
        c.close()
        check(d.state() == before, "no bad request changed the store")
        st, _, _ = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(st == 200, "and the admitted workflow is still served")
    finally:
        d.stop()


def clients():
    d = Daemon("clients")
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        # keep-alive: one connection, several requests
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        for _ in range(5):
            st, h, _ = call(d, "GET", "/v1/hosts", conn=c)
            check(st == 200 and h.get("connection", "").lower() != "close",
                  "keep-alive: served on one connection")
        sock1 = c.sock
        call(d, "GET", "/healthz", conn=c)
        check(c.sock is sock1, "keep-alive: the same socket throughout")
        c.close()
        # a slow client (half a request line) and one that leaves mid-body
        slow = socket.create_connection(("127.0.0.1", d.port))
        slow.sendall(b"POST /v1/workflows HTTP/1.1\r\nHost: x\r\nContent-Le")
        gone = socket.create_connection(("127.0.0.1", d.port))
        gone.sendall(b"POST /v1/workflows HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"name\"")
        gone.close()
        t0 = time.time()
        st, _, _ = call(d, "GET", "/v1/hosts")
        check(st == 200 and time.time() - t0 < 10,
              "a slow client and a vanished one do not stop others")
        # one that leaves while its admission is planned
        left = socket.create_connection(("127.0.0.1", d.port))
        body = renamed(example("vepc-attach.json"), "left-early")
        left.sendall(b"POST /v1/workflows HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer %s\r\n"
                     b"Content-Length: %d\r\n\r\n%s"
                     % (d.admin.encode(), len(body), body))
        left.close()
        # 8 clients at once, each its own workflow
        results = {}

        def submit(i):
            try:
                # a limit that the queue's wait on a loaded machine (eight
                # at once, sanitizers on) cannot use up
                results[i] = call(d, "POST", "/v1/workflows?time_limit=30s",
                                  renamed(example("vepc-attach.json"),
                                          "copy-%d" % i))[0]
            except Exception as e:  # noqa: BLE001 (reported below)
                results[i] = repr(e)
        ts = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        check(sorted(results) == list(range(8)) and
              all(v in (201, 409) for v in results.values()),
              "8 concurrent submissions: each answered 201 or 409 (got %r)"
              % results)
        st, _, doc = call(d, "GET", "/v1/workflows?tenant=acme")
        names = {w["name"] for w in doc["workflows"]}
        check({"copy-%d" % i for i in results if results[i] == 201} <= names,
              "every 201 is in the list")
        check("left-early" in names,
              "an admission whose client left is still made (and listed)")
        st, _, doc = call(d, "GET", "/v1/hosts")
        over = [(hh["name"], r) for hh in doc["hosts"]
                for r in hh.get("reserved", [])
                if r > hh.get("core_capacity", 1.0) + 1e-9]
        check(not over, "no core over its capacity (%r)" % over)
        # SIGTERM with connections open (the slow one still is)
        idle = [socket.create_connection(("127.0.0.1", d.port))
                for _ in range(20)]
        t0 = time.time()
        d.proc.send_signal(signal.SIGTERM)
        rc = d.proc.wait(timeout=30)
        check(rc == 0 and time.time() - t0 < 10,
              "SIGTERM with 21 connections open: exit 0 within 10 s "
              "(rc %d, %.1f s)" % (rc, time.time() - t0))
        for s in idle + [slow]:
            s.close()
    finally:
        if d.proc.poll() is None:
            d.stop()


def options():
    # off loopback only over HTTPS (never bound: refused before)
    for addr, code in (("0.0.0.0:7480", 64), ("192.0.2.1:7480", 64),
                       ("localhost", 64), ("127.0.0.1:99999", 64),
                       ("[::1]", 64)):
        out = subprocess.run([BIN + "/placerd", "--db", WORK + "/opt.db",
                              "--listen", "ipc://" + WORK + "/opt.c",
                              "--agents-listen", "ipc://" + WORK + "/opt.a",
                              "--http", addr], capture_output=True, text=True,
                             timeout=30)
        check(out.returncode == code and "--http" in out.stderr,
              "--http %s: exit %d naming --http (got %d: %s)"
              % (addr, code, out.returncode, out.stderr.strip()))
    d = Daemon("inuse")
    try:
        out = subprocess.run([BIN + "/placerd", "--db", WORK + "/opt2.db",
                              "--listen", "ipc://" + WORK + "/opt2.c",
                              "--agents-listen", "ipc://" + WORK + "/opt2.a",
                              "--http", "127.0.0.1:%d" % d.port],
                             capture_output=True, text=True, timeout=30)
        check(out.returncode == 69 and "in use" in out.stderr,
              "--http on a port in use: exit 69 saying so (got %d: %s)"
              % (out.returncode, out.stderr.strip()))
    finally:
        d.stop()
    # HTTPS: a self-signed certificate for 127.0.0.1
    cert, key = WORK + "/cert.pem", WORK + "/key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    d = Daemon("tls", extra=["--http-cert", cert, "--http-key", key])
    try:
        url = "https://127.0.0.1:%d/healthz" % d.port
        out = subprocess.run(["curl", "-sS", "--cacert", cert, url],
                             capture_output=True, text=True, timeout=30)
        check(out.returncode == 0 and json.loads(out.stdout or "{}") ==
              {"status": "ok"}, "HTTPS: curl checks the certificate and "
              "reads /healthz (%s)" % out.stderr.strip())
        out = subprocess.run(["curl", "-sS", "--cacert", cert, "-H",
                              "Authorization: Bearer " + d.admin,
                              "https://127.0.0.1:%d/v1/hosts" % d.port],
                             capture_output=True, text=True, timeout=30)
        check(out.returncode == 0 and json.loads(out.stdout or "{}")
              .get("schema") == 1, "HTTPS: a request with a token")
        out = subprocess.run(["curl", "-sS", url], capture_output=True,
                             text=True, timeout=30)
        check(out.returncode != 0, "HTTPS: curl without the CA refuses it")
        out = subprocess.run(["curl", "-sS", "http://127.0.0.1:%d/healthz"
                              % d.port], capture_output=True, text=True,
                             timeout=30)
        check(out.returncode != 0 or "ok" not in out.stdout,
              "HTTPS: plain HTTP is not served")
    finally:
        d.stop()
    out = subprocess.run([BIN + "/placerd", "--db", WORK + "/opt3.db",
                          "--http-cert", cert], capture_output=True, text=True,
                         timeout=30)
    check(out.returncode == 64 and "--http" in out.stderr,
          "--http-cert without --http: exit 64")


def walkthrough():
    """examples/http-walkthrough.sh against a fresh daemon: every step's
    status, in order."""
    d = Daemon("walkthrough")
    try:
        out = subprocess.run([SRC + "/examples/http-walkthrough.sh", d.base],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, PLACER_TOKEN=d.admin))
        codes = [int(line.split()[1]) for line in out.stdout.splitlines()
                 if line.startswith("HTTP/1.1 ")]
        check(out.returncode == 0 and
              codes == [503, 200, 200, 200, 201, 200, 200, 412, 200, 404],
              "the walkthrough's statuses (rc %d, %r, %s)"
              % (out.returncode, codes, out.stderr.strip()))
    finally:
        d.stop()


def scrape(d):
    """GET /metrics as {(name, frozenset(labels)): value}, and the text."""
    st, h, text = call(d, "GET", "/metrics")
    check(st == 200 and h.get("content-type", "").startswith("text/plain; "
                                                             "version=0.0.4"),
          "/metrics: 200 in the text format (got %d %r)"
          % (st, h.get("content-type")))
    text = text.decode() if isinstance(text, bytes) else text
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        name, _, labels = name_labels.partition("{")
        pairs = frozenset(p.split("=", 1)[0] + "=" + p.split("=", 1)[1].strip('"')
                          for p in labels.rstrip("}").split(",") if p)
        series[(name, pairs)] = float(value)
    return series, text


def metrics():
    """GET /metrics: promtool's check, the counters against what was
    answered, and a real Prometheus server scraping placerd."""
    d = Daemon("metrics")
    prom = None
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        vepc = example("vepc-attach.json")
        admitted = sum(call(d, "POST", "/v1/workflows",
                            renamed(vepc, "m-%d" % i))[0] == 201
                       for i in range(3))
        tight = json.loads(example("video-pipeline.json"))
        tight["deadline"] = "5ms"
        st, _, plan = call(d, "POST", "/v1/workflows", json.dumps(tight))
        code = plan["rejection"]["code"]
        call(d, "POST", "/v1/workflows", b"{}")  # 422
        call(d, "POST", "/v1/plans", vepc)
        series, text = scrape(d)
        out = subprocess.run(["promtool", "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, "promtool check metrics passes (%s)"
              % (out.stdout + out.stderr).strip())

        def v(name, **labels):
            return series.get((name, frozenset("%s=%s" % kv
                                               for kv in labels.items())))
        check(admitted == 3 and
              v("placer_admissions_total", result="admitted", code="") == 3,
              "admissions_total counts the 3 admitted")
        check(v("placer_admissions_total", result="rejected", code=code) == 1,
              "admissions_total counts the rejection under its code %s" % code)
        check(v("placer_dry_runs_total", result="admitted", code="") == 1,
              "dry_runs_total counts the dry run")
        check(v("placer_admission_duration_seconds_count") == 4 and
              v("placer_admission_duration_seconds_bucket", le="+Inf") == 4,
              "the admission duration histogram has the 4 planned "
              "submissions (the 422 was refused before the queue)")
        check(v("placer_workflows", state="admitted") == 3,
              "workflows by state: 3 admitted")
        check(v("placer_hosts", state="unknown") == 16 and
              v("placer_agents_up") == 0, "16 hosts, no agent")
        cpu = sum(val for (n, _), val in series.items()
                  if n == "placer_reserved_cpu_ratio")
        st, _, hosts = call(d, "GET", "/v1/hosts")
        want = sum(sum(hh.get("reserved", [])) for hh in hosts["hosts"])
        check(cpu > 0 and abs(cpu - want) < 1e-6,
              "reserved CPU in the metrics equals /v1/hosts' (%g, %g)"
              % (cpu, want))
        check(v("placer_http_requests_total", code="201") == 3 and
              v("placer_http_requests_total", code="409") == 1 and
              v("placer_http_requests_total", code="422") == 1,
              "HTTP requests by code")
        # a real Prometheus scrapes it, and answers a query for a series
        pdir = os.path.join(d.dir, "prom")
        os.makedirs(pdir)
        pport = free_port()
        with open(os.path.join(pdir, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s}\n"
                    "scrape_configs:\n"
                    "  - job_name: placerd\n"
                    "    authorization: {credentials: '%s'}\n"
                    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n"
                    % (d.token("--tenant", "prometheus"), d.port))
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + pdir + "/prometheus.yml",
             "--storage.tsdb.path=" + pdir + "/data",
             "--web.listen-address=127.0.0.1:%d" % pport],
            stdout=open(pdir + "/log", "wb"), stderr=subprocess.STDOUT)
        q = ("http://127.0.0.1:%d/api/v1/query?query=" % pport +
             "placer_admissions_total%7Bresult%3D%22admitted%22%7D")
        got = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(q, timeout=5) as r:
                    res = json.load(r)["data"]["result"]
                if res:
                    got = float(res[0]["value"][1])
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        check(got == 3, "Prometheus scraped placerd: "
              "placer_admissions_total{result=\"admitted\"} = %r" % got)
    finally:
        if prom:
            prom.terminate()
            prom.wait(timeout=30)
        d.stop()


def tenants():
    """Tokens, tenants and quotas: isolation both ways on every endpoint,
    tokens wrong, missing, malformed, expired and revoked, admin-only
    operations, and quotas enforced at admission."""
    d = Daemon("tenants")
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        made = {}
        for t in ("acme", "other"):
            st, h, doc = call(d, "POST", "/v1/tokens",
                              json.dumps({"tenant": t, "note": "test"}))
            check(st == 201 and doc["token"].startswith("plc_") and
                  doc["info"]["tenant"] == t and
                  h.get("location") == "/v1/tokens/%d" % doc["info"]["id"],
                  "POST /v1/tokens: 201 with the token once (got %d %r)"
                  % (st, doc))
            made[t] = doc
        acme, other = made["acme"]["token"], made["other"]["token"]
        st, _, doc = call(d, "GET", "/v1/tokens")
        check(st == 200 and len(doc["tokens"]) == 3 and
              "plc_" not in json.dumps(doc),
              "GET /v1/tokens lists them without their secrets")
        # acme's workflow
        st, h, plan = call(d, "POST", "/v1/workflows",
                           example("vepc-attach.json"), token=acme)
        check(st == 201, "acme's token submits acme's workflow (got %d)" % st)
        # a workflow naming no tenant gets the token's
        vp = json.loads(example("video-pipeline.json"))
        del vp["tenant"]
        st, h, _ = call(d, "POST", "/v1/workflows", json.dumps(vp), token=acme)
        check(st == 201 and h.get("location") ==
              "/v1/workflows/acme/video-pipeline",
              "a workflow without a tenant is the token's tenant's (%d %r)"
              % (st, h.get("location")))
        w = "/v1/workflows/acme/vepc-attach"
        # the other tenant sees nothing of acme's, and changes nothing
        for method, path, body in (
                ("GET", w, None), ("HEAD", w, None), ("DELETE", w, None),
                ("POST", w + "/bindings",
                 json.dumps({"service": "mme", "pid": os.getpid()}))):
            st, _, doc = call(d, method, path, body, token=other)
            check(st == 404, "other's token: %s %s is 404 (got %d)"
                  % (method, path, st))
        st, _, doc = call(d, "GET", "/v1/workflows", token=other)
        check(st == 200 and doc["workflows"] == [] and "acme" not in
              json.dumps(doc), "other's list has none of acme's")
        st, _, doc = call(d, "GET", "/v1/workflows?tenant=acme", token=other)
        check(st == 403, "other's token listing acme: 403 (got %d)" % st)
        for path in ("/v1/workflows", "/v1/plans"):
            st, _, doc = call(d, "POST", path, example("vepc-attach.json"),
                              token=other)
            check(st == 403 and doc.get("code") == "forbidden",
                  "other's token submitting as acme on %s: 403 (got %d)"
                  % (path, st))
        st, _, doc = call(d, "GET", "/v1/workflows", token=acme)
        names = sorted(x["name"] for x in doc["workflows"])
        check(names == ["vepc-attach", "video-pipeline"] and
              all(x["tenant"] == "acme" for x in doc["workflows"]),
              "acme's list: its two (got %r)" % names)
        st, _, _ = call(d, "GET", w, token=acme)
        check(st == 200, "acme reads its own workflow")
        for method, path, body in (("GET", "/v1/hosts", None),
                                   ("GET", "/v1/cluster", None),
                                   ("GET", "/metrics", None)):
            st, _, _ = call(d, method, path, body, token=other)
            check(st == 200, "a tenant's token reads %s (got %d)" % (path, st))
        # what only an admin may do
        for method, path, body in (
                ("PUT", "/v1/cluster", example("fat-tree-k4.json")),
                ("POST", "/v1/tokens", json.dumps({"tenant": "acme"})),
                ("GET", "/v1/tokens", None),
                ("DELETE", "/v1/tokens/1", None),
                ("PUT", "/v1/quotas/acme", json.dumps({"workflows": 100}))):
            st, _, doc = call(d, method, path, body, token=acme)
            check(st == 403 and "admin" in doc.get("detail", ""),
                  "acme's token: %s %s is 403 (got %d)" % (method, path, st))
        st, _, doc = call(d, "GET", "/v1/quotas/other", token=acme)
        check(st == 403, "acme reading other's quota: 403 (got %d)" % st)
        # tokens: none, malformed, wrong, expired, revoked
        for hdr, what in ((None, "none"), ("Basic YTpi", "basic"),
                          ("Bearer plc_1_" + "0" * 64, "wrong secret"),
                          ("Bearer plc_999_" + "0" * 64, "unknown id"),
                          ("Bearer nonsense", "malformed")):
            st, h, doc = call(d, "GET", "/v1/hosts", token=None,
                              headers={"Authorization": hdr} if hdr else None)
            check(st == 401 and h.get("www-authenticate", "").startswith(
                "Bearer") and doc.get("code") == "unauthenticated",
                "token %s: 401 with WWW-Authenticate (got %d)" % (what, st))
        st, _, short = call(d, "POST", "/v1/tokens",
                            json.dumps({"tenant": "acme", "expires_in": "1s"}))
        time.sleep(1.5)
        st, _, doc = call(d, "GET", "/v1/hosts", token=short["token"])
        check(st == 401 and "expired" in doc.get("detail", ""),
              "an expired token: 401 saying so (got %d %r)" % (st, doc))
        st, _, doc = call(d, "DELETE", "/v1/tokens/%d" % made["other"]["info"]["id"])
        check(st == 200 and doc.get("revoked_us"), "DELETE /v1/tokens/ID revokes")
        st, _, doc = call(d, "GET", "/v1/workflows", token=other)
        check(st == 401 and "revoked" in doc.get("detail", ""),
              "a revoked token: 401 saying so (got %d)" % st)
        st, _, _ = call(d, "GET", "/healthz", token=None)
        check(st == 200, "/healthz needs no token")
        # quotas
        st, _, doc = call(d, "GET", "/v1/quotas/acme", token=acme)
        check(st == 200 and doc["used"]["workflows"] == 2 and
              doc["used"]["cpu"] > 0 and "workflows" not in doc["quota"],
              "acme's quota: none, and what it holds (%r)" % doc)
        st, _, doc = call(d, "PUT", "/v1/quotas/acme",
                          json.dumps({"workflows": 2}))
        check(st == 200 and doc["quota"]["workflows"] == 2,
              "PUT /v1/quotas/acme (got %d %r)" % (st, doc))
        before = d.state()
        st, _, doc = call(d, "POST", "/v1/workflows",
                          renamed(example("vepc-attach.json"), "third"),
                          token=acme)
        rj = doc.get("rejection") or {}
        check(st == 409 and rj.get("code") == "quota" and
              "2 workflows" in rj.get("message", ""),
              "a third workflow past a quota of 2: 409 quota (got %d %r)"
              % (st, rj))
        check(d.state() == before, "a quota rejection stores nothing")
        st, _, doc = call(d, "POST", "/v1/plans",
                          renamed(example("vepc-attach.json"), "third"),
                          token=acme)
        check(st == 200 and doc.get("admitted") is False and
              (doc.get("rejection") or {}).get("code") == "quota",
              "a dry run says quota too")
        used = call(d, "GET", "/v1/quotas/acme")[2]["used"]["cpu"]
        call(d, "PUT", "/v1/quotas/acme",
             json.dumps({"workflows": 10, "cpu": used + 0.1}))
        st, _, doc = call(d, "POST", "/v1/workflows",
                          renamed(example("vepc-attach.json"), "third"),
                          token=acme)
        rj = doc.get("rejection") or {}
        check(st == 409 and rj.get("code") == "quota" and
              "CPU" in rj.get("message", ""),
              "past the CPU quota: 409 quota naming CPU (got %d %r)" % (st, rj))
        call(d, "PUT", "/v1/quotas/acme", json.dumps({"workflows": 10}))
        st, _, _ = call(d, "POST", "/v1/workflows",
                        renamed(example("vepc-attach.json"), "third"),
                        token=acme)
        check(st == 201, "within the quota again: 201 (got %d)" % st)
        st, _, doc = call(d, "PUT", "/v1/quotas/acme",
                          json.dumps({"tenant": "other", "cpu": 1}))
        check(st == 422, "a quota whose body names another tenant: 422")
        st, _, doc = call(d, "PUT", "/v1/quotas/acme", json.dumps({"cpu": -1}))
        check(st == 422 and "cpu" in doc.get("detail", ""),
              "a negative CPU quota: 422 (got %d)" % st)
        st, _, doc = call(d, "POST", "/v1/tokens", json.dumps({"admin": True,
                                                              "tenant": "x"}))
        check(st == 422, "a token both admin and a tenant's: 422 (got %d)" % st)
        # the ZeroMQ socket honours tokens too (placer --token)
        env = dict(os.environ, PLACER_TOKEN=other)
        env2 = dict(os.environ, PLACER_TOKEN=acme)
        out = subprocess.run([BIN + "/placer", "--server", d.zmq, "status",
                              "--tenant", "acme", "vepc-attach"],
                             capture_output=True, text=True, timeout=30,
                             env=env2)
        check(out.returncode == 0, "placer with acme's token reads acme's "
              "workflow over ZeroMQ (%d %s)" % (out.returncode, out.stderr))
        out = subprocess.run([BIN + "/placer", "--server", d.zmq, "status",
                              "--tenant", "acme", "vepc-attach"],
                             capture_output=True, text=True, timeout=30,
                             env=env)
        check(out.returncode == 77 and "revoked" in out.stderr,
              "placer with a revoked token: exit 77 (%d %s)"
              % (out.returncode, out.stderr))
        # the other tenant's isolation over ZeroMQ too: list, release, bind
        env3 = dict(os.environ, PLACER_TOKEN=d.token("--tenant", "third"))
        for args, code, what in (
                (["list"], 0, "its own list"),
                (["list", "--tenant", "acme"], 77, "acme's list"),
                (["release", "--tenant", "acme", "vepc-attach"], 1,
                 "a release of acme's"),
                (["bind", "--tenant", "acme", "vepc-attach", "mme", "--pid",
                  str(os.getpid())], 1, "a bind of acme's"),
                (["cluster", "apply", SRC + "/examples/fat-tree-k4.json"], 77,
                 "a cluster apply")):
            out = subprocess.run([BIN + "/placer", "--server", d.zmq] + args,
                                 capture_output=True, text=True, timeout=30,
                                 env=env3)
            check(out.returncode == code and "acme/" not in out.stdout,
                  "over ZeroMQ another tenant's token: %s exits %d (got %d %s)"
                  % (what, code, out.returncode, out.stderr.strip()))
        st, _, _ = call(d, "GET", "/v1/workflows/acme/vepc-attach")
        check(st == 200, "acme's workflow is still there")
        env0 = dict(os.environ)
        env0.pop("PLACER_TOKEN", None)
        out = subprocess.run([BIN + "/placer", "--server", d.zmq, "list"],
                             capture_output=True, text=True, timeout=30,
                             env=env0)
        check(out.returncode == 77 and "token is required" in out.stderr,
              "placer without a token, placerd without --insecure-clients: "
              "exit 77 (%d %s)" % (out.returncode, out.stderr))
        out = subprocess.run([BIN + "/placerd", "--db", d.dir + "/x.db",
                              "--listen", "tcp://0.0.0.0:17469",
                              "--insecure-clients"], capture_output=True,
                             text=True, timeout=30)
        check(out.returncode == 64 and "--insecure-clients" in out.stderr,
              "--insecure-clients off loopback: exit 64 (%d)" % out.returncode)
    finally:
        d.stop()


def openapi():
    """GET /v1/openapi.json: served without a token, the document in
    docs/, an OpenAPI 3.1 document whose schemas are valid JSON Schema
    2020-12 and whose references resolve, covering every route."""
    d = Daemon("openapi")
    try:
        st, h, doc = call(d, "GET", "/v1/openapi.json", token=None)
        check(st == 200 and doc == OPENAPI,
              "/v1/openapi.json: 200 without a token, docs/openapi.json")
        check(doc.get("openapi") == "3.1.0" and doc["info"].get("title") and
              doc["info"].get("version"), "an OpenAPI 3.1.0 document with info")
        for name, schema in doc["components"]["schemas"].items():
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                fail("schema %s: %s" % (name, e.message))
        refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"',
                          json.dumps(doc))
        missing = sorted(set(r for r in refs
                             if r not in doc["components"]["schemas"]))
        check(refs and not missing, "every $ref resolves (missing %r)" % missing)
        served = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
                  ("GET", "/v1/cluster"), ("PUT", "/v1/cluster"),
                  ("POST", "/v1/plans"), ("GET", "/v1/workflows"),
                  ("POST", "/v1/workflows"), ("GET", "/v1/workflows/t/n"),
                  ("DELETE", "/v1/workflows/t/n"),
                  ("POST", "/v1/workflows/t/n/bindings"), ("GET", "/v1/hosts"),
                  ("GET", "/v1/tokens"), ("POST", "/v1/tokens"),
                  ("DELETE", "/v1/tokens/1"), ("GET", "/v1/quotas/t"),
                  ("PUT", "/v1/quotas/t"), ("GET", "/v1/events"),
                  ("POST", "/k8s/filter"), ("POST", "/k8s/prioritize"),
                  ("POST", "/k8s/bind"), ("POST", "/k8s/t/filter")]
        for method, path in served:
            o = openapi_operation(method, path)
            check(o is not None and o.get("responses"),
                  "the document has %s %s" % (method, path))
        check(doc["components"]["securitySchemes"]["bearer"]["scheme"] ==
              "bearer", "bearer tokens are the security scheme")
    finally:
        d.stop()


def idempotency():
    """Idempotency-Key: ten identical POSTs at once admit once and all get
    the first answer; a retry later and after a restart gets it again;
    the key with another body is 422; without a key a resubmission is a
    conflict."""
    d = Daemon("idempotency")
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        body = renamed(example("vepc-attach.json"), "once")
        key = {"Idempotency-Key": "9b2c6f0e-0000-4000-8000-000000000001"}
        results = [None] * 10
        barrier = threading.Barrier(10)

        def post(i):
            barrier.wait()
            results[i] = call(d, "POST", "/v1/workflows", body, headers=key)
        ts = [threading.Thread(target=post, args=(i,)) for i in range(10)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        statuses = [r[0] if r else None for r in results]
        check(statuses == [201] * 10, "ten identical POSTs at once: ten 201s "
              "(got %r)" % statuses)
        plans = {json.dumps(r[2], sort_keys=True) for r in results if r}
        check(len(plans) == 1, "...each with the same plan document")
        st, _, doc = call(d, "GET", "/v1/workflows")
        check([w["name"] for w in doc["workflows"]].count("once") == 1,
              "...and one admission")
        before = d.state()
        st, h, doc = call(d, "POST", "/v1/workflows", body, headers=key)
        check(st == 201 and json.dumps(doc, sort_keys=True) in plans and
              h.get("location") == "/v1/workflows/acme/once",
              "a retry later: the first answer again (got %d)" % st)
        check(d.state() == before, "...and nothing stored")
        st, _, doc = call(d, "POST", "/v1/workflows",
                          renamed(example("vepc-attach.json"), "other"),
                          headers=key)
        check(st == 422 and doc.get("code") == "idempotency_key_reused",
              "the key with another body: 422 (got %d)" % st)
        st, _, doc = call(d, "POST", "/v1/workflows", body)
        check(st == 409 and doc.get("code") == "conflict" and
              "'once' already" in doc.get("detail", ""),
              "without a key, the same submission: 409, the name is taken "
              "(got %d %r)" % (st, doc.get("detail")))
        st, _, doc = call(d, "POST", "/v1/workflows", body,
                          headers={"Idempotency-Key": ""})
        check(st == 400, "an empty Idempotency-Key: 400 (got %d)" % st)
        # another token's key space is its own
        st, _, doc = call(d, "POST", "/v1/plans", body,
                          headers=key, token=d.token("--admin"))
        check(st == 200, "another token with the same key: its own request "
              "(got %d)" % st)
        # across a restart
        d.stop()
        d2 = Daemon("idempotency")
        try:
            d2.admin = d.admin
            st, _, doc = call(d2, "POST", "/v1/workflows", body, headers=key)
            check(st == 201 and json.dumps(doc, sort_keys=True) in plans,
                  "after a restart: the first answer again (got %d)" % st)
        finally:
            d2.stop()
    finally:
        if d.proc.poll() is None:
            d.stop()


def watch():
    """GET /v1/events: every change in order with a growing index, a
    long poll answered when the change comes, a tenant's view, across a
    restart, and 410 for an index no longer kept."""
    d = Daemon("watch", extra=["--insecure-agents"])
    agent = None
    try:
        st, _, doc = call(d, "GET", "/v1/events")
        check(st == 200 and doc == {"index": 0, "events": []},
              "no events yet: index 0 (got %r)" % doc)
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        st, _, doc = call(d, "GET", "/v1/events?since=0")
        check(st == 200 and [e["kind"] for e in doc["events"]] == ["cluster"]
              and doc["events"][0]["actor"].startswith("admin token"),
              "the cluster's apply, with who did it (got %r)" % doc)
        index = doc["index"]
        # a long poll, answered by the admission
        got = {}

        def poll():
            t0 = time.time()
            got["r"] = call(d, "GET", "/v1/events?since=%d&wait=20s" % index)
            got["s"] = time.time() - t0
        t = threading.Thread(target=poll)
        t.start()
        time.sleep(0.5)
        acme = d.token("--tenant", "acme")
        st, _, _ = call(d, "POST", "/v1/workflows", example("vepc-attach.json"),
                        token=acme)
        t.join(30)
        st, _, doc = got.get("r", (0, {}, {}))
        kinds = [e["kind"] for e in doc.get("events", [])]
        check(st == 200 and kinds[:1] == ["admit"] and got["s"] < 10 and
              doc["events"][0]["subject"] == "acme/vepc-attach" and
              doc["events"][0]["actor"].startswith("acme token"),
              "a watch waiting is answered by the admission (%d %r in %.1f s)"
              % (st, kinds, got.get("s", -1)))
        # an agent makes its reservations applying, then active
        agent = subprocess.Popen(
            [BIN + "/placer-agent", "--server", "ipc://" + d.dir + "/a",
             "--host", "h-0-0-0", "--backend", "dryrun"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        states, hosts = [], []
        since = doc.get("index", index)
        for _ in range(20):
            st, _, doc = call(d, "GET", "/v1/events?since=%d&wait=2s" % since)
            since = doc["index"]
            states += [e["detail"] for e in doc["events"]
                       if e["kind"] == "state"]
            hosts += [(e["subject"], e["actor"]) for e in doc["events"]
                      if e["kind"] == "host_up"]
            if "applying" in states:
                break
        check("applying" in states,
              "the workflow's state as the agent takes it: %r" % states)
        check(("h-0-0-0", "agent") in hosts,
              "the agent's host came up, said by the agent: %r" % hosts)
        agent.terminate()
        agent.wait(10)
        agent = None
        # the tenant's view: its workflow's and the cluster's, not others'
        call(d, "POST", "/v1/workflows",
             json.dumps(dict(json.loads(example("video-pipeline.json")),
                             tenant="streamco")))
        st, _, mine = call(d, "GET", "/v1/events?since=0", token=acme)
        subjects = {e["subject"] for e in mine["events"]}
        check(st == 200 and "acme/vepc-attach" in subjects and
              not any(x.startswith("streamco/") for x in subjects),
              "a tenant's watch: its events, not another's (%r)" % subjects)
        st, _, alle = call(d, "GET", "/v1/events?since=0")
        idx = [e["index"] for e in alle["events"]]
        check(idx == sorted(idx) and len(set(idx)) == len(idx) and
              any(e["subject"].startswith("streamco/") for e in alle["events"]),
              "an admin's watch: every event, indices growing")
        last = alle["index"]
        # across a restart: the index goes on, the order holds
        d.stop()
        d2 = Daemon("watch", extra=["--insecure-agents"])
        d2.admin = d.admin
        try:
            call(d2, "DELETE", "/v1/workflows/acme/vepc-attach")
            st, _, doc = call(d2, "GET", "/v1/events?since=%d" % last)
            check(st == 200 and [e["kind"] for e in doc["events"]] ==
                  ["release"] and doc["events"][0]["index"] > last,
                  "after a restart the watch goes on from its index (%r)"
                  % doc)
            st, _, doc = call(d2, "GET", "/v1/events?since=0")
            kinds = [e["kind"] for e in doc["events"] if e["kind"] != "state"
                     and not e["kind"].startswith("host")]
            check(kinds == ["cluster", "admit", "admit", "release"],
                  "every change in order across the restart (%r)" % kinds)
            # what is no longer kept: 410
            import sqlite3
            db = sqlite3.connect(d2.db)
            db.execute("DELETE FROM events WHERE id <= 2")
            db.commit()
            db.close()
            st, _, doc = call(d2, "GET", "/v1/events?since=0")
            check(st == 410 and doc.get("code") == "gone",
                  "a since older than what is kept: 410 (got %d)" % st)
            st, _, doc = call(d2, "GET", "/v1/events?since=2")
            check(st == 200, "from the oldest kept on: 200 (got %d)" % st)
            for q in ("since=-1", "since=x", "wait=1h", "limit=0"):
                st, _, _ = call(d2, "GET", "/v1/events?" + q)
                check(st == 400, "?%s: 400 (got %d)" % (q, st))
            # SIGTERM while a watch waits: it is answered, and placerd exits
            got.clear()

            def poll2():
                got["r"] = call(d2, "GET", "/v1/events?since=999999&wait=60s")
            t = threading.Thread(target=poll2)
            t.start()
            time.sleep(0.5)
        finally:
            d2.stop()
        t.join(30)
        check(got.get("r", (0,))[0] == 200,
              "a watch waiting at SIGTERM is answered (got %r)"
              % (got.get("r", (None,))[0],))
    finally:
        if agent:
            agent.kill()
        if d.proc.poll() is None:
            d.stop()


def k8s():
    """The Kubernetes scheduler extender, called as kube-scheduler calls
    it (k8s.io/kube-scheduler/extender/v1's JSON): a pod annotated with
    its workflow and service is kept to its planned host, other pods pass,
    the planned host scores the most, bind is recorded, the token may be
    in the path, and another tenant's token learns nothing."""
    d = Daemon("k8s")
    try:
        call(d, "PUT", "/v1/cluster", example("fat-tree-k4.json"))
        acme = d.token("--tenant", "acme")
        st, _, plan = call(d, "POST", "/v1/workflows",
                           example("vepc-attach.json"), token=acme)
        host = {s_["name"]: s_["host"] for s_ in plan["services"]}
        nodes = ["h-0-0-0", "h-0-0-1", "h-1-0-0", "h-2-1-1"]

        def pod(wf="acme/vepc-attach", svc="mme", name="mme-7d9f"):
            ann = {}
            if wf:
                ann["placer.io/workflow"] = wf
            if svc:
                ann["placer.io/service"] = svc
            return {"metadata": {"name": name, "namespace": "nf",
                                 "uid": "6f1c-aa", "annotations": ann},
                    "spec": {"containers": [{"name": "c", "image": "mme"}]}}

        def node_list(names):
            return {"metadata": {}, "items": [
                {"metadata": {"name": n, "labels": {"zone": "a"}},
                 "status": {"capacity": {"cpu": "4"}}} for n in names]}
        # without nodeCacheCapable: Nodes in, Nodes out
        args = {"Pod": pod(), "Nodes": node_list(nodes), "NodeNames": None}
        st, _, r = call(d, "POST", "/k8s/filter", json.dumps(args), token=acme)
        kept = [n["metadata"]["name"] for n in r["Nodes"]["items"]]
        check(st == 200 and kept == [host["mme"]] and
              r["Nodes"]["items"][0]["status"]["capacity"]["cpu"] == "4" and
              r["NodeNames"] is None and
              set(r["FailedNodes"]) == set(nodes) - {host["mme"]} and
              all(host["mme"] in v for v in r["FailedNodes"].values()) and
              r["Error"] == "",
              "filter: only the planned host %s is kept, whole; the others "
              "fail naming it (%r)" % (host["mme"], r))
        # nodeCacheCapable: names in, names out; the token in the path
        args = {"Pod": pod(svc="hss"), "Nodes": None, "NodeNames": nodes}
        st, _, r = call(d, "POST", "/k8s/%s/filter" % acme, json.dumps(args),
                        token=None)
        check(st == 200 and r["NodeNames"] == [n for n in nodes
                                               if n == host["hss"]] and
              r["Nodes"] is None,
              "filter by names, the token in the path: %r (hss on %s)"
              % (r.get("NodeNames"), host["hss"]))
        st, _, r = call(d, "POST", "/k8s/plc_1_%s/filter" % ("0" * 64),
                        json.dumps(args), token=None)
        check(st == 401, "a wrong token in the path: 401 (got %d)" % st)
        # a pod that is not placer's passes everywhere
        args = {"Pod": pod(wf=None, svc=None), "Nodes": None, "NodeNames": nodes}
        st, _, r = call(d, "POST", "/k8s/filter", json.dumps(args), token=acme)
        check(st == 200 and r["NodeNames"] == nodes and not r["FailedNodes"],
              "a pod without placer's annotations passes everywhere")
        # an unknown workflow, or another tenant's: every node fails, and
        # the other tenant learns nothing of acme's
        other = d.token("--tenant", "other")
        for tok, what in ((acme, "an unknown workflow"), (other, "another tenant's")):
            args = {"Pod": pod(wf="acme/ghost" if tok == acme else
                               "acme/vepc-attach"), "NodeNames": nodes}
            st, _, r = call(d, "POST", "/k8s/filter", json.dumps(args),
                            token=tok)
            why = set(r.get("FailedNodes", {}).values())
            check(st == 200 and r["NodeNames"] == [] and
                  len(r["FailedNodes"]) == len(nodes) and
                  not any(host["mme"] in w for w in why),
                  "%s: every node fails, saying why (%r)" % (what, why))
        args = {"Pod": pod(svc=None), "NodeNames": nodes}
        st, _, r = call(d, "POST", "/k8s/filter", json.dumps(args), token=acme)
        check(st == 200 and r["NodeNames"] == [] and
              "placer.io/service" in list(r["FailedNodes"].values())[0],
              "one annotation only: every node fails naming the other")
        # prioritize
        args = {"Pod": pod(), "Nodes": node_list(nodes)}
        st, _, r = call(d, "POST", "/k8s/prioritize", json.dumps(args),
                        token=acme)
        scores = {x["Host"]: x["Score"] for x in r}
        check(st == 200 and scores == {n: (10 if n == host["mme"] else 0)
                                       for n in nodes},
              "prioritize: the planned host 10, the others 0 (%r)" % scores)
        # bind: recorded as an event
        st, _, ev = call(d, "GET", "/v1/events")
        args = {"PodName": "mme-7d9f", "PodNamespace": "nf",
                "PodUID": "6f1c-aa", "Node": host["mme"]}
        st, _, r = call(d, "POST", "/k8s/bind", json.dumps(args), token=acme)
        check(st == 200 and r == {"Error": ""}, "bind: no error (%r)" % r)
        st, _, ev2 = call(d, "GET", "/v1/events?since=%d" % ev["index"])
        pods = [e for e in ev2["events"] if e["kind"] == "pod"]
        check(len(pods) == 1 and "mme-7d9f" in pods[0]["detail"] and
              host["mme"] in pods[0]["detail"] and
              pods[0]["actor"].startswith("acme token"),
              "bind is recorded in the watch (%r)" % pods)
        st, _, r = call(d, "POST", "/k8s/bind", json.dumps({"PodName": "x"}),
                        token=acme)
        check(st == 200 and r["Error"], "bind without Node: an Error")
        for verb in ("filter", "prioritize"):
            st, _, r = call(d, "POST", "/k8s/" + verb, b"{", token=acme)
            check(st == 400, "%s with malformed JSON: 400 (got %d)" % (verb, st))
        st, h, _ = call(d, "GET", "/k8s/filter", token=acme)
        check(st == 405 and h.get("allow") == "POST", "GET /k8s/filter: 405")
        # the example configuration is kube-scheduler's, with the stanza
        with open(os.path.join(SRC, "examples", "kube-scheduler-config.yaml")) as f:
            y = f.read()
        for key in ("kind: KubeSchedulerConfiguration", "extenders:",
                    "filterVerb: filter", "prioritizeVerb: prioritize",
                    "nodeCacheCapable: true", "managedResources:",
                    "name: placer.io/reservation"):
            check(key in y, "the example configuration has %r" % key)
    finally:
        d.stop()


def busy():
    """A full admission queue answers 503 with Retry-After over HTTP too,
    and placerd goes on answering; a client silent for 30 s is cut off."""
    d = Daemon("busy", extra=["--queue", "1"])
    try:
        # 8 hosts of 8 GiB: 7 services of 5 GiB need one host each, so the
        # packing bound is never met and each plan runs a while
        c = {"hosts": [{"name": "h%d" % i, "cores": 2, "memory": "8GiB"}
                       for i in range(8)],
             "switches": [{"name": "sw"}],
             "links": [{"a": "h%d" % i, "b": "sw", "rate": "1Gbit",
                        "latency": "10us"} for i in range(8)]}
        st, _, doc = call(d, "PUT", "/v1/cluster", json.dumps(c))
        check(st == 200, "the 8-host cluster (got %d %r)" % (st, doc))
        slow = lambda k: json.dumps({
            "name": "slow%d" % k, "tenant": "q", "objective": "hosts",
            "services": [{"name": "s%d" % i, "memory": "5GiB"}
                         for i in range(7)]})
        got = [None] * 6
        barrier = threading.Barrier(6)

        def post(k):
            barrier.wait()
            got[k] = call(d, "POST", "/v1/workflows?time_limit=2s", slow(k))
        ts = [threading.Thread(target=post, args=(k,)) for k in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        codes = [g[0] if g else None for g in got]
        busy = [g for g in got if g and g[0] == 503]
        check(len(busy) >= 1 and all(g[1].get("retry-after") == "1" and
                                     g[2].get("code") == "busy" for g in busy)
              and all(x in (201, 409, 503) for x in codes),
              "a full queue: 503 busy with Retry-After (got %r)" % codes)
        st, _, _ = call(d, "GET", "/v1/hosts")
        check(st == 200, "placerd still answers after the 503s")
    finally:
        d.stop()


def silent_client(result):
    """A client that sends half a request and falls silent is cut off
    after placerd's 30 s (run beside the other scenarios)."""
    d = Daemon("silent")
    try:
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"GET /v1/hosts HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        s.settimeout(60)
        try:
            data = s.recv(4096)
        except OSError:
            data = b"?"
        result["waited"], result["data"] = time.time() - t0, data
        s.close()
    finally:
        d.stop()


def curve():
    """The client socket over CURVE: a key in --client-keys acts for its
    tenant (TENANT.pub) or as an admin (admins/NAME.pub); another key, or
    none, is refused at the handshake."""
    keys = os.path.join(WORK, "curve")
    os.makedirs(os.path.join(keys, "pub", "admins"))

    def keygen(name, pub_as=None):
        path = os.path.join(keys, name)
        subprocess.run([BIN + "/placer", "keygen", path], check=True,
                       capture_output=True, timeout=30)
        if pub_as:
            shutil.copy(path + ".pub", os.path.join(keys, "pub", pub_as))
        return path
    srvk = keygen("placerd")
    ops = keygen("ops", "admins/ops.pub")
    acme = keygen("acme", "acme.pub")
    other = keygen("other", "other.pub")
    stranger = keygen("stranger")
    d = Daemon("curve", extra=["--server-key", srvk + ".key", "--client-keys",
                               os.path.join(keys, "pub")])
    env = dict(os.environ)
    env.pop("PLACER_TOKEN", None)

    def placer(key, *args):
        cmd = [BIN + "/placer", "--server", d.zmq]
        if key:
            cmd += ["--server-pub", srvk + ".pub", "--key", key + ".key"]
        return subprocess.run(cmd + list(args), capture_output=True,
                              text=True, timeout=60, env=env)
    try:
        out = placer(ops, "cluster", "apply", SRC + "/examples/fat-tree-k4.json")
        check(out.returncode == 0, "an admin's key applies the cluster (%d %s)"
              % (out.returncode, out.stderr))
        out = placer(acme, "submit", SRC + "/examples/vepc-attach.json")
        check(out.returncode == 0, "acme's key submits acme's workflow (%d %s)"
              % (out.returncode, out.stderr))
        out = placer(acme, "list")
        check(out.returncode == 0 and "vepc-attach" in out.stdout,
              "acme's key lists it")
        out = placer(other, "status", "--tenant", "acme", "vepc-attach")
        check(out.returncode == 1, "another tenant's key: acme's workflow is "
              "not found (%d %s)" % (out.returncode, out.stderr))
        out = placer(other, "list")
        check(out.returncode == 0 and "vepc-attach" not in out.stdout,
              "another tenant's key lists none of acme's")
        out = placer(other, "cluster", "apply", SRC + "/examples/fat-tree-k4.json")
        check(out.returncode == 77, "a tenant's key may not apply a cluster "
              "(%d)" % out.returncode)
        out = placer(stranger, "list")
        check(out.returncode == 69 and "client-keys" in out.stderr,
              "a key not in --client-keys is refused (%d %s)"
              % (out.returncode, out.stderr.strip()))
        out = placer(None, "list")
        check(out.returncode == 69, "no CURVE on a CURVE socket: refused (%d)"
              % out.returncode)
        # the events name the key that made each change
        st, _, ev = call(d, "GET", "/v1/events")
        actors = {e["kind"]: e["actor"] for e in ev["events"]}
        check(actors.get("cluster") == "admin key ops" and
              actors.get("admit") == "acme key acme",
              "the watch names the keys (%r)" % actors)
    finally:
        d.stop()
    log = open(d.db + ".log").read()
    check("refused a client" in log, "placerd logs the refused client key")


SCENARIOS = {"openapi": openapi, "curve": curve, "busy": busy, "k8s": k8s, "watch": watch, "idempotency": idempotency, "walkthrough": walkthrough, "lifecycle": lifecycle,
             "metrics": metrics, "tenants": tenants, "same": same, "errors": errors,
             "clients": clients, "options": options}

if __name__ == "__main__":
    todo = sys.argv[3:] or list(SCENARIOS)
    silent = {}
    silent_t = None
    if "busy" in todo:
        silent_t = threading.Thread(target=silent_client, args=(silent,))
        silent_t.start()
    try:
        for name in todo:
            t0 = time.time()
            SCENARIOS[name]()
            print("%s: done in %.1f s" % (name, time.time() - t0), flush=True)
        if silent_t:
            silent_t.join(120)
            check(silent.get("data") == b"" and
                  25 < silent.get("waited", 0) < 50,
                  "a client silent mid-request is cut off after 30 s (%r)"
                  % silent)
    finally:
        if not failures:
            shutil.rmtree(WORK, ignore_errors=True)
        else:
            print("logs kept in", WORK)
    print("%d responses checked against docs/openapi.json" % checked["responses"])
    check(checked["responses"] > 0 or todo == ["options"],
          "responses were checked against the OpenAPI document")
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)
