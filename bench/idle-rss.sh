#!/usr/bin/env bash
# idle-rss.sh - weft-proxy's resident memory idle, and with N idle proxied connections open.
# Everything on 127.0.0.1: a python3 server holds the endpoint side, a python3 client opens N
# connections through the proxy's inbound listener, sends one byte each (echoed back) and keeps
# them open while VmRSS/VmHWM are read from /proc.
#   bench/idle-rss.sh [N]     (default 1000)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${WEFT_PROXY_BIN:-$here/build/bin/weft-proxy}
n=${1:-1000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM
ulimit -n 65536 2>/dev/null || true

port_of() { # LOGFILE WHAT -> port from "WHAT interface on 127.0.0.1:PORT"
  local deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    if grep -q "$2 interface on" "$1" 2>/dev/null; then grep "$2 interface on" "$1" | sed 's/.*://'; return; fi
    sleep 0.05
  done
  echo "no $2 address in $1" >&2; exit 1
}

# Endpoint: accepts and echoes, keeping every connection open.
/usr/bin/python3 - "$work/server.port" <<'PY' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0)); ls.listen(4096); ls.setblocking(False)
open(sys.argv[1], "w").write(str(ls.getsockname()[1]))
sel.register(ls, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is ls:
            c, _ = ls.accept(); c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            d = key.fileobj.recv(65536)
            if d: key.fileobj.send(d)
            else: sel.unregister(key.fileobj); key.fileobj.close()
PY
pids+=($!)
deadline=$((SECONDS + 10)); until [[ -s $work/server.port ]] || ((SECONDS > deadline)); do sleep 0.05; done
server_port=$(cat "$work/server.port")

env WEFT_PROXY_INBOUND_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_OUTBOUND_LISTEN_ADDR=127.0.0.1:0 \
  WEFT_PROXY_ADMIN_LISTEN_ADDR=127.0.0.1:0 WEFT_PROXY_INBOUND_ORIG_DST_ADDR=127.0.0.1:$server_port \
  WEFT_PROXY_LOG=info "$bin" 2>"$work/proxy.log" &
proxy=$!
pids+=($proxy)
inbound=$(port_of "$work/proxy.log" Inbound)
admin=$(port_of "$work/proxy.log" Admin)
curl -fsS "http://127.0.0.1:$admin/metrics" >/dev/null   # the admin path warmed, as under a scrape
rss() { awk "/^$1:/ {print \$2}" "/proc/$proxy/status"; }
idle_rss=$(rss VmRSS)

/usr/bin/python3 - "$inbound" "$n" "$work/ready" <<'PY' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"x"); conns.append(s)
for s in conns:
    assert s.recv(1) == b"x"
open(sys.argv[3], "w").write("ok")
time.sleep(3600)
PY
pids+=($!)
deadline=$((SECONDS + 60)); until [[ -s $work/ready ]] || ((SECONDS > deadline)); do sleep 0.1; done
[[ -s $work/ready ]] || { echo "clients did not finish connecting" >&2; exit 1; }
open=$(curl -fsS "http://127.0.0.1:$admin/metrics" | awk '/^tcp_open_connections\{.*peer="src"/ {s+=$2} END {print s+0}')
busy_rss=$(rss VmRSS)
echo "weft-proxy idle: VmRSS ${idle_rss} KiB"
echo "with ${open} idle proxied connections: VmRSS ${busy_rss} KiB, VmHWM $(rss VmHWM) KiB"
awk -v a="$idle_rss" -v b="$busy_rss" -v n="$open" 'BEGIN {printf "per connection: %.2f KiB\n", (b - a) / n}'
