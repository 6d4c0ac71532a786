"""The evaluation report: report.json, a self-contained French report.html (inline SVG) and questions.csv."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eval.metrics import DEFINITIONS, Record, breakdown, public_curve, rank_of_gold, risk_coverage, summarise
from server.core.errors import InputError
from server.core.metric_registry import EVAL, METRICS, Unit, format_value, labels

# The report's figures, labels, definitions, units and targets all come from the metric registry.
LABELS = labels(EVAL)
# The metrics shown for each type of question and each theme.
BREAKDOWN = ("hit@5", "coverage", "correctness", "selective_accuracy", "abstain_recall", "over_abstention")


def fr_value(value: object, name: str = "") -> str:
    """A value in the unit of metric ``name`` as a French reader expects it; a share when ``name`` is no metric."""
    return format_value(value, METRICS[name].unit if name in METRICS else Unit.SHARE)


def code_version() -> str:
    """The git commit of the code that ran, or 'inconnue'."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=False,
        )
    except OSError:
        return "inconnue"
    return out.stdout.strip() or "inconnue"


# The releases the figures depend on: e5 is converted with torch and onnx, quantised and run by onnxruntime.
RUNTIME_PACKAGES = ("onnxruntime", "onnx", "torch")


def runtime_versions() -> dict[str, str]:
    """The installed release of each package in ``RUNTIME_PACKAGES`` ('absent' when it is not installed): a fresh
    install with other releases gives other vectors, hence other figures for the same code."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in RUNTIME_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def target_status(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    return [
        {
            "name": m.key,
            "label": m.label,
            "goal": m.target,
            "op": "≤" if m.higher_is_better is False else "≥",
            "value": metrics.get(m.key),
            "met": m.met(metrics.get(m.key)),
        }
        for m in EVAL
        if m.target is not None
    ]


def _svg_curve(curve: list[dict[str, float]], threshold: float) -> str:
    """Risk–coverage chart: selective accuracy (y) against coverage (x), threshold marked."""
    w, h, pad = 560, 320, 48

    def x(v: float) -> float:
        return pad + v * (w - 2 * pad)

    def y(v: float) -> float:
        return h - pad - v * (h - 2 * pad)

    points = sorted(curve, key=lambda p: p["coverage"])
    path = " ".join(f"{x(p['coverage']):.1f},{y(p['selective_accuracy']):.1f}" for p in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{LABELS["selective_accuracy"]} en fonction du {LABELS["coverage"].lower()}">',
        f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="#fafafa" stroke="#999"/>',
    ]
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{x(v):.0f}" y="{h - pad + 18}" font-size="11" text-anchor="middle">{v:.0%}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y(v) + 4:.0f}" font-size="11" text-anchor="end">{v:.0%}</text>')
        parts.append(f'<line x1="{pad}" x2="{w - pad}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
    parts.append(f'<polyline points="{path}" fill="none" stroke="#000091" stroke-width="2"/>')
    chosen = min(curve, key=lambda p: abs(p["threshold"] - threshold), default=None)
    if chosen is not None:
        cx, cy = x(chosen["coverage"]), y(chosen["selective_accuracy"])
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="#e1000f"/>')
        parts.append(
            f'<text x="{cx + 8:.1f}" y="{cy - 8:.1f}" font-size="12" fill="#e1000f">seuil {threshold:.2f}</text>'
        )
    parts.append(f'<text x="{w / 2}" y="{h - 8}" font-size="12" text-anchor="middle">{LABELS["coverage"]}</text>')
    parts.append(
        f'<text x="14" y="{h / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {h / 2})">{LABELS["selective_accuracy"]}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def worst_cases(records: Sequence[Record], limit: int = 15) -> dict[str, list[Record]]:
    """Answered wrongly (most confident first) and wrongly abstained (most confident first)."""
    wrong = sorted((r for r in records if r.answered and not r.correct), key=lambda r: -r.confidence)
    missed = sorted((r for r in records if r.expect == "answer" and not r.answered), key=lambda r: -r.confidence)
    return {"wrong": wrong[:limit], "missed": missed[:limit]}


def load_baseline(path: Path) -> dict[str, Any]:
    """Mode, dataset and metrics of an earlier report (its folder or its report.json), to compare with."""
    file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return {
            "path": str(file),
            "mode": data["meta"].get("mode", ""),
            "dataset": data["meta"]["dataset"],
            "metrics": data["metrics"],
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"Rapport à comparer illisible : {file} ({exc})") from exc


def comparison(metrics: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric of this run beside the baseline's, with the difference."""
    rows = []
    for name in LABELS:
        ours, theirs = metrics.get(name), baseline["metrics"].get(name)
        diff = ours - theirs if isinstance(ours, int | float) and isinstance(theirs, int | float) else None
        rows.append({"name": name, "label": LABELS[name], "value": ours, "baseline": theirs, "diff": diff})
    return rows


def build(records: Sequence[Record], meta: dict[str, Any], baseline: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole report as a JSON-ready dict; with ``baseline``, a comparison with an earlier run."""
    metrics = summarise(records)
    return {
        "baseline": baseline,
        "comparison": comparison(metrics, baseline) if baseline else [],
        "meta": {**meta, "date": dt.datetime.now().isoformat(timespec="seconds"), "code_version": code_version()},
        "definitions": DEFINITIONS,
        "metrics": metrics,
        "targets": target_status(metrics),
        "by_kind": breakdown(records, "kind"),
        "by_theme": breakdown(records, "theme"),
        "risk_coverage": risk_coverage(records),
        # The citizen side's precision as its threshold would sweep: where 0.98 is (or is not) reached.
        "public_curve": public_curve(records),
    }


def write(out_dir: Path, records: Sequence[Record], report: dict[str, Any]) -> None:
    """Write report.json, report.html and questions.csv into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["fr"] = fr_value
    html = env.get_template("report.html.j2").render(
        r=report,
        labels=LABELS,
        worst=worst_cases(records),
        chart=_svg_curve(report["risk_coverage"], report["meta"]["threshold"]),
        metric_names=list(LABELS),
        breakdown_names=BREAKDOWN,
    )
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    with open(out_dir / "questions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "id",
                "question",
                "attendu",
                "type",
                "thème",
                "statut",
                "confiance",
                "correct",
                "rang_source_attendue",
                "sources_attendues",
                "sources_trouvées",
                "latence_ms",
                "brouillon",
            ]
        )
        for r in records:
            rank = rank_of_gold(r.ranked_docs, r.gold) if r.gold else None
            writer.writerow(
                [
                    r.id,
                    r.question,
                    r.expect,
                    r.kind,
                    r.theme,
                    r.status,
                    r.confidence,
                    int(r.correct),
                    rank or "",
                    " ".join(r.gold),
                    " ".join(r.ranked_docs[:10]),
                    r.latency_ms,
                    r.draft,
                ]
            )
