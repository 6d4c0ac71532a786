"""FAQ entries stay true to their sources (server/core/desk/faq_watch.py): real ingests of a small corpus with the
real model, ``accueil ingest`` run in-process, a real SQLite base, the supervisor's pages in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.core.config import Settings
from server.core.desk import auth, faq, faq_io, faq_watch
from server.core.desk.db import Database
from server.core.desk.states import TrailAction
from server.core.desk.tables import AuditEvent, FaqEntry, FaqSourceText
from server.web.app import create_app
from tests.conftest import accueil, csrf_from, settings_for

CHANGED = "animaux/animaux-errants-fourriere"  # its text changes
REMOVED = "animaux/chiens-dangereux"  # its file is deleted
DATED = "animaux/dejections-canines"  # only its review date changes
OLD = "La commune doit prendre en charge les chiens et les chats trouvés errants sur son territoire."
NEW = "La commune prend en charge les chiens, les chats et les furets trouvés errants sur son territoire."
PASSWORD = "mot-de-passe-chef-2026"


def _ingest(settings: Settings, corpus: Path) -> str:
    result = accueil("ingest", str(corpus), "--data-dir", str(settings.data_dir))
    assert result.returncode == 0, result.stderr
    return result.stdout


def _entries(db: Database) -> dict[str, FaqEntry]:
    with db.session() as session:
        return {e.sources[0]["doc_id"]: e for e in session.scalars(select(FaqEntry)) if e.question != "Brouillon ?"}


@pytest.fixture
def watched(small_corpus: Path, tmp_path: Path) -> Iterator[tuple[Settings, Database, Path]]:
    """A small corpus indexed, one published entry citing each of three documents, a draft citing the first; then
    the first document's text changed, the second's file deleted, the third's review date moved, and re-ingested."""
    settings = settings_for(tmp_path / "data")
    first = _ingest(settings, small_corpus)
    assert "FAQ" not in first
    docs = faq_io.indexed_docs(settings.index_dir)
    assert docs is not None and {CHANGED, REMOVED, DATED} <= set(docs)
    db = Database(settings)
    with db.session() as session:
        auth.add_user(session, "chef", "supervisor", PASSWORD)
        for doc_id in (CHANGED, REMOVED, DATED):
            entry = faq.create(
                session, f"Question sur {doc_id} ?", "Réponse.", "", faq.sources_from([doc_id], docs), "chef"
            )
            faq.set_published(session, entry, True, "chef")
        faq.create(session, "Brouillon ?", "Réponse.", "", faq.sources_from([CHANGED], docs), "chef")
        assert faq_watch.check(session, settings.index_dir) == []  # the texts published against are kept
        assert session.query(FaqSourceText).count() == 3

    changed = small_corpus / "animaux-errants-fourriere.md"
    assert OLD in changed.read_text(encoding="utf-8")
    changed.write_text(changed.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    (small_corpus / "chiens-dangereux.md").unlink()
    dated = small_corpus / "dejections-canines.md"
    text = dated.read_text(encoding="utf-8")
    dated.write_text(re.sub(r"review_by: \S+", "review_by: 2030-01-01", text, count=1), encoding="utf-8")
    out = _ingest(settings, small_corpus)
    assert "1 supprimés" in out and "2 mis à jour" in out, out
    assert "FAQ : 2 entrée(s) retirée(s) de la FAQ publique" in out
    assert f"  ↓ Question sur {CHANGED} ?" in out and f"  ↓ Question sur {REMOVED} ?" in out
    yield settings, db, small_corpus
    db.close()


@pytest.mark.slow
def test_a_reingest_withdraws_and_flags_the_entries_whose_source_changed(
    watched: tuple[Settings, Database, Path],
) -> None:
    settings, db, _ = watched
    entries = _entries(db)
    changed, removed, dated = entries[CHANGED], entries[REMOVED], entries[DATED]
    assert not changed.published and not removed.published and dated.published, "only the changed ones withdrawn"
    assert [(r["doc_id"], r["removed"]) for r in changed.review] == [(CHANGED, False)]
    assert [(r["doc_id"], r["removed"]) for r in removed.review] == [(REMOVED, True)]
    assert dated.review == []
    with db.session() as session:
        draft = session.scalars(select(FaqEntry).where(FaqEntry.question == "Brouillon ?")).one()
        assert draft.review == [], "a draft is not published: nothing to withdraw"
        steps = [(v.action, v.actor, v.published) for v in faq.history(session, changed)]
        assert steps[-1] == ("source_modifiee", faq_watch.WATCH_ACTOR, False)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == TrailAction.FAQ_SOURCE_CHANGED)).all()
        assert sorted(e.data["sources"][0] for e in events) == sorted([CHANGED, REMOVED])
        assert next(e for e in events if e.data["faq_id"] == removed.id).data["removed"] == [REMOVED]

        (diff,) = faq_watch.diffs(session, session.get(FaqEntry, changed.id), settings.index_dir)  # type: ignore[arg-type]
        assert diff.doc_id == CHANGED and not diff.removed and diff.known_before
        assert ("-", OLD) in [(k, t[: len(OLD)]) for k, t in diff.lines]
        assert ("+", NEW) in [(k, t[: len(NEW)]) for k, t in diff.lines]
        (gone,) = faq_watch.diffs(session, session.get(FaqEntry, removed.id), settings.index_dir)  # type: ignore[arg-type]
        assert gone.removed and gone.lines and {k for k, _ in gone.lines} <= {"-", "@"}

        # Only the review date changed: the text published against still holds, its new hash is taken.
        kept = session.scalars(select(FaqSourceText).where(FaqSourceText.faq_id == dated.id)).one()
        assert kept.hash == faq_io.indexed_docs(settings.index_dir)[DATED]["hash"]  # type: ignore[index]
        assert faq_watch.check(session, settings.index_dir) == [], "a second check withdraws nothing more"


@pytest.mark.slow
def test_the_supervisor_sees_the_badge_and_the_diff_then_republishes(
    watched: tuple[Settings, Database, Path],
) -> None:
    settings, db, _ = watched
    entries = _entries(db)
    changed, removed = entries[CHANGED], entries[REMOVED]
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = csrf_from(client.get("/connexion").text)
        r = client.post("/connexion", data={"username": "chef", "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        listing = client.get("/supervision/faq").text
        assert listing.count("Source modifiée — à relire") == 2
        page = unescape(client.get(f"/supervision/faq/{changed.id}").text)
        assert "Source modifiée — à relire" in page and f"({CHANGED})" in page
        assert re.search(r"<td>retiré</td><td>" + re.escape(OLD), page)
        assert re.search(r"<td>ajouté</td><td>" + re.escape(NEW), page)
        gone = unescape(client.get(f"/supervision/faq/{removed.id}").text)
        assert "Document retiré de l'index" in gone

        csrf = csrf_from(page)
        refused = client.post(
            f"/supervision/faq/{removed.id}/publication", data={"publier": "true", "csrf_token": csrf}
        )
        assert refused.status_code == 422 and "Source absente de l&#39;index" in refused.text
        ok = client.post(f"/supervision/faq/{changed.id}/publication", data={"publier": "true", "csrf_token": csrf})
        assert ok.status_code == 303
        assert "Source modifiée" not in client.get(f"/supervision/faq/{changed.id}").text
    with db.session() as session:
        entry = session.get(FaqEntry, changed.id)
        assert entry is not None and entry.published and entry.review == []
        kept = session.scalars(select(FaqSourceText).where(FaqSourceText.faq_id == changed.id)).one()
        assert NEW in kept.text and OLD not in kept.text, "republished: the current text is the new baseline"
        assert faq_watch.check(session, settings.index_dir) == []


def test_without_index_or_database_nothing_is_checked_nor_created(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    assert faq_watch.after_ingest(settings) == []
    assert not (settings.data_dir / "accueil.db").exists()
    db = Database(settings)
    try:
        with db.session() as session:
            assert faq_watch.check(session, settings.index_dir) == []
    finally:
        db.close()
