"""Event store: appending to an existing incident with optimistic concurrency, ours against the
``eventsourcing`` library on the same kind of database in the same round; and loading an
incident with thousands of events (snapshot + tail).

Both sides append one event per transaction to a stream that already exists, knowing the
version they expect, as a command does after loading its aggregate: ours through
``EventStore.append`` (hash chain, outbox row, unique ``(stream, version)``), the peer through
``Application.save`` (unique ``(originator_id, originator_version)``).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate as PeerAggregate
from eventsourcing.domain import event
from eventsourcing.sqlite import SQLiteFactory
from sqlalchemy import make_url

from bench.context import SQLITE, BenchContext
from bench.stats import median, percentile, ratio
from services.intake.domain import Incident
from services.intake.domain.events import (
    AllegationReceived,
    CaseManagerAssigned,
    DuplicateCheckCompleted,
    registry,
)
from shared.commands import Repository
from shared.database import make_engine, normalize_url
from shared.eventstore import AppendContext, EventStore
from shared.migrations import service_migrations, upgrade

APPEND_BATCH = 100
"""Appends are timed in batches; the figure is the median batch rate."""


SYNCHRONOUS_LEVELS = {"NORMAL": "append", "FULL": "append.full"}
"""On SQLite both sides run at the same durability, once at each level: ``NORMAL`` (the
services' setting: WAL synced at checkpoints) and ``FULL`` (eventsourcing's default: the WAL
synced at every commit). PostgreSQL's durability is the server's, the same for both."""


def run(ctx: BenchContext) -> dict[str, float]:
    results: dict[str, float] = {}
    levels = SYNCHRONOUS_LEVELS if ctx.backend == SQLITE else {"NORMAL": "append"}
    for level, prefix in levels.items():
        with ctx.database("store") as url:
            upgrade(service_migrations("intake"), url)
            store = EventStore(
                make_engine(url, sqlite_synchronous=level), registry, service="intake"
            )
            results[f"{prefix}.ours.per_s"] = _append_ours(store, ctx.sizes.appends)
            if prefix == "append":
                results.update(_load_long_stream(store, ctx))
            store.engine.dispose()
        with ctx.database("peer") as url:
            env = _peer_env(ctx, url, level)
            results[f"{prefix}.peer.per_s"] = _append_peer(env, ctx.sizes.appends)
        results[f"{prefix}.ratio"] = ratio(
            results[f"{prefix}.ours.per_s"], results[f"{prefix}.peer.per_s"]
        )
    return results


# --- ours ---------------------------------------------------------------------------------------
def _context() -> AppendContext:
    return AppendContext(
        tenant="bench", actor="bench", now=datetime.now(UTC), correlation_id="bench"
    )


def _opened(incident_id: uuid.UUID) -> AllegationReceived:
    now = datetime.now(UTC)
    return AllegationReceived(
        incident_id=incident_id,
        occurred_at=now,
        reference="INC-2026-BENCH1",
        allegation_id=uuid.uuid4(),
        channel="ngo_report",
        alleged_abuses=["debt_bondage"],
        ilo_indicators=["debt_bondage"],
        minerals=["cobalt"],
        country="CD",
        site_type="asm",
        site_ref="KOL-ASM-017",
        alleged_actors=[],
        child_involved=False,
        immediate_danger=False,
        summary_ref="ref-bench",
        reporter_id=uuid.uuid4(),
        received_at=now,
        status="received",
    )


def _follow_up(incident_id: uuid.UUID, index: int) -> CaseManagerAssigned | DuplicateCheckCompleted:
    now = datetime.now(UTC)
    if index % 2:
        return DuplicateCheckCompleted(
            incident_id=incident_id, occurred_at=now, duplicates_found=False
        )
    return CaseManagerAssigned(
        incident_id=incident_id, occurred_at=now, case_manager_id=f"cm-{index}"
    )


def _append_ours(store: EventStore, count: int) -> float:
    incident_id = uuid.uuid4()
    stream = str(incident_id)
    with store.transaction() as conn:
        store.append(conn, stream, 0, [_opened(incident_id)], _context())
    version = 1
    rates: list[float] = []
    for start in range(0, count, APPEND_BATCH):
        batch = min(APPEND_BATCH, count - start)
        began = time.perf_counter()
        for index in range(batch):
            with store.transaction() as conn:
                store.append(conn, stream, version, [_follow_up(incident_id, index)], _context())
            version += 1
        rates.append(batch / (time.perf_counter() - began))
    return median(rates)


def _load_long_stream(store: EventStore, ctx: BenchContext) -> dict[str, float]:
    """Write a stream of ``long_stream_events`` events (snapshots as commands take them), then
    time loading it as every command does."""
    incident_id = uuid.uuid4()
    stream = str(incident_id)
    repository = Repository(store, Incident)
    aggregate = Incident(stream)
    aggregate.record(_opened(incident_id))
    total = ctx.sizes.long_stream_events
    while aggregate.version + len(aggregate.changes) < total:
        expected = aggregate.version
        room = min(APPEND_BATCH, total - expected) - len(aggregate.changes)
        for index in range(room):
            aggregate.record(_follow_up(incident_id, expected + index))
        with store.transaction() as conn:
            store.append(
                conn, stream, expected, aggregate.changes, _context(),
                state_after=aggregate.snapshot,
            )  # fmt: skip
        aggregate.version = expected + len(aggregate.changes)
        aggregate.changes = []
    timings: list[float] = []
    for _ in range(ctx.sizes.stream_loads):
        began = time.perf_counter()
        loaded = repository.load(stream, "bench")
        timings.append(time.perf_counter() - began)
        assert loaded.version == total, (loaded.version, total)
    return {
        "load.events": float(total),
        "load.p50_ms": median(timings) * 1000,
        "load.p99_ms": percentile(timings, 0.99) * 1000,
    }


# --- the peer -----------------------------------------------------------------------------------
class PeerIncident(PeerAggregate):
    @event("Opened")
    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.case_manager_id = ""

    @event("CaseManagerAssigned")
    def assign(self, case_manager_id: str) -> None:
        self.case_manager_id = case_manager_id


class SameDurabilitySQLiteFactory(SQLiteFactory):
    """eventsourcing's own SQLite persistence, its connections set to the ``synchronous`` level
    given as ``SQLITE_SYNCHRONOUS`` (the library has no setting for it)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        level = self.env.get(PEER_SYNCHRONOUS, "FULL")
        pool = self.datastore.pool
        create = pool._create_connection

        def create_at_level() -> Any:
            connection = create()
            connection._sqlite_conn.execute(f"PRAGMA synchronous={level}")
            return connection

        pool._create_connection = create_at_level  # type: ignore[method-assign]


PEER_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"


def _peer_env(ctx: BenchContext, url: str, synchronous: str) -> dict[str, str]:
    if ctx.backend == SQLITE:
        return {
            "PERSISTENCE_MODULE": f"{__name__}:{SameDurabilitySQLiteFactory.__name__}",
            "SQLITE_DBNAME": make_url(url).database or "",
            PEER_SYNCHRONOUS: synchronous,
        }
    parsed = make_url(normalize_url(url))
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.database or "",
        "POSTGRES_HOST": parsed.host or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
    }


def _append_peer(env: dict[str, Any], count: int) -> float:
    application: Application[Any] = Application(env=env)
    try:
        incident = PeerIncident(reference="INC-2026-BENCH1")
        application.save(incident)
        rates: list[float] = []
        for start in range(0, count, APPEND_BATCH):
            batch = min(APPEND_BATCH, count - start)
            began = time.perf_counter()
            for index in range(batch):
                incident.assign(f"cm-{index}")
                application.save(incident)
            rates.append(batch / (time.perf_counter() - began))
        return median(rates)
    finally:
        application.close()
