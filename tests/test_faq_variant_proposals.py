"""Variants proposed from the desk (server/core/desk/faq_variant_proposals.py): real drafts over a real index of a few
demo documents (built once for the module), the assistant's own e5 embedder, a real SQLite base for each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import faq, faq_variant_proposals, public_answer, workflow
from server.core.desk.db import Database
from server.core.desk.tables import FaqEntry
from server.core.errors import Conflict
from tests.conftest import CORPUS, settings_for

pytestmark = pytest.mark.slow

POUND = "animaux/animaux-errants-fourriere"
OTHER_DOC = "associations/subventions-associations"
QUESTION = "Où se trouve la fourrière animale ?"
ANSWER = "Au 4 chemin des Prés ; elle garde un animal 8 jours avant de le proposer à l'adoption."
REPLY = (
    "Bonjour Madame,\n\nLa fourrière animale intercommunale est au 4 chemin des Prés ; elle garde un animal 8 jours "
    "avant de le proposer à l'adoption.\n\nCordialement,\nL'accueil de la mairie"
)
# A citizen's message: the question among an introduction, her phone number and e-mail, and her signature.
PERRIN = (
    "Bonjour,\nJe vous écris pour ma mère. Quelle est l'adresse de la fourrière animale ? Vous pouvez me joindre au "
    "06 12 34 56 78 ou à jeanne.perrin@exemple.fr.\nCordialement, Mme Perrin"
)
PERRIN_CLEAN = "Quelle est l'adresse de la fourrière animale ?"
CLOSE = "Où est la fourrière pour animaux ?"


@dataclass
class Desk:
    """The module's index and assistant; each test opens its own base over them."""

    settings: Settings
    assistant: Assistant


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    folder = tmp_path_factory.mktemp("variants")
    (folder / "corpus").mkdir()
    for doc in sorted(CORPUS.rglob("*.md"))[:6]:  # the fourrière and associations documents among them
        shutil.copy(doc, folder / "corpus" / doc.name)
    settings = settings_for(folder / "data")
    assert run_ingest(settings, [folder / "corpus"], progress=False).failed == []
    return Desk(settings, Assistant(settings))


@pytest.fixture
def session(desk: Desk, tmp_path: Path) -> Iterator[Session]:
    database = Database(settings_for(desk.settings.data_dir, database_url=f"sqlite:///{tmp_path / 'accueil.db'}"))
    try:
        with database.session() as s:
            yield s
    finally:
        database.close()


def _validated(session: Session, desk: Desk, question: str, reply: str = REPLY) -> int:
    request = workflow.create_request(session, question, "guichet", "agent1")
    workflow.generate_draft(session, request, desk.assistant, "agent1")
    workflow.validate(session, request, reply, "agent1", desk.assistant)
    return request.id


def _entry(session: Session, doc_id: str = POUND, variants: list[str] | None = None) -> FaqEntry:
    source = {"doc_id": doc_id, "title": "Document", "url": "", "updated": "2026-11-01", "audience": "public"}
    entry = faq.create(session, QUESTION, ANSWER, "Animaux", [source], "chef", variants=variants)
    faq.set_published(session, entry, True, "chef")
    return entry


def _proposed(session: Session, desk: Desk) -> list[faq_variant_proposals.VariantProposal]:
    return faq_variant_proposals.propose(session, desk.assistant.embedder, desk.settings.gap_min_similarity)


def test_close_questions_answered_from_the_entry_source_are_proposed_cleaned(session: Session, desk: Desk) -> None:
    entry = _entry(session)
    perrin = _validated(session, desk, PERRIN)
    # Asked twice in different case and spaces: the most recent wording is proposed.
    close = [_validated(session, desk, "  où est la FOURRIÈRE pour animaux ?"), _validated(session, desk, CLOSE)]
    _validated(session, desk, QUESTION)  # the entry's own question: nothing new
    _validated(session, desk, "L'identification des chats est-elle obligatoire ?", "Oui, depuis 2012.")  # far
    (proposal,) = _proposed(session, desk)
    assert (proposal.entry_id, proposal.question) == (entry.id, QUESTION)
    texts = [p.text for p in proposal.phrasings]
    # Asked twice (spaces and case aside) first, then the one asked once; the entry's question is not proposed.
    assert texts == [CLOSE, PERRIN_CLEAN], texts
    assert [(p.asked, p.request_ids) for p in proposal.phrasings] == [(2, sorted(close)), (1, [perrin])]
    everything = " ".join(texts)
    for personal in ("06 12 34 56 78", "jeanne", "perrin@", "Perrin", "Cordialement", "Bonjour", "ma mère"):
        assert personal not in everything, f"{personal!r} in a proposed phrasing"


def test_a_reply_citing_other_documents_or_an_entry_withdrawn_gets_nothing(session: Session, desk: Desk) -> None:
    other = _entry(session, OTHER_DOC)
    _validated(session, desk, CLOSE)
    # The reply cites the fourrière document, not the entry's: the agent answered another question.
    assert _proposed(session, desk) == []
    faq.update(session, other, QUESTION, ANSWER, "Animaux", [{**other.sources[0], "doc_id": POUND}], "chef")
    assert [p.text for v in _proposed(session, desk) for p in v.phrasings] == [CLOSE]
    faq.withdraw(session, other, [{"doc_id": POUND, "title": "Document", "removed": False, "at": "x"}], "veille")
    assert _proposed(session, desk) == []


def test_known_phrasings_are_not_proposed_and_the_variant_limit_holds(session: Session, desk: Desk) -> None:
    filler = [f"Fourrière animale, question n° {i}" for i in range(faq.MAX_VARIANTS - 2)]
    entry = _entry(session, variants=[CLOSE, *filler])  # room for one more
    for question in (CLOSE, PERRIN, "Où se trouve la fourrière ?"):
        _validated(session, desk, question)
    (proposal,) = _proposed(session, desk)
    assert [p.text for p in proposal.phrasings] == ["Où se trouve la fourrière ?"]  # the most recent; CLOSE known
    added = faq_variant_proposals.add(session, entry, ["Où se trouve la fourrière ?", PERRIN_CLEAN], "chef")
    assert added.added == ["Où se trouve la fourrière ?"]
    assert added.refused == {f"l'entrée a atteint {faq.MAX_VARIANTS} variantes": 1}
    assert len(entry.variants) == faq.MAX_VARIANTS
    assert _proposed(session, desk) == []  # full: nothing more to propose


def test_an_added_variant_is_what_the_citizen_page_then_shows(session: Session, desk: Desk) -> None:
    entry = _entry(session)
    _validated(session, desk, PERRIN)

    def shown() -> int | None:
        found = public_answer.answer(session, desk.assistant, PERRIN_CLEAN, desk.assistant.public_threshold)
        return found.entry.id if found.entry is not None else None

    assert shown() != entry.id, "already shown: the test would prove nothing"
    (proposal,) = _proposed(session, desk)
    added = faq_variant_proposals.add(session, entry, [p.text for p in proposal.phrasings], "chef")
    assert (added.added, added.refused) == ([PERRIN_CLEAN], {})
    assert faq_variant_proposals.message(added) == "1 variante ajoutée."
    assert shown() == entry.id
    last = faq.history(session, entry)[-1]
    assert (last.action, last.actor, last.variants, last.published) == ("modifiee", "chef", [PERRIN_CLEAN], True)
    assert entry.published and _proposed(session, desk) == []
    again = faq_variant_proposals.add(session, entry, [PERRIN_CLEAN.upper()], "chef")
    assert again.added == [] and faq_variant_proposals.message(again) == (
        "Aucune variante ajoutée. 1 formulation non ajoutée : déjà une formulation d'une entrée de la FAQ."
    )
    assert entry.variants == [PERRIN_CLEAN] and len(faq.history(session, entry)) == 3
    faq.withdraw(session, entry, [{"doc_id": POUND, "title": "Document", "removed": False, "at": "x"}], "veille")
    with pytest.raises(Conflict):
        faq_variant_proposals.add(session, entry, ["Où se trouve la fourrière ?"], "chef")
