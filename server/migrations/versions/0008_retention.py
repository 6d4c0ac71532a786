"""Erasure and retention: FAQ redaction events, purge keeping statistics only (privacy #19, erasure).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the schema changes of this step are added with their feature."""


def downgrade() -> None:
    """Nothing yet."""
