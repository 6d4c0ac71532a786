"""Answer memory: a validated reply offered again for a paraphrase of its question, with its date, and a warning when
one of its sources changed since; never when a source was deleted.

Which question a new one paraphrases is the decision of ``answer.match`` (the citizen side's) with the memory's
stricter rule (``answer.pairs.MEMORY``); this module keeps the replies in the database and finds them again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.index import Index
from server.core.answer.match import Known, Matcher, vectors_for
from server.core.answer.pairs import MEMORY, changed, deleted
from server.core.desk.tables import MemoryEntry

_LOCK = threading.Lock()
_MATCHERS: dict[tuple[int, tuple[int, ...]], Matcher] = {}


@dataclass
class Recall:
    """A validated reply whose question the new one paraphrases, and whether its sources changed since."""

    entry: MemoryEntry
    similarity: float
    changed_sources: list[str]


def remember(session: Session, request_id: int, question: str, text: str, sources: list[dict[str, str]]) -> None:
    """Keep a validated reply with the sources (chunk ids and content hashes) it relied on."""
    session.add(MemoryEntry(request_id=request_id, question=question, text=text, sources=sources))


def _matcher(embedder: Embeddings, rows: list[MemoryEntry]) -> Matcher:
    key = (id(embedder), tuple(row.id for row in rows))
    with _LOCK:
        found = _MATCHERS.get(key)
    if found is None:
        found = Matcher([Known(row.id, row.question) for row in rows], vectors_for(embedder), rule=MEMORY)
        with _LOCK:
            if len(_MATCHERS) >= 4:
                _MATCHERS.clear()
            _MATCHERS[key] = found
    return found


def recall(
    session: Session, index: Index, embedder: Embeddings, question: str, exclude_request: int | None = None
) -> list[Recall]:
    """The validated reply whose question this one paraphrases (none, or one): never one of ``exclude_request``,
    never one whose source document was deleted since; its changed sources named."""
    rows = [
        row
        for row in session.scalars(select(MemoryEntry).order_by(MemoryEntry.id))
        if row.request_id != exclude_request
    ]
    if not rows:
        return []
    decision = _matcher(embedder, rows).decide(question)
    if decision.entry is None:
        return []
    row = next(r for r in rows if r.id == decision.entry.key)
    if deleted(index, row.sources):
        return []
    return [Recall(row, decision.score, changed(index, row.sources))]
