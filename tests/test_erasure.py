"""Retention and the right to erasure, on requests that went through the real workflow (real model, index, SQLite).

The CLI runs in-process through its entry point, except where a test needs it in another process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import erasure, faq, faq_variant_proposals, outbox, public_form, workflow
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, DraftVersion, Erasure, MemoryEntry, OutgoingMail, ReplyLink, Request
from tests.conftest import CORPUS, CliResult, LiveServer, accueil, csrf_from, free_port, login, serve, settings_for

pytestmark = pytest.mark.slow  # every test drafts with the real model over an index

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


def test_purge_keeps_only_the_statistics_of_old_requests(full_index: Settings, tmp_path: Path) -> None:
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
    assert PHONE not in kept and "claire@exemple.fr" not in kept and erasure.PURGED in kept
    with db.session() as s:
        request = s.get(Request, rid)
        assert request is not None and request.anonymised_at is not None and request.channel == "web"
        # What statistics need stays; no free text does (purge used to mask patterns only).
        assert request.state == "validee" and request.question == erasure.PURGED
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


def test_purge_and_forget_from_the_command_line(
    full_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, db, assistant = _desk(full_index, tmp_path)
    _web_request(db, assistant, "Horaires de la déchetterie ?", "cli@exemple.fr", validate=False)
    monkeypatch.setenv("ACCUEIL_DATABASE_URL", str(settings.database_url))

    def run(*args: str) -> CliResult:
        return accueil(*args, "--data-dir", str(settings.data_dir))

    done = run("purge")
    assert done.returncode == 0 and "0 demande(s) de plus de 365 jours" in done.stdout
    done = run("forget", "CLI@exemple.fr")
    assert done.returncode == 0 and "1 demande(s) effacée(s)" in done.stdout, done.stderr
    bad = run("forget", "pas-une-adresse")
    assert bad.returncode == 1 and "Adresse électronique invalide" in bad.stderr
    bad = run("purge", "--days", "0")
    assert bad.returncode == 1 and "au moins un jour" in bad.stderr


# --- A desk of its own: the demo corpus's first documents, a real server, the CLI beside it ---------------------
NAME = "Gwendoline Kerbrat-Vasseur"
EMAIL = "gwendoline.kv@exemple-unique.fr"
MOBILE = "06 47 83 92 15"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
ASKED = "Quels sont les horaires de la mairie le samedi matin pour la carte grise du tracteur bleu"
MESSAGE = f"Bonjour, je suis {NAME}, mon IBAN est {IBAN}, joignable au {MOBILE}. {ASKED} ? Merci, {NAME}"
REPLY = f"Bonjour Madame {NAME},\n\nLa mairie est ouverte le samedi de 9 h à 12 h.\n\nCordialement,\nL'accueil"


@dataclass
class Desk:
    """A data folder (index of a few demo documents, SQLite), its running server and its accounts."""

    settings: Settings
    db: Database
    assistant: Assistant
    server: LiveServer


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """Index a few demo documents, make an agent and a supervisor, serve; the folder is left world-readable first."""
    from ingest.pipeline import run_ingest
    from server.core.desk import auth

    root = tmp_path_factory.mktemp("desk")
    corpus = root / "corpus"
    corpus.mkdir()
    for doc in sorted(CORPUS.rglob("*.md"))[:8]:
        shutil.copy(doc, corpus / doc.name)
    settings = settings_for(root / "data")
    run_ingest(settings, [corpus], progress=False)
    db = Database(settings)
    passwords = {"agent1": "mot-de-passe-agent-2026", "chef": "mot-de-passe-chef-2026"}
    with db.session() as s:
        auth.add_user(s, "agent1", "agent", passwords["agent1"])
        auth.add_user(s, "chef", "supervisor", passwords["chef"])
    # As an older version left it: the server must make it private again.
    os.chmod(settings.data_dir, 0o755)
    os.chmod(settings.data_dir / "accueil.db", 0o644)
    for path in settings.index_dir.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    port = free_port()
    # The server's log lies in the data folder: the byte search after an erasure reads it too.
    with serve(settings, port, {}, settings.data_dir / "serve.log") as url:
        yield Desk(settings, db, Assistant(settings), LiveServer(url, settings, passwords, "", None))  # type: ignore[arg-type]
    db.close()


def _files_holding(folder: Path, needles: list[str]) -> list[str]:
    """Every file under ``folder`` that holds one of ``needles`` (as UTF-8, or escaped as JSON stores it)."""
    forms = {n.encode("utf-8") for n in needles} | {json.dumps(n)[1:-1].encode("ascii") for n in needles}
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += [f"{path.relative_to(folder)} : {form!r}" for form in forms if form in data]
    return found


def test_the_data_folder_is_private_once_served(desk: Desk) -> None:
    data = desk.settings.data_dir
    assert data.stat().st_mode & 0o777 == 0o700
    for path in [data / "accueil.db", data / "accueil.db-wal", data / "accueil.db-shm", data / "secret_key"]:
        assert path.exists() and path.stat().st_mode & 0o777 == 0o600, path
    index = list(desk.settings.index_dir.rglob("*"))
    assert index and all(p.stat().st_mode & 0o077 == 0 for p in index)


def test_forget_leaves_nothing_on_disk_and_restore_does_not_bring_it_back(desk: Desk, tmp_path: Path) -> None:
    needles = [EMAIL, MOBILE, IBAN, NAME, ASKED]
    with desk.db.session() as s:
        request = workflow.create_request(s, MESSAGE, "web", "habitant", citizen_email=EMAIL)
        workflow.generate_draft(s, request, desk.assistant, "assistant")
        rid = request.id
        # What a draft in ``llm`` mode records: the prompt and the model's raw answer hold the question, deep down.
        s.add(
            DraftVersion(
                request_id=rid,
                version=9,
                origin="assistant",
                text="",
                status="answered",
                result={
                    "llm": {"prompt": f"Question : {MESSAGE}", "raw": f"{NAME} : {MOBILE}"},
                    "uncovered_parts": [ASKED],
                },
                created_by="assistant",
            )
        )
    with desk.db.session() as s:
        workflow.validate(s, s.get(Request, rid), REPLY, "agent1", desk.assistant)  # type: ignore[arg-type]
        outbox.new_link(s, s.get(Request, rid))  # type: ignore[arg-type]
        # A second question, still waiting for the address to be confirmed (not a request yet).
        public_form.submit(s, desk.settings, f"{ASKED} et le dimanche ?", EMAIL)
        # The FAQ learnt the question as a variant of an entry the supervisor wrote (« Variantes proposées »).
        hours = faq.create(s, "Quand la mairie est-elle ouverte ?", "Le samedi de 9 h à 12 h.", "", [], "chef")
        learnt = faq_variant_proposals.add(s, hours, [faq.clean_question(MESSAGE)], "chef")
        assert learnt.added and ASKED in learnt.added[0]
        hours_id = hours.id
    # "Proposer en FAQ": the form starts from the question and the reply, cleaned.
    with login(desk.server, "chef") as chef:
        page = chef.get(f"/supervision/faq/nouvelle?demande={rid}")
        assert page.status_code == 200
        form = page.text.split('name="question"', 1)[1].split("</textarea>", 2)
        prefilled = form[0] + form[1]
        assert ASKED in prefilled and "[téléphone]" not in prefilled  # only the question is kept
        for leaked in (NAME, MOBILE, IBAN, "Bonjour", "Cordialement", "Merci"):
            assert leaked not in prefilled, leaked
        assert "La mairie est ouverte le samedi de 9 h à 12 h." in prefilled
        # The supervisor still writes the name in: erasure must reach the FAQ and its history.
        posted = chef.post(
            "/supervision/faq/nouvelle",
            data={
                "csrf_token": csrf_from(page.text),
                "question": f"{ASKED} ({NAME}) ?",
                "reponse": f"Le samedi de 9 h à 12 h, {NAME}.",
                "demande": str(rid),
            },
        )
        assert posted.status_code == 303, posted.text
        faq_url = posted.headers["location"]
    archive = tmp_path / "avant.tar.gz"
    data = desk.settings.data_dir
    done = accueil("backup", "--out", str(archive), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert _files_holding(data, needles)  # the search does find them before

    done = accueil("forget", EMAIL.upper(), "--data-dir", str(data))
    assert done.returncode == 0 and "1 demande(s) effacée(s)" in done.stdout, done.stderr
    assert _files_holding(data, needles) == []
    with login(desk.server, "chef") as chef:
        entry = chef.get(faq_url)
        assert entry.status_code == 200 and "Effacée (droit à l&#39;effacement" in entry.text
        where = entry.text.find(NAME)
        assert where < 0, entry.text[max(0, where - 300) : where + 100]
        learnt_from = chef.get(f"/supervision/faq/{hours_id}")
        assert "Variante effacée (droit à l&#39;effacement" in learnt_from.text and ASKED not in learnt_from.text
    with desk.db.session() as s:
        kept = faq.get(s, hours_id)
        assert kept.variants == [] and kept.question == "Quand la mairie est-elle ouverte ?"
    journal = (data / "effacements.jsonl").read_text(encoding="utf-8")
    assert EMAIL not in journal and erasure.email_digest(EMAIL) in journal

    # A backup taken before the erasure: refused without the journal, the erasure re-applied with it.
    refused = accueil("restore", str(archive), "--data-dir", str(tmp_path / "sans"))
    assert refused.returncode == 1 and "Restauration refusée" in refused.stderr
    assert not (tmp_path / "sans" / "accueil.db").exists()
    restored = tmp_path / "restauree"
    done = accueil("restore", str(archive), "--data-dir", str(restored), "--journal", str(data / "effacements.jsonl"))
    assert done.returncode == 0 and "effacements réappliqués à 1 demande(s)" in done.stdout, done.stderr
    assert _files_holding(restored, needles) == []
    assert restored.stat().st_mode & 0o777 == 0o700 and (restored / "accueil.db").stat().st_mode & 0o777 == 0o600
    with Database(settings_for(restored)).session() as s:
        assert s.get(Request, rid).question == erasure.ERASED  # type: ignore[union-attr]


def test_odd_ids_get_a_french_404(desk: Desk) -> None:
    huge = str(2**64)
    with desk.db.session() as s:
        rid = workflow.create_request(s, "Horaires de la mairie ?", "guichet", "agent1").id
    with login(desk.server, "agent1") as agent:
        token = csrf_from(agent.get(f"/demandes/{rid}").text)
        for url, data in [
            (f"/demandes/{rid}/reprendre", {"memoire": huge}),
            (f"/demandes/{huge}/reprendre", {"memoire": "1"}),
        ]:
            r = agent.post(url, data={**data, "csrf_token": token})
            assert r.status_code == 404 and "introuvable" in r.text, (url, r.status_code)
        assert agent.get(f"/demandes/{huge}").status_code == 404
    with login(desk.server, "chef") as chef:
        token = csrf_from(chef.get("/supervision/faq/nouvelle").text)
        r = chef.post(
            "/supervision/faq/nouvelle",
            data={"csrf_token": token, "question": "Horaires ?", "reponse": "De 9 h à 12 h.", "demande": huge},
        )
        assert r.status_code == 404 and "introuvable" in r.text
        for url in (f"/supervision/faq/nouvelle?demande={huge}", f"/supervision/faq/{huge}"):
            r = chef.get(url)
            assert r.status_code == 404 and "introuvable" in r.text, url
        r = chef.post(f"/supervision/faq/{huge}/publication", data={"csrf_token": token, "publier": "true"})
        assert r.status_code == 404


def test_report_masks_questions_and_is_private(desk: Desk, tmp_path: Path) -> None:
    with desk.db.session() as s:
        request = workflow.create_request(s, f"Où acheter une licorne ? Rappelez-moi au {MOBILE}", "guichet", "a")
        result = workflow.generate_draft(s, request, desk.assistant, "agent1")
    assert result.status == "abstained"  # a gap: the report quotes it
    out = tmp_path / "rapport.html"
    done = accueil("report", "--out", str(out), "--data-dir", str(desk.settings.data_dir))
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert "licorne" in html and "[téléphone]" in html and MOBILE not in html
    assert out.stat().st_mode & 0o777 == 0o600


def test_purge_keeps_no_free_text_and_the_figures_still_work(desk: Desk) -> None:
    with desk.db.session() as s:
        request = workflow.create_request(s, f"{NAME} demande le prix du passeport", "guichet", "agent1")
        workflow.generate_draft(s, request, desk.assistant, "agent1")
        workflow.transfer(s, request, f"Service de {NAME}", f"Voir avec {NAME}", "agent1")
        rid = request.id
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with desk.db.session() as s:
        assert erasure.purge(s, 365, "test", now=later) >= 1
    with desk.db.session() as s:
        kept = s.get(Request, rid)
        assert kept is not None and kept.state == "transmise" and kept.channel == "guichet"
        assert kept.question == erasure.PURGED and kept.transferred_to is None
        versions = s.scalars(select(DraftVersion).where(DraftVersion.request_id == rid)).all()
        assert versions and all(v.confidence is not None and v.status for v in versions)
        events = s.scalars(select(AuditEvent).where(AuditEvent.request_id == rid)).all()
        assert {e.action for e in events} >= {"creee", "brouillon_genere", "transmise"}
        # Every string left is a state, a reason or an id of the corpus: no sentence of the citizen or of the agent.
        for event in events:
            for key, value in _strings(event.data):
                assert value == erasure.PURGED or key in erasure.KEPT_KEYS, (key, value)
    assert NAME.encode() not in (desk.settings.data_dir / "accueil.db").read_bytes()
    with login(desk.server, "chef") as chef:
        for url in ("/supervision", "/supervision/lacunes", "/supervision/sources", "/supervision/faq"):
            r = chef.get(url)
            assert r.status_code == 200 and NAME not in r.text, url
        r = chef.get("/supervision/export/activite.csv")
        assert r.status_code in (200, 404) and NAME not in r.text


def test_purge_also_clears_requests_an_earlier_version_only_pseudonymised(desk: Desk) -> None:
    """Before this version purge only masked patterns and set ``anonymised_at``: such text must go too."""
    with desk.db.session() as s:
        request = workflow.create_request(s, f"{NAME} demande l'acte de naissance", "guichet", "agent1")
        request.anonymised_at = dt.datetime.now(dt.UTC)
        rid = request.id
    with desk.db.session() as s:
        erasure.purge(s, 365, "test", now=dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    with desk.db.session() as s:
        purged = s.get(Request, rid)
        assert purged is not None and purged.question == erasure.PURGED


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and value:
        yield key, value
