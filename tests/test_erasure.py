"""Retention and the right to erasure, on requests that went through the real workflow (real model, index, SQLite)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from server.core import erasure, outbox, workflow
from server.core.assistant import Assistant
from server.core.config import Settings
from server.core.db import Database
from server.core.tables import AuditEvent, DraftVersion, Erasure, MemoryEntry, OutgoingMail, ReplyLink, Request
from tests.conftest import REPO_ROOT

PHONE = "06 12 34 56 78"


def _desk(full_index: Settings, tmp_path: Path) -> tuple[Settings, Database, Assistant]:
    settings = full_index.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'desk.db'}"})
    return settings, Database(settings), Assistant(settings)


def _web_request(db: Database, assistant: Assistant, question: str, email: str, validate: bool = True) -> int:
    with db.session() as s:
        request = workflow.create_request(s, question, "web", "habitant", citizen_email=email)
        workflow.generate_draft(s, request, assistant, "assistant")
        if validate:
            reply = f"Bonjour, rappelez l'accueil ; nous avons noté votre numéro {PHONE}. Cordialement."
            workflow.validate(s, request, reply, "agent1", assistant)
        return request.id


def _texts(db: Database, rid: int) -> str:
    """Every text kept about a request, as one string."""
    with db.session() as s:
        request = s.get(Request, rid)
        assert request is not None
        parts = [request.question, request.current_text, request.citizen_email or ""]
        parts += [
            v.text + json.dumps(v.result, ensure_ascii=False)
            for v in s.scalars(select(DraftVersion).where(DraftVersion.request_id == rid))
        ]
        parts += [
            json.dumps(e.data, ensure_ascii=False)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.request_id == rid))
        ]
        parts += [m.question + m.text for m in s.scalars(select(MemoryEntry).where(MemoryEntry.request_id == rid))]
        return "\n".join(parts)


def test_purge_masks_personal_data_of_old_requests_only(full_index: Settings, tmp_path: Path) -> None:
    settings, db, assistant = _desk(full_index, tmp_path)
    rid = _web_request(db, assistant, f"Rappelez-moi au {PHONE} pour la carte d'identité", "claire@exemple.fr")
    assert PHONE in _texts(db, rid) and "claire@exemple.fr" in _texts(db, rid)
    with db.session() as s:
        assert s.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid)) is not None
        assert erasure.purge(s, 365, "test") == 0  # created today: kept as is
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)
    with db.session() as s:
        assert erasure.purge(s, 365, "test", now=later) == 1
        assert erasure.purge(s, 365, "test", now=later) == 0  # already anonymised
    kept = _texts(db, rid)
    assert PHONE not in kept and "claire@exemple.fr" not in kept and "[téléphone]" in kept
    with db.session() as s:
        request = s.get(Request, rid)
        assert request is not None and request.anonymised_at is not None and request.channel == "web"
        assert request.state == "validee" and "carte d'identité" in request.question  # what statistics need stays
        assert s.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid)) is None
        assert s.scalar(select(ReplyLink).where(ReplyLink.request_id == rid)) is None
        log = s.scalars(select(Erasure)).all()
        assert [(e.kind, e.requests, e.state) for e in log] == [("purge", n, "terminee") for n in (0, 1, 0)]
    # Outside an erasure, the trail is still append-only.
    with db.engine.connect() as conn:
        with pytest.raises(DatabaseError, match="ajout seul"):
            conn.execute(text("UPDATE audit_events SET actor = 'x' WHERE request_id = :r"), {"r": rid})


def test_forget_erases_every_request_of_one_address(full_index: Settings, tmp_path: Path) -> None:
    settings, db, assistant = _desk(full_index, tmp_path)
    first = _web_request(db, assistant, "Horaires de la mairie le samedi ?", "Marie.Durand@exemple.fr")
    second = _web_request(db, assistant, f"Mon numéro est le {PHONE}", "marie.durand@exemple.fr", validate=False)
    other = _web_request(db, assistant, "Prix d'un passeport ?", "paul@exemple.fr")
    before_other = _texts(db, other)
    with db.session() as s:
        token = outbox.new_link(s, s.get(Request, first))  # type: ignore[arg-type]
        assert erasure.forget(s, "MARIE.durand@exemple.fr", "test") == 2
    for rid in (first, second):
        kept = _texts(db, rid)
        assert "marie.durand" not in kept.lower() and PHONE not in kept and erasure.ERASED in kept
    with db.session() as s:
        assert s.get(Request, first).question == erasure.ERASED  # type: ignore[union-attr]
    assert _texts(db, other) == before_other
    with db.session() as s:
        assert not s.scalars(select(MemoryEntry).where(MemoryEntry.request_id.in_([first, second]))).all()
        assert s.scalars(select(MemoryEntry).where(MemoryEntry.request_id == other)).all()
        log = s.scalars(select(Erasure).where(Erasure.kind == "oubli")).one()
        assert log.subject == erasure.email_digest("marie.durand@exemple.fr") and "@" not in log.subject
        with pytest.raises(Exception, match="n'existe pas"):
            outbox.request_for_token(s, token)


def test_purge_and_forget_from_the_command_line(full_index: Settings, tmp_path: Path) -> None:
    settings, db, assistant = _desk(full_index, tmp_path)
    _web_request(db, assistant, "Horaires de la déchetterie ?", "cli@exemple.fr", validate=False)
    env = {**os.environ, "ACCUEIL_DATABASE_URL": str(settings.database_url)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "server", *args, "--data-dir", str(settings.data_dir)]
        return subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)

    done = run("purge")
    assert done.returncode == 0 and "0 demande(s) de plus de 365 jours" in done.stdout
    done = run("forget", "CLI@exemple.fr")
    assert done.returncode == 0 and "1 demande(s) effacée(s)" in done.stdout, done.stderr
    bad = run("forget", "pas-une-adresse")
    assert bad.returncode == 1 and "Adresse électronique invalide" in bad.stderr
    bad = run("purge", "--days", "0")
    assert bad.returncode == 1 and "au moins un jour" in bad.stderr
