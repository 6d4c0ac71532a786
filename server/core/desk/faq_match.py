"""The published FAQ through the one decision (``answer.match``): which entry answers a citizen's text, which ones to
offer, and the FAQ page's search.

The known phrasings of every published entry are embedded once per process and embedder (``match.Vectors``); a
matcher is rebuilt only when an entry is published, edited or withdrawn (its id and version change). ``warm`` builds
it ahead, at the service's start.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings
from sqlalchemy.orm import Session

from server.core.answer.batch import BatchLine, draft_lines
from server.core.answer.match import SUGGEST_MIN, Decision, Known, Matcher, vectors_for
from server.core.desk import faq
from server.core.desk.tables import FaqEntry
from server.core.text import tokens

_LOCK = threading.Lock()
_MATCHERS: dict[tuple[int, str, tuple[tuple[int, int], ...]], Matcher] = {}


def variants_of(entry: FaqEntry) -> tuple[str, ...]:
    """The entry's other phrasings (an entry stored before they existed has none)."""
    found = getattr(entry, "variants", None) or []
    return tuple(str(v) for v in found if isinstance(v, str) and v.strip())


def known(entry: FaqEntry) -> Known:
    """What the decision knows of an entry: its id, question, variants and answer."""
    return Known(entry.id, entry.question, variants_of(entry), entry.answer)


def matcher_for(embedder: Embeddings, commune: str, rows: Sequence[FaqEntry]) -> Matcher:
    """The decision over these entries (built again only when one of them changed)."""
    key = (id(embedder), commune, tuple((row.id, row.version) for row in rows))
    with _LOCK:
        found = _MATCHERS.get(key)
    if found is None:
        found = Matcher([known(row) for row in rows], vectors_for(embedder), commune=commune)
        with _LOCK:
            if len(_MATCHERS) >= 8:
                _MATCHERS.clear()
            _MATCHERS[key] = found
    return found


def warm(session: Session, embedder: Embeddings, commune: str) -> int:
    """Build the decision over the published entries ahead, their phrasings and answers embedded in batches, so
    that the first citizen question does not wait for it (call it at the service's start); how many entries. With
    none published there is nothing to build, and the model is not loaded for it."""
    rows = faq.entries(session, published_only=True)
    if not rows:
        return 0
    matcher_for(embedder, commune, rows)
    # The model's first call pays for its own start (ONNX session, caches): paid here too.
    embedder.embed_query("horaires de la mairie")
    return len(rows)


@dataclass
class FaqDecision:
    """The published entry that answers the text (or None), its score, up to 3 entries to offer, why none."""

    entry: FaqEntry | None
    score: float
    suggestions: list[FaqEntry] = field(default_factory=list)
    reason: str | None = None
    decision: Decision | None = None


def decide(session: Session, embedder: Embeddings, commune: str, text: str) -> FaqDecision:
    """The decision of ``answer.match`` over the published entries, as entries of the database."""
    rows = faq.entries(session, published_only=True)
    by_id = {row.id: row for row in rows}
    decision = matcher_for(embedder, commune, rows).decide(text)
    return FaqDecision(
        entry=by_id[decision.entry.key] if decision.entry else None,
        score=decision.score,
        suggestions=[by_id[k.key] for k in decision.suggestions],
        reason=decision.reason,
        decision=decision,
    )


def as_line(qid: str, found: FaqDecision) -> dict[str, Any]:
    """One line of ``accueil faq match --batch``: the entry shown (its question) or None, the score, the offers."""
    return {
        "id": qid,
        "entry": found.entry.question if found.entry else None,
        "score": round(found.score, 4),
        "suggestions": [e.question for e in found.suggestions],
    }


def match_lines(
    session: Session, embedder: Embeddings, commune: str, lines: Iterable[str]
) -> Iterator[BatchLine[dict[str, Any]]]:
    """Each JSON line ``{id, question}`` through the decision ``/question`` makes, in order (a malformed line is
    reported with its number, the others go on)."""
    return draft_lines(lines, lambda question, qid: as_line(qid, decide(session, embedder, commune, question)))


def search(session: Session, embedder: Embeddings, commune: str, text: str, limit: int = 10) -> list[faq.Match]:
    """The FAQ page's search: the entry the decision shows for this text first, then the entries it finds close
    (best first), then those that share words with it; each entry once, near duplicates merged. Nothing for a text
    that tries to steer the page."""
    found = decide(session, embedder, commune, text)
    if found.reason == "manipulation":
        return []
    listed: list[faq.Match] = []
    if found.entry is not None:
        listed.append(faq.Match(found.entry, found.score))
    if found.decision is not None:
        rows = {row.id: row for row in faq.entries(session, published_only=True)}
        for candidate in found.decision.candidates:
            if candidate.score >= SUGGEST_MIN and candidate.known.key in rows:
                listed.append(faq.Match(rows[candidate.known.key], candidate.score))
    listed.extend(faq.search(session, text, limit=limit, merge=False))
    return merged(listed)[:limit]


def merged(matches: Sequence[faq.Match]) -> list[faq.Match]:
    """Each entry once, in order, and none whose question is a near duplicate of one listed before it."""
    kept: list[tuple[faq.Match, set[str]]] = []
    for match in matches:
        own = set(tokens(match.entry.question))
        if not any(match.entry.id == other.entry.id or _near_duplicate(own, words) for other, words in kept):
            kept.append((match, own))
    return [m for m, _ in kept]


def _near_duplicate(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= faq.NEAR_DUPLICATE
