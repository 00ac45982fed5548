"""HTTP load generator, run in its own process: POSTs a JSON body with a fresh
``Idempotency-Key`` per request over keep-alive loopback connections, one per thread.

Closed loop (each thread sends as soon as its previous answer arrived) measures the most a server
sustains; ``--rate`` gives an open loop at a fixed rate, with latency counted from each request's
scheduled time so a server falling behind cannot hide it (no coordinated omission).

Prints one JSON line: requests, errors, status counts, seconds, throughput, p50 and p99 in ms.
Uses the standard library's ``http.client``: the cheapest Python client, so that on a small
machine most of the CPU is left to the server under test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.stats import percentile


@dataclass
class Load:
    host: str
    port: int
    path: str
    body: bytes
    headers: dict[str, str]
    concurrency: int
    rate: float | None = None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, latency_s: float) -> None:
        with self.lock:
            if status is None:
                self.errors += 1
                return
            self.statuses[status] += 1
            if 200 <= status < 300:
                self.latencies.append(latency_s)
            else:
                self.errors += 1


class Schedule:
    """Hands out send times: ``None`` (as soon as possible) or every ``1/rate`` seconds."""

    def __init__(self, rate: float | None, start: float, end: float) -> None:
        self.rate, self.start, self.end = rate, start, end
        self._next = 0
        self._lock = threading.Lock()

    def next_send_time(self) -> float | None:
        """The time to send the next request at, or ``None`` for "now"; raises when over."""
        if self.rate is None:
            if time.monotonic() >= self.end:
                raise StopIteration
            return None
        with self._lock:
            at = self.start + self._next / self.rate
            self._next += 1
        if at >= self.end:
            raise StopIteration
        return at


def send(connection: http.client.HTTPConnection, load: Load) -> int:
    headers = {**load.headers, "Idempotency-Key": str(uuid.uuid4())}
    connection.request("POST", load.path, body=load.body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def worker(load: Load, schedule: Schedule, tally: Tally | None) -> None:
    connection = http.client.HTTPConnection(load.host, load.port, timeout=30)
    while True:
        try:
            at = schedule.next_send_time()
        except StopIteration:
            break
        if at is not None:
            time.sleep(max(0.0, at - time.monotonic()))
        started = at if at is not None else time.monotonic()
        status: int | None
        try:
            status = send(connection, load)
        except (OSError, http.client.HTTPException):
            status = None
            connection.close()
            connection = http.client.HTTPConnection(load.host, load.port, timeout=30)
        if tally is not None:
            tally.record(status, time.monotonic() - started)
    connection.close()


def run_phase(load: Load, seconds: float, tally: Tally | None) -> float:
    start = time.monotonic()
    schedule = Schedule(load.rate, start, start + seconds)
    threads = [
        threading.Thread(target=worker, args=(load, schedule, tally), daemon=True)
        for _ in range(load.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


def measure(load: Load, seconds: float, warmup_s: float) -> dict[str, object]:
    warmup = Tally()
    if warmup_s > 0:
        run_phase(load, warmup_s, warmup)
    tally = Tally()
    elapsed = run_phase(load, seconds, tally)
    ok = len(tally.latencies)
    return {
        "requests": ok + tally.errors,
        "warmup_requests": len(warmup.latencies) + warmup.errors,
        "ok": ok,
        "errors": tally.errors,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "seconds": elapsed,
        "throughput": ok / elapsed if elapsed else 0.0,
        "p50_ms": percentile(tally.latencies, 0.50) * 1000,
        "p99_ms": percentile(tally.latencies, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/v1/incidents")
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=float, default=None, help="requests/s (open loop)")
    args = parser.parse_args()
    url = urlsplit(args.url)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the load generator only targets loopback addresses")
    headers = {"Content-Type": "application/json"}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    with open(args.body_file, "rb") as body:
        load = Load(
            host=url.hostname,
            port=url.port or 80,
            path=url.path,
            body=body.read(),
            headers=headers,
            concurrency=args.concurrency,
            rate=args.rate,
        )
    print(json.dumps(measure(load, args.seconds, args.warmup)))


if __name__ == "__main__":
    main()
