"""The weekly summary (``accueil report --since 7d``): the supervisor's figures in one self-contained HTML file.

No link to the service, no external asset: the style sheet is inlined and the charts are inline SVG, so the file
can be mailed or archived as it is.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.core import pii
from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import activity, eval_runs
from server.core.desk.db import Database
from server.core.desk.period import Period
from server.core.metric_registry import METRICS
from server.web import figures
from server.web.render import CHANNEL_LABELS, REASON_LABELS, register

HERE = Path(__file__).resolve().parent


def render_summary(settings: Settings, period: Period) -> str:
    """The summary of ``period`` as an HTML string."""
    assistant = Assistant(settings)
    with Database(settings).session() as db:
        act = activity.compute(db, period)
        topics = figures.gap_topics(db, assistant, period)
        usage = figures.sources(db, assistant, period)
    for topic in topics:  # the file leaves the service: personal data masked, as in the CSV exports
        topic.label = pii.mask(topic.label)
        for gap in topic.gaps:
            gap.question = pii.mask(gap.question)
    runs = eval_runs.list_runs(settings)
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))
    register(env)  # the pages' filters: French labels, « 6 décembre 2026 à 08:12 »
    return env.get_template("summary.html").render(
        commune=settings.commune_name,
        period=period,
        generated=dt.datetime.now().strftime("%d/%m/%Y à %H:%M"),
        style=(HERE / "static" / "app.css").read_text(encoding="utf-8"),
        a=act,
        definitions=activity.DEFINITIONS,
        metrics=METRICS,
        channels=CHANNEL_LABELS,
        reasons=REASON_LABELS,
        **figures.activity_charts(act),
        topics=topics[:15],
        u=usage,
        runs=[r for r in runs if r.state == "terminee"][:5],
        headline=eval_runs.HEADLINE,
        eval_chart=figures.eval_chart(runs),
    )


def write_summary(settings: Settings, period: Period, out: Path) -> None:
    """Write the summary of ``period`` to ``out``, readable by its owner only (0600: it quotes citizens)."""
    html = render_summary(settings, period)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older report written 0644
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
