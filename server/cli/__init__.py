"""The ``accueil`` command: the one place that imports every part (core, ingest, web, eval).

One module per group of commands; each command parses its arguments, calls core (or eval) and prints the result.
The modules are imported in the order their commands are listed by ``accueil --help``.
"""

from __future__ import annotations

import importlib
import logging
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
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        app()
    except AccueilError as exc:  # any command: one French line (a full disk, a read-only base…), not a traceback
        typer.echo(f"Erreur : {exc.message}", err=True)
        sys.exit(1)
