"""FAQ import and export from the supervision FAQ page (server/web/routes/faq_files.py) over a real server: a real
index of the demo corpus, a real SQLite base, files sent as a browser sends them (multipart), the same import path
and the same bytes as ``accueil faq import`` / ``export``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.core.desk import faq, faq_io
from server.core.desk.db import Database
from server.core.desk.tables import FaqEntry, FaqSourceText, FaqVersion
from tests.conftest import LiveServer, csrf_from, login
from tests.faq_server import BIRTH, HOURS, MAX_FILE_BYTES, exported, faq_server

IMPORT = "/supervision/faq/importer"
EXPORT = "/supervision/faq/exporter"


@pytest.fixture(scope="module")
def server(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with faq_server(demo_data, tmp_path_factory.mktemp("faq-import")) as live:
        yield live


@pytest.fixture(scope="module")
def docs(server: LiveServer) -> dict[str, dict[str, Any]]:
    """The documents of the server's index (its manifest), the sources an import may cite."""
    found = faq_io.indexed_docs(server.settings.index_dir)
    assert found is not None
    return found


def _send(
    client: httpx.Client, name: str, data: bytes, draft: bool = False, source: str = "", csrf: str | None = None
) -> httpx.Response:
    """The import form as a browser posts it (multipart, the CSRF token of the FAQ page)."""
    token = csrf_from(client.get("/supervision/faq").text) if csrf is None else csrf
    fields = {"csrf_token": token, "source": source} | ({"brouillon": "1"} if draft else {})
    return client.post(IMPORT, data=fields, files={"fichier": (name, data, "application/octet-stream")})


def _jsonl(*rows: dict[str, Any]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _entries(server: LiveServer) -> dict[str, tuple[bool, int, list[str], list[str]]]:
    """Each entry by question: published, version, source ids, actors of its history."""
    with Database(server.settings).session() as db:
        out = {}
        for e in db.query(FaqEntry):
            out[e.question] = (
                e.published,
                e.version,
                [s["doc_id"] for s in e.sources],
                [h.actor for h in faq.history(db, e)],
            )
        return out


def _written(server: LiveServer) -> tuple[int, int]:
    """How many entries and history rows the base holds."""
    with Database(server.settings).session() as db:
        return db.query(FaqEntry).count(), db.query(FaqVersion).count()


def test_jsonl_import_lands_a_second_changes_nothing_and_the_exports_read_back_unchanged(
    server: LiveServer, docs: dict[str, dict[str, Any]]
) -> None:
    hours: dict[str, Any] = {
        "question": "Quand la mairie ouvre-t-elle le samedi ?",
        "answer": "De 9 h à 12 h.",
        "sources": [HOURS],
    }
    birth: dict[str, Any] = {
        "question": "Où déclarer une naissance à Belval ?",
        "answer": "À la mairie du lieu de naissance, dans les cinq jours.",
        "variants": ["Déclaration de naissance : où ?"],
        "sources": [docs[BIRTH]["url"]],  # a link, read as the document it is the link of
        "theme": "État civil",
    }
    data = _jsonl(hours) + b'{"question": "Sans fin ?", "answer": \n' + _jsonl(birth)
    with login(server, "chef") as chef:
        r = _send(chef, "faq-commune.jsonl", data)
        assert r.status_code == 200, r.text
        assert "Entrées ajoutées : 2 ; mises à jour : 0 ;" in r.text and "lignes refusées : 1." in r.text
        assert "<li>Ligne 2 : JSON illisible" in r.text
        assert "Entrées ajoutées ou mises à jour : publiées." in r.text
        entries = _entries(server)
        assert entries[hours["question"]] == (True, 2, [HOURS], ["chef", "chef"])  # written, then published
        assert entries[birth["question"]] == (True, 2, [BIRTH], ["chef", "chef"])
        with Database(server.settings).session() as db:  # faq_watch's baseline, taken after the import as by the CLI
            entry = db.query(FaqEntry).filter_by(question=hours["question"]).one()
            kept = db.query(FaqSourceText).filter_by(faq_id=entry.id).all()
            assert [k.doc_id for k in kept] == [HOURS] and kept[0].text

        again = _send(chef, "faq-commune.jsonl", data)
        assert again.status_code == 200 and "Rien n&#39;a changé : la FAQ contenait déjà ces entrées." in again.text
        assert "inchangées : 2" in again.text and _entries(server) == entries

        for published_only, entrees in ((True, "publiees"), (False, "toutes")):
            for fmt in ("jsonl", "csv"):
                got = chef.get(EXPORT, params={"format": fmt, "entrees": entrees})
                assert got.status_code == 200
                assert got.content == exported(server, published_only, f".{fmt}")
                kind = "application/jsonl" if fmt == "jsonl" else "text/csv"
                assert got.headers["content-type"] == f"{kind}; charset=utf-8"
                name = "faq-publiee" if published_only else "faq-complete"
                assert got.headers["content-disposition"] == f'attachment; filename="{name}.{fmt}"'
                assert hours["question"] in got.text and "Sans fin" not in got.text
                back = _send(chef, f"export.{fmt}", got.content)
                assert back.status_code == 200 and "Rien n&#39;a changé" in back.text, back.text
        assert chef.get(EXPORT).content == exported(server, True, ".jsonl")  # published, JSONL: the defaults
        assert chef.get(EXPORT, params={"format": "html"}).status_code == 422
    assert _entries(server) == entries
    log = (server.settings.data_dir.parent / "serve.log").read_text(encoding="utf-8")
    assert "cinq jours" not in log and "Sans fin" not in log, "the file's text was logged"


def test_csv_import_as_draft_then_published(server: LiveServer) -> None:
    question = "Comment réserver la salle des fêtes ?"
    data = (
        "question;answer;variants;sources;theme\n"
        f'{question};"Par courrier au maire,\r\ntrois mois avant.";Salle des fêtes | Location de salle;{HOURS};Salles\n'
        ";Réponse sans question;;;\n"
    ).encode()
    with login(server, "chef") as chef:
        r = _send(chef, "salles.csv", data, draft=True)
        assert r.status_code == 200, r.text
        assert "Entrées ajoutées ou mises à jour : non publiées (brouillon)." in r.text
        assert "<li>Ligne 4 : « question » manque ou est vide.</li>" in r.text  # line 2 holds two of the file's
        assert "--" not in r.text.split("<main", 1)[1], "the command's options named on the page"
        assert _entries(server)[question] == (False, 1, [HOURS], ["chef"])
        with Database(server.settings).session() as db:
            entry = db.query(FaqEntry).filter_by(question=question).one()
            assert entry.answer == "Par courrier au maire,\ntrois mois avant." and entry.theme == "Salles"
            assert entry.variants == ["Salle des fêtes", "Location de salle"]
        listing = chef.get("/supervision/faq").text
        assert question in listing
        assert question not in chef.get(EXPORT).text and question in chef.get(EXPORT, params={"entrees": "toutes"}).text

        r = _send(chef, "salles.csv", data)
        assert r.status_code == 200 and "publiées sans autre changement : 1" in r.text
        assert f"<h3>Publiées sans autre changement</h3><ul><li>{question}</li>" in r.text
        assert _entries(server)[question] == (True, 2, [HOURS], ["chef", "chef"])


def _page(url: str | None, answers: dict[str, str]) -> bytes:
    head = f'<link rel="canonical" href="{url}">' if url else ""
    items = "".join(f"<details><summary>{q}</summary><p>{a}</p></details>" for q, a in answers.items())
    html = f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>FAQ</title>{head}</head>'
    return (html + f"<body><main><h2>Démarches</h2>{items}</main></body></html>").encode("utf-8")


def test_html_pages_import_with_their_link_or_the_source_given(
    server: LiveServer, docs: dict[str, dict[str, Any]]
) -> None:
    linked = _page(docs[HOURS]["url"], {"La mairie ferme-t-elle en août ?": "Non, horaires réduits.", "Vide ?": ""})
    unlinked = _page(None, {"Faut-il un rendez-vous pour un acte de naissance ?": "Non, au guichet."})
    with login(server, "chef") as chef:
        r = _send(chef, "faq.html", linked)
        assert r.status_code == 200, r.text
        assert "Entrées ajoutées : 1" in r.text and "<li>Question 2 : Aucune réponse dans la page pour" in r.text
        assert _entries(server)["La mairie ferme-t-elle en août ?"] == (True, 2, [HOURS], ["chef", "chef"])

        before = _written(server)
        refused = _send(chef, "sans-lien.htm", unlinked)
        assert refused.status_code == 422 and 'role="alert"' in refused.text
        assert "donnez sa source dans le champ « Source (lien ou document) »" in refused.text
        assert "cochez « Laisser les entrées en brouillon »" in refused.text and "--source" not in refused.text
        elsewhere = _send(chef, "sans-lien.htm", unlinked, source="nulle-part/document")
        assert elsewhere.status_code == 422 and "Source de la page : Document source inconnu" in elsewhere.text
        empty = _send(chef, "accueil.html", _page(None, {}))
        assert empty.status_code == 422 and "Aucune question trouvée dans accueil.html" in empty.text
        assert _written(server) == before, "a page refused as a whole wrote something"

        sourced = _send(chef, "sans-lien.htm", unlinked, source=BIRTH)
        assert sourced.status_code == 200 and "Entrées ajoutées : 1" in sourced.text
        assert _entries(server)["Faut-il un rendez-vous pour un acte de naissance ?"][:3] == (True, 2, [BIRTH])


def test_files_refused_as_a_whole_write_nothing(server: LiveServer) -> None:
    good = _jsonl({"question": "Refusé en entier ?", "answer": "Oui.", "sources": [HOURS]})
    with login(server, "chef") as chef:
        before = _written(server)
        r = _send(chef, "faq.txt", good)
        assert r.status_code == 422 and "Format de fichier inconnu : faq.txt" in r.text and 'role="alert"' in r.text
        r = _send(chef, "faq.jsonl", good, source=HOURS)
        assert r.status_code == 422 and "« Source (lien ou document) » ne vaut que pour une page HTML" in r.text
        r = _send(chef, "faq.jsonl", "é".encode("latin-1"))
        assert r.status_code == 422 and "n&#39;est pas en UTF-8" in r.text
        r = _send(chef, "", b"")
        assert r.status_code == 422 and "Choisissez le fichier à importer" in r.text
        # Past the limit by a byte, and far past it: refused, read to its end, the answer a page.
        for size in (MAX_FILE_BYTES + 1, 3 * MAX_FILE_BYTES):
            big = good + b"\n" * (size - len(good))
            r = _send(chef, "grande-faq.jsonl", big)
            assert r.status_code == 413
            assert "Fichier trop volumineux : 2 Mo au plus. Rien n&#39;a été importé." in r.text
        assert _written(server) == before
        # Under the limit but over Starlette's 1 MB spool: read in memory, imported.
        r = _send(chef, "grande-faq.jsonl", good + b"\n" * (MAX_FILE_BYTES - len(good)))
        assert r.status_code == 200 and "Entrées ajoutées : 1" in r.text
        assert "Refusé en entier ?" in _entries(server)


def test_only_a_supervisor_with_the_form_s_token_imports(server: LiveServer) -> None:
    data = _jsonl({"question": "Intrus ?", "answer": "Non.", "sources": [HOURS]})
    before = _written(server)
    with login(server, "agent1") as agent:
        token = csrf_from(agent.get("/demandes/nouvelle").text)
        assert _send(agent, "faq.jsonl", data, csrf=token).status_code == 403
        assert agent.get(EXPORT).status_code == 403
    with login(server, "chef") as chef:
        for token in ("", "jeton-faux"):
            r = _send(chef, "faq.jsonl", data, csrf=token)
            assert r.status_code == 403 and "Jeton de sécurité (CSRF)" in r.text
        for headers in ({}, {"content-type": "multipart/form-data"}):  # no boundary: no form to read
            r = chef.post(IMPORT, content=b"csrf_token=x", headers=headers)
            assert r.status_code == 400 and "Formulaire d&#39;import illisible" in r.text
    with httpx.Client(base_url=server.url) as anonymous:
        r = anonymous.post(IMPORT, files={"fichier": ("faq.jsonl", data)})
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion")
    assert _written(server) == before
