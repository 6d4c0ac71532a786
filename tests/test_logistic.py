"""The logistic model: one row and many rows scored alike."""

from __future__ import annotations

import math

from server.core.answer.logistic import Logistic


def test_scores_of_many_rows_are_each_rows_score() -> None:
    model = Logistic(
        weights={"own": 1.7, "ctx": -0.3, "kind": 0.9, "short": -2.0},
        bias=-0.4,
        means={"own": 0.31, "ctx": 0.2},
        scales={"own": 0.17, "ctx": 0.0, "kind": 0.5},  # a zero scale counts as 1
    )
    rows = [
        {"own": 0.5, "ctx": 0.1, "kind": 1.0, "short": 0.0},
        {"own": 0.0, "kind": 0.0, "short": 1.0},  # ctx missing: counts as its mean
        {"own": 900.0, "ctx": 0.0, "kind": 1.0, "short": 0.0},  # z capped at 50
        {},
    ]

    def reference(feats: dict[str, float]) -> float:
        z = model.bias
        for name, w in model.weights.items():
            mean = model.means.get(name, 0.0)
            scale = model.scales.get(name, 1.0) or 1.0
            z += w * (feats.get(name, mean) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    assert model.scores(rows) == [model.score(r) for r in rows] == [reference(r) for r in rows]
    assert model.scores([]) == []
    assert model.score(rows[2]) == 1.0 / (1.0 + math.exp(-50.0))
