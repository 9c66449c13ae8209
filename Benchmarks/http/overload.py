#!/usr/bin/env python3
"""Open-loop load: POSTs arrive at RATE per second (Poisson arrivals) whatever the answers take,
as independent clients do, so an overloaded server cannot slow the load down by answering late
(wrk's connections wait for their answer before sending again and would).

    overload.py URL BODY RATE SECONDS

Each arrival takes an idle kept-alive connection, or opens one when none is idle (HTTP/1.1).
Prints one line of key=value figures: offered and answered rates, and per outcome the count and
latency (p50, p99, max, in ms). Standard library only.
"""

import asyncio
import random
import sys
import time
from urllib.parse import urlsplit


class Client:
    def __init__(self, host, port, path, body):
        self.host, self.port = host, port
        self.request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.idle = []
        self.results = []

    async def one(self):
        started = time.monotonic()
        status = 0
        connection = self.idle.pop() if self.idle else None
        try:
            if connection is None:
                connection = await asyncio.open_connection(self.host, self.port)
            reader, writer = connection
            writer.write(self.request)
            parts = (await reader.readline()).split()
            status = int(parts[1]) if len(parts) >= 2 else 0
            length, keep = 0, True
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value.strip())
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    keep = False
            await reader.readexactly(length)
            if keep:
                self.idle.append(connection)
            else:
                writer.close()
        except (OSError, ValueError, asyncio.IncompleteReadError):
            status = 0
        self.results.append((status, (time.monotonic() - started) * 1000))


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main():
    url, body, rate, seconds = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3]), float(sys.argv[4])
    parts = urlsplit(url)
    client = Client(parts.hostname, parts.port, parts.path, body)
    tasks = []
    started = time.monotonic()
    next_at = started
    while True:
        next_at += random.expovariate(rate)
        if next_at - started >= seconds:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        tasks.append(asyncio.create_task(client.one()))
    sent_for = time.monotonic() - started
    await asyncio.gather(*tasks)
    results = client.results
    classes = {"ok": [t for s, t in results if s == 200], "unavailable": [t for s, t in results if s == 503]}
    other = [s for s, _ in results if s not in (200, 503)]
    figures = [f"offered={len(tasks) / sent_for:.1f}/s", f"ok_rate={len(classes['ok']) / sent_for:.1f}/s"]
    for name, times in classes.items():
        figures.append(
            f"{name}={len(times)} {name}_p50={percentile(times, 0.5):.1f} {name}_p99={percentile(times, 0.99):.1f} "
            f"{name}_max={max(times, default=0):.1f}"
        )
    figures.append(f"other={len(other)}")
    figures.append(f"max={max((t for _, t in results), default=0):.1f}")
    print(" ".join(figures))


asyncio.run(main())
