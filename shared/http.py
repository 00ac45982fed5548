"""Request plumbing every service's API uses: authentication, roles, If-Match, Idempotency-Key,
correlation ids, command responses with ETags, and a body-size limit."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import ApiKeys
from shared.domain import Actor, CommandContext
from shared.errors import Forbidden, InvalidCommand, PayloadTooLarge, Unauthorized
from shared.eventstore import AppendContext
from shared.idempotency import IdempotencyRequest, StoredResponse
from shared.metrics import REQUESTS
from shared.problems import problem

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer rk_...`")

FORWARDED_PREFIX = re.compile(r"/[a-z][a-z0-9-]{0,30}")


# The dependencies below are ``async def``: FastAPI runs a plain ``def`` dependency in the
# thread pool, and the hand-offs to and from it cost more than the dependencies themselves.


async def authenticated(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send your API key as `Authorization: Bearer <key>`")
    api_keys: ApiKeys = request.app.state.runtime.api_keys
    actor = api_keys._cached(credentials.credentials)
    if actor is None:  # a database read: not on the event loop
        actor = await run_in_threadpool(api_keys.authenticate, credentials.credentials)
    return actor


def require_roles(*roles: str) -> Callable[[Actor], Awaitable[Actor]]:
    """Dependency: the caller must hold one of ``roles`` (``admin`` holds every role)."""

    async def check(actor: Actor = Depends(authenticated)) -> Actor:
        if not actor.has_any(*roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
        return actor

    return check


async def if_match(value: str | None = Header(default=None, alias="If-Match")) -> int | None:
    """``If-Match: "3"`` -> 3; absent or ``*`` -> None."""
    if value is None or value.strip() == "*":
        return None
    cleaned = value.strip().removeprefix("W/").strip('"')
    if not cleaned.isdigit():
        raise InvalidCommand('If-Match must be an ETag such as "3"', code="invalid-if-match")
    return int(cleaned)


async def idempotency_request(
    request: Request,
    actor: Actor = Depends(authenticated),
    key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> IdempotencyRequest | None:
    body = await request.body()
    return IdempotencyRequest.from_request(
        actor.tenant, key, request.method, request.url.path, body
    )


@dataclass(frozen=True)
class RequestContext:
    actor: Actor
    now: datetime
    correlation_id: str

    @property
    def command(self) -> CommandContext:
        return CommandContext(self.actor, self.now)

    def append(self, causation_id: str | None = None) -> AppendContext:
        return AppendContext(
            tenant=self.actor.tenant,
            actor=self.actor.subject,
            now=self.now,
            correlation_id=self.correlation_id,
            causation_id=causation_id,
        )


def request_context(actor: Actor, correlation_id: str | None) -> RequestContext:
    return RequestContext(actor, datetime.now(UTC), correlation_id or str(uuid.uuid4()))


async def correlation_id(
    value: str | None = Header(default=None, alias="X-Correlation-ID"),
) -> str | None:
    if value is not None and not 1 <= len(value) <= 100:
        raise InvalidCommand("X-Correlation-ID must be 1 to 100 characters")
    return value


def command_response(status_code: int, body: Any, version: int | None = None) -> StoredResponse:
    headers = {"ETag": f'"{version}"'} if version is not None else {}
    return StoredResponse(status_code, body, headers)


def to_json_response(stored: StoredResponse) -> JSONResponse:
    return JSONResponse(stored.body, status_code=stored.status_code, headers=stored.headers)


class BodyLimitMiddleware:
    """Refuses bodies above ``max_bytes`` with a 413 problem, whether or not Content-Length
    is sent, before any handler parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(f"the body must not exceed {self.max_bytes} bytes")
        response = problem(error.status, error.code, error.title, error.detail, scope.get("path"))
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class MetricsMiddleware:
    """Request latency per route template (never per concrete path: ids would explode labels)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(self.service, scope["method"], route, str(status["code"])).observe(
                time.perf_counter() - started
            )


class ForwardedPrefixMiddleware:
    """Serves a service under the path prefix a gateway announces in ``X-Forwarded-Prefix``.

    The gateway forwards ``/intake/docs`` as ``/docs`` with ``X-Forwarded-Prefix: /intake``; the
    prefix becomes the ASGI ``root_path``, so the OpenAPI page, its ``servers`` entry and the
    dashboard's links point back through the gateway. Without the header nothing changes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prefix = _forwarded_prefix(scope)
            if prefix:
                scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await self.app(scope, receive, send)


def _forwarded_prefix(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-prefix":
            prefix = value.decode("latin-1")
            return prefix if FORWARDED_PREFIX.fullmatch(prefix) else None
    return None
