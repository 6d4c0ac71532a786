"""Local servers started by the benchmarks and the tests: a process, ready once an HTTP probe answers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from server.core.config import REPO_ROOT


@contextmanager
def running(
    cmd: list[str],
    probe: str,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    ready: tuple[int, ...] = (200,),
    seconds: float = 120.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` until the block ends; enter the block once GET ``probe`` answers with a status in ``ready``."""
    log: IO[bytes] | int = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if httpx.get(probe, timeout=10).status_code in ready:  # /health may wait on a probe
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} n'a pas démarré (journal : {log_path})")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if not isinstance(log, int):
            log.close()
