"""Erasure and retention: FAQ redaction events, purge keeping statistics only (privacy #19, erasure).

``accueil forget`` now reaches the FAQ entries written from an erased citizen's request: their append-only history
(``faq_versions``) lets an erasure through, as the trail does since 0005, and nothing else.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from server.migrations.helpers import append_only, append_only_except_erasure

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Let an erasure (and only an erasure) rewrite faq_versions."""
    append_only_except_erasure("faq_versions")


def downgrade() -> None:
    """faq_versions append-only without exception again."""
    if op.get_bind().dialect.name == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS faq_versions_no_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS faq_versions_append_only ON faq_versions")
        op.execute("DROP FUNCTION IF EXISTS faq_versions_append_only()")
    append_only("faq_versions")
