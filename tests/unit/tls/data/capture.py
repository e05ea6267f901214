#!/usr/bin/env python3
"""Regenerates the ClientHello fixtures in this directory from real clients.

A listener on 127.0.0.1 (port 0) records the TLS records that carry each client's first handshake
message, writes them to <name>.bin and closes the connection (the client's handshake then fails,
which is expected). Clients: `openssl s_client` (TLS 1.3 and TLS 1.2, with and without SNI) and
python3's `ssl` module, and
one openssl hello spread over three records. Each hello's random and key shares differ on every run; the SNI and ALPN the
unit tests expect do not.

usage: tests/unit/tls/data/capture.py   (needs openssl and python3; writes beside itself)
"""
import os
import socket
import ssl
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_hello_records(conn):
    """Reads whole handshake records until they hold the first handshake message."""
    records, handshake = b"", b""
    while len(handshake) < 4 or len(handshake) < 4 + int.from_bytes(handshake[1:4], "big"):
        header = read_exact(conn, 5)
        if header[0] != 0x16:
            raise ValueError(f"record type {header[0]:#x} is not handshake")
        fragment = read_exact(conn, int.from_bytes(header[3:5], "big"))
        records += header + fragment
        handshake += fragment
    return records


def capture(name, run_client):
    """Listens once, runs the client against the port, writes what it sent first."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(10)
    port = server.getsockname()[1]
    client = threading.Thread(target=run_client, args=(port,), daemon=True)
    client.start()
    conn, _ = server.accept()
    with conn:
        conn.settimeout(10)
        records = read_hello_records(conn)
    server.close()
    client.join(timeout=10)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(records)
    print(f"{name}.bin: {len(records)} bytes")


def openssl(*args):
    def run(port):
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10, check=False)
    return run


def python_ssl(server_hostname, alpn):
    def run(port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(alpn)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                with ctx.wrap_socket(sock, server_hostname=server_hostname):
                    pass
        except (OSError, ssl.SSLError):
            pass  # the listener hangs up after the hello
    return run


def main():
    identity_sni = "web.default.serviceaccount.identity.cluster.local"
    capture("openssl_tls13_sni_alpn",
            openssl("-servername", identity_sni, "-alpn", "h2,http/1.1"))
    capture("openssl_tls12_sni_alpn",
            openssl("-tls1_2", "-servername", "x.y", "-alpn", "h2,http/1.1"))
    capture("openssl_no_sni", openssl("-noservername"))
    capture("python_sni_alpn", python_ssl("api.example.test", ["h2", "http/1.1"]))
    # 62 ALPN protocols make the hello longer than 512 bytes; -max_send_frag 512 (OpenSSL's least)
    # then spreads it over three handshake records, as a large post-quantum hello would be.
    many_alpn = ",".join(["h2", "http/1.1"] + [f"weft-proto-{i:03d}" for i in range(60)])
    capture("openssl_fragmented",
            openssl("-servername", "frag.example.test", "-max_send_frag", "512", "-alpn", many_alpn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
