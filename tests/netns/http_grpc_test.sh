#!/usr/bin/env bash
# http_grpc_test.sh: pod "client" makes HTTP/1.1 requests (curl) and gRPC calls (python3-grpcio)
# to pod "server" by its pod IP, through the client's outbound proxy and the server's inbound
# proxy. Asserts the answers the apps got, and the golden HTTP metrics on each side: the client's
# proxy counts outbound requests and responses for the server's address with the request's
# authority, the server's proxy counts the same requests inbound (without authority), and both
# classify them alike: HTTP 5xx and the failing gRPC statuses are failures, 4xx and NOT_FOUND are
# not (linkerd-compat §8.3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly HTTP_PORT=8080 GRPC_PORT=9090
readonly BODY_SIZE=50000
readonly GRPC_TOOL=$PODS_LIB_DIR/grpc_tool.py

setup() {
  "$PODS_PYTHON" -c 'import grpc' 2>/dev/null || pods_skip "python3-grpcio not installed ($PODS_PYTHON -c 'import grpc')"
  pods_init
  pod_add client "$PODS_SUBNET.2"
  pod_add server "$PODS_SUBNET.3"
  pod_init_iptables client
  pod_init_iptables server
  pod_start_proxy client
  pod_start_proxy server
  SERVER_IP=$(pod_ip server)
  HTTP_TARGET="$SERVER_IP:$HTTP_PORT"
  GRPC_TARGET="$SERVER_IP:$GRPC_PORT"

  mkdir "$PODS_DIR/www"
  head -c "$BODY_SIZE" /dev/urandom >"$PODS_DIR/www/payload.bin"
  pod_bg server http.log "$PODS_PYTHON" -m http.server "$HTTP_PORT" --bind 0.0.0.0 --directory "$PODS_DIR/www"
  pod_bg server grpc.log "$PODS_PYTHON" "$GRPC_TOOL" server 0.0.0.0 "$GRPC_PORT"
  pod_wait_listen server "$HTTP_PORT"
  pod_wait_listen server "$GRPC_PORT"
}

# curl from the client pod; prints the status code.
http_status() {
  pod_exec client curl -sS --max-time 10 -o "$PODS_DIR/got.bin" -w '%{http_code}' "$@" ||
    pods_fail "curl $* from pod client failed"
}

http_requests() {
  expect_eq "$(http_status "http://$HTTP_TARGET/payload.bin")" 200 "GET /payload.bin by pod IP"
  cmp -s "$PODS_DIR/www/payload.bin" "$PODS_DIR/got.bin" || pods_fail "HTTP body differs from the payload"
  expect_eq "$(http_status "http://$HTTP_TARGET/missing")" 404 "GET /missing"
  # http.server has no DELETE: 501, a server error, which the mesh counts as a failure.
  expect_eq "$(http_status -X DELETE "http://$HTTP_TARGET/payload.bin")" 501 "DELETE /payload.bin"
}

grpc_calls() {
  local out
  out=$(pod_exec client "$PODS_PYTHON" "$GRPC_TOOL" client "$GRPC_TARGET" OK,INTERNAL,NOT_FOUND --payload hello) ||
    pods_fail "gRPC calls through both proxies did not end as asked: $out"
  expect_eq "$(paste -sd '|' <<<"$out")" \
    'status=OK reply=hello|status=INTERNAL message=asked for INTERNAL|status=NOT_FOUND message=asked for NOT_FOUND' \
    "gRPC statuses and messages reach the client intact"
  # The server saw the inbound proxy, which connects from the pod's own IP.
  grep -q "call peer=$SERVER_IP:" "$PODS_DIR/grpc.log" ||
    pods_fail "gRPC server did not see a call from $SERVER_IP: $(cat "$PODS_DIR/grpc.log")"
}

# expect_http_metrics POD DIRECTION TARGET [authority="..."]: the golden metrics of the three HTTP
# requests, on one side.
expect_http_metrics() {
  local pod=$1 dir="direction=\"$2\"" t="target_addr=\"$3\""
  shift 3
  expect_metric "$pod" eq 3 request_total "$dir" "$t" "$@"
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="200"' 'classification="success"' 'grpc_status=""' 'error=""'
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="404"' 'classification="success"'
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="501"' 'classification="failure"'
  expect_metric "$pod" eq 3 response_total "$dir" "$t" "$@"
  expect_metric "$pod" eq 3 response_latency_ms_count "$dir" "$t" "$@"
  expect_metric "$pod" eq 3 response_latency_ms_bucket "$dir" "$t" "$@" 'le="+Inf"'
}

# expect_grpc_metrics POD DIRECTION TARGET [authority="..."]: the three gRPC calls, on one side.
expect_grpc_metrics() {
  local pod=$1 dir="direction=\"$2\"" t="target_addr=\"$3\""
  shift 3
  expect_metric "$pod" eq 3 request_total "$dir" "$t" "$@"
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="200"' 'grpc_status="0"' 'classification="success"' 'error=""'
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="200"' 'grpc_status="13"' 'classification="failure"' 'error=""'
  expect_metric "$pod" eq 1 response_total "$dir" "$t" "$@" 'status_code="200"' 'grpc_status="5"' 'classification="success"' 'error=""'
  expect_metric "$pod" eq 3 response_total "$dir" "$t" "$@"
  expect_metric "$pod" eq 3 response_latency_ms_count "$dir" "$t" "$@"
}

# Inbound series carry no authority label (Linkerd's default, to bound cardinality); outbound ones
# always do.
expect_authority_labels() {
  local inbound outbound
  inbound=$(pod_metrics server | grep -E '^(request|response)_total\{[^}]*direction="inbound"' || true)
  outbound=$(pod_metrics client | grep -E '^(request|response)_total\{[^}]*direction="outbound"' || true)
  [[ -n $inbound && -n $outbound ]] || pods_fail "no HTTP series to check the authority label on"
  if grep -q 'authority=' <<<"$inbound"; then
    pods_fail "inbound HTTP series in pod server carry an authority label: $inbound"
  fi
  if grep -qv 'authority=' <<<"$outbound"; then
    pods_fail "an outbound HTTP series in pod client has no authority label: $outbound"
  fi
  pods_log "ok: authority on outbound series only"
}

# `weft stat` against both proxies, from the node (one scrape: totals since start, no RPS). The
# server served 6 responses, 4 of them successes; the client sent 3 to each of two authorities,
# 2 of each successes.
expect_weft_stat() {
  [[ -x $WEFT_BIN_DIR/weft ]] || pods_fail "$WEFT_BIN_DIR/weft not built"
  local targets=("server=$SERVER_IP:4191" "client=$(pod_ip client):4191") table row
  table=$(node_exec "$WEFT_BIN_DIR/weft" stat --interval 0 "${targets[@]}") || pods_fail "weft stat failed"
  printf '%s\n' "$table" | sed 's/^/    /' >&2
  row=$(awk '$1 == "server" { print $2, $3, ($4 != "-" && $5 != "-" && $6 != "-") }' <<<"$table")
  expect_eq "$row" "66.67% - 1" "weft stat: server's success rate, no rate from one scrape, latencies"
  row=$(awk '$1 == "client" { print $2, $3, $4 }' <<<"$table")
  expect_eq "$row" "- - -" "weft stat: client served nothing"
  table=$(node_exec "$WEFT_BIN_DIR/weft" stat --outbound --interval 0 "${targets[@]}") || pods_fail "weft stat --outbound failed"
  printf '%s\n' "$table" | sed 's/^/    /' >&2
  row=$(awk '$1 == "client" && $3 != "-" { print $2, $3 }' <<<"$table" | sort | paste -sd '|')
  expect_eq "$row" "$HTTP_TARGET 66.67%|$GRPC_TARGET 66.67%" "weft stat --outbound: client's success rate per authority"
}

main() {
  setup
  http_requests
  grpc_calls

  # The client's proxy: outbound, with the authority the apps sent (curl's Host, gRPC's
  # :authority are both the target as written).
  expect_http_metrics client outbound "$HTTP_TARGET" "authority=\"$HTTP_TARGET\""
  expect_grpc_metrics client outbound "$GRPC_TARGET" "authority=\"$GRPC_TARGET\""
  # The server's proxy: the same requests, inbound.
  expect_http_metrics server inbound "$HTTP_TARGET"
  expect_grpc_metrics server inbound "$GRPC_TARGET"
  # Nothing in the other direction on either side.
  expect_metric client eq 0 request_total 'direction="inbound"'
  expect_metric server eq 0 request_total 'direction="outbound"'
  expect_authority_labels

  # The three gRPC calls shared one connection from the app, and the client's proxy sent them on
  # one HTTP/2 connection to the server (one multiplexed connection per endpoint).
  expect_metric client eq 1 tcp_open_total 'direction="outbound"' 'peer="src"' "target_addr=\"$GRPC_TARGET\""
  expect_metric client eq 1 tcp_open_total 'direction="outbound"' 'peer="dst"' "target_addr=\"$GRPC_TARGET\""
  expect_metric server eq 1 tcp_open_total 'direction="inbound"' 'peer="src"' "target_addr=\"$GRPC_TARGET\""
  expect_weft_stat
  pods_log "PASS"
}

main "$@"
