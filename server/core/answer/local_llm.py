"""``accueil llm-serve``: a local GGUF model behind an OpenAI-compatible endpoint on this machine.

It runs llama.cpp's own HTTP server in this process through the ``xllamacpp`` package (optional extra ``local``:
``pip install -e '.[local]'``), which ships prebuilt wheels; ``llama-cpp-python`` has none for this Python and
builds from source for many minutes. The ``llm`` mode then reaches it like any other endpoint
(``ACCUEIL_LLM_BASE_URL=http://127.0.0.1:PORT/v1``).
"""

from __future__ import annotations

import threading
from pathlib import Path

from server.core.errors import ConfigError


def serve_gguf(model: Path, host: str, port: int, threads: int, context: int, stop: threading.Event) -> None:
    """Serve ``model`` on ``host:port`` until ``stop`` is set."""
    if not model.is_file():
        raise ConfigError(f"Modèle introuvable : {model}")
    try:
        import xllamacpp as xlc
    except ImportError as exc:
        raise ConfigError(
            "Le paquet xllamacpp manque : installez l'option locale (pip install -e '.[local]')."
        ) from exc
    params = xlc.CommonParams()
    params.model.path = str(model)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = context
    # One thread is the robust choice on a 2-core machine that also serves the application: with two, a busy
    # second core makes each token wait for the slower thread.
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    server = xlc.Server(params)
    try:
        stop.wait()
    finally:
        del server
