#!/usr/bin/python3
"""One replica of a service, for the balancing, retry and timeout tests: an HTTP/1.1 endpoint
(python3 http.server, keep-alive, a thread per connection) on --host (any 127.0.0.x) with a
kernel-chosen port, printing "listening on <port>" on stderr.

Every request (any method, any path) is answered after --latency-ms with 200 and the body
"<name>\\n", except that with --fail-every N every Nth request is answered 503 instead. The
request body, if any, is read whole first. Behaviour changes at run time through
  POST /control?latency_ms=N&fail_every=N   (either key; answered 204, and not counted)
Each answer carries x-served-by: <name>; GET /count answers how many requests were served.
"""
import argparse
import http.server
import socketserver
import sys
import threading
import time
import urllib.parse

STATE = {"latency_ms": 0.0, "fail_every": 0, "served": 0}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    name = "endpoint"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-served-by", self.name)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        if length:
            self.rfile.read(length)
        path, _, query = self.path.partition("?")
        if path == "/control" and self.command == "POST":
            with LOCK:
                for key, values in urllib.parse.parse_qs(query).items():
                    if key in STATE and key != "served":
                        STATE[key] = float(values[0])
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/count":
            with LOCK:
                self.answer(200, b"%d\n" % STATE["served"])
            return
        with LOCK:
            STATE["served"] += 1
            served, latency, every = STATE["served"], STATE["latency_ms"], int(STATE["fail_every"])
        if latency > 0:
            time.sleep(latency / 1000.0)
        if every > 0 and served % every == 0:
            self.answer(503, b"failing as asked\n")
        else:
            self.answer(200, self.name.encode() + b"\n")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--name", default="endpoint")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--fail-every", type=int, default=0)
    args = parser.parse_args()
    Handler.name = args.name
    STATE.update(latency_ms=args.latency_ms, fail_every=args.fail_every)
    server = Server((args.host, 0), Handler)
    print(f"listening on {server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
