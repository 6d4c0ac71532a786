"""Failed logins, for throttling and temporary lockout shared by every worker.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import timestamp

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create login_attempts, indexed for the count by key within a window and for pruning by age."""
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        timestamp("at", nullable=False, index=True),
    )
    op.create_index("ix_login_attempts_kind_key_at", "login_attempts", ["kind", "key", "at"])


def downgrade() -> None:
    """Drop login_attempts."""
    op.drop_table("login_attempts")
