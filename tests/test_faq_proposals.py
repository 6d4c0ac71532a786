"""FAQ proposals from the desk (server/core/desk/faq_proposals.py): real drafts over a real index of a few demo
documents, the assistant's own embedder, a real SQLite base."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.desk import faq, faq_proposals, workflow
from server.core.desk.db import Database
from server.core.desk.tables import Request
from tests.conftest import settings_for

# Questions the few documents answer (a draft citing them), the first with personal data around it.
POUND = [
    "Bonjour, je suis jeanne.martin@exemple.fr (06 12 34 56 78). Où est la fourrière animale ? Merci.",
    "Où se trouve la fourrière animale ?",
    "Quelle est l'adresse de la fourrière animale ?",
]
REPLY = (
    "Bonjour Madame,\n\nLa fourrière animale intercommunale est au 4 chemin des Prés ; elle garde un animal 8 jours "
    "avant de le proposer à l'adoption.\n\nCordialement,\nL'accueil de la mairie"
)
OTHER = "L'identification des chats est-elle obligatoire ?"


def _validated(session: object, assistant: Assistant, question: str, reply: str) -> Request:
    request = workflow.create_request(session, question, "guichet", "agent1")  # type: ignore[arg-type]
    workflow.generate_draft(session, request, assistant, "agent1")  # type: ignore[arg-type]
    workflow.validate(session, request, reply, "agent1", assistant)  # type: ignore[arg-type]
    return request


@pytest.mark.slow
def test_agreeing_replies_to_close_questions_become_one_clean_draft_entry(small_corpus: Path, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    assert run_ingest(settings, [small_corpus], progress=False).failed == []
    assistant = Assistant(settings)
    db = Database(settings)
    with db.session() as session:
        ids = [_validated(session, assistant, q, REPLY).id for q in POUND[:2]]
        # Close question, but its reply says 15 days: it does not agree with the two others.
        ids.append(_validated(session, assistant, POUND[2], REPLY.replace("8 jours", "15 jours")).id)
        _validated(session, assistant, OTHER, "Oui, depuis 2012 pour un chat de plus de 7 mois.")  # asked once
        proposals = faq_proposals.propose(session, assistant.embedder, settings.gap_min_similarity)
    assert len(proposals) == 1, [p.question for p in proposals]
    (p,) = proposals
    assert (p.asked, p.agreeing, p.request_ids) == (3, 2, sorted(ids))
    assert p.question in {faq.clean_question(q) for q in POUND}
    everything = " ".join([p.question, p.answer, *p.variants])
    assert "06 12 34 56 78" not in everything and "jeanne.martin" not in everything, "personal data in a proposal"
    assert not p.answer.startswith("Bonjour") and "Cordialement" not in p.answer
    assert "8 jours" in p.answer and "15 jours" not in p.answer
    assert len(p.variants) == 2 and p.question not in p.variants
    with db.session() as session:
        cited = workflow.last_generated(session, session.get(Request, ids[0])).result["citations"]  # type: ignore[arg-type, union-attr]
        assert set(p.doc_ids) <= {c["doc_id"] for c in cited} and p.doc_ids

        entry = faq.create(session, p.question, p.answer, p.theme, [], "chef", p.request_id, p.variants)
        assert not entry.published and entry.variants == p.variants
        # Once an entry asks it (its request made into an entry, its question known), it is not proposed again.
        assert faq_proposals.propose(session, assistant.embedder, settings.gap_min_similarity) == []
    db.close()


def test_a_proposed_question_or_answer_names_nobody_and_keeps_addresses_whole() -> None:
    """A FAQ is public: the people a message or a reply names become « [nom] », and an e-mail address, a number or a
    web address with dots stays one piece (it used to be cut into sentences, its end left in the question)."""
    asked = "Bonjour, je suis Mme Perrin (jeanne.perrin@exemple.fr, 06 12 34 56 78) : où est la fourrière ? Merci."
    assert faq.clean_question(asked) == "Je suis [nom] ([courriel], [téléphone]) : où est la fourrière ?"
    introduced = "Bonjour, je m'appelle Jeanne Perrin, où est la fourrière ? Cordialement, Mme Perrin"
    assert faq.clean_question(introduced) == "Je m'appelle [nom], où est la fourrière ?"
    for kept in (
        "Mon fils a 3.5 ans, peut-il aller au centre de loisirs ?",
        "Le site www.belval.fr a-t-il les horaires ?",
    ):
        assert faq.clean_question(kept) == kept
    reply = "Bonjour Madame Perrin,\n\nM. Jean Dupont vous recevra à l'accueil.\n\nCordialement,\nL'accueil"
    assert faq.clean_reply(reply) == "[nom] vous recevra à l'accueil."
