#!/usr/bin/env bash
# service_vip_test.sh: a Service as a cluster has it. Pods web-1, web-2 and web-3 serve HTTP on
# :8080; the service's virtual address 10.96.0.10:80 belongs to no pod and no interface (as a
# ClusterIP, which only kube-proxy's rules know). Pod "client" has weft-init's rules and a
# weft-proxy whose destination file (WEFT_PROXY_DESTINATIONS) maps the virtual address to the
# three pod IPs. curl in the client pod reaches the virtual address through its outbound proxy,
# and the requests spread over all three pods; the proxy labels them with the endpoints'
# dst_* labels. Then web-2 leaves the file: the proxy follows the change, no request fails, and
# web-2 gets no more.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pods.sh"

readonly VIP=10.96.0.10 VIP_PORT=80 APP_PORT=8080
readonly REQUESTS=90

write_destinations() {  # write_destinations POD...: the service over those pods, renamed into place
  local file=$PODS_DIR/destinations.yaml pod
  {
    echo "services:"
    echo "  - name: web.demo.svc.cluster.local"
    echo "    addresses: [\"$VIP:$VIP_PORT\"]"
    echo "    endpoints:"
    for pod in "$@"; do
      echo "      - addr: \"$(pod_ip "$pod"):$APP_PORT\""
      echo "        labels: {namespace: demo, pod: $pod}"
    done
  } >"$file.tmp"
  chmod 644 "$file.tmp"
  mv "$file.tmp" "$file"
}

setup() {
  pods_init
  pod_add client "$PODS_SUBNET.2"
  local i
  for i in 1 2 3; do
    pod_add "web-$i" "$PODS_SUBNET.$((10 + i))"
    mkdir -p "$PODS_DIR/www-$i"
    echo "web-$i" >"$PODS_DIR/www-$i/who"
    pod_bg "web-$i" "web-$i.log" "$PODS_PYTHON" -m http.server "$APP_PORT" --bind 0.0.0.0 --directory "$PODS_DIR/www-$i"
    pod_wait_listen "web-$i" "$APP_PORT"
  done
  write_destinations web-1 web-2 web-3
  chmod 755 "$PODS_DIR"
  pod_init_iptables client
  pod_start_proxy client "WEFT_PROXY_DESTINATIONS=$PODS_DIR/destinations.yaml"
}

# requests N: N GETs of http://VIP/who from the client pod, six at a time, one connection each;
# prints the answers one per line. Any failed request fails the test.
requests() {
  local n=$1 out
  out=$(pod_exec client bash -c "seq $n | xargs -P 6 -I{} curl -fsS --max-time 10 http://$VIP:$VIP_PORT/who") ||
    pods_fail "a request to the virtual address failed"
  local got
  got=$(grep -c . <<<"$out")
  ((got == n)) || pods_fail "$got answers to $n requests"
  printf '%s\n' "$out"
}

# The proxy read the destination file a second time (the first read is at startup).
reloaded() {
  local n
  n=$(pod_metric client destination_reloads_total 'result="ok"')
  awk -v n="$n" 'BEGIN { exit !(n >= 2) }'
}

main() {
  setup
  local answers count pod
  answers=$(requests "$REQUESTS")
  # Peak-EWMA favours the endpoints that answer fastest, so the shares need not be equal; every
  # endpoint must have some.
  for pod in web-1 web-2 web-3; do
    count=$(grep -cx "$pod" <<<"$answers" || true)
    pods_log "$pod answered $count of $REQUESTS"
    ((count >= 1)) || pods_fail "$pod answered none of $REQUESTS requests to the virtual address"
    expect_metric client eq "$count" request_total 'direction="outbound"' "dst_pod=\"$pod\"" 'dst_namespace="demo"' \
      "target_addr=\"$(pod_ip "$pod"):$APP_PORT\""
  done
  expect_metric client eq "$REQUESTS" response_total 'direction="outbound"' 'status_code="200"'

  # web-2 leaves the service; the proxy sees the file change within two seconds.
  write_destinations web-1 web-3
  wait_for --timeout 10 reloaded || pods_fail "the proxy did not follow the destination file"
  local before
  before=$(pod_metric client request_total 'direction="outbound"' 'dst_pod="web-2"')
  answers=$(requests 30)
  expect_eq "$(grep -cx web-2 <<<"$answers" || true)" 0 "web-2 answers after it left the service"
  expect_metric client eq "$before" request_total 'direction="outbound"' 'dst_pod="web-2"'
  expect_metric client eq "$((REQUESTS + 30))" response_total 'direction="outbound"' 'status_code="200"'
  pods_log "PASS"
}

main "$@"
