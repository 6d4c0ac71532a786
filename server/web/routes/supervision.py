"""Supervisor pages: activity, content gaps, sources, evaluation runs, CSV exports (FAQ curation: ``faq_admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from server.core.config import Settings
from server.core.desk import activity, eval_runs
from server.core.desk.period import Period
from server.core.desk.tables import User
from server.core.desk.tabular import to_csv
from server.core.errors import InputError
from server.core.metric_registry import METRICS
from server.web import charts, figures
from server.web.deps import AssistantDep, DbDep, SettingsDep, Supervisor
from server.web.render import back, render
from server.web.security import check_csrf

router = APIRouter()
# The evaluation report is a stand-alone file with its own inline style sheet, and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


def _period(du: str | None, au: str | None) -> Period:
    return Period.between(du, au)


@router.get("/supervision", response_class=HTMLResponse)
def activity_page(
    request: Request, db: DbDep, user: Supervisor, du: str | None = None, au: str | None = None
) -> HTMLResponse:
    """The desk's activity over a period: volumes, validation time, edits, rejections, abstention, memory reuse."""
    period = _period(du, au)
    act = activity.compute(db, period)
    charts: dict[str, Any] = dict(figures.activity_charts(act))  # page context, never render's own status
    return render(
        request,
        "supervision_activity.html",
        user=user,
        period=period,
        a=act,
        definitions=activity.DEFINITIONS,
        labels=activity.LABELS,
        metrics=METRICS,
        **charts,
    )


@router.get("/supervision/lacunes", response_class=HTMLResponse)
def gaps_page(
    request: Request,
    db: DbDep,
    assistant: AssistantDep,
    user: Supervisor,
    du: str | None = None,
    au: str | None = None,
) -> HTMLResponse:
    """Questions the corpus could not answer, grouped by topic: the documents to write next."""
    period = _period(du, au)
    topics = figures.gap_topics(db, assistant, period)
    return render(request, "supervision_gaps.html", user=user, period=period, topics=topics)


@router.get("/supervision/sources", response_class=HTMLResponse)
def sources_page(
    request: Request,
    db: DbDep,
    assistant: AssistantDep,
    user: Supervisor,
    du: str | None = None,
    au: str | None = None,
) -> HTMLResponse:
    """Stale documents, the most cited, those never cited."""
    period = _period(du, au)
    usage = figures.sources(db, assistant, period)
    chart = charts.bars([(d.title, d.cited) for d in usage.most_cited[:10]], "Documents les plus cités")
    return render(request, "supervision_sources.html", user=user, period=period, u=usage, cited_chart=chart)


@router.get("/supervision/evaluations", response_class=HTMLResponse)
def evaluations_page(request: Request, settings: SettingsDep, user: Supervisor) -> HTMLResponse:
    """Evaluation runs with their headline metrics over time; start one on the current index."""
    return _evaluations(request, settings, user)


def _evaluations(request: Request, settings: Settings, user: User, status: int = 200, **extra: object) -> HTMLResponse:
    runs = eval_runs.list_runs(settings)
    return render(
        request,
        "supervision_evals.html",
        status=status,
        user=user,
        runs=runs,
        datasets=eval_runs.datasets(settings),
        running=any(r.state == "en_cours" for r in runs),
        headline=eval_runs.HEADLINE,
        metrics=METRICS,
        run_states=eval_runs.STATE_LABELS,
        chart=figures.eval_chart(runs),
        **extra,
    )


@router.post("/supervision/evaluations")
def start_evaluation(
    request: Request,
    settings: SettingsDep,
    user: Supervisor,
    csrf: Annotated[str, Form(alias="csrf_token")],
    jeu: Annotated[str, Form()],
    confirmer: Annotated[str, Form()] = "",
) -> Response:
    """Start ``accueil eval`` on the current index in the background (a run of minutes once confirmed)."""
    check_csrf(request, csrf)
    try:
        run = eval_runs.start(settings, jeu, confirmed=confirmer == "1")
    except InputError as exc:
        return _evaluations(request, settings, user, status=422, error=exc.message, chosen=jeu)
    return back(request, "/supervision/evaluations", f"Évaluation {run.run_id} lancée.")


@router.get("/supervision/evaluations/{run_id}")
def evaluation_report(request: Request, settings: SettingsDep, user: Supervisor, run_id: str) -> Response:
    """The HTML report of one run."""
    run = eval_runs.get_run(settings, run_id)
    if not run.has_report:
        return back(request, "/supervision/evaluations", "Le rapport de cette évaluation n'est pas (encore) écrit.")
    return FileResponse(
        run.path / "report.html", media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
    )


@router.get("/supervision/export/{slug}.csv")
def export_csv(
    db: DbDep, assistant: AssistantDep, user: Supervisor, slug: str, du: str | None = None, au: str | None = None
) -> Response:
    """Any supervisor table as CSV (« ; » separator, UTF-8), for the chosen period."""
    period = _period(du, au)
    table = figures.export(db, assistant, period, slug)
    name = f"{slug}_{period.since.isoformat()}_{period.until.isoformat()}.csv"
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
