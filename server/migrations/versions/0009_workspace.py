"""Workspace: pinned requests, internal comments, reply channel and callback number, themes (#18).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet: the schema changes of this step are added with their feature."""


def downgrade() -> None:
    """Nothing yet."""
