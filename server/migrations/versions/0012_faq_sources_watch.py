"""FAQ entries stay true to their sources (#22): the verified source texts, and what a supervisor must review.

``faq_source_texts`` keeps, for each published entry and each document it cites, the document's content hash and
text as they were when the entry was published (the baseline a re-ingest is compared with, and the "before" of the
diff shown to the supervisor). ``faq_entries.review`` lists the sources that changed or left the index since, for
which the entry was withdrawn (empty once a supervisor republishes it). Plain ADD COLUMN with a literal default, no
batch rebuild (SQLite's foreign keys refuse to drop ``faq_entries``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import timestamp

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add faq_entries.review (JSON list, ``[]``) and create faq_source_texts."""
    op.add_column("faq_entries", sa.Column("review", sa.JSON, nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "faq_source_texts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("faq_id", sa.Integer, sa.ForeignKey("faq_entries.id"), nullable=False, index=True),
        sa.Column("doc_id", sa.String(300), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        timestamp("at", nullable=False),
        sa.UniqueConstraint("faq_id", "doc_id", name="uq_faq_source_texts_faq_doc"),
    )


def downgrade() -> None:
    """Drop faq_source_texts and faq_entries.review (native DROP COLUMN: SQLite 3.35+, PostgreSQL)."""
    op.drop_table("faq_source_texts")
    op.drop_column("faq_entries", "review")
