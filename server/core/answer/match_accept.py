"""Whether the FAQ decision's best candidate is the answer: a score learnt on the labelled questions.

``match.Matcher.rank`` scores each (text, entry) pair and marks what the rules reject; the best entry they do not
reject is then the answer or not. That acceptance is learnt (``eval/faq_fit.py``) on the top candidate of each
labelled question of the twelve tuning sets (faq-dev, faq-holdout, faq-blind to faq-blind10): the label is whether it
is the expected entry. A pair score reads one entry at a time and was fitted to
rank; this one reads the chosen entry with what surrounds it (how far it leads the next entry the rules do not
reject, the share of an other entry's subject the text names), so a near miss that ranks first by a hair is told
from a paraphrase that stands out. It also reads the parts of the rules that it may overrule (``OVERRULED``): the
candidate it judges is the best one that no other part rejects, so a near miss those parts flag is weighed, and
refused, rather than passed over for a farther entry. It is a logistic model over named features
(``data/match_accept.json``: weights, means, scales), chosen by leaving out each tuning set in turn (a set is one
writer's: the citizen writes otherwise than every question seen) and by cross-validation grouped by entry (a fold's
entries never seen in its training, since the FAQ it serves is a commune's own).
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
# The parts of the decision's rules that this score reads and may overrule, rather than reject the entry outright:
# the kind of fact asked seemingly not given (``fait``), a place named after « à », « de »… that the entry does not
# mention (``alien_place``), something no entry speaks of (``alien_strange``). In the grouped cross-validation these
# reject real paraphrases (« le bip pour rentrer à la déchetterie », « une cabane de jardin de 10 m² ») about as
# often as near misses; the other parts of the place rule (another entry's subject, a narrower case, a name, a day)
# lost recall at high precision when overruled, and stay rejections.
OVERRULED = ("fait", "alien_place", "alien_strange")
# The pair features the acceptance reads of the chosen entry (``match.Matcher.features``; ``alien`` is read from the
# parts of the place rule that still reject, see ``firm_alien``), plus its own: ``pair`` (the pair score) and ``gap``
# (how far it leads the next entry the rules do not reject). Not read: the text's length (``long``) and the cosine
# margins (``margin``, ``qa_margin``), which follow how a person writes more than what is asked: with each tuning set
# (one writer) left out in turn, dropping them held recall 0.444 against 0.406 at pooled precision 0.98 (0.474 both at
# 0.97; ``python -m eval.faq_fit``). ``numbers`` (the share of the question's values that the answer neither holds
# nor bounds, ``match_values``: « un quotient familial de 1 000 € » against the canteen's two brackets) was added in
# session 13: with the seven tuning sets, recall at pooled precision 0.98 went 0.377 -> 0.446 grouped by entry and
# 0.413 -> 0.462 leaving each set out. Whether the answer holds a value of the kind asked at all (a price, a time)
# and whether it counts the thing asked (« combien de personnes ») were tried the same way and gave nothing.
PAIR_FEATURES = (
    "cos",
    "cover",
    "qcover",
    "qa",
    "topic",
    "kind",
    "cover_margin",
    "alien",
    "numbers",
)
FEATURES = (*PAIR_FEATURES, *OVERRULED, "pair", "gap")
# The parts of the place rule (``match.Matcher.features``): ``alien`` is their highest.
ALIEN_PARTS = ("alien_subject", "alien_place", "alien_narrow", "alien_name", "alien_day", "alien_strange")


def firm_alien(features: dict[str, float]) -> float:
    """The highest part of the place rule that the acceptance does not overrule."""
    return max((features.get(p, 0.0) for p in ALIEN_PARTS if p not in OVERRULED), default=0.0)


class Scored(Protocol):
    """What the acceptance reads of a candidate (``match.Candidate``)."""

    @property
    def score(self) -> float: ...

    @property
    def firm(self) -> str | None: ...

    @property
    def features(self) -> dict[str, float]: ...


def accept_features(best: Scored, ranked: Sequence[Scored]) -> dict[str, float]:
    """The features of the chosen candidate ``best`` among the ranked ones (best first)."""
    others = [c.score for c in ranked if c.firm is None and c is not best]
    found = {name: float(best.features.get(name, 0.0)) for name in (*PAIR_FEATURES, *OVERRULED)}
    found["alien"] = firm_alien(best.features)
    found["pair"] = best.score
    found["gap"] = best.score - max(others, default=0.0)
    return found


@lru_cache(maxsize=4)
def load(path: Path = ACCEPT_FILE) -> Logistic:
    """The fitted acceptance model (read once per process)."""
    return Logistic.from_dict(json.loads(path.read_text(encoding="utf-8")))


def accept_score(best: Scored, ranked: Sequence[Scored]) -> float:
    """Probability that ``best``, the best candidate free of firm conflict, is the text's answer."""
    return round(load().score(accept_features(best, ranked)), 4)
