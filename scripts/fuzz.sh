#!/usr/bin/env bash
# Run a fuzzer for SECONDS, seeded with every example and malformed test
# file (fuzz_load) or every topology file (fuzz_import, a format byte in
# front), or a trace and an SWF log (fuzz_sim, likewise); fail on any
# crash, leak or sanitizer report.
#   fuzz.sh FUZZER SECONDS
set -euo pipefail
fuzzer=$1
seconds=$2
top=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$fuzzer")
work=$(dirname "$fuzzer")/../fuzz-run/$name
mkdir -p "$work/corpus" "$work/artifacts"
dict=()
maxlen=16384
if [ "$name" = fuzz_import ]; then
    maxlen=131072
    for f in "$top"/tests/data/topologies/zoo/*.graphml; do
        { printf '\001'; cat "$f"; } >"$work/corpus/$(basename "$f")"
    done
    for f in "$top"/tests/data/topologies/sndlib/*.txt; do
        { printf '\000'; cat "$f"; } >"$work/corpus/$(basename "$f")"
    done
elif [ "$name" = fuzz_request ]; then
    # the example clusters and workflows as client frames
    "$(dirname "$fuzzer")/seed_request" "$work/corpus" "$top"/examples/*.json
    maxlen=65536
elif [ "$name" = fuzz_sim ]; then
    # a trace (0) and the SWF sample (1), a format byte in front
    { printf '\000'; printf '%s\n' '{"t": "1s", "op": "submit", "workflow": "w", "name": "c1", "hold": "5s"}' \
        '{"t": "2s", "op": "host_down", "host": "a"}' '{"t": "3s", "op": "release", "name": "c1"}'; } \
        >"$work/corpus/trace.jsonl"
    { printf '\001'; cat "$top/tests/data/swf/sample.swf"; } >"$work/corpus/sample.swf"
    dict=(-dict="$top/fuzz/json.dict")
elif [ "$name" = fuzz_http ]; then
    # requests in fuzz_http's text form: the examples as bodies, and the
    # other routes
    for f in "$top"/examples/*.json; do
        b=$(basename "$f" .json)
        { printf 'POST /v1/workflows\n\n'; cat "$f"; } >"$work/corpus/submit-$b"
        { printf 'POST /v1/plans?objective=cost&time_limit=50ms\n\n'; cat "$f"; } \
            >"$work/corpus/plan-$b"
    done
    { printf 'PUT /v1/cluster?force=true\n\n'; cat "$top/examples/fat-tree-k4.json"; } \
        >"$work/corpus/apply"
    printf 'GET /v1/hosts\n\n' >"$work/corpus/hosts"
    printf 'GET /v1/workflows?tenant=acme\n\n' >"$work/corpus/list"
    printf 'DELETE /v1/workflows/acme/vepc-attach\nIf-Match: *\n\n' >"$work/corpus/delete"
    printf 'POST /v1/workflows/acme/vepc-attach/bindings\n\n{"service": "hss", "pid": 1}' \
        >"$work/corpus/bind"
    dict=(-dict="$top/fuzz/json.dict")
    maxlen=65536
elif [ "$name" = fuzz_agent ]; then
    # frames from placerd and a journal
    "$(dirname "$fuzzer")/seed_agent" "$work/corpus"
    maxlen=8192
else
    cp "$top"/examples/*.json "$top"/tests/data/bad/*.json "$work/corpus/"
    dict=(-dict="$top/fuzz/json.dict")
fi
# inputs that once crashed a target run first, every time
if [ -d "$top/fuzz/regress/$name" ]; then
    cp "$top/fuzz/regress/$name"/* "$work/corpus/"
fi
echo "fuzzing $name for ${seconds}s (corpus: $work/corpus)"
set +e
"$fuzzer" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 \
    "${dict[@]}" -artifact_prefix="$work/artifacts/" \
    -print_final_stats=1 "$work/corpus" 2>"$work/log"
rc=$?
set -e
grep -E "^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$work/log" || true
if [ $rc -ne 0 ] || ls "$work/artifacts"/* >/dev/null 2>&1; then
    tail -40 "$work/log"
    echo "fuzz: FAILED (exit $rc); artifacts in $work/artifacts"
    exit 1
fi
echo "fuzz: no crash, leak or sanitizer report"
