"""The answer memory's pair model, as calibrated, on the real index and model."""

from __future__ import annotations

import pytest

from server.core.answer import pairs
from server.core.answer.assistant import Assistant
from server.core.config import Settings


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("Quels sont les horaires de la médiathèque ?", "quels sont les horaires de la mediatheque", True),
        ("Horaires de la médiathèque ?", "La médiathèque : quels horaires ?", True),
        ("Combien coûte un passeport pour un adulte ?", "Combien coûte un passeport pour un mineur ?", False),
        ("Comment demander un acte de naissance ?", "Comment demander un acte de décès ?", False),
    ],
)
def test_close_questions_and_hard_negatives(full_index: Settings, a: str, b: str, close: bool) -> None:
    assistant = Assistant(full_index)
    va, vb = (pairs.question_vector(assistant.embedder, q) for q in (a, b))
    features = pairs.pair_features(assistant.index(), a, va, b, vb)
    assert assistant.calibration.memory.close(features) is close, features
