"""Server-side sessions, API token scope/expiry/last use, account disable (privacy #19, accounts).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import timestamp

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TOKEN_DAYS = 90  # server.core.desk.auth.TOKEN_DAYS when this revision was written (a migration never imports app code)


def upgrade() -> None:
    """Create sessions; give api_tokens a scope, an expiry and a last use (old tokens: drafting, TOKEN_DAYS left)."""
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        timestamp("created_at", nullable=False),
        timestamp("last_seen_at", nullable=False),
        timestamp("revoked_at", nullable=True),
        sa.Column("persistent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("user_agent", sa.String(200), nullable=True),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(20), nullable=False, server_default="redaction"))
        batch.add_column(timestamp("expires_at", nullable=True))
        batch.add_column(timestamp("last_used_at", nullable=True))
    # A token made before expiry existed gets the default lifetime from now, not eternity.
    op.get_bind().execute(
        sa.text("UPDATE api_tokens SET expires_at = :at WHERE expires_at IS NULL").bindparams(
            sa.bindparam("at", type_=sa.DateTime(timezone=True))
        ),
        {"at": dt.datetime.now(dt.UTC) + dt.timedelta(days=TOKEN_DAYS)},
    )


def downgrade() -> None:
    """Drop sessions and the new token columns."""
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
        batch.drop_column("scope")
    op.drop_table("sessions")
