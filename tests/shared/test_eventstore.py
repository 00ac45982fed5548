"""The event store on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import importlib
import threading
import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update

from shared.cli import SERVICES
from shared.commands import Repository
from shared.database import make_engine, write_transaction
from shared.envelope import GENESIS_HASH, verify_chain
from shared.errors import ConcurrencyError, NotFound
from shared.eventstore import AppendContext, EventStore
from shared.migrations import service_migrations, upgrade
from shared.tables import events
from tests.shared.toy import Counter, Incremented, Opened, registry


@pytest.fixture
def store(db_url: str) -> EventStore:
    upgrade(service_migrations("intake"), db_url)
    return EventStore(make_engine(db_url), registry, service="toy", snapshot_every=10)


def context(tenant: str = "acme") -> AppendContext:
    return AppendContext(tenant=tenant, actor="alice", now=datetime.now(UTC), correlation_id="c-1")


def append(store: EventStore, stream: str, expected: int, *new_events, tenant: str = "acme"):
    with store.transaction() as conn:
        return store.append(conn, stream, expected, list(new_events), context(tenant))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_migrations_match_the_table_definitions(db_url: str, service: str) -> None:
    upgrade(service_migrations(service), db_url)
    engine = make_engine(db_url)
    schema = importlib.import_module(f"services.{service}.tables").SCHEMA
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema)
    assert diff == []


def test_append_and_read_a_stream_in_order(store: EventStore) -> None:
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"), Incremented(by=2))
    append(store, stream, 2, Incremented(by=3))
    read = store.read_stream(stream)
    assert [e.streamversion for e in read] == [1, 2, 3]
    assert [e.type for e in read] == [
        "org.remedium.toy.Opened.v1",
        "org.remedium.toy.Incremented.v1",
        "org.remedium.toy.Incremented.v1",
    ]
    assert read[0].prevhash == GENESIS_HASH and read[1].prevhash == read[0].hash
    assert verify_chain(read) == []


def test_stale_expected_version_is_a_concurrency_error(store: EventStore) -> None:
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"))
    with pytest.raises(ConcurrencyError):
        append(store, stream, 0, Opened(label="again"))
    assert len(store.read_stream(stream)) == 1


def test_concurrent_appenders_exactly_one_wins(store: EventStore) -> None:
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"))
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def writer() -> None:
        barrier.wait()
        try:
            append(store, stream, 1, Incremented(by=1))
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    assert [e.streamversion for e in store.read_stream(stream)] == [1, 2]


def test_read_all_is_in_global_order(store: EventStore) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    append(store, a, 0, Opened(label="a"))
    append(store, b, 0, Opened(label="b"))
    append(store, a, 1, Incremented(by=1))
    everything = store.read_all()
    positions = [position for position, _ in everything]
    assert positions == sorted(positions)
    assert [(e.streamid, e.streamversion) for _, e in everything] == [(a, 1), (b, 1), (a, 2)]
    assert store.read_all(after_position=positions[1]) == everything[2:]


def test_repository_uses_snapshots_and_isolates_tenants(store: EventStore) -> None:
    stream = str(uuid.uuid4())
    counter = Counter(stream)
    counter.open("c")
    for _ in range(24):
        counter.increment(1)
    with store.transaction() as conn:
        store.append(conn, stream, 0, counter.changes, context(), state_after=counter.snapshot)
    with store.engine.connect() as conn:
        snapshot = store.snapshot(stream, conn)
    assert snapshot is not None and snapshot.version == 25 and snapshot.state["total"] == 24
    loaded = Repository(store, Counter).load(stream, "acme")
    assert loaded.version == 25 and loaded.state.total == 24
    with pytest.raises(NotFound):
        Repository(store, Counter).load(stream, "other-tenant")
    with pytest.raises(NotFound):
        Repository(store, Counter).load(str(uuid.uuid4()), "acme")


def test_tampering_is_detected_with_stream_and_version(store: EventStore) -> None:
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"), Incremented(by=1), Incremented(by=2))
    with write_transaction(store.engine) as conn:
        conn.execute(
            update(events)
            .where(events.c.stream_id == stream, events.c.stream_version == 2)
            .values(payload={"by": 1000})
        )
    problems = verify_chain(store.read_stream(stream))
    assert problems == [f"stream {stream} version 2: content does not match its hash (altered)"]


def test_only_one_relay_per_database_holds_the_lease(db_url: str) -> None:
    from shared.relay import RelayLease

    engine = make_engine(db_url)
    first, second = (
        RelayLease(engine, "remedium.relay.toy"),
        RelayLease(engine, "remedium.relay.toy"),
    )
    assert first.held()
    if engine.dialect.name == "postgresql":
        assert not second.held()
        first.release()
        assert second.held()
    else:
        assert second.held()  # one embedded writer process: nothing to elect
    second.release()
    first.release()
