"""The answer a citizen gets on the public side: a published FAQ entry, verbatim extracts of public documents, or
nothing (and a form to ask the desk).

Never generated text, even when an LLM is configured: an extract is shown only if it is found word for word in a
chunk of a document whose audience is ``public``, and only when the assistant's confidence reaches the citizen side's
own threshold (stricter than the agents', calibrated for answered precision on the evaluation set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.answer.index import Index
from server.core.answer.models import Citation
from server.core.answer.question import analyse
from server.core.answer.reasons import AbstainReason, guarded
from server.core.answer.scope import out_of_scope
from server.core.desk import faq
from server.core.desk.tables import FaqEntry
from server.core.text import fold

PERSONAL = AbstainReason.PERSONAL_CASE
SUGGESTIONS = 3
# A question about one's own file that the scope check does not already see: where a file stands, a child's
# registration, a named person, a case number. Matched on the folded text, except names (capitals).
_OWN_FILE = re.compile(
    r"\b(?:ou en est|ou en sont|avez[- ]vous (?:bien )?recu|vous avez (?:bien )?recu|a[- ]t[- ](?:il|elle) ete"
    r"|(?:est|sont)[- ](?:ils|elles|il|elle) (?:bien )?(?:validee?s?|acceptee?s?|enregistree?s?|inscrite?s?|traitee?s?)"
    r"|toujours pas (?:recu|eu|de reponse)|quand (?:vais|va|allez)[- ](?:je|t[- ]on|vous) (?:recevoir|avoir)"
    r"|(?:l'?inscription|le dossier|la demande) de (?:mon|ma|mes) (?:fils|fille|enfants?|mere|pere|mari|femme)"
    r"|(?:mon|ma|mes) (?:fils|fille|enfants?) (?:est|sont|a|ont|n'?a|n'?est)\b"
    r"|(?:numero|n°|no|ref(?:erence)?) (?:de )?(?:dossier|demande|facture)|(?:dossier|demande|facture) (?:n°|no|numero)"
    r"|mon (?:numero|n°) (?:de )?(?:dossier|demande))"
)
_CASE_NUMBER = re.compile(r"\b(?:[A-Z]{1,5}[- ]?\d{2,4}[-/ ]\d{3,}|\d{6,})\b")
_NAMED = re.compile(r"\b(?:M\.|Mme|Mlle|Monsieur|Madame|monsieur|madame)\s+[A-ZÀ-Ý][\w'-]+")


def personal_situation(question: str) -> bool:
    """Whether the question is about the citizen's own case (a file, a registration, a named person, a number)."""
    return bool(_OWN_FILE.search(fold(question)) or _CASE_NUMBER.search(question) or _NAMED.search(question))


@dataclass
class Extract:
    """A passage shown to the citizen as it stands in its document, with the document's title, link and date."""

    quote: str
    title: str
    url: str
    updated: str
    doc_id: str


@dataclass
class PublicAnswer:
    """What the citizen side shows for a question."""

    kind: Literal["faq", "extraits", "aucune"]
    question: str
    entry: FaqEntry | None = None
    extracts: list[Extract] = field(default_factory=list)
    reason: AbstainReason | None = None
    confidence: float = 0.0


def verbatim_extracts(index: Index, citations: list[Citation]) -> list[Extract]:
    """The cited passages that stand word for word in a public document of the index, one per passage."""
    out: list[Extract] = []
    seen: set[str] = set()
    for c in citations:
        pos = index.positions.get(c.chunk_id)
        chunk = index.chunks[pos] if pos is not None else None
        if chunk is None or chunk.audience != "public" or c.quote not in chunk.text or c.quote in seen:
            continue
        seen.add(c.quote)
        out.append(Extract(c.quote, c.title, c.url, c.updated, c.doc_id))
    return out


@dataclass
class Candidate:
    """What the documents could show for a question, before the citizen side's threshold is applied."""

    question: str
    reason: AbstainReason | None = None
    confidence: float = 0.0
    extracts: list[Extract] = field(default_factory=list)

    def decide(self, threshold: float) -> PublicAnswer:
        """Show the extracts only when nothing stands in the way and the confidence reaches ``threshold``."""
        if self.reason:
            return PublicAnswer("aucune", self.question, reason=self.reason, confidence=self.confidence)
        if self.confidence < threshold:
            low = AbstainReason.LOW_CONFIDENCE
            return PublicAnswer("aucune", self.question, reason=low, confidence=self.confidence)
        return PublicAnswer("extraits", self.question, extracts=self.extracts, confidence=self.confidence)


def candidate(assistant: Assistant, question: str) -> Candidate:
    """Scope check, then a draft from public documents only, kept as verbatim extracts."""
    why = out_of_scope(analyse(question, commune=assistant.settings.commune_name))
    if why:
        return Candidate(question, reason=why)
    result = assistant.draft(question, public_only=True)
    if guarded(result.abstain_reason):
        return Candidate(question, reason=result.abstain_reason, confidence=result.confidence)
    citations = result.citations if result.status == "answered" else result.candidate_citations
    extracts = verbatim_extracts(assistant.index(), citations)
    reason = None if extracts else AbstainReason.NO_PUBLIC_EXTRACT
    return Candidate(question, reason=reason, confidence=result.confidence, extracts=extracts)


def answer(session: Session, assistant: Assistant, question: str, threshold: float) -> PublicAnswer:
    """The citizen's answer: a published FAQ entry first, then public extracts, else none."""
    question = question.strip()
    why = out_of_scope(analyse(question, commune=assistant.settings.commune_name))
    if not why and personal_situation(question):
        why = PERSONAL
    if why:
        return PublicAnswer("aucune", question, reason=why)
    match = faq.answer_for(session, question)
    if match is not None:
        return PublicAnswer("faq", question, entry=match.entry, confidence=match.score)
    return candidate(assistant, question).decide(threshold)


def suggestions(session: Session, question: str, shown: FaqEntry | None = None) -> list[FaqEntry]:
    """Up to three published FAQ entries close to the question (not the one already shown as its answer)."""
    close = [m.entry for m in faq.search(session, question, limit=SUGGESTIONS + 1) if m.score >= faq.SUGGEST_MIN_SCORE]
    return [e for e in close if shown is None or e.id != shown.id][:SUGGESTIONS]
