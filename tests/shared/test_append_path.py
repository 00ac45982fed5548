"""The append path's shortcuts keep the store's promises: known stream heads, inserts run on the
driver, one vault key per person, the idempotency lookup inside the command's transaction."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from shared.commands import Command, CommandRunner, Repository
from shared.database import make_engine, read_transaction
from shared.envelope import verify_chain
from shared.errors import ConcurrencyError, PreconditionFailed
from shared.eventstore import AppendContext, EventStore
from shared.idempotency import IdempotencyRequest, IdempotencyStore, StoredResponse
from shared.migrations import service_migrations, upgrade
from shared.tables import events, vault_keys, vault_records
from shared.vault import Plaintext, Vault, load_master_key, new_ref
from tests.shared.toy import Counter, Incremented, Opened, registry


@pytest.fixture
def db(db_url: str) -> str:
    upgrade(service_migrations("intake"), db_url)
    return db_url


def new_store(url: str) -> EventStore:
    return EventStore(make_engine(url), registry, service="toy", snapshot_every=10)


def context() -> AppendContext:
    return AppendContext(tenant="acme", actor="alice", now=datetime.now(UTC), correlation_id="c")


def append(store: EventStore, stream: str, expected: int, *new_events: object) -> None:
    with store.transaction() as conn:
        store.append(conn, stream, expected, list(new_events), context())  # type: ignore[arg-type]


def test_a_rolled_back_append_teaches_the_store_nothing(db: str) -> None:
    store = new_store(db)
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"))
    with pytest.raises(RuntimeError), store.transaction() as conn:
        store.append(conn, stream, 1, [Incremented(by=1)], context())
        raise RuntimeError("the command failed after appending")
    append(store, stream, 1, Incremented(by=2))  # chains to version 1, not the rolled-back 2
    read = store.read_stream(stream)
    assert [e.data.get("by") for e in read] == [None, 2]
    assert verify_chain(read) == []


def test_a_head_known_to_one_process_loses_to_another_writer(db: str) -> None:
    ours, theirs = new_store(db), new_store(db)
    stream = str(uuid.uuid4())
    append(ours, stream, 0, Opened(label="a"))  # ours now knows version 1 and its hash
    append(theirs, stream, 1, Incremented(by=1))
    with pytest.raises(ConcurrencyError):
        append(ours, stream, 1, Incremented(by=5))
    read = ours.read_stream(stream)
    assert [e.streamversion for e in read] == [1, 2] and verify_chain(read) == []


def test_a_head_read_by_a_command_lets_the_next_append_chain_on(db: str) -> None:
    writer, reader = new_store(db), new_store(db)
    stream = str(uuid.uuid4())
    append(writer, stream, 0, Opened(label="a"), Incremented(by=1))
    counter = Repository(reader, Counter).load(stream, "acme")
    append(reader, stream, counter.version, Incremented(by=3))
    assert verify_chain(writer.read_stream(stream)) == []


def test_rows_written_on_the_driver_read_back_as_sqlalchemy_wrote_them(db: str) -> None:
    store = new_store(db)
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label='żółw — "quoted"'))
    [envelope] = store.read_stream(stream)
    with read_transaction(store.engine) as conn:
        row = conn.execute(select(events).where(events.c.stream_id == stream)).one()
    assert envelope.data["label"] == 'żółw — "quoted"'
    assert row.payload == envelope.data and row.metadata["actor"] == "alice"
    assert row.recorded_at.replace(tzinfo=UTC) == envelope.time.replace(tzinfo=UTC)


def test_a_duplicate_event_id_on_the_driver_is_a_concurrency_error(db: str) -> None:
    store = new_store(db)
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"))
    with pytest.raises(ConcurrencyError), store.transaction() as conn:
        store.append(conn, stream, 0, [Opened(label="again")], context())


def test_seal_many_creates_one_key_and_every_value_opens(db: str, tmp_path) -> None:
    engine = make_engine(db)
    vault = Vault(load_master_key(base64.b64encode(os.urandom(32)).decode(), tmp_path))
    person = str(uuid.uuid4())
    values = [
        Plaintext("summary", "what happened", new_ref()),
        Plaintext("contact", "+243", new_ref()),
    ]
    with engine.begin() as conn:
        vault.seal_many(conn, tenant="acme", subject_id=person, values=values, new_subject=True)
    with engine.begin() as conn:
        later = vault.seal(conn, tenant="acme", subject_id=person, field="note", value="later")
        keys = conn.execute(select(vault_keys).where(vault_keys.c.subject_id == person)).all()
        records = conn.execute(select(vault_records).where(vault_records.c.subject_id == person))
        assert len(keys) == 1 and keys[0].legal_hold is False and len(records.all()) == 3
        opened = [vault.open(conn, tenant="acme", ref=v.ref) for v in values]
        assert opened == ["what happened", "+243"]
        assert vault.open(conn, tenant="acme", ref=later) == "later"
        vault.set_legal_hold(conn, tenant="acme", subject_id=person, hold=True)
        with pytest.raises(PreconditionFailed):
            vault.erase(conn, tenant="acme", subject_id=person)


def test_a_retry_gets_the_first_answer_even_when_the_command_would_now_be_refused(
    db: str,
) -> None:
    store = new_store(db)
    runner = CommandRunner(Repository(store, Counter), IdempotencyStore(store.engine))
    stream = str(uuid.uuid4())
    append(store, stream, 0, Opened(label="a"))
    key = IdempotencyRequest("acme", "retry-1", "fingerprint")

    def increment_once(counter: Counter) -> None:
        if counter.state.total:
            raise PreconditionFailed("already incremented", code="already-incremented")
        counter.increment(1)

    def command() -> Command[Counter]:
        return Command(
            stream_id=stream,
            context=context(),
            decide=increment_once,
            respond=lambda result: StoredResponse(200, {"version": result.version}),
            idempotency=key,
        )

    first = runner.run(command())
    assert runner.run(command()) == first == StoredResponse(200, {"version": 2})
    assert len(store.read_stream(stream)) == 2
