#!/usr/bin/env bash
# pod_to_pod_test.sh: a client in pod "client" reaches servers in pod "server" by the server's pod
# IP, through the client's outbound proxy and the server's inbound proxy (real weft-init rules,
# real SO_ORIGINAL_DST). Asserts that the responses are right, and that both proxies counted the
# connections and exactly the bytes that crossed them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly HTTP_PORT=8080 ECHO_PORT=9000
readonly BODY_SIZE=100000 ECHO_SIZE=200000

setup() {
  pods_init
  pod_add client "$PODS_SUBNET.2"
  pod_add server "$PODS_SUBNET.3"
  pod_init_iptables client
  pod_init_iptables server
  pod_start_proxy client
  pod_start_proxy server
  SERVER_IP=$(pod_ip server)

  mkdir "$PODS_DIR/www"
  head -c "$BODY_SIZE" /dev/urandom >"$PODS_DIR/www/payload.bin"
  pod_bg server http.log "$PODS_PYTHON" -m http.server "$HTTP_PORT" --bind 0.0.0.0 --directory "$PODS_DIR/www"
  pod_bg server echo.log "$PODS_PYTHON" "$PODS_TCP_TOOL" echo-server 0.0.0.0 "$ECHO_PORT"
  pod_wait_listen server "$HTTP_PORT"
  pod_wait_listen server "$ECHO_PORT"
}

# One HTTP GET by pod IP. Sets REQUEST_BYTES and RESPONSE_BYTES as curl counted them.
http_get_payload() {
  local sizes
  sizes=$(pod_exec client curl -fsS --max-time 10 -o "$PODS_DIR/got.bin" \
    -w '%{size_request} %{size_header} %{size_download}' "http://$SERVER_IP:$HTTP_PORT/payload.bin") ||
    pods_fail "curl from pod client to $SERVER_IP:$HTTP_PORT failed"
  cmp -s "$PODS_DIR/www/payload.bin" "$PODS_DIR/got.bin" || pods_fail "HTTP body differs from the payload"
  pods_log "ok: HTTP GET by pod IP returned the ${BODY_SIZE}-byte payload intact"
  read -r REQUEST_BYTES header_bytes body_bytes <<<"$sizes"
  RESPONSE_BYTES=$((header_bytes + body_bytes))
}

# Both proxies saw one connection each way, and every byte: what the client sent was read from
# it and written to the endpoint; what the endpoint answered was read and written to the client.
# With DST_OP=ge the endpoint side may differ (a proxy that speaks HTTP may rewrite headers), but
# never carry less than the payload: the client side stays exact.
expect_counted() {
  local target=$1 sent=$2 received=$3 dst_op=${4:-eq} dst_min_read=${5:-$3}
  local t="target_addr=\"$target\""
  local dir peer pod
  for pod in client server; do
    dir=outbound
    [[ $pod == server ]] && dir=inbound
    for peer in src dst; do
      expect_metric "$pod" eq 1 tcp_open_total "direction=\"$dir\"" "peer=\"$peer\"" "$t"
      expect_metric "$pod" eq 1 tcp_close_total "direction=\"$dir\"" "peer=\"$peer\"" "$t" 'errno=""'
      expect_metric "$pod" eq 0 tcp_open_connections "direction=\"$dir\"" "peer=\"$peer\"" "$t"
    done
    expect_metric "$pod" eq "$sent" tcp_read_bytes_total "direction=\"$dir\"" 'peer="src"' "$t"
    if [[ $dst_op == eq ]]; then
      expect_metric "$pod" eq "$sent" tcp_write_bytes_total "direction=\"$dir\"" 'peer="dst"' "$t"
      expect_metric "$pod" eq "$received" tcp_read_bytes_total "direction=\"$dir\"" 'peer="dst"' "$t"
    else
      expect_metric "$pod" gt 0 tcp_write_bytes_total "direction=\"$dir\"" 'peer="dst"' "$t"
      expect_metric "$pod" ge "$dst_min_read" tcp_read_bytes_total "direction=\"$dir\"" 'peer="dst"' "$t"
    fi
    expect_metric "$pod" eq "$received" tcp_write_bytes_total "direction=\"$dir\"" 'peer="src"' "$t"
  done
}

main() {
  setup

  http_get_payload
  ((RESPONSE_BYTES >= BODY_SIZE)) || pods_fail "curl received $RESPONSE_BYTES bytes, less than the body"
  expect_counted "$SERVER_IP:$HTTP_PORT" "$REQUEST_BYTES" "$RESPONSE_BYTES" ge "$BODY_SIZE"

  local out
  out=$(pod_exec client "$PODS_PYTHON" "$PODS_TCP_TOOL" client "$SERVER_IP" "$ECHO_PORT" --bytes "$ECHO_SIZE") ||
    pods_fail "opaque echo through both proxies failed: $out"
  expect_eq "$out" "sent=$ECHO_SIZE received=$ECHO_SIZE" "opaque TCP echo by pod IP"
  expect_counted "$SERVER_IP:$ECHO_PORT" "$ECHO_SIZE" "$ECHO_SIZE"

  # The server app saw the inbound proxy, which connects from the pod's own IP.
  grep -q "conn peer=$SERVER_IP:" "$PODS_DIR/echo.log" ||
    pods_fail "echo server did not see a connection from $SERVER_IP: $(cat "$PODS_DIR/echo.log")"
  pods_log "PASS"
}

main "$@"
