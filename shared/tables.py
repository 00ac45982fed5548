"""The tables every service database has: event store, outbox, snapshots, idempotency,
identity vault and projection checkpoints. Services add their own read-model tables to
:data:`metadata`-compatible MetaData objects of their own.

Schema changes go through Alembic (``shared/migrations.py`` holds the DDL for these tables);
a test compares these definitions with the migrated database.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for positions.
Position = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("stream_id", String(64), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("type", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
)
Index("ix_events_tenant_position", events.c.tenant, events.c.position)

outbox = Table(
    "outbox",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("stream_id", String(64), primary_key=True),
    Column("stream_version", Integer, nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("state", JSON, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

vault_keys = Table(
    "vault_keys",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

vault_records = Table(
    "vault_records",
    metadata,
    Column("ref", String(64), primary_key=True),
    Column("subject_id", String(64), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
)

relay_marks = Table(
    "relay_marks",
    metadata,
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
)
"""Where the relay's last acknowledged event of each partition landed: after a restart of the
service or of the broker, the relay checks the broker still holds it (see shared.relay)."""

__all__ = [
    "events",
    "idempotency_keys",
    "metadata",
    "outbox",
    "processed_events",
    "projection_checkpoints",
    "relay_marks",
    "snapshots",
    "vault_keys",
    "vault_records",
]
