#!/usr/bin/env bash
# demo.sh: what `make demo` runs. Three pods (a client and two servers) as network namespaces on a
# private bridge, each with weft-init's iptables rules and a weft-proxy sidecar; the client talks
# to both servers by pod IP (HTTP with curl, and one opaque TCP stream) for a few seconds, and
# `weft stat tcp` shows what each proxy saw. Everything happens inside namespaces this script
# creates and deletes; the host's network is never touched. Needs root. Takes 10 to 20 seconds.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WEFT_BIN_DIR=${WEFT_BIN_DIR:-$REPO_DIR/build/bin}
readonly TRAFFIC_SECONDS=${WEFT_DEMO_SECONDS:-6}
readonly HTTP_PORT=8080 TCP_PORT=9000

if [[ $(id -u) -ne 0 ]]; then
  cat >&2 <<EOF
make demo needs root: it creates network namespaces, veth pairs and iptables rules (all inside
namespaces it creates and then deletes; the host's own network is never changed), and runs each
proxy as UID 2102. Run it as root, e.g.:  sudo make demo   (or: sudo bash scripts/demo.sh)
EOF
  exit 1
fi
if [[ ! -x $WEFT_BIN_DIR/weft ]]; then
  echo "demo: $WEFT_BIN_DIR/weft not found: build first (make build), or set WEFT_BIN_DIR" >&2
  exit 1
fi

# The harness's skip (exit 77) makes no sense for a demo: a missing tool is an error here.
export CI=true
export WEFT_PODS_QUIET=${WEFT_PODS_QUIET:-1}
source "$REPO_DIR/tests/netns/lib/pods.sh"

banner() { printf '\n=== %s\n' "$*"; }

start_pods() {
  banner "pods: client, web and db, joined by a bridge in namespace ${PODS_RUN}-node"
  pod_add client "$PODS_SUBNET.2"
  pod_add web "$PODS_SUBNET.3"
  pod_add db "$PODS_SUBNET.4"
  local pod
  for pod in client web db; do
    pod_init_iptables "$pod"
    pod_start_proxy "$pod"
  done
  mkdir "$PODS_DIR/www"
  head -c 20000 /dev/urandom >"$PODS_DIR/www/page.bin"
  for pod in web db; do
    pod_bg "$pod" "$pod-http.log" "$PODS_PYTHON" -m http.server "$HTTP_PORT" --bind 0.0.0.0 --directory "$PODS_DIR/www"
  done
  pod_bg db db-tcp.log "$PODS_PYTHON" "$PODS_TCP_TOOL" echo-server 0.0.0.0 "$TCP_PORT"
  for pod in web db; do pod_wait_listen "$pod" "$HTTP_PORT"; done
  pod_wait_listen db "$TCP_PORT"
  local web_ip db_ip
  web_ip=$(pod_ip web)
  db_ip=$(pod_ip db)
  printf '  %-7s %-10s %s\n' client "$(pod_ip client)" "curl in a loop; one opaque TCP stream" \
    web "$web_ip" "python3 -m http.server :$HTTP_PORT" \
    db "$db_ip" "python3 -m http.server :$HTTP_PORT, TCP echo :$TCP_PORT"
  echo "  each pod: weft-init rules (nft), weft-proxy as UID 2102, admin on :4191"
}

start_traffic() {
  banner "traffic: ${TRAFFIC_SECONDS}s from client to web and db by pod IP"
  local web_ip db_ip
  web_ip=$(pod_ip web)
  db_ip=$(pod_ip db)
  # A paced loop (10 rounds a second) so that the demo stays light on a small machine.
  pod_bg client curl-loop.log bash -c '
    end=$((SECONDS + '"$TRAFFIC_SECONDS"')); ok=0; failed=0
    while ((SECONDS < end)); do
      for url in "$@"; do
        if curl -fsS --max-time 2 -o /dev/null "$url"; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
      done
      sleep 0.1
    done
    echo "http requests: $ok ok, $failed failed"' \
    curl-loop "http://$web_ip:$HTTP_PORT/page.bin" "http://$db_ip:$HTTP_PORT/page.bin"
  CURL_PID=$POD_BG_PID
  pod_bg client tcp-stream.log "$PODS_PYTHON" "$PODS_TCP_TOOL" client "$db_ip" "$TCP_PORT" \
    --stream-seconds "$TRAFFIC_SECONDS"
  STREAM_PID=$POD_BG_PID
}

# weft stat runs from the node namespace (10.77.0.1), like a Prometheus outside the pods; the
# admin port is never intercepted, so scraping does not show up in the tables.
stat_all() {
  local addrs
  addrs="$(pod_ip client):4191,$(pod_ip web):4191,$(pod_ip db):4191"
  node_exec "$WEFT_BIN_DIR/weft" stat tcp "$addrs" "$@"
}

main() {
  pods_init
  start_pods
  start_traffic
  wait_for expect_traffic_flowing || pods_fail "no traffic reached the client's proxy"

  banner "weft stat tcp (live, while traffic flows; rates over 2s)"
  echo "  pods: client=$(pod_ip client) web=$(pod_ip web) db=$(pod_ip db)"
  stat_all --interval 2s

  pod_wait_pid "$CURL_PID" $((TRAFFIC_SECONDS + 10)) || true
  pod_wait_pid "$STREAM_PID" $((TRAFFIC_SECONDS + 10)) || pods_fail "the TCP stream failed: $(cat "$PODS_DIR/tcp-stream.log")"
  banner "results"
  echo "  $(cat "$PODS_DIR/curl-loop.log")"
  echo "  tcp stream client -> db:$TCP_PORT: $(cat "$PODS_DIR/tcp-stream.log") (echo checked byte for byte)"

  banner "weft stat tcp (totals after the traffic ended)"
  echo "  src = connections the proxy accepted, dst = connections it opened; outbound in the client's"
  echo "  proxy, inbound in the servers'."
  stat_all --interval 0
  banner "cleaning up: stopping the proxies and deleting the namespaces"
  pods_cleanup 0
  echo "  done in ${SECONDS}s; the host's network was not touched"
}

expect_traffic_flowing() {
  [[ $(pod_metric client tcp_open_total 'direction="outbound"') -gt 0 ]]
}

main "$@"
