#!/usr/bin/env bash
# mtls-bench.sh - the mTLS figures, side by side in one run on loopback (issue 5):
#   handshakes  full (and resumed) TLS 1.3 mTLS handshakes per second against one inbound proxy:
#               weft (terminating for its server name) and HAProxy (bind ... ssl verify required)
#               with the same certificates, each followed by one HTTP/1.1 request. Reported per
#               proxy CPU second (/proc/PID/stat), beside the bound `openssl speed` gives for the
#               server's share of the work (1 ECDSA P-256 sign, 2 verifies, 1 X25519 key pair and
#               derivation).
#   bulk        iperf3 through a client proxy and a server proxy (mTLS between them): weft
#               plaintext pair, weft mTLS pair, HAProxy mTLS pair, and direct; beside
#               `openssl speed -evp aes-128-gcm`.
#   latency     h2load --h1 at 1,000 req/s through the same pairs: p50 and p99.
# Proxies run on CPU 1 (one worker / nbthread 1 each), load generators and backends on CPU 0.
#
#   bench/mtls-bench.sh [REPS] [SECONDS]      (default 3 reps, 10 s)
# Results: tables on stdout, raw output in $OUT (default /tmp/mtls-bench).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bindir=${WEFT_BIN_DIR:-$here/build/bin}
reps=${1:-3} secs=${2:-10}
out=${OUT:-/tmp/mtls-bench}
rm -rf "$out" && mkdir -p "$out/tmp"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

backend_http=18380 backend_tcp=18382 client_port=18390 server_port=18391
td=cluster.local
server_id="spiffe://$td/ns/bench/sa/server"
server_name="server.bench.serviceaccount.identity.$td"

# --- certificates, made by weft identity (the same files for weft and HAProxy) ----------------
pki=$out/pki
"$bindir/weft" identity trust-anchor --dir "$pki/anchor" --trust-domain "$td" >/dev/null
"$bindir/weft" identity issuer --ca-dir "$pki/anchor" --dir "$pki/issuer" >/dev/null
for sa in client server; do
  "$bindir/weft" identity issue --issuer-dir "$pki/issuer" --id "spiffe://$td/ns/bench/sa/$sa" \
    --dir "$pki/$sa" --lifetime 24h >/dev/null
  cat "$pki/$sa/tls.crt" "$pki/$sa/tls.key" >"$pki/$sa/haproxy.pem"
done

# --- backends ---------------------------------------------------------------------------------
cat >"$out/nginx.conf" <<NGINX
worker_processes 1; daemon off; pid $out/nginx.pid; error_log $out/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_timeout 120s; keepalive_requests 10000000;
  client_body_temp_path $out/tmp; proxy_temp_path $out/tmp; fastcgi_temp_path $out/tmp;
  uwsgi_temp_path $out/tmp; scgi_temp_path $out/tmp;
  server { listen 127.0.0.1:$backend_http; location / { return 200 "ok\n"; } }
}
NGINX
taskset -c 0 nginx -p "$out" -c "$out/nginx.conf" >"$out/nginx.log" 2>&1 & pids+=($!)
taskset -c 0 iperf3 -s -B 127.0.0.1 -p "$backend_tcp" >"$out/iperf3-server.log" 2>&1 & pids+=($!)

# --- proxies ------------------------------------------------------------------------------------
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    sleep 0.05
  done
  echo "mtls-bench: nothing listens on $1" >&2; exit 1
}
started=()
start() {  # start NAME LOG CMD... ; the PID lands in started[]
  local name=$1 log=$2; shift 2
  taskset -c 1 "$@" >"$log" 2>&1 &
  pids+=($!); started+=($!)
}
stop_started() { for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; started=(); }

weft_server() {  # weft_server mtls|plain BACKEND_PORT
  local identity=()
  [[ $1 == mtls ]] && identity=(WEFT_PROXY_IDENTITY_DIR="$pki/server")
  start weft-server "$out/weft-server.log" env "${identity[@]}" \
    WEFT_PROXY_INBOUND_LISTEN_ADDR=127.0.0.1:$server_port WEFT_PROXY_OUTBOUND_LISTEN_ADDR=127.0.0.1:0 \
    WEFT_PROXY_ADMIN_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_INBOUND_ORIG_DST_ADDR=127.0.0.1:$2 \
    WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION=$backend_tcp \
    WEFT_PROXY_LOG=warn WEFT_PROXY_CORES=1 "$bindir/weft-proxy"
  SERVER_PID=${started[-1]}
}
weft_client() {  # weft_client mtls|plain BACKEND_PORT
  local identity=() ep="{addr: \"127.0.0.1:$server_port\"}" opaque=false
  if [[ $1 == mtls ]]; then
    identity=(WEFT_PROXY_IDENTITY_DIR="$pki/client")
    ep="{addr: \"127.0.0.1:$server_port\", identity: \"$server_id\"}"
  fi
  [[ $2 == "$backend_tcp" ]] && opaque=true
  cat >"$out/destinations.yaml" <<YAML
services:
  - name: server.bench.svc.cluster.local
    addresses: ["127.0.0.1:$server_port"]
    opaque: $opaque
    endpoints: [$ep]
YAML
  start weft-client "$out/weft-client.log" env "${identity[@]}" \
    WEFT_PROXY_OUTBOUND_LISTEN_ADDR=127.0.0.1:$client_port WEFT_PROXY_INBOUND_LISTEN_ADDR=127.0.0.1:0 \
    WEFT_PROXY_ADMIN_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_OUTBOUND_ORIG_DST_ADDR=127.0.0.1:$server_port \
    WEFT_PROXY_DESTINATIONS="$out/destinations.yaml" WEFT_PROXY_LOG=warn WEFT_PROXY_CORES=1 \
    "$bindir/weft-proxy"
}
haproxy_server() {  # haproxy_server BACKEND_PORT http|tcp
  cat >"$out/haproxy-server.cfg" <<HAP
global
  nbthread 1
  maxconn 8192
  ssl-default-bind-options ssl-min-ver TLSv1.3
defaults
  mode $2
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$server_port ssl crt $pki/server/haproxy.pem ca-file $pki/server/ca.crt verify required
  default_backend be
backend be
  server s1 127.0.0.1:$1
HAP
  start haproxy-server "$out/haproxy-server.log" haproxy -f "$out/haproxy-server.cfg"
  SERVER_PID=${started[-1]}
}
haproxy_client() {  # haproxy_client http|tcp
  cat >"$out/haproxy-client.cfg" <<HAP
global
  nbthread 1
  maxconn 8192
  ssl-default-server-options ssl-min-ver TLSv1.3
defaults
  mode $1
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$client_port
  default_backend be
backend be
  server s1 127.0.0.1:$server_port ssl crt $pki/client/haproxy.pem ca-file $pki/client/ca.crt verify required sni str($server_name) verifyhost none
HAP
  start haproxy-client "$out/haproxy-client.log" haproxy -f "$out/haproxy-client.cfg"
}
pair() {  # pair weft-plain|weft-mtls|haproxy-mtls BACKEND_PORT
  local mode=$2 kind=http
  [[ $2 == "$backend_tcp" ]] && kind=tcp
  case $1 in
    weft-plain) weft_server plain "$2"; weft_client plain "$2" ;;
    weft-mtls) weft_server mtls "$2"; weft_client mtls "$2" ;;
    haproxy-mtls) haproxy_server "$2" "$kind"; haproxy_client "$kind" ;;
  esac
  wait_port "$server_port"; wait_port "$client_port"
}

# --- openssl speed: the bounds ------------------------------------------------------------------
taskset -c 1 openssl speed -seconds 3 ecdsap256 ecdhx25519 >"$out/speed-pk.txt" 2>/dev/null
taskset -c 1 openssl speed -seconds 3 -evp aes-128-gcm >"$out/speed-aes.txt" 2>/dev/null
sign=$(awk '/256 bits ecdsa \(nistp256\)/ { print $(NF-1) }' "$out/speed-pk.txt")
verify=$(awk '/256 bits ecdsa \(nistp256\)/ { print $NF }' "$out/speed-pk.txt")
ecdh=$(awk '/253 bits ecdh \(X25519\)/ { print $NF }' "$out/speed-pk.txt")
aes=$(awk '/^AES-128-GCM/ { v = $NF; sub(/k$/, "", v); print v * 1000 * 8 / 1e9 }' "$out/speed-aes.txt")
# The server's share of a full mTLS handshake: one signature, two verifications (leaf and
# issuer; the anchor is trusted), one X25519 key pair and one derivation (~2 X25519 ops).
bound=$(awk -v s="$sign" -v v="$verify" -v e="$ecdh" 'BEGIN { printf "%.0f", 1 / (1/s + 2/v + 2/e) }')
echo "openssl speed (CPU 1): ecdsa p256 sign/s $sign verify/s $verify, x25519 op/s $ecdh," \
  "aes-128-gcm 16 KiB ${aes} Gbit/s; handshake bound ${bound}/s" | tee "$out/bounds.txt"

# --- handshakes ---------------------------------------------------------------------------------
hs_run() {  # hs_run weft|haproxy full|resumed REP
  local resume=()
  [[ $2 == resumed ]] && resume=(--resume)
  if [[ $1 == weft ]]; then weft_server mtls "$backend_http"; else haproxy_server "$backend_http" http; fi
  wait_port "$server_port"
  local t0 t1 json
  t0=$(cpu_ticks "$SERVER_PID")
  json=$(taskset -c 0 "$bindir/weft-tls-handshakes" --connect 127.0.0.1:$server_port --sni "$server_name" \
    --cert "$pki/client/tls.crt" --key "$pki/client/tls.key" --ca "$pki/client/ca.crt" \
    --seconds "$secs" --threads 2 "${resume[@]}")
  t1=$(cpu_ticks "$SERVER_PID")
  stop_started
  echo "$json" >"$out/hs-$1-$2-$3.json"
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); c=int(sys.argv[2])/100
print("%s %s %s %d %.0f %d %.2f %.0f" % (sys.argv[3], sys.argv[4], sys.argv[5], j["handshakes"], j["rate"], j["failed"], c, j["handshakes"]/c if c else 0))' \
    "$json" $((t1 - t0)) "$1" "$2" "$3"
}

# --- bulk ---------------------------------------------------------------------------------------
bulk_run() {  # bulk_run direct|weft-plain|weft-mtls|haproxy-mtls REP
  local port=$client_port
  if [[ $1 == direct ]]; then port=$backend_tcp; else pair "$1" "$backend_tcp"; fi
  taskset -c 0 iperf3 -c 127.0.0.1 -p "$port" -t "$secs" -P 1 -J >"$out/bulk-$1-$2.json"
  stop_started
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
print("%s %s %.2f" % (sys.argv[2], sys.argv[3], j["end"]["sum_received"]["bits_per_second"]/1e9))' \
    "$out/bulk-$1-$2.json" "$1" "$2"
}

# --- latency at a fixed rate ----------------------------------------------------------------------
lat_run() {  # lat_run direct|weft-plain|weft-mtls|haproxy-mtls REP
  local port=$client_port
  if [[ $1 == direct ]]; then port=$backend_http; else pair "$1" "$backend_http"; fi
  taskset -c 0 h2load --h1 -t1 -c10 --rps 100 -D "$secs" --log-file "$out/lat-$1-$2.log" \
    "http://127.0.0.1:$port/" >"$out/lat-$1-$2.txt"
  stop_started
  python3 -c 'import sys
v = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
q = lambda p: v[min(len(v) - 1, int(p * len(v)))] / 1000
print("%s %s %d %.3f %.3f" % (sys.argv[2], sys.argv[3], len(v), q(0.5), q(0.99)))' \
    "$out/lat-$1-$2.log" "$1" "$2"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "proxy kind rep handshakes rate failed proxy_cpu_s per_cpu_second" | tee "$out/handshakes.txt"
for rep in $(seq "$reps"); do
  for kind in full resumed; do
    for name in weft haproxy; do hs_run "$name" "$kind" "$rep" | tee -a "$out/handshakes.txt"; done
  done
done
echo "setup rep gbit_s" | tee "$out/bulk.txt"
for rep in $(seq "$reps"); do
  for name in direct weft-plain weft-mtls haproxy-mtls; do bulk_run "$name" "$rep" | tee -a "$out/bulk.txt"; done
done
echo "setup rep requests p50_ms p99_ms" | tee "$out/latency.txt"
for rep in $(seq "$reps"); do
  for name in direct weft-plain weft-mtls haproxy-mtls; do lat_run "$name" "$rep" | tee -a "$out/latency.txt"; done
done

echo; echo "medians:"
for kind in full resumed; do
  for name in weft haproxy; do
    rows=$(awk -v k="$kind" -v n="$name" '$1 == n && $2 == k' "$out/handshakes.txt")
    echo "  handshakes $kind $name: $(cut -d' ' -f5 <<<"$rows" | median)/s," \
      "$(cut -d' ' -f8 <<<"$rows" | median) per proxy CPU second (bound $bound)"
  done
done
for name in direct weft-plain weft-mtls haproxy-mtls; do
  echo "  bulk $name: $(awk -v n="$name" '$1 == n { print $3 }' "$out/bulk.txt" | median) Gbit/s (aes-128-gcm $aes)"
done
for name in direct weft-plain weft-mtls haproxy-mtls; do
  rows=$(awk -v n="$name" '$1 == n' "$out/latency.txt")
  echo "  latency $name: p50 $(cut -d' ' -f4 <<<"$rows" | median) ms, p99 $(cut -d' ' -f5 <<<"$rows" | median) ms"
done
