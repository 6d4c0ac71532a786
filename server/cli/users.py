"""The ``accueil user`` commands: create accounts, change passwords, disable, enable, log out everywhere."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from server.cli.base import DataDir, fail, open_database, user_app
from server.core.errors import AccueilError, InputError


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Identifiant de connexion.")],
    role: Annotated[str, typer.Option("--role", help="agent, supervisor ou admin.")] = "agent",
    data_dir: DataDir = None,
) -> None:
    """Créer un compte ; le mot de passe est demandé (deux fois au terminal) ou généré et affiché une fois si vide."""
    from server.core.desk import auth

    try:
        password = _ask_password(name)
        with open_database(data_dir).session() as db:
            _, generated = auth.add_user(db, name, role, password)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Compte {name!r} créé (rôle {role}).")
    if generated:
        typer.echo(f"Mot de passe généré (affiché une seule fois) : {generated}")


def _ask_password(name: str) -> str | None:
    """The password typed for account ``name``, checked against the policy; None (empty answer) to generate one.

    At a terminal it is typed twice, hidden; otherwise one line is read from the standard input.
    """
    from server.core.desk import password_policy

    if sys.stdin.isatty():
        prompt = "Mot de passe (12 caractères au moins ; vide : en générer un)"
        password = typer.prompt(prompt, default="", hide_input=True, show_default=False)
        if password and typer.prompt("Confirmez le mot de passe", hide_input=True) != password:
            raise InputError("Les deux saisies diffèrent : rien n'a été changé.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if password:
        password_policy.check(password, name)
    return password or None


@user_app.command("password")
def user_password(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Changer le mot de passe d'un compte (demandé, ou généré si vide) ; ses sessions se ferment."""
    from server.core.desk import auth

    try:
        password = _ask_password(name)
        with open_database(data_dir).session() as db:
            generated = auth.set_password(db, name, password)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Mot de passe de {name!r} changé ; ses sessions ouvertes sont fermées.")
    if generated:
        typer.echo(f"Nouveau mot de passe (affiché une seule fois) : {generated}")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Désactiver un compte (départ d'un agent) : ses sessions se ferment aussitôt, ses jetons sont refusés."""
    from server.core.desk import auth

    try:
        with open_database(data_dir).session() as db:
            auth.set_active(db, name, False)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Compte {name!r} désactivé : ses sessions sont fermées et ses jetons d'API refusés.")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Réactiver un compte désactivé (il devra se reconnecter)."""
    from server.core.desk import auth

    try:
        with open_database(data_dir).session() as db:
            auth.set_active(db, name, True)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Compte {name!r} réactivé.")


@user_app.command("logout")
def user_logout(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Fermer toutes les sessions d'un compte, sur tous les navigateurs (« déconnecter partout »)."""
    from server.core.desk import auth

    try:
        with open_database(data_dir).session() as db:
            count = auth.logout_everywhere(db, name)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"{count} session(s) de {name!r} fermée(s).")
