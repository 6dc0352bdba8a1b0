#!/usr/bin/env bash
# placer enforcing a plan on real kernels (root): two hosts as network
# namespaces joined by a veth pair, placerd, and one placer-agent per host
# with the deadline and htb backends.  A busy process gets a real
# SCHED_DEADLINE reservation and an iperf3 flow a real HTB class.
#   demo-real.sh BIN_DIR
set -uo pipefail
bin=$(cd "$1" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "make demo-real needs root (SCHED_DEADLINE, network namespaces, tc)"
    exit 77
fi
tmp=$(mktemp -d)
A=placer-demo-a
B=placer-demo-b
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    ip netns del $A 2>/dev/null
    ip netns del $B 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }
ep="ipc://$tmp/placerd.sock"
P() { run "$bin/placer" --server "$ep" "$@"; }
state() { "$bin/placer" --server "$ep" status --json "$1" 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
wait_active() {
    for _ in $(seq 50); do [ "$(state "$1")" = active ] && return 0; sleep 0.1; done
    return 1
}

say "1. Two hosts: network namespaces $A and $B joined by a veth pair"
ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
run ip netns add $A && run ip netns add $B || exit 1
run ip link add va netns $A type veth peer name vb netns $B || exit 1
ip -n $A addr add 10.78.0.1/24 dev va && ip -n $B addr add 10.78.0.2/24 dev vb
ip -n $A link set va up && ip -n $B link set vb up
ip -n $A link set lo up && ip -n $B link set lo up
echo "(a: 10.78.0.1 on va; b: 10.78.0.2 on vb)"

say "2. Keys: placerd accepts only the agents whose public key it holds (CURVE)"
mkdir -p "$tmp/agents.d"
run "$bin/placer" keygen "$tmp/placerd" || exit 1
for h in a b; do
    "$bin/placer" keygen "$tmp/agent-$h" >/dev/null || exit 1
    cp "$tmp/agent-$h.pub" "$tmp/agents.d/$h.pub" # named after its host
done
echo "(a.pub and b.pub in agents.d/: each key serves the host it is named after)"

say "3. placerd, the cluster, and an agent in each host (deadline + htb)"
cat >"$tmp/cluster.json" <<EOF
{"hosts": [{"name": "a", "cores": 2, "memory": "4GiB"},
           {"name": "b", "cores": 2, "memory": "4GiB"}],
 "switches": [],
 "links": [{"a": "a", "b": "b", "rate": "1Gbit", "latency": "50us"}]}
EOF
PLACER_TOKEN=$("$bin/placerd" --db "$tmp/placer.db" token create --admin 2>/dev/null) || exit 1
export PLACER_TOKEN
"$bin/placerd" --db "$tmp/placer.db" --listen "$ep" \
    --agents-listen "ipc://$tmp/agents.sock" --server-key "$tmp/placerd.key" \
    --agent-keys "$tmp/agents.d" 2>"$tmp/placerd.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/placerd.sock" ] && break; sleep 0.1; done
P cluster apply "$tmp/cluster.json" || exit 1
ip netns exec $A "$bin/placer-agent" --server "ipc://$tmp/agents.sock" --host a \
    --server-pub "$tmp/placerd.pub" --key "$tmp/agent-a.key" \
    --backend deadline,htb --calibrate 0 --link b=va --state-dir "$tmp/a" 2>"$tmp/agent-a.log" &
pids+=($!)
sleep 0.5 # the two agents share this kernel: one deadline probe at a time
ip netns exec $B "$bin/placer-agent" --server "ipc://$tmp/agents.sock" --host b \
    --server-pub "$tmp/placerd.pub" --key "$tmp/agent-b.key" \
    --backend deadline,htb --calibrate 0 --link a=vb --state-dir "$tmp/b" 2>"$tmp/agent-b.log" &
pids+=($!)
sleep 1
echo "(core capacity: what SCHED_DEADLINE admits here, as the agents probed it)"
P hosts || exit 1

say "4. A workflow: 'worker' on a (10 ms every 100 ms), 'sink' on b, 10 Mbit between"
cat >"$tmp/demo.json" <<EOF
{"name": "demo", "deadline": "1s",
 "services": [
   {"name": "worker", "host": "a", "exec_time": {"wcet": "10ms"},
    "reservation": {"periods": ["100ms"], "budgets": ["10ms"]}},
   {"name": "sink", "host": "b", "exec_time": {"wcet": "1ms"},
    "reservation": {"periods": ["100ms"]}}],
 "links": [{"from": "worker", "to": "sink", "rate": "10Mbit"}]}
EOF
P submit "$tmp/demo.json" || exit 1

say "5. A busy process in a, bound to 'worker': SCHED_DEADLINE on its thread"
ip netns exec $A "$bin/busy" 1 >"$tmp/busy.pid" &
pids+=($!)
sleep 0.3
busy=$(cat "$tmp/busy.pid")
P bind demo worker --pid "$busy" || exit 1
wait_active demo
run chrt -p "$busy"
/usr/bin/python3 - "$busy" <<'EOF'
import sys, time
pid = sys.argv[1]
def t():
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])
a, t0 = t(), time.monotonic()
time.sleep(2)
b, t1 = t(), time.monotonic()
print(f"measured from /proc/{pid}/schedstat over 2 s: {(b - a) / 1e9 / (t1 - t0):.4f} CPU (reserved 0.1000) -- it would take 1.0 unreserved")
EOF

say "6. The link's 10 Mbit bound to an iperf3 flow: an HTB class on a's va"
P bind demo worker sink --flow 10.78.0.1-10.78.0.2:5201/tcp || exit 1
wait_active demo
run ip netns exec $A tc class show dev va
ip netns exec $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
echo "$ ip netns exec $A iperf3 -c 10.78.0.2 -t 4 (TCP payload; HTB counts frame bytes)"
ip netns exec $A iperf3 -c 10.78.0.2 -p 5201 -t 4 -f m | grep -E "sender|receiver"

say "7. placer status: every reservation active, acknowledged by its agent"
P status demo || exit 1

say "8. Release: the thread is SCHED_OTHER again and the class is gone"
P release demo || exit 1
sleep 0.5
run chrt -p "$busy"
run ip netns exec $A tc class show dev va

say "9. What the agents logged"
cat "$tmp/agent-a.log"
printf '\nThe namespaces, placerd and the agents are removed on exit.\n'
