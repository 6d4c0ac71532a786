"""The demonstration commands: ``demo-accounts`` and ``demo-faq``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import DataDir, app, fail, settings_for
from server.core.config import REPO_ROOT
from server.core.errors import AccueilError

DEMO_FAQ = REPO_ROOT / "config" / "faq-demo.json"


@app.command("demo-accounts")
def demo_accounts(data_dir: DataDir = None) -> None:
    """Créer (ou réinitialiser) les comptes de démonstration et afficher comment se connecter."""
    from server.core.desk import demo

    accounts = demo.reset_accounts(settings_for(data_dir))
    typer.echo("Comptes de démonstration (mots de passe renouvelés à chaque lancement) :")
    typer.echo("\n".join(f"  {name:<12} ({role:<10}) mot de passe : {password}" for name, role, password in accounts))


@app.command("demo-faq")
def demo_faq(
    file: Annotated[Path, typer.Option("--file", help="Entrées de FAQ (JSON).")] = DEMO_FAQ,
    data_dir: DataDir = None,
) -> None:
    """Publier les entrées de FAQ de démonstration (celles qui existent déjà sont laissées telles quelles)."""
    from server.core.desk import demo

    try:
        added, present = demo.publish_faq(settings_for(data_dir), file)
    except AccueilError as exc:
        fail(exc)
    typer.echo(f"FAQ de démonstration : {added} entrée(s) publiée(s), {present} déjà présente(s).")
