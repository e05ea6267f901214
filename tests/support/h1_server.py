#!/usr/bin/python3
"""An HTTP/1.1 endpoint for the HTTP/1 proxy's integration tests (python3 http.server with
keep-alive). Listens on 127.0.0.1 with a kernel-chosen port (or on HOST PORT given as arguments, as
the netns tests do: `h1_server.py 0.0.0.0 8080`) and prints "listening on <port>" to stderr.
Routes:
  GET  /bytes/N[?chunked=1]    N bytes of a fixed pattern, Content-Length (or chunked)
  POST|PUT /sha256             the body's length and SHA-256 ("<len> <hex>"); reads CL or chunked
                               bodies; Expect: 100-continue is answered with 100 Continue
  POST /reject                 417 at once for Expect: 100-continue, without reading the body
  GET  /status/N               status N (no body for 1xx, 204, 304)
  GET  /conn                   the client port of this TCP connection (pool reuse is visible)
  GET  /http10                 an HTTP/1.0 close-delimited response, then close
  GET  /close-delimited        HTTP/1.1 without Content-Length or chunks, ended by close
  GET  /close-after            a keep-alive response, then the server closes the connection
  GET  /vanish                 closes without a response
  GET  /sleep/MS               answers "slept" after MS milliseconds
  GET  /headers                the request's header lines as received, one per line
  GET  /trailers               a chunked "ok" with trailer fields (grpc-status, grpc-message,
                               and content-length and host, which a proxy must drop)
  POST /echo-trailers          a chunked answer carrying the request's trailer fields and an
                               x-sha256 trailer of its body
  GET|POST /flaky              answered on a connection's first request; on any later request
                               the server closes without answering (a pooled connection that
                               dies as it is reused)
"""
import hashlib
import http.server
import socket
import socketserver
import sys
import time


def pattern(n):
    block = bytes(range(256)) * 64
    out = bytearray()
    while len(out) < n:
        out += block[: n - len(out)]
    return bytes(out)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.requests_seen = 0

    def parse_request(self):
        self.requests_seen += 1
        return super().parse_request()

    def flaky(self):
        if self.requests_seen > 1:
            self.close_connection = True
            return True
        return False

    def send_body(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            h = hashlib.sha256()
            total = 0
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    self.trailers_seen = []
                    while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                        self.trailers_seen.append(line.decode().rstrip("\r\n"))
                    return total, h.hexdigest()
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, 65536))
                    h.update(chunk)
                    remaining -= len(chunk)
                total += size
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        remaining = length
        while remaining:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
        return length, h.hexdigest()

    def handle_expect_100(self):
        if self.path.startswith("/reject"):
            self.send_body(417, b"no\n", extra=[("Connection", "close")])
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/flaky":
            if not self.flaky():
                self.send_body(200, b"fresh\n")
        elif path.startswith("/sleep/"):
            time.sleep(int(path[len("/sleep/"):]) / 1000)
            self.send_body(200, b"slept\n")
        elif path.startswith("/bytes/"):
            n = int(path[len("/bytes/"):])
            body = pattern(n)
            if "chunked=1" in query:
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if self.command == "HEAD":
                    return
                for i in range(0, n, 10000):
                    piece = body[i:i + 10000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_body(200, body, "application/octet-stream")
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            if code in (204, 304) or code < 200:
                self.send_response(code)
                self.end_headers()
            else:
                self.send_body(code, b"status %d\n" % code)
        elif path == "/conn":
            self.send_body(200, str(self.client_address[1]).encode())
        elif path == "/http10":
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold-style body\n")
            self.close_connection = True
        elif path == "/close-delimited":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + pattern(100000))
            self.close_connection = True
        elif path == "/close-after":
            # The response and the FIN leave in one segment (corked until the shutdown), so the
            # proxy has the end of stream the moment it has the response: what a test of the
            # pool's stale check needs, with no race against this thread's close.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            self.send_body(200, b"bye\n")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.close_connection = True
        elif path == "/trailers":
            # As a gRPC-style endpoint ends a body; the framing fields must not reach the client.
            self.send_with_trailers(b"ok\n", ["grpc-status: 0", "grpc-message: fine",
                                               "content-length: 99", "host: elsewhere"])
        elif path == "/vanish":
            self.close_connection = True
        elif path == "/headers":
            self.send_body(200, "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode())
        else:
            self.send_body(404, b"not found\n")

    do_HEAD = do_GET

    def send_with_trailers(self, body, trailers):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", ", ".join(t.split(":")[0] for t in trailers))
        self.end_headers()
        self.wfile.write(b"%x\r\n%s\r\n0\r\n" % (len(body), body))
        self.wfile.write("".join(t + "\r\n" for t in trailers).encode() + b"\r\n")

    def do_POST(self):
        if self.path == "/flaky" and self.flaky():
            return
        length, digest = self.read_body()
        if self.path == "/echo-trailers":
            # The request's trailer fields come back as the response's, with the body's digest.
            self.send_with_trailers(b"%d\n" % length,
                                    getattr(self, "trailers_seen", []) + [f"x-sha256: {digest}"])
            return
        self.send_body(200, f"{length} {digest}\n".encode())

    do_PUT = do_POST


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    host, port = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) == 3 else ("127.0.0.1", 0)
    server = Server((host, port), Handler)
    print(f"listening on {server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()
