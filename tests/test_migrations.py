"""Alembic upgrades of a base that already holds data (not only fresh ones), on SQLite with its foreign keys on."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from server.core.answer import reasons
from server.core.answer.reasons import AbstainReason
from server.core.desk.db import Database, _alembic, make_engine
from server.core.desk.states import RequestState, TrailAction
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
        abstained: dict[int, int] = dict(connection.execute(text("SELECT id, abstained FROM requests")).all())
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


# Every sentence 0009 stored as an abstention reason, and the code 0010 stores instead.
OLD_REASONS = {
    "consigne ou demande hors du rôle de l'assistant": "hors_role",
    "question dans une autre langue que le français": "autre_langue",
    "question sans mot-clé exploitable": "sans_mot_cle",
    "aucun passage pertinent": "aucun_passage",
    "confiance insuffisante": "confiance_insuffisante",
}


def _base_at_0009(data_dir: Path) -> None:
    """A SQLite base at 0009: a request in every state, each with a draft and a trail event per stored reason."""
    engine = make_engine(settings_for(data_dir))
    cfg = _alembic()
    now = dt.datetime(2026, 12, 1, 9, 0)
    reasons = [*OLD_REASONS, None]
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0009")
        for rid, state in enumerate(RequestState, start=1):
            connection.execute(
                text(
                    "INSERT INTO requests (id, ref, question, channel, theme, state, created_at, current_text,"
                    " current_version) VALUES (:id, :ref, 'q', 'guichet', '', :state, :now, '', 1)"
                ),
                {"id": rid, "ref": f"R{rid}", "state": str(state), "now": now},
            )
            for version, reason in enumerate(reasons, start=1):
                # json.dumps escapes "é" as \u00e9, as SQLAlchemy's JSON type stores it.
                result = json.dumps({"status": "abstained", "abstain_reason": reason, "confidence": 0.1})
                connection.execute(
                    text(
                        "INSERT INTO draft_versions (request_id, version, origin, text, status, confidence, result,"
                        " created_at, created_by) VALUES (:id, :v, 'assistant', '', 'abstained', 0.1, :r, :now, 'a')"
                    ),
                    {"id": rid, "v": version, "r": result, "now": now},
                )
            for action in TrailAction:
                data = {"abstain_reason": reasons[rid % len(reasons)], "version": 1}
                connection.execute(
                    text(
                        "INSERT INTO audit_events (request_id, at, actor, action, data) VALUES (:id, :now, 'a', :a, :d)"
                    ),
                    {"id": rid, "now": now, "a": str(action), "d": json.dumps(data)},
                )
    engine.dispose()


def _stored(db: Database) -> tuple[dict[int, str], list[str], list[str | None], list[str | None]]:
    with db.engine.connect() as connection:
        states: dict[int, str] = dict(connection.execute(text("SELECT id, state FROM requests")).all())
        actions = list(connection.execute(text("SELECT action FROM audit_events ORDER BY id")).scalars())
        drafts = [
            json.loads(r)["abstain_reason"]
            for r in connection.execute(text("SELECT result FROM draft_versions")).scalars()
        ]
        trail = [
            json.loads(r)["abstain_reason"] for r in connection.execute(text("SELECT data FROM audit_events")).scalars()
        ]
    return states, actions, drafts, trail


def test_0010_stores_abstention_reasons_as_codes_and_downgrades_back(tmp_path: Path) -> None:
    """Upgrading to 0010 turns every stored reason sentence into its code, keeps states and actions, and goes back."""
    _base_at_0009(tmp_path)
    db = Database(settings_for(tmp_path))  # migrates to head
    states, actions, drafts, trail = _stored(db)
    assert states == {i: str(s) for i, s in enumerate(RequestState, start=1)}
    assert actions == [str(a) for _ in RequestState for a in TrailAction]
    assert set(drafts) == {*OLD_REASONS.values(), None}
    assert set(trail) <= {*OLD_REASONS.values(), None} and len(set(trail)) > 2
    assert all(r is None or AbstainReason(r).label in OLD_REASONS for r in drafts), "a code whose label changed"
    with db.engine.connect() as connection:
        with pytest.raises(DatabaseError, match="ajout seul"):  # the trail is append-only again
            connection.execute(text("UPDATE audit_events SET actor = 'x'"))
        with pytest.raises(DatabaseError, match="ajout seul"):
            connection.execute(text("UPDATE draft_versions SET text = 'x'"))
    cfg = _alembic()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0009")
    states_back, actions_back, drafts_back, trail_back = _stored(db)
    assert (states_back, actions_back) == (states, actions)
    assert set(drafts_back) == {*OLD_REASONS, None}
    assert trail_back == [None if r is None else {v: k for k, v in OLD_REASONS.items()}[r] for r in trail]
    with db.engine.connect() as connection:
        with pytest.raises(DatabaseError, match="ajout seul"):
            connection.execute(text("UPDATE audit_events SET actor = 'x'"))


def test_0010_knows_every_abstention_reason() -> None:
    """The migration's frozen table maps to exactly the codes of the enum, each to its label of today."""
    path = Path(__file__).parents[1] / "server" / "migrations" / "versions" / "0010_enums.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {AbstainReason(code): sentence for sentence, code in module.CODES.items()} == reasons.LABELS
    assert OLD_REASONS.items() <= module.CODES.items()


def _base_at_0010_with_faq(data_dir: Path) -> None:
    """A SQLite base at 0010 holding a published FAQ entry and its two versions."""
    engine = make_engine(settings_for(data_dir))
    cfg = _alembic()
    now = dt.datetime(2026, 12, 1, 9, 0)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0010")
        sources = json.dumps([{"doc_id": "horaires-contacts/mairie-horaires-contacts"}])
        connection.execute(
            text(
                "INSERT INTO faq_entries (id, question, answer, theme, sources, published, version, created_at,"
                " updated_at) VALUES (1, 'Horaires de la mairie ?', 'De 9 h à 12 h.', 'Mairie', :s, 1, 2, :now, :now)"
            ),
            {"s": sources, "now": now},
        )
        for version, action in ((1, "creee"), (2, "publiee")):
            connection.execute(
                text(
                    "INSERT INTO faq_versions (faq_id, version, action, question, answer, theme, sources, published,"
                    " actor, at) VALUES (1, :v, :a, 'Horaires de la mairie ?', 'De 9 h à 12 h.', 'Mairie', :s,"
                    " :p, 'chef', :now)"
                ),
                {"v": version, "a": action, "s": sources, "p": version == 2, "now": now},
            )
    engine.dispose()


def test_0011_adds_empty_faq_variants_kept_in_history_and_downgrades(tmp_path: Path) -> None:
    """0011 gives existing entries and versions no variant, new versions record theirs, and the columns go back;
    0012 gives them nothing to review, and goes back too."""
    from server.core.desk import faq
    from server.core.desk.tables import FaqEntry

    _base_at_0010_with_faq(tmp_path)
    db = Database(settings_for(tmp_path))  # migrates to head
    with db.session() as session:
        entry = session.get(FaqEntry, 1)
        assert entry is not None and entry.variants == [] and entry.published
        assert entry.review == [], "0012: an entry published before has nothing to review"
        assert [v.variants for v in faq.history(session, entry)] == [[], []]
        faq.update(
            session, entry, entry.question, entry.answer, entry.theme, entry.sources, "chef",
            ["La mairie ouvre quand ?", " la mairie OUVRE quand ? ", "", "Horaires de la  mairie ?"],
        )  # fmt: skip
    with db.session() as session:
        entry = session.get(FaqEntry, 1)
        assert entry is not None and entry.variants == ["La mairie ouvre quand ?"], "repeats and the question kept"
        assert [v.variants for v in faq.history(session, entry)] == [[], [], ["La mairie ouvre quand ?"]]
    with db.engine.connect() as connection:
        with pytest.raises(DatabaseError, match="ajout seul"):  # still append-only after ADD COLUMN
            connection.execute(text("UPDATE faq_versions SET variants = '[]'"))
    cfg = _alembic()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0010")
    with db.engine.connect() as connection:
        for table in ("faq_entries", "faq_versions"):
            columns = {row[1] for row in connection.execute(text(f"PRAGMA table_info({table})"))}
            assert "variants" not in columns and "review" not in columns and "question" in columns
        tables = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        assert "faq_source_texts" not in tables and "faq_entries" in tables
        assert connection.execute(text("SELECT count(*) FROM faq_versions")).scalar_one() == 3
        with pytest.raises(DatabaseError, match="ajout seul"):
            connection.execute(text("DELETE FROM faq_versions"))


def test_0013_drops_the_memory_vectors_and_keeps_the_replies(tmp_path: Path) -> None:
    """A reply remembered with its question's vector (before 0013) keeps its question, text and sources; the vector,
    one more copy of a citizen's words, is gone; 0013 goes back with an empty column."""
    from server.core.desk.tables import MemoryEntry

    _base_at_0005(tmp_path)
    engine = make_engine(settings_for(tmp_path))
    cfg = _alembic()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0012")
        connection.execute(
            text(
                "INSERT INTO memory_entries (id, request_id, question, embedding, text, sources, validated_at)"
                " VALUES (1, 2, 'Horaires de la mairie ?', :v, 'De 9 h à 12 h.', '[]', :now)"
            ),
            {"v": b"\x01" * 16, "now": dt.datetime(2026, 11, 2, 9, 0)},
        )
    engine.dispose()
    db = Database(settings_for(tmp_path))  # migrates to head
    with db.engine.connect() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(memory_entries)"))}
        assert "embedding" not in columns and {"question", "text", "sources"} <= columns
    with db.session() as session:
        kept = session.get(MemoryEntry, 1)
        assert kept is not None and (kept.question, kept.text, kept.sources) == (
            "Horaires de la mairie ?",
            "De 9 h à 12 h.",
            [],
        )
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0012")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT question, embedding FROM memory_entries")).one() == (
            "Horaires de la mairie ?",
            b"",
        )
