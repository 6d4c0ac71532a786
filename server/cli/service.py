"""Commands that start a service: ``serve`` (the web service) and ``llm-serve`` (a local language model)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import DataDir, app, fail, settings_for
from server.core.errors import AccueilError


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute.")] = None,
    port: Annotated[int | None, typer.Option(help="Port d'écoute.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processus de service (ils partagent la base, l'index et sa génération).")
    ] = 1,
) -> None:
    """Démarrer le service web (API et pages)."""
    import os

    import uvicorn

    from server.web.access_log import log_config

    # Requests run in a thread pool, each with one compute thread (``server.cli.main`` limits BLAS threads).
    settings = settings_for(data_dir)
    host, port = host or settings.host, port or settings.port
    from server.core.desk.db import Database

    try:
        if workers == 1:
            from server.web.app import create_app

            application = create_app(settings)
        else:
            Database(settings).close()  # migrate once here, before the workers start (this one only supervises)
    except AccueilError as exc:
        fail(exc)
        return
    if workers > 1:
        from server.web.security import secret_key, secret_key_saved

        key = secret_key(settings)  # made once here, so that every worker signs sessions with the same key
        if not secret_key_saved(settings):
            os.environ["ACCUEIL_SECRET_KEY"] = key  # could not be saved (read-only or full disk)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="info", log_config=log_config())
        return
    os.environ["ACCUEIL_DATA_DIR"] = str(settings.data_dir)
    # Each worker encodes questions with its own threads: share the cores rather than oversubscribe them.
    os.environ.setdefault("ACCUEIL_EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    uvicorn.run(
        "server.web.app:create_app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(),  # the access log keeps paths only: no query string, no private link
    )


@app.command("llm-serve")
def llm_serve(
    model: Annotated[Path, typer.Argument(help="Fichier GGUF du modèle (instruct, avec gabarit de conversation).")],
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8081,
    threads: Annotated[int, typer.Option(help="Fils de calcul du modèle.")] = 1,
    context: Annotated[int, typer.Option(help="Fenêtre de contexte, en jetons.")] = 4096,
) -> None:
    """Servir un modèle GGUF local derrière une API compatible OpenAI (pour ACCUEIL_LLM_BASE_URL)."""
    from server.core.answer.local_llm import serve_gguf

    stop = threading.Event()
    typer.echo(f"Modèle {model.name} servi sur http://{host}:{port}/v1 (Ctrl-C pour arrêter).")
    try:
        serve_gguf(model, host, port, threads, context, stop)
    except AccueilError as exc:
        fail(exc)
    except KeyboardInterrupt:
        stop.set()
