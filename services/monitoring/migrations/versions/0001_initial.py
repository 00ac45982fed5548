"""Core event-store tables, the incident directory and the action board.

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
        "action_board",
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("action_id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("owner_org", sa.String(100), nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_action_board_due", "action_board", ["status", "due_date"])
    op.create_index("ix_action_board_tenant_owner", "action_board", ["tenant", "owner_org"])


def downgrade() -> None:
    op.drop_table("action_board")
    op.drop_table("known_incidents")
    drop_core_tables()
