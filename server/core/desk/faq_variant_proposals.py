"""The FAQ learns variants from the desk: validated questions close to an entry, proposed as its other phrasings.

An entry's variants are what lets the citizen page recognise the other ways of asking its question
(``answer.match``); a FAQ imported from a commune's website has none. A validated request (``faq_proposals.validated``:
its question cleaned of greetings, signatures and personal data) is proposed as a variant of the entry it is closest
to when the cosine of their e5 query vectors, to the entry's question or one of its phrasings, reaches
``gap_min_similarity`` (the measure that ``faq_proposals.propose`` uses) and its validated reply cites at least one of
the entry's sources: a reply citing other documents answered another question. One request is enough, the supervisor
reviewing each phrasing; phrasings too long to be a question, already known to the FAQ (spaces and case aside) or
beyond the entry's room under ``faq.MAX_VARIANTS`` are left out, and entries withdrawn for review get none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.desk import faq, faq_proposals
from server.core.desk.faq_proposals import Asked
from server.core.desk.tables import FaqEntry
from server.core.errors import Conflict

logger = logging.getLogger(__name__)

# Entries shown with proposed variants (those asked most first).
MAX_ENTRIES = 20


@dataclass
class Phrasing:
    """A proposed phrasing of an entry's question, with the validated requests that asked it."""

    text: str
    asked: int = 0
    request_ids: list[int] = field(default_factory=list)


@dataclass
class VariantProposal:
    """An entry and the phrasings proposed as its new variants, most asked then most recent first."""

    entry_id: int
    question: str
    phrasings: list[Phrasing]

    @property
    def asked(self) -> int:
        """Validated requests behind the proposed phrasings."""
        return sum(p.asked for p in self.phrasings)


@dataclass
class Added:
    """What adding chosen phrasings did: those added, and how many were refused for each reason (French)."""

    added: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)


def _known(entries: list[FaqEntry]) -> set[str]:
    """Every phrasing the FAQ already holds, question or variant of any entry, spaces and case aside."""
    return {faq.phrasing_key(q) for e in entries for q in [e.question, *e.variants]}


def _sources(entry: FaqEntry) -> set[str]:
    """The documents an entry cites."""
    return {str(s.get("doc_id", "")) for s in entry.sources}


def entry_similarity(embedder: Embeddings, questions: list[str], phrasings: list[list[str]]) -> np.ndarray:
    """Questions × entries: the cosine of each question's e5 query vector to the entry's closest phrasing (each
    entry given as its question then its variants)."""
    vectors = faq_proposals.query_vectors(embedder, questions)
    known = faq_proposals.query_vectors(embedder, [q for group in phrasings for q in group])
    starts = np.cumsum([0] + [len(group) for group in phrasings[:-1]])
    return np.maximum.reduceat(vectors @ known.T, starts, axis=1)


def _closest_entry(
    asked: Asked, similarity: np.ndarray, entries: list[FaqEntry], min_similarity: float
) -> FaqEntry | None:
    """The closest entry whose sources the reply cites, among those close enough (None when there is none)."""
    cited = set(asked.doc_ids)
    best: tuple[float, FaqEntry] | None = None
    for score, entry in zip(similarity.tolist(), entries, strict=True):
        if score < min_similarity or not cited & _sources(entry):
            continue
        if best is None or score > best[0]:
            best = (score, entry)
    return best[1] if best else None


def propose(
    session: Session, embedder: Embeddings, min_similarity: float, limit: int = MAX_ENTRIES
) -> list[VariantProposal]:
    """New variants for the entries that validated requests asked in other words, the entries most asked first."""
    entries = list(session.scalars(select(FaqEntry).order_by(FaqEntry.id)))
    known = _known(entries)
    asked = [
        a
        for a in faq_proposals.validated(session)
        if len(a.question) <= faq.MAX_QUESTION and faq.phrasing_key(a.question) not in known
    ]
    # Only entries whose sources a reply cites can get a variant: the others' phrasings are not even read.
    cited = {d for a in asked for d in a.doc_ids}
    open_entries = [e for e in entries if not e.review and _sources(e) & cited]
    sourced = {d for e in open_entries for d in _sources(e)}
    asked = [a for a in asked if sourced.intersection(a.doc_ids)]
    if not asked:
        return []
    phrasings = [[e.question, *e.variants] for e in open_entries]
    by_entry = entry_similarity(embedder, [a.question for a in asked], phrasings)
    found: dict[int, dict[str, Phrasing]] = {}
    for a, similarity in zip(asked, by_entry, strict=True):  # the most recent first (``validated``)
        entry = _closest_entry(a, similarity, open_entries, min_similarity)
        if entry is None:
            continue
        phrasing = found.setdefault(entry.id, {}).setdefault(faq.phrasing_key(a.question), Phrasing(a.question))
        phrasing.asked += 1
        phrasing.request_ids.append(a.request_id)
    proposals = []
    for entry in open_entries:
        room = faq.MAX_VARIANTS - len(entry.variants)
        if entry.id not in found or room <= 0:
            continue
        # Sorted is stable: among phrasings asked as often, the most recent stays first.
        kept = sorted(found[entry.id].values(), key=lambda p: -p.asked)[:room]
        for p in kept:
            p.text = " ".join(p.text.split())
            p.request_ids.sort()
        proposals.append(VariantProposal(entry.id, entry.question, kept))
    proposals.sort(key=lambda v: (-v.asked, v.question))
    return proposals[:limit]


def add(session: Session, entry: FaqEntry, chosen: list[str], actor: str) -> Added:
    """Append the chosen phrasings to the entry's variants (a new version under ``actor``, published or not as it
    was); a phrasing too long, already known to the FAQ or beyond the entry's room is refused, never cut."""
    if entry.review:
        raise Conflict(
            "Cette entrée est retirée de la FAQ pour relecture : relisez-la avant d'y ajouter des variantes."
        )
    known = _known(list(session.scalars(select(FaqEntry))))
    room = faq.MAX_VARIANTS - len(entry.variants)
    done = Added()
    for text in dict.fromkeys(" ".join(c.split()) for c in chosen if c.strip()):
        if len(text) > faq.MAX_QUESTION:
            reason = f"plus de {faq.MAX_QUESTION} caractères"
        elif faq.phrasing_key(text) in known:
            reason = "déjà une formulation d'une entrée de la FAQ"
        elif len(done.added) >= room:
            reason = f"l'entrée a atteint {faq.MAX_VARIANTS} variantes"
        else:
            known.add(faq.phrasing_key(text))
            done.added.append(text)
            continue
        done.refused[reason] = done.refused.get(reason, 0) + 1
    if done.added:
        variants = [*entry.variants, *done.added]
        faq.update(session, entry, entry.question, entry.answer, entry.theme, entry.sources, actor, variants)
        logger.info("FAQ entry %s: %d variants added by %s", entry.id, len(done.added), actor)
    return done


def message(done: Added) -> str:
    """What the supervisor reads once the phrasings are added (French)."""
    n = len(done.added)
    parts = [f"{n} variante{'s' if n > 1 else ''} ajoutée{'s' if n > 1 else ''}." if n else "Aucune variante ajoutée."]
    for reason, count in done.refused.items():
        parts.append(f"{count} formulation{'s' if count > 1 else ''} non ajoutée{'s' if count > 1 else ''} : {reason}.")
    return " ".join(parts)
