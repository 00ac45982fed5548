"""Outbox relay and projector against the real broker (Tansu)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, func, insert, select

from shared.broker import LocalBroker, free_port
from shared.database import make_engine, read_transaction
from shared.envelope import EventEnvelope, verify_chain
from shared.eventstore import AppendContext, EventStore
from shared.kafka import make_consumer, make_producer
from shared.migrations import service_migrations, upgrade
from shared.projector import Projector
from shared.relay import OutboxRelay
from tests.shared.toy import Incremented, Opened, registry


def unique_topic() -> str:
    return f"remedium.test-{uuid.uuid4().hex[:8]}.events"


def make_store(tmp_path: Path) -> EventStore:
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    upgrade(service_migrations("intake"), url)
    return EventStore(make_engine(url), registry, service="toy")


def make_relay(store: EventStore, bootstrap: str, topic: str) -> OutboxRelay:
    return OutboxRelay(
        store.engine,
        service="toy",
        topic=topic,
        bootstrap=bootstrap,
        producer_factory=lambda: make_producer(bootstrap, request_timeout_ms=3000),
        batch_size=100,
        poll_interval_s=0.05,
        ack_timeout_s=5,
    )


def write(store: EventStore, stream: str, count: int, start: int = 0) -> None:
    context = AppendContext("acme", "alice", datetime.now(UTC), "corr")
    with store.transaction() as conn:
        first = [Opened(label="x")] if start == 0 else []
        rest = [Incremented(by=i) for i in range(count - len(first))]
        store.append(conn, stream, start, first + rest, context)


def read_topic(
    bootstrap: str,
    topic: str,
    expected: int = 0,
    timeout_s: float = 20,
    until: Callable[[list[EventEnvelope]], bool] | None = None,
) -> list[EventEnvelope]:
    """The topic's events from the beginning, until ``expected`` of them (or ``until`` holds)."""
    until = until or (lambda found: len(found) >= expected)
    consumer = make_consumer(bootstrap, None)
    from kafka import TopicPartition

    partitions = [
        TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    found: list[EventEnvelope] = []
    import time

    deadline = time.monotonic() + timeout_s
    while not until(found) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            found.extend(EventEnvelope.from_kafka(r.headers, r.value) for r in batch)
    consumer.close()
    return found


def test_relay_publishes_with_cloudevents_headers_and_key(
    broker: LocalBroker, tmp_path: Path
) -> None:
    store, topic = make_store(tmp_path), unique_topic()
    stream = str(uuid.uuid4())
    write(store, stream, 5)
    relay = make_relay(store, broker.bootstrap, topic)
    assert relay.publish_all() == 5
    assert relay.pending_count() == 0

    consumer = make_consumer(broker.bootstrap, None)
    from kafka import TopicPartition

    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records = []
    for _ in range(20):
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
        if len(records) == 5:
            break
    consumer.close()
    assert len(records) == 5
    headers = dict(records[0].headers)
    assert records[0].key == stream.encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"org.remedium.toy.Opened.v1"
    assert headers["ce_source"] == b"/remedium/toy"
    assert headers["ce_subject"] == stream.encode()
    assert headers["content-type"] == b"application/json"
    for name in (
        "id",
        "time",
        "tenant",
        "streamid",
        "streamversion",
        "actor",
        "correlationid",
        "causationid",
        "hash",
        "prevhash",
    ):
        assert f"ce_{name}" in headers
    envelopes = sorted(
        (EventEnvelope.from_kafka(r.headers, r.value) for r in records),
        key=lambda e: e.streamversion,
    )
    assert envelopes == store.read_stream(stream)
    assert verify_chain(envelopes) == []


def test_relay_survives_a_broker_outage_without_loss_or_reordering(tmp_path: Path) -> None:
    """Stop the broker, keep writing, restart it: the relay catches up, in per-stream order."""
    port = free_port()
    own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
    store, topic = make_store(tmp_path), unique_topic()
    relay = make_relay(store, own_broker.bootstrap, topic)
    relay.start()
    try:
        streams = [str(uuid.uuid4()) for _ in range(3)]
        for stream in streams:
            write(store, stream, 4)
        _wait(lambda: relay.pending_count() == 0)
        own_broker.kill()  # memory storage: what was published is gone with it
        for stream in streams:
            write(store, stream, 6, start=4)
        _wait(lambda: relay.last_error is not None)
        assert relay.pending_count() == 18
        own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
        _wait(lambda: relay.pending_count() == 0, timeout_s=60)
        # the restarted broker lost the first 12: the relay noticed and sent the whole store
        published = read_topic(
            own_broker.bootstrap, topic, until=lambda found: len({e.id for e in found}) >= 30
        )
        assert len({e.id for e in published}) == 30
        for stream in streams:
            versions = [e.streamversion for e in published if e.streamid == stream]
            deduplicated = list(dict.fromkeys(versions))
            assert deduplicated == list(range(1, 11))
    finally:
        relay.stop()
        own_broker.stop()


def _wait(condition, timeout_s: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


read_model = MetaData()
totals = Table(
    "test_totals",
    read_model,
    Column("stream_id", String(64), primary_key=True),
    Column("total", Integer, nullable=False),
    Column("events", Integer, nullable=False),
)


class TotalsProjection:
    name = "totals"
    tables = [totals]

    def __init__(self, topic: str) -> None:
        self.topics = [topic]

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        row = conn.execute(select(totals).where(totals.c.stream_id == event.streamid)).first()
        by = int(event.data.get("by", 0))
        if row is None:
            conn.execute(insert(totals).values(stream_id=event.streamid, total=by, events=1))
        else:
            conn.execute(
                totals.update()
                .where(totals.c.stream_id == event.streamid)
                .values(total=row.total + by, events=row.events + 1)
            )


class BatchedTotalsProjection(TotalsProjection):
    """The same read model, handed whole batches: each event once, in its stream's order."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic)
        self.handed: list[EventEnvelope] = []

    def apply(self, conn: Connection, event: EventEnvelope) -> None:
        raise AssertionError("a projection with apply_batch is handed whole batches")

    def apply_batch(self, conn: Connection, events: list[EventEnvelope]) -> None:
        self.handed.extend(events)
        for event in events:
            TotalsProjection.apply(self, conn, event)


def _totals(engine) -> dict[str, tuple[int, int]]:
    with read_transaction(engine) as conn:
        return {r.stream_id: (r.total, r.events) for r in conn.execute(select(totals))}


@pytest.mark.parametrize("projection_type", [TotalsProjection, BatchedTotalsProjection])
def test_projector_applies_once_deduplicates_and_rebuilds(
    broker: LocalBroker, tmp_path: Path, projection_type: type[TotalsProjection]
) -> None:
    store, topic = make_store(tmp_path), unique_topic()
    read_model.create_all(store.engine)
    streams = [str(uuid.uuid4()) for _ in range(4)]
    for stream in streams:
        write(store, stream, 10)
    relay = make_relay(store, broker.bootstrap, topic)
    relay.publish_all()
    # publish the first stream's events a second time, as a relay crash after send would
    with store.transaction() as conn:
        from shared.tables import events, outbox

        positions = conn.execute(select(events.c.position).where(events.c.stream_id == streams[0]))
        conn.execute(insert(outbox), [{"position": p} for p in positions.scalars()])
    relay.publish_all()

    projection = projection_type(topic)
    projector = Projector(
        store.engine,
        projection,
        bootstrap=broker.bootstrap,
        service="toy",
        max_poll_interval_ms=3000,
    )
    projector.start()
    try:
        _wait(
            lambda: (
                len(_totals(store.engine)) == 4
                and all(v[1] == 10 for v in _totals(store.engine).values())
            )
        )
        # nothing new arrives: the duplicate run must not have been applied twice
        assert _totals(store.engine) == {s: (sum(range(9)), 10) for s in streams}
    finally:
        projector.stop()
    incremental = _totals(store.engine)
    assert projector.rebuild() == 40
    assert _totals(store.engine) == incremental
    with read_transaction(store.engine) as conn:
        from shared.tables import processed_events

        assert conn.execute(select(func.count()).select_from(processed_events)).scalar_one() == 40
    assert projector.lag() == {f"{topic}:{p}": 0 for p in range(3)}
    if isinstance(projection, BatchedTotalsProjection):  # live, then the rebuild
        for stream in streams:
            versions = [e.streamversion for e in projection.handed if e.streamid == stream]
            assert versions == [*range(1, 11), *range(1, 11)]


def test_projector_replays_a_broker_that_lost_its_data(tmp_path: Path) -> None:
    """The local broker keeps topics in memory: after a restart it starts again at offset 0,
    below the projector's checkpoints. New events must still be applied (and old ones once)."""
    port = free_port()
    own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
    store, topic = make_store(tmp_path), unique_topic()
    read_model.create_all(store.engine)
    relay = make_relay(store, own_broker.bootstrap, topic)
    projector = Projector(
        store.engine,
        TotalsProjection(topic),
        bootstrap=own_broker.bootstrap,
        service="toy",
        max_poll_interval_ms=3000,
    )
    try:
        before = [str(uuid.uuid4()) for _ in range(3)]
        for stream in before:
            write(store, stream, 8)
        relay.publish_all()
        projector.start()
        _wait(lambda: sum(v[1] for v in _totals(store.engine).values()) == 24)
        projector.stop()
        own_broker.kill()
        own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
        after = str(uuid.uuid4())
        write(store, after, 2)  # fewer events than the checkpoints are ahead
        make_relay(store, own_broker.bootstrap, topic).publish_all()
        projector = Projector(
            store.engine,
            TotalsProjection(topic),
            bootstrap=own_broker.bootstrap,
            service="toy",
            max_poll_interval_ms=3000,
        )
        projector.start()
        _wait(lambda: after in _totals(store.engine), timeout_s=45)
        assert _totals(store.engine)[after] == (0, 2)
        assert all(_totals(store.engine)[s] == (sum(range(7)), 8) for s in before)
    finally:
        projector.stop()
        own_broker.stop()


def test_a_running_projector_follows_a_broker_that_restarted_empty(tmp_path: Path) -> None:
    """Relay and projector keep running while the in-memory broker is killed and restarted:
    the relay creates its topic again and the projector applies the new events, once."""
    port = free_port()
    own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
    store, topic = make_store(tmp_path), unique_topic()
    read_model.create_all(store.engine)
    relay = make_relay(store, own_broker.bootstrap, topic)
    projector = Projector(
        store.engine,
        TotalsProjection(topic),
        bootstrap=own_broker.bootstrap,
        service="toy",
        max_poll_interval_ms=3000,
    )
    relay.start()
    projector.start()
    try:
        before = [str(uuid.uuid4()) for _ in range(3)]
        for stream in before:
            write(store, stream, 8)
        _wait(lambda: sum(v[1] for v in _totals(store.engine).values()) == 24, timeout_s=45)
        own_broker.kill()
        own_broker = LocalBroker(port=port, log_path=tmp_path / "tansu.log").start()
        after = [str(uuid.uuid4()) for _ in range(2)]
        for stream in after:
            write(store, stream, 2)
        _wait(lambda: all(s in _totals(store.engine) for s in after), timeout_s=60)
        assert [_totals(store.engine)[s] for s in after] == [(0, 2), (0, 2)]
        assert all(_totals(store.engine)[s] == (sum(range(7)), 8) for s in before)
        everything = set(before) | set(after)
        republished = read_topic(
            own_broker.bootstrap,
            topic,
            until=lambda found: {e.streamid for e in found} == everything,
        )
        assert {e.streamid for e in republished} == everything
    finally:
        projector.stop()
        relay.stop()
        own_broker.stop()
