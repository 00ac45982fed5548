"""Core event-store tables (for subscriptions), the feed log and the delivery queue.

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


def _position() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    create_core_tables()
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2083), nullable=False),
        sa.Column("event_types", sa.JSON, nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret_ref", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_subscriptions_tenant_status", "subscriptions", ["tenant", "status"])
    op.create_table(
        "feed_log",
        sa.Column("position", _position(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_feed_log_tenant_position", "feed_log", ["tenant", "position"])
    op.create_index("ix_feed_log_tenant_time", "feed_log", ["tenant", "time"])
    op.create_table(
        "deliveries",
        sa.Column("seq", _position(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
        sa.Column("subscription_id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("log_position", sa.BigInteger, nullable=False),
        sa.Column("replay", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_outcome", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_deliveries_queue",
        "deliveries",
        ["status", "subscription_id", "incident_id", "seq"],
    )
    op.create_index("ix_deliveries_subscription", "deliveries", ["subscription_id", "seq"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("feed_log")
    op.drop_table("subscriptions")
    drop_core_tables()
