"""One evaluation run as ``accueil eval`` makes it: draft every question, optionally recalibrate, write the report.

The run folder's status file (``server.core.desk.eval_runs``) says it is running, how far it got, and how it ended,
so that the supervisor pages can follow a run started from the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from eval import calibrate as calib
from eval import harness, report
from eval.dataset import dataset_digest, load_dataset
from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import eval_runs
from server.core.errors import AccueilError

# The day the evaluation drafts for, unless ``--today`` says otherwise: fixed so that a run gives the same figures
# whatever the calendar (which schedule applies, which dates are past): the day it was introduced.
EVAL_TODAY = date(2026, 12, 6)


@dataclass(frozen=True)
class EvalRun:
    """Where the report was written, and its metrics (report.json's ``metrics``)."""

    run_dir: Path
    metrics: dict[str, Any]


def evaluate(
    settings: Settings,
    dataset: Path,
    out: Path | None = None,
    compare: Path | None = None,
    targets: calib.Targets | None = None,
    calibrate_public: bool = False,
    say: Callable[[str], None] = lambda line: None,
    progress: bool = False,
    today: date = EVAL_TODAY,
) -> EvalRun:
    """Evaluate the assistant of ``settings`` (its drafting mode included) on ``dataset`` and write the report.

    ``out`` defaults to a fresh folder under the data dir's evals/. With ``targets``, recalibrate everything on the
    dataset first (``calib.calibrate``); with ``calibrate_public``, only the citizen side's threshold. ``compare``:
    an earlier report (folder or report.json) whose figures the new report sets beside its own. ``today``: the day
    the drafts are made for.
    """
    run_dir = out or eval_runs.new_run_dir(settings, dataset)
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        items = load_dataset(dataset)
        eval_runs.mark_started(run_dir, dataset, len(items))
        assistant = Assistant(settings, today)
        if targets is not None:
            records = calib.calibrate(settings, assistant, items, str(dataset), targets, say, progress)
            assistant = Assistant(settings, today)
        else:
            records = harness.run(
                assistant, items, progress=progress, on_progress=lambda done: eval_runs.mark_progress(run_dir, done)
            )
            if calibrate_public:
                calib.calibrate_public(settings, assistant.calibration, records, say)
        index = assistant.index()
        meta = {
            "dataset": str(dataset),
            "dataset_digest": dataset_digest(dataset),
            "mode": settings.mode,
            "documents": len(index.manifest.docs),
            "chunks": len(index.chunks),
            "index_version": index.version,
            "embedding_model": index.manifest.embedding_model,
            "threshold": assistant.threshold,
            "calibration": assistant.calibration.version,
            "today": today.isoformat(),
            "runtime": report.runtime_versions(),
        }
        built = report.build(records, meta, baseline=report.load_baseline(compare) if compare else None)
        report.write(run_dir, records, built)
    except AccueilError as exc:
        eval_runs.mark_finished(run_dir, exc.message)
        raise
    except BaseException as exc:
        eval_runs.mark_finished(run_dir, f"interrompue ({type(exc).__name__})")
        raise
    eval_runs.mark_finished(run_dir)
    return EvalRun(run_dir, built["metrics"])
