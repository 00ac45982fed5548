"""A synchronous client for Remedium's intake API, for supplier portals, hotlines and enterprise
platforms.

Retries are safe by construction: every POST carries an ``Idempotency-Key`` (generated when the
caller gives none) and every retry of it sends the *same key and the same bytes*, so a request
that reached the server before the connection broke returns its first answer instead of opening
a second incident. Retried: connection errors, timeouts, 502/503/504 and 429 (after the
``Retry-After`` the server asks for); never any other 4xx, nor 500.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import httpx
from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic_core import to_jsonable_python

from remedium_client.errors import RemediumError, RemediumUnavailable, problem_from_body
from remedium_client.models import BatchItem, SubmittedAllegation

__version__ = "0.1.0"

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Transport failures worth another attempt (not e.g. an unsupported URL scheme).
RETRY_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)

Allegation = Mapping[str, Any] | BaseModel


class RemediumClient:
    """Client of one Remedium intake service.

    ``api_key`` is sent as ``Authorization: Bearer ...``: use HTTPS for anything but loopback.
    ``max_retries`` counts retries after the first attempt; the wait before retry *n* (from 0)
    is ``backoff_s * 2**n``, jittered between half and all of it and capped at
    ``max_backoff_s``. A ``Retry-After`` above ``max_backoff_s`` is not waited for: the 429/503
    is raised with ``retry_after`` set, for the caller to schedule.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_s: float = 0.2,
        max_backoff_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if not api_key:
            raise ValueError("api_key is required")
        if max_retries < 0 or backoff_s < 0 or max_backoff_s < 0:
            raise ValueError("max_retries, backoff_s and max_backoff_s must not be negative")
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._sleep: Callable[[float], None] = time.sleep
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json, application/problem+json",
                "User-Agent": f"remedium-client/{__version__}",
            },
        )

    # --- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- allegations -------------------------------------------------------------------------
    def submit_allegation(
        self, allegation: Allegation, *, idempotency_key: str | None = None
    ) -> SubmittedAllegation:
        """Open an incident. Keep the returned ``idempotency_key`` (or pass your own, e.g. the
        portal's report id) to resubmit safely after a crash: the same key returns the same
        incident. Reports without a contact get a ``reply_token``."""
        key = idempotency_key or str(uuid.uuid4())
        response = self._request(
            "POST", "/v1/incidents", content=encode_json(allegation), idempotency_key=key
        )
        return SubmittedAllegation.model_validate({**_json(response), "idempotency_key": key})

    def submit_batch(
        self, allegations: Iterable[Allegation], *, idempotency_key: str | None = None
    ) -> list[BatchItem]:
        """Submit many allegations in one request (the server accepts up to 100). Each is
        processed on its own: check ``item.ok`` / ``item.error`` per item. With the same key,
        retrying the whole batch creates nothing twice (item *i* is keyed ``<key>#<i>``)."""
        key = idempotency_key or str(uuid.uuid4())
        body = encode_json({"allegations": list(allegations)})
        response = self._request("POST", "/v1/incidents/batch", content=body, idempotency_key=key)
        results = _json(response).get("results")
        if not isinstance(results, list):
            raise RemediumError("the batch answer has no results list")
        return [BatchItem.model_validate(item) for item in results]

    # --- reading -----------------------------------------------------------------------------
    def get_incident(self, incident_id: UUID | str) -> dict[str, Any]:
        """The incident as intake knows it, with what blocks its next step."""
        return _json(self._request("GET", f"/v1/incidents/{_incident_id(incident_id)}"))

    def list_incidents(
        self,
        status: str | None = None,
        country: str | None = None,
        mineral: str | None = None,
        limit: int = 50,
        *,
        immediate_danger: bool | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The tenant's incidents, newest first, following ``next_cursor`` page by page
        (``limit`` per request, at most 200). Pages are fetched lazily, as the iterator is
        consumed."""
        if not 1 <= limit <= 200:
            raise ValueError("limit must be between 1 and 200")
        params: dict[str, str | int] = {"limit": limit}
        for name, value in (("status", status), ("country", country), ("mineral", mineral)):
            if value is not None:
                params[name] = value
        if immediate_danger is not None:
            params["immediate_danger"] = "true" if immediate_danger else "false"
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page_params = {**params, "cursor": cursor} if cursor else params
            page = _json(self._request("GET", "/v1/incidents", params=page_params))
            items = page.get("items")
            if not isinstance(items, list):
                raise RemediumError("the incident page has no items list")
            yield from items
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise RemediumError("the server returned the same cursor twice")
            seen.add(cursor)

    def report_status(self, reply_token: str) -> dict[str, Any]:
        """What an anonymous reporter may learn with their reply token (reference, stage). The
        token travels in the ``Reply-Token`` header, never in the URL."""
        return _json(
            self._request("GET", "/v1/reports/status", headers={"Reply-Token": reply_token})
        )

    # --- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send with retries; the request (key and body bytes included) is built once, so every
        attempt is byte-for-byte the same."""
        request_headers = dict(headers or {})
        if content is not None:
            request_headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            request_headers["Idempotency-Key"] = idempotency_key
        request = self._http.build_request(
            method, path, params=params, content=content, headers=request_headers
        )
        attempt = 0
        while True:
            try:
                response = self._http.send(request)
            except RETRY_ERRORS as error:
                if attempt >= self.max_retries:
                    raise RemediumUnavailable(
                        f"{method} {path}: no answer after {attempt + 1} attempts "
                        f"({type(error).__name__}: {error})",
                        attempts=attempt + 1,
                    ) from error
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if response.is_success:
                return response
            retry_after = _retry_after(response)
            if (
                response.status_code in RETRY_STATUSES
                and attempt < self.max_retries
                and (retry_after is None or retry_after <= self.max_backoff_s)
            ):
                self._sleep(max(self._backoff(attempt), retry_after or 0.0))
                attempt += 1
                continue
            raise problem_from_body(
                response.status_code,
                _body(response),
                reason=response.reason_phrase,
                retry_after=retry_after,
            )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of ``backoff_s * 2**attempt``."""
        ceiling = min(self.max_backoff_s, self.backoff_s * 2.0**attempt)
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)


# --- helpers ---------------------------------------------------------------------------------


def encode_json(payload: object) -> bytes:
    """Compact UTF-8 JSON; pydantic models are dumped by alias with their secrets revealed
    (``SecretStr`` would otherwise serialise as ``'**********'``)."""
    return json.dumps(
        to_jsonable_python(_reveal(payload)),
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def _reveal(value: object) -> object:
    if isinstance(value, BaseModel):
        return _reveal(value.model_dump(mode="python", by_alias=True))
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, SecretBytes):
        return value.get_secret_value().decode("utf-8")
    if isinstance(value, Mapping):
        return {str(key): _reveal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(item) for item in value]
    return value


def _incident_id(incident_id: UUID | str) -> str:
    """A UUID, checked here so that nothing else can end up in the URL path."""
    return str(incident_id if isinstance(incident_id, UUID) else UUID(str(incident_id)))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise RemediumError(f"the answer ({response.status_code}) is not JSON") from error
    if not isinstance(body, dict):
        raise RemediumError(f"the answer ({response.status_code}) is not a JSON object")
    return body


def _body(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
