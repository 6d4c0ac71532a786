"""Personal-data erasure: anonymised requests, the log of erasures, and append-only triggers that let them through.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import append_only_except_erasure, timestamp

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add requests.anonymised_at, create erasures, relax the trail's triggers for erasures only."""
    with op.batch_alter_table("requests") as batch:
        batch.add_column(timestamp("anonymised_at", nullable=True))
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, primary_key=True),
        timestamp("at", nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(80), nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("actor", sa.String(80), nullable=False),
    )
    for table in ("draft_versions", "audit_events"):
        append_only_except_erasure(table)


def downgrade() -> None:
    """Not supported: an erased trail cannot be restored."""
    raise NotImplementedError("downgrade of 0005 not supported")
