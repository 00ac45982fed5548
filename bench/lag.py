"""Projection lag: allegations submitted at a steady rate to intake, each event followed from its
recorded time (taken as the request is handled, just before the commit) to the moment its row
is visible in reporting's read model, through the relay, the broker and reporting's projector.
Intake and reporting each run in their own process; this process only polls the read model."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.context import BenchContext
from bench.processes import run_json_worker
from bench.services import (
    auth_url,
    new_group_prefix,
    reporter_key,
    start_service,
    write_body,
)
from bench.stats import percentile
from services.reporting.tables import timeline
from shared.broker import LocalBroker, free_port
from shared.database import make_engine

POLL_INTERVAL_S = 0.005


class ReadModelWatcher:
    """Notes when each event first shows up in reporting's timeline."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)
        self.lags: dict[str, float] = {}
        self._last_position = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="read-model-watcher", daemon=True)

    def start(self) -> ReadModelWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()

    def _loop(self) -> None:
        query = select(timeline.c.position, timeline.c.event_id, timeline.c.time).order_by(
            timeline.c.position
        )
        while not self._stop.is_set():
            with self.engine.connect() as conn:
                rows = list(conn.execute(query.where(timeline.c.position > self._last_position)))
            seen = time.time()
            for row in rows:
                recorded = row.time if row.time.tzinfo else row.time.replace(tzinfo=UTC)
                self.lags[row.event_id] = seen - recorded.timestamp()
                self._last_position = row.position
            self._stop.wait(POLL_INTERVAL_S)

    def wait_for(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.lags) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def run(ctx: BenchContext) -> dict[str, float]:
    """On a broker of its own: reporting replays its topics from offset 0, and the other
    benchmarks' events there would be a backlog, not lag."""
    directory = ctx.scratch_dir("lag")
    broker = LocalBroker(port=free_port(), log_path=directory / "tansu.log").start()
    try:
        return _run(replace(ctx, broker=broker), directory)
    finally:
        broker.stop()


def _run(ctx: BenchContext, directory: Path) -> dict[str, float]:
    group_prefix = new_group_prefix()
    with ctx.database("lag-intake") as intake_url, ctx.database("lag-reporting") as reporting_url:
        key = reporter_key(auth_url(directory), tenant="bench")
        intake = start_service(ctx, "intake", intake_url, directory, group_prefix)
        reporting = start_service(ctx, "reporting", reporting_url, directory, group_prefix)
        watcher: ReadModelWatcher | None = None
        try:
            watcher = ReadModelWatcher(reporting_url).start()
            _submit(ctx, intake.url, key, directory, rate=5.0, seconds=1.0)  # projector joined
            if not watcher.wait_for(2, timeout_s=90):
                raise RuntimeError("reporting's projector never caught up with the probe")
            watcher.lags.clear()
            result = _submit(
                ctx, intake.url, key, directory, ctx.sizes.lag_rate, ctx.sizes.lag_seconds
            )
            expected = 2 * int(result["ok"])  # AllegationReceived + ReporterRegistered
            complete = watcher.wait_for(expected, timeout_s=60)
            lags = list(watcher.lags.values())
        finally:
            if watcher is not None:
                watcher.stop()
            intake.stop()
            reporting.stop()
    return {
        "lag.commands_per_s": result["throughput"],
        "lag.p50_ms": percentile(lags, 0.50) * 1000,
        "lag.p99_ms": percentile(lags, 0.99) * 1000,
        "lag.max_ms": max(lags) * 1000 if lags else float("nan"),
        "lag.missing_events": float(0 if complete else expected - len(lags)),
    }


def _submit(
    ctx: BenchContext, url: str, key: str, directory: Path, rate: float, seconds: float
) -> dict[str, Any]:
    arguments = [
        "--url", f"{url}/v1/incidents",
        "--body-file", str(write_body(directory)),
        "--header", f"Authorization: Bearer {key}",
        "--concurrency", "8",
        "--rate", str(rate),
        "--seconds", str(seconds),
        "--warmup", "0",
    ]  # fmt: skip
    return run_json_worker("bench.loadgen", arguments, timeout_s=seconds + 120)
