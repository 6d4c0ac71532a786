"""The answer a citizen gets on the public side: a published FAQ entry, verbatim extracts of public documents, or
nothing (and a form to ask the desk).

Never generated text, even when an LLM is configured: an extract is shown only if it is found word for word in a
chunk of a document whose audience is ``public``, and only when the assistant's confidence reaches the citizen side's
own threshold (stricter than the agents', calibrated for answered precision on the evaluation set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.answer.index import Index
from server.core.answer.models import Citation
from server.core.answer.question import analyse
from server.core.answer.reasons import AbstainReason, guarded
from server.core.answer.scope import out_of_scope, personal_situation
from server.core.desk import faq_match
from server.core.desk.tables import FaqEntry

PERSONAL = AbstainReason.PERSONAL_CASE


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
    suggestions: list[FaqEntry] = field(default_factory=list)


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
    # The draft's confidence features (what ``confidence`` was computed from), for the calibration.
    features: dict[str, float] = field(default_factory=dict)

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
    return Candidate(question, reason=reason, confidence=result.confidence, extracts=extracts, features=result.features)


def answer(session: Session, assistant: Assistant, question: str, threshold: float) -> PublicAnswer:
    """The citizen's answer: the published FAQ entry the decision (``answer.match``) shows, then public extracts,
    else none; with up to 3 published entries close to the question (« Vouliez-vous dire… »)."""
    question = question.strip()
    found = faq_match.decide(session, assistant.embedder, assistant.settings.commune_name, question)
    why = out_of_scope(analyse(question, commune=assistant.settings.commune_name))
    if not why and personal_situation(question):
        why = PERSONAL
    if why:
        return PublicAnswer("aucune", question, reason=why, suggestions=found.suggestions)
    if found.entry is not None:
        return PublicAnswer("faq", question, entry=found.entry, confidence=found.score, suggestions=found.suggestions)
    shown = candidate(assistant, question).decide(threshold)
    shown.suggestions = found.suggestions
    return shown
