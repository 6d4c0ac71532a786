"""Public form: single-use tokens, per-IP limits in the base, hashed reply links (privacy #19, public side).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the schema changes of this step are added with their feature."""


def downgrade() -> None:
    """Nothing yet."""
