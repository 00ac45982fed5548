"""Intake's own tables: reply tokens for anonymous reporters and the incident list read model.

The read model is updated in the same transaction as the events that change it, so a case
manager's list is never behind the store.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table

from shared.tables import metadata as core_metadata

metadata = MetaData()

reply_tokens = Table(
    "reply_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("incident_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

incident_list = Table(
    "incident_list",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("reference", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("minerals", JSON, nullable=False),
    Column("abuse_types", JSON, nullable=False),
    Column("country", String(2), nullable=False),
    Column("immediate_danger", Boolean, nullable=False),
    Column("child_involved", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_incident_list_tenant_received", incident_list.c.tenant, incident_list.c.received_at)

SCHEMA = [core_metadata, metadata]
"""Everything intake's migrations create (checked against them by a test)."""
