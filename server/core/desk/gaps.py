"""Content gaps: the questions the corpus could not answer well, grouped by topic — the documents to write next.

A question is a gap when its request ended with the assistant abstaining, its draft rejected (or set aside by the
agent), or its reply validated after heavy editing (``heavy_edit_ratio``). An abstention is told apart by what came
back: documents that do not answer ("source non trouvée": the right one is likely missing), nothing usable ("aucune
source"), or a question the assistant does not take (another language, an instruction: "hors champ"). Questions are
shown and exported with their personal data masked. Close questions (cosine of their embeddings at least
``gap_similarity``) are grouped greedily around each group's centroid; a group is named by its most frequent words.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings
from sqlalchemy.orm import Session

from server.core import pii
from server.core.answer.question import expand
from server.core.answer.reasons import AbstainReason
from server.core.desk.activity import events_of, requests_in
from server.core.desk.period import Period
from server.core.desk.states import TrailAction
from server.core.desk.tabular import Table
from server.core.text import STOP_WORDS, fold, words

MAX_GAPS = 2000
REASON_LABELS = {"abstention": "abstention", "rejet": "brouillon rejeté", "retouche": "réponse très retouchée"}
ABSTENTION_KINDS = {
    "source_non_trouvee": "source non trouvée",
    "aucune_source": "aucune source",
    "hors_champ": "hors champ",
}


@dataclass
class Gap:
    """One question the assistant did not answer well, and why."""

    request_id: int
    ref: str
    question: str
    created_at: dt.datetime
    reason: str
    detail: str = ""
    # For an abstention: "source_non_trouvee", "aucune_source" or "hors_champ" (ABSTENTION_KINDS).
    kind: str = ""


@dataclass
class Topic:
    """A group of close gap questions."""

    label: str
    gaps: list[Gap] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of questions in the group."""
        return len(self.gaps)

    @property
    def reasons(self) -> dict[str, int]:
        """How many of its questions ended in each way."""
        return dict(Counter(g.reason for g in self.gaps))

    @property
    def abstentions(self) -> dict[str, int]:
        """How many of its abstentions are of each kind (ABSTENTION_KINDS)."""
        return dict(Counter(g.kind for g in self.gaps if g.reason == "abstention"))


def abstention_kind(draft: dict[str, object]) -> str:
    """What an abstention's draft event says came back: documents that do not answer, nothing, or no look-up."""
    reason = draft.get("abstain_reason")
    if not draft.get("sources") or reason == AbstainReason.NO_PASSAGE:
        return "aucune_source"
    if reason == AbstainReason.LOW_CONFIDENCE:
        return "source_non_trouvee"
    if reason or draft.get("confidence") == 0.0:
        return "hors_champ"  # the assistant did not take the question (drafts before 0009 lack the reason)
    return "source_non_trouvee"


def find(session: Session, period: Period, heavy_edit_ratio: float) -> list[Gap]:
    """The gap questions of the requests created during the period (the latest outcome of each counts)."""
    # A request past its retention period keeps no text: it counts in the figures, not among the questions.
    rows = {r.id: r for r in requests_in(session, period) if r.anonymised_at is None}
    last_draft: dict[int, str] = {}
    drafts: dict[int, dict[str, object]] = {}
    closing: dict[int, tuple[str, str]] = {}
    for event in events_of(
        session, list(rows), (TrailAction.DRAFT_GENERATED, TrailAction.VALIDATED, TrailAction.REJECTED)
    ):
        assert event.request_id is not None
        if event.action == TrailAction.DRAFT_GENERATED:
            last_draft[event.request_id] = str(event.data.get("status", ""))
            drafts[event.request_id] = event.data
        elif (
            event.action == TrailAction.VALIDATED
            and event.data.get("written_by_agent")
            and last_draft.get(event.request_id) == "answered"
        ):
            closing[event.request_id] = ("rejet", "brouillon écarté, réponse rédigée par l'agent")
        elif event.action == TrailAction.REJECTED:
            closing[event.request_id] = ("rejet", str(event.data.get("reason", "")))
        elif float(event.data.get("edit_ratio", 0.0)) >= heavy_edit_ratio and last_draft.get(event.request_id) == (
            "answered"
        ):
            closing[event.request_id] = ("retouche", f"{float(event.data['edit_ratio']):.0%} du texte modifié")
    gaps = []
    for rid, request in rows.items():
        kind = ""
        if rid in closing:
            reason, detail = closing[rid]
        elif last_draft.get(rid, "answered") != "answered":
            kind = abstention_kind(drafts[rid])
            reason, detail = "abstention", ABSTENTION_KINDS[kind]
        else:
            continue
        gaps.append(Gap(rid, request.ref, pii.mask(request.question), request.created_at, reason, detail, kind))
    return gaps[-MAX_GAPS:]


def _label(questions: list[str], size: int = 3) -> str:
    # Words counted once per question; ties go to the word met first, so that a label never changes between runs.
    counts = Counter(
        w for q in questions for w in dict.fromkeys(words(fold(expand(q)))) if w not in STOP_WORDS and len(w) > 2
    )
    common = [w for w, _ in counts.most_common(size)]
    return " · ".join(common) if common else "(sans mot-clé)"


def greedy_groups(vectors: np.ndarray, min_similarity: float) -> tuple[list[list[int]], list[np.ndarray]]:
    """Greedy grouping of unit vectors around each group's centroid: a vector joins the closest group at
    ``min_similarity`` or more, else starts its own. Returns each group's members (indexes) and its centroid."""
    members: list[list[int]] = []
    centroids: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        sims = [float(c @ vector) for c in centroids]
        best = int(np.argmax(sims)) if sims else -1
        if best >= 0 and sims[best] >= min_similarity:
            members[best].append(i)
            centroid = vectors[members[best]].mean(axis=0)
            centroids[best] = centroid / (np.linalg.norm(centroid) + 1e-12)
        else:
            members.append([i])
            centroids.append(vector)
    return members, centroids


def group(gaps: list[Gap], embedder: Embeddings, min_similarity: float) -> list[Topic]:
    """Group close questions; the largest topics first."""
    if not gaps:
        return []
    # Questions, not indexed text: a model trained with prefixes (e5) must read them as queries.
    vectors = np.asarray([embedder.embed_query(expand(g.question)) for g in gaps], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    members, _ = greedy_groups(vectors, min_similarity)
    topics = [Topic(_label([gaps[i].question for i in idx]), [gaps[i] for i in idx]) for idx in members]
    topics.sort(key=lambda t: (-t.count, t.label))
    return topics


def tables(topics: list[Topic]) -> list[Table]:
    """The topics and their questions as exportable tables."""
    summary = Table(
        "lacunes-sujets",
        "Sujets sans réponse fiable",
        ["sujet", "questions", *ABSTENTION_KINDS.values(), "rejets", "très retouchées"],
        [
            [
                t.label,
                t.count,
                *(t.abstentions.get(k, 0) for k in ABSTENTION_KINDS),
                t.reasons.get("rejet", 0),
                t.reasons.get("retouche", 0),
            ]
            for t in topics
        ],
    )
    detail = Table(
        "lacunes-questions",
        "Questions sans réponse fiable",
        ["sujet", "référence", "date", "question", "issue", "détail"],
        [
            [t.label, g.ref, g.created_at.date().isoformat(), g.question, REASON_LABELS[g.reason], g.detail]
            for t in topics
            for g in t.gaps
        ],
    )
    return [summary, detail]
