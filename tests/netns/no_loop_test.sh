#!/usr/bin/env bash
# no_loop_test.sh: the proxies' own connections are never intercepted again. The outbound proxy
# connects as UID 2102 (iptables lets it out untouched) and the inbound proxy connects to the app
# on the pod's own IP (loopback, untouched). So each request is exactly one connection at each hop,
# and the socket chain client -> 4140 -> endpoint -> 4143 -> app can be followed port by port.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly ECHO_PORT=9000 ROUNDS=3

setup() {
  pods_init
  pod_add client "$PODS_SUBNET.2"
  pod_add server "$PODS_SUBNET.3"
  pod_init_iptables client
  pod_init_iptables server
  pod_start_proxy client
  pod_start_proxy server
  CLIENT_IP=$(pod_ip client)
  SERVER_IP=$(pod_ip server)
  TARGET="target_addr=\"$SERVER_IP:$ECHO_PORT\""
  pod_bg server echo.log "$PODS_PYTHON" "$PODS_TCP_TOOL" echo-server 0.0.0.0 "$ECHO_PORT"
  pod_wait_listen server "$ECHO_PORT"
}

echo_rounds() {
  local i out
  for ((i = 0; i < ROUNDS; i++)); do
    out=$(pod_exec client "$PODS_PYTHON" "$PODS_TCP_TOOL" client "$SERVER_IP" "$ECHO_PORT" --bytes 4096) ||
      pods_fail "echo request $i failed: $out"
  done
}

# Exactly `n` connections at every hop, and none in the direction a loop would add.
expect_connections() {
  local n=$1 peer
  for peer in src dst; do
    expect_metric client eq "$n" tcp_open_total 'direction="outbound"' "peer=\"$peer\"" "$TARGET"
    expect_metric server eq "$n" tcp_open_total 'direction="inbound"' "peer=\"$peer\"" "$TARGET"
  done
  # A looped connection would show up as the client pod's inbound or the server pod's outbound,
  # or as more than one open per request above.
  expect_metric client eq 0 tcp_open_total 'direction="inbound"'
  expect_metric server eq 0 tcp_open_total 'direction="outbound"'
  expect_metric client eq "$n" tcp_open_total 'direction="outbound"' 'peer="dst"'
  expect_metric server eq "$n" tcp_open_total 'direction="inbound"' 'peer="src"'
}

# Established sockets in a pod whose remote end is ADDR:PORT, as "local uid" lines.
sockets_to() {
  pod_exec "$1" ss -Htne state established "dst $2" 2>/dev/null |
    awk '{ uid = 0; for (i = 1; i <= NF; i++) if ($i ~ /^uid:/) uid = substr($i, 5); print $3, uid }'
}

sockets_from_port() {
  pod_exec "$1" ss -Htn state established "sport = :$2" | awk '{ print $3, $4 }'
}

# Holds one connection open and follows it through both pods, socket by socket.
check_socket_chain() {
  local hold="$PODS_DIR/release-hold"
  pod_bg client hold.log "$PODS_PYTHON" "$PODS_TCP_TOOL" client "$SERVER_IP" "$ECHO_PORT" --bytes 100 --hold-file "$hold"
  local holder=$POD_BG_PID
  expect_metric server eq 1 tcp_open_connections 'direction="inbound"' 'peer="dst"' "$TARGET"

  # Client pod: the app's socket (root) and the outbound proxy's socket (UID 2102), both to the
  # server's pod IP. The proxy's is the only one iptables let through untouched.
  local client_socks proxy_local
  client_socks=$(sockets_to client "$SERVER_IP:$ECHO_PORT")
  pods_log "client pod sockets to $SERVER_IP:$ECHO_PORT (local uid): $(tr '\n' ' ' <<<"$client_socks")"
  expect_eq "$(wc -l <<<"$client_socks")" 2 "client pod: sockets to the server (app + proxy)"
  expect_eq "$(awk '$2 == 0' <<<"$client_socks" | wc -l)" 1 "client pod: one app socket (root)"
  proxy_local=$(awk -v uid="$PODS_PROXY_UID" '$2 == uid { print $1 }' <<<"$client_socks")
  [[ -n $proxy_local ]] || pods_fail "client pod: no socket to the server owned by UID $PODS_PROXY_UID"
  pods_log "ok: client pod: the outbound proxy's connection $proxy_local is owned by UID $PODS_PROXY_UID"

  # Server pod: the inbound proxy accepted exactly that connection on 4143 (redirected once) ...
  local inbound
  inbound=$(sockets_from_port server 4143)
  expect_eq "$inbound" "$SERVER_IP:4143 $proxy_local" "server pod: 4143 accepted the client proxy's connection"

  # ... and connected to the app as UID 2102 on the pod IP; the app accepted that very socket, so
  # it was not redirected to 4143 or 4140 again.
  local server_socks proxy_to_app app_side uid
  server_socks=$(sockets_to server "$SERVER_IP:$ECHO_PORT")
  expect_eq "$(wc -l <<<"$server_socks")" 1 "server pod: one socket to the app"
  read -r proxy_to_app uid <<<"$server_socks"
  expect_eq "$uid" "$PODS_PROXY_UID" "server pod: UID that owns the inbound proxy's connection to the app"
  app_side=$(sockets_from_port server "$ECHO_PORT")
  expect_eq "$app_side" "$SERVER_IP:$ECHO_PORT $proxy_to_app" "server pod: the app accepted the proxy's socket directly"
  expect_eq "$(sockets_from_port server 4140)" "" "server pod: nothing went through its outbound listener"

  touch "$hold"
  pod_wait_pid "$holder" || pods_fail "the held connection did not echo correctly: $(cat "$PODS_DIR/hold.log")"
}

main() {
  setup
  echo_rounds
  expect_connections "$ROUNDS"
  echo_rounds
  expect_connections $((2 * ROUNDS))
  check_socket_chain
  expect_connections $((2 * ROUNDS + 1))
  pods_log "PASS"
}

main "$@"
