#!/usr/bin/env bash
# demo.sh: what `make demo` runs. A small emojivoto on one machine: three pods as network
# namespaces on a private bridge, each with weft-init's iptables rules and a weft-proxy sidecar.
# "vote-bot" sends HTTP/1.1 requests to "web", which calls the gRPC service "voting"; voting runs as
# three replicas (pods voting-1..3) behind the service's virtual address, which no pod owns (as a
# ClusterIP). web's proxy knows the service from its destination file and balances each gRPC call
# over the replicas, although web keeps one HTTP/2 connection. voting refuses votes for the
# doughnut. Every pod has a workload identity from `weft identity` (one trust anchor and issuer per
# run), and the destination files give each endpoint its pod's identity, so every hop between pods
# is mTLS. While the load runs, `weft stat` prints the golden metrics each proxy saw, as
# `linkerd viz stat` would (the success rate of web and voting is below 100%), web's proxy shows
# how many calls each replica got, the proxies' metrics show each hop's verified peer identity,
# and a capture on the bridge shows that no request crosses it in clear.
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
readonly MESH_NS=emojivoto  # the pods' Kubernetes namespace, in their SPIFFE IDs

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
command -v tcpdump >/dev/null ||
  pods_fail "the demo looks at the wire with tcpdump, which is not installed (scripts/install-deps.sh installs it)"

banner() { printf '\n=== %s\n' "$*"; }
indent() { sed 's/^/  /'; }

# The destination files. web's proxy reads voting-destinations.yaml: the voting service at its
# virtual address, over the replicas' pod IPs, with their labels (they become dst_* labels on web's
# outbound metrics) and their identity (so web's proxy talks mTLS to them and checks who answers).
# vote-bot's proxy reads web-destinations.yaml: web at its pod address with web's identity, as a
# cluster's destination service answers for a pod IP.
write_destinations() {
  local file=$PODS_DIR/voting-destinations.yaml i
  {
    echo "services:"
    echo "  - name: voting.$MESH_NS.svc.cluster.local"
    echo "    addresses: [\"$VOTING_VIP:$VOTING_PORT\"]"
    # web sends its calls mostly one at a time, so peak-EWMA ranks the replicas by their
    # estimates alone, and a replica that once answered slowly (a cold Python server, a busy
    # machine) waits out the decay before it is picked again. Linkerd's 10 s decay is longer
    # than the demo's 5 s window; 1 s lets every replica show up in it.
    echo "    balancer: {decay: 1s}"
    echo "    endpoints:"
    for i in $(seq 1 "$VOTING_REPLICAS"); do
      echo "      - addr: \"$(pod_ip "voting-$i"):$VOTING_PORT\""
      echo "        identity: \"$(pod_identity_id "voting-$i")\""
      echo "        labels: {namespace: $MESH_NS, deployment: voting, pod: voting-$i}"
    done
  } >"$file"
  chmod 644 "$file"
  file=$PODS_DIR/web-destinations.yaml
  {
    echo "services:"
    echo "  - name: web.$MESH_NS.svc.cluster.local"
    echo "    addresses: [\"$(pod_ip web):$WEB_PORT\"]"
    echo "    endpoints:"
    echo "      - addr: \"$(pod_ip web):$WEB_PORT\""
    echo "        identity: \"$(pod_identity_id web)\""
    echo "        labels: {namespace: $MESH_NS, deployment: web, pod: web}"
  } >"$file"
  chmod 644 "$file"
  chmod 755 "$PODS_DIR"
}

# Each pod's workload identity: its deployment's service account in the emojivoto namespace (the
# voting replicas share one, as a Deployment's pods do).
issue_identities() {
  local i
  pod_identity vote-bot "$MESH_NS" vote-bot
  pod_identity web "$MESH_NS" web
  for i in $(seq 1 "$VOTING_REPLICAS"); do
    pod_identity "voting-$i" "$MESH_NS" voting
  done
}

# pod_start_meshed_proxy NAME [VAR=VALUE...]: the pod's proxy with its identity.
pod_start_meshed_proxy() {
  pod_start_proxy "$1" "WEFT_PROXY_IDENTITY_DIR=$(pod_identity_dir "$1")" "${@:2}"
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
  issue_identities
  write_destinations
  for pod in vote-bot web "${voting[@]}"; do
    pod_init_iptables "$pod"
  done
  pod_start_meshed_proxy vote-bot "WEFT_PROXY_DESTINATIONS=$PODS_DIR/web-destinations.yaml"
  pod_start_meshed_proxy web "WEFT_PROXY_DESTINATIONS=$PODS_DIR/voting-destinations.yaml"
  for pod in "${voting[@]}"; do
    pod_start_meshed_proxy "$pod"
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
  echo "  each pod: an identity from weft identity, spiffe://cluster.local/ns/$MESH_NS/sa/<vote-bot|web|voting>"
  echo "    (one trust anchor and issuer for this run, in $PODS_DIR/identity; WEFT_PROXY_IDENTITY_DIR)"
  echo "  web's proxy: $VOTING_VIP:$VOTING_PORT is voting.$MESH_NS.svc.cluster.local, its endpoints meshed (WEFT_PROXY_DESTINATIONS)"
  echo "  vote-bot's proxy: $(pod_ip web):$WEB_PORT is web.$MESH_NS.svc.cluster.local, meshed (WEFT_PROXY_DESTINATIONS)"
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

  capture_start
  stat_all
  capture_stop
  banner "weft stat: what each pod served (inbound), over $STAT_INTERVAL while the load runs"
  indent <"$PODS_DIR/stat-inbound.txt"
  banner "weft stat --outbound: what each pod sent, by authority, over the same $STAT_INTERVAL"
  indent <"$PODS_DIR/stat-outbound.txt"
  expect_failures_visible
  expect_stat_tls
  show_balancing
  show_identities
  show_wire
  show_certificate

  pod_wait_pid "$BOT_PID" $((TRAFFIC_SECONDS + 10)) || pods_fail "vote-bot failed: $(cat "$PODS_DIR/vote-bot.log")"
  banner "results"
  echo "  vote-bot: $(tail -n 1 "$PODS_DIR/vote-bot.log")"
  echo "  web logged $(grep -c 'voting answered UNKNOWN' "$PODS_DIR/web.log" || true) votes that voting refused (the doughnut)"
  cat <<EOF
  How to read it: each request crosses two proxies, the caller's (outbound) and the callee's
  (inbound). web and voting show the same failures: voting's gRPC UNKNOWN became web's HTTP 500.
  vote-bot serves nothing, so its inbound row is empty; its outbound row is web seen from the client.
  Between pods every hop is mTLS: the callee's proxy names the caller's verified identity
  (client_id), the caller's names the callee's (server_id), and the bridge carries no request in clear.
EOF

  banner "cleaning up: stopping the proxies and deleting the namespaces"
  pods_cleanup 0
  echo "  done in ${SECONDS}s; the host's network was not touched"
}

# ---- mTLS: how to see it -----------------------------------------------------------------------

# While weft stat measures, tcpdump on the node's bridge records what crosses between the pods.
capture_start() {
  CAPTURE_FILE=$PODS_DIR/bridge.pcap
  node_bg bridge-tcpdump.log tcpdump -i br0 -nn -s 0 -U --immediate-mode -Z root -w "$CAPTURE_FILE" "tcp and not host $PODS_SUBNET.1"
  CAPTURE_PID=$POD_BG_PID
  wait_for grep -q 'listening on' "$PODS_DIR/bridge-tcpdump.log" ||
    pods_fail "tcpdump did not start on the bridge: $(cat "$PODS_DIR/bridge-tcpdump.log")"
}

capture_stop() {
  kill -INT "$CAPTURE_PID"
  pod_wait_pid "$CAPTURE_PID" || pods_fail "tcpdump failed: $(cat "$PODS_DIR/bridge-tcpdump.log")"
}

# weft stat's last column, TLS, is the share of a row's traffic that was mesh TLS: every row that
# had traffic must read 100%.
expect_stat_tls() {
  local file col bad
  for file in "$PODS_DIR/stat-inbound.txt" "$PODS_DIR/stat-outbound.txt"; do
    col=$(awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "TLS") print i }' "$file")
    [[ -n $col ]] || pods_fail "weft stat printed no TLS column: $(head -n 1 "$file")"
    bad=$(awk -v c="$col" 'NR > 1 && $c != "-" && $c != "100%"' "$file")
    [[ -z $bad ]] || pods_fail "weft stat shows traffic that is not mTLS: $bad"
  done
}

# mtls_rows POD: from the pod's request_total (since start), one line per direction, tls label and
# peer: "DIRECTION TLS PEER COUNT", where PEER is client_id=... (inbound), server_id=...
# (outbound), or no_tls_reason=... when the traffic was not mTLS.
mtls_rows() {
  pod_metrics "$1" | awk '
    /^request_total\{/ {
      labels = substr($0, index($0, "{") + 1); labels = substr(labels, 1, index(labels, "}") - 1)
      dir = "?"; tls = "?"; peer = "-"
      n = split(labels, kv, /",/)
      for (i = 1; i <= n; i++) {
        eq = index(kv[i], "="); k = substr(kv[i], 1, eq - 1); v = substr(kv[i], eq + 2); sub(/"$/, "", v)
        if (k == "direction") dir = v
        else if (k == "tls") tls = v
        else if (k == "client_id" || k == "server_id" || k == "no_tls_reason") peer = k "=" v
      }
      sum[dir " " tls " " peer] += $NF
    }
    END { for (key in sum) print key, sum[key] }' | sort
}

# Every request between pods was mTLS, and each proxy knows its peer: vote-bot's proxy talked to
# web, web's was called by vote-bot and called voting, each replica was called by web.
show_identities() {
  banner "mTLS: requests by TLS status and verified peer identity (each proxy's request_total, since start)"
  local pod rows all="" id="spiffe://cluster.local/ns/$MESH_NS/sa"
  printf '  %-9s %-9s %-11s %-58s %s\n' POD DIRECTION TLS PEER REQUESTS
  for pod in vote-bot web $(seq -f 'voting-%g' 1 "$VOTING_REPLICAS"); do
    rows=$(mtls_rows "$pod") || pods_fail "cannot scrape $pod's proxy"
    [[ -z $rows ]] || printf '%s\n' "$rows" | awk -v pod="$pod" '{ printf "  %-9s %-9s %-11s %-58s %s\n", pod, $1, $2, $3, $4 }'
    all+=$(printf '%s\n' "$rows" | sed "s/^/$pod /")$'\n'
  done
  local bad
  bad=$(awk 'NF == 5 && $3 != "true"' <<<"$all")
  [[ -z $bad ]] || pods_fail "requests between pods that were not mTLS: $bad"
  local want=("vote-bot outbound true server_id=$id/web" "web inbound true client_id=$id/vote-bot"
    "web outbound true server_id=$id/voting")
  for pod in $(seq -f 'voting-%g' 1 "$VOTING_REPLICAS"); do want+=("$pod inbound true client_id=$id/web"); done
  local w
  for w in "${want[@]}"; do
    grep -q "^$w [1-9]" <<<"$all" || pods_fail "no mTLS requests counted as: $w"
  done
}

# What the bridge carried while weft stat measured: TCP packets between the pods, and how many of
# them hold a request in clear (vote-bot's HTTP/1.1 path, web's gRPC message to voting).
show_wire() {
  banner "the wire: tcpdump on the bridge br0 (namespace $PODS_NODE_NS) during the same $STAT_INTERVAL"
  local packets clear_http clear_grpc
  packets=$(tcpdump -r "$CAPTURE_FILE" -nn 2>/dev/null | wc -l)
  clear_http=$(grep -a -c -F 'GET /api/' "$CAPTURE_FILE" || true)
  clear_grpc=$(grep -a -c -F '{"emoji":"' "$CAPTURE_FILE" || true)
  echo "  $packets TCP packets between pods (the node's scrapes left out)"
  echo "  $clear_http of them hold 'GET /api/' in clear (vote-bot -> web, HTTP/1.1)"
  echo "  $clear_grpc of them hold '{\"emoji\":\"' in clear (web -> voting, the gRPC messages)"
  ((packets > 0)) || pods_fail "the capture on the bridge saw no packets"
  ((clear_http == 0 && clear_grpc == 0)) || pods_fail "requests crossed the bridge in clear"
  echo "  so no request crossed the bridge readable: every hop between pods is encrypted"
}

# web's certificate, as `weft identity show` reads it from the files its proxy loads.
show_certificate() {
  banner "web's identity: weft identity show --dir $(pod_identity_dir web)"
  "$WEFT_BIN_DIR/weft" identity show --dir "$(pod_identity_dir web)" | indent
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
