"""The evaluation metrics are pure functions: checked on hand-made records."""

from __future__ import annotations

from eval.metrics import Record, facts_found, normalise, percentile, rank_of_gold, risk_coverage, summarise


def _rec(
    expect: str,
    status: str,
    conf: float,
    facts: list[str] | None = None,
    draft: str = "",
    gold: list[str] | None = None,
    docs: list[str] | None = None,
    **kw: object,
) -> Record:
    return Record(
        id="x",
        question="q",
        expect=expect,
        kind="k",
        theme="t",
        status=status,
        confidence=conf,
        guarded=bool(kw.get("guarded", False)),
        facts=facts or [],
        gold=gold or [],
        ranked_docs=docs or [],
        draft=draft,
        candidate_draft=draft,
        latency_ms=float(kw.get("ms", 10.0)),
    )


def test_normalise_units_numbers_and_hours() -> None:
    assert normalise("86 euros") == normalise("86 €") == normalise("86€")
    assert normalise("8h30") == normalise("8 h 30")
    assert facts_found(["16 h à 20 h", "15 h à 19 h"], "de 16 h à 20 h d'avril à octobre et de 15h à 19h l'hiver")
    assert not facts_found(["16 h à 20 h"], "de 16 h à 20 h 30")
    assert normalise("11 478 €") == normalise("11478 €")
    assert normalise("Coûte 3,50 €.") == " coute 3.50 € "
    assert facts_found(["25 €", "timbre fiscal"], "Il faut un Timbre fiscal de 25 euros.")
    assert not facts_found(["25 €"], "Il faut un timbre fiscal de 125 €.")


def test_rank_and_percentile() -> None:
    assert rank_of_gold(["a", "b", "c"], ["c", "z"]) == 3
    assert rank_of_gold(["a"], ["z"]) is None
    assert percentile([1, 2, 3, 4, 100], 50) == 3
    assert percentile([float(i) for i in range(1, 101)], 95) == 95


def test_summary_on_a_small_known_set() -> None:
    records = [
        _rec("answer", "answered", 0.9, ["86 €"], "Le passeport coûte 86 €. [1]", ["p"], ["p", "q"]),
        _rec(
            "answer", "answered", 0.8, ["42 €"], "Le passeport coûte 86 €. [1]", ["p"], ["q", "r", "s", "t", "u", "p"]
        ),
        _rec("answer", "abstained", 0.2, ["17 €"], "", ["p"], ["z"]),
        _rec("abstain", "abstained", 0.1),
        _rec("abstain", "answered", 0.7, draft="Bonjour [1]"),
    ]
    m = summarise(records)
    assert m["hit@1"] == round(1 / 3, 4) and m["hit@5"] == round(1 / 3, 4) and m["hit@10"] == round(2 / 3, 4)
    assert m["mrr"] == round((1 + 1 / 6) / 3, 4)
    assert m["coverage"] == 0.6
    assert m["correctness"] == round(1 / 3, 4)
    assert m["selective_accuracy"] == round(1 / 3, 4)
    assert m["abstain_precision"] == 0.5 and m["abstain_recall"] == 0.5 and m["abstain_f1"] == 0.5
    assert m["over_abstention"] == round(1 / 3, 4)


def test_risk_coverage_sweeps_the_threshold() -> None:
    records = [
        _rec("answer", "answered", 0.9, ["a"], "a"),
        _rec("answer", "answered", 0.6, ["b"], "x"),
        _rec("abstain", "abstained", 0.3),
        _rec("abstain", "abstained", 0.0, guarded=True),
    ]
    curve = risk_coverage(records)
    assert [p["threshold"] for p in curve] == [0.9, 0.6, 0.3]
    assert [p["selective_accuracy"] for p in curve] == [1.0, 0.5, round(1 / 3, 4)]
    assert [p["coverage"] for p in curve] == [0.25, 0.5, 0.75]
    assert [p["abstain_recall"] for p in curve] == [1.0, 1.0, 0.5]
