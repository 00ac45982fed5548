"""The relay's marks: where each partition's last acknowledged event landed.

Revision ID: 0002
Revises: 0001
"""

from shared.migrations import create_relay_marks, drop_relay_marks

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_relay_marks()


def downgrade() -> None:
    drop_relay_marks()
