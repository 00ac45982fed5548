"""Reporting's read models, all projections of every service's events: the incident register,
the timeline (the full audit trail), and incidents per smelter."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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

register = Table(
    "register",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("reference", String(32), nullable=True),
    Column("status", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("country", String(2), nullable=True),
    Column("severity_scale", Integer, nullable=True),
    Column("overdue_actions", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("entry", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_register_tenant_status", register.c.tenant, register.c.status)

timeline = Table(
    "timeline",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("incident_id", String(64), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("service", String(32), nullable=False),
    Column("type", String(200), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("document", JSON, nullable=False),
)
Index("ix_timeline_incident_time", timeline.c.incident_id, timeline.c.time)

smelter_incidents = Table(
    "smelter_incidents",
    metadata,
    Column("smelter_cid", String(16), primary_key=True),
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

SCHEMA = [core_metadata, metadata]
"""Everything reporting's migrations create (checked against them by a test)."""
