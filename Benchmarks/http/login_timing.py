#!/usr/bin/env python3
"""Times failed logins by cause through the gateway: unknown user, wrong password, locked
account, inactive account. Sends TRIES of each, interleaved, one at a time, and prints each
cause's median and how far the medians are apart.

Usage: login_timing.py BASE_URL WRONG_USER LOCKED_USER INACTIVE_USER [TRIES]
"""
import http.client
import statistics
import sys
import time
import urllib.parse


def attempt(connection, path, username, password):
    body = urllib.parse.urlencode({"username": username, "password": password})
    started = time.perf_counter()
    connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    if response.status != 401:
        raise SystemExit(f"{username}: expected 401, got {response.status}")
    return elapsed


def main():
    base, wrong, locked, inactive = sys.argv[1:5]
    tries = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    causes = {
        "unknown user": lambda n: ("nobody_%d_%d" % (n, time.time_ns()), "StrongPass123"),
        "wrong password": lambda n: (wrong, "WrongPass%d" % n),
        "locked account": lambda n: (locked, "StrongPass123"),
        "inactive account": lambda n: (inactive, "StrongPass123"),
    }
    times = {cause: [] for cause in causes}
    # A few untimed tries first, so the pacing has seen every cause.
    for n in range(8):
        for make in causes.values():
            attempt(connection, "/api/v1/login", *make(n))
    for n in range(tries):
        for cause, make in causes.items():
            times[cause].append(attempt(connection, "/api/v1/login", *make(n)))
    medians = {cause: statistics.median(values) for cause, values in times.items()}
    mean = statistics.mean(medians.values())
    for cause, median in medians.items():
        print(f"{cause:18s} median {median * 1000:7.2f} ms  ({(median / mean - 1) * 100:+.1f} % of the mean of medians)")
    spread = (max(medians.values()) - min(medians.values())) / mean * 100
    print(f"spread of the medians: {spread:.1f} % ({'within' if spread <= 5 else 'NOT within'} 5 %), {tries} tries each")


main()
