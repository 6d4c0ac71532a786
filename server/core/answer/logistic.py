"""A logistic model over named features, standardised: the form of both calibrated models of accueil."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Logistic:
    """``sigmoid(bias + Σ weight·(x - mean)/scale)`` over named features; missing features count as their mean."""

    weights: dict[str, float]
    bias: float = 0.0
    means: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)

    def score(self, feats: dict[str, float]) -> float:
        """Probability of the positive class."""
        return self.scores([feats])[0]

    def scores(self, rows: Sequence[dict[str, float]]) -> list[float]:
        """``score`` of each row, the model's terms read once for all of them (the sentences of a draft)."""
        terms = [
            (name, w, self.means.get(name, 0.0), self.scales.get(name, 1.0) or 1.0) for name, w in self.weights.items()
        ]
        out: list[float] = []
        for feats in rows:
            z = self.bias
            for name, w, mean, scale in terms:
                z += w * (feats.get(name, mean) - mean) / scale
            out.append(1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0))))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"weights": self.weights, "bias": self.bias, "means": self.means, "scales": self.scales}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Logistic:
        """Inverse of ``to_dict``."""
        return cls(
            weights=dict(data["weights"]),
            bias=float(data.get("bias", 0.0)),
            means=dict(data.get("means", {})),
            scales=dict(data.get("scales", {})),
        )
