#!/usr/bin/env bash
# A tour of what placer does today, on the files in examples/.
#   demo.sh BIN_DIR
set -uo pipefail
bin=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# run_to FILE CMD...: run CMD with its output in FILE
run_to() { local f=$1; shift; printf '$ %s > %s\n' "$*" "$(basename "$f")"; "$@" >"$f"; }

say "1. Every example file validates (cluster, workflow or task set, told apart by content)"
run "$bin/placer" validate examples/*.json || exit 1

say "2. Workflows are checked against the cluster they will run on"
run "$bin/placer" validate --cluster examples/fat-tree-k4.json \
    examples/vepc-attach.json examples/video-pipeline.json \
    examples/control-loop.json || exit 1

say "3. The clusters, summarised"
run "$bin/placer" cluster show examples/fat-tree-k4.json || exit 1
run "$bin/placer" cluster show examples/abilene.json || exit 1

say "4. A real WAN imported: GEANT from SNDlib, each PoP a switch with 2 hosts"
run_to "$tmp/geant.json" "$bin/placer" cluster import sndlib \
    tests/data/topologies/sndlib/geant.txt --hosts-per-node 2 --cores 16 \
    --core-capacity 0.9 --memory 128GiB --rate 100Gbit || exit 1
run "$bin/placer" cluster show "$tmp/geant.json" || exit 1

say "5. A generated data centre: a k=16 fat-tree"
run_to "$tmp/ft16.json" "$bin/placer" cluster gen fat-tree --k 16 \
    --cores 32 --memory 256GiB --core-capacity 0.9 --buffer 1MiB || exit 1
run "$bin/placer" cluster show "$tmp/ft16.json" || exit 1

say "6. Plans: where every service runs, its reservation, routes and the guarantee"
run "$bin/placer" plan --cluster examples/fat-tree-k4.json examples/vepc-attach.json || exit 1
run "$bin/placer" plan --cluster examples/fat-tree-k4.json examples/control-loop.json || exit 1
run "$bin/placer" plan --cluster examples/fat-tree-k4.json --time-limit 1s examples/video-pipeline.json || exit 1

say "6b. Periodic arrivals on a host with platform terms (overhead, overrun, wake-up, steal)"
run "$bin/placer" plan --cluster examples/measured-host.json examples/periodic-chain.json || exit 1
# the same on a virtual machine whose hypervisor takes CPU time (steal):
# every stage's deadline carries the supply delay
run "$bin/placer" plan --cluster examples/vm-host.json examples/periodic-chain.json || exit 1
sed 's/"40ms"/"10ms"/' examples/periodic-chain.json >"$tmp/too-often.json"
run "$bin/placer" plan --cluster examples/measured-host.json "$tmp/too-often.json"
echo "exit status: $?"

say "6c. A network service on a WAN, priced per site (as OSM's PLA places them): proven by the tree program, each link within its latency bound"
run "$bin/placer" plan --cluster examples/abilene.json examples/ns-chain.json || exit 1

say "6d. Proven at scale: a 10-service chain that must cross hosts, a fork/join, and a workflow planned near its endpoint, on 1,024 hosts; the fork/join on 16 busy hosts"
run_to "$tmp/ft16x4.json" "$bin/placer" cluster gen fat-tree --k 16 --cores 4 \
    --latency 5us --core-capacity 0.95 || exit 1
svc() { # svc N: N services s0.. with a 3-point pmf
    local i
    for i in $(seq 0 $(($1 - 1))); do
        printf '%s{"name": "s%d", "exec_time": {"pmf": {"3ms": 0.7, "6ms": 0.25, "9ms": 0.05}}}' \
            "$([ "$i" -gt 0 ] && echo ,)" "$i"
    done
}
printf '{"name": "chain10", "deadline": "150ms", "probability": 0.95, "services": [%s], "links": [%s]}' \
    "$(svc 10)" "$(for i in $(seq 1 9); do printf '%s{"from": "s%d", "to": "s%d"}' "$([ "$i" -gt 1 ] && echo ,)" $((i - 1)) "$i"; done)" \
    >"$tmp/chain10.json"
run "$bin/placer" plan --cluster "$tmp/ft16x4.json" "$tmp/chain10.json" | sed -n 1,4p
printf '{"name": "forkjoin", "deadline": "45ms", "probability": 0.95, "services": [%s], "links": [%s]}' \
    "$(svc 6)" "$(for i in 1 2 3 4; do printf '%s{"from": "s0", "to": "s%d"}, {"from": "s%d", "to": "s5"}' "$([ "$i" -gt 1 ] && echo ,)" "$i" "$i"; done)" \
    >"$tmp/forkjoin.json"
run "$bin/placer" plan --cluster "$tmp/ft16x4.json" "$tmp/forkjoin.json" | sed -n 1,4p
# a workflow with an endpoint (vepc-attach: the eNB on edge-0-0, hss pinned
# to four hosts of pod 1): planned on the hosts near it, proven against a
# relaxation of the whole cluster
run "$bin/placer" plan --cluster "$tmp/ft16x4.json" examples/vepc-attach.json | sed -n 1,4p
# 16 hosts whose cores are partly busy: no host takes the fork/join
# whole, so it crosses hosts; proven against the timing relaxation of the
# plans over several hosts (each crossing charged)
run "$bin/placer" plan --cluster examples/fat-tree-k4-busy.json "$tmp/forkjoin.json" | sed -n 1,4p
# every core 70 % busy: no plan, proven without the solver, and why
sed 's/"cores": 4/"cores": 4, "used": [0.7, 0.7, 0.7, 0.7]/' "$tmp/ft16x4.json" >"$tmp/busy.json"
run "$bin/placer" plan --cluster "$tmp/busy.json" "$tmp/chain10.json"
echo "exit status: $?"

say "6e. Capacity: how many more copies fit, admitted one by one through placerd's decision path, and what binds next"
run "$bin/placer" capacity --cluster examples/fat-tree-k4.json --quiet examples/vepc-attach.json | sed -n 1,3p

say "6f. What if: half an hour of arrivals on the k=4 fat-tree under five policies and three clusters (the same arrivals for all)"
run "$bin/placer" simulate --quiet --report build/simulate-report.html examples/scenario.json &&
    echo "(the report, with its plots: build/simulate-report.html)"

say "7. A rejection names its cause with numbers (exit 1)"
printf '%s\n' '{"name": "too-fast", "deadline": "4ms", "endpoints": [{"name": "enb", "node": "edge-0-0"}],' \
  ' "services": [{"name": "mme", "exec_time": {"pmf": {"1ms": 0.6, "2ms": 0.3, "3ms": 0.1}},' \
  '   "reservation": {"periods": ["5ms"]}}],' \
  ' "links": [{"from": "enb", "to": "mme", "rate": "100Mbit", "crossings": 4}]}' >"$tmp/too-fast.json"
run "$bin/placer" plan --cluster examples/fat-tree-k4.json "$tmp/too-fast.json"
echo "exit status: $?"
# a service too big for every host: the hosts counted per reason
printf '%s' '{"name": "too-big", "services": [{"name": "db", "memory": "64GiB"}]}' >"$tmp/too-big.json"
run "$bin/placer" plan --cluster examples/fat-tree-k4.json "$tmp/too-big.json"
# rules that contradict each other are named, with the hosts each allows
printf '%s' '{"name": "torn", "services": [{"name": "a", "host": "h-0-0-0"},' \
  ' {"name": "b", "host": "h-1-0-0"}], "affinity": [["a", "b"]]}' >"$tmp/torn.json"
run "$bin/placer" plan --cluster examples/fat-tree-k4.json "$tmp/torn.json"
echo "exit status: $?"

say "8. A guest's own real-time task set: its minimum CPU reservation per period"
run "$bin/placer" analyze examples/analyze-taskset.json || exit 1

say "9. Bad input: every problem, with line, column, field path and the fix (exit 65)"
run "$bin/placer" validate tests/data/bad/wf-many-problems.json
echo "exit status: $?"

say "9b. Limits: an endless input is refused at 64 MiB, and a plan stops at its time limit"
run "$bin/placer" validate /dev/zero
echo "exit status: $?"
run "$bin/placer" plan --cluster examples/fat-tree-k4.json --time-limit 1ms \
    examples/vepc-attach.json
echo "exit status: $?"

say "10. The service: placerd on a fresh SQLite file, an admin token, the cluster applied"
ep="ipc://$tmp/placerd.sock"
echo "\$ export PLACER_TOKEN=\$(placerd --db placer.db token create --admin)"
PLACER_TOKEN=$("$bin/placerd" --db "$tmp/placer.db" token create --admin) || exit 1
export PLACER_TOKEN
# the HTTP API on a free loopback port
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/placerd" --db "$tmp/placer.db" --listen "$ep" \
    --agents-listen "ipc://$tmp/agents.sock" --insecure-agents \
    --http "127.0.0.1:$port" 2>"$tmp/placerd.log" &
pid=$!
agents=
trap 'kill $pid $agents 2>/dev/null; rm -rf "$tmp"' EXIT
P() { run "$bin/placer" --server "$ep" "$@"; }
for _ in $(seq 50); do "$bin/placer" --server "$ep" list >/dev/null 2>&1 && break; sleep 0.1; done
P cluster apply examples/fat-tree-k4.json || exit 1
echo "(dryrun node agents for h-0-0-0, h-1-0-0 and h-3-1-1 register their hosts)"
for h in h-0-0-0 h-1-0-0 h-3-1-1; do
    "$bin/placer-agent" --server "ipc://$tmp/agents.sock" --host $h \
        --backend dryrun 2>>"$tmp/agents.log" &
    agents="$agents $!"
done
sleep 1.5

say "11. Workflows submitted: admitted ones are recorded before the answer"
P submit examples/vepc-attach.json || exit 1
P submit --time-limit 1s examples/video-pipeline.json >/dev/null || exit 1
echo "(video-pipeline admitted; its plan is in 'placer status')"
P submit examples/control-loop.json >/dev/null || exit 1
echo "(control-loop admitted)"

say "11b. A dry run against what placerd holds now: the plan a submission would get, nothing admitted"
P submit --dry-run examples/vepc-attach.json | sed -n '1,3p;$p'

say "12. One that cannot be admitted: rejected with its reason, nothing recorded (exit 1)"
P submit "$tmp/too-fast.json"
echo "exit status: $?"

say "13. What placerd holds: list, status (its lifecycle per host), hosts"
echo "(active: every agent acknowledged its reservations -- dryrun agents record"
echo " what they would enforce; admitted: no agent runs on its host, h-2-0-1)"
P list || exit 1
P status video-pipeline || exit 1
P hosts || exit 1

say "13b. A placed service bound to its process (a real agent would set SCHED_DEADLINE on its threads: make demo-real)"
sleep 300 &
sleeper=$!
P bind video-pipeline decode --pid $sleeper || exit 1
kill $sleeper

say "13c. The same service over HTTP (docs/http.md): a tenant's token sees its own workflows only"
echo "\$ ACME_TOKEN=\$(placer token create --tenant acme)"
acme=$("$bin/placer" --server "$ep" token create --tenant acme 2>/dev/null) || exit 1
echo "\$ curl -H 'Authorization: Bearer \$ACME_TOKEN' http://127.0.0.1:$port/v1/workflows"
curl -sS -H "Authorization: Bearer $acme" "http://127.0.0.1:$port/v1/workflows" || exit 1
echo "\$ curl -H 'Authorization: Bearer \$PLACER_TOKEN' .../metrics | grep 'admissions_total{result=\"admitted\"'"
curl -sS -H "Authorization: Bearer $PLACER_TOKEN" "http://127.0.0.1:$port/metrics" |
    grep 'placer_admissions_total{result="admitted"'

say "14. A release frees its reservations at once"
P release control-loop || exit 1
P list || exit 1

say "15. placerd stops on SIGTERM; its log says what happened to whom"
kill -TERM $agents 2>/dev/null
wait $agents 2>/dev/null
kill -TERM $pid
wait $pid
echo "placerd exit status: $?"
cat "$tmp/placerd.log"

say "16. The store checked: SQLite's integrity and foreign keys, the totals, the stored cluster"
run "$bin/placerd" --db "$tmp/placer.db" --check || exit 1

printf '\nOn real hosts the agents enforce what placerd decided: make demo-real (root)\nruns them in network namespaces with SCHED_DEADLINE and HTB; see README.md.\n'
