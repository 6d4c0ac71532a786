"""What every command of ``accueil`` shares: the Typer apps, the ``--data-dir`` option, settings and error output."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from server.core.config import Settings, get_settings
from server.core.errors import AccueilError

if TYPE_CHECKING:
    from server.core.desk.db import Database

app = typer.Typer(
    help="accueil : assistant de l'accueil des mairies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Comptes des agents, responsables et administrateurs.", no_args_is_help=True)
token_app = typer.Typer(help="Jetons d'API pour les intégrations.", no_args_is_help=True)
secret_app = typer.Typer(help="Clé de signature des cookies de session.", no_args_is_help=True)
faq_app = typer.Typer(
    help="FAQ publique : importer, exporter, retrouver l'entrée d'une question.", no_args_is_help=True
)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(secret_app, name="secret")
app.add_typer(faq_app, name="faq")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Dossier des données (index, base).")]
WAL_BUSY = (
    "Attention : le journal WAL de la base est resté occupé par le service ; relancez la commande pour qu'il ne "
    "garde aucune ancienne page."
)


class Mode(StrEnum):
    """Drafting modes of ``ask`` and ``eval``."""

    extractive = "extractive"
    llm = "llm"


def with_mode(settings: Settings, mode: Mode | None) -> Settings:
    """``settings`` with the drafting mode ``mode`` (unchanged when None)."""
    return settings if mode is None else settings.model_copy(update={"draft_mode": mode.value})


def settings_for(data_dir: Path | None) -> Settings:
    """The settings, with ``--data-dir`` when given."""
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def open_database(data_dir: Path | None) -> Database:
    """The database of these settings (migrated on opening)."""
    from server.core.desk.db import Database

    return Database(settings_for(data_dir))


def fail(exc: AccueilError) -> NoReturn:
    """Print the error's French message on stderr and exit with status 1."""
    typer.echo(f"Erreur : {exc.message}", err=True)
    raise typer.Exit(1)
