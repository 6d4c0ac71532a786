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

TARGETS = {
    "hit@5": (0.90, ">="),
    "selective_accuracy": (0.90, ">="),
    "abstain_recall": (0.90, ">="),
    "over_abstention": (0.15, "<="),
    "citation_validity": (1.00, ">="),
    "public_precision": (0.98, ">="),
    "public_not_verbatim": (0, "<="),
}
LABELS = {
    "hit@1": "Bonne source en 1re position",
    "hit@5": "Bonne source dans les 5 premières",
    "hit@10": "Bonne source dans les 10 premières",
    "mrr": "Rang réciproque moyen (MRR)",
    "coverage": "Taux de réponse",
    "correctness": "Réponses correctes (questions à réponse)",
    "selective_accuracy": "Précision des réponses données",
    "abstain_precision": "Précision de l'abstention",
    "abstain_recall": "Rappel de l'abstention",
    "abstain_f1": "F1 de l'abstention",
    "over_abstention": "Abstentions à tort",
    "citation_validity": "Citations exactes",
    "cited_sentences": "Phrases citées",
    "public_coverage": "Côté habitants : taux de réponse par extraits",
    "public_precision": "Côté habitants : précision des réponses",
    "public_not_verbatim": "Côté habitants : extraits non trouvés mot pour mot",
    "llm_used": "Mode llm : brouillons du modèle utilisés",
    "llm_removed_sentences": "Mode llm : phrases du modèle retirées",
    "unsupported_facts": "Faits absents des sources citées",
    "latency_p50_ms": "Latence médiane (ms)",
    "latency_p95_ms": "Latence p95 (ms)",
}


def fr_value(value: object, name: str = "") -> str:
    """A metric as a French reader expects it: "90,6 %", "0,78", "123 ms", "—" when undefined."""
    if value is None:
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    if name.endswith("_ms"):
        return f"{value:.0f} ms"
    if name == "mrr":
        return f"{value:.2f}".replace(".", ",")
    if name in ("questions", "public_not_verbatim"):
        return str(value)
    return f"{value * 100:.1f} %".replace(".", ",")


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


def target_status(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    rows = []
    for name, (goal, op) in TARGETS.items():
        value = metrics.get(name)
        met = value is not None and (value >= goal if op == ">=" else value <= goal)
        rows.append(
            {
                "name": name,
                "label": LABELS[name],
                "goal": goal,
                "op": "≥" if op == ">=" else "≤",
                "value": value,
                "met": met,
            }
        )
    return rows


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
        'aria-label="Courbe précision des réponses en fonction du taux de réponse">',
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
    parts.append(f'<text x="{w / 2}" y="{h - 8}" font-size="12" text-anchor="middle">Taux de réponse</text>')
    parts.append(
        f'<text x="14" y="{h / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {h / 2})">Précision des réponses</text>'
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
