#!/bin/sh
# The whole lifecycle of a workflow through placerd's HTTP API, with curl.
#
#   placerd --db /tmp/placer.db --http 127.0.0.1:7480 &
#   export PLACER_TOKEN=$(placerd --db /tmp/placer.db token create --admin)
#   examples/http-walkthrough.sh [BASE_URL]
#
# BASE_URL defaults to http://127.0.0.1:7480.  Each step prints the
# request, the status line and the answer (docs/http.md).
set -eu
base=${1:-http://127.0.0.1:7480}
dir=$(cd "$(dirname "$0")" && pwd)
: "${PLACER_TOKEN:?set PLACER_TOKEN to a token: placerd --db FILE token create --admin}"
auth="Authorization: Bearer $PLACER_TOKEN"

step() {
    echo
    echo "\$ curl -X $1 $base$2${3:+ --data-binary @$3}${4:+ -H '$4'} -H 'Authorization: Bearer ...'"
    # -i: the status line and headers; the body follows them
    curl -sS -i -X "$1" ${3:+--data-binary "@$3"} ${4:+-H "$4"} -H "$auth" \
        "$base$2" | grep -v -i -E '^(date|content-length):'
    echo
}

step GET /readyz                                  # 503 until a cluster exists
step PUT /v1/cluster "$dir/fat-tree-k4.json"      # apply the cluster
step GET /readyz                                  # 200
step POST '/v1/plans?time_limit=1s' "$dir/vepc-attach.json"   # dry run
step POST /v1/workflows "$dir/vepc-attach.json"   # 201 + Location
step GET /v1/workflows                            # the list
etag=$(curl -sS -D - -o /dev/null -H "$auth" "$base/v1/workflows/acme/vepc-attach" |
    tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
step GET /v1/workflows/acme/vepc-attach           # status with an ETag
step DELETE /v1/workflows/acme/vepc-attach '' 'If-Match: "0000000000000000"'   # 412
step DELETE /v1/workflows/acme/vepc-attach '' "If-Match: $etag"  # released
step GET /v1/workflows/acme/vepc-attach           # 404 now
