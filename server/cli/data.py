"""Commands on the stored data: ``report``, ``purge``, ``forget``, ``backup`` and ``restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import WAL_BUSY, DataDir, app, fail, settings_for
from server.core.errors import AccueilError


@app.command("report")
def weekly_report(
    since: Annotated[
        str, typer.Option("--since", help="Période : « 7d » (7 derniers jours) ou « AAAA-MM-JJ:AAAA-MM-JJ ».")
    ] = "7d",
    out: Annotated[Path, typer.Option("--out", help="Fichier HTML écrit.")] = Path("rapport-accueil.html"),
    data_dir: DataDir = None,
) -> None:
    """Écrire la synthèse de la période (activité, lacunes, sources, évaluations) en un seul fichier HTML."""
    from server.core.desk.period import Period
    from server.web.summary import write_summary

    settings = settings_for(data_dir)
    try:
        period = Period.parse(since)
        write_summary(settings, period, out)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(f"Synthèse {period.label()} : {out}")


@app.command("purge")
def purge_command(
    days: Annotated[
        int | None, typer.Option("--days", help="Durée de conservation en jours (par défaut ACCUEIL_RETENTION_DAYS).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Effacer le texte des demandes plus anciennes que la durée de conservation (seules les statistiques restent)."""
    from server.core.desk import erase_now

    try:
        run = erase_now.purge(settings_for(data_dir), days, "accueil purge")
    except AccueilError as exc:
        fail(exc)
    typer.echo(
        f"{run.count} demande(s) de plus de {run.retention_days} jours anonymisée(s) : seules les statistiques restent."
    )
    if not run.compacted:
        typer.echo(WAL_BUSY, err=True)


@app.command("forget")
def forget_command(
    email: Annotated[str, typer.Argument(help="Adresse électronique de l'habitant.")], data_dir: DataDir = None
) -> None:
    """Effacer les données d'un habitant : toutes les demandes envoyées avec cette adresse."""
    from server.core.desk import erase_now

    try:
        run = erase_now.forget(settings_for(data_dir), email, "accueil forget")
    except AccueilError as exc:
        fail(exc)
    typer.echo(f"{run.count} demande(s) effacée(s) pour cette adresse.")
    if not run.compacted:
        typer.echo(WAL_BUSY, err=True)


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Option("--out", help="Archive écrite (.tar.gz).")], data_dir: DataDir = None
) -> None:
    """Sauvegarder la base (sans les sessions), l'index, le journal des effacements et les rapports (à chaud)."""
    from server.core.desk import backup

    try:
        done = backup.backup(settings_for(data_dir), out)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(
        f"Sauvegarde {done.path} : {done.requests} demande(s), {done.audit_events} événement(s) d'audit, "
        f"index {done.generation or '(aucun)'}, {done.size_bytes / 1e6:.1f} Mo."
    )


@app.command("restore")
def restore_command(
    archive: Annotated[Path, typer.Argument(help="Archive produite par « accueil backup ».")],
    data_dir: DataDir = None,
    journal: Annotated[
        Path | None,
        typer.Option("--journal", help="Journal des effacements de l'instance sauvegardée (effacements.jsonl)."),
    ] = None,
    without_journal: Annotated[
        bool, typer.Option("--sans-journal", help="Restaurer sans journal : aucun effacement depuis la sauvegarde.")
    ] = False,
) -> None:
    """Restaurer une sauvegarde dans un dossier de données vide, en réappliquant les effacements du journal."""
    from server.core.desk import backup

    try:
        manifest = backup.restore(settings_for(data_dir), archive, journal, without_journal)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(
        f"Sauvegarde du {manifest.get('created')} restaurée ({manifest.get('requests')} demande(s)) ; "
        f"effacements réappliqués à {manifest.get('reapplied', 0)} demande(s)."
    )
