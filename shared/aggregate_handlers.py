"""The use-case base every service's handlers build on: run a command on one aggregate type,
answer with the new version (and the id of what it created), keep a read model in the same
transaction, and show a stream's events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import Connection

from shared.commands import Command, CommandResult, CommandRunner, Repository
from shared.domain import Aggregate
from shared.http import RequestContext, command_response
from shared.idempotency import IdempotencyRequest, StoredResponse

if TYPE_CHECKING:
    from shared.app import ServiceRuntime

A = TypeVar("A", bound=Aggregate[Any])
Write = Callable[[Connection, CommandResult], None]


class AggregateHandlers(Generic[A]):
    aggregate_type: ClassVar[type[Aggregate[Any]]]
    create_if_missing: ClassVar[bool] = False
    """Whether a command may start a new stream (plan and monitoring follow intake's incidents)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.repository: Repository[A] = Repository(runtime.store, self.aggregate_type)  # type: ignore[arg-type]
        self.runner = CommandRunner(self.repository, runtime.idempotency)

    def execute(
        self,
        stream_id: uuid.UUID,
        decide: Callable[[A], None],
        context: RequestContext,
        *,
        if_match: int | None = None,
        idempotency: IdempotencyRequest | None = None,
        created: tuple[str, uuid.UUID] | None = None,
        also_write: Iterable[Write] = (),
    ) -> StoredResponse:
        """Run one command; 200 with the new version, or 201 naming what it ``created``."""

        def respond(result: CommandResult) -> StoredResponse:
            body = self.accepted(result)
            if created is not None:
                body[created[0]] = str(created[1])
            return command_response(201 if created else 200, body, result.version)

        return self.runner.run(
            Command(
                stream_id=str(stream_id),
                context=context.append(),
                decide=decide,
                respond=respond,
                create_if_missing=self.create_if_missing,
                if_match=if_match,
                idempotency=idempotency,
                also_write=[*also_write, self.update_read_model],
            )
        )

    def accepted(self, result: CommandResult) -> dict[str, Any]:
        """The body of a command's answer; services add what their clients need."""
        return {
            "incident_id": result.stream_id,
            "version": result.version,
            "events": [envelope.type.split(".")[3] for envelope in result.envelopes],
        }

    def update_read_model(self, conn: Connection, result: CommandResult) -> None:
        """Keep the service's list view current, in the command's transaction."""

    def load(self, stream_id: uuid.UUID, tenant: str) -> A:
        return self.repository.load(str(stream_id), tenant)

    def events(self, stream_id: uuid.UUID, tenant: str) -> list[dict[str, Any]]:
        """The stream's events as CloudEvents documents (404 for unknown or foreign streams)."""
        self.load(stream_id, tenant)
        return [e.to_structured() for e in self.runtime.store.read_stream(str(stream_id))]
