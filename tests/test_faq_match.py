"""Which published FAQ entry the question box shows as the answer: only one that answers the question as asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from server.core.desk import faq
from server.core.desk.db import Database
from tests.conftest import settings_for

SOURCE = [{"doc_id": "demo/doc", "title": "Document", "url": "", "updated": "2026-11-01", "audience": "public"}]
ENTRIES = [
    (
        "Mon fils vient d'avoir 18 ans : est-il inscrit tout seul sur les listes électorales ?",
        "Oui, l'inscription est automatique à 18 ans si le recensement a été fait.",
    ),
    (
        "Quel est le prix de la carte de stationnement résident pour une deuxième voiture ?",
        "60 € par an pour la deuxième voiture du foyer (la carte de la première coûte 30 €).",
    ),
    ("Quel est le prix de la carte d'identité ?", "Gratuite, sauf perte ou vol : 25 €."),
    ("Quels sont les horaires d'ouverture de la mairie ?", "Du lundi au vendredi de 8 h 30 à 17 h."),
]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    database = Database(settings_for(tmp_path / "data"))
    try:
        with database.session() as s:
            for question, answer in ENTRIES:
                entry = faq.create(s, question, answer, "Divers", SOURCE, "chef")
                faq.set_published(s, entry, True, "chef")
            yield s
    finally:
        database.close()


def _shown(session: Session, question: str) -> str | None:
    match = faq.answer_for(session, question)
    return match.entry.question if match else None


def test_the_entry_asked_for_is_shown_however_it_is_worded(session: Session) -> None:
    assert _shown(session, "prix carte d'identité") == ENTRIES[2][0]
    assert _shown(session, "C'est quoi le prix de la carte d'identite ?") == ENTRIES[2][0]
    assert _shown(session, "prix carte stationnement résident deuxième voiture") == ENTRIES[1][0]
    assert _shown(session, "horaires de la mairie") == ENTRIES[3][0]
    assert _shown(session, "Mon fils a 18 ans, est-il inscrit tout seul sur les listes électorales ?") == ENTRIES[0][0]


def test_a_neighbouring_entry_is_listed_by_search_but_never_shown_as_the_answer(session: Session) -> None:
    """Each of these questions shares all its terms with an entry's text (search lists it with score 1.0), but the
    entry answers another question: the citizen gets the form to the desk instead of someone else's answer."""
    for question, neighbour in (
        ("Je ne veux plus être inscrit sur les listes électorales", ENTRIES[0][0]),
        ("Quel est le prix de la carte de stationnement ?", ENTRIES[1][0]),
        ("Inscrit sur les listes électorales ?", ENTRIES[0][0]),
        ("Quels sont les horaires d'ouverture de la mairie annexe ?", ENTRIES[3][0]),
        ("Quels sont les horaires d'ouverture de la mairie de Metz ?", ENTRIES[3][0]),
    ):
        listed = faq.search(session, question)
        assert listed and listed[0].entry.question == neighbour and listed[0].score >= 0.75  # the old rule showed it
        assert faq.answer_for(session, question) is None, question


def test_a_negation_must_be_on_both_sides(session: Session) -> None:
    entry = faq.create(
        session,
        "Je ne suis plus inscrit sur les listes électorales, que faire ?",
        "Demandez votre réinscription en mairie avec un justificatif de domicile.",
        "Élections",
        SOURCE,
        "chef",
    )
    faq.set_published(session, entry, True, "chef")
    assert _shown(session, "je ne suis plus inscrit sur les listes électorales") == entry.question
    assert _shown(session, "je suis inscrit sur les listes électorales, que faire ?") is None
    # Negated too, but a wish or a refusal: not the same question.
    assert _shown(session, "Je ne veux plus être inscrit sur les listes électorales") is None
    assert _shown(session, "Je ne souhaite pas être inscrit sur les listes électorales") is None
    assert _shown(session, "Je peux refuser d'être inscrit sur les listes électorales à 18 ans ?") is None
    # "plus de 18 ans" and "au plus tard" are no negation.
    assert (
        _shown(session, "Mon fils a plus de 18 ans, est-il inscrit tout seul sur les listes électorales ?")
        == (ENTRIES[0][0])
    )
