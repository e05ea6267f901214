#!/usr/bin/python3
"""A real gRPC server (Debian's python3-grpcio) for weft's integration tests.

No protoc: the service is a generic handler over raw bytes, so each method's messages are
whatever the client sends. Service weft.test.Echo:

  Unary         echoes the request message.
  ServerStream  request is JSON {"count": N, "size": S}; answers N messages of S bytes
                (stream_message(i, S)), and puts the sha256 of all of them in the trailing
                metadata key x-sha256. With "hold": true it then waits, without ending the
                stream, until the call is cancelled or the server exits.
  ClientStream  answers JSON {"count": n, "bytes": b, "sha256": hex} of everything received.
  Bidi          echoes each message as it arrives. When the call ends by cancellation (an
                RST_STREAM from the client, which never half-closed), its x-call-id metadata value
                is recorded.
  Cancelled     answers JSON {"cancelled": [x-call-id values recorded so far]}.
  Exit          ends the server process at once (os._exit), as a crashing endpoint would, with
                every connection and stream in flight.

Every method first applies the control metadata of the request:
  x-sleep-ms: N           wait N ms (or until the call is cancelled) before answering
  x-fail-code: NAME|N     end with this status instead of answering
  x-fail-message: text    its details (x-fail-message-bin: the same in UTF-8, for non-ASCII)
  x-fail-initial: 1       send initial metadata before failing (headers, then trailers),
                          instead of a trailers-only response
The request's own metadata (every key except reserved ones and the x-fail-*/x-sleep-* controls)
is echoed back both as initial metadata and as trailing metadata, and failures add trailing
metadata x-error-detail.

With --name NAME every answer carries x-served-by: NAME (initial metadata, or trailing metadata
of a trailers-only failure), so that a client can see which replica served each call. With
--fail-every N --fail-with CODE every Nth Unary call fails trailers-only with CODE (a replica
that fails part of its traffic).

Prints "listening on 127.0.0.1:<port>" on stderr and "<port>" on stdout once it serves.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import signal
import sys
import threading

import grpc

SERVICE = "weft.test.Echo"
MAX_MESSAGE = 16 * 1024 * 1024
MAX_METADATA = 256 * 1024
OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_metadata_size", MAX_METADATA),
    ("grpc.so_reuseport", 0),
    # Clients that PING often (grpc_client.py --keepalive-ms) must not be sent away.
    ("grpc.http2.min_ping_interval_without_data_ms", 50),
    ("grpc.http2.max_ping_strikes", 0),
]
CONTROL_KEYS = ("x-sleep-ms", "x-fail-code", "x-fail-message", "x-fail-message-bin", "x-fail-initial")
RESERVED_KEYS = ("user-agent", "te", "content-type", "grpc-accept-encoding", "grpc-encoding",
                 "grpc-timeout", "weft-proxy-error")


def stream_message(index, size):
    """The index-th server-stream message: deterministic bytes, different for each index."""
    seed = hashlib.sha256(b"weft-stream-%d" % index).digest()
    return (seed * (size // len(seed) + 1))[:size]


CANCELLED = []
CANCELLED_LOCK = threading.Lock()


def echo_metadata(context):
    out = []
    for key, value in context.invocation_metadata():
        if key.startswith(":") or key.startswith("grpc-") or key in RESERVED_KEYS:
            continue
        if key in CONTROL_KEYS:
            continue
        out.append((key, value))
    return out


def status_code(name):
    if name.isdigit():
        for code in grpc.StatusCode:
            if code.value[0] == int(name):
                return code
        raise ValueError("unknown status code %s" % name)
    return grpc.StatusCode[name.upper()]


REPLICA = {"name": "", "fail_every": 0, "fail_with": "UNAVAILABLE", "calls": 0}
REPLICA_LOCK = threading.Lock()


def replica_fails():
    """Whether this Unary call is one of the every-Nth that --fail-every makes fail."""
    if REPLICA["fail_every"] <= 0:
        return False
    with REPLICA_LOCK:
        REPLICA["calls"] += 1
        return REPLICA["calls"] % REPLICA["fail_every"] == 0


def prologue(context, may_fail=False):
    """Applies sleep and fail controls; returns the metadata to echo, or aborts the call."""
    control = {k: v for k, v in context.invocation_metadata() if k in CONTROL_KEYS}
    echoed = echo_metadata(context)
    if REPLICA["name"]:
        echoed = echoed + [("x-served-by", REPLICA["name"])]
    if may_fail and replica_fails():
        context.set_trailing_metadata(echoed)
        context.abort(status_code(REPLICA["fail_with"]), "replica failing as asked")
    sleep_ms = int(control.get("x-sleep-ms", "0"))
    if sleep_ms > 0:
        done = threading.Event()
        context.add_callback(done.set)  # runs when the call ends (or is cancelled)
        done.wait(sleep_ms / 1000.0)
        if not context.is_active():
            return None
    if "x-fail-code" in control:
        code = status_code(control["x-fail-code"])
        if control.get("x-fail-initial") == "1":
            context.send_initial_metadata(echoed)
        context.set_trailing_metadata(echoed + [("x-error-detail", "failed as asked: " + code.name)])
        message = control.get("x-fail-message", "")
        if "x-fail-message-bin" in control:
            message = control["x-fail-message-bin"].decode("utf-8")
        context.abort(code, message)
    context.send_initial_metadata(echoed)
    return echoed


def unary(request, context):
    echoed = prologue(context, may_fail=True)
    if echoed is None:
        return b""
    context.set_trailing_metadata(echoed)
    return request


def server_stream(request, context):
    echoed = prologue(context)
    if echoed is None:
        return
    spec = json.loads(request.decode())
    digest = hashlib.sha256()
    for i in range(spec["count"]):
        message = stream_message(i, spec["size"])
        digest.update(message)
        if i == spec["count"] - 1:
            context.set_trailing_metadata(echoed + [("x-sha256", digest.hexdigest())])
        yield message
    if spec["count"] == 0:
        context.set_trailing_metadata(echoed + [("x-sha256", digest.hexdigest())])
    if spec.get("hold"):
        ended = threading.Event()
        context.add_callback(ended.set)
        ended.wait()


def client_stream(request_iterator, context):
    echoed = prologue(context)
    if echoed is None:
        return b""
    digest = hashlib.sha256()
    count = 0
    total = 0
    for message in request_iterator:
        digest.update(message)
        count += 1
        total += len(message)
    context.set_trailing_metadata(echoed)
    return json.dumps({"count": count, "bytes": total, "sha256": digest.hexdigest()}).encode()


def bidi(request_iterator, context):
    echoed = prologue(context)
    if echoed is None:
        return
    context.set_trailing_metadata(echoed)
    call_id = dict(context.invocation_metadata()).get("x-call-id")
    if call_id is not None:
        context.add_callback(lambda: record_if_cancelled(context, call_id))
    for message in request_iterator:
        yield message


def record_if_cancelled(context, call_id):
    """Runs when the call has ended. An RST_STREAM that arrives while the handler waits for a
    request may end the request iterator as if the client had half-closed (grpcio 1.51 races
    there), so the handler cannot tell; the call state can, once the call is over. grpcio has no
    public accessor for it."""
    if getattr(context, "_state").client == "cancelled":
        with CANCELLED_LOCK:
            CANCELLED.append(call_id)


def cancelled(request, context):
    with CANCELLED_LOCK:
        return json.dumps({"cancelled": CANCELLED}).encode()


def exit_now(request, context):
    print("exiting as asked", file=sys.stderr, flush=True)
    os._exit(3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--name", default="", help="answer with x-served-by: NAME")
    parser.add_argument("--fail-every", type=int, default=0, help="fail every Nth Unary call")
    parser.add_argument("--fail-with", default="UNAVAILABLE", help="the status of those failures")
    parser.add_argument("--max-concurrent-streams", type=int, default=0,
                        help="advertise SETTINGS_MAX_CONCURRENT_STREAMS (default: grpcio's, unlimited)")
    args = parser.parse_args()
    REPLICA.update(name=args.name, fail_every=args.fail_every, fail_with=args.fail_with)

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Cancelled": grpc.unary_unary_rpc_method_handler(cancelled),
        "Exit": grpc.unary_unary_rpc_method_handler(exit_now),
    }
    options = list(OPTIONS)
    if args.max_concurrent_streams > 0:
        options.append(("grpc.max_concurrent_streams", args.max_concurrent_streams))
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=16), options=options)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("%s:%d" % (args.host, args.port))
    if port == 0:
        print("cannot listen on %s:%d" % (args.host, args.port), file=sys.stderr, flush=True)
        return 1
    server.start()
    print(port, flush=True)
    print("listening on %s:%d" % (args.host, port), file=sys.stderr, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
