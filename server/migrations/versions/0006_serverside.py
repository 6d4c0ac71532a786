"""Server-side sessions, API token scope/expiry/last use, account disable (privacy #19, accounts).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the schema changes of this step are added with their feature."""


def downgrade() -> None:
    """Nothing yet."""
