"""Whether the FAQ decision's best candidate is the answer: a score learnt on the labelled questions.

``match.Matcher.rank`` scores each (text, entry) pair and rejects conflicts; the best entry free of conflict is then
the answer or not. That acceptance is learnt (``eval/faq_fit.py``) on the top candidate of each labelled question of
the four tuning sets (faq-dev, faq-holdout, faq-blind, faq-blind2): the label is whether it is the expected entry.
A pair score reads one entry at a time and was fitted to rank; this one reads the chosen entry with what surrounds
it (how far it leads the next entry free of conflict, the share of an other entry's subject the text names), so a
near miss that ranks first by a hair is told from a paraphrase that stands out. It is a logistic model over a dozen
named features (``data/match_accept.json``: weights, means, scales), chosen by cross-validation grouped by entry
(a fold's entries never seen in its training), since the FAQ it serves is a commune's own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from server.core.answer.logistic import Logistic

log = logging.getLogger(__name__)

ACCEPT_FILE = Path(__file__).parent / "data" / "match_accept.json"
# The pair features the acceptance reads of the chosen entry (``match.Matcher.features``), plus its own: ``pair``
# (the pair score) and ``gap`` (how far it leads the next entry free of conflict).
PAIR_FEATURES = (
    "cos",
    "margin",
    "cover",
    "qcover",
    "long",
    "qa",
    "topic",
    "kind",
    "qa_margin",
    "cover_margin",
    "alien",
)
FEATURES = (*PAIR_FEATURES, "pair", "gap")


class Scored(Protocol):
    """What the acceptance reads of a candidate (``match.Candidate``)."""

    @property
    def score(self) -> float: ...

    @property
    def conflict(self) -> str | None: ...

    @property
    def features(self) -> dict[str, float]: ...


def accept_features(best: Scored, ranked: Sequence[Scored]) -> dict[str, float]:
    """The features of the chosen candidate ``best`` among the ranked ones (best first)."""
    others = [c.score for c in ranked if c.conflict is None and c is not best]
    found = {name: float(best.features.get(name, 0.0)) for name in PAIR_FEATURES}
    found["pair"] = best.score
    found["gap"] = best.score - max(others, default=0.0)
    return found


@lru_cache(maxsize=4)
def load(path: Path = ACCEPT_FILE) -> Logistic:
    """The fitted acceptance model (read once per process)."""
    return Logistic.from_dict(json.loads(path.read_text(encoding="utf-8")))


def accept_score(best: Scored, ranked: Sequence[Scored]) -> float:
    """Probability that ``best``, the best candidate free of conflict, is the text's answer."""
    return round(load().score(accept_features(best, ranked)), 4)
