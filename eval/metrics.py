"""Evaluation metrics: pure functions over per-question records.

Each metric is defined once (French label, definition, unit, direction) in ``server.core.metric_registry.EVAL``;
``summarise`` computes exactly those keys, plus the dataset's counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from server.core.metric_registry import EVAL, definitions
from server.core.text import fold

# Each metric summarise() computes is defined (label, definition, unit, direction) in the shared registry.
DEFINITIONS = definitions(EVAL)


@dataclass
class Record:
    """The outcome of one evaluation question."""

    id: str
    question: str
    expect: str
    kind: str
    theme: str
    status: str
    confidence: float
    guarded: bool
    facts: list[str]
    gold: list[str]
    ranked_docs: list[str]
    draft: str
    candidate_draft: str
    citations_total: int = 0
    citations_valid: int = 0
    sentences_total: int = 0
    sentences_cited: int = 0
    latency_ms: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    sources: list[dict[str, object]] = field(default_factory=list)
    public_shown: bool = False
    public_confidence: float = 0.0
    # The confidence features of the citizen side's draft (public documents only): to score it out of fold.
    public_features: dict[str, float] = field(default_factory=dict)
    public_in_scope: bool = False
    public_text: str = ""
    public_not_verbatim: int = 0
    llm_status: str | None = None
    llm_sentences: int = 0
    llm_removed: int = 0
    unsupported_facts: int = 0

    @property
    def answered(self) -> bool:
        """True when the assistant answered."""
        return self.status == "answered"

    @property
    def candidate_correct(self) -> bool:
        """True when the draft the assistant would give is correct (abstain-expected questions never are)."""
        return self.expect == "answer" and bool(self.facts) and facts_found(self.facts, self.candidate_draft)

    @property
    def public_correct(self) -> bool:
        """True when the citizen side's extracts (shown or not) hold every reference fact."""
        return self.expect == "answer" and bool(self.facts) and facts_found(self.facts, self.public_text)

    @property
    def correct(self) -> bool:
        """True when the assistant answered and the answer is correct."""
        return self.answered and self.candidate_correct


_NUM_SPACE = re.compile(r"(?<=\d)[\s  .](?=\d{3}\b)")
_HOUR = re.compile(r"\b(\d{1,2})\s*h(?:\s*(\d{2}))?\b")
_NON_WORD = re.compile(r"[^a-z0-9€%.]+")
_LONE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")


def normalise(text: str) -> str:
    """Fold case and accents, unify euros, thousands separators, hours ("8h30" = "8 h 30"), punctuation."""
    t = fold(text).replace("\u00a0", " ")
    t = re.sub(r"\beuros?\b", "€", t)
    t = _NUM_SPACE.sub("", t)
    t = re.sub(r"(\d),(\d)", r"\1.\2", t)
    t = _HOUR.sub(lambda m: f"{m.group(1)}h{m.group(2) or ''}", t)
    t = _LONE_DOT.sub(" ", _NON_WORD.sub(" ", t))
    t = re.sub(r"(\d)\s*€", r"\1 €", t)
    return f" {' '.join(t.split())} "


def facts_found(facts: Sequence[str], draft: str) -> bool:
    """True when every fact appears in the draft after normalisation (on word boundaries)."""
    norm = normalise(draft)
    return all(normalise(f) in norm for f in facts)


def rank_of_gold(ranked_docs: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based rank of the first gold document in the ranked list, or None."""
    for i, doc in enumerate(ranked_docs, start=1):
        if doc in gold:
            return i
    return None


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return round(ordered[k], 1)


def summarise(records: Sequence[Record]) -> dict[str, float | int | None]:
    """Every headline metric over a set of records."""
    with_gold = [r for r in records if r.gold]
    ranks = [rank_of_gold(r.ranked_docs, r.gold) for r in with_gold]
    answerable = [r for r in records if r.expect == "answer"]
    to_abstain = [r for r in records if r.expect == "abstain"]
    answered = [r for r in records if r.answered]
    abstained = [r for r in records if not r.answered]
    tp = sum(1 for r in to_abstain if not r.answered)
    precision = _ratio(tp, len(abstained))
    recall = _ratio(tp, len(to_abstain))
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else None
    return {
        "questions": len(records),
        "answerable": len(answerable),
        "to_abstain": len(to_abstain),
        "hit@1": _ratio(sum(1 for k in ranks if k is not None and k <= 1), len(with_gold)),
        "hit@5": _ratio(sum(1 for k in ranks if k is not None and k <= 5), len(with_gold)),
        "hit@10": _ratio(sum(1 for k in ranks if k is not None and k <= 10), len(with_gold)),
        "mrr": _ratio(sum(1.0 / k for k in ranks if k), len(with_gold)),
        "coverage": _ratio(len(answered), len(records)),
        "correctness": _ratio(sum(1 for r in answerable if r.correct), len(answerable)),
        "selective_accuracy": _ratio(sum(1 for r in answered if r.correct), len(answered)),
        "abstain_precision": precision,
        "abstain_recall": recall,
        "abstain_f1": f1,
        "over_abstention": _ratio(sum(1 for r in answerable if not r.answered), len(answerable)),
        "citation_validity": _ratio(sum(r.citations_valid for r in answered), sum(r.citations_total for r in answered)),
        "cited_sentences": _ratio(sum(r.sentences_cited for r in answered), sum(r.sentences_total for r in answered)),
        "public_coverage": _ratio(sum(1 for r in records if r.public_shown), len(records)),
        "public_precision": _ratio(
            sum(1 for r in records if r.public_shown and r.public_correct), sum(1 for r in records if r.public_shown)
        ),
        "public_not_verbatim": sum(r.public_not_verbatim for r in records),
        "llm_used": _ratio(sum(1 for r in answered if r.llm_status == "utilise"), len(answered))
        if any(r.llm_status for r in records)
        else None,
        "llm_removed_sentences": _ratio(sum(r.llm_removed for r in records), sum(r.llm_sentences for r in records)),
        "unsupported_facts": sum(r.unsupported_facts for r in answered),
        "latency_p50_ms": percentile([r.latency_ms for r in records], 50),
        "latency_p95_ms": percentile([r.latency_ms for r in records], 95),
    }


def public_curve(records: Sequence[Record]) -> list[dict[str, float]]:
    """The citizen side's precision against coverage as its threshold sweeps over the observed confidences."""
    eligible = [r for r in records if r.public_in_scope and r.public_text]
    curve = []
    for t in sorted({r.public_confidence for r in eligible}, reverse=True):
        shown = [r for r in eligible if r.public_confidence >= t]
        curve.append(
            {
                "threshold": round(t, 4),
                "shown": len(shown),
                "coverage": round(len(shown) / len(records), 4),
                "precision": round(sum(1 for r in shown if r.public_correct) / len(shown), 4),
            }
        )
    return curve


def breakdown(records: Sequence[Record], key: str) -> dict[str, dict[str, float | int | None]]:
    """``summarise`` for each value of ``key`` ("kind" or "theme")."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(getattr(r, key) or "(non renseigné)", []).append(r)
    return {name: summarise(group) for name, group in sorted(groups.items())}


def risk_coverage(records: Sequence[Record]) -> list[dict[str, float]]:
    """Selective accuracy against coverage as the threshold sweeps over the observed confidences."""
    eligible = [r for r in records if not r.guarded]
    thresholds = sorted({r.confidence for r in eligible}, reverse=True)
    curve = []
    for t in thresholds:
        answered = [r for r in eligible if r.confidence >= t]
        to_abstain = [r for r in records if r.expect == "abstain"]
        abstained_ok = sum(1 for r in to_abstain if r.guarded or r.confidence < t)
        answerable = [r for r in records if r.expect == "answer"]
        curve.append(
            {
                "threshold": round(t, 4),
                "coverage": round(len(answered) / len(records), 4),
                "selective_accuracy": round(sum(1 for r in answered if r.candidate_correct) / len(answered), 4),
                "abstain_recall": round(abstained_ok / len(to_abstain), 4) if to_abstain else 1.0,
                "over_abstention": round(
                    sum(1 for r in answerable if r.guarded or r.confidence < t) / len(answerable), 4
                )
                if answerable
                else 0.0,
            }
        )
    return curve
