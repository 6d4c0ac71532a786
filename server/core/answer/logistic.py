"""A logistic model over named features, standardised: the form of both calibrated models of accueil."""

from __future__ import annotations

import math
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
        z = self.bias
        for name, w in self.weights.items():
            mean = self.means.get(name, 0.0)
            scale = self.scales.get(name, 1.0) or 1.0
            z += w * (feats.get(name, mean) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

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
