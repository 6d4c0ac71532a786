"""FAQ import and export (server/core/desk/faq_io.py, ``accueil faq``): a real SQLite base, the demo corpus's documents.

The fast tests read the demo corpus's document ids with the real loaders (what an index's manifest holds); the slow
one indexes the demo corpus and runs ``accueil faq`` in-process on that index.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ingest.loaders import load_bytes
from ingest.sources import discover
from server.core.desk import faq, faq_formats, faq_io
from server.core.desk.db import Database
from server.core.desk.faq_report import ImportReport
from server.core.desk.tables import FaqEntry
from server.core.errors import InputError
from tests.conftest import CORPUS, REPO_ROOT, accueil, settings_for

DATASET = REPO_ROOT / "eval" / "datasets" / "faq-entries.jsonl"
HOURS = "horaires-contacts/mairie-horaires-contacts"


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    """The demo corpus's documents as an index's manifest lists them (id → title, link, dates…)."""
    out: dict[str, dict[str, Any]] = {}
    for source in discover(CORPUS):
        for doc in load_bytes(source.name, source.read(), source.doc_id):
            out[doc.doc_id] = doc.meta.record()
    return out


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(settings_for(tmp_path))
    yield database
    database.close()


def _import(db: Database, path: Path, docs: dict[str, dict[str, Any]], draft: bool = False) -> ImportReport:
    with db.session() as session:
        return faq_io.import_file(session, path, docs, "chef", draft)


def _all(session: Session) -> list[FaqEntry]:
    return list(session.query(FaqEntry).order_by(FaqEntry.id))


def test_the_evaluation_faq_imports_cleanly_and_a_second_import_changes_nothing(
    db: Database, docs: dict[str, dict[str, Any]]
) -> None:
    lines = DATASET.read_text(encoding="utf-8").splitlines()
    report = _import(db, DATASET, docs)
    assert report.refused == [] and len(report.added) == len(lines) and report.updated == []
    with db.session() as session:
        entries = _all(session)
        assert [e.question for e in entries] == [json.loads(line)["question"] for line in lines]
        assert all(e.published for e in entries)
        first = json.loads(lines[0])
        assert entries[0].variants == first["variants"]
        assert [s["doc_id"] for s in entries[0].sources] == first["sources"]
        assert entries[0].sources[0]["title"] == docs[first["sources"][0]]["title"]
        steps = [(v.action, v.actor, v.variants) for v in faq.history(session, entries[0])]
        assert steps == [("creee", "chef", first["variants"]), ("publiee", "chef", first["variants"])]
    again = _import(db, DATASET, docs)
    assert not again.changed and again.unchanged == len(lines) and again.refused == []
    assert again.lines()[-1] == "Rien n'a changé : la FAQ contenait déjà ces entrées."
    with db.session() as session:
        assert len(_all(session)) == len(lines)
        assert {e.version for e in _all(session)} == {2}, "a second import wrote a new version"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_then_import_round_trips_unchanged(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path, suffix: str
) -> None:
    _import(db, DATASET, docs)
    first, second = tmp_path / f"un{suffix}", tmp_path / f"deux{suffix}"
    with db.session() as session:
        assert faq_io.export_file(session, first) == len(DATASET.read_text(encoding="utf-8").splitlines())
    exported = faq_formats.read_file(first)
    expected = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines()]
    assert exported[1] == []
    assert [(x.question, x.answer, x.variants, x.sources, x.theme) for x in exported[0]] == [
        (e["question"], e["answer"], e["variants"], e["sources"], "Divers") for e in expected
    ]
    other = Database(settings_for(tmp_path / "autre"))
    try:
        with other.session() as session:
            report = faq_io.import_file(session, first, docs, "chef")
            assert report.refused == [] and len(report.added) == len(expected)
            faq_io.export_file(session, second)
        assert second.read_bytes() == first.read_bytes()
        with other.session() as session:
            assert not faq_io.import_file(session, second, docs, "chef").changed
    finally:
        other.close()


def test_a_malformed_line_is_refused_with_its_number_and_the_others_imported(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    good = {"question": "Où est la mairie ?", "answer": "Place de la République.", "sources": [HOURS]}
    lines = [
        json.dumps(good),
        '{"question": "Horaires ?", "answer": ',  # cut short
        json.dumps({"question": "Sans réponse ?", "answer": "  ", "sources": [HOURS]}),
        json.dumps({**good, "question": "Inconnue ?", "sources": ["nulle-part/document"]}),
        json.dumps({**good, "question": "Variantes ?", "variants": "une seule"}),
        "",
        json.dumps({**good, "question": "  où est LA mairie ?  "}),  # line 1's question again
        json.dumps({**good, "question": "Sans source ?", "sources": []}),
        json.dumps({**good, "question": "Par lien ?", "sources": [docs[HOURS]["url"]]}),
        json.dumps({**good, "question": "Trop longue ?" + "x" * 600}),
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _import(db, path, docs)
    assert report.added == ["Où est la mairie ?", "Par lien ?"]
    assert [r.number for r in report.refused] == [2, 3, 4, 5, 7, 8, 10]
    reasons = {r.number: r.reason for r in report.refused}
    assert "JSON illisible" in reasons[2]
    assert reasons[3] == "« answer » manque ou est vide."
    assert reasons[4] == "Document source inconnu de l'index : 'nulle-part/document'."
    assert "liste de textes" in reasons[5]
    assert reasons[7] == "Même question que la ligne 1."
    assert "au moins une source" in reasons[8]
    assert "500 caractères" in reasons[10]
    assert "  ✗ ligne 4 : Document source inconnu de l'index : 'nulle-part/document'." in report.lines()
    with db.session() as session:
        assert [e.question for e in _all(session)] == ["Où est la mairie ?", "Par lien ?"]
        assert [s["doc_id"] for s in _all(session)[1].sources] == [HOURS]
    draft = _import(db, path, docs, draft=True)  # a line without source may be a draft
    assert [r.number for r in draft.refused] == [2, 3, 4, 5, 7, 10] and draft.added == ["Sans source ?"]


def test_a_changed_line_updates_its_entry_and_draft_withdraws_it(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    header = "question;answer;variants;sources\n"
    path.write_text(header + f'Où est la mairie ?;"Place de la\nRépublique.";À la mairie ? | Mairie ?;{HOURS}\n')
    assert _import(db, path, docs).added == ["Où est la mairie ?"]
    with db.session() as session:
        (entry,) = _all(session)
        assert entry.answer == "Place de la\nRépublique." and entry.variants == ["À la mairie ?", "Mairie ?"]
        assert entry.theme == "Divers" and entry.published
        entry.theme = "Mairie"  # chosen by the supervisor: a file without themes keeps it
    path.write_text(header + f"OÙ est la  mairie ?;Place de la République.;;{HOURS}\n", encoding="utf-8")
    report = _import(db, path, docs, draft=True)
    assert report.updated == ["OÙ est la  mairie ?"] and report.added == []
    with db.session() as session:
        (entry,) = _all(session)
        assert (entry.question, entry.variants, entry.theme, entry.published) == (
            "OÙ est la  mairie ?",
            [],
            "Mairie",
            False,
        )
        assert [v.action for v in faq.history(session, entry)] == ["creee", "publiee", "modifiee", "depubliee"]
    report = _import(db, path, docs)  # the same text, published this time
    assert report.published == ["OÙ est la  mairie ?"] and report.updated == []
    assert not _import(db, path, docs).changed


def test_csv_line_numbers_count_the_lines_of_a_multiline_answer(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    rows = [
        "question,answer,variants,sources",
        f'Horaires ?,"Le lundi.\nLe mardi.\nLe mercredi.",,{HOURS}',
        "Une colonne de trop ?,Oui.,,x,y,z",
        f"Adresse ?,Place de la République.,,{HOURS}",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = _import(db, path, docs)
    assert report.added == ["Horaires ?", "Adresse ?"]
    assert [(r.number, r.reason) for r in report.refused] == [(5, "6 colonnes au lieu de 4.")]


def test_unknown_format_and_missing_columns_are_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Format de fichier inconnu"), db.session() as session:
        faq_io.import_file(session, tmp_path / "faq.xlsx", {}, "chef")
    path = tmp_path / "faq.csv"
    path.write_text("titre,texte\nA,B\n", encoding="utf-8")
    lines, refused = faq_formats.read_file(path)
    assert lines == [] and refused[0].reason == "En-tête sans colonne question, answer : aucune ligne lue."


@pytest.mark.slow
def test_accueil_faq_import_and_export_on_the_demo_index(tmp_path: Path, demo_data: Path) -> None:
    """The commands on a real index of the demo corpus and a real SQLite base, run as the console script runs them."""
    from ingest.pipeline import run_ingest

    settings = settings_for(tmp_path / "data")
    where = ["--data-dir", str(settings.data_dir)]
    missing = accueil("faq", "import", str(DATASET), *where)
    assert missing.returncode == 1 and "Aucun index" in missing.stderr
    # The session's demo index, copied: the ingest below keeps its vectors instead of encoding the corpus again.
    shutil.copytree(demo_data / "index", settings.index_dir)
    assert run_ingest(settings, [CORPUS], progress=False).failed == []
    count = len(DATASET.read_text(encoding="utf-8").splitlines())

    first = accueil("faq", "import", str(DATASET), *where)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"Entrées ajoutées : {count} ; mises à jour : 0 ;")
    assert "lignes refusées : 0." in first.stdout
    again = accueil("faq", "import", str(DATASET), *where)
    assert again.returncode == 0 and "Rien n'a changé" in again.stdout

    out = tmp_path / "faq.csv"
    exported = accueil("faq", "export", str(out), *where)
    assert exported.returncode == 0 and exported.stdout.strip() == f"{count} entrée(s) de FAQ écrite(s) dans {out}."
    bad = tmp_path / "mauvais.jsonl"
    bad.write_text('{"question": "Horaires ?"}\n' + DATASET.read_text(encoding="utf-8").splitlines()[0] + "\n")
    refused = accueil("faq", "import", str(bad), "--actor", "chef", *where)
    assert refused.returncode == 1, "a refused line must be seen by a script"
    assert "  ✗ ligne 1 : « answer » manque ou est vide." in refused.stdout
    assert "inchangées : 1" in refused.stdout
    with Database(settings).session() as session:
        assert len(_all(session)) == count
        assert faq_formats.read_file(out)[0][0].question == _all(session)[0].question


def test_an_entry_withdrawn_for_a_changed_source_is_never_republished_by_an_import(
    db: Database, docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "faq.jsonl"
    line = {"question": "Où est la mairie ?", "answer": "Place de la République.", "sources": [HOURS]}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    _import(db, path, docs)
    with db.session() as session:
        (entry,) = _all(session)
        faq.withdraw(session, entry, [{"doc_id": HOURS, "title": "", "removed": False, "at": ""}], "réindexation")
    report = _import(db, path, docs)
    assert report.held == ["Où est la mairie ?"] and not report.changed
    assert "  ! Où est la mairie ?" in report.lines()
    path.write_text(json.dumps({**line, "answer": "1 place de la République."}) + "\n", encoding="utf-8")
    report = _import(db, path, docs)
    assert report.updated == ["Où est la mairie ?"] and report.held == ["Où est la mairie ?"]
    with db.session() as session:
        (entry,) = _all(session)
        assert not entry.published and entry.review and entry.answer == "1 place de la République."
