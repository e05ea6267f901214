#!/usr/bin/python3
"""Opaque TCP peers for weft's netns tests and demo (Debian's python3, standard library only).

  tcp_tool.py echo-server HOST PORT
      Echoes every connection back; on the client's half-close it finishes the echo and closes.
      Logs one line per connection: "conn peer=IP:PORT bytes=N".
  tcp_tool.py client HOST PORT [--bytes N] [--stream-seconds S] [--hold-file PATH] [--timeout S]
      Sends N bytes of a fixed pattern (or streams for S seconds), half-closes, reads the echo to EOF
      and checks it byte for byte. With --hold-file it keeps the connection open after the first
      echoed chunk until PATH exists. Prints "sent=N received=M" and exits 0 only if they match.
"""
import argparse
import os
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


PERIOD = 65521  # prime: a chunk that is lost, repeated or reordered shows up as a mismatch
BASE = bytes(((i % PERIOD) * 7 + ((i % PERIOD) >> 8)) & 0xFF for i in range(PERIOD + CHUNK))


def pattern(offset, size):
    """Bytes offset..offset+size of an endless, position-dependent pattern (size <= CHUNK)."""
    start = offset % PERIOD
    return BASE[start:start + size]


def serve_one(conn, peer):
    total = 0
    with conn:
        while True:
            data = conn.recv(CHUNK)
            if not data:
                break
            conn.sendall(data)
            total += len(data)
        conn.shutdown(socket.SHUT_WR)
    print(f"conn peer={peer[0]}:{peer[1]} bytes={total}", flush=True)


def echo_server(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(128)
    print(f"listening {args.host}:{args.port}", flush=True)
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=serve_one, args=(conn, peer), daemon=True).start()


def reader(sock, result):
    """Reads the echo to EOF, checking it against the pattern as it arrives."""
    received, ok = 0, True
    while True:
        try:
            data = sock.recv(CHUNK)
        except OSError as e:
            print(f"read failed after {received} bytes: {e}", file=sys.stderr, flush=True)
            ok = False
            break
        if not data:
            break
        if data != pattern(received, len(data)):
            ok = False
        received += len(data)
        result["first_echo"].set()
    result["received"], result["ok"] = received, ok
    result["first_echo"].set()


def client(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(args.timeout * 3)  # covers a --hold-file wait of up to --timeout
    result = {"first_echo": threading.Event(), "received": 0, "ok": False}
    thread = threading.Thread(target=reader, args=(sock, result), daemon=True)
    thread.start()
    sent = 0
    deadline = time.monotonic() + args.stream_seconds if args.stream_seconds else None
    while (deadline and time.monotonic() < deadline) or (not deadline and sent < args.bytes):
        size = CHUNK if deadline else min(CHUNK, args.bytes - sent)
        sock.sendall(pattern(sent, size))
        sent += size
        if deadline:
            time.sleep(0.01)  # pacing: about 1.6 MB/s, enough to show rates without hogging a core
        if args.hold_file and sent == size:
            result["first_echo"].wait(args.timeout)
            hold_until = time.monotonic() + args.timeout
            while not os.path.exists(args.hold_file) and time.monotonic() < hold_until:
                time.sleep(0.05)
    sock.shutdown(socket.SHUT_WR)
    thread.join(args.timeout)
    received, ok = result["received"], result["ok"]
    print(f"sent={sent} received={received}", flush=True)
    sock.close()
    return 0 if ok and received == sent and not thread.is_alive() else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("echo-server")
    srv.add_argument("host")
    srv.add_argument("port", type=int)
    cli = sub.add_parser("client")
    cli.add_argument("host")
    cli.add_argument("port", type=int)
    cli.add_argument("--bytes", type=int, default=1024)
    cli.add_argument("--stream-seconds", type=float, default=0)
    cli.add_argument("--hold-file")
    cli.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    if args.command == "echo-server":
        echo_server(args)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())
