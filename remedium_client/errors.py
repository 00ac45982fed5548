"""Errors of the Remedium client.

Every refusal of the API is an RFC 9457 problem (``application/problem+json``) with a stable
``type``; :class:`RemediumProblem` carries it, and its subclasses let callers catch the common
cases by class. :class:`RemediumUnavailable` means no answer came at all, after every retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROBLEM_TYPE_PREFIX = "urn:remedium:problem:"


class RemediumError(Exception):
    """Base of every error this client raises."""


class RemediumUnavailable(RemediumError):
    """The service could not be reached (connection refused or reset, timeout) after retries."""

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class RemediumProblem(RemediumError):
    """An RFC 9457 problem answered by the API.

    ``type`` is stable (e.g. ``urn:remedium:problem:case-manager-not-assigned``); ``code`` is its
    last part. ``body`` is the whole problem document, extensions included (``errors`` lists the
    fields of an invalid request).
    """

    def __init__(
        self,
        status: int,
        type: str,
        title: str,
        detail: str,
        body: Mapping[str, Any],
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.body: dict[str, Any] = dict(body)
        self.retry_after = retry_after

    @property
    def code(self) -> str:
        """``type`` without the ``urn:remedium:problem:`` prefix."""
        return self.type.removeprefix(PROBLEM_TYPE_PREFIX)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """For invalid requests: one entry per field (``location``, ``message``, ``kind``)."""
        errors = self.body.get("errors")
        return list(errors) if isinstance(errors, list) else []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, type={self.type!r})"


class Invalid(RemediumProblem):
    """400, 413 or 422: the request is malformed, too large or breaks a rule."""


class Unauthorized(RemediumProblem):
    """401: missing or invalid API key."""


class Forbidden(RemediumProblem):
    """403: the key's roles do not allow this."""


class NotFound(RemediumProblem):
    """404: unknown resource, or another tenant's."""


class Conflict(RemediumProblem):
    """409 (illegal transition, concurrent change) or 412 (``If-Match`` does not match)."""


_BY_STATUS: dict[int, type[RemediumProblem]] = {
    400: Invalid,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: Conflict,
    413: Invalid,
    422: Invalid,
}


def problem_from_body(
    status: int, body: object, *, reason: str = "", retry_after: float | None = None
) -> RemediumProblem:
    """The problem for ``status`` and its decoded body; a body that is no problem document (a
    proxy's HTML page, say) gives ``about:blank`` with the status's reason as title."""
    document: dict[str, Any] = dict(body) if isinstance(body, Mapping) else {}
    problem_type = document.get("type")
    title = document.get("title")
    detail = document.get("detail")
    if not isinstance(body, Mapping) and body not in (None, ""):
        document = {"raw": str(body)[:2000]}
    cls = _BY_STATUS.get(status, RemediumProblem)
    return cls(
        status,
        problem_type if isinstance(problem_type, str) else "about:blank",
        title if isinstance(title, str) else (reason or f"HTTP {status}"),
        detail if isinstance(detail, str) else "",
        document,
        retry_after=retry_after,
    )
