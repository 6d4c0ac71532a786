"""Answer memory: validated replies offered again for close questions, unless their sources changed since.

Which questions are "close" is decided by ``answer.pairs`` (a pure rule over embeddings and IDF); this module
keeps the replies in the database and finds them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.index import Index
from server.core.answer.pairs import PairRule, changed, pair_features
from server.core.desk.tables import MemoryEntry


@dataclass
class Recall:
    """A validated reply close to the question, and whether its sources changed since."""

    entry: MemoryEntry
    similarity: float
    changed_sources: list[str]


def remember(
    session: Session, request_id: int, question: str, vector: np.ndarray, text: str, sources: list[dict[str, str]]
) -> None:
    """Keep a validated reply with the sources (chunk ids and content hashes) it relied on."""
    session.add(
        MemoryEntry(
            request_id=request_id,
            question=question,
            embedding=vector.astype(np.float32).tobytes(),
            text=text,
            sources=sources,
        )
    )


def recall(
    session: Session,
    index: Index,
    question: str,
    vector: np.ndarray,
    rule: PairRule,
    exclude_request: int | None = None,
    limit: int = 3,
) -> list[Recall]:
    """Validated replies to questions close to this one, most similar first."""
    found = []
    for row in session.scalars(select(MemoryEntry)):
        if row.request_id == exclude_request:
            continue
        stored = np.frombuffer(row.embedding, dtype=np.float32)
        features = pair_features(index, question, vector, row.question, stored)
        if rule.close(features):
            found.append(Recall(row, features["cos"], changed(index, row.sources)))
    found.sort(key=lambda r: -r.similarity)
    return found[:limit]
