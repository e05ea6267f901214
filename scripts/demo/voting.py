#!/usr/bin/python3
"""The demo's "voting" backend: a gRPC server (Debian's python3-grpcio, generic handlers).

  voting.py [--host 0.0.0.0] [--port 8080]

Methods of emojivoto.v1.VotingService (JSON messages, see voting_api.py):
  Vote({"emoji": NAME})  -> {"emoji": NAME, "votes": N}; an unknown emoji is INVALID_ARGUMENT
                            (a client error, which the mesh classifies as success); a vote for the
                            doughnut fails with UNKNOWN, as emojivoto's does, so the proxies count
                            it as a failure and the voting pod's success rate drops below 100%.
  Results({})            -> {"results": [{"emoji": NAME, "votes": N}, ...]}, most votes first.
"""
import argparse
import threading
from concurrent import futures

import grpc

import voting_api as api

_votes = {name: 0 for name in api.EMOJI}
_lock = threading.Lock()


def vote(request, context):
    emoji = request.get("emoji", "")
    if emoji not in _votes:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown emoji {emoji!r}")
    if emoji == api.FAILING_EMOJI:
        # emojivoto's voting service returns an error for this one vote, which gRPC-Go sends as
        # UNKNOWN; the proxies classify UNKNOWN as a failure (linkerd-compat §8.3).
        context.abort(grpc.StatusCode.UNKNOWN, f"ERROR: {emoji} is not allowed")
    with _lock:
        _votes[emoji] += 1
        count = _votes[emoji]
    return {"emoji": emoji, "votes": count}


def results(_request, _context):
    with _lock:
        ranked = sorted(_votes.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"results": [{"emoji": name, "votes": n} for name, n in ranked]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()

    def unary(fn):
        return grpc.unary_unary_rpc_method_handler(
            fn, request_deserializer=api.decode, response_serializer=api.encode)

    handler = grpc.method_handlers_generic_handler(
        api.SERVICE, {"Vote": unary(vote), "Results": unary(results)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"{args.host}:{args.port}")
    server.start()
    print(f"voting: gRPC {api.SERVICE} on {args.host}:{args.port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
