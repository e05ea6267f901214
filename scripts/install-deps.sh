#!/usr/bin/env bash
# install-deps.sh - idempotent install of everything weft needs on Debian 12:
# build (toolchain, Boost 1.81, OpenSSL, nghttp2, llhttp sources, spdlog, GoogleTest, Google Benchmark),
# fuzzing (clang and libFuzzer, for `make fuzz`),
# tests (iptables, iproute2, setpriv, promtool, curl, nghttp/h2load, gRPC, websockets, tcpdump) and the
# side-by-side benchmark peers (HAProxy, nghttpx, nginx, wrk, iperf3).
# Returns quickly when all of it is already installed.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libssl-dev libnghttp2-dev node-llhttp libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libyaml-cpp-dev
  # fuzzing (make fuzz): clang with libFuzzer's runtime
  clang libclang-rt-14-dev
  # tests and demo
  iptables iproute2 util-linux procps psmisc curl openssl prometheus
  nghttp2-client python3 python3-grpcio python3-websockets
  tcpdump  # the mTLS netns test and the demo look at the wire between pods
  # benchmarks (../shared/bench)
  wrk nghttp2-server nghttp2-proxy haproxy nginx libnginx-mod-stream iperf3 socat
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: missing packages: ${missing[*]}; run as root" >&2
  exit 1
fi
echo "install-deps.sh: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The distro daemons are not needed (tests and benchmarks start private instances); do not leave them running.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  for svc in nginx haproxy nghttpx prometheus; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi
