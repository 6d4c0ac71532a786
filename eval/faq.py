"""``accueil eval --faq``: the citizen side's FAQ decision measured on a question set.

The entries of a FAQ file (faq-entries.jsonl, the import format) are published in a fresh SQLite base, and each
question goes through ``desk.faq_match.decide``, the very call ``/question`` makes. The report gives the precision of
the entries shown, their recall, the suggestions' hit rate, the figures by kind of question, and the threshold's
precision–recall curve (``report.json``, a self-contained French ``report.html``, ``questions.csv``).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from eval.report import runtime_versions
from server.core.answer.embed import embedder_for
from server.core.answer.match import BARE_THRESHOLD, THRESHOLD, Known, Matcher, vectors_for
from server.core.answer.pairs import MEMORY
from server.core.config import Settings
from server.core.desk import faq, faq_match
from server.core.desk.db import Database
from server.core.errors import InputError
from server.core.metric_registry import FAQ, format_value, labels

LABELS = labels(FAQ)
# Scores at which the curve is drawn (the threshold in force is added).
CURVE_STEPS = tuple(round(0.05 * i, 2) for i in range(1, 20)) + (0.97, 0.99)


@dataclass
class Row:
    """One question of the set and what the decision made of it."""

    id: str
    question: str
    kind: str
    expected: str | None
    shown: str | None
    score: float
    reason: str | None
    best: str | None
    eligible: bool
    suggestions: list[str] = field(default_factory=list)
    # The best candidate has no variant: the decision asks it ``BARE_THRESHOLD`` instead of ``THRESHOLD``.
    bare: bool = False

    @property
    def correct(self) -> bool:
        """An entry was shown and it is the expected one."""
        return self.shown is not None and self.shown == self.expected


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (blank lines skipped); a clear French error when unreadable or malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Fichier illisible : {path} ({exc.strerror}).") from exc
    try:
        return [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} : ligne {exc.lineno} n'est pas du JSON valide.") from exc


def publish(database: Database, entries: list[dict[str, Any]]) -> None:
    """Publish the FAQ file's entries, with their variants, in ``database`` (sources kept as their ids)."""
    with database.session() as db:
        for e in entries:
            sources = [
                {"doc_id": s, "title": s, "url": "", "updated": "", "audience": "public"} for s in e.get("sources", [])
            ]
            entry = faq.create(
                db, e["question"], e["answer"], e.get("theme", ""), sources, "accueil eval", variants=e.get("variants")
            )
            faq.set_published(db, entry, True, "accueil eval")


def decide_all(
    settings: Settings, entries: list[dict[str, Any]], questions: list[dict[str, Any]], progress: Callable[[int], None]
) -> list[Row]:
    """Each question through the public page's decision, over the entries published in a fresh base."""
    embedder = embedder_for(settings)
    rows = []
    with tempfile.TemporaryDirectory(prefix="accueil-faq-") as tmp:
        database = Database(settings.model_copy(update={"data_dir": Path(tmp), "database_url": ""}))
        try:
            publish(database, entries)
            with database.session() as db:
                for done, q in enumerate(questions, 1):
                    found = faq_match.decide(db, embedder, settings.commune_name, q["question"])
                    best = found.decision.best if found.decision else None
                    rows.append(
                        Row(
                            id=str(q.get("id", done)),
                            question=q["question"],
                            kind=str(q.get("kind", "")),
                            expected=q.get("entry"),
                            shown=found.entry.question if found.entry else None,
                            score=round(found.score, 4),
                            reason=found.reason,
                            best=best.known.question if best else None,
                            eligible=best is not None,
                            suggestions=[e.question for e in found.suggestions],
                            bare=best is not None and not best.known.variants,
                        )
                    )
                    progress(done)
        finally:
            database.close()
    return rows


def _figures(rows: list[Row], shown: Callable[[Row], bool], correct: Callable[[Row], bool]) -> dict[str, Any]:
    answerable = [r for r in rows if r.expected]
    shown_rows = [r for r in rows if shown(r)]
    right = sum(1 for r in shown_rows if correct(r))
    return {
        "faq_precision": round(right / len(shown_rows), 4) if shown_rows else None,
        "faq_recall": round(right / len(answerable), 4) if answerable else None,
        "faq_shown": len(shown_rows),
        "faq_wrong": len(shown_rows) - right,
    }


def summarise(rows: list[Row]) -> dict[str, Any]:
    """The registry's FAQ metrics over the rows (precision and recall of the entries shown, suggestions' hit rate)."""
    out = _figures(rows, lambda r: r.shown is not None, lambda r: r.correct)
    missed = [r for r in rows if r.expected and r.shown is None]
    hits = sum(1 for r in missed if r.expected in r.suggestions)
    out["faq_suggestion_hit"] = round(hits / len(missed), 4) if missed else None
    unanswered = [r for r in rows if not r.expected]
    offered = sum(1 for r in unanswered if r.shown is None and r.suggestions)
    out["faq_offered_unanswered"] = round(offered / len(unanswered), 4) if unanswered else None
    return out


def curve(rows: list[Row], threshold: float) -> list[dict[str, Any]]:
    """Precision and recall of the entries shown had the threshold been each of ``CURVE_STEPS`` (the rest of the
    decision unchanged: an out-of-scope question or a conflicting entry is never shown; an entry without variants
    asks the same distance more, as ``BARE_THRESHOLD`` does above ``THRESHOLD``)."""
    points = []
    extra = BARE_THRESHOLD - THRESHOLD
    for t in sorted({*CURVE_STEPS, round(threshold, 4)}):

        def shown(r: Row, t: float = t) -> bool:
            return r.eligible and r.score >= t + (extra if r.bare else 0.0)

        points.append({"threshold": t, **_figures(rows, shown, lambda r: r.best == r.expected)})
    return points


def by_kind(rows: list[Row]) -> dict[str, dict[str, Any]]:
    """For each kind of question: how many, how many shown the right entry, shown a wrong one, offered it."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        k = out.setdefault(r.kind or "—", {"questions": 0, "right": 0, "wrong": 0, "offered": 0})
        k["questions"] += 1
        k["right"] += r.correct
        k["wrong"] += r.shown is not None and not r.correct
        k["offered"] += bool(r.expected and r.shown is None and r.expected in r.suggestions)
    return out


def _svg(points: list[dict[str, Any]], threshold: float) -> str:
    """Precision (y) against recall (x) of the entries shown, one point per threshold, the one in force marked."""
    w, h, pad = 560, 320, 48

    def x(v: float) -> float:
        return pad + v * (w - 2 * pad)

    def y(v: float) -> float:
        return h - pad - v * (h - 2 * pad)

    drawn = [p for p in points if p["faq_precision"] is not None]
    path = " ".join(f"{x(p['faq_recall']):.1f},{y(p['faq_precision']):.1f}" for p in drawn)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="{LABELS["faq_precision"]} en fonction du {LABELS["faq_recall"].lower()}">',
        f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="#fafafa" stroke="#999"/>',
    ]
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{x(v):.0f}" y="{h - pad + 18}" font-size="11" text-anchor="middle">{v:.0%}</text>')
        parts.append(f'<text x="{pad - 6}" y="{y(v) + 4:.0f}" font-size="11" text-anchor="end">{v:.0%}</text>')
    parts.append(f'<polyline points="{path}" fill="none" stroke="#000091" stroke-width="2"/>')
    chosen = next((p for p in drawn if p["threshold"] == round(threshold, 4)), None)
    if chosen is not None:
        cx, cy = x(chosen["faq_recall"]), y(chosen["faq_precision"])
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="#e1000f"/>')
        parts.append(
            f'<text x="{cx + 8:.1f}" y="{cy + 16:.1f}" font-size="12" fill="#e1000f">seuil {threshold:.2f}</text>'
        )
    parts.append(f'<text x="{w / 2}" y="{h - 8}" font-size="12" text-anchor="middle">{LABELS["faq_recall"]}</text>')
    parts.append(
        f'<text x="14" y="{h / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {h / 2})">{LABELS["faq_precision"]}</text></svg>'
    )
    return "".join(parts)


def _html(report: dict[str, Any], rows: list[Row]) -> str:
    metrics, meta = report["metrics"], report["meta"]
    cards = "".join(
        f"<tr><th scope='row'>{escape(m.label)}</th><td>{format_value(metrics[m.key], m.unit)}</td>"
        f"<td>{'' if m.target is None else format_value(m.target, m.unit)}"
        f"{'' if m.target is None else (' ✓' if m.met(metrics[m.key]) else ' ✗')}</td>"
        f"<td>{escape(m.definition)}</td></tr>"
        for m in FAQ
        if m.key in metrics
    )
    kinds = "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td>{v['questions']}</td><td>{v['right']}</td><td>{v['wrong']}</td>"
        f"<td>{v['offered']}</td></tr>"
        for k, v in sorted(report["by_kind"].items())
    )
    wrong = "".join(
        f"<tr><td>{escape(r.id)}</td><td>{escape(r.question)}</td><td>{escape(r.shown or '')}</td>"
        f"<td>{escape(r.expected or 'aucune')}</td></tr>"
        for r in rows
        if r.shown is not None and not r.correct
    )
    points = "".join(
        f"<tr><td>{p['threshold']:.2f}</td><td>{format_value(p['faq_precision'], FAQ[0].unit)}</td>"
        f"<td>{format_value(p['faq_recall'], FAQ[1].unit)}</td><td>{p['faq_shown']}</td></tr>"
        for p in report["curve"]
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Évaluation de la FAQ des habitants</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}</style>
</head><body>
<h1>Évaluation de la FAQ des habitants</h1>
<p>Jeu : {escape(meta["dataset"])} ({meta["questions"]} questions, {meta["answerable"]} auxquelles une entrée répond) ;
FAQ : {escape(meta["entries_file"])} ({meta["entries"]} entrées) ;
modèle d'embeddings : {escape(meta["embedding_model"])} ;
seuil : {meta["threshold"]:.2f} ({meta["bare_threshold"]:.2f} pour une entrée sans variante ;
{meta["entries_without_variants"]} entrée(s) sans variante dans cette FAQ).</p>
<table><thead><tr><th>Mesure</th><th>Valeur</th><th>Objectif</th><th>Définition</th></tr></thead><tbody>{cards}</tbody></table>
<h2>Courbe précision–rappel du seuil</h2>
{_svg(report["curve"], meta["threshold"])}
<table><thead><tr><th>Seuil</th><th>{LABELS["faq_precision"]}</th><th>{LABELS["faq_recall"]}</th>
<th>{LABELS["faq_shown"]}</th></tr></thead><tbody>{points}</tbody></table>
<h2>Par genre de question</h2>
<table><thead><tr><th>Genre</th><th>Questions</th><th>Bonne entrée montrée</th><th>Mauvaise entrée montrée</th>
<th>Bonne entrée proposée</th></tr></thead><tbody>{kinds}</tbody></table>
<h2>Entrées montrées à tort</h2>
<table><thead><tr><th>Id</th><th>Question</th><th>Entrée montrée</th><th>Entrée attendue</th></tr></thead>
<tbody>{wrong or '<tr><td colspan="4">Aucune.</td></tr>'}</tbody></table>
</body></html>
"""


def memory_pairs(settings: Settings, path: Path) -> dict[str, Any]:
    """The answer memory's rule (``pairs.MEMORY``) on question pairs ``{a, b, same}``: for each pair, a reply
    validated for ``a`` is offered for ``b`` or not (the pairs are read one by one, as the file is labelled)."""
    vectors = vectors_for(embedder_for(settings))
    pairs = read_jsonl(path)
    offered = [p for p in pairs if Matcher([Known(0, p["a"])], vectors, rule=MEMORY).decide(p["b"]).entry is not None]
    right = sum(1 for p in offered if p["same"])
    same = sum(1 for p in pairs if p["same"])
    return {
        "memory_precision": round(right / len(offered), 4) if offered else None,
        "memory_recall": round(right / same, 4) if same else None,
        "memory_offered": len(offered),
    }


def run(
    settings: Settings,
    entries_file: Path,
    dataset: Path,
    out: Path,
    progress: Callable[[int], None] = lambda done: None,
    pairs_file: Path | None = None,
) -> dict[str, Any]:
    """Measure the decision on ``dataset`` over the entries of ``entries_file`` (and the answer memory on
    ``pairs_file``); write the report in ``out``."""
    entries, questions = read_jsonl(entries_file), read_jsonl(dataset)
    rows = decide_all(settings, entries, questions, progress)
    memory = memory_pairs(settings, pairs_file) if pairs_file else {}
    report = {
        "meta": {
            "dataset": str(dataset),
            "entries_file": str(entries_file),
            "questions": len(rows),
            "answerable": sum(1 for r in rows if r.expected),
            "entries": len(entries),
            "embedding_model": settings.embedding_model,
            "threshold": THRESHOLD,
            "bare_threshold": BARE_THRESHOLD,
            "entries_without_variants": sum(1 for e in entries if not e.get("variants")),
            "runtime": runtime_versions(),
        },
        "metrics": {**summarise(rows), **memory},
        "curve": curve(rows, THRESHOLD),
        "by_kind": by_kind(rows),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps({**report, "questions": [asdict(r) for r in rows]}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "report.html").write_text(_html(report, rows), encoding="utf-8")
    with open(out / "questions.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["id", "genre", "question", "entrée attendue", "entrée montrée", "score", "raison", "propositions"]
        )
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    r.kind,
                    r.question,
                    r.expected or "",
                    r.shown or "",
                    r.score,
                    r.reason or "",
                    " | ".join(r.suggestions),
                ]
            )
    return report
