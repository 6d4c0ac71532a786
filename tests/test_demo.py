"""The demonstration data: demo accounts renewed on each run, demo FAQ entries published once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.core.desk import auth, demo, faq, faq_match
from server.core.desk.db import Database
from server.core.errors import AccueilError, InputError
from tests.conftest import settings_for

DOCS = {
    "horaires": {"title": "Horaires de la mairie", "url": "https://mairie.example/horaires", "updated": "2024-01-02"},
    "etat-civil": {"title": "État civil", "url": "", "updated": "2023-05-06", "audience": "public"},
}
ENTRIES = [
    {
        "question": "Horaires ?",
        "answer": "Du lundi au vendredi.",
        "variants": ["La mairie ouvre quand ?"],
        "theme": "Mairie",
        "sources": ["horaires"],
    },
    {"question": "Acte de naissance ?", "answer": "En ligne.", "theme": "État civil", "sources": ["etat-civil"]},
]


def test_demo_accounts_are_created_then_given_new_passwords(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = demo.reset_accounts(settings)
    second = demo.reset_accounts(settings)
    assert [(n, r) for n, r, _ in first] == [(n, r) for n, r, _ in second] == list(demo.DEMO_ACCOUNTS)
    database = Database(settings)
    with database.session() as db:
        for (name, role, old), (_, _, new) in zip(first, second, strict=True):
            assert old != new
            assert auth.authenticate(db, name, old) is None
            user = auth.authenticate(db, name, new)
            assert user is not None and user.role == role
    database.close()


def test_demo_faq_entries_are_published_once_with_their_sources(tmp_path: Path) -> None:
    database = Database(settings_for(tmp_path))
    with database.session() as db:
        assert demo.publish_entries(db, ENTRIES, DOCS) == 2
    with database.session() as db:
        assert demo.publish_entries(db, ENTRIES, DOCS) == 0
        published = faq.entries(db, published_only=True)
        assert sorted(e.question for e in published) == ["Acte de naissance ?", "Horaires ?"]
        horaires = next(e for e in published if e.question == "Horaires ?")
        assert horaires.sources[0]["title"] == "Horaires de la mairie" and horaires.sources[0]["updated"]
        assert faq_match.variants_of(horaires) == ("La mairie ouvre quand ?",)  # the decision reads them
    with pytest.raises(InputError, match="inconnu"), database.session() as db:
        demo.publish_entries(db, [{**ENTRIES[0], "question": "Autre ?", "sources": ["absent"]}], DOCS)
    database.close()


def test_demo_faq_file_errors_are_one_french_message(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    broken = tmp_path / "faq.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(InputError, match=f"fichier de FAQ illisible {broken} : "):
        demo.publish_faq(settings, broken)
    with pytest.raises(InputError, match="fichier de FAQ illisible .*absent.json"):
        demo.publish_faq(settings, tmp_path / "absent.json")
    fine = tmp_path / "ok.json"
    fine.write_text(json.dumps(ENTRIES), encoding="utf-8")
    with pytest.raises(AccueilError, match="accueil ingest"):  # a readable file, but no index to quote
        demo.publish_faq(settings, fine)
