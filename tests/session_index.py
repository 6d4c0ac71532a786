"""The session's full index (demo corpus + the 388 DILA fiches), built by ``accueil ingest`` in the background.

Encoding its ≈ 3,200 extracts takes minutes of CPU. So the ingest starts as soon as the session's tests are known
(``start``, from ``pytest_collection_finish``), at the lowest priority: it runs on the CPU that the browser, server
and database tests leave idle, without slowing them. The test modules that need the index run after the others
(``needs_index``, used to order the session), and the ``full_index`` fixture (``wait``) only waits for what is left.
A session that selects no such test starts nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURE = "full_index"


@dataclass
class _Build:
    """The running ingest: its process, its data folder and its log."""

    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "ingest.log"


_build: _Build | None = None


def needs_index(item: pytest.Item) -> bool:
    """Whether a test uses the full index, directly or through another fixture (``live_server``…)."""
    return FIXTURE in getattr(item, "fixturenames", ())


def start(items: list[pytest.Item], paths: list[Path]) -> None:
    """Start ``accueil ingest PATHS`` at nice 19 in a folder of its own, if a selected test needs the index.

    It runs in that folder so that no ``.env`` is read, like the tests' settings.
    """
    global _build
    if _build is not None or not any(needs_index(item) for item in items):
        return
    folder = Path(tempfile.mkdtemp(prefix="accueil-full-index-"))
    command = [sys.executable, "-m", "server", "ingest", *map(str, paths), "--data-dir", str(folder / "data")]
    with (folder / "ingest.log").open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(19),  # its encoding workers inherit the priority
            start_new_session=True,  # one process group: stop() ends the workers too
        )
    _build = _Build(process, folder)


def wait() -> Path:
    """The index's data folder, once the ingest has ended; the test fails with the ingest's output if it failed."""
    if _build is None:
        pytest.fail("L'index complet n'a pas été lancé (tests/session_index.start).")
    if _build.process.poll() is None:
        try:  # nothing else to run now: back to the normal priority, where the system allows it (root does)
            os.setpriority(os.PRIO_PGRP, _build.process.pid, 0)
        except PermissionError:
            pass
    code = _build.process.wait()
    output = _build.log.read_text(encoding="utf-8", errors="replace")
    if code != 0 or ", 0 en erreur" not in output:
        pytest.fail(f"L'ingestion de l'index complet a échoué (code {code}) :\n{output[-4000:]}")
    return _build.data_dir


def stop() -> None:
    """End the ingest if it still runs (a session that stopped early) and remove its folder."""
    global _build
    if _build is None:
        return
    if _build.process.poll() is None:
        os.killpg(_build.process.pid, signal.SIGKILL)
        _build.process.wait()
    shutil.rmtree(_build.folder, ignore_errors=True)
    _build = None
