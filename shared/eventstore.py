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

from shared.database import DriverStatement, read_transaction, write_transaction
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
_ROW_COLUMNS = (
    "event_id",
    "stream_id",
    "stream_version",
    "tenant",
    "type",
    "payload",
    "metadata",
    "recorded_at",
    "hash",
    "prev_hash",
)
_INSERT_EVENTS = DriverStatement(
    insert(events).values({name: bindparam(name) for name in _ROW_COLUMNS}),
    {name: events.c[name].type for name in _ROW_COLUMNS},
)
_INSERT_SNAPSHOT = insert(snapshots)
_DELETE_SNAPSHOT = delete(snapshots).where(snapshots.c.stream_id == bindparam("stream_id"))
_SCHEDULE_FOR_PUBLICATION = DriverStatement(
    insert(outbox).from_select(
        ["position"],
        select(events.c.position).where(
            events.c.stream_id == bindparam("stream_id"),
            events.c.stream_version > bindparam("after_version"),
        ),
    ),
    {"stream_id": events.c.stream_id.type, "after_version": events.c.stream_version.type},
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
        self._heads = StreamHeads()
        self._appended = EVENTS_APPENDED.labels(service)

    # --- writing -----------------------------------------------------------------------
    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed write (the relay uses it to wake up)."""
        self._after_commit.append(listener)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; appends, vault writes and idempotency records share it."""
        with write_transaction(self.engine) as conn:
            heads = conn.info[_PENDING_HEADS] = {}
            try:
                yield conn
            finally:
                del conn.info[_PENDING_HEADS]
        self._heads.learn(heads)  # committed: the new heads are facts now
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
        last_hash = self._hash_at(conn, stream_id, expected_version)
        envelopes = self._envelopes(stream_id, expected_version, new_events, context, last_hash)
        self._insert(conn, envelopes)
        self._appended.inc(len(envelopes))
        new_version = expected_version + len(new_events)
        self.note_head(conn, stream_id, new_version, envelopes[-1].hash)
        crossed = new_version // self.snapshot_every > expected_version // self.snapshot_every
        if state_after is not None and crossed:
            self._save_snapshot(
                conn,
                Snapshot(stream_id, new_version, context.tenant, state_after(), envelopes[-1].hash),
            )
        return envelopes

    def _hash_at(self, conn: Connection, stream_id: str, expected_version: int) -> str:
        """The hash the next event chains to, when the stream is at ``expected_version``.

        No query when the answer is known: a new stream starts at the genesis hash, and the
        hash of a committed version never changes, so a head this process committed or read
        is reused. Either way the unique ``(stream_id, stream_version)`` refuses the insert
        when another writer got there first."""
        if expected_version == 0:
            return GENESIS_HASH
        known = self._heads.hash_at(stream_id, expected_version)
        if known is not None:
            return known
        row = conn.execute(_HEAD, {"stream_id": stream_id}).first()
        current_version, last_hash = (row.stream_version, row.hash) if row else (0, GENESIS_HASH)
        if current_version != expected_version:
            raise ConcurrencyError(
                f"expected version {expected_version} but the stream is at {current_version}",
                current_version=current_version,
            )
        return str(last_hash)

    def note_head(self, conn: Connection, stream_id: str, version: int, last_hash: str) -> None:
        """Remember that ``stream_id`` is at ``version`` with ``last_hash``: at once when read in
        a read transaction, after the commit when read or written in :meth:`transaction`, never
        for a write transaction whose outcome the store does not see."""
        pending: dict[str, tuple[int, str]] | None = conn.info.get(_PENDING_HEADS)
        if pending is not None:
            pending[stream_id] = (version, last_hash)
        elif not conn.get_execution_options().get("sqlite_immediate", False):
            self._heads.learn({stream_id: (version, last_hash)})

    def _envelopes(
        self,
        stream_id: str,
        expected_version: int,
        new_events: list[DomainEvent],
        context: AppendContext,
        prevhash: str,
    ) -> list[EventEnvelope]:
        envelopes: list[EventEnvelope] = []
        causation = context.causation_id or context.correlation_id
        for offset, event in enumerate(new_events, start=1):
            envelope = EventEnvelope(
                id=str(uuid.uuid4()),
                source=self.source,
                type=self.registry.type_of(event),
                subject=stream_id,
                time=context.now,
                tenant=context.tenant,
                streamid=stream_id,
                streamversion=expected_version + offset,
                actor=context.actor,
                correlationid=context.correlation_id,
                causationid=causation,
                data=event.model_dump(mode="json"),
                prevhash=prevhash,
            ).with_hash()
            envelopes.append(envelope)
            prevhash = envelope.hash
        return envelopes

    def _insert(self, conn: Connection, envelopes: list[EventEnvelope]) -> None:
        """Insert the events, then their outbox rows with one ``INSERT ... SELECT`` (no
        ``RETURNING`` round trip of the new positions through Python)."""
        try:
            _INSERT_EVENTS.execute(conn, [_row(envelope) for envelope in envelopes])
        except IntegrityError as error:
            raise ConcurrencyError("another write to this stream won the race") from error
        first = envelopes[0]
        _SCHEDULE_FOR_PUBLICATION.execute(
            conn, [{"stream_id": first.streamid, "after_version": first.streamversion - 1}]
        )

    def _save_snapshot(self, conn: Connection, snapshot: Snapshot) -> None:
        conn.execute(_DELETE_SNAPSHOT, {"stream_id": snapshot.stream_id})
        conn.execute(
            _INSERT_SNAPSHOT,
            {
                "stream_id": snapshot.stream_id,
                "stream_version": snapshot.version,
                "tenant": snapshot.tenant,
                "state": snapshot.state,
                "last_hash": snapshot.last_hash,
            },
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


_PENDING_HEADS = "remedium.pending_heads"
"""``Connection.info`` key: heads learnt inside :meth:`EventStore.transaction`, kept until it
commits (``info`` outlives the transaction, so the store removes the key itself)."""


class StreamHeads:
    """The last known (version, hash) of recently written or read streams, in this process.

    Only committed heads enter, and a committed event never changes, so a known head is always
    true of that version; whether the stream has moved past it is the unique constraint's call.
    Bounded: when full it starts over (a miss costs one query)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._heads: dict[str, tuple[int, str]] = {}

    def hash_at(self, stream_id: str, version: int) -> str | None:
        head = self._heads.get(stream_id)
        return head[1] if head is not None and head[0] == version else None

    def learn(self, heads: dict[str, tuple[int, str]]) -> None:
        if len(self._heads) + len(heads) > self.capacity:
            self._heads = {}
        for stream_id, head in heads.items():
            known = self._heads.get(stream_id)
            if known is None or known[0] < head[0]:
                self._heads[stream_id] = head


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
