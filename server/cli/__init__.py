"""The ``accueil`` command: the one place that imports every part (core, ingest, web, eval).

One module per group of commands; each command parses its arguments, calls core (or eval) and prints the result.
The modules are imported in the order their commands are listed by ``accueil --help``.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import typer

from server.cli.base import app
from server.core.errors import AccueilError

__all__ = ["app", "main"]

# Importing a module registers its commands; this order is the order of ``accueil --help``.
COMMAND_MODULES = ("documents", "service", "evaluation", "data", "demo", "faq", "users", "tokens")
for _name in COMMAND_MODULES:
    importlib.import_module(f"server.cli.{_name}")


def main() -> None:
    """Entry point of the console script."""
    # One compute thread per draft: a matrix product must not start its own threads besides the requests' (with 16
    # requests at once, BLAS threads on 2 cores made the service slower the busier it was) nor spin beside the
    # encoder in ``ask``, ``eval`` and ``bench`` (one dense search: 8.3 ms of CPU with the default threads, 0.18 ms
    # with one, 388-fiche index). Set before numpy is first imported; a value set outside is kept.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        app()
    except AccueilError as exc:  # any command: one French line (a full disk, a read-only base…), not a traceback
        typer.echo(f"Erreur : {exc.message}", err=True)
        sys.exit(1)
