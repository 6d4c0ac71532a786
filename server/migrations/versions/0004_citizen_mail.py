"""Citizen side: the outbox of replies to e-mail, and the private links to read a reply.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import timestamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create mail_outbox and reply_links."""
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        timestamp("next_attempt_at", nullable=False, index=True),
        timestamp("sent_at", nullable=True),
        timestamp("created_at", nullable=False),
    )
    op.create_table(
        "reply_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        timestamp("created_at", nullable=False),
    )


def downgrade() -> None:
    """Drop the citizen-side tables."""
    op.drop_table("reply_links")
    op.drop_table("mail_outbox")
