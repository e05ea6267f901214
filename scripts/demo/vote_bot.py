#!/usr/bin/python3
"""The demo's load generator: HTTP/1.1 requests to the web frontend at a steady rate.

  vote_bot.py HOST:PORT [--rate 20] [--seconds 10] [--seed 1]

Keeps one keep-alive connection (reconnecting after an error) and sends --rate requests a second
for --seconds: four in five are votes, for a random emoji (about one vote in ten for the doughnut,
which the voting service refuses), the fifth fetches the leaderboard. The choices come from a
seeded generator, so two runs send the same requests. At the end prints one line:
"requests=N ok=N client_errors=N server_errors=N failed=N" (failed: no HTTP response at all),
and exits 0 if at least one request got an answer.
"""
import argparse
import http.client
import random
import sys
import time

import voting_api as api

DOUGHNUT_SHARE = 0.1


def next_path(rng):
    if rng.random() < 0.2:
        return "/api/leaderboard"
    if rng.random() < DOUGHNUT_SHARE:
        emoji = api.FAILING_EMOJI
    else:
        emoji = rng.choice([e for e in api.EMOJI if e != api.FAILING_EMOJI])
    return f"/api/vote?emoji={emoji}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="HOST:PORT of the web frontend")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    rng = random.Random(args.seed)
    counts = {"requests": 0, "ok": 0, "client_errors": 0, "server_errors": 0, "failed": 0}
    conn = None
    start = time.monotonic()
    total = int(args.rate * args.seconds)
    for i in range(total):
        # Paced against the start, so that a slow answer does not lower the average rate.
        delay = start + i / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        path = next_path(rng)
        counts["requests"] += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as e:
            print(f"vote-bot: GET {path}: {e!r}", file=sys.stderr, flush=True)
            counts["failed"] += 1
            if conn is not None:
                conn.close()
            conn = None
            continue
        if status < 400:
            counts["ok"] += 1
        elif status < 500:
            counts["client_errors"] += 1
        else:
            counts["server_errors"] += 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()), flush=True)
    sys.exit(0 if counts["requests"] > counts["failed"] else 1)


if __name__ == "__main__":
    main()
