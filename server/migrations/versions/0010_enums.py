"""Abstention reasons stored as codes (#21): ``confiance_insuffisante`` where the French sentence was stored.

Drafts recorded the reason of an abstention as the sentence shown to people (``"confiance insuffisante"``), and
programs compared against it. The reason is now a code (``server.core.answer.reasons.AbstainReason``) whose label is
looked up when shown. The reason is stored under ``abstain_reason`` in the JSON of ``draft_versions.result`` and of
the trail's ``audit_events.data`` (``brouillon_genere`` events): upgrade rewrites the sentences as codes, downgrade
rewrites them back. Request states and trail actions were already ASCII codes and keep their values.

Both tables are append-only: their UPDATE triggers are lifted for these statements only, and put back as they were
(``append_only_except_erasure``). Plain UPDATE statements, no batch rebuild (SQLite's foreign keys refuse it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.migrations.helpers import append_only_except_erasure

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The sentences stored before this revision, and their codes. Frozen here: a later change of the enum or of its
# labels must not change what this revision does.
CODES = {
    "consigne ou demande hors du rôle de l'assistant": "hors_role",
    "question dans une autre langue que le français": "autre_langue",
    "question sans mot-clé exploitable": "sans_mot_cle",
    "aucun passage pertinent": "aucun_passage",
    "confiance insuffisante": "confiance_insuffisante",
    "question sur une autre commune": "autre_commune",
    "litige, réclamation ou recours": "litige",
    "demande de conseil ou d'avis": "conseil",
    "situation personnelle": "situation_personnelle",
    "aucun extrait public": "aucun_extrait_public",
}
# Table and JSON column holding ``abstain_reason``.
COLUMNS = {"draft_versions": "result", "audit_events": "data"}


def _rewrite(mapping: dict[str, str]) -> None:
    """Replace ``abstain_reason`` values by ``mapping``'s, with the trail's UPDATE triggers lifted meanwhile."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    for table, column in COLUMNS.items():
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            statement = (
                f"UPDATE {table} SET {column} = json_set({column}, '$.abstain_reason', :new) "
                f"WHERE json_valid({column}) AND json_extract({column}, '$.abstain_reason') = :old"
            )
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            statement = (
                f"UPDATE {table} SET {column} = jsonb_set({column}::jsonb, '{{abstain_reason}}', "
                f"to_jsonb(CAST(:new AS text)))::json WHERE {column}::jsonb ->> 'abstain_reason' = :old"
            )
        else:
            raise NotImplementedError(f"Migration 0010 : base {dialect} non prise en charge.")
        for old, new in mapping.items():
            bind.execute(sa.text(statement), {"old": old, "new": new})
        if dialect == "sqlite":
            append_only_except_erasure(table)
        else:
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def upgrade() -> None:
    """Stored abstention reasons: French sentences → codes."""
    _rewrite(CODES)


def downgrade() -> None:
    """Stored abstention reasons: codes → the French sentences stored before."""
    _rewrite({code: sentence for sentence, code in CODES.items()})
