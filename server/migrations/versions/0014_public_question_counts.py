"""How often the citizen FAQ answers (#22): counts of the public page's questions per day and outcome, no text.

``public_question_counts`` holds, per local day, outcome (``entree``, ``extraits``, ``suggestions``, ``rien``,
``hors_champ``: ``public_stats.Outcome``) and entry shown, how many questions had it; never the question typed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create public_question_counts."""
    op.create_table(
        "public_question_counts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("faq_id", sa.Integer, sa.ForeignKey("faq_entries.id"), nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop public_question_counts."""
    op.drop_table("public_question_counts")
