"""Data built once per test run and shared by its workers: the full index (demo corpus + the 388 DILA fiches), built
by ``accueil ingest`` in the background, and the demo corpus's index.

``make test`` runs the slow tier on two pytest-xdist workers; each collects the same tests and has its own session
fixtures. So what costs minutes of CPU is built once per *run*, in a folder that the run's first process creates
(``configure``: the xdist controller, or the only process without xdist) and names in ``ACCUEIL_TEST_RUN_DIR``, which
the workers inherit; the same process removes it at the end (``unconfigure``).

Encoding the full index's ≈ 3,200 extracts takes minutes of CPU. So its ingest starts as soon as a process knows
its tests (``start``, from ``pytest_collection_finish``; the first worker to claim the folder starts it), at the
lowest priority: it runs on the CPU that the browser, server and database tests leave idle. The test modules that
need it run after the others (``needs_index``, used to order the session), and the ``full_index`` fixture
(``wait``) only waits for what is left. A run that selects no such test starts nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURE = "full_index"
RUN_DIR = "ACCUEIL_TEST_RUN_DIR"
INDEX = "full-index"
WAIT_LIMIT_S = 3600  # a build that never reports its end (its wrapper killed) fails the tests instead of hanging

_started: subprocess.Popen[bytes] | None = None  # the ingest this process started, reaped when it ends


def configure(config: pytest.Config) -> None:
    """In the run's first process, create the run's folder (workers, which inherit its name, do nothing)."""
    if not hasattr(config, "workerinput"):
        os.environ[RUN_DIR] = tempfile.mkdtemp(prefix="accueil-tests-")


def unconfigure(config: pytest.Config) -> None:
    """In the run's first process, end an ingest still running (a run stopped early) and remove the folder."""
    if hasattr(config, "workerinput") or RUN_DIR not in os.environ:
        return
    run = Path(os.environ.pop(RUN_DIR))
    pid = run / INDEX / "pid"
    if pid.exists() and not (run / INDEX / "rc").exists():
        try:
            os.killpg(int(pid.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass
    if _started is not None:
        _started.wait()
    shutil.rmtree(run, ignore_errors=True)


def run_dir() -> Path:
    """The run's folder, shared by its processes."""
    if RUN_DIR not in os.environ:
        pytest.fail(f"{RUN_DIR} n'est pas défini (tests/conftest.py appelle session_index.configure).")
    return Path(os.environ[RUN_DIR])


def needs_index(item: pytest.Item) -> bool:
    """Whether a test uses the full index, directly or through another fixture (``live_server``…)."""
    return FIXTURE in getattr(item, "fixturenames", ())


def start(items: list[pytest.Item], paths: list[Path]) -> None:
    """Start ``accueil ingest PATHS`` at nice 19, if a selected test needs the index and no process of the run did.

    It runs in the index's folder so that no ``.env`` is read, like the tests' settings. A shell around it writes its
    exit code to ``rc``: every worker, not only the one that started it, sees when it has ended.
    """
    global _started
    if not any(needs_index(item) for item in items):
        return
    folder = run_dir() / INDEX
    try:
        folder.mkdir()
    except FileExistsError:
        return  # another worker of the run started it
    ingest = [sys.executable, "-m", "server", "ingest", *map(str, paths), "--data-dir", str(folder / "data")]
    command = ["sh", "-c", '"$@"; echo $? > rc.part && mv rc.part rc', "sh", *ingest]
    with (folder / "ingest.log").open("wb") as log:
        _started = subprocess.Popen(
            command,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(19),  # its encoding workers inherit the priority
            start_new_session=True,  # one process group: unconfigure() ends the workers too
        )
    (folder / "pid").write_text(str(_started.pid))


def wait() -> Path:
    """The index's data folder, once the ingest has ended; the test fails with the ingest's output if it failed."""
    folder = run_dir() / INDEX
    if not (folder / "pid").exists():
        pytest.fail("L'index complet n'a pas été lancé (tests/session_index.start).")
    pid = int((folder / "pid").read_text())
    try:  # nothing else to run now: back to the normal priority, where the system allows it (root does)
        os.setpriority(os.PRIO_PGRP, pid, 0)
    except (PermissionError, ProcessLookupError):
        pass
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not (folder / "rc").exists():
        if _started is not None:
            _started.poll()  # reap it if it is ours
        if time.monotonic() > deadline:
            pytest.fail(f"L'index complet n'est pas fini après {WAIT_LIMIT_S} s (voir {folder / 'ingest.log'}).")
        time.sleep(0.5)
    code = int((folder / "rc").read_text())
    output = (folder / "ingest.log").read_text(encoding="utf-8", errors="replace")
    if code != 0 or ", 0 en erreur" not in output:
        pytest.fail(f"L'ingestion de l'index complet a échoué (code {code}) :\n{output[-4000:]}")
    return folder / "data"


def once(name: str, build: Callable[[Path], None]) -> Path:
    """``RUN/name``, built by ``build(folder)`` in the first process of the run that asks for it; the others wait
    for it (a file lock) and find it built. The folder is shared: whoever changes it works on a copy."""
    folder = run_dir() / name
    with (run_dir() / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".fait").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed in another worker
            folder.mkdir()
            build(folder)
            (folder / ".fait").touch()
    return folder
