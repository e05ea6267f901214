#!/usr/bin/python3
"""WebSocket echo for the HTTP/1 proxy's Upgrade test (python3-websockets).
  ws_echo.py server          echoes every message; prints "listening on <port>" to stderr
  ws_echo.py client <url> N  sends N messages of growing size, checks each echo, prints "ok N"
"""
import asyncio
import sys

import websockets


async def echo(ws, *_):
    async for message in ws:
        await ws.send(message)


async def serve():
    async with websockets.serve(echo, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on {port}", file=sys.stderr, flush=True)
        await asyncio.Future()


async def client(url, n):
    async with websockets.connect(url, open_timeout=10) as ws:
        for i in range(n):
            message = ("m%d-" % i) + "x" * (i * 997)
            await ws.send(message)
            reply = await asyncio.wait_for(ws.recv(), 10)
            if reply != message:
                print(f"mismatch at {i}", flush=True)
                return 1
    print(f"ok {n}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(serve())
    else:
        sys.exit(asyncio.run(client(sys.argv[2], int(sys.argv[3]))))
