"""Workspace: pinned requests, internal comments, reply channel and callback number, themes (#18).

Internal comments and themes need no new column (the audit trail and ``requests.theme`` hold them); the request
records whether its latest draft is an abstention (shown as « Sources insuffisantes »), whether an agent pinned it,
how its reply was given, and the number to call the citizen back on (personal data: erased with the request).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add requests.abstained, pinned, reply_via and callback_phone."""
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("abstained", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("reply_via", sa.String(20), nullable=True))
        batch.add_column(sa.Column("callback_phone", sa.String(40), nullable=True))
        batch.create_index("ix_requests_pinned", ["pinned"])


def downgrade() -> None:
    """Drop the four columns."""
    with op.batch_alter_table("requests") as batch:
        batch.drop_index("ix_requests_pinned")
        for column in ("callback_phone", "reply_via", "pinned", "abstained"):
            batch.drop_column(column)
