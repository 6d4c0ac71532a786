"""The citizen side's calibration (``accueil eval --calibrate-public``): threshold chosen, saved, and applied; the
agents' threshold chosen on out-of-fold confidences."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from eval import calibrate
from eval.calibrate import (
    WRONG_DRAFT_LABEL,
    calibrate_public,
    confidence_label,
    fit_confidence,
    held_out,
    held_out_public,
    precision_lower_bound,
)
from eval.metrics import Record
from server.core.answer.confidence import FEATURES, NEVER, Calibration
from tests.conftest import REPO_ROOT, settings_for

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
    right = [_record(n, 0.40 + 0.001 * n, True) for n in range(140)]
    wrong = [_record(100 + n, c, False) for n, c in enumerate((0.2, 0.32, 0.35))]
    said: list[str] = []
    calibrate_public(settings, calibration, right + wrong, said.append)
    assert calibration.public_threshold == 0.40
    saved = Calibration.load(settings.calibration_path)
    assert saved.public_threshold == 0.40 and "précision côté habitants ≥ 0.98" in saved.public_target
    assert [r.public_shown for r in right] == [True] * len(right)
    assert [r.public_shown for r in wrong] == [False] * 3
    assert said == [f"Seuil côté habitants : 0.400 ({saved.public_target.split('(', 1)[1][:-1]})."]


def test_the_precision_is_judged_by_the_lower_end_of_its_interval() -> None:
    assert precision_lower_bound(0, 0) == 0.0
    assert round(precision_lower_bound(10, 10), 3) == 0.787  # ten right answers say little about 0.98
    assert precision_lower_bound(133, 133) >= 0.98 > precision_lower_bound(132, 132)
    assert precision_lower_bound(300, 303) < 0.98 < 300 / 303 and precision_lower_bound(500, 503) >= 0.98
    assert round(precision_lower_bound(45, 50), 3) == 0.808  # Wilson, one-sided 95 %


def test_too_few_right_answers_quote_no_document_to_citizens(tmp_path: Path) -> None:
    """As on dev in session 15: every answer above the threshold right, but too few to establish 0.98."""
    settings = settings_for(tmp_path, calibration_file=tmp_path / "calibration.json")
    calibration = Calibration.default()
    records = [_record(n, 0.9, True) for n in range(132)]
    calibrate_public(settings, calibration, records, lambda line: None)
    assert calibration.public_threshold == NEVER
    assert Calibration.load(settings.calibration_path).public_threshold == NEVER
    assert not any(r.public_shown for r in records)


def test_the_threshold_is_chosen_on_scores_from_models_fitted_without_each_question() -> None:
    # One feature tells answerable questions (expect "answer") from the others, with noise a fitted model learns.
    rng = np.random.default_rng(0)
    records = []
    for n in range(40):
        answerable = n % 2 == 0
        r = _record(n, 0.5, True)
        r.expect = "answer" if answerable else "abstain"
        r.features = {name: float(rng.normal()) for name in FEATURES}
        r.features["dense_top"] += 1.0 if answerable else -1.0
        records.append(r)
    scored = held_out(records, folds=4)
    assert [r.confidence for r in records] == [0.5] * 40  # the records themselves are left as they were
    assert [r.id for r in scored] == [r.id for r in records]
    for k in range(4):  # each question scored by the model fitted on the three other folds
        model = fit_confidence([r for i, r in enumerate(records) if i % 4 != k])
        assert all(scored[i].confidence == round(model.score(records[i].features), 4) for i in range(k, 40, 4))
    in_sample = fit_confidence(records)
    assert any(scored[i].confidence != round(in_sample.score(r.features), 4) for i, r in enumerate(records))


def test_a_wrong_draft_of_an_answerable_question_counts_between_a_right_draft_and_no_answer() -> None:
    right, wrong, unanswerable = _record(1, 0.5, True), _record(2, 0.5, False), _record(3, 0.5, True)
    unanswerable.expect = "abstain"
    assert [confidence_label(r) for r in (right, wrong, unanswerable)] == [1.0, WRONG_DRAFT_LABEL, 0.0]
    assert 0.0 < WRONG_DRAFT_LABEL < 1.0


def test_evidence_telling_a_right_draft_from_a_wrong_one_weighs_in_the_confidence() -> None:
    # Among answerable questions, sent_best is higher for right drafts; dense_top tells answerable ones from the rest.
    # Fitted on "answerable" alone, sent_best would get no weight: here a right draft must score above a wrong one.
    rng = np.random.default_rng(0)
    records = []
    for n in range(60):
        kind = n % 3  # 0 right draft, 1 wrong draft, 2 not answerable
        r = _record(n, 0.5, kind == 0)
        r.expect = "abstain" if kind == 2 else "answer"
        r.features = {name: float(rng.normal()) for name in FEATURES}
        r.features["dense_top"] += -1.0 if kind == 2 else 1.0
        r.features["sent_best"] += {0: 1.0, 1: -1.0, 2: 0.0}[kind]
        records.append(r)
    model = fit_confidence(records)
    assert model.weights["sent_best"] > 0.3
    base = dict.fromkeys(FEATURES, 0.0) | {"dense_top": 1.0}
    assert model.score(base | {"sent_best": 1.0}) > model.score(base | {"sent_best": -1.0}) + 0.1


def test_the_citizen_side_s_threshold_is_chosen_on_out_of_fold_confidences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft scored by a model fitted on its own question looks surer than it is: the citizen side's confidences
    are rescored, from their features, by models fitted without each fold, and the threshold is chosen on those."""
    rng = np.random.default_rng(1)
    records = []
    for n in range(40):
        r = _record(n, 0.5, n % 3 != 0)
        r.expect = "answer" if n % 2 == 0 else "abstain"
        r.features = {name: float(rng.normal()) for name in FEATURES}
        r.public_features = {name: float(rng.normal()) for name in FEATURES}
        r.public_confidence = 0.99  # in sample: every citizen-side draft looks sure
        records.append(r)
    scored = held_out_public(records, folds=4)
    assert [r.public_confidence for r in records] == [0.99] * 40  # the records themselves are left as they were
    for k in range(4):
        model = fit_confidence([r for i, r in enumerate(records) if i % 4 != k])
        expected = [round(model.score(records[i].public_features), 4) for i in range(k, 40, 4)]
        assert [scored[i].public_confidence for i in range(k, 40, 4)] == expected
    # ``calibrate_public`` chooses on those scores: all right and sure in sample, unsure out of fold, none is quoted.
    sure = [_record(n, 0.99, True) for n in range(140)]
    for r in sure:
        r.public_features = {"dense_top": 1.0}
    monkeypatch.setattr(calibrate, "held_out_public", lambda rs: [replace(r, public_confidence=0.1) for r in rs])
    settings = settings_for(tmp_path, calibration_file=tmp_path / "calibration.json")
    calibration = Calibration.default()
    calibrate_public(settings, calibration, sure, lambda line: None)
    assert calibration.public_threshold == NEVER
    # Without public features (older records), the confidences are kept as they are.
    plain = [_record(n, 0.9, True) for n in range(3)]
    assert [r.public_confidence for r in held_out_public(plain)] == [0.9] * 3


def test_the_committed_calibration_quotes_no_document_to_citizens() -> None:
    """Documents are quoted to citizens only once their precision reaches 0.98 on the frozen test (issue #22): in
    session 15 the rule found 0.971 on dev's out-of-fold scores and the test gave 2 answers above it, 0.40 precision at
    the in-sample threshold. Since session 16 the rule asks the lower end of the precision's interval to reach 0.98
    and keeps them off by itself; a recalibration that turns them on must still be measured on test first, and this
    test changed with the figures."""
    for name in ("calibration.json", "calibration-minilm.json"):
        saved = Calibration.load(REPO_ROOT / "config" / name)
        assert saved.public_threshold >= NEVER, f"{name} : extraits montrés aux habitants sans mesure sur le test"
