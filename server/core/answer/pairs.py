"""When a validated reply may be offered again for a new question, and whether its sources still stand.

The answer memory uses the citizen side's decision (``answer.match``) with a stricter rule, ``MEMORY``: two questions
agents answer may differ by one detail (« passeport pour un adulte » / « pour un mineur », « le samedi » / « le
dimanche »), so most of each question must be said by the other (spelling, accents and endings forgiven), with the
same numbers and days, and no conflict on the kind of fact, the subject or the stance. Its limits are chosen on
eval/datasets/memory-pairs.jsonl for a precision of 0.95 at least (``accueil eval --faq --memory-pairs …``).
A reply is never offered when a document it relied on was deleted, and offered with a warning when one changed.
Pure computation over the index; the remembered replies themselves live in the desk (``desk.memory``).
"""

from __future__ import annotations

from server.core.answer.index import Index
from server.core.answer.match import Rule

# Chosen on eval/datasets/memory-pairs.jsonl (see the module's docstring).
MEMORY = Rule(min_cos=0.85, min_cover=0.9, min_qcover=0.9, same_details=True, guard=False)


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
