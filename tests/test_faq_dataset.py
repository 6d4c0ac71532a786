"""Shape of the citizen FAQ evaluation set: eval/datasets/faq-entries.jsonl, faq-dev.jsonl, faq-test.jsonl,
faq-holdout.jsonl (a second frozen set, written later by someone who saw neither the matcher nor faq-test),
faq-blind.jsonl (a third frozen set, written by someone who saw neither the matcher nor any other question set),
faq-blind2.jsonl (a fourth frozen set, written the same way), faq-blind3.jsonl (a fifth frozen set, written the same
way), faq-blind4.jsonl (a sixth frozen set, written the same way), faq-blind5.jsonl (a seventh frozen set, written the
same way), faq-blind6.jsonl (an eighth frozen set, written the same way), faq-blind7.jsonl (a ninth frozen set,
written the same way), faq-blind8.jsonl (a tenth frozen set, written the same way), faq-blind9.jsonl (an eleventh
frozen set, written the same way), faq-blind10.jsonl (a twelfth frozen set, written the same way), faq-blind11.jsonl
(a thirteenth frozen set, written the same way), faq-blind12.jsonl (a fourteenth frozen set, written the same
way) and faq-blind13.jsonl (a fifteenth frozen set, written the same way)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ingest.loaders import load_bytes
from ingest.loaders.markdown import split_front_matter
from ingest.sources import discover
from tests.conftest import CORPUS, REPO_ROOT

DATASETS = REPO_ROOT / "eval" / "datasets"
# Frozen sets written after the dev/test split, kept out of its proportions.
FROZEN_LATER = ("holdout", "blind", *(f"blind{n}" for n in range(2, 14)))
SPLITS = ("dev", "test", *FROZEN_LATER)
ENTRY_FIELDS = {"question", "answer", "variants", "sources"}
QUESTION_FIELDS = {"id", "question", "entry", "kind"}
# Kinds of questions an entry answers, and of questions none answers.
ANSWERED = {"paraphrase", "faute", "sans-accents", "oral", "histoire"}
UNANSWERED = {"voisin-lieu", "voisin-fait", "personnel", "autre-commune", "hors-sujet", "manipulation"}


def _lines(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines), f"empty line in {path.name}"
    rows = [json.loads(line) for line in lines]
    assert all(isinstance(row, dict) for row in rows), path.name
    return rows


def _entries() -> list[dict[str, Any]]:
    return _lines(DATASETS / "faq-entries.jsonl")


def _questions() -> dict[str, list[dict[str, Any]]]:
    return {split: _lines(DATASETS / f"faq-{split}.jsonl") for split in SPLITS}


def _folded(text: str) -> str:
    """Case, accents and punctuation folded: two questions equal here are the same question."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c))
    return " ".join(text.split())


def _corpus_public() -> dict[str, bool]:
    """Every demo corpus document id (as the loaders form it), and whether citizens may read it."""
    docs: dict[str, bool] = {}
    for source in discover(CORPUS):
        data = source.read()
        meta, _ = split_front_matter(source.name, data.decode("utf-8"))
        for doc in load_bytes(source.name, data, source.doc_id):
            docs[doc.doc_id] = meta.get("audience") == "public"
    return docs


def test_entries_are_well_formed() -> None:
    entries = _entries()
    assert 35 <= len(entries) <= 60
    questions = [e["question"] for e in entries]
    assert len(set(questions)) == len(questions), "two entries with the same question"
    for e in entries:
        assert set(e) == ENTRY_FIELDS, e["question"]
        assert isinstance(e["question"], str) and e["question"].strip(), e
        assert isinstance(e["answer"], str) and e["answer"].strip(), e["question"]
        variants = e["variants"]
        assert isinstance(variants, list) and 2 <= len(variants) <= 3, e["question"]
        assert all(isinstance(v, str) and v.strip() for v in variants), e["question"]
        assert isinstance(e["sources"], list) and e["sources"], e["question"]


def test_sources_are_public_documents_of_the_demo_corpus() -> None:
    public = _corpus_public()
    assert len(public) >= 50
    for e in _entries():
        for doc_id in e["sources"]:
            assert doc_id in public, f"{e['question']}: unknown document {doc_id}"
            assert public[doc_id], f"{e['question']}: {doc_id} is not public"


def test_questions_are_well_formed() -> None:
    entries = {e["question"] for e in _entries()}
    ids: list[object] = []
    for split, rows in _questions().items():
        for r in rows:
            assert set(r) == QUESTION_FIELDS, r
            assert str(r["id"]).startswith(f"faq-{split}-"), r["id"]
            assert isinstance(r["question"], str) and r["question"].strip(), r["id"]
            assert r["entry"] is None or r["entry"] in entries, f"{r['id']}: not an entry's question"
            assert r["kind"] in (ANSWERED if r["entry"] else UNANSWERED), r["id"]
            ids.append(r["id"])
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_counts_and_splits() -> None:
    """Counts and the dev/test split. The later frozen sets (FROZEN_LATER) are left out, as the holdout
    always was: the 65/35 limit keeps dev no more than its share of the dev/test pair, and adding a frozen set must
    not make room for more dev questions."""
    questions = {split: rows for split, rows in _questions().items() if split not in FROZEN_LATER}
    everything = [r for rows in questions.values() for r in rows]
    assert sum(1 for r in everything if r["entry"]) >= 150
    assert sum(1 for r in everything if r["entry"] is None) >= 150
    assert 0.55 <= len(questions["dev"]) / len(everything) <= 0.65
    totals = Counter(r["kind"] for r in everything)
    for split, rows in questions.items():
        kinds = Counter(r["kind"] for r in rows)
        assert set(kinds) == ANSWERED | UNANSWERED, f"{split} lacks {sorted((ANSWERED | UNANSWERED) - set(kinds))}"
        for kind, n in kinds.items():
            assert 0.3 <= n / totals[kind] <= 0.7, f"{kind}: {n} of {totals[kind]} in {split}"
    answered_in_test = {r["entry"] for r in questions["test"] if r["entry"]}
    assert len(answered_in_test) >= 0.8 * len(_entries()), "test reaches too few entries"


def test_the_holdout_has_every_kind_and_both_answers() -> None:
    holdout = _questions()["holdout"]
    assert {r["kind"] for r in holdout} == ANSWERED | UNANSWERED
    assert sum(1 for r in holdout if r["entry"]) >= 60 and sum(1 for r in holdout if r["entry"] is None) >= 60


@pytest.mark.parametrize("split", [s for s in FROZEN_LATER if s.startswith("blind")])
def test_the_blind_sets_have_every_kind_and_both_answers(split: str) -> None:
    blind = _questions()[split]
    kinds = Counter(r["kind"] for r in blind)
    assert set(kinds) == ANSWERED | UNANSWERED
    assert all(kinds[kind] >= 10 for kind in ANSWERED), kinds
    assert sum(1 for r in blind if r["entry"]) >= 80 and sum(1 for r in blind if r["entry"] is None) >= 80
    per_entry = Counter(r["entry"] for r in blind if r["entry"])
    assert len(per_entry) >= 0.9 * len(_entries()), f"{split} reaches too few entries"
    assert max(per_entry.values()) <= 4, per_entry.most_common(1)


def test_questions_are_not_the_entries_own_words() -> None:
    taken = set()
    for e in _entries():
        taken |= {_folded(e["question"]), *(_folded(v) for v in e["variants"])}
    seen: set[str] = set()
    for rows in _questions().values():
        for r in rows:
            folded = _folded(str(r["question"]))
            assert folded not in taken, f"{r['id']} repeats an entry or one of its variants"
            assert folded not in seen, f"{r['id']} repeats another question"
            seen.add(folded)


def test_sans_accents_questions_have_no_accent() -> None:
    for rows in _questions().values():
        for r in rows:
            if r["kind"] == "sans-accents":
                assert str(r["question"]).isascii(), r["id"]
