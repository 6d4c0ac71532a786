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
    """Add requests.abstained, pinned, reply_via and callback_phone; mark the abstentions drafted before.

    Plain ADD COLUMN with literal defaults: a batch rebuild of ``requests`` would drop the table, which SQLite's
    foreign keys (draft versions, trail) refuse on a base that holds requests.
    """
    op.add_column("requests", sa.Column("abstained", sa.Boolean, nullable=False, server_default="0"))
    op.add_column("requests", sa.Column("pinned", sa.Boolean, nullable=False, server_default="0"))
    op.add_column("requests", sa.Column("reply_via", sa.String(20), nullable=True))
    op.add_column("requests", sa.Column("callback_phone", sa.String(40), nullable=True))
    op.create_index("ix_requests_pinned", "requests", ["pinned"])
    # The first draft of a request decides whether the assistant abstained (as workflow.generate_draft records it).
    op.execute(
        "UPDATE requests SET abstained = (SELECT d.status = 'abstained' FROM draft_versions d "
        "WHERE d.request_id = requests.id AND d.origin = 'assistant' ORDER BY d.version DESC LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM draft_versions d WHERE d.request_id = requests.id AND d.origin = 'assistant')"
    )


def downgrade() -> None:
    """Drop the four columns (native DROP COLUMN: SQLite 3.35+, PostgreSQL)."""
    op.drop_index("ix_requests_pinned", table_name="requests")
    for column in ("callback_phone", "reply_via", "pinned", "abstained"):
        op.drop_column("requests", column)
