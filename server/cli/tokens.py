"""The ``accueil token`` commands (API tokens) and ``accueil secret rotate`` (the session signing key)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from server.cli.base import DataDir, fail, open_database, secret_app, settings_for, token_app
from server.core.errors import AccueilError


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Argument(help="Compte auquel le jeton est rattaché.")],
    name: Annotated[str, typer.Option("--name", help="Nom de l'intégration.")] = "integration",
    scope: Annotated[
        str, typer.Option("--scope", help="lecture (consultation seule) ou redaction (créer, rédiger, valider).")
    ] = "redaction",
    expire_days: Annotated[int, typer.Option("--expire-days", help="Validité en jours.")] = 90,
    data_dir: DataDir = None,
) -> None:
    """Créer un jeton d'API (Authorization: Bearer …), affiché une seule fois."""
    from server.core.desk import auth

    try:
        with open_database(data_dir).session() as db:
            token = auth.create_token(db, user, name, scope=scope, days=expire_days)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(token)


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="Seulement les jetons de ce compte.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Lister les jetons d'API : numéro, compte, nom, portée, expiration, dernier usage, état."""
    from server.core.desk import auth

    def day(value: Any) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value is not None else "jamais"

    try:
        with open_database(data_dir).session() as db:
            rows = auth.tokens(db, user)
            lines = [
                f"{t.id:>4}  {owner:<20} {t.name:<20} {t.scope:<10} expire {day(t.expires_at):<16} "
                f"utilisé {day(t.last_used_at):<16} "
                + ("révoqué" if t.revoked else "actif" if auth.token_usable(t) else "expiré")
                for t, owner in rows
            ]
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo("\n".join(lines) if lines else "Aucun jeton.")


@token_app.command("revoke")
def token_revoke(
    number: Annotated[int, typer.Argument(help="Numéro du jeton (accueil token list).")], data_dir: DataDir = None
) -> None:
    """Révoquer un jeton d'API : il est refusé dès maintenant."""
    from server.core.desk import auth

    try:
        with open_database(data_dir).session() as db:
            row = auth.revoke_token(db, number)
            label = f"n° {row.id} ({row.name})"
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Jeton {label} révoqué.")


@secret_app.command("rotate")
def secret_rotate(data_dir: DataDir = None) -> None:
    """Remplacer la clé des cookies de session et fermer toutes les sessions (redémarrez ensuite le service)."""
    from server.core.desk import secret, sessions

    settings = settings_for(data_dir)
    try:
        secret.rotate(settings)
        with open_database(data_dir).session() as db:
            count = sessions.close_all(db)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(
        f"Nouvelle clé enregistrée ; {count} session(s) fermée(s). Redémarrez le service pour qu'il signe avec elle."
    )
