"""API keys: each maps to a tenant (company) and roles. Only a hash of the secret is stored.

A key reads ``rk_<key id>_<secret>``; the key id finds the row, the SHA-256 of the 256-bit random
secret is compared in constant time. Keys live in the auth database, which plays the part of an
identity provider shared by the services (no service reads another service's tables).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from shared.database import read_transaction, write_transaction
from shared.domain import Actor
from shared.errors import InvalidCommand, Unauthorized

ROLES = frozenset(
    {
        "reporter",
        "case_manager",
        "verifier",
        "approver",
        "provider",
        "monitor",
        "analyst",
        "auditor",
        "admin",
    }
)
PREFIX = "rk"
CACHE_SECONDS = 30.0

auth_metadata = MetaData()
api_keys = Table(
    "api_keys",
    auth_metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("tenant", String(64), nullable=False, index=True),
    Column("subject", String(128), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def create(self, *, tenant: str, subject: str, roles: list[str]) -> str:
        """Create a key and return it; the full key is never stored and cannot be shown again."""
        unknown = set(roles) - ROLES
        if unknown or not roles:
            raise InvalidCommand(
                f"unknown or missing roles: {sorted(unknown)}; known: {sorted(ROLES)}"
            )
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(api_keys).values(
                    key_id=key_id,
                    secret_hash=_hash(secret),
                    tenant=tenant,
                    subject=subject,
                    roles=sorted(set(roles)),
                    created_at=datetime.now(UTC),
                )
            )
        return f"{PREFIX}_{key_id}_{secret}"

    def revoke(self, key_id: str) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id)
                .values(revoked_at=datetime.now(UTC))
            )
        with self._lock:
            self._cache.clear()

    def authenticate(self, token: str) -> Actor:
        cached = self._cached(token)
        if cached is not None:
            return cached
        prefix, _, rest = token.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != PREFIX or not key_id or not secret:
            raise Unauthorized("the API key is malformed")
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.secret_hash, _hash(secret))
        ):
            raise Unauthorized("the API key is unknown or revoked")
        actor = Actor(subject=f"{row.subject}", tenant=row.tenant, roles=frozenset(row.roles))
        with self._lock:
            self._cache[_hash(token)] = (time.monotonic() + CACHE_SECONDS, actor)
        return actor

    def _cached(self, token: str) -> Actor | None:
        with self._lock:
            entry = self._cache.get(_hash(token))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]
