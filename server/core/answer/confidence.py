"""Calibrated confidence that a draft is right, from retrieval and sentence evidence.

A logistic model over a few answerability features, fitted on the evaluation set by
``accueil eval --calibrate`` and stored with its threshold in the calibration file (configuration,
not code). Guards come first: a question with no content words, a prompt injection or a question in
another language is never answered.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from server.core.answer.draft import DEFAULT_UNIT_MODEL, Selection, covered, weights
from server.core.answer.index import Index
from server.core.answer.logistic import Logistic
from server.core.answer.question import Question
from server.core.answer.reasons import AbstainReason
from server.core.answer.retrieve import Retrieval
from server.core.answer.verify import DEFAULT_MIN_SUPPORT
from server.core.errors import ConfigError
from server.core.text import tokens

log = logging.getLogger(__name__)

FEATURES = (
    "other_place",
    "miss_best",
    "miss_sel",
    "dense_top",
    "cov_best",
    "cov_top3",
    "oov",
    "sent_best",
    "sent_cov",
    "kind_ok",
    "lex_norm",
    "agree",
    "n_terms",
    "sent_mean",
)


NEVER = 1.01


@dataclass
class Calibration:
    """The fitted models (sentence scorer, confidence) and the abstention threshold, from the calibration file."""

    confidence: Logistic
    units: Logistic
    threshold: float
    unit_floor: float = 0.4
    # The citizen side's threshold: above 1 until calibrated, i.e. documents are never quoted, only FAQ entries shown.
    public_threshold: float = NEVER
    public_target: str = ""
    # The verifier's content-word support threshold for the sentences of a language model (``llm`` mode).
    claim_support: float = DEFAULT_MIN_SUPPORT
    claim_target: str = ""
    target: str = ""
    fitted_on: str = ""
    version: str = "heuristique"

    @classmethod
    def default(cls) -> Calibration:
        """Used only when no calibration file exists: hand-set weights, cautious threshold."""
        return cls(
            confidence=Logistic({"sent_cov": 6.0, "cov_best": 4.0}, bias=-6.0), units=DEFAULT_UNIT_MODEL, threshold=0.6
        )

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read the calibration file, or fall back to the default with a warning."""
        if not path.exists():
            log.warning("Pas de fichier de calibration (%s) : confiance heuristique.", path)
            return cls.default()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                confidence=Logistic.from_dict(data["confidence"]),
                units=Logistic.from_dict(data["units"]),
                threshold=float(data["threshold"]),
                unit_floor=float(data.get("unit_floor", 0.4)),
                public_threshold=float(data.get("public_threshold", NEVER)),
                public_target=str(data.get("public_target", "")),
                claim_support=float(data.get("claim_support", DEFAULT_MIN_SUPPORT)),
                claim_target=str(data.get("claim_target", "")),
                target=str(data.get("target", "")),
                fitted_on=str(data.get("fitted_on", "")),
                version=str(data.get("version", "")),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"Fichier de calibration invalide {path} : {exc}") from exc

    def save(self, path: Path) -> None:
        """Write the calibration file."""
        data = {
            "version": self.version,
            "fitted_on": self.fitted_on,
            "target": self.target,
            "threshold": self.threshold,
            "unit_floor": self.unit_floor,
            "confidence": self.confidence.to_dict(),
            "units": self.units.to_dict(),
            "public_threshold": self.public_threshold,
            "public_target": self.public_target,
            "claim_support": self.claim_support,
            "claim_target": self.claim_target,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def score(self, feats: dict[str, float]) -> float:
        """Probability that an answered draft is correct."""
        return self.confidence.score(feats)


def features(index: Index, question: Question, retrieval: Retrieval, selection: Selection) -> dict[str, float]:
    """The answerability evidence of one question."""
    w = weights(index, question.terms)
    hits = retrieval.hits

    def terms_of(i: int) -> AbstractSet[str]:
        return _embedding_terms(hits[i].chunk.embedding_text()) if i < len(hits) else frozenset()

    best = terms_of(0)
    top3 = best | terms_of(1) | terms_of(2)
    total_idf = sum(w.values())
    oov = sum(v for t, v in w.items() if t not in index.df) / total_idf if total_idf else 1.0
    dense_best = max(hits, key=lambda h: h.dense, default=None)
    lex_best = max(hits, key=lambda h: h.lexical, default=None)
    agree = float(dense_best is not None and lex_best is not None and dense_best.chunk.doc_id == lex_best.chunk.doc_id)
    log_n = math.log(index.n_chunks + 1) or 1.0
    return {
        "other_place": float(question.other_place),
        "miss_best": max((v for t, v in w.items() if t not in best), default=0.0) / log_n,
        "miss_sel": max((v for t, v in w.items() if t not in selection.present), default=0.0) / log_n,
        "dense_top": retrieval.dense_top,
        "cov_best": covered(w, best),
        "cov_top3": covered(w, top3),
        "oov": oov,
        "sent_best": selection.best_score,
        "sent_cov": selection.coverage,
        "kind_ok": selection.kind_ok,
        "lex_norm": retrieval.lexical_top / (total_idf + 1e-9),
        "agree": agree,
        "n_terms": math.log1p(len(w)),
        "sent_mean": selection.chosen_score,
    }


# Chunks whose terms are kept (``_embedding_terms``): the three best of each question, a few KB each.
TERMS_CACHE_CHUNKS = 1024


@lru_cache(maxsize=TERMS_CACHE_CHUNKS)
def _embedding_terms(text: str) -> frozenset[str]:
    """The distinct terms of a chunk's embedding text (its breadcrumb and text), read once while it stays in use."""
    return frozenset(tokens(text))


def guard(question: Question) -> AbstainReason | None:
    """A reason never to answer, or None."""
    if question.injection:
        return AbstainReason.OUT_OF_ROLE
    if question.foreign:
        return AbstainReason.FOREIGN_LANGUAGE
    if not question.terms:
        return AbstainReason.NO_KEYWORD
    return None
