#!/usr/bin/python3
"""gRPC peers for weft's netns tests (Debian's python3-grpcio, generic handlers: no protoc).

  grpc_tool.py server HOST PORT
      Serves weft.test.Probe/Call: the request is JSON {"status": NAME, "payload": TEXT}; with
      status OK it answers {"payload": TEXT}, otherwise it fails the call with that gRPC status
      (e.g. INTERNAL, NOT_FOUND) and the message "asked for NAME". Logs one line per call:
      "call peer=IP:PORT status=NAME", followed by " weft-client-id=ID" when the call carried
      that metadata (the caller's identity, added by an inbound proxy that terminated mTLS).
  grpc_tool.py client HOST:PORT STATUS[,STATUS...] [--payload TEXT] [--timeout S]
      Makes one call per STATUS, in order, on one channel (one HTTP/2 connection), and prints one
      line per call: "status=NAME reply=TEXT" (OK) or "status=NAME message=TEXT". Exits 0 when
      every call ended with the status it asked for, 1 otherwise.
"""
import argparse
import json
import sys
from concurrent import futures

import grpc

SERVICE = "weft.test.Probe"
METHOD = f"/{SERVICE}/Call"


def encode(message):
    return json.dumps(message).encode()


def decode(data):
    return json.loads(data.decode()) if data else {}


def serve(args):
    def call(request, context):
        status = request.get("status", "OK")
        client_ids = [v for k, v in context.invocation_metadata() if k == "weft-client-id"]
        suffix = "".join(f" weft-client-id={v}" for v in client_ids)
        print(f"call peer={context.peer().removeprefix('ipv4:')} status={status}{suffix}", flush=True)
        if status == "OK":
            return {"payload": request.get("payload", "")}
        context.abort(grpc.StatusCode[status], f"asked for {status}")

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "Call": grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=decode, response_serializer=encode)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"{args.host}:{args.port}")
    server.start()
    print(f"listening {args.host}:{args.port}", flush=True)
    server.wait_for_termination()


def client(args):
    ok = True
    channel = grpc.insecure_channel(args.target, options=[("grpc.enable_http_proxy", 0)])
    rpc = channel.unary_unary(METHOD, request_serializer=encode, response_deserializer=decode)
    for status in args.statuses.split(","):
        try:
            reply = rpc({"status": status, "payload": args.payload}, timeout=args.timeout)
            print(f"status=OK reply={reply.get('payload')}", flush=True)
            got = "OK"
        except grpc.RpcError as e:
            got = e.code().name
            print(f"status={got} message={e.details()}", flush=True)
        ok = ok and got == status
    channel.close()
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("server")
    s.add_argument("host")
    s.add_argument("port", type=int)
    c = sub.add_parser("client")
    c.add_argument("target")
    c.add_argument("statuses")
    c.add_argument("--payload", default="hello")
    c.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    if args.command == "server":
        serve(args)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())
