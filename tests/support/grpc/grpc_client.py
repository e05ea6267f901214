#!/usr/bin/python3
"""A real gRPC client (Debian's python3-grpcio) for weft's integration tests.

Runs named cases against grpc_server.py at --target (directly or through the proxy) on one
channel, so one HTTP/2 connection carries every call. Prints one JSON object per case on a line:

  {"case": ..., "ok": true|false, "problem": "why not ok" | "",
   "code": "OK"|"NOT_FOUND"|..., "details": ..., "initial_metadata": {key: [values]},
   "trailing_metadata": {key: [values]}, ...case-specific fields}

Long metadata values are summarized as "<N bytes sha256=...>" and binary ones as hex. Exits 0
when every case had the expected outcome, 1 otherwise, 2 on bad usage.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import queue
import random
import string
import sys
import time

import grpc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grpc_server import MAX_MESSAGE, MAX_METADATA, SERVICE, stream_message  # noqa: E402

CALL_TIMEOUT = 60.0
BIG = 4 * 1024 * 1024
OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_metadata_size", MAX_METADATA),
    # Every call must reach the proxy exactly once: request counts are asserted in metrics.
    ("grpc.enable_retries", 0),
    ("grpc.enable_http_proxy", 0),
]


class Mismatch(Exception):
    pass


def sha(data):
    return hashlib.sha256(data).hexdigest()


def summarize(metadata):
    out = {}
    for key, value in metadata or ():
        if isinstance(value, bytes):
            shown = value.hex() if len(value) <= 64 else "<%d bytes sha256=%s>" % (len(value), sha(value))
        elif len(value) > 256:
            shown = "<%d bytes sha256=%s>" % (len(value), sha(value.encode()))
        else:
            shown = value
        out.setdefault(key, []).append(shown)
    return out


def expect(cond, why):
    if not cond:
        raise Mismatch(why)


def expect_code(call, code):
    expect(call.code() == code, "code %s, expected %s (details %r)" % (call.code().name, code.name, call.details()))


def expect_metadata(got, wanted, where):
    """Every (key, value) of `wanted` is in `got`, with repeated keys in the same order."""
    got = list(got or ())
    for key in dict.fromkeys(k for k, _ in wanted):
        want_values = [v for k, v in wanted if k == key]
        got_values = [v for k, v in got if k == key]
        expect(got_values == want_values,
               "%s metadata %s: %s, expected %s" % (where, key, summarize([(key, v) for v in got_values]).get(key),
                                                    summarize([(key, v) for v in want_values]).get(key)))


def record(result, call):
    result["code"] = call.code().name
    result["details"] = call.details() or ""
    result["initial_metadata"] = summarize(call.initial_metadata())
    result["trailing_metadata"] = summarize(call.trailing_metadata())


def queued(outgoing):
    """A request iterator fed through a queue; None ends it (half-close)."""
    while True:
        message = outgoing.get()
        if message is None:
            return
        yield message


class Cases:
    def __init__(self, channel):
        self.channel = channel
        self.unary_call = channel.unary_unary("/%s/Unary" % SERVICE)
        self.server_stream_call = channel.unary_stream("/%s/ServerStream" % SERVICE)
        self.client_stream_call = channel.stream_unary("/%s/ClientStream" % SERVICE)
        self.bidi_call = channel.stream_stream("/%s/Bidi" % SERVICE)
        self.cancelled_call = channel.unary_unary("/%s/Cancelled" % SERVICE)
        self.exit_call = channel.unary_unary("/%s/Exit" % SERVICE)

    # --- calls that succeed ---------------------------------------------------------------

    def _unary_echo(self, result, request, metadata, control=()):
        """`metadata` is echoed back; `control` (x-sleep-ms, ...) is not."""
        response, call = self.unary_call.with_call(request, metadata=list(metadata) + list(control),
                                                   timeout=CALL_TIMEOUT)
        record(result, call)
        result["request_sha256"] = sha(request)
        result["response_sha256"] = sha(response)
        expect_code(call, grpc.StatusCode.OK)
        expect(response == request, "response (%d bytes) differs from request (%d bytes)" % (len(response), len(request)))
        expect_metadata(call.initial_metadata(), metadata, "initial")
        expect_metadata(call.trailing_metadata(), metadata, "trailing")

    def unary(self, result):
        self._unary_echo(result, b"hello through weft", [("x-case", "unary")])

    def large_unary(self, result):
        self._unary_echo(result, os.urandom(BIG), [("x-case", "large_unary")])

    def _server_stream(self, result, count, size, case):
        metadata = [("x-case", case)]
        call = self.server_stream_call(json.dumps({"count": count, "size": size}).encode(),
                                       metadata=metadata, timeout=CALL_TIMEOUT)
        digest = hashlib.sha256()
        received = 0
        for i, message in enumerate(call):
            expect(message == stream_message(i, size), "message %d differs" % i)
            digest.update(message)
            received += 1
        record(result, call)
        result["messages"] = received
        result["sha256"] = digest.hexdigest()
        expect_code(call, grpc.StatusCode.OK)
        expect(received == count, "%d messages, expected %d" % (received, count))
        expect_metadata(call.trailing_metadata(), metadata + [("x-sha256", digest.hexdigest())], "trailing")
        expect_metadata(call.initial_metadata(), metadata, "initial")

    def server_stream(self, result):
        self._server_stream(result, 100, 1000, "server_stream")

    def large_server_stream(self, result):
        self._server_stream(result, 3, BIG, "large_server_stream")

    def _client_stream(self, result, messages, case):
        metadata = [("x-case", case)]
        response, call = self.client_stream_call.with_call(iter(messages), metadata=metadata, timeout=CALL_TIMEOUT)
        record(result, call)
        expected = {"count": len(messages), "bytes": sum(map(len, messages)), "sha256": sha(b"".join(messages))}
        result["server_saw"] = json.loads(response.decode())
        result["sent"] = expected
        expect_code(call, grpc.StatusCode.OK)
        expect(result["server_saw"] == expected, "server saw %s, sent %s" % (result["server_saw"], expected))
        expect_metadata(call.trailing_metadata(), metadata, "trailing")

    def client_stream(self, result):
        rng = random.Random(7)
        self._client_stream(result, [rng.randbytes(rng.randrange(0, 5000)) for _ in range(50)], "client_stream")

    def large_client_stream(self, result):
        self._client_stream(result, [os.urandom(BIG) for _ in range(3)], "large_client_stream")

    def _bidi(self, result, messages, case):
        """Ping-pong: each message is sent only after the previous echo came back."""
        metadata = [("x-case", case)]
        outgoing = queue.Queue()
        call = self.bidi_call(queued(outgoing), metadata=metadata, timeout=CALL_TIMEOUT)
        try:
            for i, message in enumerate(messages):
                outgoing.put(message)
                echoed = next(call)
                expect(echoed == message, "echo %d differs (%d bytes, sent %d)" % (i, len(echoed), len(message)))
        finally:
            outgoing.put(None)
        rest = list(call)
        record(result, call)
        result["round_trips"] = len(messages)
        expect(not rest, "%d unexpected messages after the last echo" % len(rest))
        expect_code(call, grpc.StatusCode.OK)
        expect_metadata(call.initial_metadata(), metadata, "initial")
        expect_metadata(call.trailing_metadata(), metadata, "trailing")

    def bidi(self, result):
        self._bidi(result, [b"ping %d" % i for i in range(20)], "bidi")

    def large_bidi(self, result):
        self._bidi(result, [os.urandom(BIG) for _ in range(3)], "large_bidi")

    def metadata(self, result):
        rng = random.Random(32)
        large = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32 * 1024))
        metadata = [
            ("x-small", "small value"),
            ("x-large", large),  # above Linkerd's 16 KiB header list limit; weft allows 64 KiB
            ("x-multi", "first"),
            ("x-multi", "second"),
            ("x-blob-bin", bytes(range(256)) * 4),
        ]
        self._unary_echo(result, b"metadata", metadata)

    def concurrent_unary(self, result):
        """20 calls in flight at once on the one connection."""
        def one(i):
            request = b"concurrent %d" % i
            response, call = self.unary_call.with_call(request, metadata=[("x-sleep-ms", "100")],
                                                       timeout=CALL_TIMEOUT)
            return call.code(), response == request

        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            outcomes = list(pool.map(one, range(20)))
        result["code"] = "OK"
        result["calls"] = len(outcomes)
        expect(all(code == grpc.StatusCode.OK and same for code, same in outcomes), "outcomes %s" % outcomes)

    # --- calls that fail --------------------------------------------------------------------

    def deadline(self, result):
        """The server sleeps past the client's deadline: DEADLINE_EXCEEDED reaches the client."""
        try:
            self.unary_call.with_call(b"slow", metadata=[("x-case", "deadline"), ("x-sleep-ms", "20000")],
                                      timeout=1.0)
            raise Mismatch("the call succeeded")
        except grpc.RpcError as call:
            record(result, call)
            expect_code(call, grpc.StatusCode.DEADLINE_EXCEEDED)

    def _status(self, result, code, message, initial_first):
        metadata = [("x-case", "status_" + code.name.lower())]
        control = [("x-fail-code", code.name), ("x-fail-message-bin", message.encode("utf-8"))]
        if initial_first:
            control.append(("x-fail-initial", "1"))
        try:
            self.unary_call.with_call(b"fail", metadata=metadata + control, timeout=CALL_TIMEOUT)
            raise Mismatch("the call succeeded")
        except grpc.RpcError as call:
            record(result, call)
            expect_code(call, code)
            expect(call.details() == message, "details %r, expected %r" % (call.details(), message))
            expect_metadata(call.trailing_metadata(),
                            metadata + [("x-error-detail", "failed as asked: " + code.name)], "trailing")
            if initial_first:
                expect_metadata(call.initial_metadata(), metadata, "initial")

    def early_status(self, result):
        """The server fails a client stream at once while the client's request is still open
        (1 MB sent, no half-close): the status must arrive intact, not as a reset. The client
        then resets its side with NO_ERROR (RFC 9113 section 8.1), as grpcio does."""
        metadata = [("x-case", "early_status")]
        control = [("x-fail-code", "FAILED_PRECONDITION"), ("x-fail-message", "stop sending")]
        outgoing = queue.Queue()
        future = self.client_stream_call.future(queued(outgoing), metadata=metadata + control,
                                                timeout=CALL_TIMEOUT)
        try:
            outgoing.put(os.urandom(1024 * 1024))
            error = future.exception()  # waits for the status
        finally:
            outgoing.put(None)
        expect(error is not None, "the call succeeded")
        record(result, future)
        expect_code(future, grpc.StatusCode.FAILED_PRECONDITION)
        expect(future.details() == "stop sending", "details %r" % future.details())
        expect_metadata(future.trailing_metadata(),
                        metadata + [("x-error-detail", "failed as asked: FAILED_PRECONDITION")], "trailing")

    def status_not_found(self, result):
        self._status(result, grpc.StatusCode.NOT_FOUND, "book 42 not found", False)

    def status_internal(self, result):
        # Headers first, then trailers; a message with characters grpc-message percent-encodes.
        self._status(result, grpc.StatusCode.INTERNAL, "internal: 100% broken, caf\u00e9 \u2615", True)

    def status_unavailable(self, result):
        self._status(result, grpc.StatusCode.UNAVAILABLE, "backend is draining", False)

    # --- not in the default set ------------------------------------------------------------

    def hold(self, result):
        """Opens a server stream that the server holds open, writes "holding" on stderr, and waits
        for whoever stops the stream (a proxy shutting down) to end it with an error status."""
        call = self.server_stream_call(json.dumps({"count": 1, "size": 100, "hold": True}).encode(),
                                       metadata=[("x-case", "hold")], timeout=CALL_TIMEOUT)
        expect(next(call) == stream_message(0, 100), "wrong stream message")
        print("holding", file=sys.stderr, flush=True)
        try:
            rest = list(call)
            raise Mismatch("the stream ended cleanly after %d more messages" % len(rest))
        except grpc.RpcError:
            pass
        record(result, call)
        expect(call.code() != grpc.StatusCode.OK, "the held stream ended with OK")

    def long_call(self, result):
        """A 2 s call: with --keepalive-ms, the client PINGs meanwhile and needs the acks."""
        self._unary_echo(result, b"long call", [("x-case", "long_call")], [("x-sleep-ms", "2000")])

    def cancel(self, result):
        """The client cancels a bidi call mid-stream: the RST_STREAM reaches the server, which
        says so through Cancelled (polled until it does, at most 10 s). `polls` counts those calls."""
        call_id = "cancel-%d-%s" % (os.getpid(), os.urandom(4).hex())
        outgoing = queue.Queue()
        call = self.bidi_call(queued(outgoing), metadata=[("x-case", "cancel"), ("x-call-id", call_id)],
                              timeout=CALL_TIMEOUT)
        result["polls"] = 0
        try:
            outgoing.put(b"before the cancel")
            expect(next(call) == b"before the cancel", "wrong echo")
            call.cancel()
            record(result, call)
            expect_code(call, grpc.StatusCode.CANCELLED)
            give_up = time.monotonic() + 10
            while True:
                result["polls"] += 1
                seen = json.loads(self.cancelled_call(b"", timeout=CALL_TIMEOUT).decode())["cancelled"]
                if call_id in seen:
                    break
                expect(time.monotonic() < give_up, "the server never saw the cancellation")
                time.sleep(0.02)
        finally:
            outgoing.put(None)

    def server_vanishes(self, result):
        """The server process dies (Exit) while a server stream is open, after 2 messages: both
        calls end with an error status, not OK. The stream's code is in `code`, Exit's in
        `exit_code` (and its weft-proxy-error, if any, in `exit_proxy_error`)."""
        call = self.server_stream_call(json.dumps({"count": 2, "size": 1000, "hold": True}).encode(),
                                       metadata=[("x-case", "server_vanishes")], timeout=CALL_TIMEOUT)
        expect(next(call) == stream_message(0, 1000) and next(call) == stream_message(1, 1000),
               "wrong stream messages")
        try:
            self.exit_call.with_call(b"", timeout=CALL_TIMEOUT)
            raise Mismatch("Exit returned")
        except grpc.RpcError as e:
            result["exit_code"] = e.code().name
            result["exit_details"] = e.details() or ""
            headers = list(e.initial_metadata() or ()) + list(e.trailing_metadata() or ())
            result["exit_proxy_error"] = next((v for k, v in headers if k == "weft-proxy-error"), "")
        try:
            rest = list(call)
            raise Mismatch("the stream ended cleanly after %d more messages" % len(rest))
        except grpc.RpcError:
            pass
        record(result, call)
        expect(result["exit_code"] != "OK", "Exit succeeded")
        expect(call.code() not in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED),
               "stream ended with %s: the client did not cancel" % call.code().name)

    def unreachable(self, result):
        """The endpoint is down: the proxy answers UNAVAILABLE and names the cause in weft-proxy-error."""
        try:
            self.unary_call.with_call(b"nobody home", metadata=[("x-case", "unreachable")], timeout=CALL_TIMEOUT)
            raise Mismatch("the call succeeded")
        except grpc.RpcError as call:
            record(result, call)
            expect_code(call, grpc.StatusCode.UNAVAILABLE)
            headers = list(call.initial_metadata() or ()) + list(call.trailing_metadata() or ())
            errors = [v for k, v in headers if k == "weft-proxy-error"]
            result["weft_proxy_error"] = errors[0] if errors else ""
            expect(errors, "no weft-proxy-error in the response metadata")


class Fleet(Cases):
    """Cases against several replicas behind one proxy address (balancing, retries, policy)."""

    calls = 100
    concurrency = 1

    def spread(self, result):
        """`calls` Unary calls on the one channel, `concurrency` in flight at a time; counts which
        replica (x-served-by) answered and with which status. Always ok: the test judges the
        counts."""
        def one(i):
            try:
                _, call = self.unary_call.with_call(b"call %d" % i, timeout=CALL_TIMEOUT)
                return call.code(), list(call.initial_metadata() or ())
            except grpc.RpcError as e:
                return e.code(), list(e.initial_metadata() or ()) + list(e.trailing_metadata() or ())

        served_by, codes = {}, {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for code, headers in pool.map(one, range(self.calls)):
                codes[code.name] = codes.get(code.name, 0) + 1
                name = next((v for k, v in headers if k == "x-served-by"), "")
                served_by[name] = served_by.get(name, 0) + 1
        result["served_by"] = served_by
        result["codes"] = codes

    def _expect_proxy_status(self, result, metadata, code, case):
        try:
            self.unary_call.with_call(b"policy", metadata=metadata, timeout=CALL_TIMEOUT)
            raise Mismatch("the call succeeded")
        except grpc.RpcError as call:
            record(result, call)
            expect_code(call, code)
            headers = list(call.initial_metadata() or ()) + list(call.trailing_metadata() or ())
            errors = [v for k, v in headers if k == "weft-proxy-error"]
            result["weft_proxy_error"] = errors[0] if errors else ""
            expect(errors, "no weft-proxy-error in the response metadata (%s)" % case)

    def proxy_timeout(self, result):
        """weft-timeout: 200ms on a call the server holds for 5 s: the proxy ends it with
        DEADLINE_EXCEEDED (and the server's answer never comes)."""
        self._expect_proxy_status(result, [("weft-timeout", "200ms"), ("x-sleep-ms", "5000")],
                                  grpc.StatusCode.DEADLINE_EXCEEDED, "proxy_timeout")

    def failfast(self, result):
        """No endpoint of the service is ready: after the failfast timeout, DEADLINE_EXCEEDED."""
        self._expect_proxy_status(result, [], grpc.StatusCode.DEADLINE_EXCEEDED, "failfast")


DEFAULT_CASES = [
    "unary", "server_stream", "client_stream", "bidi",
    "large_unary", "large_server_stream", "large_client_stream", "large_bidi",
    "metadata", "concurrent_unary",
    "deadline", "status_not_found", "status_internal", "status_unavailable", "early_status",
]
EXTRA_CASES = ["unreachable", "cancel", "server_vanishes", "long_call", "hold",
               "spread", "proxy_timeout", "failfast"]


def main():
    global CALL_TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server or the proxy")
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help="comma-separated; default: %(default)s; also: " + ",".join(EXTRA_CASES))
    parser.add_argument("--repeat", type=int, default=1, help="run the cases this many times")
    parser.add_argument("--call-timeout", type=float, default=CALL_TIMEOUT,
                        help="deadline of each call in seconds (default %(default)s)")
    parser.add_argument("--calls", type=int, default=100, help="calls of the spread case")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="calls of the spread case in flight at a time")
    parser.add_argument("--keepalive-ms", type=int, default=0,
                        help="PING every N ms, even with no call, and give up on the connection "
                             "when an ack takes over a second")
    args = parser.parse_args()
    CALL_TIMEOUT = args.call_timeout
    Fleet.calls = args.calls
    Fleet.concurrency = args.concurrency
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in DEFAULT_CASES + EXTRA_CASES]
    if unknown:
        print("unknown cases: %s" % ",".join(unknown), file=sys.stderr)
        return 2

    all_ok = True
    options = list(OPTIONS)
    if args.keepalive_ms > 0:
        options += [("grpc.keepalive_time_ms", args.keepalive_ms), ("grpc.keepalive_timeout_ms", 1000),
                    ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.max_pings_without_data", 0)]
    with grpc.insecure_channel(args.target, options=options) as channel:
        cases = Fleet(channel)
        for name in names * args.repeat:
            result = {"case": name, "ok": False, "problem": ""}
            started = time.monotonic()
            try:
                getattr(cases, name)(result)
                result["ok"] = True
            except Mismatch as e:
                result["problem"] = str(e)
            except grpc.RpcError as call:
                record(result, call)
                result["problem"] = "unexpected status %s: %s" % (call.code().name, call.details())
            except Exception as e:  # a bug in the case itself: report it as this case's failure
                result["problem"] = "%s: %s" % (type(e).__name__, e)
            result["seconds"] = round(time.monotonic() - started, 3)
            all_ok = all_ok and result["ok"]
            print(json.dumps(result, sort_keys=True), flush=True)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
