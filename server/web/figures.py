"""The supervisor's figures for a period, gathered once for the pages, the CSV exports and the weekly summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.desk import activity, eval_runs, faq, gaps, source_usage
from server.core.desk.period import Period
from server.core.desk.tables import FaqVersion
from server.core.desk.tabular import Table
from server.core.errors import AccueilError, NotFound
from server.core.metric_registry import metric
from server.web import charts
from server.web.render import CHANNEL_LABELS, REASON_LABELS

# The evaluation metrics drawn over time (shares between 0 and 1); their labels are the registry's.
EVAL_CHART = ("hit@5", "correctness", "selective_accuracy", "abstain_recall")


def indexed_docs(assistant: Assistant) -> dict[str, dict[str, Any]]:
    """The documents of the current index ({} when there is no index yet)."""
    try:
        return dict(assistant.index().manifest.docs)
    except AccueilError:
        return {}


def gap_topics(session: Session, assistant: Assistant, period: Period) -> list[gaps.Topic]:
    """Gap questions of the period grouped by topic."""
    settings = assistant.settings
    found = gaps.find(session, period, settings.heavy_edit_ratio)
    return gaps.group(found, assistant.embedder, settings.gap_min_similarity)


def sources(session: Session, assistant: Assistant, period: Period) -> source_usage.SourceUsage:
    """Stale, most cited and never cited documents."""
    return source_usage.compute(session, indexed_docs(assistant), period, assistant.settings.stale_months)


def eval_table(runs: list[eval_runs.EvalRun]) -> Table:
    """The evaluation runs and their headline metrics."""
    return Table(
        "evaluations",
        "Évaluations",
        ["évaluation", "jeu", "état", "début", "fin", *(metric(k).label for k in eval_runs.HEADLINE)],
        [
            [
                r.run_id,
                r.dataset,
                eval_runs.STATE_LABELS.get(r.state, r.state),
                r.started,
                r.finished,
                *(r.metrics.get(k) for k in eval_runs.HEADLINE),
            ]
            for r in runs
        ],
    )


def faq_table(session: Session) -> Table:
    """Every FAQ entry with its state."""
    return Table(
        "faq",
        "Entrées de FAQ",
        ["entrée", "thème", "question", "publiée", "version", "mise à jour", "sources"],
        [
            [
                e.id,
                e.theme,
                e.question,
                "oui" if e.published else "non",
                e.version,
                e.updated_at.date().isoformat(),
                " ".join(s["doc_id"] for s in e.sources),
            ]
            for e in faq.entries(session)
        ],
    )


def faq_history_table(session: Session) -> Table:
    """Every step of every FAQ entry."""
    rows = session.scalars(select(FaqVersion).order_by(FaqVersion.faq_id, FaqVersion.id))
    return Table(
        "faq-historique",
        "Historique de la FAQ",
        ["entrée", "version", "action", "par", "le", "publiée", "question", "réponse"],
        [
            [
                h.faq_id,
                h.version,
                h.action,
                h.actor,
                h.at.isoformat(timespec="seconds"),
                "oui" if h.published else "non",
                h.question,
                h.answer,
            ]
            for h in rows
        ],
    )


def export(session: Session, assistant: Assistant, period: Period, slug: str) -> Table:
    """The table named ``slug`` for the period, or NotFound."""
    builders: dict[str, Callable[[], list[Table]]] = {
        "activite": lambda: activity.compute(session, period).tables(),
        "lacunes": lambda: gaps.tables(gap_topics(session, assistant, period)),
        "sources": lambda: sources(session, assistant, period).tables(),
        "evaluations": lambda: [eval_table(eval_runs.list_runs(assistant.settings))],
        "faq": lambda: [faq_table(session), faq_history_table(session)],
    }
    build = builders.get(slug.split("-", 1)[0])
    table = next((t for t in build() if t.slug == slug), None) if build else None
    if table is None:
        raise NotFound(f"Tableau {slug!r} inconnu.")
    return table


def activity_charts(act: activity.Activity) -> dict[str, Markup]:
    """The activity page's charts (also in the weekly summary)."""
    return {
        "by_day_chart": charts.columns([(d.strftime("%d/%m"), n) for d, n in act.by_day], "Demandes par jour"),
        "channel_chart": charts.bars([(CHANNEL_LABELS[c], n) for c, n in act.by_channel.items()], "Demandes par canal"),
        "theme_chart": charts.bars(act.by_theme, "Demandes par thème"),
        "reason_chart": charts.bars(
            [(REASON_LABELS[r], n) for r, n in act.rejected_by_reason.items()], "Rejets par motif"
        ),
    }


def eval_chart(runs: list[eval_runs.EvalRun]) -> Markup:
    """The headline metrics of the finished runs over time."""
    names = {k: metric(k).label for k in EVAL_CHART}
    return charts.lines(eval_series(runs), names, "Évolution des évaluations")


def eval_series(runs: list[eval_runs.EvalRun]) -> list[tuple[str, dict[str, float | None]]]:
    """Finished runs, oldest first, as chart points."""
    return [(r.run_id, r.metrics) for r in reversed(runs) if r.state == "terminee" and r.metrics]
