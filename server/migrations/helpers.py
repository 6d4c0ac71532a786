"""Helpers shared by the migrations: timestamp columns, and append-only tables (UPDATE and DELETE refused)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def timestamp(name: str, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), **kw)  # type: ignore[arg-type]


def append_only(table: str) -> None:
    """Create the triggers that refuse any UPDATE or DELETE on ``table``."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} : ajout seul, modification interdite'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{table} : ajout seul, modification interdite'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def append_only_except_erasure(table: str) -> None:
    """Replace ``append_only`` triggers by ones that let a personal-data erasure through, and nothing else.

    An erasure (``accueil purge`` / ``accueil forget``) inserts a row of ``erasures`` in state ``en_cours`` in its
    own transaction; other transactions cannot see that uncommitted row, so the trail stays append-only for them.
    """
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                "WHEN NOT EXISTS (SELECT 1 FROM erasures WHERE state = 'en_cours') "
                f"BEGIN SELECT RAISE(ABORT, '{table} : ajout seul, modification interdite'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ BEGIN "
            "IF EXISTS (SELECT 1 FROM erasures WHERE state = 'en_cours') THEN "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{table} : ajout seul, modification interdite'; END; $$ LANGUAGE plpgsql"
        )
