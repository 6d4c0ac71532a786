"""FAQ variants: the other phrasings of an entry's question, kept with the entry and in its history (#22).

``faq_entries.variants`` and ``faq_versions.variants`` are JSON lists of strings, empty for the entries written
before. Plain ADD COLUMN with a literal default (no batch rebuild: SQLite's foreign keys refuse to drop
``faq_entries``, and a rebuild of ``faq_versions`` would lose its append-only triggers).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("faq_entries", "faq_versions")


def upgrade() -> None:
    """Add variants (JSON list, ``[]`` for existing rows) to faq_entries and faq_versions."""
    for table in TABLES:
        op.add_column(table, sa.Column("variants", sa.JSON, nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    """Drop the two columns (native DROP COLUMN: SQLite 3.35+, PostgreSQL)."""
    for table in reversed(TABLES):
        op.drop_column(table, "variants")
