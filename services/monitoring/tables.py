"""Monitoring's own tables: the action board (one row per adopted action, with its owner, due
date, status and whether it was found overdue), kept in the same transaction as the events, and
read by the deadline scheduler and the overdue-work lists."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from shared.incident_directory import metadata as directory_metadata
from shared.tables import metadata as core_metadata

metadata = MetaData()

action_board = Table(
    "action_board",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("action_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("owner_org", String(100), nullable=True),
    Column("due_date", Date, nullable=True),
    Column("status", String(32), nullable=False),
    Column("overdue", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_action_board_due", action_board.c.status, action_board.c.due_date)
Index("ix_action_board_tenant_owner", action_board.c.tenant, action_board.c.owner_org)

SCHEMA = [core_metadata, directory_metadata, metadata]
"""Everything monitoring's migrations create (checked against them by a test)."""
