"""The feed's tables: subscriptions (read model of the aggregate), the feed log (every service's
events in the order the feed saw them) and the delivery queue (one row per event and matching
subscription, including replays and dead letters)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

from shared.tables import Position
from shared.tables import metadata as core_metadata

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("url", String(2083), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("secret_ref", String(64), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_subscriptions_tenant_status", subscriptions.c.tenant, subscriptions.c.status)

feed_log = Table(
    "feed_log",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False),
    Column("incident_id", String(64), nullable=False),
    Column("type", String(200), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=False),
)
Index("ix_feed_log_tenant_position", feed_log.c.tenant, feed_log.c.position)
Index("ix_feed_log_tenant_time", feed_log.c.tenant, feed_log.c.time)

deliveries = Table(
    "deliveries",
    metadata,
    Column("seq", Position, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False, unique=True),
    Column("subscription_id", String(36), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("incident_id", String(64), nullable=False),
    Column("log_position", BigInteger, nullable=False),
    Column("replay", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_outcome", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)
Index(
    "ix_deliveries_queue",
    deliveries.c.status,
    deliveries.c.subscription_id,
    deliveries.c.incident_id,
    deliveries.c.seq,
)
Index("ix_deliveries_subscription", deliveries.c.subscription_id, deliveries.c.seq)

SCHEMA = [core_metadata, metadata]
"""Everything the feed's migrations create (checked against them by a test)."""
