"""Idempotency-Key support: a retried command returns the first response and creates nothing.

The key and its response are written in the same transaction as the command's events, so a
crash can never leave events without the key (a retry would duplicate them) or a key without
events.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select

from shared.database import DriverStatement, read_transaction, write_transaction
from shared.errors import IdempotencyKeyReused, InvalidCommand
from shared.tables import idempotency_keys

MAX_KEY_LENGTH = 255
_LOOKUP = select(idempotency_keys).where(
    idempotency_keys.c.tenant == bindparam("tenant"), idempotency_keys.c.key == bindparam("key")
)
_REMEMBER = DriverStatement(
    insert(idempotency_keys).values({c.name: bindparam(c.name) for c in idempotency_keys.c}),
    {c.name: c.type for c in idempotency_keys.c},
)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdempotencyRequest:
    tenant: str
    key: str
    fingerprint: str

    @classmethod
    def from_request(
        cls, tenant: str, key: str | None, method: str, path: str, body: bytes
    ) -> IdempotencyRequest | None:
        if key is None:
            return None
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidCommand(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                code="invalid-idempotency-key",
            )
        digest = hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()
        return cls(tenant, key, digest)

    def for_item(self, index: int, item_json: str) -> IdempotencyRequest:
        """The key of item ``index`` of a batch: ``<key>#<index>``, fingerprinted by the item."""
        digest = hashlib.sha256(item_json.encode()).hexdigest()
        return IdempotencyRequest(self.tenant, f"{self.key}#{index}", digest)


class IdempotencyStore:
    def __init__(self, engine: Engine, ttl: timedelta = timedelta(hours=24)) -> None:
        self.engine = engine
        self.ttl = ttl

    def lookup(
        self, request: IdempotencyRequest, conn: Connection | None = None
    ) -> StoredResponse | None:
        """The stored answer to this key, if any; pass the command's transaction as ``conn``."""
        if conn is None:
            with read_transaction(self.engine) as own:
                return self.lookup(request, own)
        row = conn.execute(_LOOKUP, {"tenant": request.tenant, "key": request.key}).first()
        if row is None:
            return None
        if row.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used for a different request; use a new key"
            )
        return StoredResponse(row.status_code, row.body, dict(row.headers))

    def remember(
        self, conn: Connection, request: IdempotencyRequest, response: StoredResponse
    ) -> None:
        _REMEMBER.execute(
            conn,
            [
                {
                    "tenant": request.tenant,
                    "key": request.key,
                    "fingerprint": request.fingerprint,
                    "status_code": response.status_code,
                    "body": response.body,
                    "headers": response.headers,
                    "created_at": datetime.now(UTC),
                }
            ],
        )

    def purge_expired(self) -> int:
        cutoff = datetime.now(UTC) - self.ttl
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
            )
            return result.rowcount or 0
