#!/usr/bin/env bash
# weft-init against real iptables (nft and legacy backends, IPv4 and IPv6) in a network namespace
# that this test creates and always deletes. Checks that:
#   - --simulate changes nothing;
#   - a second run leaves exactly the rules of the first (no duplicate jumps or rules);
#   - --cleanup restores the nat table as it was before, keeping rules weft-init did not write,
#     and a second --cleanup is a harmless no-op;
#   - without CAP_NET_ADMIN weft-init refuses (exit 77) before touching anything;
#   - a missing --netns path is an error (exit 66).
# Needs root and `ip netns`. Exits 77 (skip) without them, except when CI=true, where it fails.
# Every iptables command here runs inside the test's namespace, never in the host's.
set -euo pipefail

NAME="weft-init-test-$$"
NETNS="/run/netns/${NAME}"
BIN_DIR="${WEFT_BIN_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}"
WEFT_INIT="${BIN_DIR}/weft-init"
FAILURES=0

skip() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAIL: $* (CI=true: not skipping)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

[[ "$(id -u)" == "0" ]] || skip "needs root to create network namespaces and change iptables rules"
command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"
[[ -x "${WEFT_INIT}" ]] || { echo "FAIL: ${WEFT_INIT} not found; set WEFT_BIN_DIR to the build's bin directory" >&2; exit 1; }

cleanup_netns() { ip netns delete "${NAME}" 2>/dev/null || true; }
trap cleanup_netns EXIT
ip netns add "${NAME}" 2>/dev/null || skip "ip netns add failed (no permission to create network namespaces?)"

in_ns() { ip netns exec "${NAME}" "$@"; }

# The nat table's chain and rule lines, without "#" comments and with counters zeroed.
nat_table() {
  local save=$1
  in_ns "${save}" -t nat | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[0:0]/'
}

# Both families' nat tables for a mode, as one text.
snapshot() {
  local mode=$1
  echo "## IPv4"
  nat_table "iptables-${mode}-save"
  echo "## IPv6"
  nat_table "ip6tables-${mode}-save"
}

expect_same() {
  local what=$1 expected=$2 actual=$3
  if [[ "${expected}" != "${actual}" ]]; then
    fail "${what}"
    diff <(echo "${expected}") <(echo "${actual}") >&2 || true
  fi
}

expect_count() {
  local what=$1 want=$2 text=$3 pattern=$4
  local got
  got=$(grep -c -- "${pattern}" <<<"${text}" || true)
  [[ "${got}" == "${want}" ]] || fail "${what}: expected ${want} line(s) matching '${pattern}', found ${got}"
}

run_init() {
  local out
  if ! out=$("${WEFT_INIT}" --netns "${NETNS}" "$@" 2>&1); then
    fail "weft-init $* failed:"
    echo "${out}" >&2
    return 1
  fi
}

# Rules that are not weft-init's: cleanup must leave them exactly as they are.
add_foreign_rules() {
  local mode=$1 family_restore
  for family_restore in "iptables-${mode}-restore" "ip6tables-${mode}-restore"; do
    in_ns "${family_restore}" --noflush <<'EOF'
*nat
:APP_REDIRECT - [0:0]
-A APP_REDIRECT -p tcp --dport 8080 -j RETURN
-A PREROUTING -p tcp --dport 9090 -j APP_REDIRECT
-A OUTPUT -p udp --dport 53 -j RETURN
COMMIT
EOF
  done
}

check_mode() {
  local mode=$1
  echo "== --iptables-mode ${mode}"
  local before simulated first second after
  add_foreign_rules "${mode}"
  before=$(snapshot "${mode}")

  run_init --iptables-mode "${mode}" --simulate >/dev/null || return 0
  expect_same "${mode}: --simulate changed the nat table" "${before}" "$(snapshot "${mode}")"

  local flags=(--iptables-mode "${mode}" --inbound-ports-to-ignore 4567,4568,9000-9010
               --outbound-ports-to-ignore 443,6443 --subnets-to-ignore 10.96.0.0/12,fd00:10:96::/112 -g 2103)
  run_init "${flags[@]}" || return 0
  first=$(snapshot "${mode}")
  expect_count "${mode}: PREROUTING jumps after one run" 2 "${first}" '^-A PREROUTING .*-j PROXY_INIT_REDIRECT'
  expect_count "${mode}: OUTPUT jumps after one run" 2 "${first}" '^-A OUTPUT .*-j PROXY_INIT_OUTPUT'
  expect_count "${mode}: inbound redirects" 2 "${first}" 'redirect-all-incoming-to-proxy-port" -j REDIRECT --to-ports 4143'
  expect_count "${mode}: outbound redirects" 2 "${first}" 'redirect-all-outgoing-to-proxy-port" -j REDIRECT --to-ports 4140'
  expect_count "${mode}: IPv4 subnet both ways" 2 "${first}" 'ignore-subnet-10.96.0.0/12'
  expect_count "${mode}: IPv6 subnet both ways" 2 "${first}" 'ignore-subnet-fd00:10:96::/112'
  expect_count "${mode}: admin ports ignored" 2 "${first}" '--dports 4190,4191,4567,4568,9000:9010'

  run_init "${flags[@]}" || return 0
  second=$(snapshot "${mode}")
  expect_same "${mode}: the second run changed the rules (duplicates?)" "${first}" "${second}"

  run_init --iptables-mode "${mode}" --simulate --cleanup >/dev/null || return 0
  expect_same "${mode}: --simulate --cleanup changed the nat table" "${second}" "$(snapshot "${mode}")"

  if command -v setpriv >/dev/null 2>&1; then
    local rc=0
    setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
      "${WEFT_INIT}" --netns "${NETNS}" --iptables-mode "${mode}" --cleanup >/dev/null 2>&1 || rc=$?
    [[ "${rc}" == 77 ]] || fail "${mode}: without CAP_NET_ADMIN weft-init exited ${rc}, expected 77"
    expect_same "${mode}: a refused run changed the nat table" "${second}" "$(snapshot "${mode}")"
  fi

  run_init --iptables-mode "${mode}" --cleanup || return 0
  after=$(snapshot "${mode}")
  expect_same "${mode}: --cleanup did not restore the nat table" "${before}" "${after}"
  run_init --iptables-mode "${mode}" --cleanup || return 0
  expect_same "${mode}: a second --cleanup changed the nat table" "${before}" "$(snapshot "${mode}")"
}

modes_run=0
for mode in nft legacy; do
  if ! command -v "iptables-${mode}-restore" >/dev/null 2>&1 || ! command -v "ip6tables-${mode}-restore" >/dev/null 2>&1; then
    echo "iptables-${mode} binaries not installed; not checking --iptables-mode ${mode}" >&2
    continue
  fi
  if ! in_ns "iptables-${mode}-save" -t nat >/dev/null 2>&1 || ! in_ns "ip6tables-${mode}-save" -t nat >/dev/null 2>&1; then
    echo "iptables-${mode} cannot read the nat table here (kernel support?); not checking it" >&2
    continue
  fi
  check_mode "${mode}"
  modes_run=$((modes_run + 1))
done
[[ "${modes_run}" -gt 0 ]] || skip "no usable iptables backend (nft or legacy) in a network namespace"

rc=0
"${WEFT_INIT}" --netns "/run/netns/${NAME}-missing" >/dev/null 2>&1 || rc=$?
[[ "${rc}" == 66 ]] || fail "a missing --netns path gave exit ${rc}, expected 66"

if [[ "${FAILURES}" -gt 0 ]]; then
  echo "${FAILURES} check(s) failed" >&2
  exit 1
fi
echo "PASS: weft-init is idempotent and cleans up after itself (${modes_run} backend(s))"
