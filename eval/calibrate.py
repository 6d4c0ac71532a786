"""Fitting the two calibrated models on an evaluation set, and choosing the abstention threshold.

1. The sentence scorer: a logistic regression telling, for each candidate sentence of the retrieved
   chunks, whether it holds a fact of the reference answer.
2. The confidence model: a logistic regression of "the sources answer this question" on the answerability
   features of the question.
3. The threshold: the lowest confidence (most answers) whose selective accuracy on the set reaches the
   target while abstention recall also reaches its target; failing both, the best compromise.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.dataset import Item
from eval.metrics import Record, public_curve, risk_coverage
from server.core.answer import draft as drafting
from server.core.answer.assistant import Assistant
from server.core.answer.confidence import FEATURES, NEVER
from server.core.answer.logistic import Logistic
from server.core.answer.pairs import PairRule, pair_features, question_vector
from server.core.answer.question import analyse
from server.core.answer.retrieve import retrieve


def fit_logistic(
    rows: list[dict[str, float]],
    labels: list[float],
    names: Sequence[str],
    l2: float = 0.02,
    steps: int = 3000,
    lr: float = 0.2,
) -> Logistic:
    """L2-regularised logistic regression by gradient descent on standardised features."""
    x = np.array([[r.get(f, 0.0) for f in names] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        w -= lr * (z.T @ (p - y) / len(y) + l2 * w)
        b -= lr * float(np.mean(p - y))
    return Logistic(
        weights={f: round(float(v), 5) for f, v in zip(names, w, strict=True)},
        bias=round(b, 5),
        means={f: round(float(v), 6) for f, v in zip(names, means, strict=True)},
        scales={f: round(float(v), 6) for f, v in zip(names, scales, strict=True)},
    )


def fit_units(assistant: Assistant, items: Sequence[Item]) -> Logistic:
    """Fit the sentence scorer on the candidate sentences of the answerable questions."""
    index = assistant.index()
    rows: list[dict[str, float]] = []
    labels: list[float] = []
    for item in items:
        if item.expect != "answer" or not item.facts:
            continue
        q = analyse(item.question, commune=assistant.settings.commune_name)
        found = retrieve(
            index,
            assistant.embedder.encode([q.query])[0],
            q,
            assistant.settings.retrieval_candidates,
            public_only=False,
        )
        for unit in drafting.candidate_units(index, q, found.hits):
            rows.append(unit.features)
            labels.append(1.0 if drafting.contains_fact(unit.text, item.facts) else 0.0)
    return fit_logistic(rows, labels, drafting.UNIT_FEATURES)


def fit_confidence(records: Sequence[Record]) -> Logistic:
    """Fit the confidence model: probability that the sources answer the question (guarded questions left out).

    Fitted on "the question is answerable" rather than on "the draft is fully correct": in 4-fold cross-validation
    on the development set it abstained wrongly on 53 % of answerable questions at 90 % abstention recall, against
    70 % for the correctness label, with the same accuracy of the answers given.
    """
    rows = [r for r in records if not r.guarded]
    return fit_logistic([r.features for r in rows], [1.0 if r.expect == "answer" else 0.0 for r in rows], FEATURES)


def rescore(records: Sequence[Record], model: Logistic) -> None:
    """Recompute each record's confidence with ``model`` (guarded questions stay at 0)."""
    for r in records:
        r.confidence = 0.0 if r.guarded else round(model.score(r.features), 4)


def choose_threshold(
    records: Sequence[Record], target_accuracy: float, target_recall: float, min_coverage: float
) -> tuple[float, str]:
    """The threshold and the rule that chose it.

    Preferred: the lowest threshold (most answers) whose selective accuracy reaches ``target_accuracy`` while
    abstention recall reaches ``target_recall``, provided it still answers at least ``min_coverage`` of the
    answerable questions. When the accuracy target cannot be met at a useful coverage, the lowest threshold that
    keeps abstention recall at its target: never answer what the sources do not cover, and say in the report
    that the accuracy target is missed.
    """
    curve = risk_coverage(records)
    useful = [p for p in curve if 1.0 - p["over_abstention"] >= min_coverage]
    both = [p for p in useful if p["selective_accuracy"] >= target_accuracy and p["abstain_recall"] >= target_recall]
    if both:
        return min(p["threshold"] for p in both), "précision et rappel d'abstention atteints"
    recall_ok = [p for p in curve if p["abstain_recall"] >= target_recall]
    if recall_ok:
        return min(p["threshold"] for p in recall_ok), (
            f"précision {target_accuracy:.2f} inatteignable avec au moins {min_coverage:.0%} de réponses : "
            f"seuil le plus bas gardant le rappel d'abstention ≥ {target_recall:.2f}"
        )
    return max(p["threshold"] for p in curve), "aucun seuil n'atteint les cibles : seuil le plus prudent"


def choose_public_threshold(
    records: Sequence[Record], floor: float, target_precision: float, min_shown: int
) -> tuple[float, str]:
    """The citizen side's threshold: the lowest (at or above the agents' ``floor``) whose answers reach
    ``target_precision`` with at least ``min_shown`` answers; when none does, documents are never quoted to
    citizens (only published FAQ entries are shown), and the rule says so."""
    ok = [
        p["threshold"]
        for p in public_curve(records)
        if p["threshold"] >= floor and p["shown"] >= min_shown and p["precision"] >= target_precision
    ]
    if ok:
        return min(ok), f"précision ≥ {target_precision:.2f} avec au moins {min_shown} réponses"
    return NEVER, (
        f"précision {target_precision:.2f} inatteignable avec au moins {min_shown} réponses : aucun extrait de "
        "document n'est montré aux habitants, seules les entrées de FAQ publiées le sont"
    )


def stamp(dataset: str, target_accuracy: float, target_recall: float, rule: str) -> dict[str, str]:
    """What a calibration was fitted on, for which targets, and which rule chose the threshold."""
    return {
        "target": (
            f"précision des réponses ≥ {target_accuracy:.2f} et rappel d'abstention ≥ {target_recall:.2f} ({rule})"
        ),
        "fitted_on": dataset,
        "version": f"logistique-{dt.date.today().isoformat()}",
    }


def load_pairs(path: Path) -> list[dict[str, Any]]:
    """The answer-memory pairs: {"id", "a", "b", "same"} per line."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fit_memory(
    assistant: Assistant, pairs: list[dict[str, Any]], min_recall: float = 0.03
) -> tuple[PairRule, float, float]:
    """Choose the answer-memory limits: best precision on the pairs among rules keeping ``min_recall``.

    Precision comes first: offering the reply to another question (adult vs minor fee) misleads the agent,
    missing a paraphrase only costs a new draft.

    Returns (rule, precision, recall) measured on the pairs.
    """
    index = assistant.index()
    vectors_a = [question_vector(assistant.embedder, p["a"]) for p in pairs]
    vectors_b = [question_vector(assistant.embedder, p["b"]) for p in pairs]
    rows = [pair_features(index, p["a"], va, p["b"], vb) for p, va, vb in zip(pairs, vectors_a, vectors_b, strict=True)]
    labels = [bool(p["same"]) for p in pairs]
    positives = sum(labels) or 1
    best = (PairRule(), 0.0, 0.0)
    for min_cos in np.arange(0.5, 1.0, 0.025):
        for max_diff in np.arange(0.0, 1.2, 0.05):
            rule = PairRule(round(float(min_cos), 3), round(float(max_diff), 3))
            chosen = [lab for r, lab in zip(rows, labels, strict=True) if rule.close(r)]
            if not chosen:
                continue
            precision, recall = sum(chosen) / len(chosen), sum(chosen) / positives
            if recall >= min_recall and (precision, recall) > (best[1], best[2]):
                best = (rule, precision, recall)
    return best[0], round(best[1], 4), round(best[2], 4)
