"""Shape of eval/datasets/claims.jsonl: labelled reply sentences citing one service-public fiche as [1]."""

from __future__ import annotations

import json
import re

import pytest

from eval.claims_eval import DATASET as CLAIMS
from eval.claims_eval import calibrate, kept_rates, load, passage_text
from tests.conftest import REPO_ROOT, SUBSET

DATASETS = REPO_ROOT / "eval" / "datasets"
FIELDS = {"id", "split", "question_id", "doc_id", "sentence", "label", "kind"}
# kind -> label: only a faithful paraphrase is supported.
LABELS = {
    "paraphrase": "supported",
    "invented_claim": "unsupported",
    "wrong_fact": "unsupported",
    "off_topic": "unsupported",
}
MARKER = re.compile(r"\[1\]")


def _rows() -> list[dict[str, str]]:
    lines = CLAIMS.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines), "empty line in claims.jsonl"
    return [json.loads(line) for line in lines]


def _question_ids(split: str) -> set[str]:
    lines = (DATASETS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["id"] for line in lines if line.strip()}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_rows_are_well_formed() -> None:
    rows = _rows()
    assert len(rows) >= 160
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    questions = {split: _question_ids(split) for split in ("dev", "test")}
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert r["split"] in questions, r["id"]
        assert r["id"].startswith(f"claims-{r['split']}-"), r["id"]
        assert r["question_id"] in questions[r["split"]], r["id"]
        assert r["kind"] in LABELS and r["label"] == LABELS[r["kind"]], r["id"]
        assert MARKER.search(r["sentence"]), r["id"]
        assert r["sentence"].rstrip().endswith("."), r["id"]


def test_doc_belongs_to_question() -> None:
    gold = {}
    for split in ("dev", "test"):
        for line in (DATASETS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                gold[q["id"]] = set(q.get("gold_sources", []))
    for r in _rows():
        assert r["doc_id"] in gold[r["question_id"]], r["id"]


def test_fiches_exist_and_are_not_copied() -> None:
    if not SUBSET.is_dir():
        pytest.skip(f"Données service-public introuvables : {SUBSET}")
    texts: dict[str, str] = {}
    for r in _rows():
        path = SUBSET / f"{r['doc_id']}.xml"
        assert path.is_file(), r["id"]
        if r["doc_id"] not in texts:
            texts[r["doc_id"]] = _norm(passage_text(path))
        own = _norm(MARKER.sub(" ", r["sentence"])).rstrip(" .")
        assert own not in texts[r["doc_id"]], f"{r['id']} copies its fiche"


@pytest.mark.slow  # checks every claim against the 388 fiches
def test_calibrated_support_threshold_holds_on_the_test_split() -> None:
    """The threshold chosen on dev lets through few unsupported sentences on test, and most paraphrases."""
    if not SUBSET.is_dir():
        pytest.skip("données service-public absentes")
    claims = load()
    threshold, curve = calibrate(claims, SUBSET)
    assert [r["unsupported_kept"] for r in curve] == sorted((r["unsupported_kept"] for r in curve), reverse=True)
    test = kept_rates([c for c in claims if c.split == "test"], SUBSET, threshold)
    assert test["unsupported_kept"] <= 0.10, test
    assert test["supported_kept"] >= 0.70, test
