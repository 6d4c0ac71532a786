"""Alembic upgrades of a base that already holds data (not only fresh ones), on SQLite with its foreign keys on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from server.core.desk.db import Database, _alembic, make_engine
from server.core.desk.tables import ApiToken
from tests.conftest import settings_for


def _base_at_0005(data_dir: Path) -> None:
    """A SQLite base migrated to 0005 with an account, a token, and an abstained request with its draft and trail."""
    engine = make_engine(settings_for(data_dir))
    cfg = _alembic()
    now = dt.datetime(2026, 11, 1, 9, 0)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0005")
        connection.execute(text("INSERT INTO users VALUES (1, 'agent1', 'agent', 'x', 1, :now)"), {"now": now})
        connection.execute(
            text("INSERT INTO api_tokens VALUES (1, 1, 'grc', :h, 0, :now)"), {"h": "a" * 64, "now": now}
        )
        for rid, status in ((1, "abstained"), (2, "answered")):
            connection.execute(
                text(
                    "INSERT INTO requests (id, ref, question, channel, theme, state, created_at, created_by,"
                    " current_text, current_version) VALUES (:id, :ref, 'q', 'guichet', '', 'brouillon', :now, 1,"
                    " '', 1)"
                ),
                {"id": rid, "ref": f"R{rid}", "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO draft_versions (request_id, version, origin, text, status, confidence, result,"
                    " created_at, created_by) VALUES (:id, 1, 'assistant', '', :s, 0.2, :r, :now, 'agent1')"
                ),
                {"id": rid, "s": status, "r": json.dumps({"status": status}), "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO audit_events (request_id, at, actor, action, data) VALUES (:id, :now, 'a', 'x', '{}')"
                ),
                {"id": rid, "now": now},
            )
    engine.dispose()


def test_a_base_with_requests_upgrades_to_head_and_back(tmp_path: Path) -> None:
    """Upgrading a populated 0005 base keeps its rows, backfills what the new columns mean, and 0009 downgrades."""
    _base_at_0005(tmp_path)
    db = Database(settings_for(tmp_path))  # migrates to head, as `accueil serve` does
    with db.engine.connect() as connection:
        abstained = dict(connection.execute(text("SELECT id, abstained FROM requests")).all())
        expires = connection.execute(text("SELECT expires_at FROM api_tokens")).scalar_one()
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 2
    assert abstained == {1: 1, 2: 0}, "an abstention drafted before the upgrade still reads « Brouillon prêt »"
    assert expires is not None, "a token made before the upgrade would never expire"
    with db.session() as session:
        token = session.get(ApiToken, 1)
        assert token is not None and token.expires_at is not None
        lifetime = token.expires_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(days=89) < lifetime <= dt.timedelta(days=90)
    cfg = _alembic()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")
    with db.engine.connect() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(requests)"))}
        assert "pinned" not in columns
        assert connection.execute(text("SELECT count(*) FROM draft_versions")).scalar_one() == 2
