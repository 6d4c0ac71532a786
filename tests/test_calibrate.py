"""The calibration of ``accueil eval``: the citizen side's threshold (chosen, saved, applied), the confidence models."""

from __future__ import annotations

from pathlib import Path

from eval.calibrate import PUBLIC_MIN_SHOWN, calibrate_public, fit_correctness, rescore
from eval.metrics import Record
from server.core.answer.confidence import NEVER, Calibration
from tests.conftest import settings_for

FACT = "9 h à 12 h"


def _record(n: int, confidence: float, correct: bool) -> Record:
    text = f"La mairie est ouverte de {FACT}." if correct else "La mairie est fermée."
    return Record(
        id=f"q{n}", question="horaires ?", expect="answer", kind="fait", theme="Mairie", status="answered",
        confidence=confidence, guarded=False, facts=[FACT], gold=[], ranked_docs=[], draft=text, candidate_draft=text,
        public_confidence=confidence, public_in_scope=True, public_text=text,
    )  # fmt: skip


def test_the_lowest_threshold_reaching_the_precision_is_saved_and_marks_what_is_shown(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, calibration_file=tmp_path / "calibration.json")
    calibration = Calibration.default()
    calibration.threshold = 0.3
    right = [_record(n, 0.40 + 0.05 * n, True) for n in range(PUBLIC_MIN_SHOWN + 2)]
    wrong = [_record(100 + n, c, False) for n, c in enumerate((0.2, 0.32, 0.35))]
    said: list[str] = []
    calibrate_public(settings, calibration, right + wrong, said.append)
    assert calibration.public_threshold == 0.40
    saved = Calibration.load(settings.calibration_path)
    assert saved.public_threshold == 0.40 and "précision côté habitants ≥ 0.98" in saved.public_target
    assert [r.public_shown for r in right] == [True] * len(right)
    assert [r.public_shown for r in wrong] == [False] * 3
    assert said == [f"Seuil côté habitants : 0.400 ({saved.public_target.split('(', 1)[1][:-1]})."]


def test_too_few_right_answers_quote_no_document_to_citizens(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, calibration_file=tmp_path / "calibration.json")
    calibration = Calibration.default()
    records = [_record(n, 0.9, True) for n in range(PUBLIC_MIN_SHOWN - 1)]
    calibrate_public(settings, calibration, records, lambda line: None)
    assert calibration.public_threshold == NEVER
    assert Calibration.load(settings.calibration_path).public_threshold == NEVER
    assert not any(r.public_shown for r in records)


def _drafted(n: int, expect: str, correct: bool, sent_mean: float, guarded: bool = False) -> Record:
    text = f"La mairie est ouverte de {FACT}." if correct else "La mairie est fermée."
    return Record(
        id=f"d{n}", question="horaires ?", expect=expect, kind="fait", theme="Mairie", status="answered",
        confidence=0.5, guarded=guarded, facts=[FACT] if expect == "answer" else [], gold=[], ranked_docs=[],
        draft=text, candidate_draft=text, features={"sent_mean": sent_mean, "dense_top": 0.9},
    )  # fmt: skip


def test_the_correctness_model_learns_right_drafts_from_answerable_questions_only() -> None:
    right = [_drafted(n, "answer", True, 0.5 + 0.01 * n) for n in range(10)]
    wrong = [_drafted(20 + n, "answer", False, 0.1 + 0.01 * n) for n in range(10)]
    # Unanswerable and guarded questions with high sentence scores: were they read, high scores would look wrong.
    others = [_drafted(40 + n, "abstain", False, 0.9) for n in range(10)]
    others += [_drafted(60 + n, "answer", False, 0.9, guarded=True) for n in range(10)]
    model = fit_correctness(right + wrong + others)
    assert model.means["sent_mean"] == round(sum(r.features["sent_mean"] for r in right + wrong) / 20, 6)
    assert model.weights["sent_mean"] > 0
    assert model.score({"sent_mean": 0.6, "dense_top": 0.9}) > 0.8 > 0.2 > model.score({"sent_mean": 0.1})


def test_rescoring_blends_both_models_and_leaves_guarded_questions_at_zero() -> None:
    calibration = Calibration.default()
    answerable = [_drafted(n, "answer", n % 2 == 0, 0.1 + 0.08 * n) for n in range(10)]
    guarded = _drafted(99, "answer", True, 0.9, guarded=True)
    calibration.correctness = fit_correctness(answerable)
    calibration.blend = 0.75
    rescore([*answerable, guarded], calibration)
    for r in answerable:
        answerable = calibration.confidence.score(r.features)
        right = min(calibration.correctness.score(r.features), answerable)
        assert r.confidence == round(answerable**0.75 * right**0.25, 4) == round(calibration.score(r.features), 4)
    assert guarded.confidence == 0.0
