"""What a command endpoint needs, resolved once: the caller's identity and roles, ``If-Match``,
``Idempotency-Key``, the correlation id and the service's handlers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from shared.aggregate_handlers import AggregateHandlers
from shared.domain import Actor
from shared.http import (
    RequestContext,
    correlation_id,
    idempotency_request,
    if_match,
    request_context,
    require_roles,
    to_json_response,
)
from shared.idempotency import IdempotencyRequest
from shared.problems import problem_responses

H = TypeVar("H", bound=AggregateHandlers[Any])


class Caller(Generic[H]):
    """The authenticated caller of one request, with the request's plumbing resolved."""

    def __init__(
        self,
        actor: Actor,
        expected: int | None,
        idempotency: IdempotencyRequest | None,
        correlation: str | None,
        handlers: H,
    ) -> None:
        self.context: RequestContext = request_context(actor, correlation)
        self.expected = expected
        self.idempotency = idempotency
        self.handlers = handlers

    @property
    def tenant(self) -> str:
        return self.context.actor.tenant

    def run(
        self,
        stream_id: uuid.UUID,
        decide: Callable[[Any], None],
        created: tuple[str, uuid.UUID] | None = None,
    ) -> JSONResponse:
        """Run ``decide`` on the stream's aggregate and answer as the handlers do."""
        return to_json_response(
            self.handlers.execute(
                stream_id,
                decide,
                self.context,
                if_match=self.expected,
                idempotency=self.idempotency,
                created=created,
            )
        )


async def service_handlers(request: Request) -> Any:
    return request.app.state.runtime.handlers


def caller(*roles: str) -> Any:
    """``who: Caller[MyHandlers] = caller("case_manager")`` in an endpoint's signature."""

    async def resolve(
        actor: Actor = Depends(require_roles(*roles)),
        expected: int | None = Depends(if_match),
        idempotency: IdempotencyRequest | None = Depends(idempotency_request),
        correlation: str | None = Depends(correlation_id),
        handlers: Any = Depends(service_handlers),
    ) -> Caller[Any]:
        return Caller(actor, expected, idempotency, correlation, handlers)

    return Depends(resolve)


def add_events_route(
    router: APIRouter,
    path: str,
    *,
    name: str,
    summary: str,
    tags: list[str],
    roles: tuple[str, ...] = ("case_manager", "auditor"),
) -> None:
    """``GET path``: the service's own events of one incident, as CloudEvents with the hash
    chain (the same route in every service, for auditors and the reporting tests)."""

    def incident_events(
        incident_id: uuid.UUID, request: Request, actor: Actor = Depends(require_roles(*roles))
    ) -> list[dict[str, Any]]:
        handlers: AggregateHandlers[Any] = request.app.state.runtime.handlers
        return handlers.events(incident_id, actor.tenant)

    router.add_api_route(
        path,
        incident_events,
        methods=["GET"],
        name=name,
        summary=summary,
        tags=list(tags),
        responses=problem_responses(401, 403, 404),
    )
