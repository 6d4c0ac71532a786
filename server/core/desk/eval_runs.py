"""The evaluation runs of an instance: one folder each under ``<data_dir>/evals/``, with a status file.

``accueil eval`` writes ``status.json`` as it goes (state, questions done, total) and the report files at the end;
the supervisor page lists the folders and can start a run in the background, as a separate ``accueil eval``
process (the web service never imports the evaluation code, and a run survives a page reload).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.core.config import Settings
from server.core.errors import Conflict, InputError, NotFound
from server.core.metric_registry import EVAL_HEADLINE

STATUS = "status.json"
HEADLINE = EVAL_HEADLINE  # their labels and formats: server.core.metric_registry
STATE_LABELS = {"en_cours": "en cours", "terminee": "terminée", "echec": "échec", "inconnu": "inconnu"}
# What a run costs on a modest machine (2 cores): loading the model and the index, then each question.
STARTUP_SECONDS = 30.0
SECONDS_PER_QUESTION = 0.5
LONG_RUN_SECONDS = 60.0
_RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[a-z0-9_-]{1,40}$")


@dataclass
class EvalRun:
    """One evaluation run: where it is, how far it went, its headline metrics once done."""

    run_id: str
    path: Path
    state: str
    dataset: str = ""
    done: int = 0
    total: int = 0
    started: str = ""
    finished: str = ""
    error: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def progress(self) -> float:
        """Share of the questions drafted so far."""
        return self.done / self.total if self.total else 0.0

    @property
    def has_report(self) -> bool:
        """True when the HTML report exists."""
        return (self.path / "report.html").is_file()


def runs_dir(settings: Settings) -> Path:
    """Where the instance's evaluation runs are kept."""
    return settings.data_dir / "evals"


def new_run_dir(settings: Settings, dataset: Path) -> Path:
    """A fresh run folder named after the time and the dataset."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    name = re.sub(r"[^a-z0-9_-]+", "-", dataset.stem.lower())[:40] or "jeu"
    path = runs_dir(settings) / f"{stamp}-{name}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def write_status(run_dir: Path, **fields: Any) -> None:
    """Update the run's status file atomically (readers never see half a file)."""
    current = read_status(run_dir)
    current.update(fields)
    tmp = run_dir / f".{STATUS}.tmp"
    tmp.write_text(json.dumps(current, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, run_dir / STATUS)


def read_status(run_dir: Path) -> dict[str, Any]:
    """The run's status, or {} when it has none yet."""
    try:
        return dict(json.loads((run_dir / STATUS).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load(path: Path) -> EvalRun:
    """A run folder as an EvalRun (a run whose process died is marked failed)."""
    status = read_status(path)
    state = str(status.get("state", "inconnu"))
    error = str(status.get("error", ""))
    if state == "en_cours" and not _pid_alive(status.get("pid")):
        state, error = "echec", error or "le processus d'évaluation s'est arrêté avant la fin"
    metrics: dict[str, Any] = {}
    if (path / "report.json").is_file():
        try:
            report = json.loads((path / "report.json").read_text(encoding="utf-8"))
            metrics = {k: report["metrics"].get(k) for k in HEADLINE}
        except (OSError, ValueError, KeyError):
            error = error or "rapport illisible"
    return EvalRun(
        run_id=path.name,
        path=path,
        state=state,
        dataset=str(status.get("dataset", "")),
        done=int(status.get("done", 0)),
        total=int(status.get("total", 0)),
        started=str(status.get("started", "")),
        finished=str(status.get("finished", "")),
        error=error,
        metrics=metrics,
    )


def list_runs(settings: Settings) -> list[EvalRun]:
    """Every run of the instance, newest first."""
    root = runs_dir(settings)
    if not root.is_dir():
        return []
    return [load(p) for p in sorted(root.iterdir(), reverse=True) if p.is_dir() and _RUN_ID.match(p.name)]


def get_run(settings: Settings, run_id: str) -> EvalRun:
    """One run by its id (the folder name), or NotFound; ids are checked, never used as raw paths."""
    if not _RUN_ID.match(run_id) or not (runs_dir(settings) / run_id).is_dir():
        raise NotFound(f"Évaluation {run_id!r} introuvable.")
    return load(runs_dir(settings) / run_id)


@dataclass(frozen=True)
class Dataset:
    """A question set offered on the supervisor page: its file, its size and how long a run of it takes."""

    path: Path
    questions: int

    @property
    def name(self) -> str:
        """The file name (what the form sends)."""
        return self.path.name

    @property
    def seconds(self) -> float:
        """Estimated duration of a run, in seconds."""
        return STARTUP_SECONDS + SECONDS_PER_QUESTION * self.questions

    @property
    def long(self) -> bool:
        """True when a run takes a minute or more: the supervisor confirms first."""
        return self.seconds >= LONG_RUN_SECONDS

    @property
    def duration(self) -> str:
        """The estimated duration, in French words."""
        return f"environ {max(1, round(self.seconds / 60))} min" if self.long else "moins d'une minute"

    @property
    def label(self) -> str:
        """How the form names it, in French."""
        return f"{self.path.stem} — {self.questions} questions ({self.duration})"


def question_count(path: Path) -> int:
    """How many evaluation questions the file holds; 0 when it is not a question set (every line must be one)."""
    count = 0
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                raw = json.loads(line)
                if not (
                    isinstance(raw, dict)
                    and isinstance(raw.get("question"), str)
                    and raw.get("id") is not None
                    and raw.get("expect") in ("answer", "abstain")
                ):
                    return 0
                count += 1
    except (OSError, UnicodeDecodeError, ValueError):
        return 0
    return count


def datasets(settings: Settings) -> list[Dataset]:
    """The question sets offered on the supervisor page: files whose every line is an evaluation question."""
    folder = settings.eval_datasets_dir
    found = [Dataset(p, question_count(p)) for p in sorted(folder.glob("*.jsonl"))] if folder.is_dir() else []
    return [d for d in found if d.questions]


def start(settings: Settings, dataset_name: str, confirmed: bool = False) -> EvalRun:
    """Start ``accueil eval`` on the current index in the background; one run at a time; a long one once confirmed."""
    found = next((d for d in datasets(settings) if d.name == dataset_name), None)
    if found is None:
        raise InputError(f"Jeu d'évaluation inconnu {dataset_name!r}.")
    if found.long and not confirmed:
        raise InputError(f"Cette évaluation dure {found.duration} : cochez la case de confirmation pour la lancer.")
    dataset = found.path
    if any(run.state == "en_cours" for run in list_runs(settings)):
        raise Conflict("Une évaluation est déjà en cours : attendez sa fin.")
    run_dir = new_run_dir(settings, dataset)
    write_status(run_dir, state="en_cours", dataset=dataset.name, done=0, total=0, started=_now())
    log = open(run_dir / "journal.txt", "wb")  # noqa: SIM115 - handed to the child process, closed below
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "eval", "--dataset", str(dataset), "--out", str(run_dir)]
            + ["--data-dir", str(settings.data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()
    # Reap the child when it ends, so that a crashed run is not taken for a live one.
    threading.Thread(target=proc.wait, daemon=True).start()
    write_status(run_dir, pid=proc.pid)
    return load(run_dir)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def mark_started(run_dir: Path, dataset: Path, total: int) -> None:
    """Called by ``accueil eval`` when it begins drafting."""
    write_status(run_dir, state="en_cours", dataset=dataset.name, done=0, total=total, pid=os.getpid())
    if not read_status(run_dir).get("started"):
        write_status(run_dir, started=_now())


def mark_progress(run_dir: Path, done: int) -> None:
    """Called by ``accueil eval`` as questions are drafted."""
    write_status(run_dir, done=done)


def mark_finished(run_dir: Path, error: str = "") -> None:
    """Called by ``accueil eval`` at the end, with the error message if it failed."""
    write_status(run_dir, state="echec" if error else "terminee", finished=_now(), error=error)
