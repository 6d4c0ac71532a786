"""The answer memory keeps no vector of the citizen's question.

``memory_entries.embedding`` held the question's embedding for an older pair rule; the memory now finds a paraphrase
through the citizen side's decision (``answer.match``), which embeds the remembered questions itself, so the column
was written and never read: one more copy of a citizen's words for erasure to reach. Native DROP COLUMN (SQLite
3.35+, PostgreSQL), no batch rebuild.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop memory_entries.embedding."""
    op.drop_column("memory_entries", "embedding")


def downgrade() -> None:
    """Add the column back, empty for the rows kept meanwhile (the older code wrote it and never read it)."""
    empty = "X''" if op.get_bind().dialect.name == "sqlite" else "''::bytea"
    op.add_column(
        "memory_entries", sa.Column("embedding", sa.LargeBinary, nullable=False, server_default=sa.text(empty))
    )
