#!/usr/bin/env bash
# Run the loader fuzzer for SECONDS, seeded with every example and every
# malformed test file; fail on any crash, leak or sanitizer report.
#   fuzz.sh FUZZER SECONDS
set -euo pipefail
fuzzer=$1
seconds=$2
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(dirname "$fuzzer")/../fuzz-run
mkdir -p "$work/corpus" "$work/artifacts"
cp "$top"/examples/*.json "$top"/tests/data/bad/*.json "$work/corpus/"
echo "fuzzing the JSON loader for ${seconds}s (corpus: $work/corpus)"
set +e
"$fuzzer" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
    -dict="$top/fuzz/json.dict" -artifact_prefix="$work/artifacts/" \
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
