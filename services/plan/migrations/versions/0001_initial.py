"""Core event-store tables, plan's projection of intake and its plan list.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_core_tables, create_incident_directory, drop_core_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_core_tables()
    create_incident_directory()
    op.create_table(
        "plan_list",
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("plan_status", sa.String(32), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("victims", sa.Integer, nullable=False),
        sa.Column("children", sa.Integer, nullable=False),
        sa.Column("actions", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_plan_list_tenant", "plan_list", ["tenant"])


def downgrade() -> None:
    op.drop_table("plan_list")
    op.drop_table("known_incidents")
    drop_core_tables()
