#!/usr/bin/python3
"""The demo's "web" frontend: HTTP/1.1 (keep-alive) in front of the gRPC voting service.

  web.py --voting HOST:PORT [--host 0.0.0.0] [--port 8080]

  GET /api/vote?emoji=NAME   calls Vote on the voting service: 200 with its JSON reply, 400 when
                             voting says INVALID_ARGUMENT, 500 for any other gRPC error (the
                             doughnut), as emojivoto's web does; 502 if voting cannot be reached.
  GET /api/leaderboard       calls Results: 200 with the tallies.
  GET /api/list              the emoji one may vote for (no backend call).
  GET /healthz               200 "ok".
Logs one line per request that failed.
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import grpc

import voting_api as api


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the load generator reuses its connection
    # Headers and body are two writes; with Nagle on, the body would wait for the client's
    # delayed ACK (40 ms) on every keep-alive request.
    disable_nagle_algorithm = True
    vote_rpc = None
    results_rpc = None

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self.reply(200, {"status": "ok"})
        elif url.path == "/api/list":
            self.reply(200, {"emoji": api.EMOJI})
        elif url.path == "/api/vote":
            emoji = parse_qs(url.query).get("emoji", [""])[0]
            self.call(Handler.vote_rpc, {"emoji": emoji})
        elif url.path == "/api/leaderboard":
            self.call(Handler.results_rpc, {})
        else:
            self.reply(404, {"error": f"no route {url.path}"})

    def call(self, rpc, request):
        try:
            self.reply(200, rpc(request, timeout=5))
        except grpc.RpcError as e:
            code = e.code()
            status = {grpc.StatusCode.INVALID_ARGUMENT: 400,
                      grpc.StatusCode.UNAVAILABLE: 502,
                      grpc.StatusCode.DEADLINE_EXCEEDED: 504}.get(code, 500)
            print(f"web: {self.path}: voting answered {code.name}: {e.details()}", flush=True)
            self.reply(status, {"error": code.name, "details": e.details()})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):  # one line per request would drown the demo's logs
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voting", required=True, help="HOST:PORT of the voting gRPC service")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()

    # One HTTP/2 connection to voting, shared by every request (as a gRPC client does); no
    # HTTP proxy from the environment: the mesh is the only proxy here.
    channel = grpc.insecure_channel(args.voting, options=[("grpc.enable_http_proxy", 0)])
    Handler.vote_rpc = channel.unary_unary(
        api.VOTE, request_serializer=api.encode, response_deserializer=api.decode)
    Handler.results_rpc = channel.unary_unary(
        api.RESULTS, request_serializer=api.encode, response_deserializer=api.decode)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"web: HTTP/1.1 on {args.host}:{args.port}, voting at {args.voting}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
