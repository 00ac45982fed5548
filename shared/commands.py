"""Running a command: load the aggregate, let it decide, append its events, answer.

Every service's handlers go through :class:`CommandRunner`, so optimistic concurrency
(``If-Match``), idempotency and the one-transaction rule are implemented once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from shared.database import read_transaction
from shared.domain import Aggregate
from shared.envelope import EventEnvelope
from shared.errors import ConcurrencyError, NotFound, StaleIfMatch
from shared.eventstore import AppendContext, EventStore
from shared.idempotency import IdempotencyRequest, IdempotencyStore, StoredResponse

A = TypeVar("A", bound=Aggregate[Any])


class Repository(Generic[A]):
    """Loads aggregates of one type from the store (snapshot + newer events)."""

    def __init__(self, store: EventStore, aggregate_type: type[A]) -> None:
        self.store = store
        self.aggregate_type = aggregate_type

    def load(self, stream_id: str, tenant: str) -> A:
        with read_transaction(self.store.engine) as conn:
            return self.load_in(conn, stream_id, tenant)

    def load_or_new(self, stream_id: str, tenant: str, conn: Connection | None = None) -> A:
        """The aggregate, or a new empty one when the stream does not exist yet.

        Another tenant's stream is still a 404, never a fresh aggregate."""
        if conn is None:
            with read_transaction(self.store.engine) as own:
                return self.load_or_new(stream_id, tenant, own)
        if self.store.stream_tenant(stream_id, conn) is None:
            return self.aggregate_type(stream_id)
        return self.load_in(conn, stream_id, tenant)

    def load_in(self, conn: Connection, stream_id: str, tenant: str) -> A:
        snapshot = self.store.snapshot(stream_id, conn)
        if snapshot is not None:
            if snapshot.tenant != tenant:
                raise NotFound("no such incident")
            aggregate = self.aggregate_type.from_snapshot(
                stream_id, snapshot.state, snapshot.version
            )
        else:
            aggregate = self.aggregate_type(stream_id)
        tail = self.store.read_stream(stream_id, after_version=aggregate.version, conn=conn)
        if snapshot is None and (not tail or tail[0].tenant != tenant):
            raise NotFound("no such incident")
        aggregate.replay([self.store.to_domain(envelope) for envelope in tail])
        last_hash = tail[-1].hash if tail else snapshot.last_hash if snapshot else None
        if last_hash is not None:
            self.store.note_head(conn, stream_id, aggregate.version, last_hash)
        return aggregate  # type: ignore[return-value]


@dataclass(frozen=True)
class CommandResult:
    stream_id: str
    version: int
    envelopes: list[EventEnvelope]
    aggregate: Aggregate[Any]


@dataclass
class Command(Generic[A]):
    """What a handler asks the runner to do."""

    stream_id: str
    context: AppendContext
    decide: Callable[[A], None]
    respond: Callable[[CommandResult], StoredResponse]
    create: Callable[[], A] | None = None
    create_if_missing: bool = False
    if_match: int | None = None
    idempotency: IdempotencyRequest | None = None
    also_write: list[Callable[[Connection, CommandResult], None]] = field(default_factory=list)
    """Writes that belong to the same transaction (vault, read models), given the result."""


class CommandRunner(Generic[A]):
    """Runs a command in one write transaction: the idempotency lookup, loading the aggregate,
    its decision, the append, the command's other writes and the idempotency record.

    The lookup comes first, so a retry gets the first answer even when the command would now be
    refused; loading inside the transaction saves a separate read transaction per command."""

    def __init__(self, repository: Repository[A], idempotency: IdempotencyStore) -> None:
        self.repository = repository
        self.store = repository.store
        self.idempotency = idempotency

    def run(self, command: Command[A]) -> StoredResponse:
        try:
            return self._run(command)
        except IntegrityError:
            # A concurrent request with the same Idempotency-Key committed first.
            if command.idempotency is not None:
                previous = self.idempotency.lookup(command.idempotency)
                if previous is not None:
                    return previous
            raise
        except ConcurrencyError as error:
            if command.if_match is not None:
                raise StaleIfMatch(error.detail, **error.extensions) from error
            raise

    def _run(self, command: Command[A]) -> StoredResponse:
        with self.store.transaction() as conn:
            if command.idempotency is not None:
                previous = self.idempotency.lookup(command.idempotency, conn)
                if previous is not None:
                    return previous
            aggregate = self._aggregate(command, conn)
            if command.if_match is not None and command.if_match != aggregate.version:
                raise StaleIfMatch(
                    f"If-Match is {command.if_match} but the stream is at version "
                    f"{aggregate.version}",
                    current_version=aggregate.version,
                )
            expected_version = aggregate.version
            command.decide(aggregate)
            response, version = self._append(conn, command, aggregate, expected_version)
        aggregate.version = version
        aggregate.changes = []
        return response

    def _aggregate(self, command: Command[A], conn: Connection) -> A:
        if command.create is not None:
            return command.create()
        if command.create_if_missing:
            return self.repository.load_or_new(command.stream_id, command.context.tenant, conn)
        return self.repository.load_in(conn, command.stream_id, command.context.tenant)

    def _append(
        self, conn: Connection, command: Command[A], aggregate: A, expected_version: int
    ) -> tuple[StoredResponse, int]:
        envelopes: list[EventEnvelope] = []
        if aggregate.changes:
            envelopes = self.store.append(
                conn,
                command.stream_id,
                expected_version,
                aggregate.changes,
                command.context,
                state_after=aggregate.snapshot,
            )
        version = expected_version + len(envelopes)
        result = CommandResult(command.stream_id, version, envelopes, aggregate)
        for write in command.also_write:
            write(conn, result)
        response = command.respond(result)
        if command.idempotency is not None:
            self.idempotency.remember(conn, command.idempotency, response)
        return response, version
