"""Public form: single-use tokens, per-IP limits in the base, hashed reply links (privacy #19, public side).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import timestamp

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Kept in step with server.core.desk.outbox.LINK_SLOT: where the private link goes when the mail is sent.
LINK_SLOT = "[[lien-personnel]]"
_LINK = re.compile(r"https?://\S+/reponse/[A-Za-z0-9_-]{20,}")


def upgrade() -> None:
    """Create one_time_tokens, public_form_hits, pending_questions; take the private links out of unsent mails."""
    op.create_table(
        "one_time_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("subject", sa.String(64), nullable=False),
        timestamp("created_at", nullable=False),
        timestamp("expires_at", nullable=False, index=True),
    )
    op.create_table(
        "public_form_hits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("address_hash", sa.String(64), nullable=False, index=True),
        timestamp("at", nullable=False, index=True),
    )
    op.create_table(
        "pending_questions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        timestamp("next_attempt_at", nullable=False),
        timestamp("created_at", nullable=False, index=True),
        timestamp("expires_at", nullable=False, index=True),
    )
    # Mails written before this version hold the whole private link until sent: keep a slot instead, filled with a
    # fresh link when the mail goes out (the old link stops working; it was never delivered).
    bind = op.get_bind()
    mails = sa.table("mail_outbox", sa.column("id", sa.Integer), sa.column("body", sa.Text), sa.column("state"))
    for mail_id, body in bind.execute(sa.select(mails.c.id, mails.c.body).where(mails.c.state != "envoye")):
        slotted = _LINK.sub(LINK_SLOT, body)
        if slotted != body:
            bind.execute(sa.update(mails).where(mails.c.id == mail_id).values(body=slotted))


def downgrade() -> None:
    """Drop the three tables (unsent mails keep their slot: an older version would mail it as is)."""
    op.drop_table("pending_questions")
    op.drop_table("public_form_hits")
    op.drop_table("one_time_tokens")
