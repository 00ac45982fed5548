"""Errors that cross layers: raised by domain and handlers, answered as RFC 9457 problems.

Plain Python on purpose, so the domain can raise them without importing any framework.
"""

from __future__ import annotations

from typing import Any


class RemediumError(Exception):
    """Base of every error with a stable problem code and an HTTP status."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extensions = extensions


class PreconditionFailed(RemediumError):
    """A command is not allowed in the aggregate's current state (an illegal transition)."""

    status = 409
    code = "precondition-failed"
    title = "The current state does not allow this"


class InvalidCommand(RemediumError):
    """The command is well-formed JSON but its content breaks a domain rule."""

    status = 422
    code = "invalid-command"
    title = "The request breaks a domain rule"


class NotFound(RemediumError):
    """Unknown resource, or one that belongs to another tenant (never tell which)."""

    status = 404
    code = "not-found"
    title = "Not found"


class Unauthorized(RemediumError):
    status = 401
    code = "unauthorized"
    title = "Missing or invalid API key"


class Forbidden(RemediumError):
    status = 403
    code = "forbidden"
    title = "Your role does not allow this"


class ConcurrencyError(RemediumError):
    """The stream moved on since the client (or handler) read it."""

    status = 409
    code = "concurrency-conflict"
    title = "The resource was changed by someone else"


class StaleIfMatch(ConcurrencyError):
    """The client's If-Match did not match the current version."""

    status = 412
    code = "if-match-failed"
    title = "If-Match does not match the current version"


class IdempotencyKeyReused(RemediumError):
    status = 422
    code = "idempotency-key-reused"
    title = "The Idempotency-Key was already used for a different request"


class PayloadTooLarge(RemediumError):
    status = 413
    code = "payload-too-large"
    title = "Request body too large"
