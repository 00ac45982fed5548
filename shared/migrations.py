"""Alembic plumbing shared by every service: the environment runner, ``upgrade`` and the DDL of
the core tables (event store, outbox, snapshots, idempotency, vault, checkpoints)."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool
from sqlalchemy.exc import DBAPIError

from shared.database import normalize_url

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
AUTH_MIGRATIONS = Path(__file__).resolve().parent / "auth_migrations"


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(script_location: Path, url: str, revision: str = "head", attempts: int = 5) -> None:
    """Migrate to ``revision``. Several processes may start against one fresh database at once
    (every service migrates the shared auth database; replicas start together): the loser of
    that race fails on a table the winner just created, and simply tries again, by then as a
    no-op."""
    for attempt in range(1, attempts + 1):
        try:
            command.upgrade(alembic_config(script_location, url), revision)
            return
        except DBAPIError:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def service_migrations(service: str) -> Path:
    return SERVICES_DIR / service / "migrations"


def run_environment(target_metadata: MetaData | list[MetaData]) -> None:
    """Body of every ``migrations/env.py``: run migrations online against the configured URL."""
    config = context.config
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def create_core_tables() -> None:
    """Revision 0001 of every service: the tables of ``shared.tables``."""
    op.create_table(
        "events",
        sa.Column("position", _position(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("stream_id", sa.String(64), nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
    )
    op.create_index("ix_events_tenant_position", "events", ["tenant", "position"])
    op.create_table(
        "outbox", sa.Column("position", _position(), primary_key=True, autoincrement=False)
    )
    op.create_table(
        "snapshots",
        sa.Column("stream_id", sa.String(64), primary_key=True),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "vault_keys",
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("legal_hold", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "vault_records",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vault_records_subject_id", "vault_records", ["subject_id"])
    op.create_table(
        "projection_checkpoints",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "processed_events",
        sa.Column("projection", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
    )


def create_relay_marks() -> None:
    """Revision 0002 of every service: ``shared.tables.relay_marks``."""
    op.create_table(
        "relay_marks",
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
    )


def drop_relay_marks() -> None:
    op.drop_table("relay_marks")


def create_incident_directory() -> None:
    """The table of ``shared.incident_directory``, for services downstream of intake."""
    op.create_table(
        "known_incidents",
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("response_determined", sa.Boolean, nullable=False),
        sa.Column("child_involved", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_core_tables() -> None:
    for name in (
        "processed_events",
        "projection_checkpoints",
        "vault_records",
        "vault_keys",
        "idempotency_keys",
        "snapshots",
        "outbox",
        "events",
    ):
        op.drop_table(name)
