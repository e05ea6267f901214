#!/usr/bin/env bash
# demo.sh: what `make demo` runs. A small emojivoto on one machine: three pods as network
# namespaces on a private bridge, each with weft-init's iptables rules and a weft-proxy sidecar.
# "vote-bot" sends HTTP/1.1 requests to "web", which calls the gRPC service "voting"; voting runs as
# three replicas (pods voting-1..3) behind the service's virtual address, which no pod owns (as a
# ClusterIP). web's proxy knows the service from its destination file and balances each gRPC call
# over the replicas, although web keeps one HTTP/2 connection. voting refuses votes for the
# doughnut. While the load runs, `weft stat` prints the golden metrics each proxy saw, as
# `linkerd viz stat` would (the success rate of web and voting is below 100%), and web's proxy
# shows how many calls each replica got.
# Everything happens inside namespaces this script creates and deletes; the host's network is
# never touched. Needs root. Takes about 20 seconds.
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APPS_DIR=$REPO_DIR/scripts/demo
export WEFT_BIN_DIR=${WEFT_BIN_DIR:-$REPO_DIR/build/bin}
readonly TRAFFIC_SECONDS=${WEFT_DEMO_SECONDS:-10}
readonly STAT_INTERVAL=${WEFT_DEMO_STAT_INTERVAL:-5s}
readonly RATE=${WEFT_DEMO_RATE:-20}
readonly WEB_PORT=8080 VOTING_PORT=8080
readonly VOTING_VIP=10.96.0.20 VOTING_REPLICAS=3

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
"$PODS_PYTHON" -c 'import grpc' 2>/dev/null ||
  pods_fail "the demo's apps need python3-grpcio ($PODS_PYTHON -c 'import grpc' failed; scripts/install-deps.sh installs it)"

banner() { printf '\n=== %s\n' "$*"; }
indent() { sed 's/^/  /'; }

# The destination file web's proxy reads: the voting service at its virtual address, over the
# replicas' pod IPs, with their labels (they become dst_* labels on web's outbound metrics).
write_destinations() {
  local file=$PODS_DIR/destinations.yaml i
  {
    echo "services:"
    echo "  - name: voting.emojivoto.svc.cluster.local"
    echo "    addresses: [\"$VOTING_VIP:$VOTING_PORT\"]"
    echo "    endpoints:"
    for i in $(seq 1 "$VOTING_REPLICAS"); do
      echo "      - addr: \"$(pod_ip "voting-$i"):$VOTING_PORT\""
      echo "        labels: {namespace: emojivoto, deployment: voting, pod: voting-$i}"
    done
  } >"$file"
  chmod 755 "$PODS_DIR"
  chmod 644 "$file"
}

start_pods() {
  banner "pods: vote-bot, web and voting-1..$VOTING_REPLICAS, joined by a bridge in namespace ${PODS_RUN}-node"
  pod_add vote-bot "$PODS_SUBNET.2"
  pod_add web "$PODS_SUBNET.3"
  local pod i voting=()
  for i in $(seq 1 "$VOTING_REPLICAS"); do
    pod_add "voting-$i" "$PODS_SUBNET.$((3 + i))"
    voting+=("voting-$i")
  done
  write_destinations
  for pod in vote-bot web "${voting[@]}"; do
    pod_init_iptables "$pod"
  done
  pod_start_proxy vote-bot
  pod_start_proxy web "WEFT_PROXY_DESTINATIONS=$PODS_DIR/destinations.yaml"
  for pod in "${voting[@]}"; do
    pod_start_proxy "$pod"
  done
  # The apps run as root in their pods, so all their TCP goes through the proxies. web knows
  # voting only by its virtual address, as an app knows a Service.
  for pod in "${voting[@]}"; do
    pod_bg "$pod" "$pod.log" "$PODS_PYTHON" "$APPS_DIR/voting.py" --port "$VOTING_PORT"
  done
  pod_bg web web.log "$PODS_PYTHON" "$APPS_DIR/web.py" --port "$WEB_PORT" \
    --voting "$VOTING_VIP:$VOTING_PORT"
  for pod in "${voting[@]}"; do
    pod_wait_listen "$pod" "$VOTING_PORT"
  done
  pod_wait_listen web "$WEB_PORT"
  printf '  %-9s %-10s %s\n' \
    vote-bot "$(pod_ip vote-bot)" "vote_bot.py: $RATE HTTP/1.1 requests/s to web, on one keep-alive connection" \
    web "$(pod_ip web)" "web.py: HTTP/1.1 on :$WEB_PORT; each vote is a gRPC call to voting at $VOTING_VIP:$VOTING_PORT"
  for pod in "${voting[@]}"; do
    printf '  %-9s %-10s %s\n' "$pod" "$(pod_ip "$pod")" "voting.py: gRPC on :$VOTING_PORT; a vote for the doughnut fails (UNKNOWN)"
  done
  echo "  each pod: weft-init rules (nft), weft-proxy as UID 2102, admin on :4191"
  echo "  web's proxy: $VOTING_VIP:$VOTING_PORT is voting.emojivoto.svc.cluster.local (WEFT_PROXY_DESTINATIONS)"
}

start_traffic() {
  banner "traffic: vote-bot -> web (HTTP/1.1) -> voting (gRPC) for ${TRAFFIC_SECONDS}s"
  pod_bg vote-bot vote-bot.log "$PODS_PYTHON" "$APPS_DIR/vote_bot.py" "$(pod_ip web):$WEB_PORT" \
    --rate "$RATE" --seconds "$TRAFFIC_SECONDS"
  BOT_PID=$POD_BG_PID
}

# weft stat runs from the node namespace (10.77.0.1), like a Prometheus outside the pods; the
# admin port is never intercepted, so scraping does not show up in the tables. The inbound and
# outbound tables are taken at the same time, over the same window.
stat_all() {
  local targets=("vote-bot=$(pod_ip vote-bot):4191" "web=$(pod_ip web):4191") i
  for i in $(seq 1 "$VOTING_REPLICAS"); do
    targets+=("voting-$i=$(pod_ip "voting-$i"):4191")
  done
  node_exec "$WEFT_BIN_DIR/weft" stat --interval "$STAT_INTERVAL" "${targets[@]}" >"$PODS_DIR/stat-inbound.txt" &
  local inbound=$!
  node_exec "$WEFT_BIN_DIR/weft" stat --outbound --interval "$STAT_INTERVAL" "${targets[@]}" \
    >"$PODS_DIR/stat-outbound.txt" &
  local outbound=$!
  wait "$inbound" || pods_fail "weft stat failed"
  wait "$outbound" || pods_fail "weft stat --outbound failed"
}

# The success rate of a row of the inbound table, without the "%" ("-" when it had no requests).
success_of() {
  awk -v name="$1" '$1 == name { sub(/%$/, "", $2); print $2 }' "$PODS_DIR/stat-inbound.txt"
}

# web's success rate is below 100%, and so is at least one voting replica's (the doughnut votes
# are spread over the three, so in a short window one replica may have drawn none).
expect_failures_visible() {
  local pod rate failing=0
  for pod in web $(seq -f 'voting-%g' 1 "$VOTING_REPLICAS"); do
    rate=$(success_of "$pod")
    [[ $rate != - && -n $rate ]] || pods_fail "weft stat shows no requests for $pod"
    if awk -v r="$rate" 'BEGIN { exit !(r < 100) }'; then
      [[ $pod == web ]] || failing=1
    elif [[ $pod == web ]]; then
      pods_fail "weft stat shows web at $rate% success; the doughnut votes should fail"
    fi
  done
  ((failing)) || pods_fail "weft stat shows every voting replica at 100% success; the doughnut votes should fail"
}

main() {
  pods_init
  start_pods
  start_traffic
  wait_for expect_voting_busy || pods_fail "no gRPC request reached voting's proxy: $(cat "$PODS_DIR/vote-bot.log")"

  stat_all
  banner "weft stat: what each pod served (inbound), over $STAT_INTERVAL while the load runs"
  indent <"$PODS_DIR/stat-inbound.txt"
  banner "weft stat --outbound: what each pod sent, by authority, over the same $STAT_INTERVAL"
  indent <"$PODS_DIR/stat-outbound.txt"
  expect_failures_visible
  show_balancing

  pod_wait_pid "$BOT_PID" $((TRAFFIC_SECONDS + 10)) || pods_fail "vote-bot failed: $(cat "$PODS_DIR/vote-bot.log")"
  banner "results"
  echo "  vote-bot: $(tail -n 1 "$PODS_DIR/vote-bot.log")"
  echo "  web logged $(grep -c 'voting answered UNKNOWN' "$PODS_DIR/web.log" || true) votes that voting refused (the doughnut)"
  cat <<EOF
  How to read it: each request crosses two proxies, the caller's (outbound) and the callee's
  (inbound). web and voting show the same failures: voting's gRPC UNKNOWN became web's HTTP 500.
  vote-bot serves nothing, so its inbound row is empty; its outbound row is web seen from the client.
EOF

  banner "cleaning up: stopping the proxies and deleting the namespaces"
  pods_cleanup 0
  echo "  done in ${SECONDS}s; the host's network was not touched"
}

expect_voting_busy() {
  [[ $(pod_metric voting-1 request_total 'direction="inbound"') -gt 0 ]]
}

# web's proxy balances every gRPC call on its own: the calls each replica got, by its dst_pod
# label, from web's outbound request_total. Every replica must have a share.
show_balancing() {
  banner "balancing: gRPC calls web's proxy sent to each voting replica (request_total by dst_pod)"
  local i count total=0 counts=()
  for i in $(seq 1 "$VOTING_REPLICAS"); do
    count=$(pod_metric web request_total 'direction="outbound"' "dst_pod=\"voting-$i\"")
    counts+=("$count")
    total=$((total + count))
  done
  for i in $(seq 1 "$VOTING_REPLICAS"); do
    count=${counts[$((i - 1))]}
    printf '  voting-%d  %6d calls  %5.1f%%\n' "$i" "$count" "$(awk -v c="$count" -v t="$total" 'BEGIN { print t ? 100 * c / t : 0 }')"
    ((count > 0)) || pods_fail "voting-$i got no calls: web's proxy did not balance"
  done
}

main "$@"
