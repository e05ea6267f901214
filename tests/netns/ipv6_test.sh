#!/usr/bin/env bash
# ipv6_test.sh: dual-stack pods. Pods "a" and "b" each have 10.77.0.x/24 and fd77::x/64 on eth0;
# weft-init writes both the iptables and the ip6tables rules (its default --ipv6 true), and
# weft-proxy listens inbound on [::]:4143 and outbound on 127.0.0.1:4140 and [::1]:4140. A client
# in a calls an HTTP server in b by b's IPv6 address and by its IPv4 address. Asserts that the
# responses are right, that both proxies counted the IPv6 connections under the bracketed
# target_addr, the bare target_ip and the right direction, and that the proxies' own IPv6
# connections are not intercepted again (one connection per request at every hop, and the socket
# chain followed port by port). Finally b's inbound listener must take IPv4 even when b's
# namespace sets net.ipv6.bindv6only=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly HTTP_PORT=8080 BODY_SIZE=100000 ROUNDS=3
OPAQUE=("WEFT_PROXY_INBOUND_PORTS_DISABLE_PROTOCOL_DETECTION=$HTTP_PORT" "WEFT_PROXY_OUTBOUND_PORTS_DISABLE_PROTOCOL_DETECTION=$HTTP_PORT")

setup() {
  pods_init
  pods_require_ipv6
  pod_add a "$PODS_SUBNET.2" "$PODS_SUBNET6:2"
  pod_add b "$PODS_SUBNET.3" "$PODS_SUBNET6:3"
  pod_init_iptables a
  pod_init_iptables b
  local pod
  # The HTTP port is opaque here: this test follows IPv6 transport connections socket by socket
  # (one per request, one held half-sent), which HTTP/1 proxying would pool and hold back.
  for pod in a b; do
    pod_start_proxy "$pod" "WEFT_PROXY_INBOUND_LISTEN_ADDR=[::]:4143" \
      "WEFT_PROXY_OUTBOUND_LISTEN_ADDRS=127.0.0.1:4140,[::1]:4140" "${OPAQUE[@]}"
  done
  B_IP4=$(pod_ip b)
  B_IP6=$(pod_ip6 b)
  T6="target_addr=\"[$B_IP6]:$HTTP_PORT\""
  T4="target_addr=\"$B_IP4:$HTTP_PORT\""

  mkdir "$PODS_DIR/www"
  head -c "$BODY_SIZE" /dev/urandom >"$PODS_DIR/www/payload.bin"
  # http.server bound to "::" is dual-stack (it clears IPV6_V6ONLY): one app for both families.
  pod_bg b http.log "$PODS_PYTHON" -m http.server "$HTTP_PORT" --bind :: --directory "$PODS_DIR/www"
  pod_wait_listen b "$HTTP_PORT"
}

# The rules and listeners a dual-stack pod needs, seen from inside the pod.
check_pod_setup() {
  local pod=$1 rules listeners
  rules=$(pod_exec "$pod" "ip6tables-$PODS_IPTABLES_MODE" -t nat -S)
  grep -q -- '-A PROXY_INIT_REDIRECT -p tcp .*-j REDIRECT --to-ports 4143' <<<"$rules" ||
    pods_fail "pod $pod: no ip6tables inbound redirect to 4143: $rules"
  grep -q -- '-A PROXY_INIT_OUTPUT -p tcp .*-j REDIRECT --to-ports 4140' <<<"$rules" ||
    pods_fail "pod $pod: no ip6tables outbound redirect to 4140: $rules"
  grep -q -- "-A PROXY_INIT_OUTPUT -m owner --uid-owner $PODS_PROXY_UID .*-j RETURN" <<<"$rules" ||
    pods_fail "pod $pod: no ip6tables RETURN for the proxy's UID: $rules"
  listeners=$(pod_exec "$pod" ss -Hltn | awk '{ print $4 }' | sort | tr '\n' ' ')
  local want
  for want in '127.0.0.1:4140' '[::1]:4140' '*:4143'; do
    [[ " $listeners " == *" $want "* ]] || pods_fail "pod $pod: nothing listens on $want (listening: $listeners)"
  done
  pods_log "ok: pod $pod: ip6tables redirect rules; proxy listens on $listeners"
}

# GET URL from pod a with curl's FAMILY flag (-6 or -4); the body must be the payload.
get_payload() {
  local family=$1 url=$2
  pod_exec a curl "$family" -g -fsS --max-time 10 -o "$PODS_DIR/got.bin" "$url" ||
    pods_fail "curl $family from pod a to $url failed"
  cmp -s "$PODS_DIR/www/payload.bin" "$PODS_DIR/got.bin" || pods_fail "HTTP body from $url differs from the payload"
  rm -f "$PODS_DIR/got.bin"
}

# Both proxies counted N connections to TARGET (a target_addr matcher) at every hop, each closed
# cleanly, under the given target_ip.
expect_counted() {
  local n=$1 target=$2 ip=$3 pod dir peer
  for pod in a b; do
    dir=outbound
    [[ $pod == b ]] && dir=inbound
    for peer in src dst; do
      expect_metric "$pod" eq "$n" tcp_open_total "direction=\"$dir\"" "peer=\"$peer\"" "$target" "target_ip=\"$ip\""
      expect_metric "$pod" eq "$n" tcp_close_total "direction=\"$dir\"" "peer=\"$peer\"" "$target" 'errno=""'
      expect_metric "$pod" eq 0 tcp_open_connections "direction=\"$dir\"" "peer=\"$peer\"" "$target"
    done
    expect_metric "$pod" ge $((n * BODY_SIZE)) tcp_write_bytes_total "direction=\"$dir\"" 'peer="src"' "$target"
  done
}

# No loop: exactly N connections in total at each hop (whatever the target), and none in the
# direction a looped connection would add (inbound in a, outbound in b).
expect_totals() {
  local n=$1
  expect_metric a eq "$n" tcp_open_total 'direction="outbound"' 'peer="dst"'
  expect_metric a eq "$n" tcp_open_total 'direction="outbound"' 'peer="src"'
  expect_metric b eq "$n" tcp_open_total 'direction="inbound"' 'peer="src"'
  expect_metric b eq "$n" tcp_open_total 'direction="inbound"' 'peer="dst"'
  expect_metric a eq 0 tcp_open_total 'direction="inbound"'
  expect_metric b eq 0 tcp_open_total 'direction="outbound"'
}

# Established sockets in a pod whose remote end is [ADDR]:PORT, as "local uid" lines.
sockets_to() {
  pod_exec "$1" ss -Htne state established "dst $2" 2>/dev/null |
    awk '{ uid = 0; for (i = 1; i <= NF; i++) if ($i ~ /^uid:/) uid = substr($i, 5); print $3, uid }'
}

sockets_from_port() {
  pod_exec "$1" ss -Htn state established "sport = :$2" | awk '{ print $3, $4 }'
}

# An HTTP client over IPv6 that sends its request line, then holds the connection open (headers
# unfinished, so http.server waits) until HOLD exists; then finishes the request and checks the
# response status.
readonly HOLD_CLIENT='
import os, socket, sys, time
host, port, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=30)
s.sendall(b"GET /payload.bin HTTP/1.1\r\n")
print("connected", s.getsockname()[0], s.getsockname()[1], flush=True)
while not os.path.exists(hold):
    time.sleep(0.05)
s.sendall(b"Host: b\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
status = data.split(b"\r\n", 1)[0].decode(errors="replace")
print("status", status, "bytes", len(data), flush=True)
sys.exit(0 if status.split()[1:2] == ["200"] else 1)
'

# Holds one IPv6 connection open and follows it through both pods, socket by socket.
check_socket_chain() {
  local hold="$PODS_DIR/release-hold" n=$1
  pod_bg a hold.log "$PODS_PYTHON" -c "$HOLD_CLIENT" "$B_IP6" "$HTTP_PORT" "$hold"
  local holder=$POD_BG_PID
  expect_metric b eq 1 tcp_open_connections 'direction="inbound"' 'peer="dst"' "$T6"

  # Pod a: the app's socket (root) and the outbound proxy's (UID 2102), both to [B_IP6]:8080.
  local a_socks proxy_local
  a_socks=$(sockets_to a "[$B_IP6]:$HTTP_PORT")
  pods_log "pod a sockets to [$B_IP6]:$HTTP_PORT (local uid): $(tr '\n' ' ' <<<"$a_socks")"
  expect_eq "$(wc -l <<<"$a_socks")" 2 "pod a: IPv6 sockets to b (app + proxy)"
  expect_eq "$(awk '$2 == 0' <<<"$a_socks" | wc -l)" 1 "pod a: one app socket (root)"
  proxy_local=$(awk -v uid="$PODS_PROXY_UID" '$2 == uid { print $1 }' <<<"$a_socks")
  [[ $proxy_local == "[$(pod_ip6 a)]:"* ]] ||
    pods_fail "pod a: no IPv6 socket to b from $(pod_ip6 a) owned by UID $PODS_PROXY_UID (got '$proxy_local')"
  # The app's connection was redirected to [::1]:4140, not to the IPv4 listener.
  expect_eq "$(sockets_from_port a 4140 | wc -l)" 1 "pod a: connections on the outbound listener"
  expect_eq "$(sockets_from_port a 4140 | awk '{ print $1 }')" "[::1]:4140" "pod a: outbound listener that took the IPv6 connection"

  # Pod b: 4143 accepted exactly that connection, on b's IPv6 address ...
  expect_eq "$(sockets_from_port b 4143)" "[$B_IP6]:4143 $proxy_local" "pod b: 4143 accepted a's proxy connection"
  # ... and the inbound proxy connected to the app as UID 2102; the app accepted that very socket.
  local b_socks proxy_to_app uid
  b_socks=$(sockets_to b "[$B_IP6]:$HTTP_PORT")
  expect_eq "$(wc -l <<<"$b_socks")" 1 "pod b: one socket to the app"
  read -r proxy_to_app uid <<<"$b_socks"
  expect_eq "$uid" "$PODS_PROXY_UID" "pod b: UID that owns the inbound proxy's connection to the app"
  expect_eq "$(sockets_from_port b "$HTTP_PORT")" "[$B_IP6]:$HTTP_PORT $proxy_to_app" "pod b: the app accepted the proxy's socket directly"
  expect_eq "$(sockets_from_port b 4140)" "" "pod b: nothing went through its outbound listener"

  touch "$hold"
  pod_wait_pid "$holder" || pods_fail "the held IPv6 request failed: $(cat "$PODS_DIR/hold.log")"
  pods_log "ok: held IPv6 request: $(tail -n 1 "$PODS_DIR/hold.log")"
  expect_totals "$n"
}

# IPv4 into a dual-stack pod whose namespace has net.ipv6.bindv6only=1 (a per-namespace sysctl
# some images and hardened hosts set): the [::]:4143 listener must still take IPv4, because the
# IPv4 REDIRECT to 4143 has no other listener to reach. b's proxy is restarted under it.
check_bindv6only() {
  pod_stop_proxy b || pods_fail "b's proxy did not exit cleanly"
  pod_sysctl b net.ipv6.bindv6only=1
  pod_start_proxy b "WEFT_PROXY_INBOUND_LISTEN_ADDR=[::]:4143" \
    "WEFT_PROXY_OUTBOUND_LISTEN_ADDRS=127.0.0.1:4140,[::1]:4140" "${OPAQUE[@]}"
  get_payload -4 "http://$B_IP4:$HTTP_PORT/payload.bin"
  get_payload -6 "http://[$B_IP6]:$HTTP_PORT/payload.bin"
  check_pod_setup b  # *:4143 is dual-stack; [::]:4143 would be IPv6 only
  pods_log "ok: bindv6only=1 in b: GETs by IPv4 and IPv6 address returned the payload"
  local t
  for t in "$T4" "$T6"; do
    expect_metric b eq 1 tcp_open_total 'direction="inbound"' 'peer="src"' "$t"
    expect_metric b eq 1 tcp_close_total 'direction="inbound"' 'peer="dst"' "$t" 'errno=""'
  done
}

main() {
  setup
  check_pod_setup a
  check_pod_setup b

  local i
  for ((i = 0; i < ROUNDS; i++)); do get_payload -6 "http://[$B_IP6]:$HTTP_PORT/payload.bin"; done
  pods_log "ok: $ROUNDS GETs by b's IPv6 address [$B_IP6] returned the payload"
  expect_counted "$ROUNDS" "$T6" "$B_IP6"
  expect_totals "$ROUNDS"

  get_payload -4 "http://$B_IP4:$HTTP_PORT/payload.bin"
  pods_log "ok: GET by b's IPv4 address $B_IP4 returned the payload"
  expect_counted 1 "$T4" "$B_IP4"
  expect_metric b eq 1 tcp_open_total 'direction="inbound"' 'peer="src"' "target_ip=\"$B_IP4\""
  expect_totals $((ROUNDS + 1))

  check_socket_chain $((ROUNDS + 2))
  expect_counted $((ROUNDS + 1)) "$T6" "$B_IP6"

  check_bindv6only
  pods_log "PASS"
}

main "$@"
