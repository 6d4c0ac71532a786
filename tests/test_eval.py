"""`accueil eval` end to end on the development set, over the real index, and its out-of-fold measure."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from eval import crossval, harness
from eval.calibrate import Targets
from eval.dataset import Item, load_dataset
from eval.metrics import DEFINITIONS, summarise
from server.core.answer.assistant import Assistant
from server.core.answer.logistic import Logistic
from server.core.config import E5_MODEL, Settings
from tests.conftest import REPO_ROOT

DEV = REPO_ROOT / "eval" / "datasets" / "dev.jsonl"
TEST = REPO_ROOT / "eval" / "datasets" / "test.jsonl"


def test_datasets_have_the_required_shape() -> None:
    dev, test = load_dataset(DEV), load_dataset(TEST)
    answerable = [i for i in dev if i.expect == "answer"]
    adversarial = [i for i in dev if i.id.startswith("adv-")]
    assert len(dev) >= 250 and len(answerable) >= 150
    assert len([i for i in dev if i.expect == "abstain"]) - len(adversarial) >= 70 and len(adversarial) >= 20
    assert all(i.facts and i.gold_sources and i.kind and i.theme for i in answerable)
    assert not {i.question for i in dev} & {i.question for i in test}


def test_eval_cli_writes_a_complete_report(full_index: Settings, tmp_path: Path) -> None:
    out = tmp_path / "rapport"
    run = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "accueil"),
            "eval",
            "--dataset",
            str(TEST),  # the smaller split: the report's completeness does not depend on the number of questions
            "--out",
            str(out),
            "--data-dir",
            str(full_index.data_dir),
            "--today",
            "2027-07-01",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO_ROOT,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text())
    assert set(report["metrics"]) >= set(DEFINITIONS)
    metrics = report["metrics"]
    # The citizen side's precision is undefined when it shows no extract at all (its calibrated threshold says so);
    # the language model's figures are undefined in extractive mode, where no model is called.
    llm_only = {"llm_used", "llm_removed_sentences"}
    assert all(metrics[k] is not None for k in DEFINITIONS if k not in llm_only | {"public_precision"})
    assert all(metrics[k] is None for k in llm_only) and report["meta"]["mode"] == "extractive"
    assert metrics["unsupported_facts"] == 0
    assert metrics["public_precision"] is not None or metrics["public_coverage"] == 0
    assert metrics["public_not_verbatim"] == 0
    assert report["metrics"]["questions"] == len(load_dataset(TEST))
    assert report["metrics"]["citation_validity"] == 1.0
    assert {"identite", "dechets"} <= set(report["by_theme"]) and {"sms", "injection"} <= set(report["by_kind"])
    assert len(report["risk_coverage"]) > 10
    assert report["meta"]["documents"] > 400 and report["meta"]["embedding_model"] == E5_MODEL
    assert report["meta"]["today"] == "2027-07-01"
    assert set(report["meta"]["runtime"]) == {"onnxruntime", "onnx", "torch"}
    html = (out / "report.html").read_text()
    assert "<svg" in html and "seuil" in html and "Abstentions à tort" in html
    assert f"onnxruntime {report['meta']['runtime']['onnxruntime']}" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "le rapport doit être autonome (pas de CDN)"
    with open(out / "questions.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == report["metrics"]["questions"]


def test_same_dataset_same_index_same_numbers(full_index: Settings) -> None:
    items = load_dataset(DEV)[::9]
    first = harness.run(Assistant(full_index), items, progress=False)
    second = harness.run(Assistant(full_index), items, progress=False)
    assert [(r.status, r.confidence, r.ranked_docs, r.draft) for r in first] == [
        (r.status, r.confidence, r.ranked_docs, r.draft) for r in second
    ]


def test_a_model_sentence_citing_several_passages_counts_as_cited(full_index: Settings) -> None:
    """In llm mode a sentence may cite "[1, 2]": it is cited when every number backs a valid quote."""
    assistant = Assistant(full_index)
    result = assistant.draft("Quels sont les horaires d'ouverture de la mairie ?")
    assert result.status == "answered" and len(result.citations) >= 2
    body = "La mairie ouvre en semaine et le samedi matin [1, 2].\nElle ferme le dimanche [9]."
    written = result.model_copy(
        update={
            "draft": f"Bonjour,\n\nVoici les informations dont nous disposons :\n{body}\n\nCordialement,",
            "provenance": result.provenance.model_copy(update={"mode": "llm"}),
        }
    )
    _, _, segments, cited = harness._sentence_citations(written, assistant.index())
    assert (segments, cited) == (2, 1)


def test_out_of_fold_decides_each_question_with_models_fitted_without_it(
    full_index: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items = load_dataset(DEV)[::8]
    trained: list[set[str]] = []
    fit = crossval.fit_units

    def spied(assistant: Assistant, train: Sequence[Item]) -> Logistic:
        trained.append({item.id for item in train})
        return fit(assistant, train)

    monkeypatch.setattr(crossval, "fit_units", spied)
    calibration = Assistant(full_index).settings.calibration_path.read_bytes()
    held = crossval.out_of_fold(Assistant(full_index), items, folds=2, seed=0, targets=Targets())
    assert sorted(r.id for r in held) == sorted(i.id for i in items)  # every question once
    everyone = {i.id for i in items}
    first, second = (everyone - train for train in trained)  # the fold each model was fitted without
    assert first and second and first.isdisjoint(second) and first | second == everyone
    assert {r.id for r in held[: len(first)]} == first  # decided by the models fitted on the other fold
    assert not any(r.answered for r in held if r.guarded)
    m = summarise(held)
    over_abstention = m["over_abstention"]
    assert over_abstention is not None and 0 < over_abstention < 1  # both verdicts on answerable questions
    assert m["correctness"] and m["abstain_recall"]  # some right
    assert Assistant(full_index).settings.calibration_path.read_bytes() == calibration  # read, never written
    # The command prints one line per seed.
    dataset = full_index.data_dir.parent / "crossval.jsonl"
    dataset.write_text("".join(line + "\n" for line in DEV.read_text().splitlines()[::12]), encoding="utf-8")
    crossval.main(["--dataset", str(dataset), "--data-dir", str(full_index.data_dir), "--folds", "2", "--seeds", "3"])
    assert re.fullmatch(r"graine 3 : correctness [0-9.]+, selective_accuracy [0-9.]+, abstain_recall [0-9.]+, "
                        r"over_abstention [0-9.]+, hit@5 [0-9.]+\n", capsys.readouterr().out)  # fmt: skip
