"""The calibrated confidence: the blend of the answerability and correctness models, and its calibration file."""

from __future__ import annotations

import json
from pathlib import Path

from server.core.answer.confidence import Calibration
from server.core.answer.logistic import Logistic

FEATS = {"sent_mean": 0.4, "dense_top": 0.9}


def _calibration(blend: float, with_correctness: bool = True) -> Calibration:
    calibration = Calibration.default()
    calibration.confidence = Logistic({"dense_top": 2.0}, bias=-1.0)  # 0.69 on FEATS
    calibration.correctness = Logistic({"sent_mean": 5.0}, bias=-4.0) if with_correctness else None  # 0.12
    calibration.blend = blend
    return calibration


def test_the_confidence_is_the_weighted_geometric_mean_of_both_models() -> None:
    calibration = _calibration(0.75)
    answerable = calibration.confidence.score(FEATS)
    right = Logistic({"sent_mean": 5.0}, bias=-4.0).score(FEATS)
    assert right < answerable
    assert calibration.score(FEATS) == answerable**0.75 * right**0.25
    # A draft judged unlikely right lowers the confidence of an answerable question.
    assert right < calibration.score(FEATS) < answerable


def test_a_draft_judged_right_never_lifts_the_confidence_of_a_question_above_its_answerability() -> None:
    calibration = _calibration(0.75)
    calibration.correctness = Logistic({"sent_mean": 5.0}, bias=4.0)  # 0.998 on FEATS
    assert calibration.score(FEATS) == calibration.confidence.score(FEATS)


def test_without_a_correctness_model_or_with_full_weight_only_answerability_counts() -> None:
    answerable = _calibration(1.0).confidence.score(FEATS)
    assert _calibration(1.0).score(FEATS) == answerable
    assert _calibration(0.5, with_correctness=False).score(FEATS) == answerable


def test_the_blend_is_saved_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    _calibration(0.75).save(path)
    saved = Calibration.load(path)
    assert saved.blend == 0.75 and saved.correctness == _calibration(0.75).correctness
    assert saved.score(FEATS) == _calibration(0.75).score(FEATS)
    # A file written before the correctness model existed still reads, as answerability alone.
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["correctness"], data["blend"]
    path.write_text(json.dumps(data), encoding="utf-8")
    old = Calibration.load(path)
    assert old.correctness is None and old.score(FEATS) == old.confidence.score(FEATS)
