"""Every text limit is the settings' own, checked before anything is written, through every door.

An in-process application over a real SQLite base in ``tmp_path`` (no index: a refusal comes before any draft), with
limits set lower than their defaults, so that only a check reading the settings can refuse these texts; and the real
``accueil ask`` command in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.core.config import Settings
from server.core.desk import auth, workflow
from server.core.desk.db import Database
from server.core.desk.tables import Base
from server.web.app import create_app
from tests.conftest import REPO_ROOT, accueil, csrf_from, settings_for

LIMITS = {"max_question_chars": 120, "max_comment_chars": 60, "max_recipient_chars": 30}
PASSWORD = "mot-de-passe-agent-2026"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings over an empty data folder, with limits lower than the defaults."""
    return settings_for(tmp_path / "data", **LIMITS)


@pytest.fixture
def database(settings: Settings) -> Database:
    """The migrated base, with one agent and one API token."""
    db = Database(settings)
    with db.session() as session:
        auth.add_user(session, "agent1", "agent", PASSWORD)
    return db


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    """A client of the application, logged in as the agent through the login form."""
    with TestClient(create_app(settings), follow_redirects=False) as c:
        csrf = csrf_from(c.get("/connexion").text)
        r = c.post("/connexion", data={"username": "agent1", "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        yield c


def counts(database: Database) -> dict[str, int]:
    """Rows of every table."""
    with database.session() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def open_request(database: Database) -> int:
    """A new open request (no draft needed to reject or transfer it)."""
    with database.session() as session:
        return workflow.create_request(session, "Horaires de la mairie ?", "guichet", "agent1").id


def field_error(html: str, field_id: str) -> str:
    """The message shown next to the field ``field_id`` (which points at it with aria-describedby)."""
    field = re.search(rf'<(?:textarea|input)[^>]*id="{field_id}"[^>]*>', html)
    assert field, f"champ {field_id} absent"
    assert 'aria-invalid="true"' in field.group(0) and f'aria-describedby="{field_id}-erreur"' in field.group(0)
    message = re.search(rf'<p class="error field-error" id="{field_id}-erreur" role="alert">([^<]+)</p>', html)
    assert message, f"pas de message à côté de {field_id}"
    return unescape(message.group(1))


def test_a_question_over_the_limit_is_refused_by_the_agent_form(client: TestClient, database: Database) -> None:
    typed = "Bonjour, " + "je voudrais savoir " * 10  # 199 characters: over 120, under every former fixed limit
    before = counts(database)
    csrf = csrf_from(client.get("/demandes/nouvelle").text)
    r = client.post("/demandes/nouvelle", data={"csrf_token": csrf, "question": typed, "canal": "guichet"})
    assert r.status_code == 422
    assert "120 au plus" in field_error(r.text, "question") and "rien n'a été enregistré" in unescape(r.text)
    assert unescape(r.text).count(typed.strip()) == 1  # what was typed is kept, whole
    assert counts(database) == before


def test_a_follow_up_question_over_the_limit_is_refused(client: TestClient, database: Database) -> None:
    request_id = open_request(database)
    before = counts(database)
    csrf = csrf_from(client.get(f"/demandes/{request_id}").text)
    r = client.post(f"/demandes/{request_id}/suivi", data={"csrf_token": csrf, "question": "et pour " * 20})
    assert r.status_code == 422 and "120 au plus" in field_error(r.text, "suivi")
    assert counts(database) == before


def test_a_question_over_the_limit_is_refused_by_the_api(
    client: TestClient, settings: Settings, database: Database
) -> None:
    with database.session() as session:
        token = auth.create_token(session, "agent1", "tests")
    api = {"Authorization": f"Bearer {token}"}
    before = counts(database)
    for path, body in (
        ("/api/v1/requests", {"question": "x" * 121}),
        ("/api/v1/drafts", {"question": "x" * 121}),
        ("/api/v1/drafts", {"question": "et pour un mineur ?", "history": ["y" * 121]}),
        (f"/api/v1/requests/{open_request(database)}/follow-up", {"question": "x" * 121}),
    ):
        before = counts(database)
        r = client.post(path, json=body, headers=api)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"] == "InputError" and "120 au plus" in r.json()["message"], r.json()
        assert counts(database) == before, path


def test_a_question_over_the_limit_is_refused_by_the_public_form(settings: Settings, database: Database) -> None:
    typed = "Quels sont les horaires " * 6
    with TestClient(create_app(settings)) as public:
        before = counts(database)
        r = public.post("/question", data={"q": typed})
        assert r.status_code == 422 and "120 au plus" in field_error(r.text, "q")
        assert typed.strip() in unescape(r.text)
        sent = {"question": typed, "courriel": "habitant@example.org", "jeton": "x", "consentement": "true"}
        r = public.post("/question/envoyer", data=sent)
        assert r.status_code == 422 and "120 au plus" in field_error(r.text, "q")
        assert counts(database) == before


def test_the_command_line_refuses_a_question_over_the_limit(tmp_path: Path) -> None:
    env = {**os.environ, "ACCUEIL_MAX_QUESTION_CHARS": "120"}
    cmd = [sys.executable, "-m", "server", "ask", "x" * 121, "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 1 and "120" in done.stderr and "question" in done.stderr.lower(), done.stderr
    assert not (tmp_path / "data" / "accueil.db").exists()


def test_reject_comment_and_recipient_are_refused_not_cut(client: TestClient, database: Database) -> None:
    request_id = open_request(database)
    page = f"/demandes/{request_id}"
    comment = "Le brouillon cite une délibération abrogée. " * 2  # 88 characters: over 60
    before = counts(database)
    csrf = csrf_from(client.get(page).text)
    r = client.post(f"{page}/rejet", data={"csrf_token": csrf, "motif": "obsolete", "commentaire": comment})
    assert r.status_code == 422 and "60 au plus" in field_error(r.text, "commentaire-rejet")
    assert comment.strip() in unescape(r.text)
    r = client.post(f"{page}/transfert", data={"csrf_token": csrf, "destinataire": "Service de l'urbanisme " * 2})
    assert r.status_code == 422 and "30 au plus" in field_error(r.text, "destinataire")
    assert counts(database) == before
    with database.session() as session:
        assert workflow.get_request(session, request_id).state in workflow.OPEN_STATES


def test_the_api_refuses_a_long_reject_comment_and_recipient(client: TestClient, database: Database) -> None:
    with database.session() as session:
        token = auth.create_token(session, "agent1", "tests")
    api = {"Authorization": f"Bearer {token}"}
    request_id = open_request(database)
    before = counts(database)
    r = client.post(f"/api/v1/requests/{request_id}/reject", json={"reason": "autre", "comment": "c" * 61}, headers=api)
    assert r.status_code == 422 and "60 au plus" in r.json()["message"]
    r = client.post(f"/api/v1/requests/{request_id}/transfer", json={"to": "d" * 31}, headers=api)
    assert r.status_code == 422 and "30 au plus" in r.json()["message"]
    assert counts(database) == before


def test_the_forms_maxlength_comes_from_the_settings(client: TestClient, database: Database) -> None:
    html = client.get("/demandes/nouvelle").text
    assert re.search(r'id="question"[^>]*maxlength="120"', html)
    html = client.get(f"/demandes/{open_request(database)}").text
    assert re.search(r'id="commentaire-rejet"[^>]*maxlength="60"', html)
    assert re.search(r'id="destinataire"[^>]*maxlength="30"', html)


def test_the_command_line_refuses_too_long_a_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCUEIL_MAX_HISTORY_QUESTIONS", "2")
    monkeypatch.setenv("ACCUEIL_MAX_QUESTION_CHARS", "120")
    data = str(tmp_path / "data")
    many = accueil("ask", "et le samedi ?", "--data-dir", data, *[a for q in ("a", "b", "c") for a in ("--history", q)])
    assert many.returncode == 1 and "3 questions pour 2 au plus" in many.stderr, many.stderr
    long = accueil("ask", "et le samedi ?", "--data-dir", data, "--history", "x" * 121)
    assert long.returncode == 1 and "120 caractères" in long.stderr, long.stderr
    assert not (tmp_path / "data" / "accueil.db").exists()
