"""FAQ entries and their append-only history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import append_only, timestamp

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create faq_entries and faq_versions (append-only)."""
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("theme", sa.String(200), nullable=False, index=True),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False, index=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        timestamp("created_at", nullable=False),
        timestamp("updated_at", nullable=False),
    )
    op.create_table(
        "faq_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("faq_id", sa.Integer, sa.ForeignKey("faq_entries.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        timestamp("at", nullable=False),
    )
    append_only("faq_versions")


def downgrade() -> None:
    """Drop the FAQ tables."""
    op.drop_table("faq_versions")
    op.drop_table("faq_entries")
