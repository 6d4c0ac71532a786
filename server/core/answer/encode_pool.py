"""Encoding a long list of texts (an ingest) over one single-threaded process per core.

Both ONNX encoders (``embed_onnx.OnnxEncoder``, ``e5_embed.E5Encoder``) run texts one at a time, and a single text
is too small a task to keep two threads busy: on 2 cores, two processes with one thread each encode about a quarter
faster than one process with two threads. Each worker process builds its own encoder once (``factory(*args,
threads=1)``, spawned, so nothing of the parent's state is shared) and encodes every ``cores``-th text. A worker
whose parent is gone (an ingest killed with ``kill -9`` cannot stop its pool) exits within a second instead of
holding its model's memory for ever.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np

PARALLEL_MIN = 64  # fewer texts than this are encoded in the calling process
ORPHAN_CHECK_S = 0.5  # how often a worker checks that the process which started it is still there


class Encoder(Protocol):
    """What a worker runs: unit-length vectors, one row per text, each text on its own."""

    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class EncodePool:
    """A pool of encoding processes, started on first use; ``factory`` must be importable (a module-level class)."""

    def __init__(self, factory: Callable[..., Encoder], *args: object) -> None:
        self.factory = factory
        self.args = args
        self._pool: ProcessPoolExecutor | None = None

    def encode(self, encoder: Encoder, texts: list[str]) -> np.ndarray:
        """The vectors ``encoder.encode(texts)`` gives, computed by the pool when the list is long enough."""
        cores = os.cpu_count() or 1
        if cores < 2 or len(texts) < PARALLEL_MIN:
            return encoder.encode(texts)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                cores,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.factory, self.args, os.getpid()),
            )
        out = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
        for i, vectors in enumerate(self._pool.map(_worker_encode, [texts[i::cores] for i in range(cores)])):
            out[i::cores] = vectors
        return out

    def close(self) -> None:
        """Stop the encoding processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_WORKER: Any = None


def _start_worker(factory: Callable[..., Encoder], args: tuple[object, ...], parent: int) -> None:
    global _WORKER
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    _WORKER = factory(*args, threads=1)


def _exit_when_orphaned(parent: int) -> None:
    """End this worker once its parent has died (the pool's queues never tell a worker so)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def _worker_encode(texts: list[str]) -> np.ndarray:
    assert _WORKER is not None
    return _WORKER.encode(texts)  # type: ignore[no-any-return]
