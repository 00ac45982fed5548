"""Plan's own tables: the plan list read model. (What plan knows about incidents from intake
lives in ``shared.incident_directory``.)"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

from shared.incident_directory import metadata as directory_metadata
from shared.tables import metadata as core_metadata

metadata = MetaData()

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

SCHEMA = [core_metadata, directory_metadata, metadata]
"""Everything plan's migrations create (checked against them by a test)."""
