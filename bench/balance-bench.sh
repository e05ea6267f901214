#!/usr/bin/env bash
# balance-bench.sh - the HTTP figures of the L7 benchmark with balancing over three endpoints:
# weft (peak-EWMA P2C over a service from its destination file) against HAProxy (roundrobin over
# the same three), in one run, on loopback. One nginx serves the three endpoints (127.0.0.2-4,
# HTTP/1.1 on :18280 and h2c on :18281), pinned with the load generator to CPU 0; the proxy
# under test runs alone on CPU 1. Proxy CPU per request comes from /proc/PID/stat around each
# timed run, as ../shared/bench does.
#
#   bench/balance-bench.sh [REPS] [SECONDS]      (default 3 reps, 10 s)
# Results: a table on stdout, raw tool output in $OUT (default /tmp/balance-bench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${WEFT_PROXY_BIN:-$here/build/bin/weft-proxy}
reps=${1:-3} secs=${2:-10}
out=${OUT:-/tmp/balance-bench}
rm -rf "$out" && mkdir -p "$out/tmp"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# The three endpoints.
cat >"$out/nginx.conf" <<NGINX
worker_processes 1; daemon off; pid $out/nginx.pid; error_log $out/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_timeout 120s; keepalive_requests 10000000;
  client_body_temp_path $out/tmp; proxy_temp_path $out/tmp; fastcgi_temp_path $out/tmp;
  uwsgi_temp_path $out/tmp; scgi_temp_path $out/tmp;
  server { listen 127.0.0.2:18280; listen 127.0.0.3:18280; listen 127.0.0.4:18280;
           location / { return 200 "ok\n"; } }
  server { listen 127.0.0.2:18281 http2; listen 127.0.0.3:18281 http2; listen 127.0.0.4:18281 http2;
           location / { return 200 "ok\n"; } }
}
NGINX
taskset -c 0 nginx -p "$out" -c "$out/nginx.conf" >"$out/nginx.log" 2>&1 & pids+=($!)

# weft: a service per protocol at a virtual address over the three endpoints.
cat >"$out/destinations.yaml" <<YAML
services:
  - name: h1.bench.svc.cluster.local
    addresses: ["127.0.0.99:80"]
    endpoints: [{addr: "127.0.0.2:18280"}, {addr: "127.0.0.3:18280"}, {addr: "127.0.0.4:18280"}]
  - name: h2.bench.svc.cluster.local
    addresses: ["127.0.0.99:81"]
    endpoints: [{addr: "127.0.0.2:18281"}, {addr: "127.0.0.3:18281"}, {addr: "127.0.0.4:18281"}]
YAML
haproxy_cfg() {  # haproxy_cfg h1|h2 PORT BACKEND_PORT
  local proto=""
  [[ $1 == h2 ]] && proto=" proto h2"
  cat <<HAP
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$2$proto
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.2:$3$proto
  server s2 127.0.0.3:$3$proto
  server s3 127.0.0.4:$3$proto
HAP
}
start_proxy() {  # start_proxy NAME PROTO PORT -> PROXY_PID
  local name=$1 proto=$2 port=$3 vip_port=80 be=18280
  [[ $proto == h2 ]] && vip_port=81 be=18281
  if [[ $name == weft ]]; then
    taskset -c 1 env WEFT_PROXY_OUTBOUND_LISTEN_ADDR=127.0.0.1:$port WEFT_PROXY_INBOUND_LISTEN_ADDR=127.0.0.1:0 \
      WEFT_PROXY_ADMIN_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR=127.0.0.99:$vip_port \
      WEFT_PROXY_DESTINATIONS=$out/destinations.yaml WEFT_PROXY_LOG=warn WEFT_PROXY_CORES=1 "$bin" \
      >"$out/weft-$proto.log" 2>&1 &
  else
    haproxy_cfg "$proto" "$port" "$be" >"$out/haproxy-$proto.cfg"
    taskset -c 1 haproxy -f "$out/haproxy-$proto.cfg" >"$out/haproxy-$proto.log" 2>&1 &
  fi
  PROXY_PID=$!
  pids+=("$PROXY_PID")
  local flags=()
  [[ $proto == h2 ]] && flags=(--http2-prior-knowledge)
  for _ in $(seq 100); do
    curl -fs "${flags[@]}" -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return
    sleep 0.05
  done
  echo "balance-bench: $name ($proto) did not answer" >&2; exit 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

run() {  # run NAME PROTO REP -> a result line
  local name=$1 proto=$2 rep=$3 port=18290 t0 t1 reqs rps
  start_proxy "$name" "$proto" "$port"
  t0=$(cpu_ticks "$PROXY_PID")
  if [[ $proto == h1 ]]; then
    taskset -c 0 wrk -t1 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/" >"$out/$name-$proto-$rep.txt"
    reqs=$(awk '/requests in/ { print $1 }' "$out/$name-$proto-$rep.txt")
    rps=$(awk '/Requests\/sec/ { print $2 }' "$out/$name-$proto-$rep.txt")
  else
    taskset -c 0 h2load -t1 -c8 -m16 -n300000 "http://127.0.0.1:$port/" >"$out/$name-$proto-$rep.txt"
    reqs=$(awk '/^requests:/ { print $4 }' "$out/$name-$proto-$rep.txt")
    rps=$(awk '/^finished in/ { print $4 }' "$out/$name-$proto-$rep.txt")
  fi
  t1=$(cpu_ticks "$PROXY_PID")
  kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
  awk -v n="$name" -v p="$proto" -v r="$rep" -v q="$reqs" -v s="$rps" -v c=$((t1 - t0)) \
    'BEGIN { printf "%s %s %s %s %.0f %.2f\n", p, n, r, q, s, c * 10000 / q }'
}

for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.2:18280/ && break; sleep 0.05; done
echo "proto proxy rep requests req/s cpu_us_per_req" | tee "$out/results.txt"
for rep in $(seq "$reps"); do
  order=(weft haproxy); ((rep % 2 == 0)) && order=(haproxy weft)
  for proto in h1 h2; do
    for name in "${order[@]}"; do run "$name" "$proto" "$rep" | tee -a "$out/results.txt"; done
  done
done
echo "medians (proto proxy req/s cpu_us_per_req):"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for proto in h1 h2; do
  for name in weft haproxy; do
    rows=$(awk -v p="$proto" -v n="$name" '$1 == p && $2 == n' "$out/results.txt")
    echo "  $proto $name $(cut -d' ' -f5 <<<"$rows" | median) $(cut -d' ' -f6 <<<"$rows" | median)"
  done
done
