#!/usr/bin/env bash
# run-bench.sh - weft side by side with HAProxy, nghttpx and nginx in ONE run of the shared
# harness (../shared/bench/bench.sh), weft taken in through --proxy as a loopback reverse proxy
# (WEFT_PROXY_INBOUND_ORIG_DST_ADDR stands in for iptables' SO_ORIGINAL_DST).
#
#   bench/run-bench.sh                       # all scenarios weft supports, 3 repetitions
#   bench/run-bench.sh --scenarios tcp --tcp-streams 8 --reps 5
# Extra arguments go to bench.sh unchanged. Results: /tmp/bench-results/latest/summary.md
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness=${WEFT_BENCH_HARNESS:-$here/../shared/bench/bench.sh}
[[ -x $harness || -f $harness ]] || { echo "run-bench.sh: no harness at $harness" >&2; exit 1; }
bin=${WEFT_PROXY_BIN:-$here/build/bin/weft-proxy}
[[ -x $bin ]] || { echo "run-bench.sh: build first (make build): $bin missing" >&2; exit 1; }

# The protocols weft serves: HTTP/1.1, h2c and opaque TCP.
protos=${WEFT_BENCH_PROTOS:-h1,h2,tcp}
spec="weft@${protos}=env WEFT_PROXY_INBOUND_LISTEN_ADDR={HOST}:{LISTEN}"
spec+=" WEFT_PROXY_INBOUND_ORIG_DST_ADDR={HOST}:{UPSTREAM}"
spec+=" WEFT_PROXY_OUTBOUND_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_ADMIN_LISTEN_ADDR=127.0.0.1:0"
spec+=" WEFT_PROXY_LOG=warn WEFT_PROXY_CORES=1 $bin"

exec bash "$harness" --proxy "$spec" "$@"
