"""Core event-store tables and intake's reply tokens and incident list.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_core_tables, drop_core_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_core_tables()
    op.create_table(
        "reply_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "incident_list",
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("minerals", sa.JSON, nullable=False),
        sa.Column("abuse_types", sa.JSON, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("immediate_danger", sa.Boolean, nullable=False),
        sa.Column("child_involved", sa.Boolean, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_incident_list_tenant_received", "incident_list", ["tenant", "received_at"])


def downgrade() -> None:
    op.drop_table("incident_list")
    op.drop_table("reply_tokens")
    drop_core_tables()
