#!/usr/bin/env bash
# placer simulate end to end: every bad scenario and trace named with its
# field and exit 65, and a trace of submissions and releases replayed
# through a live placerd and through the simulation, decision by decision.
#   test_simulate.sh BIN_DIR SOURCE_DIR
set -u
bin=$1
src=$(cd "$2" && pwd)
ex=$src/examples
fails=0
tmp=$(mktemp -d)
pd=
trap '[ -n "$pd" ] && kill $pd 2>/dev/null; rm -rf "$tmp"' EXIT

check() { # check NAME WANT_RC GOT_RC
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: exit $3, want $2"
        fails=$((fails + 1))
    fi
}
says() { # says NAME FILE TEXT
    grep -qF -- "$3" "$2" || { echo "FAIL: $1: no '$3' in: $(cat "$2")"; fails=$((fails + 1)); }
}

# (one run at a time: the suite runs other timed tests beside this one)
sim() { "$bin/placer" simulate --quiet --jobs 1 "$@"; }

sim --help >"$tmp/help"; check "simulate --help" 0 $?
says "help names the policies" "$tmp/help" "requests-only"
sim 2>/dev/null; check "simulate without a scenario" 64 $?
sim --policies placer,frob "$ex/scenario.json" 2>"$tmp/err"
check "--policies unknown" 64 $?
says "--policies message" "$tmp/err" "'frob' is not a policy"
sim --decisions "$ex/scenario.json" 2>/dev/null; check "--decisions without --json" 64 $?
sim "$tmp/none.json" 2>/dev/null; check "a scenario that is not there" 66 $?

# bad scenarios: each problem with its file, line, field path, exit 65
bad() { # bad NAME JSON EXPECTED-TEXT
    printf '%s\n' "$2" >"$tmp/bad.json"
    sim "$tmp/bad.json" >/dev/null 2>"$tmp/err"
    check "bad scenario: $1" 65 $?
    says "bad scenario: $1" "$tmp/err" "$3"
}
wf='"file": "'$ex'/vepc-attach.json"'
cl='"cluster": "'$ex'/fat-tree-k4.json"'
bad "not JSON" '{"cluster": ' "not valid JSON"
bad "no cluster" '{"workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3}' \
    "bad.json:1:1: cluster: missing"
bad "no workflows" '{'"$cl"', "workflows": [], "arrivals": 3}' "workflows: missing"
bad "no arrival" '{'"$cl"', "workflows": [{'"$wf"'}], "arrivals": 3}' \
    "workflows[0].arrival: missing"
bad "two arrival kinds" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s", "poisson": "2s"}}], "arrivals": 3}' \
    "workflows[0].arrival: give exactly one of"
bad "zero gap" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "0s"}}], "arrivals": 3}' \
    "workflows[0].arrival.every: must be above 0"
bad "time without unit" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "5"}}], "arrivals": 3}' \
    "workflows[0].arrival.every"
bad "two holding kinds" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}, "holding": {"fixed": "1s", "exponential": "2s"}}], "arrivals": 3}' \
    "workflows[0].holding: give exactly one of"
bad "negative price" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}, "price": -1}], "arrivals": 3}' \
    "workflows[0].price: must be a number, 0 or more"
bad "no end" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}]}' \
    "horizon: missing"
bad "unknown field" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3, "horizn": "5s"}' \
    "horizn"
bad "unknown policy" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "policies": ["placer", "random-fit"]}' \
    "policies[1]: \"random-fit\" is not a policy"
bad "policy twice" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "policies": ["placer", "placer"]}' "policies[1]: \"placer\" is listed twice"
bad "variant without a name" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "variants": [{"link_scale": 2}]}' "variants[0].name: missing"
bad "variant like an unknown host" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "variants": [{"name": "more", "add_hosts": [{"count": 2, "like": "nohost"}]}]}' \
    "variants[0].add_hosts[0].like: \"nohost\" is not a host of the cluster"
bad "failure ends before it starts" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "variants": [{"name": "f", "host_failures": [{"host": "h-0-0-0", "at": "5s", "until": "2s"}]}]}' \
    "variants[0].host_failures[0].until: must be after"
bad "link scale 0" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3,
  "variants": [{"name": "z", "link_scale": 0}]}' "variants[0].link_scale: must be a number above 0"
bad "a workflow twice" '{'"$cl"', "workflows": [{'"$wf"', "arrival": {"every": "1s"}}, {'"$wf"', "arrival": {"every": "2s"}}], "arrivals": 3}' \
    "is workflows[0]'s too"
bad "a cluster file swapped for a workflow" '{"cluster": "'$ex'/vepc-attach.json", "workflows": [{'"$wf"', "arrival": {"every": "1s"}}], "arrivals": 3}' \
    "this is a workflow file, where a cluster is expected"
printf '{"cluster": "%s/fat-tree-k4.json", "workflows": [{"file": "missing.json", "arrival": {"every": "1s"}}], "arrivals": 3}\n' "$ex" >"$tmp/bad.json"
sim "$tmp/bad.json" 2>/dev/null; check "a workflow file missing" 66 $?

# traces: out of order, an unknown copy, an unknown operation
trace() { # trace NAME LINES EXPECTED-TEXT
    printf '%s\n' "$2" >"$tmp/t.jsonl"
    printf '{"cluster": "%s/fat-tree-k4.json", "workflows": [{"file": "%s/vepc-attach.json"}], "trace": "t.jsonl"}\n' "$ex" "$ex" >"$tmp/ts.json"
    sim "$tmp/ts.json" >/dev/null 2>"$tmp/err"
    check "bad trace: $1" 65 $?
    says "bad trace: $1" "$tmp/err" "$3"
}
trace "out of order" '{"t": "2s", "op": "submit", "workflow": "vepc-attach", "name": "a"}
{"t": "1s", "op": "submit", "workflow": "vepc-attach", "name": "b"}' \
    "t.jsonl:2: t: out of order"
trace "release of nothing" '{"t": "1s", "op": "release", "name": "zz"}' \
    "t.jsonl:1: name: \"zz\" names no copy submitted on an earlier line"
trace "unknown op" '{"t": "1s", "op": "resize"}' "t.jsonl:1: op: \"resize\" is not an operation"
trace "unknown workflow" '{"t": "1s", "op": "submit", "workflow": "nope"}' \
    "t.jsonl:1: workflow: \"nope\" is not a workflow of the scenario"
trace "unknown host" '{"t": "1s", "op": "host_down", "host": "h9"}' \
    "t.jsonl:1: host: \"h9\" is not a host of the cluster"
trace "not JSON" '{"t": ' "t.jsonl:1: not a JSON object"
trace "bad field" '{"t": "1s", "op": "submit", "workflow": "vepc-attach", "hold": 5}' "t.jsonl:1: hold"

# an SWF log (a sample written from the format's definition) as a trace
swf=$src/tests/data/swf/sample.swf
"$bin/placer" trace swf --queue 1=vepc-attach --queue 2=video-pipeline "$swf" \
    >"$tmp/swf.jsonl" 2>"$tmp/err"
check "trace swf" 0 $?
says "trace swf counts" "$tmp/err" "11 jobs converted; 1 skipped"
/usr/bin/python3 - "$tmp/swf.jsonl" <<'PY' || { echo "FAIL: trace swf output"; fails=$((fails+1)); }
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 11 and all(e["op"] == "submit" for e in ev)
byname = {e["name"]: e for e in ev}
assert "job-4" not in byname                       # run time unknown
assert byname["job-3"]["t"] == "15.5s" and byname["job-3"]["hold"] == "45s"
assert byname["job-5"]["hold"] == "500ms"          # a run time of 0
assert byname["job-2"]["workflow"] == "video-pipeline"
assert byname["job-1"]["workflow"] == "vepc-attach"
PY
printf '{"cluster": "%s/fat-tree-k4.json", "trace": "swf.jsonl", "policies": ["first-fit", "requests-only"],
  "workflows": [{"file": "%s/vepc-attach.json"}, {"file": "%s/video-pipeline.json"}]}\n' "$ex" "$ex" "$ex" >"$tmp/swf.json"
sim --json "$tmp/swf.json" >"$tmp/swf.out"; check "simulate an SWF trace" 0 $?
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(r["arrivals"] == 11 for r in d["runs"]), d["runs"]' "$tmp/swf.out" ||
    { echo "FAIL: simulate an SWF trace"; fails=$((fails+1)); }
"$bin/placer" trace swf "$swf" >/dev/null 2>&1; check "trace swf without a workflow" 64 $?
"$bin/placer" trace swf --workflow w "$tmp/nothere.swf" 2>/dev/null; check "trace swf of a missing log" 66 $?
printf '; a header\n1 0 0 10 1 -1 -1 1 -1 -1 1 1 1 1 1 1 -1\n' >"$tmp/short.swf"
"$bin/placer" trace swf --workflow w "$tmp/short.swf" >/dev/null 2>"$tmp/err"
check "trace swf, 17 fields" 65 $?
says "trace swf, 17 fields" "$tmp/err" "short.swf:2: 17 fields; an SWF job line has 18 (field 18, think time, is missing)"
printf '1 0 0 ten 1 -1 -1 1 -1 -1 1 1 1 1 1 1 -1 -1\n' >"$tmp/bad.swf"
"$bin/placer" trace swf --workflow w "$tmp/bad.swf" >/dev/null 2>"$tmp/err"
check "trace swf, not a number" 65 $?
says "trace swf, not a number" "$tmp/err" "bad.swf:1: field 4 (run time): not a number"

# capacity --add N --like HOST, and --target K: the fewest hosts to add
printf '{"name": "big", "services": [{"name": "s", "memory": "20GiB"}]}\n' >"$tmp/big.json"
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --json "$tmp/big.json" >"$tmp/c0.json"
check "capacity of big" 0 $?
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --json --add 4 --like h-0-0-0 "$tmp/big.json" >"$tmp/c4.json"
check "capacity --add 4" 0 $?
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --json --target 25 --like h-0-0-0 "$tmp/big.json" >"$tmp/ct.json"
check "capacity --target 25" 0 $?
/usr/bin/python3 - "$tmp/c0.json" "$tmp/c4.json" "$tmp/ct.json" <<'PY' || { echo "FAIL: capacity --add, --target"; fails=$((fails+1)); }
import json, sys
c0, c4, ct = (json.load(open(f)) for f in sys.argv[1:4])
# one 20 GiB service per 32 GiB host
assert c0["copies"] == 16 and c4["copies"] == 20 and c4["added_hosts"] == 4, (c0["copies"], c4)
assert any(h["name"] == "h-0-0-0-1" for h in c4["hosts"]), c4["hosts"]
assert ct["copies"] == 25 and ct["added_hosts"] == 9 and ct["target"] == 25, ct
PY
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --add 2 "$tmp/big.json" 2>/dev/null
check "capacity --add without --like" 64 $?
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --add 2 --like nohost "$tmp/big.json" 2>/dev/null
check "capacity --like an unknown host" 64 $?
printf '{"name": "huge", "services": [{"name": "s", "memory": "64GiB"}]}\n' >"$tmp/huge1.json"
"$bin/placer" capacity --cluster "$ex/fat-tree-k4.json" --target 1 --like h-0-0-0 --max-hosts 8 "$tmp/huge1.json" >/dev/null 2>"$tmp/err"
check "capacity --target out of reach" 1 $?
says "capacity --target out of reach" "$tmp/err" "what binds is not the hosts' room"

# a scenario that admits nothing: a service larger than every host
sed 's/"name": "mme", "memory": "2GiB"/"name": "mme", "memory": "1TiB"/' "$ex/vepc-attach.json" >"$tmp/huge.json"
printf '{"cluster": "%s/fat-tree-k4.json", "workflows": [{"file": "huge.json", "arrival": {"every": "1s"}}], "arrivals": 5}\n' "$ex" >"$tmp/nothing.json"
sim --json "$tmp/nothing.json" >"$tmp/nothing.out"; check "a scenario admitting nothing" 0 $?
/usr/bin/python3 - "$tmp/nothing.out" <<'PY' || { echo "FAIL: a scenario admitting nothing"; fails=$((fails+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["runs"]) == 5, len(d["runs"])
for r in d["runs"]:
    assert r["arrivals"] == 5 and r["admitted"] == 0, r
    # placer and the fits see no host with the memory; requests-only
    # knows memory too
    assert r["rejections"] == {"memory": 5}, (r["policy"], r["rejections"])
    assert r["acceptance"] == 0 and r["cpu_peak"] == 0
PY

# the Monte-Carlo check: what placer admits keeps its promise on the
# cores it was given; copies that share a core without a reservation
# (requests-only) break theirs, and the check says so
printf '{"hosts": [{"name": "a", "cores": 1, "core_capacity": 0.95}]}\n' >"$tmp/mc-c.json"
printf '{"name": "tick", "deadline": "8ms", "probability": 0.99, "arrival": {"period": "20ms"},
  "services": [{"name": "work", "exec_time": {"pmf": {"2ms": 0.5, "3ms": 0.5}}}]}\n' >"$tmp/mc-w.json"
printf '{"cluster": "mc-c.json", "arrivals": 8, "seed": 5, "monte_carlo": 2000,
  "workflows": [{"file": "mc-w.json", "arrival": {"every": "1s"}}],
  "policies": ["placer", "requests-only"]}\n' >"$tmp/mc.json"
sim --json --decisions "$tmp/mc.json" >"$tmp/mc.out"; check "monte carlo" 0 $?
/usr/bin/python3 - "$tmp/mc.out" <<'PY' || { echo "FAIL: monte carlo"; fails=$((fails+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
runs = {r["policy"]: r for r in d["runs"]}
pl, ro = runs["placer"]["monte_carlo"], runs["requests-only"]["monte_carlo"]
assert pl["copies"] == runs["placer"]["admitted"] > 0, pl
# a copy placer admitted whose interval lies below its promise is a defect
assert pl["broken"] == 0, pl
for c in pl["checks"]:
    assert c["jobs"] == 2000 and c["ci95"][1] >= c["promise"], c
    assert c["bound"] >= c["promise"] - 1e-9, c
assert ro["copies"] > pl["copies"] and ro["broken"] > 0, ro
late = [c for c in ro["checks"] if c["ci95"][1] < c["promise"]]
assert len(late) == ro["broken"]
PY
# (the example's first 700 s: placer's plans are the slow part)
sed 's/"horizon": "1800s"/"horizon": "700s"/' "$ex/scenario.json" >"$tmp/scen.json"
sed -i "s|\"file\": \"|\"file\": \"$ex/|g; s|\"cluster\": \"|\"cluster\": \"$ex/|" "$tmp/scen.json"
# --csv and --report: the files, and the page opened in headless Chromium
sim --csv "$tmp/csv" --report "$tmp/report.html" "$tmp/mc.json" >/dev/null
check "simulate --csv --report" 0 $?
for f in runs series hosts workflows decisions checks; do
    [ -s "$tmp/csv/$f.csv" ] || { echo "FAIL: --csv wrote no $f.csv"; fails=$((fails+1)); }
done
[ "$(wc -l <"$tmp/csv/decisions.csv")" -eq 17 ] ||
    { echo "FAIL: decisions.csv: $(wc -l <"$tmp/csv/decisions.csv") lines, want 1 + 2 x 8"; fails=$((fails+1)); }
grep -q '^base,requests-only,8,0,0,0,0,0,0' "$tmp/csv/runs.csv" && { echo "FAIL: runs.csv"; fails=$((fails+1)); }
/usr/bin/python3 - "$tmp/csv/decisions.csv" <<'PY' || { echo "FAIL: decisions.csv's decision_ms and status"; fails=$((fails+1)); }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    assert float(r["decision_ms"]) >= 0, r
    if r["policy"] == "placer":
        assert float(r["decision_ms"]) > 0, r
        # proven, or said to be ended by the time limit
        assert r["status"] in ("optimal", "infeasible", "feasible", "timeout"), r
        assert (r["status"] in ("optimal", "feasible")) == (r["admitted"] == "1"), r
    else:
        assert r["status"] == "heuristic", r
assert any(r["status"] == "optimal" for r in rows), rows
PY
sim --report /nonexistent/dir/r.html "$tmp/mc.json" >/dev/null 2>"$tmp/err"
check "--report into a missing folder" 73 $?
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,4200 \
    --screenshot="$tmp/shot.png" "file://$tmp/report.html" >/dev/null 2>"$tmp/chromium.err"
check "chromium screenshot" 0 $?
chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$tmp/report.html" \
    >"$tmp/dom.html" 2>>"$tmp/chromium.err"
check "chromium dump-dom" 0 $?
/usr/bin/python3 - "$tmp/shot.png" "$tmp/dom.html" "$tmp/chromium.err" <<'PY' || { echo "FAIL: the report in Chromium"; fails=$((fails+1)); }
import re, struct, sys, zlib
png = open(sys.argv[1], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", png[16:24])
assert (w, h) == (1100, 4200), (w, h)
# the pixels: many colours, not a blank page
data, k = b"", 8
while k < len(png):
    n, = struct.unpack(">I", png[k:k + 4])
    if png[k + 4:k + 8] == b"IDAT":
        data += png[k + 8:k + 8 + n]
    k += 12 + n
raw = zlib.decompress(data)
assert len(set(raw)) > 100, len(set(raw))
dom = open(sys.argv[2]).read()
assert "</html>" in dom and "placer simulate" in dom
svgs = re.findall(r"<svg.*?</svg>", dom, re.S)
# acceptance, rejections, guarantees, decisions, a heat map per run
assert len(svgs) == 6, len(svgs)
for s in svgs:
    assert s.count("<path") >= 5 or "<image" in s, s[:200]
assert "(no data)" not in dom
# no page errors (the sandbox's D-Bus complaints are not the page's)
err = open(sys.argv[3]).read()
assert not re.search(r"Uncaught|Failed to load|net::ERR", err), err
PY

sim --json --monte-carlo 300 --policies placer,first-fit "$tmp/scen.json" >"$tmp/scen.out"
check "the example scenario" 0 $?
/usr/bin/python3 - "$tmp/scen.out" <<'PY' || { echo "FAIL: the example scenario"; fails=$((fails+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["runs"]) == 6, len(d["runs"])
for r in d["runs"]:
    mc = r["monte_carlo"]
    # (copies evicted by a failure and placed again are checked again)
    assert r["admitted"] > 0 and mc["copies"] == r["admitted"] + r["replaced"], (r["policy"], mc)
    assert mc["broken"] == 0, (r["variant"], r["policy"], mc)
    assert len(r["series"]) >= 11 and all(0 <= p["cpu"] <= 1 for p in r["series"])
    assert sum(p["arrivals"] for p in r["series"]) == r["arrivals"]
    for k, w in enumerate(r["workflows"]):
        assert sum(p["by_workflow"][k][0] for p in r["series"]) == w["arrivals"], (k, w)
        assert sum(p["by_workflow"][k][1] for p in r["series"]) == w["admitted"], (k, w)
byv = {(r["variant"], r["policy"]): r for r in d["runs"]}
# more hosts admit at least as many under placer
assert byv["plus-4-hosts", "placer"]["admitted"] >= byv["base", "placer"]["admitted"]
assert byv["host-fails", "placer"]["evicted"] > 0
PY

# variants: added hosts take more; a failed host evicts what it held
cat >"$tmp/var.json" <<EOF2
{"cluster": "$ex/fat-tree-k4.json", "seed": 3, "arrivals": 60, "time_limit": "30s",
 "workflows": [{"file": "$ex/video-pipeline.json", "arrival": {"every": "1s"}}],
 "policies": ["first-fit", "requests-only"],
 "variants": [{"name": "base"},
              {"name": "half", "remove_hosts": ["h-0-0-1", "h-0-1-0", "h-0-1-1", "h-1-0-0", "h-1-0-1", "h-1-1-0", "h-1-1-1", "h-2-0-0"]},
              {"name": "gone", "remove_hosts": ["h-0-0-0"]},
              {"name": "fail", "host_failures": [{"host": "h-0-0-0", "at": "30.5s"}]}]}
EOF2
sim --json "$tmp/var.json" >/dev/null 2>"$tmp/err"; check "a variant removing an endpoint's host" 65 $?
says "a variant removing an endpoint's host" "$tmp/err" "variants[2]: workflow 'video-pipeline' needs what this variant removes"
sed -i '/"name": "gone"/d' "$tmp/var.json"
sim --json "$tmp/var.json" >"$tmp/var.out"; check "variants" 0 $?
/usr/bin/python3 - "$tmp/var.out" <<'PY' || { echo "FAIL: variants"; fails=$((fails+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
runs = {(r["variant"], r["policy"]): r for r in d["runs"]}
base, half = runs["base", "first-fit"], runs["half", "first-fit"]
assert base["arrivals"] == half["arrivals"] == 60
assert half["admitted"] < base["admitted"], (half["admitted"], base["admitted"])
fail = runs["fail", "first-fit"]
assert fail["evicted"] > 0 and fail["replaced"] <= fail["evicted"], fail
# requests-only admits at least as much as a policy that reserves
assert runs["base", "requests-only"]["admitted"] >= base["admitted"]
PY

# the same trace through placerd and through placer simulate: identical
# decisions and plans.  A network service on the Abilene WAN, priced per
# site: every plan is proven by the tree program, with no tie-break left
# to a share of wall-clock time (which a busy or sanitized build cuts
# short, on placerd as in a simulation), so the two must agree exactly
{
    for i in $(seq 0 19); do
        printf '{"t": "%ds", "op": "submit", "workflow": "ns-chain", "name": "n%d"}\n' $((2 * i)) $i
        [ $i -ge 4 ] && [ $((i % 3)) -eq 1 ] && printf '{"t": "%d.5s", "op": "release", "name": "n%d"}\n' $((2 * i)) $((i - 3))
    done
} >"$tmp/replay.jsonl"
printf '{"cluster": "%s/abilene.json", "time_limit": "30s", "policies": ["placer"], "trace": "replay.jsonl", "monte_carlo": 0,
  "workflows": [{"file": "%s/ns-chain.json"}]}\n' "$ex" "$ex" >"$tmp/replay.json"
sim --json --decisions "$tmp/replay.json" >"$tmp/replay.out"; check "simulate the replay" 0 $?
ep="ipc://$tmp/pd.sock"
"$bin/placerd" --db "$tmp/pd.db" --listen "$ep" --agents-listen "ipc://$tmp/pda.sock" --insecure-clients 2>/dev/null &
pd=$!
for _ in $(seq 50); do "$bin/placer" --server "$ep" list >/dev/null 2>&1 && break; sleep 0.1; done
"$bin/placer" --server "$ep" cluster apply "$ex/abilene.json" >/dev/null
: >"$tmp/live.jsonl"
live_ok=" "
while read -r line; do
    op=$(printf '%s' "$line" | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["op"], e["name"], e.get("workflow", ""))')
    set -- $op
    if [ "$1" = submit ]; then
        sed "s/\"name\": \"$3\"/\"name\": \"$2\"/" "$ex/$3.json" >"$tmp/w.json"
        "$bin/placer" --server "$ep" submit --json --time-limit 30s "$tmp/w.json" >"$tmp/w.out" 2>/dev/null
        [ $? -eq 0 ] && live_ok="$live_ok $2 "
        /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d))' "$tmp/w.out" >>"$tmp/live.jsonl" ||
            echo '{}' >>"$tmp/live.jsonl"
    else
        # (a copy that was rejected has nothing to release)
        "$bin/placer" --server "$ep" release "$2" >/dev/null 2>&1
        rc=$?
        case "$live_ok" in
        *" $2 "*) check "release $2" 0 $rc; live_ok=${live_ok/ $2 / } ;;
        *) check "release of rejected $2" 1 $rc ;;
        esac
    fi
done <"$tmp/replay.jsonl"
# (three admitted copies released first: room for more)
for name in $(printf '%s\n' $live_ok | head -3); do
    "$bin/placer" --server "$ep" release "$name" >/dev/null || { echo "FAIL: release $name"; fails=$((fails+1)); }
done
# from the live state: placer --server EP capacity counts what placerd then
# admits, one submission after another, and a simulation from the same
# snapshot admits as many
"$bin/placer" --server "$ep" capacity --json "$ex/ns-chain.json" >"$tmp/livecap.json"
check "capacity --server" 0 $?
printf '{"seed": 1, "arrivals": 12, "policies": ["placer"], "monte_carlo": 0,
  "workflows": [{"file": "%s/ns-chain.json", "arrival": {"every": "1s"}}]}\n' "$ex" >"$tmp/live-s.json"
"$bin/placer" --server "$ep" simulate --quiet --json "$tmp/live-s.json" >"$tmp/livesim.json"
check "simulate --server" 0 $?
"$bin/placer" --server "$ep" capacity --cluster "$ex/abilene.json" "$ex/ns-chain.json" >/dev/null 2>&1
check "capacity --server and --cluster" 64 $?
more=0
while [ $more -lt 20 ]; do
    sed "s/\"name\": \"ns-chain\"/\"name\": \"more$more\"/" "$ex/ns-chain.json" >"$tmp/w.json"
    "$bin/placer" --server "$ep" submit "$tmp/w.json" >/dev/null 2>&1 || break
    more=$((more + 1))
done
/usr/bin/python3 - "$tmp/livecap.json" "$tmp/livesim.json" "$more" <<'PY' || { echo "FAIL: capacity and simulate on the live state"; fails=$((fails+1)); }
import json, sys
cap = json.load(open(sys.argv[1]))
sim = json.load(open(sys.argv[2]))["runs"][0]
more = int(sys.argv[3])
assert 0 < cap["copies"] == more < 10, (cap["copies"], more)
assert sim["admitted"] == min(12, more), (sim["admitted"], more)
PY
kill -TERM $pd; wait $pd; pd=
/usr/bin/python3 - "$tmp/replay.out" "$tmp/live.jsonl" <<'PY' || { echo "FAIL: placerd and simulate differ"; fails=$((fails+1)); }
import json, sys
sim = json.load(open(sys.argv[1]))["runs"][0]["decisions"]
live = [json.loads(l) for l in open(sys.argv[2])]
assert len(sim) == len(live) == 20, (len(sim), len(live))
admitted = rejected = 0
for k, (s, l) in enumerate(zip(sim, live)):
    assert s["admitted"] == l["admitted"], (k, s, l.get("rejection"))
    if not s["admitted"]:
        rejected += 1
        assert s["rejection"] == l["rejection"]["code"], (k, s, l["rejection"])
        continue
    admitted += 1
    want = []
    for x in l["services"]:
        want.append("%s %s %s %d/%d" % (x["name"], x["host"],
                    "+".join(str(c) for c in x["cores"]),
                    x["budget_us"], x["period_us"]))
    got = []
    for part in s["plan"].split("; "):
        name, host, cores, bp = part.split(" ")
        b, p = (int(v) for v in bp.split("/"))
        got.append("%s %s %s %d/%d" % (name, host, cores, round(b / 1000), round(p / 1000)))
    assert got == want, (k, got, want)
assert admitted > 10 and rejected > 0, (admitted, rejected)
print("replay: %d admitted, %d rejected, identical" % (admitted, rejected))
PY

echo "test_simulate: $fails failure(s)"
[ $fails -eq 0 ]
