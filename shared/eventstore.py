"""The SQL event store: append with optimistic concurrency, read a stream, read everything.

One table holds every event of a service (global ``position`` order, unique
``(stream_id, stream_version)``); the outbox row of each event is written in the same
transaction, so an event is never committed without being scheduled for publication.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from shared.database import read_transaction, write_transaction
from shared.domain import DomainEvent, EventRegistry
from shared.envelope import GENESIS_HASH, EventEnvelope
from shared.errors import ConcurrencyError
from shared.metrics import EVENTS_APPENDED
from shared.tables import events, outbox, snapshots


@dataclass(frozen=True)
class AppendContext:
    """Who and why: becomes the envelope's actor, tenant, correlation and causation."""

    tenant: str
    actor: str
    now: datetime
    correlation_id: str
    causation_id: str | None = None


@dataclass(frozen=True)
class Snapshot:
    stream_id: str
    version: int
    tenant: str
    state: dict[str, Any]
    last_hash: str

# Statements of the append path, built once: building and cache-keying them per call cost as
# much as executing them.
_HEAD = (
    select(events.c.stream_version, events.c.hash)
    .where(events.c.stream_id == bindparam("stream_id"))
    .order_by(events.c.stream_version.desc())
    .limit(1)
)
_INSERT_EVENTS = insert(events)
_SCHEDULE_FOR_PUBLICATION = insert(outbox).from_select(
    ["position"],
    select(events.c.position).where(
        events.c.stream_id == bindparam("stream_id"),
        events.c.stream_version > bindparam("after_version"),
    ),
)


class EventStore:
    def __init__(
        self,
        engine: Engine,
        registry: EventRegistry,
        *,
        service: str,
        snapshot_every: int = 100,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.service = service
        self.source = f"/remedium/{service}"
        self.snapshot_every = snapshot_every
        self._after_commit: list[Callable[[], None]] = []

    # --- writing -----------------------------------------------------------------------
    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed write (the relay uses it to wake up)."""
        self._after_commit.append(listener)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; appends, vault writes and idempotency records share it."""
        with write_transaction(self.engine) as conn:
            yield conn
        for listener in self._after_commit:
            listener()

    def append(
        self,
        conn: Connection,
        stream_id: str,
        expected_version: int,
        new_events: list[DomainEvent],
        context: AppendContext,
        *,
        state_after: Callable[[], dict[str, Any]] | None = None,
    ) -> list[EventEnvelope]:
        """Append ``new_events`` after ``expected_version``; raise :class:`ConcurrencyError`
        when the stream is elsewhere. ``state_after`` lets the store take a snapshot when the
        stream crosses a multiple of ``snapshot_every``."""
        current_version, last_hash = self._head(conn, stream_id)
        if current_version != expected_version:
            raise ConcurrencyError(
                f"expected version {expected_version} but the stream is at {current_version}",
                current_version=current_version,
            )
        envelopes = self._envelopes(stream_id, expected_version, new_events, context, last_hash)
        self._insert(conn, envelopes)
        EVENTS_APPENDED.labels(self.service).inc(len(envelopes))
        new_version = expected_version + len(new_events)
        crossed = new_version // self.snapshot_every > expected_version // self.snapshot_every
        if state_after is not None and crossed:
            self._save_snapshot(
                conn,
                Snapshot(stream_id, new_version, context.tenant, state_after(), envelopes[-1].hash),
            )
        return envelopes

    def _head(self, conn: Connection, stream_id: str) -> tuple[int, str]:
        row = conn.execute(_HEAD, {"stream_id": stream_id}).first()
        return (row.stream_version, row.hash) if row else (0, GENESIS_HASH)

    def _envelopes(
        self,
        stream_id: str,
        expected_version: int,
        new_events: list[DomainEvent],
        context: AppendContext,
        prevhash: str,
    ) -> list[EventEnvelope]:
        envelopes: list[EventEnvelope] = []
        for offset, event in enumerate(new_events, start=1):
            event_id = str(uuid.uuid4())
            envelope = EventEnvelope(
                id=event_id,
                source=self.source,
                type=self.registry.type_of(event),
                subject=stream_id,
                time=context.now,
                tenant=context.tenant,
                streamid=stream_id,
                streamversion=expected_version + offset,
                actor=context.actor,
                correlationid=context.correlation_id,
                causationid=context.causation_id or context.correlation_id,
                data=event.model_dump(mode="json"),
            ).sealed(prevhash)
            envelopes.append(envelope)
            prevhash = envelope.hash
        return envelopes

    def _insert(self, conn: Connection, envelopes: list[EventEnvelope]) -> None:
        """Insert the events, then their outbox rows with one ``INSERT ... SELECT`` (no
        ``RETURNING`` round trip of the new positions through Python)."""
        try:
            conn.execute(_INSERT_EVENTS, [_row(envelope) for envelope in envelopes])
        except IntegrityError as error:
            raise ConcurrencyError("another write to this stream won the race") from error
        first = envelopes[0]
        conn.execute(
            _SCHEDULE_FOR_PUBLICATION,
            {"stream_id": first.streamid, "after_version": first.streamversion - 1},
        )

    def _save_snapshot(self, conn: Connection, snapshot: Snapshot) -> None:
        conn.execute(delete(snapshots).where(snapshots.c.stream_id == snapshot.stream_id))
        conn.execute(
            insert(snapshots).values(
                stream_id=snapshot.stream_id,
                stream_version=snapshot.version,
                tenant=snapshot.tenant,
                state=snapshot.state,
                last_hash=snapshot.last_hash,
            )
        )

    # --- reading -----------------------------------------------------------------------
    def read_stream(
        self, stream_id: str, *, after_version: int = 0, conn: Connection | None = None
    ) -> list[EventEnvelope]:
        query = (
            select(events)
            .where(events.c.stream_id == stream_id, events.c.stream_version > after_version)
            .order_by(events.c.stream_version)
        )
        if conn is not None:
            return [envelope_from_row(row) for row in conn.execute(query)]
        with read_transaction(self.engine) as own:
            return [envelope_from_row(row) for row in own.execute(query)]

    def read_all(
        self, *, after_position: int = 0, limit: int = 1000
    ) -> list[tuple[int, EventEnvelope]]:
        query = (
            select(events)
            .where(events.c.position > after_position)
            .order_by(events.c.position)
            .limit(limit)
        )
        with read_transaction(self.engine) as conn:
            return [(row.position, envelope_from_row(row)) for row in conn.execute(query)]

    def snapshot(self, stream_id: str, conn: Connection) -> Snapshot | None:
        row = conn.execute(select(snapshots).where(snapshots.c.stream_id == stream_id)).first()
        if row is None:
            return None
        return Snapshot(row.stream_id, row.stream_version, row.tenant, row.state, row.last_hash)

    def stream_tenant(self, stream_id: str, conn: Connection) -> str | None:
        return conn.execute(
            select(events.c.tenant).where(
                events.c.stream_id == stream_id, events.c.stream_version == 1
            )
        ).scalar_one_or_none()

    def stream_ids(self, tenant: str | None = None) -> list[str]:
        query = select(events.c.stream_id).where(events.c.stream_version == 1)
        if tenant is not None:
            query = query.where(events.c.tenant == tenant)
        with read_transaction(self.engine) as conn:
            return list(conn.execute(query.order_by(events.c.position)).scalars())

    def count(self) -> int:
        with read_transaction(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    def to_domain(self, envelope: EventEnvelope) -> DomainEvent:
        return self.registry.load(envelope.type, envelope.data)


def _row(envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "event_id": envelope.id,
        "stream_id": envelope.streamid,
        "stream_version": envelope.streamversion,
        "tenant": envelope.tenant,
        "type": envelope.type,
        "payload": envelope.data,
        "metadata": {
            "source": envelope.source,
            "subject": envelope.subject,
            "time": envelope.time_iso,
            "actor": envelope.actor,
            "correlationid": envelope.correlationid,
            "causationid": envelope.causationid,
        },
        "recorded_at": envelope.time,
        "hash": envelope.hash,
        "prev_hash": envelope.prevhash,
    }


def envelope_from_row(row: Any) -> EventEnvelope:
    """Rebuild the envelope of a row of the events table."""
    meta = row.metadata
    return EventEnvelope.from_attributes(
        {
            "id": row.event_id,
            "type": row.type,
            "tenant": row.tenant,
            "streamid": row.stream_id,
            "streamversion": row.stream_version,
            "hash": row.hash,
            "prevhash": row.prev_hash,
            **meta,
        },
        row.payload,
    )
