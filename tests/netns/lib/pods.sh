# pods.sh: "pods" as network namespaces, for weft's netns tests and `make demo`. Source it.
#
# Each run builds its own little cluster: a namespace holding a bridge (the "node", which also owns
# the observer address <subnet>.1) and one namespace per pod, joined to the bridge by a veth pair
# created directly inside the two namespaces. Pods get addresses in 10.77.0.0/24 that exist only
# inside these namespaces (and, for dual-stack pods, IPv6 addresses in fd77::/64, see pod_add).
# weft-init writes its iptables rules inside a pod; weft-proxy runs there
# as UID 2102; applications talk to each other by pod IP, as in a cluster.
#
# Safety: nothing here runs iptables, nft, sysctl or `ip link/addr` in the host's own network
# namespace. Every namespace name carries the run's PID, so parallel or leftover runs never
# collide. pods_cleanup (installed on EXIT, INT and TERM) kills exactly the PIDs this run started,
# by PID, and deletes exactly the namespaces it created. See docs/netns-harness.md.

PODS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PODS_REPO_DIR=$(cd "$PODS_LIB_DIR/../../.." && pwd)
WEFT_BIN_DIR=${WEFT_BIN_DIR:-$PODS_REPO_DIR/build/bin}
PODS_PROXY_UID=${PODS_PROXY_UID:-2102}
PODS_IPTABLES_MODE=${WEFT_PODS_IPTABLES_MODE:-nft}
PODS_SUBNET=${WEFT_PODS_SUBNET:-10.77.0}  # a /24: .1 is the node (bridge), pods take .2 to .254
# IPv6 (dual-stack pods only): "$PODS_SUBNET6:2" is fd77::2 in fd77::/64; the node is "$PODS_SUBNET6:1".
PODS_SUBNET6=${WEFT_PODS_SUBNET6:-fd77:}
PODS_TIMEOUT=${WEFT_PODS_TIMEOUT:-10}     # seconds any single wait may take
PODS_PYTHON=/usr/bin/python3
PODS_TCP_TOOL=$PODS_LIB_DIR/tcp_tool.py

PODS_RUN=""        # "weft<pid>": prefix of every namespace of this run
PODS_DIR=""        # scratch directory: logs, payloads
PODS_NODE_NS=""    # the namespace that holds the bridge
POD_BG_PID=""      # PID of the last pod_bg / pod_start_proxy
_PODS_NAMESPACES=()
_PODS_PIDS=()
_PODS_CLEANED=0
_PODS_START=$SECONDS
_PODS_NODE_IPV6=0  # 1 once the node's bridge has its IPv6 address
declare -A _POD_NS=() _POD_IP=() _POD_IP6=() _POD_ADMIN=() _POD_PROXY_PID=()

# ---- messages and outcomes -------------------------------------------------------------------

# Progress lines on stderr; WEFT_PODS_QUIET=1 silences them (failures are always printed).
pods_log() {
  [[ ${WEFT_PODS_QUIET:-0} == 1 ]] || echo "[pods +$((SECONDS - _PODS_START))s] $*" >&2
}

# Fails the test: prints the reason and exits 1 (the EXIT trap cleans up).
pods_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Skips the test (exit 77, which CTest reports as skipped), except under CI=true, where a skip
# would hide a broken environment: there it fails.
pods_skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: cannot run: $* (CI=true: a skip is a failure)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

# Checks everything a run needs; skips (or fails under CI) with the reason otherwise.
pods_require() {
  [[ $(id -u) -eq 0 ]] || pods_skip "needs root (network namespaces, veth pairs, iptables inside them)"
  command -v ip >/dev/null || pods_skip "'ip' (iproute2) not found"
  ip netns list >/dev/null 2>&1 || pods_skip "'ip netns' is not available"
  command -v setpriv >/dev/null || pods_skip "'setpriv' (util-linux) not found"
  local tool
  for tool in curl ss "iptables-$PODS_IPTABLES_MODE" "$PODS_PYTHON"; do
    command -v "$tool" >/dev/null || pods_skip "'$tool' not found"
  done
  for tool in weft-proxy weft-init; do
    [[ -x $WEFT_BIN_DIR/$tool ]] || pods_fail "$WEFT_BIN_DIR/$tool not built (set WEFT_BIN_DIR or build it)"
  done
}

# ---- waiting ----------------------------------------------------------------------------------

# wait_for [--timeout SECS] CMD [ARGS...] [--timeout SECS]
# Runs CMD every 0.1 s until it succeeds (returns 0) or the deadline passes (returns 1).
wait_for() {
  local timeout=$PODS_TIMEOUT
  if [[ ${1:-} == --timeout ]]; then
    timeout=$2
    shift 2
  elif (($# >= 2)) && [[ ${@: -2:1} == --timeout ]]; then
    timeout=${@: -1}
    set -- "${@:1:$(($# - 2))}"
  fi
  local deadline=$(($(_pods_now_ms) + timeout * 1000))
  while true; do
    if "$@"; then return 0; fi
    (($(_pods_now_ms) < deadline)) || return 1
    sleep 0.1
  done
}

# Milliseconds since the epoch, without a fork.
_pods_now_ms() {
  local us=${EPOCHREALTIME/[.,]/}
  echo $((us / 1000))
}

_pods_alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [[ -n $state && $state != Z ]]
}

# ---- the cluster ------------------------------------------------------------------------------

_pods_netns_add() {
  local err
  if ! err=$(ip netns add "$1" 2>&1); then
    if ((${#_PODS_NAMESPACES[@]} == 0)); then pods_skip "cannot create a network namespace: $err"; fi
    pods_fail "ip netns add $1: $err"
  fi
  _PODS_NAMESPACES+=("$1")
}

# pods_init: checks the environment, installs the cleanup traps and creates the node namespace
# with its bridge. Call once, before anything else.
pods_init() {
  pods_require
  PODS_RUN="weft$$"
  PODS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/weft-pods.$$.XXXXXX")
  chmod 755 "$PODS_DIR"  # the proxy (UID 2102) and apps read payloads from here
  trap '_pods_on_exit' EXIT
  trap '_pods_on_signal INT 130' INT
  trap '_pods_on_signal TERM 143' TERM
  PODS_NODE_NS="$PODS_RUN-node"
  _pods_netns_add "$PODS_NODE_NS"
  ip -n "$PODS_NODE_NS" link set lo up
  ip -n "$PODS_NODE_NS" link add br0 type bridge
  ip -n "$PODS_NODE_NS" addr add "$PODS_SUBNET.1/24" dev br0
  ip -n "$PODS_NODE_NS" link set br0 up
  pods_log "run $PODS_RUN: node namespace $PODS_NODE_NS ($PODS_SUBNET.1), logs in $PODS_DIR"
}

# pod_add NAME IP [IP6]: a pod namespace with lo up and eth0 = IP/24 on the node's bridge. With
# IP6 (e.g. "$PODS_SUBNET6:3", i.e. fd77::3) the pod is dual-stack: eth0 also gets IP6/64 (see
# _pods_add_ipv6).
pod_add() {
  local name=$1 ip=$2 ip6=${3:-}
  [[ $name =~ ^[a-z][a-z0-9-]*$ ]] || pods_fail "pod_add: bad pod name '$name'"
  [[ -z ${_POD_NS[$name]:-} ]] || pods_fail "pod_add: pod '$name' already exists"
  local ns="$PODS_RUN-$name" port="veth${#_POD_NS[@]}"
  _pods_netns_add "$ns"
  # Both ends are created inside their namespaces: nothing ever appears in the host's.
  ip link add eth0 netns "$ns" type veth peer name "$port" netns "$PODS_NODE_NS"
  ip -n "$PODS_NODE_NS" link set "$port" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$PODS_SUBNET.1"
  _POD_NS[$name]=$ns
  _POD_IP[$name]=$ip
  _POD_ADMIN[$name]=4191
  if [[ -n $ip6 ]]; then
    _pods_add_ipv6 "$name" "$ns" "$ip6"
    pods_log "pod $name: namespace $ns, $ip and $ip6"
  else
    pods_log "pod $name: namespace $ns, $ip"
  fi
}

# pods_require_ipv6: skips (fails under CI) when the kernel has no IPv6 or ip6tables of the mode
# is missing. Called by pod_add for a dual-stack pod; a test may call it first to skip early.
pods_require_ipv6() {
  [[ -d /proc/sys/net/ipv6 ]] || pods_skip "the kernel has no IPv6 (ipv6.disable=1 or no ipv6 module)"
  command -v "ip6tables-$PODS_IPTABLES_MODE" >/dev/null || pods_skip "'ip6tables-$PODS_IPTABLES_MODE' not found"
}

# Enables IPv6 in a namespace this run created, if it is disabled there (a new namespace starts
# with the kernel's IPv6 defaults, so this is normally a no-op). Never the host's namespace.
_pods_enable_ipv6() {
  local ns=$1 dev key
  _pods_owns_ns "$ns" || pods_fail "refusing to change IPv6 settings of namespace '$ns': not created by this run"
  for dev in all default "${@:2}"; do
    key=net.ipv6.conf.$dev.disable_ipv6
    if [[ $(ip netns exec "$ns" sysctl -n "$key" 2>/dev/null) != 0 ]]; then
      ip netns exec "$ns" sysctl -q -w "$key=0" >/dev/null || pods_fail "cannot enable IPv6 in namespace $ns ($key)"
    fi
  done
}

_pods_owns_ns() {
  local ns
  for ns in "${_PODS_NAMESPACES[@]}"; do [[ $ns == "$1" ]] && return 0; done
  return 1
}

# The node's bridge gets "$PODS_SUBNET6:1/64" the first time a dual-stack pod is added.
_pods_node_ipv6() {
  ((_PODS_NODE_IPV6 == 0)) || return 0
  pods_require_ipv6
  _pods_enable_ipv6 "$PODS_NODE_NS" lo br0
  ip -n "$PODS_NODE_NS" -6 addr add "$PODS_SUBNET6:1/64" dev br0 nodad
  _PODS_NODE_IPV6=1
}

# eth0 gets IP6/64 with `nodad`: no duplicate address detection, so the address is usable at once
# instead of "tentative" for a second or more (the addresses exist only in this run's namespaces,
# so there is nothing to collide with). The default IPv6 route points at the node, like IPv4's.
_pods_add_ipv6() {
  local name=$1 ns=$2 ip6=$3
  [[ $ip6 == *:* && $ip6 != */* ]] || pods_fail "pod_add: bad IPv6 address '$ip6' (expected e.g. $PODS_SUBNET6:3)"
  _pods_node_ipv6
  _pods_enable_ipv6 "$ns" lo eth0
  ip -n "$ns" -6 addr add "$ip6/64" dev eth0 nodad || pods_fail "pod_add: cannot add $ip6/64 to pod $name"
  ip -n "$ns" -6 route add default via "$PODS_SUBNET6:1" dev eth0
  _POD_IP6[$name]=$ip6
  wait_for _pods_ipv6_ready "$ns" "$ip6" || pods_fail "pod $name: IPv6 address $ip6 or ::1 not usable"
}

# Both the pod address and ::1 are configured and not tentative.
_pods_ipv6_ready() {
  local ns=$1 ip6=$2
  [[ -n $(ip -n "$ns" -6 addr show dev eth0 to "$ip6/128" -tentative 2>/dev/null) ]] &&
    [[ -n $(ip -n "$ns" -6 addr show dev lo to ::1/128 2>/dev/null) ]]
}

_pod_ns() {
  [[ -n ${_POD_NS[$1]:-} ]] || pods_fail "no pod named '$1'"
  echo "${_POD_NS[$1]}"
}

pod_ip() {
  [[ -n ${_POD_IP[$1]:-} ]] || pods_fail "no pod named '$1'"
  echo "${_POD_IP[$1]}"
}

pod_netns() { _pod_ns "$1"; }

# pod_ip6 NAME: the pod's IPv6 address (fails unless the pod was added dual-stack).
pod_ip6() {
  [[ -n ${_POD_NS[$1]:-} ]] || pods_fail "no pod named '$1'"
  [[ -n ${_POD_IP6[$1]:-} ]] || pods_fail "pod '$1' has no IPv6 address (pod_add NAME IP IP6)"
  echo "${_POD_IP6[$1]}"
}

# pod_exec NAME CMD...: runs CMD inside the pod (as root, so its TCP is intercepted).
pod_exec() {
  local ns
  ns=$(_pod_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# pod_exec_as_proxy NAME CMD...: runs CMD inside the pod as the proxy's UID (never intercepted).
pod_exec_as_proxy() {
  local ns
  ns=$(_pod_ns "$1")
  shift
  ip netns exec "$ns" setpriv --reuid "$PODS_PROXY_UID" --regid "$PODS_PROXY_UID" --clear-groups "$@"
}

# pod_sysctl NAME KEY=VALUE...: sets net.* sysctls inside the pod's namespace, e.g.
# net.ipv6.bindv6only=1. Only net.* keys are accepted: inside a namespace other than the host's,
# those are the namespace's own, so nothing outside this run changes.
pod_sysctl() {
  local name=$1 ns kv
  ns=$(_pod_ns "$name")
  shift
  _pods_owns_ns "$ns" || pods_fail "pod_sysctl: namespace '$ns' was not created by this run"
  for kv in "$@"; do
    [[ $kv =~ ^net\.[a-z0-9_.-]+=[^=]*$ ]] || pods_fail "pod_sysctl: expected net.KEY=VALUE, got '$kv'"
    ip netns exec "$ns" sysctl -q -w "$kv" >/dev/null || pods_fail "pod_sysctl: cannot set $kv in pod $name"
  done
  pods_log "pod $name: sysctl $*"
}

# node_exec CMD...: runs CMD in the node namespace, from <subnet>.1: a vantage point outside every
# pod (what Prometheus or an operator would see), with no iptables rules of its own.
node_exec() { ip netns exec "$PODS_NODE_NS" "$@"; }

_pods_logfile() {
  if [[ $1 == /* ]]; then echo "$1"; else echo "$PODS_DIR/$1"; fi
}

# pod_bg NAME LOGFILE CMD...: starts CMD in the background inside the pod, output to LOGFILE
# (relative paths are under $PODS_DIR). Sets POD_BG_PID; pods_cleanup kills it.
pod_bg() {
  local ns log
  ns=$(_pod_ns "$1")
  log=$(_pods_logfile "$2")
  shift 2
  # `ip netns exec` execs CMD in place, so $! is CMD's own PID.
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  POD_BG_PID=$!
  _PODS_PIDS+=("$POD_BG_PID")
}

# node_bg LOGFILE CMD...: starts CMD in the background in the node namespace (where the bridge
# is: a capture there sees every packet between pods), output to LOGFILE (relative paths are under
# $PODS_DIR). Sets POD_BG_PID; pods_cleanup kills it.
node_bg() {
  local log
  log=$(_pods_logfile "$1")
  shift
  ip netns exec "$PODS_NODE_NS" "$@" >"$log" 2>&1 </dev/null &
  POD_BG_PID=$!
  _PODS_PIDS+=("$POD_BG_PID")
}

# pod_wait_listen NAME PORT: waits until something in the pod listens on TCP PORT (no connection
# is made, so no proxy counts it).
pod_wait_listen() {
  local name=$1 port=$2
  wait_for _pod_listening "$name" "$port" || pods_fail "nothing listens on port $port in pod $name"
}

_pod_listening() {
  [[ -n $(pod_exec "$1" ss -Hltn "sport = :$2") ]]
}

# pod_wait_pid PID [TIMEOUT]: waits for a background process of this run to exit; returns its
# exit status, or fails the test if it is still running at the deadline.
pod_wait_pid() {
  local pid=$1 timeout=${2:-$PODS_TIMEOUT}
  wait_for --timeout "$timeout" _pods_not_alive "$pid" || pods_fail "process $pid still running after ${timeout}s"
  local rc=0
  wait "$pid" || rc=$?
  return "$rc"
}

_pods_not_alive() { ! _pods_alive "$1"; }

# ---- weft-init and weft-proxy -----------------------------------------------------------------

# pod_init_iptables NAME [EXTRA WEFT-INIT FLAGS...]: runs the real weft-init for the pod, with
# Linkerd's chart arguments. weft-init is itself started inside the pod as well as given --netns,
# so that even a weft-init that ignored --netns could never touch the host's rules. An IPv4-only
# pod gets --ipv6=false; a dual-stack pod gets weft-init's default (--ipv6 true: ip6tables rules
# too), and then must have the IPv6 chains as well.
pod_init_iptables() {
  local name=$1 ns log ipv6_flag=() tables=(iptables)
  shift
  ns=$(_pod_ns "$name")
  log="$PODS_DIR/$name-init.log"
  if [[ -n ${_POD_IP6[$name]:-} ]]; then
    tables+=(ip6tables)
  else
    ipv6_flag=(--ipv6=false)
  fi
  if ! ip netns exec "$ns" "$WEFT_BIN_DIR/weft-init" \
      --incoming-proxy-port 4143 --outgoing-proxy-port 4140 --proxy-uid "$PODS_PROXY_UID" \
      --iptables-mode "$PODS_IPTABLES_MODE" "${ipv6_flag[@]}" --netns "/run/netns/$ns" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    pods_fail "weft-init failed in pod $name"
  fi
  local t
  for t in "${tables[@]}"; do
    ip netns exec "$ns" "$t-$PODS_IPTABLES_MODE-save" -t nat >>"$log" 2>&1 || true
    pod_exec "$name" "$t-$PODS_IPTABLES_MODE" -t nat -S PROXY_INIT_OUTPUT >/dev/null 2>&1 ||
      pods_fail "weft-init left no $t PROXY_INIT_OUTPUT chain in pod $name (see $log)"
  done
  pods_log "pod $name: ${tables[*]} installed ($*)"
}

# pod_start_proxy NAME [VAR=VALUE...]: runs weft-proxy inside the pod as UID 2102 (so its own
# connections are not intercepted), logging to $PODS_DIR/NAME-proxy.log, and waits for /ready.
# A dual-stack pod's proxy listens as docs/config.md says (inbound [::]:4143, outbound
# 127.0.0.1:4140 and [::1]:4140) unless VAR=VALUE says otherwise.
pod_start_proxy() {
  local name=$1 ns log arg dual=()
  shift
  ns=$(_pod_ns "$name")
  log="$PODS_DIR/$name-proxy.log"
  if [[ -n ${_POD_IP6[$name]:-} ]]; then
    dual=("WEFT_PROXY_INBOUND_LISTEN_ADDR=[::]:4143" "WEFT_PROXY_OUTBOUND_LISTEN_ADDRS=127.0.0.1:4140,[::1]:4140")
  fi
  for arg in "$@"; do
    if [[ $arg == WEFT_PROXY_ADMIN_LISTEN_ADDR=* ]]; then _POD_ADMIN[$name]=${arg##*:}; fi
  done
  ip netns exec "$ns" setpriv --reuid "$PODS_PROXY_UID" --regid "$PODS_PROXY_UID" --clear-groups \
    env WEFT_PROXY_LOG=${PODS_PROXY_LOG:-info} WEFT_PROXY_SHUTDOWN_GRACE_PERIOD=2s "${dual[@]}" "$@" "$WEFT_BIN_DIR/weft-proxy" \
    >"$log" 2>&1 </dev/null &
  local pid=$!
  _PODS_PIDS+=("$pid")
  _POD_PROXY_PID[$name]=$pid
  POD_BG_PID=$pid
  local deadline=$(($(_pods_now_ms) + PODS_TIMEOUT * 1000))
  until pod_exec "$name" curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:${_POD_ADMIN[$name]}/ready" 2>/dev/null; do
    if ! _pods_alive "$pid"; then
      cat "$log" >&2
      pods_fail "weft-proxy exited during startup in pod $name"
    fi
    (($(_pods_now_ms) < deadline)) || { cat "$log" >&2; pods_fail "weft-proxy in pod $name not ready after ${PODS_TIMEOUT}s"; }
    sleep 0.1
  done
  pods_log "pod $name: weft-proxy ready (pid $pid)"
}

pod_proxy_pid() { echo "${_POD_PROXY_PID[$1]:-}"; }

# pod_stop_proxy NAME: SIGTERM, then waits for the drain; returns the proxy's exit status.
pod_stop_proxy() {
  local pid=${_POD_PROXY_PID[$1]:-}
  [[ -n $pid ]] || pods_fail "no proxy running in pod $1"
  kill -TERM "$pid"
  pod_wait_pid "$pid" "$PODS_TIMEOUT"
}

# ---- workload identity ------------------------------------------------------------------------

PODS_TRUST_DOMAIN=cluster.local
_PODS_ID_ROOT=""   # $PODS_DIR/identity once pods_identity_init ran
declare -A _POD_ID=()

# pods_identity_init: one trust anchor (cluster.local) and one issuer for this run, made by the
# real `weft identity` under $PODS_DIR/identity/{anchor,issuer}. Their keys stay root-only.
pods_identity_init() {
  local weft=$WEFT_BIN_DIR/weft out
  [[ -x $weft ]] || pods_fail "$weft not built (weft identity makes the certificates)"
  _PODS_ID_ROOT=$PODS_DIR/identity
  mkdir -p "$_PODS_ID_ROOT"
  chmod 755 "$_PODS_ID_ROOT"
  out=$("$weft" identity trust-anchor --dir "$_PODS_ID_ROOT/anchor" --trust-domain "$PODS_TRUST_DOMAIN" 2>&1) ||
    pods_fail "weft identity trust-anchor: $out"
  out=$("$weft" identity issuer --ca-dir "$_PODS_ID_ROOT/anchor" --dir "$_PODS_ID_ROOT/issuer" 2>&1) ||
    pods_fail "weft identity issuer: $out"
  pods_log "identity: trust anchor and issuer for $PODS_TRUST_DOMAIN in $_PODS_ID_ROOT"
}

# pod_identity NAME NAMESPACE SERVICEACCOUNT [LIFETIME]: issues the pod's workload certificate,
# spiffe://cluster.local/ns/NAMESPACE/sa/SERVICEACCOUNT, into pod_identity_dir NAME (tls.crt,
# tls.key, ca.crt, as csi-driver-spiffe writes them), owned by the proxy's UID so that it can read
# its key. Pass WEFT_PROXY_IDENTITY_DIR=$(pod_identity_dir NAME) to pod_start_proxy.
pod_identity() {
  local name=$1 id="spiffe://$PODS_TRUST_DOMAIN/ns/$2/sa/$3" lifetime=${4:-24h} dir out
  _pod_ns "$name" >/dev/null
  [[ -n $_PODS_ID_ROOT ]] || pods_identity_init
  dir=$_PODS_ID_ROOT/$name
  out=$("$WEFT_BIN_DIR/weft" identity issue --issuer-dir "$_PODS_ID_ROOT/issuer" --id "$id" --dir "$dir" \
    --lifetime "$lifetime" 2>&1) || pods_fail "weft identity issue $id: $out"
  chown -R "$PODS_PROXY_UID:$PODS_PROXY_UID" "$dir"
  _POD_ID[$name]=$id
  pods_log "pod $name: identity $id in $dir"
}

pod_identity_dir() {
  [[ -n ${_POD_ID[$1]:-} ]] || pods_fail "pod '$1' has no identity (pod_identity NAME NS SA)"
  echo "$_PODS_ID_ROOT/$1"
}

# pod_identity_id NAME: the pod's SPIFFE ID.
pod_identity_id() {
  [[ -n ${_POD_ID[$1]:-} ]] || pods_fail "pod '$1' has no identity (pod_identity NAME NS SA)"
  echo "${_POD_ID[$1]}"
}

# pod_server_name NAME: the TLS server name (SNI) of the pod's identity,
# <sa>.<ns>.serviceaccount.identity.<trust-domain>.
pod_server_name() {
  local id rest ns sa
  id=$(pod_identity_id "$1")
  rest=${id#spiffe://"$PODS_TRUST_DOMAIN"/ns/}
  ns=${rest%%/sa/*}
  sa=${rest#*/sa/}
  echo "$sa.$ns.serviceaccount.identity.$PODS_TRUST_DOMAIN"
}

# ---- metrics ----------------------------------------------------------------------------------

# pod_metrics NAME: the proxy's /metrics, fetched from inside the pod over loopback (which no rule
# intercepts, so scraping never changes the counters).
pod_metrics() {
  pod_exec "$1" curl -fsS --max-time 5 "http://127.0.0.1:${_POD_ADMIN[$1]}/metrics"
}

# metric_sum METRIC [key="value"...] < metrics-text: the sum of METRIC's samples whose labels
# include every given pair (0 when none match). Prints an integer.
metric_sum() {
  local name=$1
  shift
  local matchers=""
  (($# == 0)) || matchers=$(printf '%s\034' "$@")
  awk -v want="$name" -v matchers="$matchers" '
    BEGIN { n = split(matchers, m, "\034") - 1; sum = 0 }
    /^#/ { next }
    {
      line = $0; brace = index(line, "{")
      if (brace > 0) {
        metric = substr(line, 1, brace - 1)
        rest = substr(line, brace + 1); close_at = index(rest, "}")
        labels = "," substr(rest, 1, close_at - 1) ","
        rest = substr(rest, close_at + 1)
      } else {
        split(line, parts, /[ \t]+/); metric = parts[1]; labels = ","; rest = substr(line, length(metric) + 1)
      }
      if (metric != want) next
      for (i = 1; i <= n; i++) if (index(labels, "," m[i] ",") == 0) next
      split(rest, v, /[ \t]+/); value = (v[1] == "") ? v[2] : v[1]
      sum += value
    }
    END { printf "%.0f\n", sum }'
}

# pod_metric NAME METRIC [key="value"...]: metric_sum over a fresh scrape of the pod's proxy.
pod_metric() {
  local name=$1
  shift
  local text
  text=$(pod_metrics "$name") || pods_fail "cannot scrape the proxy of pod $name"
  metric_sum "$@" <<<"$text"
}

_pods_compare() {
  case $2 in
    eq) (($1 == $3)) ;; ge) (($1 >= $3)) ;; gt) (($1 > $3)) ;; le) (($1 <= $3)) ;;
    *) pods_fail "unknown comparison '$2'" ;;
  esac
}

_pods_metric_is() {
  _PODS_LAST_VALUE=$(pod_metric "$1" "${@:4}") || return 1
  _pods_compare "$_PODS_LAST_VALUE" "$2" "$3"
}

# expect_metric NAME OP VALUE METRIC [key="value"...]: waits (up to PODS_TIMEOUT) until the sum of
# the matching samples compares OP (eq, ge, gt, le) to VALUE; fails the test, showing the
# family's samples, if it never does. Counters move as data flows, so a wait is needed.
expect_metric() {
  local name=$1 op=$2 value=$3 metric=$4
  local what="pod $name: $metric{$(IFS=,; echo "${*:5}")} $op $value"
  if wait_for _pods_metric_is "$@"; then
    pods_log "ok: $what (got $_PODS_LAST_VALUE)"
    return 0
  fi
  echo "--- $metric in pod $name's proxy:" >&2
  pod_metrics "$name" | grep "^$metric" >&2 || true
  pods_fail "$what: got $_PODS_LAST_VALUE"
}

# expect_eq ACTUAL EXPECTED WHAT: a plain assertion.
expect_eq() {
  [[ $1 == "$2" ]] || pods_fail "$3: expected '$2', got '$1'"
  pods_log "ok: $3 ($1)"
}

# ---- teardown ---------------------------------------------------------------------------------

# pods_cleanup [EXIT_CODE]: stops every process this run started (SIGTERM, then SIGKILL after a
# grace period), deletes every namespace it created, and keeps the logs if the run failed.
# Idempotent; installed on EXIT, INT and TERM by pods_init.
pods_cleanup() {
  local rc=${1:-0}
  ((_PODS_CLEANED == 0)) || return 0
  _PODS_CLEANED=1
  set +e
  local pid i
  for pid in "${_PODS_PIDS[@]}"; do
    _pods_alive "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  local deadline=$((SECONDS + 5))
  for pid in "${_PODS_PIDS[@]}"; do
    while _pods_alive "$pid" && ((SECONDS <= deadline)); do sleep 0.05; done
    if _pods_alive "$pid"; then
      echo "pods: pid $pid ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  for ((i = ${#_PODS_NAMESPACES[@]} - 1; i >= 0; i--)); do
    ip netns del "${_PODS_NAMESPACES[$i]}" 2>/dev/null ||
      echo "pods: could not delete namespace ${_PODS_NAMESPACES[$i]}" >&2
  done
  if [[ -n $PODS_DIR && -d $PODS_DIR ]]; then
    if ((rc != 0)); then
      local f
      for f in "$PODS_DIR"/*-proxy.log; do
        [[ -f $f ]] || continue
        echo "--- last lines of $f:" >&2
        tail -n 20 "$f" >&2
      done
      echo "pods: logs kept in $PODS_DIR" >&2
    elif [[ ${WEFT_PODS_KEEP_LOGS:-0} == 1 ]]; then
      echo "pods: logs kept in $PODS_DIR" >&2
    else
      rm -rf "$PODS_DIR"
    fi
  fi
  _PODS_PIDS=()
  _PODS_NAMESPACES=()
}

_pods_on_exit() {
  local rc=$?
  pods_cleanup "$rc"
  exit "$rc"
}

_pods_on_signal() {
  echo "pods: caught SIG$1, cleaning up" >&2
  trap - EXIT
  pods_cleanup "$2"
  exit "$2"
}
