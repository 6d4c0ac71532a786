"""When a validated reply may be offered again for a new question, and whether its sources still stand.

The answer memory uses the citizen side's decision (``answer.match``) with a stricter rule, ``MEMORY``: two questions
agents answer may differ by one detail (« passeport pour un adulte » / « pour un mineur », « le samedi » / « le
dimanche »), so most of each question must be said by the other (spelling, accents and endings forgiven), with the
same numbers and days, and no conflict on the kind of fact, the subject or the stance. Its limits are chosen on
eval/datasets/memory-pairs.jsonl for a precision of 0.95 at least (``accueil eval --faq --memory-pairs …``).
A reply is never offered when a document it relied on was deleted, and offered with a warning when one changed.
The older pair rule (``PairRule``, embeddings and IDF) stays for the calibration file that records it.
Pure computation over the index; the remembered replies themselves live in the desk (``desk.memory``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from server.core.answer.index import Index
from server.core.answer.match import Rule
from server.core.answer.question import expand
from server.core.text import tokens

# Chosen on eval/datasets/memory-pairs.jsonl (see the module's docstring).
MEMORY = Rule(min_cos=0.85, min_cover=0.9, min_qcover=0.9, same_details=True, guard=False)


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


def deleted(index: Index, sources: list[dict[str, str]]) -> list[str]:
    """Titles of the sources whose document is no longer in the current index."""
    return [src.get("title") or src["doc_id"] for src in sources if src.get("doc_id") not in index.manifest.docs]


def changed(index: Index, sources: list[dict[str, str]]) -> list[str]:
    """Titles of the sources whose chunk is gone or whose content hash differs in the current index."""
    out = []
    for src in sources:
        pos = index.positions.get(src["chunk_id"])
        if pos is None or index.chunks[pos].content_hash != src["content_hash"]:
            out.append(src.get("title") or src["doc_id"])
    return out
