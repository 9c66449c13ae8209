#!/usr/bin/env python3
"""Open-loop load: POSTs arrive at RATE per second (Poisson arrivals) whatever the answers take,
as independent clients do, so an overloaded server cannot slow the load down by answering late
(wrk's connections wait for their answer before sending again and would).

    overload.py URL BODY RATE SECONDS

Each request opens its own connection (HTTP/1.1, Connection: close). Prints one line of
key=value figures: offered and answered rates, and per status class the count and latency
(p50, p99, max, in ms). Standard library only.
"""

import asyncio
import random
import sys
import time
from urllib.parse import urlsplit


async def one(host, port, path, body, results):
    started = time.monotonic()
    status = 0
    try:
        reader, writer = await asyncio.open_connection(host, port)
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        writer.write(request)
        await writer.drain()
        line = await reader.readline()
        parts = line.split()
        status = int(parts[1]) if len(parts) >= 2 else 0
        await reader.read()  # the rest, until the server closes
        writer.close()
    except (OSError, ValueError, asyncio.IncompleteReadError):
        status = 0
    results.append((status, (time.monotonic() - started) * 1000))


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main():
    url, body, rate, seconds = sys.argv[1], sys.argv[2].encode(), float(sys.argv[3]), float(sys.argv[4])
    parts = urlsplit(url)
    results, tasks = [], []
    started = time.monotonic()
    next_at = started
    while True:
        next_at += random.expovariate(rate)
        if next_at - started >= seconds:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        tasks.append(asyncio.create_task(one(parts.hostname, parts.port, parts.path, body, results)))
    sent_for = time.monotonic() - started
    await asyncio.gather(*tasks)
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
