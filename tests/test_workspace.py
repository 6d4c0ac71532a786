"""The workspace's core rules (#18) on a real SQLite base: internal sources never validated, callback numbers,
pinned first, themes from the commune's list, one source card per document, gap kinds, question sets, deciles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.core.answer.reasons import AbstainReason
from server.core.config import Settings
from server.core.desk import activity, auth, erasure, eval_runs, gaps, workflow, workspace
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from server.core.errors import InputError
from server.web import figures
from server.web.app import create_app
from server.web.dates import long_date
from server.web.views import diff_lines, source_panels
from tests.conftest import LiveServer, csrf_from, login, settings_for

INTERNAL = "horaires-contacts/annuaire-interne-astreintes"


def _result(markers_doc: str = INTERNAL) -> dict[str, object]:
    return {
        "citations": [
            {"n": 1, "doc_id": markers_doc, "title": "Annuaire interne", "quote": "Poste interne 3000 des services."},
            {"n": 2, "doc_id": "identite/passeport", "title": "Passeport", "quote": "Le passeport coûte 86 euros."},
        ],
        "sources": [
            {"doc_id": markers_doc, "audience": "internal", "chunk_id": "a#0"},
            {"doc_id": "identite/passeport", "audience": "public", "chunk_id": "p#0"},
        ],
    }


def test_a_reply_citing_an_internal_document_is_refused() -> None:
    result = _result()
    assert workspace.internal_citations("Le passeport coûte 86 euros [2].", result) == []
    assert workspace.internal_citations("Appelez le poste [1].", result) == ["Annuaire interne"]
    # Quoting the passage without its marker is still quoting it.
    assert workspace.internal_citations("Poste interne 3000 des services.", result) == ["Annuaire interne"]
    with pytest.raises(InputError, match="document interne"):
        workspace.check_no_internal("Voir [1] et [2].", result)
    workspace.check_no_internal("Le passeport coûte 86 euros [2].", result)


def test_callback_numbers_are_checked_and_masked() -> None:
    assert workspace.clean_phone("  06 12 34 56 78 ") == "06 12 34 56 78"
    assert workspace.clean_phone("") is None
    for wrong in ("pas un numéro", "06 12", "06 12 34 56 78 puis 07"):
        with pytest.raises(InputError, match="Numéro de rappel invalide"):
            workspace.clean_phone(wrong)
    assert workspace.masked_phone("06 12 34 56 78") == "06 •• •• •• 78"
    assert "12 34" not in workspace.masked_phone("+33 6 12 34 56 78")


def test_one_source_card_per_document_with_every_quote() -> None:
    result = {
        "citations": [
            {
                "n": 1,
                "doc_id": "mairie",
                "title": "Mairie",
                "url": "",
                "updated": "2026-10-15",
                "quote": "Q1",
                "chunk_id": "mairie#1",
            },
            {
                "n": 1,
                "doc_id": "mairie",
                "title": "Mairie",
                "url": "",
                "updated": "2026-10-15",
                "quote": "Q2",
                "chunk_id": "mairie#2",
            },
            {
                "n": 2,
                "doc_id": "annexe",
                "title": "Annexe",
                "url": "",
                "updated": "2026-09-01",
                "quote": "Q3",
                "chunk_id": "annexe#1",
            },
        ],
        "sources": [
            {"doc_id": "mairie", "chunk_id": "mairie#1", "title": "Mairie", "audience": "public"},
            {"doc_id": "cantine", "chunk_id": "cantine#4", "title": "Cantine", "audience": "internal"},
        ],
    }
    panels = source_panels(result, None)
    assert [p.doc_id for p in panels] == ["mairie", "annexe", "cantine"]
    assert panels[0].quotes == ["Q1", "Q2"] and panels[0].n == 1 and panels[0].updated == "15/10/2026"
    assert panels[2].internal and not panels[0].internal


def test_diff_lines_for_the_history() -> None:
    diff, _ = workflow.edit_summary("Bonjour,\nA\nCordialement,", "Bonjour,\nB\nCordialement,")
    assert ("retrait", "A") in diff_lines(diff) and ("ajout", "B") in diff_lines(diff)
    assert not any(line.startswith(("---", "+++", "@@")) for _, line in diff_lines(diff))


def test_gap_kinds_tell_missing_document_from_nothing_back() -> None:
    low = AbstainReason.LOW_CONFIDENCE
    assert gaps.abstention_kind({"abstain_reason": low, "sources": [{}]}) == "source_non_trouvee"
    assert gaps.abstention_kind({"abstain_reason": "aucun_passage", "sources": [{}]}) == "aucune_source"  # as stored
    assert gaps.abstention_kind({"abstain_reason": low, "sources": []}) == "aucune_source"
    reason = AbstainReason.FOREIGN_LANGUAGE
    assert gaps.abstention_kind({"abstain_reason": reason, "sources": [{}]}) == "hors_champ"
    # Drafts recorded before the reason was: a zero confidence is the guard's.
    assert gaps.abstention_kind({"confidence": 0.0, "sources": [{}]}) == "hors_champ"
    assert gaps.abstention_kind({"confidence": 0.41, "sources": [{}]}) == "source_non_trouvee"


def test_only_question_sets_are_offered_with_their_duration(tmp_path: Path) -> None:
    folder = tmp_path / "jeux"
    folder.mkdir()
    question = {"id": "q1", "question": "Horaires ?", "expect": "answer"}
    (folder / "petit.jsonl").write_text(json.dumps(question) + "\n", encoding="utf-8")
    many = [json.dumps({**question, "id": f"q{i}"}) for i in range(300)]
    (folder / "grand.jsonl").write_text("\n".join(many) + "\n", encoding="utf-8")
    (folder / "pii.jsonl").write_text('{"id": "p1", "text": "06 12 34 56 78", "spans": []}\n', encoding="utf-8")
    (folder / "paires.jsonl").write_text('{"id": "m1", "a": "x", "b": "y", "same": true}\n', encoding="utf-8")
    (folder / "casse.jsonl").write_text(json.dumps(question) + "\n{pas du json\n", encoding="utf-8")
    settings = settings_for(tmp_path / "data", eval_datasets_dir=folder)
    offered = {d.name: d for d in eval_runs.datasets(settings)}
    assert set(offered) == {"petit.jsonl", "grand.jsonl"}
    assert not offered["petit.jsonl"].long and "moins d'une minute" in offered["petit.jsonl"].label
    assert offered["grand.jsonl"].long and offered["grand.jsonl"].label == "grand — 300 questions (environ 3 min)"
    with pytest.raises(InputError, match="cochez la case de confirmation"):
        eval_runs.start(settings, "grand.jsonl")
    with pytest.raises(InputError, match="inconnu"):
        eval_runs.start(settings, "pii.jsonl", confirmed=True)
    assert not eval_runs.runs_dir(settings).exists()  # nothing started


def test_confidence_deciles_and_french_export_headers() -> None:
    rows = activity.deciles(
        {1: (0.05, True), 2: (0.95, False), 3: (1.0, False), 4: (0.93, False)}, {2: 0.0, 3: 0.4}, {4}
    )
    assert [d.label for d in rows][:2] == ["0,0 – 0,1", "0,1 – 0,2"] and rows[-1].label == "0,9 – 1,0"
    assert (rows[0].drafts, rows[0].abstained) == (1, 1)
    top = rows[9]
    assert (top.drafts, top.validated_unedited, top.validated_edited, top.rejected) == (3, 1, 1, 1)
    table = figures.eval_table([])
    assert "hit@5" not in table.headers and "Source trouvée (5 premières)" in table.headers


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(settings_for(tmp_path / "data"))
    yield database
    database.close()


def _request(s: Session, question: str, **kw: object) -> Request:
    return workflow.create_request(s, question, "telephone", "agent1", **kw)  # type: ignore[arg-type]


def test_pinned_first_theme_from_the_list_comment_and_discard(db: Database) -> None:
    with db.session() as s:
        old = _request(s, "Inscription à la cantine ?")
        new = _request(s, "Horaires de la déchetterie ?")
        assert [r.id for r in workflow.inbox(s)][:2] == [new.id, old.id]
        workspace.set_pinned(s, old, True, "agent1")
        s.flush()
        assert workflow.inbox(s)[0].id == old.id
        allowed = workspace.themes("", {"a": {"theme": "École"}, "b": {"theme": "Déchets"}, "c": {}})
        assert allowed == ["Déchets", "École"]
        with pytest.raises(InputError, match="liste de la commune"):
            workspace.set_theme(s, old, "Texte libre", allowed, "agent1")
        workspace.set_theme(s, old, "École", allowed, "agent1")
        s.flush()
        assert [r.id for r in workflow.inbox(s, theme="École")] == [old.id]
        assert workflow.inbox(s, theme="Éco") == []  # a theme is chosen, not searched
        with pytest.raises(InputError, match="vide"):
            workspace.add_comment(s, old, "   ", "agent1")
        workspace.add_comment(s, old, "Rappeler après 14 h.", "agent1")
        old.current_text = "Bonjour, brouillon."
        workflow.discard_draft(s, old, "agent1")
        assert old.current_text == "" and workspace.written_by_agent(s, old)
        actions = [e.action for e in workflow.audit_trail(s, old)]
        assert actions[-4:] == ["epinglee", "theme_modifie", "commentaire_interne", "brouillon_ecarte"]


def test_forget_erases_the_callback_number(db: Database) -> None:
    with db.session() as s:
        request = _request(s, "Rappelez-moi pour la cantine", citizen_email="habitant@exemple.fr")
        workspace.set_delivery(request, "telephone", "06 12 34 56 78")
        rid = request.id
    with db.session() as s:
        assert erasure.forget(s, "habitant@exemple.fr", "test") == 1
    with db.session() as s:
        kept = s.get(Request, rid)
        assert kept is not None and kept.callback_phone is None and kept.reply_via == "telephone"
        assert all("06 12" not in str(e.data) for e in s.query(AuditEvent).filter_by(request_id=rid))


def test_the_communes_own_theme_list_replaces_the_corpus_themes() -> None:
    docs = {"a": {"theme": "École"}, "b": {"theme": "Déchets"}}
    setting = " Urbanisme , État  civil,,Urbanisme,Déchets "
    assert workspace.configured_themes(setting) == ["Urbanisme", "État civil", "Déchets"]
    assert workspace.themes(setting, docs) == ["Urbanisme", "État civil", "Déchets"]  # the commune's order
    # A request's earlier theme is still shown on its page, after the list.
    assert workspace.themes(setting, docs, "École") == ["Urbanisme", "État civil", "Déchets", "École"]
    assert workspace.themes(setting, docs, "Déchets") == ["Urbanisme", "État civil", "Déchets"]
    # A new draft takes its first source's theme only when the commune's list has it.
    assert workspace.suggested_theme(setting, "École") == ""
    assert workspace.suggested_theme(setting, "Déchets") == "Déchets"
    assert workspace.suggested_theme("", "École") == "École"


PASSWORD = "mot-de-passe-espace-2026"


@contextmanager
def _client(settings: Settings, username: str) -> Iterator[TestClient]:
    """The application in process (no index: these pages need none), logged in through the login form."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        csrf = csrf_from(client.get("/connexion").text)
        r = client.post("/connexion", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        yield client


def test_the_theme_setting_is_the_list_of_the_request_page_and_the_inbox(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", themes="Urbanisme, État civil")
    with Database(settings).session() as s:
        auth.add_user(s, "agent1", "agent", PASSWORD)
        request = _request(s, "Permis de construire ?")
        rid, ref = request.id, request.ref
    with _client(settings, "agent1") as client:
        page = client.get(f"/demandes/{rid}").text
        assert '<option value="Urbanisme" >Urbanisme</option>' in page and ">État civil</option>" in page
        r = client.post(f"/demandes/{rid}/theme", data={"csrf_token": csrf_from(page), "theme": "École"})
        assert r.status_code == 303
        assert "liste de la commune" in client.get(f"/demandes/{rid}").text
        r = client.post(f"/demandes/{rid}/theme", data={"csrf_token": csrf_from(page), "theme": "État civil"})
        assert "Thème enregistré" in client.get(f"/demandes/{rid}").text
        inbox = client.get("/demandes").text
        select = inbox[inbox.index('<select name="theme">') :]
        select = select[: select.index("</select>")]
        assert [o for o in ("Tous", "Urbanisme", "État civil") if f">{o}</option>" in select] == [
            "Tous",
            "Urbanisme",
            "État civil",
        ]
        assert ref in client.get("/demandes", params={"theme": "État civil"}).text
        assert ref not in client.get("/demandes", params={"theme": "Urbanisme"}).text


def test_evaluation_runs_show_french_dates(tmp_path: Path) -> None:
    assert long_date("2026-12-06T08:12:00+00:00") == "6 décembre 2026 à 08:12"
    assert long_date("20260301-090500-dev") == "1er mars 2026 à 09:05"
    assert long_date("2026-10-15") == "15 octobre 2026" and long_date("") == "" and long_date("n/a") == "n/a"
    settings = settings_for(tmp_path / "data")
    with Database(settings).session() as s:
        auth.add_user(s, "chef", "supervisor", PASSWORD)
    run = eval_runs.runs_dir(settings) / "20261206-081200-mini"
    run.mkdir(parents=True)
    eval_runs.write_status(run, state="terminee", dataset="mini.jsonl", started="2026-12-06T08:12:00+00:00")
    with _client(settings, "chef") as client:
        page = client.get("/supervision/evaluations").text
    runs = page[page.index('id="runs"') :].split("</table>")[0]
    assert "6 décembre 2026 à 08:12" in runs
    assert "2026-12-06T08:12" not in runs and "20261206-081200" not in runs


def test_a_validated_abstention_shows_the_validated_state_and_keeps_the_trail(demo_server: LiveServer) -> None:
    with login(demo_server, "agent1") as client:
        csrf = csrf_from(client.get("/demandes/nouvelle").text)
        question = "Quel temps fera-t-il demain pour la brocante ?"
        r = client.post("/demandes/nouvelle", data={"csrf_token": csrf, "question": question, "canal": "guichet"})
        assert r.status_code == 303, r.text
        url = r.headers["location"].split("?")[0]
        page = unescape(client.get(url).text)
        assert "Sources insuffisantes — à rédiger par l'agent." in page
        data = {"csrf_token": csrf_from(page), "texte": "Bonjour, voyez la météo. Cordialement.", "remise": "guichet"}
        client.post(f"{url}/reponse", data={**data, "action": "enregistrer"})
        page = unescape(client.get(url).text)
        assert "Sources insuffisantes — réponse en cours de rédaction par l'agent." in page
        r = client.post(f"{url}/reponse", data={**data, "action": "valider"})
        assert r.status_code == 303, r.text
        page = unescape(client.get(url).text)
    assert 'id="abstention"' not in page and "à rédiger par l'agent" not in page
    assert "Réponse validée, rédigée par l'agent." in page and "L'assistant s'était abstenu" in page
    history = page[page.index('id="historique"') :]
    assert "abstention, confiance" in history and "rédigée par l'agent" in history


def test_the_inbox_masks_personal_data_in_the_question(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    question = "Bonjour, rappelez-moi au 06 12 34 56 78 ou à jeanne.martin@example.org pour la carte d'identité " * 3
    with Database(settings).session() as s:
        auth.add_user(s, "agent1", "agent", PASSWORD)
        rid = _request(s, question).id
    with _client(settings, "agent1") as client:
        inbox = unescape(client.get("/demandes").text)
        assert "Bonjour, rappelez-moi au" in inbox and "…" in inbox
        assert "06 12 34 56 78" not in inbox and "jeanne.martin" not in inbox
        assert "06 12 34 56 78" in unescape(client.get(f"/demandes/{rid}").text)  # the request itself shows it
    assert workspace.list_excerpt("Ma fille, 06 12 34 56 78.").startswith("Ma fille, [")
