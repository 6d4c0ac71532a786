"""The evaluation metrics are pure functions (checked on hand-made records); each metric is defined once, in the
registry, and the report, the supervisor pages, the weekly summary and the CSV exports take its label from there."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path
from typing import Any

from eval import report
from eval.metrics import (
    DEFINITIONS,
    Record,
    facts_found,
    normalise,
    percentile,
    rank_of_gold,
    risk_coverage,
    summarise,
)
from server.core.desk import activity, eval_runs
from server.core.desk.period import Period
from server.core.metric_registry import DESK, EVAL, FAQ, METRICS, Unit, definitions, format_value, metric
from server.web import figures, summary
from tests.conftest import REPO_ROOT, LiveServer, login, settings_for


def _rec(
    expect: str,
    status: str,
    conf: float,
    facts: list[str] | None = None,
    draft: str = "",
    gold: list[str] | None = None,
    docs: list[str] | None = None,
    **kw: Any,
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


# --- The metric registry: each metric defined once, every page and export reads its labels from it. ---

_EVAL_KEYS = [m.key for m in EVAL]
_COUNTS = {"questions", "answerable", "to_abstain"}  # the dataset's sizes, not metrics


def _cells(html: str, pattern: str) -> list[str]:
    """The texts a regular expression's group catches in a page, unescaped and trimmed."""
    return [unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(pattern, html, flags=re.S)]


def test_each_metric_is_defined_once_with_a_french_label() -> None:
    keys = [m.key for m in (*EVAL, *DESK, *FAQ)]
    assert len(keys) == len(set(keys)) == len(METRICS)
    assert len({m.label for m in METRICS.values()}) == len(METRICS), "deux mesures portent le même libellé"
    for m in METRICS.values():
        assert m.label[0].isupper() and "_" not in m.label and m.label != m.key, m.key
        assert m.definition.endswith(".") and len(m.definition) > len(m.label), m.key
        assert m.target is None or m.higher_is_better is not None, f"{m.key} : un objectif sans sens"
    # summarise computes exactly the registry's evaluation metrics, the desk its own figures
    computed = summarise([_rec("answer", "answered", 0.9, ["a"], "a [1]", ["p"], ["p"])])
    assert set(computed) == set(_EVAL_KEYS) | _COUNTS
    desk = activity.Activity(period=Period.last(7)).headline()
    assert set(desk) <= {m.key for m in DESK} and "abstention_rate" in desk
    assert DEFINITIONS == definitions(EVAL) and activity.DEFINITIONS == definitions(DESK)
    assert set(eval_runs.HEADLINE) <= set(_EVAL_KEYS)
    assert all(metric(k).unit is Unit.SHARE for k in figures.EVAL_CHART)  # the chart draws shares (0 to 1)


def test_values_are_written_the_french_way_in_their_unit() -> None:
    assert metric("hit@5").format(0.90625) == "90,6 %"
    assert metric("mrr").format(0.781) == "0,78"
    assert metric("latency_p95_ms").format(67.5) == "68 ms"
    assert metric("validation_minutes").format(12.5) == "12,5 min"
    assert metric("unsupported_facts").format(3) == "3" and metric("requests").format(1_234_567) == "1234567"
    assert metric("abstain_recall").format(None) == "—"
    assert format_value(0.5, Unit.SHARE) == "50,0 %"
    # a target is met on the better side of it, in the metric's own direction
    assert metric("hit@5").met(0.9) and not metric("hit@5").met(0.89) and not metric("hit@5").met(None)
    assert metric("over_abstention").met(0.15) and not metric("over_abstention").met(0.2)
    assert not metric("mrr").met(1.0)  # no target


def test_no_module_or_template_writes_an_evaluation_label_itself() -> None:
    """The registry is the only place an evaluation metric's label is written."""
    roots = [REPO_ROOT / d for d in ("server", "eval", "ingest")]
    files = [p for r in roots for p in r.rglob("*") if p.suffix in (".py", ".html", ".j2")]
    files = [p for p in files if p.name != "metric_registry.py"]
    assert len(files) > 50
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for m in EVAL:
            if any(f"{q}{m.label}{e}" in text for q, e in (('"', '"'), ("'", "'"), (">", "<"))):
                found.append(f"{path.relative_to(REPO_ROOT)} : « {m.label} »")
    assert not found, found


def _report(tmp_path: Path) -> tuple[dict[str, Any], str]:
    records = [
        _rec("answer", "answered", 0.9, ["86 €"], "Le passeport coûte 86 €. [1]", ["p"], ["p", "q"]),
        _rec("answer", "abstained", 0.2, ["17 €"], "", ["p"], ["z"]),
        _rec("abstain", "abstained", 0.1),
    ]
    meta = {
        "dataset": "mini.jsonl",
        "dataset_digest": "abc",
        "documents": 3,
        "chunks": 9,
        "index_version": "gen-test",
        "embedding_model": "test",
        "mode": "extractive",
        "threshold": 0.5,
        "calibration": "test",
    }
    built = report.build(records, meta)
    report.write(tmp_path, records, built)
    return built, (tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_evaluation_report_takes_its_labels_from_the_registry(tmp_path: Path) -> None:
    built, html = _report(tmp_path)
    assert built["definitions"] == definitions(EVAL)
    cards = _cells(html, r'<div class="card"><span class="small">(.*?)</span>')
    assert cards == [m.label for m in EVAL]
    card_values = _cells(html, r'<div class="card"><span class="small">.*?</span><b>(.*?)</b>')
    assert card_values == [m.format(built["metrics"][m.key]) for m in EVAL]
    targets = [t["label"] for t in built["targets"]]
    assert targets == [m.label for m in EVAL if m.target is not None] and "Abstentions à tort" in targets
    goals = html.split("<h2>Objectifs</h2>", 1)[1].split("</table>", 1)[0]
    assert _cells(goals, r"<tr><td>(.*?)</td>") == targets
    headers = _cells(html.split("<h2>Par type de question</h2>", 1)[1].split("</tr>", 1)[0], r"<th>(.*?)</th>")
    assert headers == ["", "Questions", *(metric(k).label for k in report.BREAKDOWN)]
    defined = _cells(html.split("<h2>Définitions</h2>", 1)[1].split("</table>", 1)[0], r"<th>(.*?)</th>")
    assert defined == [m.label for m in EVAL]


def test_the_weekly_summary_and_the_csv_take_their_labels_from_the_registry(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data")
    run_dir = eval_runs.runs_dir(settings) / "20260105-100000-mini"
    built, _ = _report(run_dir)
    eval_runs.write_status(run_dir, state="terminee", dataset="mini.jsonl", done=3, total=3)
    # an instance with no request: the summary still renders (no gap topic, no source used)
    html = summary.render_summary(settings, Period.last(7))
    desk_keys = list(activity.Activity(period=Period.last(7)).headline())
    assert _cells(html, r"<dt>(.*?)</dt>") == [metric(k).label for k in desk_keys]
    assert _cells(html, r'<dd id="kpi-requests">(.*?)</dd>') == ["0"]
    evals = html.split("<h2>Évaluations</h2>", 1)[1]
    assert _cells(evals, r'<th scope="col">(.*?)</th>')[1:] == [metric(k).label for k in eval_runs.HEADLINE]
    shown = _cells(evals, r'<td class="num">(.*?)</td>')
    assert shown == [metric(k).format(built["metrics"][k]) for k in eval_runs.HEADLINE]
    assert "hit@5" not in evals
    assert "<td>5 janvier 2026 à 10:00 · mini.jsonl</td>" in evals and "20260105-100000-mini" not in evals
    # the CSV exports: the evaluation runs' headers and the activity's indicators
    [run] = eval_runs.list_runs(settings)
    table = figures.eval_table([run])
    assert table.headers[5:] == [metric(k).label for k in eval_runs.HEADLINE]
    rows = activity.Activity(period=Period.last(7)).tables()
    indicators = next(t for t in rows if t.slug == "activite-indicateurs")
    assert [r[0] for r in indicators.rows] == [metric(k).label for k in desk_keys]
    assert [r[2] for r in indicators.rows] == [metric(k).definition for k in desk_keys]


def test_the_supervisor_pages_take_their_labels_from_the_registry(demo_server: LiveServer) -> None:
    desk_keys = list(activity.Activity(period=Period.last(7)).headline())
    with login(demo_server, "chef") as chef:
        page = chef.get("/supervision").text
        assert _cells(page, r"<dt>(.*?)</dt>") == [metric(k).label for k in desk_keys]
        defined = _cells(page.split('id="indicateurs-table"', 1)[1].split("</table>", 1)[0], r"<tr><td>(.*?)</td>")
        assert defined == [m.label for m in DESK]
        evals = chef.get("/supervision/evaluations").text
        head = evals.split('id="runs"', 1)[1].split("</thead>", 1)[0]
        assert _cells(head, r'<th scope="col">(.*?)</th>')[3:-1] == [metric(k).label for k in eval_runs.HEADLINE]
        exported = chef.get("/supervision/export/activite-indicateurs.csv").text.lstrip("\ufeff")
        lines = list(csv.reader(io.StringIO(exported), delimiter=";"))
        assert [line[0] for line in lines[1:]] == [metric(k).label for k in desk_keys]
        exported = chef.get("/supervision/export/evaluations.csv").text.lstrip("\ufeff")
        assert next(csv.reader(io.StringIO(exported), delimiter=";"))[5:] == [
            metric(k).label for k in eval_runs.HEADLINE
        ]
