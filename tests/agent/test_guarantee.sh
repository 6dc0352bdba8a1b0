#!/usr/bin/env bash
# test_guarantee (root): the guarantee placer prints, measured on this
# kernel with real processes.  A workflow runs as one process per service
# joined by pipes (tests/support/workload.c: exact CPU burn per sampled
# job, a source releasing jobs per the arrival model, a sink recording when
# each job left each stage), admitted through placerd and bound through a
# placer-agent that partitions CPU 1 (--cpus 1) and measured its platform.
# Each scenario runs 2,000 jobs and fails when the on-time fraction, or the
# fraction through any prefix of the chain, is below the promise beyond
# sampling error (one-sided 95 % Clopper-Pearson upper bound below it).
#
# Workflows: fixed execution times (p = 1 is declined on a measured host,
# saying why; p = 0.99 runs), a heavy tail planned tight at p = 0.9, a
# periodic source faster than the worst case.  Loads: idle; two SCHED_OTHER
# hogs on the reserved CPU plus an I/O loop; another admitted workflow on
# the same CPU whose thread uses its whole budget, plus the hogs.  The same
# fixed workflow unbound under the hogs must fail the check: it shows the
# check can fail.  Prints promised against measured per scenario.
#
# Usage: test_guarantee.sh BIN_DIR SOURCE_DIR
# (GUARANTEE_FULL=1: every workflow under every load, as make bench runs
# it; make test runs the fixed workflow under the hogs, the tail under the
# hogs and beside the other workflow, and the periodic one beside the
# other workflow only, and the unbound control with a tenth of the jobs,
# for the suite's time;
# GUARANTEE_JOBS=N: N jobs per scenario; GUARANTEE_ONLY="LABEL ...": only
# those scenarios; KEEP=1: keep the scratch directory, with each
# scenario's plan, results and per-stage trace)
set -u
bin=$1
src=$2
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: test_guarantee needs root (SCHED_DEADLINE, cpusets)"
    exit 0
fi
if [ "$(nproc)" -lt 2 ]; then
    echo "SKIP: test_guarantee needs 2 CPUs (one reserved, one for the rest)"
    exit 0
fi
. "$src/tests/agent/lib.sh"
JOBS=${GUARANTEE_JOBS:-2000}
cs=/sys/fs/cgroup/cpuset
load=()

known=0
# the host's steal of CPU 1 (ticks of 10 ms, /proc/stat)
steal1() { awk '/^cpu1 / {print $9}' /proc/stat; }
stop_load() {
    [ ${#load[@]} -eq 0 ] && return
    for p in "${load[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait "${load[@]}" 2>/dev/null
    load=()
}
# undo the partition the agent made (it leaves it for its reservations)
unpartition() {
    for d in $cs/placer-cpu* $cs/placer-rest; do
        [ -d "$d" ] || continue
        while read -r t; do echo "$t" >$cs/tasks 2>/dev/null; done <"$d/tasks"
        rmdir "$d" 2>/dev/null
    done
    echo 1 >$cs/cpuset.sched_load_balance 2>/dev/null
    [ -d $cs/placer ] && find $cs/placer -name cpuset.sched_load_balance \
        -exec sh -c 'echo 1 > "$1"' _ {} \; 2>/dev/null
}
cleanup() {
    stop_load
    kill_all
    unpartition
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/cluster.json" <<EOF
{"hosts": [{"name": "n1", "cores": 1, "core_capacity": 0.9}]}
EOF
start_placerd "$aep"
P cluster apply "$tmp/cluster.json" >/dev/null || fail "cluster apply"
"$bin/placer-agent" --server "$aep" --host n1 --backend deadline \
    --state-dir "$tmp/agent" --cpus 1 --calibrate 2000 2>>"$tmp/agent.log" &
pids+=($!)
up=""
for _ in $(seq 300); do
    up=$(P hosts --json 2>/dev/null | $py -c 'import json,sys; print(json.load(sys.stdin)["hosts"][0]["state"])' 2>/dev/null)
    [ "$up" = "up" ] && break
    sleep 0.1
done
[ "$up" = "up" ] || {
    fail "the agent did not register"
    finish test_guarantee
}
P hosts
# platform_time EXPR UNIT: a time of the host's platform as placer hosts
# --json gives it (EXPR, on the platform object p, names it), rounded up
# to a whole UNIT (us or ms)
platform_time() {
    P hosts --json | $py -c '
import json, math, sys
p = json.load(sys.stdin)["hosts"][0]["platform"]
t = eval(sys.argv[1])
scale = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
per = {"us": 1e6, "ms": 1e3}[sys.argv[2]]
u = next(u for u in sorted(scale, key=len, reverse=True) if t.endswith(u))
print(int(math.ceil(float(t[:-len(u)]) * scale[u] * per - 1e-9)))' "$1" "$2"
}
# the wake-up latency bound: the local deadlines end there after a period
# boundary; the largest seen, in whole ms: a source slower than 50 ms plus
# it never finds the fixed workflow's stage busy
w_us=$(platform_time 'p["wakeup_latency"]' us)
wmax_ms=$(platform_time 'p.get("wakeup_quantiles", [p["wakeup_latency"]])[-1]' ms)
# the supply delay plans add for the host's steal so far (0: none seen)
supply_delay_us() { platform_time 'p.get("supply_delay", "0ns")' us; }
sd_us=$(supply_delay_us)
echo "wake-up latency bound: ${w_us} us (largest seen ${wmax_ms} ms);" \
    "supply delay ${sd_us} us"

# wf NAME P ARRIVAL DEADLINE_US PERIODS STAGE_PMF... : a chain s0 -> s1 ...
wf() {
    $py - "$@" >"$tmp/$1.json" <<'EOF'
import json, sys
name, p, arrival, deadline_us, periods = sys.argv[1:6]
pmfs = sys.argv[6:]
def pmf(s):
    out = {}
    for part in s.split(","):
        t, _, q = part.partition(":")
        out[t] = float(q) if q else 1.0
    return out
services = []
for i, s in enumerate(pmfs):
    e = pmf(s)
    svc = {"name": "s%d" % i,
           "exec_time": {"wcet": next(iter(e))} if len(e) == 1 else {"pmf": e},
           "reservation": {"periods": periods.split(",")}}
    services.append(svc)
w = {"name": name, "probability": float(p), "deadline": "%sus" % deadline_us,
     "services": services,
     "links": [{"from": "s%d" % i, "to": "s%d" % (i + 1)}
               for i in range(len(pmfs) - 1)]}
if arrival != "closed":
    kind, _, t = arrival.partition(":")
    w["arrival"] = {"period" if kind == "period" else "min_interarrival": t}
json.dump(w, sys.stdout)
EOF
}

# start_noise: another admitted workflow on the same CPU whose thread uses
# its whole budget (a busy process bound to it; 5 ms in 50 ms, small
# enough to fit beside the fixed workflow with the overrun charged)
start_noise() {
    cat >"$tmp/noise.json" <<EOF
{"name": "noise", "services": [{"name": "hog", "exec_time": {"wcet": "4ms"},
 "reservation": {"periods": ["50ms"], "budgets": ["5ms"]}}]}
EOF
    P submit "$tmp/noise.json" >/dev/null || {
        fail "the noise workflow was not admitted"
        return
    }
    taskset -c 1 "$bin/busy" 1 >/dev/null &
    load+=($!)
    P bind noise hog --pid $! >/dev/null || fail "bind noise"
    wait_state noise active 10 || {
        fail "noise not active"
        P status noise | grep -i error
    }
}
start_hogs() {
    for _ in 1 2; do
        taskset -c 1 "$bin/busy" 1 >/dev/null &
        load+=($!)
    done
    (while :; do dd if=/dev/zero of="$tmp/io" bs=64k count=64 conv=fsync \
        status=none; done) &
    load+=($!)
}

# run LABEL WORKFLOW LOAD BIND EXPECT ARRIVAL STAGE_PMF...
#   LOAD idle|hogs|noise; BIND 1|0; EXPECT pass|fail
run() {
    local label=$1 name=$2 ld=$3 bind=$4 expect=$5 arrival=$6
    shift 6
    # GUARANTEE_ONLY="label ...": those scenarios alone (for a developer)
    if [ -n "${GUARANTEE_ONLY:-}" ] && [[ " $GUARANTEE_ONLY " != *" $label "* ]]; then
        return
    fi
    if ! P submit "$tmp/$name.json" >"$tmp/$label.submit"; then
        # the host's steal grew since the deadlines were chosen: placer
        # declines what the steal makes impossible, which is right
        local now_sd
        now_sd=$(supply_delay_us)
        if [ "${now_sd:-0}" -gt "$sd_us" ]; then
            echo "$label: not admitted: the host's supply delay grew from ${sd_us} to ${now_sd} us (steal); KNOWN"
            echo "RESULT $label - - - declined(steal) $ld" >>"$tmp/results"
            known=$((known + 1))
        else
            fail "$label: not admitted: $(cat "$tmp/$label.submit")"
        fi
        return
    fi
    P status --json "$name" >"$tmp/$label.plan.json"
    local stages=()
    for s in "$@"; do stages+=(--stage "$s"); done
    rm -f "$tmp/$label.pids"
    # the stages start on the reserved CPU, as an operator starts bound
    # work: the kernel then admits each in CPU 1's root domain directly (a
    # thread admitted in the other domain and moved is accounted wrongly
    # over repeated runs here: later admissions fail with EBUSY); the
    # source and sink stay off it, outside the workflow
    # (the unbound control only has to show that the check can fail: it
    # measures 0 % on time, which a tenth of the jobs shows as well)
    local jobs=$JOBS
    [ "$expect" = fail ] && [ -z "${GUARANTEE_FULL:-}" ] && jobs=$(((JOBS + 9) / 10))
    "$bin/workload" "${stages[@]}" --stage-cpu 1 --arrival "$arrival" --jobs "$jobs" \
        --seed 7 --pids "$tmp/$label.pids" --out "$tmp/$label.out" \
        --trace "$tmp/$label.trace" &
    local wp=$!
    for _ in $(seq 50); do [ -s "$tmp/$label.pids" ] && break; sleep 0.1; done
    local spids=()
    while read -r i pid; do
        spids+=("$pid")
        [ "$bind" = 1 ] && { P bind "$name" "s$i" --pid "$pid" >/dev/null ||
            fail "$label: bind s$i"; }
    done <"$tmp/$label.pids"
    [ "$bind" = 1 ] && { wait_state "$name" active 10 || fail "$label: not active"; }
    case $ld in
    noise) start_noise && start_hogs ;;
    hogs) start_hogs ;;
    esac
    # where the bound threads run, sampled through the run
    local where="$tmp/$label.cpus"
    (while kill -0 "$wp" 2>/dev/null; do
        # the CPU of a thread that is running (a sleeping one shows where
        # it last ran, which before its first job is before the bind)
        for p in "${spids[@]}"; do awk '$3 == "R" {print $39}' /proc/$p/stat 2>/dev/null; done
        sleep 0.01
    done) >"$where" &
    local sampler=$!
    local steal0
    steal0=$(steal1)
    kill -USR1 "$wp"
    wait "$wp" || fail "$label: the workload failed"
    local stolen=$(($(steal1) - steal0))
    wait "$sampler" 2>/dev/null
    stop_load
    P release noise >/dev/null 2>&1
    echo "$label ($ld, $([ "$bind" = 1 ] && echo bound || echo not bound)):"
    $py "$src/tests/agent/guarantee.py" "$tmp/$label.plan.json" \
        "$tmp/$label.out" --label "$label" | tee "$tmp/$label.verdict"
    local rc=${PIPESTATUS[0]}
    echo "  CPU 1 stolen by the host during the run: $((stolen * 10)) ms"
    # the host's steal grew past what the plan counted: placer says so in
    # the status (the guarantee's assumption broke there), and a miss is
    # then reported, not failed; any other miss fails the test
    local broke
    broke=$(P status --json "$name" | $py -c '
import json, sys
p = json.load(sys.stdin)
print(" ".join("%s:%sus" % (s["name"], s["supply_delay_now_us"])
               for s in p["services"] if s.get("supply_delay_now_us")))')
    [ -n "$broke" ] && echo "  placer: the host's steal now exceeds the plan's supply delay ($broke)"
    if [ "$expect" = pass ] && [ "$rc" -ne 0 ] && [ -n "$broke" ]; then
        echo "  KNOWN: the promise did not hold where placer reports its assumption broken"
        grep '^RESULT' "$tmp/$label.verdict" |
            sed "s/ fail\$/ fail(steal grew)/; s/\$/ $ld/" >>"$tmp/results"
        known=$((known + 1))
    else
        grep '^RESULT' "$tmp/$label.verdict" | sed "s/\$/ $ld/" >>"$tmp/results"
    fi
    if [ "$expect" = pass ] && [ "$rc" -ne 0 ] && [ -z "$broke" ]; then
        fail "$label: the promise did not hold"
    elif [ "$expect" = fail ] && [ "$rc" -eq 0 ]; then
        fail "$label: the unbound control met the promise; the check shows nothing"
    fi
    if [ "$bind" = 1 ]; then
        local off
        off=$(grep -vc '^1$' "$where")
        echo "  the bound threads on CPU 1 in $(grep -c '^1$' "$where") samples, elsewhere in $off"
        [ "$off" -eq 0 ] || fail "$label: a thread planned on CPU 1 ran on another CPU"
    fi
    P release "$name" >/dev/null || fail "$label: release"
}

# --- fixed execution times (12 ms of CPU in periods of 25 ms, released
# every 26 ms plus the largest wake-up seen, so that the stage never finds
# a backlog): p = 1 is declined on a measured host
D=$((25000 + w_us + sd_us + 1000))
T="$((26 + wmax_ms + (sd_us + 999) / 1000))ms"
wf fixed1 1.0 period:$T $D 25ms 12ms
out=$(P submit "$tmp/fixed1.json" 2>&1)
rc=$?
echo "$out" | head -3
[ $rc -eq 1 ] || fail "p = 1 on a measured host: exit $rc, want 1 (declined)"
echo "$out" | grep -q "declines to promise" || fail "p = 1: the reason is not given"
# --- fixed execution times at p = 0.99, under the hogs; and the unbound
# control under the same hogs (on the reserved CPU they leave it a third)
wf fixed 0.99 period:$T $D 25ms 12ms
run fixed-hogs fixed hogs 1 pass period:$T 12ms
run control fixed hogs 0 fail period:$T 12ms
if [ -n "${GUARANTEE_FULL:-}" ]; then
    run fixed-idle fixed idle 1 pass period:$T 12ms
    run fixed-noise fixed noise 1 pass period:$T 12ms
fi
# --- a heavy tail planned tight at p = 0.9 (closed arrivals)
D=$((2 * (100000 + w_us + sd_us) + 1000))
wf tail 0.9 closed $D 50ms "4ms:0.96,16ms:0.04" "6ms:0.96,24ms:0.04"
# (idle only with GUARANTEE_FULL=1: the loaded runs are the harder ones,
# and each tail run takes about two minutes of the suite's time)
loads="hogs noise"
[ -n "${GUARANTEE_FULL:-}" ] && loads="idle hogs noise"
for ld in $loads; do
    run "tail-$ld" tail $ld 1 pass closed "4ms:0.96,16ms:0.04" "6ms:0.96,24ms:0.04"
done
# --- a periodic source faster than the worst case (4 ms takes 3 periods
# of 20 ms, the source releases every 35 ms)
wf periodic 0.9 period:35ms $((80000 + w_us + sd_us)) 20ms "1ms:0.9,4ms:0.1"
# (the hardest load only in make test, for the suite's time; every load
# with GUARANTEE_FULL=1, as make bench runs it)
if [ -n "${GUARANTEE_FULL:-}" ]; then
    run periodic-idle periodic idle 1 pass period:35ms "1ms:0.9,4ms:0.1"
    run periodic-hogs periodic hogs 1 pass period:35ms "1ms:0.9,4ms:0.1"
fi
run periodic-noise periodic noise 1 pass period:35ms "1ms:0.9,4ms:0.1"

echo
printf '%-16s %-7s %-9s %-9s %-9s %s\n' scenario load promised measured "upper" verdict
while read -r _ label prom meas up verdict ld; do
    printf '%-16s %-7s %-9s %-9s %-9s %s\n' "$label" "$ld" "$prom" "$meas" "$up" "$verdict"
done <"$tmp/results"
[ $known -eq 0 ] || echo "$known scenario(s) failed where the host's steal grew past the plan's supply delay, as placer reported (not counted)"
finish test_guarantee
