"""The FAQ grows from the desk: the questions asked most often, whose validated replies agree, proposed as entries.

Validated requests (their text not erased) not yet made into an entry are grouped by meaning among those whose reply
cites the same first document: the assistant's embedder reads each question as a query, and a question joins the
group whose centroid it is closest to when their cosine reaches ``gap_min_similarity`` (the same measure that groups
the content gaps). Within a group, two replies
*agree* when they cite a document in common and state the same figures (hours, amounts, delays: the numbers of one
are all in the other); the reply agreeing with the most others is the group's. A group becomes a proposal when at
least ``MIN_AGREEING`` of its replies agree and no entry already asks its question. A proposal is a draft entry to
review: question and answer cleaned of greetings, signatures and personal data (``faq.clean_question``,
``faq.clean_reply``), the group's other questions as variants, the sources the agreeing replies cite.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.desk import faq, gaps
from server.core.desk.states import RequestState
from server.core.desk.tables import FaqEntry, Request
from server.core.desk.workflow import last_generated
from server.core.text import fold

# Requests read at most (the latest validated), replies that must agree, proposals shown, variants kept.
MAX_REQUESTS = 500
MIN_AGREEING = 2
MAX_PROPOSALS = 10
MAX_VARIANTS = 8
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
# Question vectors kept between two views of the page (e5 read about 40 questions a second on two busy cores),
# by embedder (as the answer memory keeps its matchers) and text.
_CACHE_SIZE = 5000
_LOCK = threading.Lock()
_VECTORS: dict[tuple[int, str], np.ndarray] = {}


@dataclass
class Asked:
    """One validated request, as a FAQ would take it."""

    request_id: int
    question: str
    answer: str
    theme: str
    doc_ids: list[str]
    figures: frozenset[str]


@dataclass
class FaqProposal:
    """A draft entry proposed from a group of close questions whose replies agree."""

    question: str
    answer: str
    theme: str
    doc_ids: list[str]
    variants: list[str] = field(default_factory=list)
    request_id: int = 0  # the request whose reply is proposed
    asked: int = 0  # questions in the group
    agreeing: int = 0  # of which replies agree with the proposed answer
    request_ids: list[int] = field(default_factory=list)


def _figures(answer: str) -> frozenset[str]:
    """The numbers a reply states, its list of sources left out (their dates are not what it says)."""
    said = []
    for line in answer.splitlines():
        if fold(line).strip().startswith("sources"):
            break
        said.append(line)
    return frozenset(n.replace(",", ".") for n in _FIGURE.findall("\n".join(said)))


def _agree(a: Asked, b: Asked) -> bool:
    return bool(set(a.doc_ids) & set(b.doc_ids)) and (a.figures <= b.figures or b.figures <= a.figures)


def validated(session: Session, limit: int = MAX_REQUESTS) -> list[Asked]:
    """The latest validated requests not made into an entry yet, cleaned as a FAQ takes them, with what they cite."""
    promoted = set(session.scalars(select(FaqEntry.request_id).where(FaqEntry.request_id.is_not(None))))
    query = (
        select(Request)
        .where(Request.state == RequestState.VALIDATED, Request.anonymised_at.is_(None))
        .order_by(Request.created_at.desc(), Request.id.desc())
        .limit(limit)
    )
    out = []
    for request in session.scalars(query):
        if request.id in promoted or not request.current_text.strip():
            continue
        generated = last_generated(session, request)
        cited = [str(c["doc_id"]) for c in (generated.result.get("citations", []) if generated else [])]
        question, answer = faq.clean_question(request.question), faq.clean_reply(request.current_text)
        if question and answer and cited:
            out.append(Asked(request.id, question, answer, request.theme, list(dict.fromkeys(cited)), _figures(answer)))
    return out


def query_vectors(embedder: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit query vectors of ``texts``, those already read taken from the cache."""
    with _LOCK:
        known = {t: _VECTORS[(id(embedder), t)] for t in texts if (id(embedder), t) in _VECTORS}
    fresh = {t: np.asarray(embedder.embed_query(t), dtype=np.float32) for t in dict.fromkeys(texts) if t not in known}
    with _LOCK:
        if len(_VECTORS) + len(fresh) > _CACHE_SIZE:
            _VECTORS.clear()
        _VECTORS.update({(id(embedder), t): v for t, v in fresh.items()})
    found = {**known, **fresh}
    return _unit(np.stack([found[t] for t in texts]))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)


def propose(
    session: Session, embedder: Embeddings, min_similarity: float, limit: int = MAX_PROPOSALS
) -> list[FaqProposal]:
    """Draft entries for the most-asked questions whose validated replies agree, the most asked first."""
    asked = validated(session)
    if not asked:
        return []
    vectors = query_vectors(embedder, [a.question for a in asked])
    # Questions answered from different documents are not the same question, however close their words: grouped by
    # meaning only among those whose reply cites the same first document.
    by_doc: dict[str, list[int]] = {}
    for i, a in enumerate(asked):
        by_doc.setdefault(a.doc_ids[0], []).append(i)
    members: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for idx in by_doc.values():
        local, local_centroids = gaps.greedy_groups(vectors[idx], min_similarity)
        members += [[idx[j] for j in group] for group in local]
        centroids += local_centroids
    entries = list(session.scalars(select(FaqEntry)))
    known = {faq.phrasing_key(q) for e in entries for q in [e.question, *e.variants]}
    known_vectors = query_vectors(embedder, [e.question for e in entries]) if entries else None
    proposals = []
    for idx, centroid in zip(members, centroids, strict=True):
        group = [asked[i] for i in idx]
        if len(group) < MIN_AGREEING:
            continue
        # The reply agreeing with the most others is the group's answer.
        head, agreeing = max(
            ((a, [b for b in group if b is a or _agree(a, b)]) for a in group), key=lambda x: len(x[1])
        )
        if len(agreeing) < MIN_AGREEING:
            continue
        if known_vectors is not None and float(np.max(known_vectors @ centroid)) >= min_similarity:
            continue  # an entry already asks it
        # The question closest to the group's centroid names it (a long message cannot be an entry's question).
        short = [i for i in idx if len(asked[i].question) <= faq.MAX_QUESTION]
        if not short:
            continue
        closest = asked[max(short, key=lambda i: float(vectors[i] @ centroid))].question
        if faq.phrasing_key(closest) in known:
            continue
        questions = [closest] + [asked[i].question for i in short if asked[i].question != closest]
        cited = [d for d in head.doc_ids if all(d in a.doc_ids for a in agreeing)] or head.doc_ids
        proposals.append(
            FaqProposal(
                question=questions[0],
                answer=head.answer,
                theme=head.theme,
                doc_ids=cited,
                variants=faq.clean_variants(list(dict.fromkeys(questions[1:]))[: faq.MAX_VARIANTS], closest)[
                    :MAX_VARIANTS
                ],
                request_id=head.request_id,
                asked=len(group),
                agreeing=len(agreeing),
                request_ids=sorted(a.request_id for a in group),
            )
        )
    proposals.sort(key=lambda p: (-p.agreeing, -p.asked, p.question))
    return proposals[:limit]
