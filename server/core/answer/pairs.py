"""When two questions are close enough to share a reply: the pair rule and the features it reads.

Two questions are "close" when their embeddings are similar enough AND no term that only one of them has
weighs much (IDF): "passeport pour un adulte" and "passeport pour un mineur", very similar for the
embedding model, differ by a heavy term and are told apart. Both limits are chosen on
eval/datasets/memory-pairs.jsonl (``accueil eval --calibrate --memory-pairs …``) for the best precision.
Pure computation over the index; the remembered replies themselves live in the desk (``desk.memory``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from server.core.answer.index import Index
from server.core.answer.question import expand
from server.core.text import tokens


@dataclass(frozen=True)
class PairRule:
    """The limits of closeness: minimum similarity, maximum weight of a term only one question has."""

    min_cos: float = 0.9
    max_diff: float = 0.3

    def close(self, features: dict[str, float]) -> bool:
        """True when two questions described by ``features`` may share their reply."""
        return features["cos"] >= self.min_cos and features["diff_max"] <= self.max_diff


def question_vector(embedder: Embeddings, question: str) -> np.ndarray:
    """The embedding a question is remembered and compared by (abbreviations spelled out first)."""
    return np.asarray(embedder.embed_query(expand(question)), dtype=np.float32)


def pair_features(
    index: Index, question_a: str, vector_a: np.ndarray, question_b: str, vector_b: np.ndarray
) -> dict[str, float]:
    """How close two questions are, as the pair model reads it."""
    diff = set(tokens(expand(question_a))) ^ set(tokens(expand(question_b)))
    return {
        "cos": float(vector_a.astype(np.float32) @ vector_b.astype(np.float32)),
        "diff_max": max((index.idf(t) for t in diff), default=0.0) / 10.0,
    }


def changed(index: Index, sources: list[dict[str, str]]) -> list[str]:
    """Titles of the sources whose chunk is gone or whose content hash differs in the current index."""
    out = []
    for src in sources:
        pos = index.positions.get(src["chunk_id"])
        if pos is None or index.chunks[pos].content_hash != src["content_hash"]:
            out.append(src.get("title") or src["doc_id"])
    return out
