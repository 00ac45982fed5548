"""Plan's own tables: what plan knows about incidents from intake's events (its local
projection, used to enforce its guards) and the plan list read model."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

known_incidents = Table(
    "known_incidents",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("response_determined", Boolean, nullable=False),
    Column("child_involved", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

plan_list = Table(
    "plan_list",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("plan_status", String(32), nullable=True),
    Column("revision", Integer, nullable=False),
    Column("victims", Integer, nullable=False),
    Column("children", Integer, nullable=False),
    Column("actions", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)
