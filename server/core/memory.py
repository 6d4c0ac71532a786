"""Answer memory: validated replies offered again for close questions, unless their sources changed since."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.index import Index
from server.core.tables import MemoryEntry


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


def changed(index: Index, sources: list[dict[str, str]]) -> list[str]:
    """Titles of the sources whose chunk is gone or whose content hash differs in the current index."""
    out = []
    for src in sources:
        pos = index.positions.get(src["chunk_id"])
        if pos is None or index.chunks[pos].content_hash != src["content_hash"]:
            out.append(src.get("title") or src["doc_id"])
    return out


def recall(
    session: Session,
    index: Index,
    vector: np.ndarray,
    threshold: float,
    exclude_request: int | None = None,
    limit: int = 3,
) -> list[Recall]:
    """Validated replies whose question is at least ``threshold`` similar to this one, best first."""
    rows = session.scalars(select(MemoryEntry)).all()
    found = []
    for row in rows:
        if row.request_id == exclude_request:
            continue
        sim = float(np.frombuffer(row.embedding, dtype=np.float32) @ vector.astype(np.float32))
        if sim >= threshold:
            found.append(Recall(row, sim, changed(index, row.sources)))
    found.sort(key=lambda r: -r.similarity)
    return found[:limit]
