# lib.sh: what the root enforcement tests share (sourced after $bin is
# set): a scratch directory $tmp, placerd's endpoints $ep and $aep, and
# pids, the processes kill_all ends.
tmp=$(mktemp -d)
pids=()
ep="ipc://$tmp/placerd.sock"
aep="ipc://$tmp/agents.sock"
py=/usr/bin/python3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
P() { "$bin/placer" --server "$ep" "$@"; }
# start_placerd AGENTS_ENDPOINT: placerd on $tmp/placer.db, log appended
# to $tmp/placerd.log; $placerd is its pid
start_placerd() {
    "$bin/placerd" --db "$tmp/placer.db" --listen "$ep" --agents-listen "$1" \
        --insecure-agents --insecure-clients --log-level debug 2>>"$tmp/placerd.log" &
    placerd=$!
    pids+=($placerd)
    for _ in $(seq 50); do [ -S "${ep#ipc://}" ] && break; sleep 0.1; done
}
# state NAME -> the workflow's lifecycle state
state() { P status --json "$1" 2>/dev/null | $py -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
wait_state() { # wait_state NAME STATE SECONDS
    local end=$((SECONDS + $3)) s
    while [ $SECONDS -le $end ]; do
        s=$(state "$1")
        [ "$s" = "$2" ] && return 0
        sleep 0.1
    done
    echo "  (state of $1: '$s', want $2)"
    return 1
}
# kill_all: every process in pids, and wait for them
kill_all() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
}
# finish NAME: the verdict, with the logs when something failed
finish() {
    if [ $fails -ne 0 ]; then
        for l in "$tmp"/*.log; do echo "--- $(basename "$l") (tail)"; tail -20 "$l"; done
        echo "$fails failure(s)"
        exit 1
    fi
    echo "$1: all passed"
}
