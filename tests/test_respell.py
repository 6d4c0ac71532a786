"""Slips of the index's words in a question are read as those words; real words and names are left as typed.

On the real index (demo corpus + 388 DILA fiches) and pyspellchecker's French word list."""

from __future__ import annotations

import pytest

from server.core.answer.assistant import Assistant
from server.core.answer.question import analyse
from server.core.answer.respell import respelled
from server.core.config import Settings
from server.core.lexicon import french_words


@pytest.fixture(scope="module")
def assistant(full_index: Settings) -> Assistant:
    return Assistant(full_index)


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        ("la teleasistance coute combien par mois ?", "la téléassistance coûte combien par mois ?"),
        ("ou deppose t on le dossier de subvension ?", "où dépose-t-on le dossier de subvention ?"),
        ("une case au colombarium pour 15 ans", "une case au columbarium pour 15 ans"),
    ],
)
def test_a_slip_is_read_as_the_index_word(assistant: Assistant, typed: str, spelled: str) -> None:
    index = assistant.index()
    assert respelled(index, analyse(typed)).terms == analyse(spelled).terms
    assert any(t not in index.df for t in analyse(typed).terms)  # the slip itself is unknown to the index


def test_real_words_and_names_stay_as_typed(assistant: Assistant) -> None:
    """« facteur » is a French word no document uses (one letter from « facture »): it stays the evidence of a
    question the sources do not answer; « Blois » is a name; a question without slips is returned as it is."""
    index = assistant.index()
    assert "facteur" in french_words()
    for text in ("le facteur passe a quelle heure ?", "Mon père habitait Blois, où déclarer son décès ?"):
        q = analyse(text)
        assert any(t not in index.df for t in q.terms)
        assert respelled(index, q) is q


def test_a_question_with_slips_gets_the_draft_of_the_spelled_one(assistant: Assistant) -> None:
    typed = assistant.draft("la teleasistance coute combien par mois ?")
    assert typed.status == "answered" and "12 € par mois" in typed.draft
    assert {c.doc_id for c in typed.citations} == {"social/portage-repas-teleassistance"}
