"""Hybrid retrieval: dense and BM25 lists fused by reciprocal rank, deduplicated by content.

Dense search is in memory or by the vector store (see index.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from server.core.answer.chunk import Chunk
from server.core.answer.index import Index
from server.core.answer.question import Question

RRF_K = 60
# MiniLM is an English model: on French questions BM25 is the stronger list (see ../shared/FINDINGS.md), so the
# dense list counts for less in the fusion. Chosen on the development set.
DENSE_WEIGHT = 0.5


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the evidence of each retriever."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Retrieval:
    """The fused hits of one question and the raw signals the confidence model reads."""

    hits: list[Hit]
    dense_top: float
    lexical_top: float


def retrieve(index: Index, vector: np.ndarray, question: Question, candidates: int, public_only: bool) -> Retrieval:
    """Fuse the dense and lexical candidate lists of a question."""
    dense = index.dense_search(vector, candidates, public_only)
    lexical = index.lexical_search(question.terms, candidates, public_only)
    hits: dict[str, Hit] = {}
    for rank, (chunk, sim) in enumerate(dense):
        hit = hits.setdefault(chunk.chunk_id, Hit(chunk, 0.0))
        hit.score += DENSE_WEIGHT / (RRF_K + rank + 1)
        hit.dense, hit.dense_rank = sim, rank
    for rank, (chunk, score) in enumerate(lexical):
        hit = hits.setdefault(chunk.chunk_id, Hit(chunk, 0.0))
        hit.score += 1.0 / (RRF_K + rank + 1)
        hit.lexical, hit.lexical_rank = score, rank
    ordered = sorted(hits.values(), key=lambda h: (-h.score, h.chunk.chunk_id))
    seen: set[str] = set()
    unique = []
    for hit in ordered:
        if hit.chunk.content_hash not in seen:
            seen.add(hit.chunk.content_hash)
            unique.append(hit)
    return Retrieval(
        hits=unique,
        dense_top=dense[0][1] if dense else 0.0,
        lexical_top=lexical[0][1] if lexical else 0.0,
    )


def steer(index: Index, vector: np.ndarray, hits: list[Hit], pinned: list[str], excluded: list[str]) -> list[Hit]:
    """The agent's choice: excluded documents removed, pinned documents first (their best chunks by similarity)."""
    kept = [h for h in hits if h.chunk.doc_id not in excluded]
    if not pinned:
        return kept
    front: list[Hit] = []
    for doc_id in pinned:
        positions, vectors = index.doc_vectors(doc_id)
        if not positions:
            continue
        sims = vectors @ vector.astype(np.float32)
        for j in np.argsort(-sims, kind="stable")[:3]:
            chunk = index.chunks[positions[int(j)]]
            front.append(Hit(chunk, 1.0, dense=float(sims[j])))
    pinned_ids = {h.chunk.chunk_id for h in front}
    return front + [h for h in kept if h.chunk.chunk_id not in pinned_ids and h.chunk.doc_id not in pinned]
