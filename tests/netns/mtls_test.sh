#!/usr/bin/env bash
# mtls_test.sh: automatic mTLS between two meshed pods, seen on the wire. Pod "client" (workload
# spiffe://cluster.local/ns/shop/sa/frontend) calls pod "server" (ns/payments/sa/ledger) by pod IP
# over HTTP/1.1 (curl, to tests/support/h1_server.py) and gRPC (grpc_tool.py), through both
# proxies, with a random marker string in a request header and in the bodies. tcpdump on the
# node's bridge records every packet between the two pods.
#
#  1. Mesh TLS off (no identity on either side; the client's destination file lists the server's
#     endpoints without `identity`): the calls work, and the marker IS in the capture, which
#     proves that the capture sees the payload. Metrics say tls="no_identity".
#  2. Identities from `weft identity` on both sides, and the server's identity on its endpoints in
#     the client's destination file: the calls work, the marker is ABSENT from the capture while
#     the server's TLS server name is in it (the ClientHello's SNI travels in clear), the server's
#     apps see `weft-client-id: <client's SPIFFE ID>` (and not the one the client tried to send),
#     and both proxies label the traffic with the peer's identity: client_id= on the server's
#     inbound series, server_id= on the client's outbound series.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly HTTP_PORT=8080 GRPC_PORT=9090
readonly H1_SERVER=$PODS_REPO_DIR/tests/support/h1_server.py
readonly GRPC_TOOL=$PODS_LIB_DIR/grpc_tool.py
# A client may not claim an identity by sending the header itself: the server's proxy removes it.
readonly FORGED_ID=spiffe://cluster.local/ns/evil/sa/mallory

setup() {
  command -v tcpdump >/dev/null || pods_skip "'tcpdump' not found (scripts/install-deps.sh installs it)"
  "$PODS_PYTHON" -c 'import grpc' 2>/dev/null || pods_skip "python3-grpcio not installed ($PODS_PYTHON -c 'import grpc')"
  pods_init
  pod_add client "$PODS_SUBNET.2"
  pod_add server "$PODS_SUBNET.3"
  pod_init_iptables client
  pod_init_iptables server
  pod_identity client shop frontend
  pod_identity server payments ledger
  CLIENT_IP=$(pod_ip client)
  SERVER_IP=$(pod_ip server)
  CLIENT_ID=$(pod_identity_id client)
  SERVER_ID=$(pod_identity_id server)
  SERVER_SNI=$(pod_server_name server)
  expect_eq "$SERVER_SNI" ledger.payments.serviceaccount.identity.cluster.local "the server's TLS server name"

  pod_bg server http.log "$PODS_PYTHON" "$H1_SERVER" 0.0.0.0 "$HTTP_PORT"
  pod_bg server grpc.log "$PODS_PYTHON" "$GRPC_TOOL" server 0.0.0.0 "$GRPC_PORT"
  pod_wait_listen server "$HTTP_PORT"
  pod_wait_listen server "$GRPC_PORT"
}

# write_destinations [IDENTITY]: the client's destination file. Each of the server's two ports is a
# service whose address is the pod's own address (as the destination service answers for a pod
# IP), with one endpoint; with IDENTITY, the endpoints are meshed.
write_destinations() {
  local identity=${1:-} file=$PODS_DIR/destinations.yaml port
  {
    echo "services:"
    for port in "$HTTP_PORT" "$GRPC_PORT"; do
      echo "  - name: ledger-$port.payments.svc.cluster.local"
      echo "    addresses: [\"$SERVER_IP:$port\"]"
      echo "    endpoints:"
      echo "      - addr: \"$SERVER_IP:$port\""
      [[ -z $identity ]] || echo "        identity: \"$identity\""
      echo "        labels: {namespace: payments, pod: server}"
    done
  } >"$file.tmp"
  chmod 644 "$file.tmp"
  mv "$file.tmp" "$file"
}

# ---- the capture ------------------------------------------------------------------------------

# capture_start NAME: tcpdump on the node's bridge, every packet between the two pods, written to
# $PODS_DIR/NAME.pcap packet by packet; returns once tcpdump is listening.
capture_start() {
  CAPTURE_FILE=$PODS_DIR/$1.pcap
  CAPTURE_LOG=$PODS_DIR/$1-tcpdump.log
  # -Z root: Debian's tcpdump would otherwise drop to user tcpdump before opening the file.
  node_bg "$CAPTURE_LOG" tcpdump -i br0 -nn -s 0 -U --immediate-mode -Z root -w "$CAPTURE_FILE" \
    "host $CLIENT_IP and host $SERVER_IP"
  CAPTURE_PID=$POD_BG_PID
  wait_for grep -q 'listening on' "$CAPTURE_LOG" ||
    pods_fail "tcpdump did not start on the bridge: $(cat "$CAPTURE_LOG")"
  pods_log "capture: tcpdump (pid $CAPTURE_PID) on br0 in $PODS_NODE_NS -> $CAPTURE_FILE"
}

# capture_stop: sends a last UDP datagram from the client to the server (no rule redirects UDP)
# and waits until the capture holds it, so every packet of the calls before it is in the file too;
# then stops tcpdump by its PID and checks that the kernel dropped nothing.
capture_stop() {
  local end
  end="weft-capture-end-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  pod_exec client bash -c "printf '%s' '$end' >/dev/udp/$SERVER_IP/9" || pods_fail "cannot send the end datagram"
  wait_for grep -a -q -F "$end" "$CAPTURE_FILE" || pods_fail "the capture never saw the end datagram"
  kill -INT "$CAPTURE_PID"
  pod_wait_pid "$CAPTURE_PID" || pods_fail "tcpdump failed: $(cat "$CAPTURE_LOG")"
  grep -q '^0 packets dropped by kernel' "$CAPTURE_LOG" ||
    pods_fail "tcpdump lost packets, so the capture proves nothing: $(cat "$CAPTURE_LOG")"
  pods_log "capture: $(grep 'packets captured' "$CAPTURE_LOG")"
}

# capture_count TEXT [FILTER]: the packets of the capture (those matching the pcap FILTER, if given)
# that contain TEXT byte for byte.
capture_count() {
  local filter=${2:-}
  if [[ -n $filter ]]; then
    tcpdump -r "$CAPTURE_FILE" -w - "$filter" 2>/dev/null | grep -a -c -F "$1" || true
  else
    grep -a -c -F "$1" "$CAPTURE_FILE" || true
  fi
}

# ---- the calls --------------------------------------------------------------------------------

# calls: one HTTP GET (marker in a header; h1_server's /headers echoes the request's header
# lines), one HTTP POST (marker in the body; /sha256 answers its length and digest) and one gRPC
# call (marker as the payload, echoed back), all from the client pod to the server's pod IP. The
# GET also carries a forged weft-client-id. Sets HEADERS_SEEN to the header lines the server's
# HTTP app received, and GRPC_LOG_FROM to the first line of this round in grpc.log.
calls() {
  local out body=$PODS_DIR/body.txt expected
  HEADERS_SEEN=$(pod_exec client curl -fsS --max-time 10 -H "x-weft-marker: $MARKER" \
    -H "weft-client-id: $FORGED_ID" "http://$SERVER_IP:$HTTP_PORT/headers") ||
    pods_fail "GET /headers through both proxies failed"
  grep -qix "x-weft-marker: $MARKER" <<<"$HEADERS_SEEN" ||
    pods_fail "the server's app did not get the marker header: $HEADERS_SEEN"

  { printf 'vote=%s\n' "$MARKER"; head -c 3000 /dev/urandom | od -An -tx1; } >"$body"
  expected="$(stat -c %s "$body") $(sha256sum "$body" | cut -d' ' -f1)"
  out=$(pod_exec client curl -fsS --max-time 10 --data-binary "@$body" "http://$SERVER_IP:$HTTP_PORT/sha256") ||
    pods_fail "POST /sha256 through both proxies failed"
  expect_eq "$out" "$expected" "POST body (with the marker) reached the server's app intact"

  GRPC_LOG_FROM=$(($(wc -l <"$PODS_DIR/grpc.log") + 1))
  out=$(pod_exec client "$PODS_PYTHON" "$GRPC_TOOL" client "$SERVER_IP:$GRPC_PORT" OK --payload "$MARKER") ||
    pods_fail "gRPC call through both proxies failed: $out"
  expect_eq "$out" "status=OK reply=$MARKER" "gRPC call with the marker as payload"
}

# The weft-client-id values the apps saw in this round: HTTP header lines, then gRPC metadata.
client_ids_seen() {
  grep -i '^weft-client-id:' <<<"$HEADERS_SEEN" | sed 's/^[^:]*: */http=/' || true
  tail -n +"$GRPC_LOG_FROM" "$PODS_DIR/grpc.log" | grep -o 'weft-client-id=[^ ]*' | sed 's/^weft-client-id=/grpc=/' || true
}

# no_mtls_series POD: the proxy labels nothing tls="true".
no_mtls_series() {
  local found
  found=$(pod_metrics "$1" | grep -v '^#' | grep 'tls="true"' || true)
  [[ -z $found ]] || pods_fail "pod $1's proxy has tls=\"true\" series with mesh TLS off: $found"
}

# ---- the two rounds ---------------------------------------------------------------------------

round_plaintext() {
  pods_log "round 1: mesh TLS off"
  MARKER="weft-marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  write_destinations
  pod_start_proxy client "WEFT_PROXY_DESTINATIONS=$PODS_DIR/destinations.yaml"
  pod_start_proxy server
  capture_start plaintext
  calls
  capture_stop

  local n
  n=$(capture_count "$MARKER")
  ((n > 0)) || pods_fail "the marker is not in the plaintext capture: the capture does not see the payload"
  pods_log "ok: the marker is in $n captured packets (plaintext)"
  expect_eq "$(capture_count "$SERVER_SNI")" 0 "packets naming the server's TLS server name (plaintext)"
  expect_eq "$(client_ids_seen | paste -sd ' ')" "" "weft-client-id reaching the server's apps without mTLS (the forged one removed)"

  expect_metric client eq 3 request_total 'direction="outbound"' 'tls="no_identity"' \
    'no_tls_reason="not_provided_by_service_discovery"'
  expect_metric server eq 3 request_total 'direction="inbound"' 'tls="no_identity"'
  no_mtls_series client
  no_mtls_series server

  pod_stop_proxy client || pods_fail "the client's proxy did not exit cleanly"
  pod_stop_proxy server || pods_fail "the server's proxy did not exit cleanly"
}

round_mtls() {
  pods_log "round 2: identities on both sides, the server's on its endpoints"
  MARKER="weft-marker-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  write_destinations "$SERVER_ID"
  pod_start_proxy client "WEFT_PROXY_DESTINATIONS=$PODS_DIR/destinations.yaml" \
    "WEFT_PROXY_IDENTITY_DIR=$(pod_identity_dir client)"
  pod_start_proxy server "WEFT_PROXY_IDENTITY_DIR=$(pod_identity_dir server)"
  capture_start mtls
  calls
  capture_stop

  expect_eq "$(capture_count "$MARKER")" 0 "captured packets holding the marker (mTLS)"
  # The capture did see the calls: each port's connections opened with a ClientHello naming the
  # server's identity.
  local port n
  for port in "$HTTP_PORT" "$GRPC_PORT"; do
    n=$(capture_count "$SERVER_SNI" "tcp dst port $port")
    ((n > 0)) || pods_fail "no ClientHello for $SERVER_SNI towards port $port in the capture"
    pods_log "ok: $n packets towards port $port carry the server name $SERVER_SNI (mTLS)"
  done
  expect_eq "$(client_ids_seen | paste -sd ' ')" "http=$CLIENT_ID grpc=$CLIENT_ID" \
    "weft-client-id reaching the server's apps (the forged one removed)"

  # The server's proxy knows its client; the client's proxy knows its server.
  local in_id="client_id=\"$CLIENT_ID\"" out_id="server_id=\"$SERVER_ID\""
  expect_metric server eq 3 request_total 'direction="inbound"' 'tls="true"' "$in_id"
  expect_metric server eq 3 response_total 'direction="inbound"' 'tls="true"' "$in_id" 'classification="success"'
  expect_metric server eq 0 request_total 'direction="inbound"' 'tls="no_identity"'
  expect_metric client eq 3 request_total 'direction="outbound"' 'tls="true"' "$out_id"
  expect_metric client eq 3 response_total 'direction="outbound"' 'tls="true"' "$out_id" 'classification="success"'
  expect_metric client eq 0 request_total 'direction="outbound"' 'tls="no_identity"'
  for port in "$HTTP_PORT" "$GRPC_PORT"; do
    expect_metric server ge 1 tcp_open_total 'direction="inbound"' 'peer="src"' 'tls="true"' "$in_id" \
      "target_addr=\"$SERVER_IP:$port\""
    expect_metric client ge 1 tcp_open_total 'direction="outbound"' 'peer="dst"' 'tls="true"' "$out_id" \
      "target_addr=\"$SERVER_IP:$port\""
  done
}

main() {
  setup
  round_plaintext
  round_mtls
  pods_log "PASS"
}

main "$@"
