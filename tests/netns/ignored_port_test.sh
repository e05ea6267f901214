#!/usr/bin/env bash
# ignored_port_test.sh: ports given to weft-init with --outbound-ports-to-ignore (client pod) and
# --inbound-ports-to-ignore (server pod) bypass the proxy on that side: the traffic still works,
# and that side's proxy counts nothing for it, while a port that is not ignored is counted (the
# positive control). The admin port 4191 is always ignored inbound.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly PORT_PROXIED=9000 PORT_SKIP_OUT=9001 PORT_SKIP_IN=9002

setup() {
  pods_init
  pod_add client "$PODS_SUBNET.2"
  pod_add server "$PODS_SUBNET.3"
  pod_init_iptables client --outbound-ports-to-ignore "$PORT_SKIP_OUT"
  pod_init_iptables server --inbound-ports-to-ignore "$PORT_SKIP_IN"
  pod_start_proxy client
  pod_start_proxy server
  SERVER_IP=$(pod_ip server)
  local port
  for port in "$PORT_PROXIED" "$PORT_SKIP_OUT" "$PORT_SKIP_IN"; do
    pod_bg server "echo-$port.log" "$PODS_PYTHON" "$PODS_TCP_TOOL" echo-server 0.0.0.0 "$port"
  done
  for port in "$PORT_PROXIED" "$PORT_SKIP_OUT" "$PORT_SKIP_IN"; do pod_wait_listen server "$port"; done
}

echo_to() {
  local port=$1 out
  out=$(pod_exec client "$PODS_PYTHON" "$PODS_TCP_TOOL" client "$SERVER_IP" "$port" --bytes 5000) ||
    pods_fail "echo to $SERVER_IP:$port failed: $out"
  expect_eq "$out" "sent=5000 received=5000" "echo to port $port works"
}

# expect_seen POD DIRECTION PORT COUNT: the proxy counted COUNT connections (accepted and opened)
# for the target, with every byte of the 5000-byte echo when COUNT > 0.
expect_seen() {
  local pod=$1 dir=$2 port=$3 count=$4
  local t="target_addr=\"$SERVER_IP:$port\""
  expect_metric "$pod" eq "$count" tcp_open_total "direction=\"$dir\"" 'peer="src"' "$t"
  expect_metric "$pod" eq "$count" tcp_open_total "direction=\"$dir\"" 'peer="dst"' "$t"
  expect_metric "$pod" eq $((count * 5000)) tcp_read_bytes_total "direction=\"$dir\"" 'peer="src"' "$t"
}

# Nothing at all for the target: no series for any direction or peer, not even a zero.
expect_unseen() {
  local pod=$1 port=$2
  local t="target_addr=\"$SERVER_IP:$port\""
  expect_metric "$pod" eq 0 tcp_open_total "$t"
  expect_metric "$pod" eq 0 tcp_read_bytes_total "$t"
  expect_metric "$pod" eq 0 tcp_write_bytes_total "$t"
}

main() {
  setup

  # Positive control: a port nobody ignores goes through both proxies.
  echo_to "$PORT_PROXIED"
  expect_seen client outbound "$PORT_PROXIED" 1
  expect_seen server inbound "$PORT_PROXIED" 1

  # Outbound ignore in the client pod: its proxy never sees it, the server's inbound proxy does.
  echo_to "$PORT_SKIP_OUT"
  expect_unseen client "$PORT_SKIP_OUT"
  expect_seen server inbound "$PORT_SKIP_OUT" 1

  # Inbound ignore in the server pod: the client's outbound proxy sees it, the server's does not.
  echo_to "$PORT_SKIP_IN"
  expect_seen client outbound "$PORT_SKIP_IN" 1
  expect_unseen server "$PORT_SKIP_IN"

  # The admin port is always ignored inbound: scraping the server pod's proxy by pod IP from the
  # client pod reaches the admin server directly, not through the inbound proxy.
  pod_exec client curl -fsS --max-time 5 -o /dev/null "http://$SERVER_IP:4191/ready" ||
    pods_fail "cannot reach the server pod's admin port by pod IP"
  expect_metric client eq 1 tcp_open_total 'direction="outbound"' 'peer="dst"' "target_addr=\"$SERVER_IP:4191\""
  expect_unseen server 4191

  # And the counts did not move for the ports checked before.
  expect_seen client outbound "$PORT_PROXIED" 1
  expect_seen server inbound "$PORT_PROXIED" 1
  expect_unseen client "$PORT_SKIP_OUT"
  pods_log "PASS"
}

main "$@"
