"""Projection lag: allegations submitted at a steady rate to intake, each event followed from its
commit (the moment its row is visible in intake's event store) to the moment its row is visible
in reporting's read model, through the relay, the broker and reporting's projector. Intake and
reporting each run in their own process; this process only polls the two databases.

The lag from the event's recorded time (taken as the request is handled, before the commit) is
reported too: it adds the time the request waited for the write path."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select

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
from shared.tables import events

POLL_INTERVAL_S = 0.005


class RowWatcher:
    """Notes when each event's row first shows up in a table (``position`` and ``event_id``
    columns): intake's event store (the commit) or reporting's timeline (the read model)."""

    def __init__(self, database_url: str, table: Table) -> None:
        self.engine = make_engine(database_url)
        self.table = table
        self.seen: dict[str, float] = {}
        self._last_position = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="row-watcher", daemon=True)

    def start(self) -> RowWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()

    def _loop(self) -> None:
        columns = self.table.c
        query = select(columns.position, columns.event_id).order_by(columns.position)
        while not self._stop.is_set():
            with self.engine.connect() as conn:
                rows = list(conn.execute(query.where(columns.position > self._last_position)))
            now = time.time()
            for row in rows:
                self.seen.setdefault(row.event_id, now)
                self._last_position = row.position
            self._stop.wait(POLL_INTERVAL_S)

    def clear(self) -> None:
        self.seen.clear()

    def wait_for(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.seen) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True


def recorded_times(database_url: str, event_ids: set[str]) -> dict[str, float]:
    """When each event was recorded (its ``time``, taken as the request is handled)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(timeline.c.event_id, timeline.c.time))
            return {
                row.event_id: (
                    row.time if row.time.tzinfo else row.time.replace(tzinfo=UTC)
                ).timestamp()
                for row in rows
                if row.event_id in event_ids
            }
    finally:
        engine.dispose()


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
        committed = RowWatcher(intake_url, events).start()
        visible = RowWatcher(reporting_url, timeline).start()
        try:
            _submit(ctx, intake.url, key, directory, rate=5.0, seconds=1.0)  # projector joined
            if not visible.wait_for(2, timeout_s=90):
                raise RuntimeError("reporting's projector never caught up with the probe")
            committed.clear()
            visible.clear()
            result = _submit(
                ctx, intake.url, key, directory, ctx.sizes.lag_rate, ctx.sizes.lag_seconds
            )
            expected = 2 * int(result["ok"])  # AllegationReceived + ReporterRegistered
            complete = visible.wait_for(expected, timeout_s=60)
        finally:
            committed.stop()
            visible.stop()
            intake.stop()
            reporting.stop()
        recorded = recorded_times(reporting_url, set(visible.seen))
    from_commit = [t - committed.seen[e] for e, t in visible.seen.items() if e in committed.seen]
    from_recorded = [t - recorded[e] for e, t in visible.seen.items() if e in recorded]
    return {
        "lag.commands_per_s": result["throughput"],
        "lag.request_p99_ms": result["p99_ms"],
        "lag.p50_ms": percentile(from_commit, 0.50) * 1000,
        "lag.p99_ms": percentile(from_commit, 0.99) * 1000,
        "lag.max_ms": max(from_commit) * 1000 if from_commit else float("nan"),
        "lag.from_recorded_p50_ms": percentile(from_recorded, 0.50) * 1000,
        "lag.from_recorded_p99_ms": percentile(from_recorded, 0.99) * 1000,
        "lag.missing_events": float(0 if complete else expected - len(visible.seen)),
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
