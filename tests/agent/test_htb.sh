#!/usr/bin/env bash
# Bandwidth enforcement end to end: two network namespaces joined by a veth
# pair, one placer-agent (htb backend) in each, placerd in between.  A
# 10 Mbit reservation bound to an iperf3 flow measures 0.90-1.01 x 10 Mbit
# of TCP payload; a probe flow in its own class keeps its RTT under 1 ms
# while the other class is saturated; release removes the class.  Root
# only (skips otherwise).
#   test_htb.sh BIN_DIR SOURCE_DIR
set -u
bin=$1
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: test_htb needs root (network namespaces, tc)"
    exit 0
fi
A=plc-a-$$
B=plc-b-$$
. "$(dirname "$0")/lib.sh"
cleanup() {
    kill_all
    ip netns del $A 2>/dev/null
    ip netns del $B 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# the two hosts: namespaces joined by a veth pair
ip netns add $A && ip netns add $B || { echo "FAIL: cannot create namespaces"; exit 1; }
ip link add va netns $A type veth peer name vb netns $B || { echo "FAIL: veth"; exit 1; }
ip -n $A addr add 10.77.0.1/24 dev va
ip -n $B addr add 10.77.0.2/24 dev vb
ip -n $A link set va up
ip -n $B link set vb up
ip -n $A link set lo up
ip -n $B link set lo up

cat >"$tmp/cluster.json" <<EOF
{"hosts": [{"name": "a", "cores": 2}, {"name": "b", "cores": 2}],
 "switches": [],
 "links": [{"a": "a", "b": "b", "rate": "1Gbit", "latency": "50us"}]}
EOF
wf() { # wf NAME FROM TO RATE [DUPLEX]
    cat >"$tmp/$1.json" <<EOF
{"name": "$1", "deadline": "1s",
 "services": [
   {"name": "$2", "host": "a", "exec_time": {"wcet": "1ms"},
    "reservation": {"periods": ["100ms"]}},
   {"name": "$3", "host": "b", "exec_time": {"wcet": "1ms"},
    "reservation": {"periods": ["100ms"]}}],
 "links": [{"from": "$2", "to": "$3", "rate": "$4", "duplex": ${5:-false}}]}
EOF
}

start_placerd "$aep"
P cluster apply "$tmp/cluster.json" >/dev/null || fail "cluster apply"
# deadline too: every host enforces its services' CPU reservations (the
# two agents share this kernel: the second starts after the first probed)
ip netns exec $A "$bin/placer-agent" --server "$aep" --host a --backend deadline,htb --calibrate 0 \
    --link b=va --state-dir "$tmp/sa" 2>"$tmp/agent-a.log" &
pids+=($!)
sleep 0.5
ip netns exec $B "$bin/placer-agent" --server "$aep" --host b --backend deadline,htb --calibrate 0 \
    --link a=vb --state-dir "$tmp/sb" 2>"$tmp/agent-b.log" &
pids+=($!)

wf bulk src dst 10Mbit true
wf probe ping pong 1Mbit
P submit "$tmp/bulk.json" >/dev/null || fail "submit bulk"
P submit "$tmp/probe.json" >/dev/null || fail "submit probe"
P bind bulk src dst --flow 10.77.0.1:0-10.77.0.2:5201/tcp >/dev/null || fail "bind bulk"
P bind probe ping pong --flow 10.77.0.1:0-10.77.0.2:7000/udp >/dev/null || fail "bind probe"
wait_state bulk active 5 || fail "bulk active"
wait_state probe active 5 || fail "probe active"
ip netns exec $A tc class show dev va >"$tmp/classes.txt"
ip netns exec $A tc filter show dev va >"$tmp/filters.txt"
ip netns exec $A tc qdisc show dev va >"$tmp/qdiscs.txt"
[ -n "${VERBOSE:-}" ] && ip netns exec $A tc -d class show dev va
[ -n "${EXPERIMENT:-}" ] && ip netns exec $A sh -c "$EXPERIMENT"
grep -q "class htb 1:10 parent 1:1 .*rate 10Mbit ceil 10Mbit" "$tmp/classes.txt" ||
    fail "no 10 Mbit class: $(cat "$tmp/classes.txt")"
grep -q "class htb 1:fffe parent 1:1" "$tmp/classes.txt" || fail "no default class"
grep -q "qdisc bfifo 10: parent 1:10 limit 128Kb" "$tmp/qdiscs.txt" ||
    fail "no 128 KiB bfifo leaf: $(cat "$tmp/qdiscs.txt")"
grep -q "flowid 1:10" "$tmp/filters.txt" || fail "no filter to 1:10: $(cat "$tmp/filters.txt")"
# u32 keys: the source address at 12, the ports at 20
grep -q "match 0a4d0001/ffffffff at 12" "$tmp/filters.txt" &&
    grep -q "match 00001451/0000ffff at 20" "$tmp/filters.txt" ||
    fail "a's filter does not match 10.77.0.1 -> :5201: $(cat "$tmp/filters.txt")"
# the duplex link's way back, on b: the same flow turned around
ip netns exec $B tc filter show dev vb >"$tmp/filters-b.txt"
grep -q "match 0a4d0002/ffffffff at 12" "$tmp/filters-b.txt" &&
    grep -q "match 14510000/ffff0000 at 20" "$tmp/filters-b.txt" ||
    fail "b's filter does not match 10.77.0.2:5201 -> : $(cat "$tmp/filters-b.txt")"

# the UDP echo of the probe flow, in b
ip netns exec $B $py - <<'EOF' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 7000))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)
EOF
pids+=($!)
ip netns exec $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
ip netns exec $A iperf3 -c 10.77.0.2 -p 5201 -t 6 -J >"$tmp/iperf.json" 2>&1 &
ipf=$!
sleep 1.5 # the bulk class saturated by now
ip netns exec $A $py - >"$tmp/rtt.txt" <<'EOF'
import socket, time, statistics
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 0))
s.settimeout(1.0)
rtt = []
for i in range(150):
    t = time.monotonic()
    s.sendto(b"x" * 64, ("10.77.0.2", 7000))
    s.recvfrom(2048)
    rtt.append((time.monotonic() - t) * 1e3)
    time.sleep(0.02)
rtt.sort()
print(f"{statistics.median(rtt):.3f} {rtt[int(0.95 * len(rtt))]:.3f} {rtt[-1]:.3f}")
EOF
wait $ipf
rate=$($py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"]["sum_received"]["bits_per_second"])' "$tmp/iperf.json" 2>/dev/null)
read -r med p95 worst <"$tmp/rtt.txt"
echo "reserved 10 Mbit: iperf3 TCP payload $($py -c "print(f'{$rate/1e6:.2f}')") Mbit/s; probe RTT median $med ms, p95 $p95 ms, max $worst ms while the bulk class is saturated"
$py -c "import sys; r=float(sys.argv[1]); sys.exit(0 if 0.90e7 <= r <= 1.01e7 else 1)" "${rate:-0}" ||
    fail "the 10 Mbit class carried ${rate:-nothing} bit/s of payload"
$py -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "${p95:-9}" ||
    fail "probe RTT p95 ${p95:-?} ms (want under 1 ms)"

# placerd restarts: the agents register again and nothing changes on the
# hosts (same classes and filters; the agents' journals untouched)
ip netns exec $A tc class show dev va >"$tmp/c0.txt"
ip netns exec $A tc filter show dev va >"$tmp/f0.txt"
j0=$(md5sum <"$tmp/sa/a.json")
kill -TERM $placerd
wait $placerd 2>/dev/null
start_placerd "$aep"
wait_state bulk active 8 || fail "after placerd's restart: bulk active"
ip netns exec $A tc class show dev va >"$tmp/c1.txt"
ip netns exec $A tc filter show dev va >"$tmp/f1.txt"
cmp -s "$tmp/c0.txt" "$tmp/c1.txt" && cmp -s "$tmp/f0.txt" "$tmp/f1.txt" ||
    fail "placerd's restart changed a's classes or filters"
[ "$j0" = "$(md5sum <"$tmp/sa/a.json")" ] || fail "placerd's restart changed a's journal"

# release removes the class (and the filter); the default class gets the
# link back
P release bulk >/dev/null || fail "release bulk"
for _ in $(seq 50); do
    ip netns exec $A tc class show dev va | grep -q "1:10 " || break
    sleep 0.1
done
ip netns exec $A tc class show dev va | grep -q "class htb 1:10 " && fail "release left the class"
ip netns exec $A tc filter show dev va | grep -q "flowid 1:10" && fail "release left the filter"
ip netns exec $A tc class show dev va | grep -q "class htb 1:11 " || fail "release took the probe's class too"

finish test_htb
