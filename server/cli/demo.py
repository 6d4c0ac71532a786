"""The demonstration commands: ``demo-accounts`` and ``demo-faq``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import DataDir, app, fail, open_database, settings_for
from server.core.config import REPO_ROOT
from server.core.errors import AccueilError

DEMO_ACCOUNTS = (("agent", "agent"), ("superviseur", "supervisor"))
DEMO_FAQ = REPO_ROOT / "config" / "faq-demo.json"


@app.command("demo-accounts")
def demo_accounts(data_dir: DataDir = None) -> None:
    """Créer (ou réinitialiser) les comptes de démonstration et afficher comment se connecter."""
    from server.core.desk import auth

    lines = []
    with open_database(data_dir).session() as db:
        for name, role in DEMO_ACCOUNTS:
            if auth.find_user(db, name) is None:
                _, password = auth.add_user(db, name, role)
            else:
                password = auth.reset_password(db, name)
            lines.append(f"  {name:<12} ({role:<10}) mot de passe : {password}")
    typer.echo("Comptes de démonstration (mots de passe renouvelés à chaque lancement) :")
    typer.echo("\n".join(lines))


@app.command("demo-faq")
def demo_faq(
    file: Annotated[Path, typer.Option("--file", help="Entrées de FAQ (JSON).")] = DEMO_FAQ,
    data_dir: DataDir = None,
) -> None:
    """Publier les entrées de FAQ de démonstration (celles qui existent déjà sont laissées telles quelles)."""
    from server.core.answer.assistant import Assistant
    from server.core.desk import faq

    settings = settings_for(data_dir)
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
        docs = dict(Assistant(settings).index().manifest.docs)
        added = 0
        with open_database(data_dir).session() as db:
            known = {e.question for e in faq.entries(db)}
            for item in entries:
                if item["question"] in known:
                    continue
                sources = faq.sources_from(item["sources"], docs)
                entry = faq.create(db, item["question"], item["answer"], item["theme"], sources, "demonstration")
                faq.set_published(db, entry, True, "demonstration")
                added += 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        typer.echo(f"Erreur : fichier de FAQ illisible {file} : {exc}", err=True)
        raise typer.Exit(1) from exc
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"FAQ de démonstration : {added} entrée(s) publiée(s), {len(entries) - added} déjà présente(s).")
