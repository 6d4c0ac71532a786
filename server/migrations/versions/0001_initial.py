"""Initial schema: users, API tokens, requests, draft versions, audit trail, answer memory.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import append_only, timestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("draft_versions", "audit_events")


def upgrade() -> None:
    """Create the tables, then the triggers that make the trail append-only."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True, index=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        timestamp("created_at", nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
        timestamp("created_at", nullable=False),
    )
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(32), nullable=False, unique=True, index=True),
        sa.Column("thread_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=True, index=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False, index=True),
        sa.Column("theme", sa.String(200), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        timestamp("created_at", nullable=False, index=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("citizen_email", sa.String(320), nullable=True),
        sa.Column("current_text", sa.Text, nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("transferred_to", sa.String(200), nullable=True),
        timestamp("closed_at", nullable=True),
    )
    op.create_table(
        "draft_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("result", sa.JSON, nullable=False),
        timestamp("created_at", nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=True, index=True),
        timestamp("at", nullable=False, index=True),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "memory_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        timestamp("validated_at", nullable=False),
    )
    for table in APPEND_ONLY:
        append_only(table)


def downgrade() -> None:
    """Drop everything (the triggers go with their tables)."""
    for table in ("memory_entries", "audit_events", "draft_versions", "requests", "api_tokens", "users"):
        op.drop_table(table)
