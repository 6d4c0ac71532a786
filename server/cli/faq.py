"""The ``accueil faq`` commands: ``import`` (JSONL, CSV or a saved HTML page) and ``export`` (JSONL or CSV) of the
public FAQ."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import DataDir, fail, faq_app, open_database, settings_for
from server.core.errors import AccueilError, ConfigError

IMPORT_ACTOR = "accueil faq import"
Actor = Annotated[str, typer.Option("--actor", help="Nom inscrit dans l'historique des entrées.")]


@faq_app.command("import")
def faq_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="Fichier .jsonl ou .csv (question, answer, variants, sources), ou page de FAQ enregistrée "
            "(.html, .htm : données schema.org FAQPage, <details>, <dl>, accordéons ou titres en question)."
        ),
    ],
    draft: Annotated[
        bool, typer.Option("--draft", help="Ne rien publier : entrées ajoutées ou modifiées laissées non publiées.")
    ] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="LIEN_OU_DOCUMENT",
            help="Page HTML seulement : source de toutes ses questions (lien ou identifiant d'un document de "
            "l'index), à la place du lien de la page (canonical ou og:url).",
        ),
    ] = None,
    actor: Actor = IMPORT_ACTOR,
    data_dir: DataDir = None,
) -> None:
    """Importer une FAQ (fichier JSONL ou CSV, ou page HTML enregistrée depuis le site de la commune) : même question
    (espaces et casse mis à part) → entrée mise à jour, jamais en double."""
    from server.core.desk import faq_io, faq_watch

    settings = settings_for(data_dir)
    try:
        docs = faq_io.indexed_docs(settings.index_dir)
        if docs is None:
            raise ConfigError(
                "Aucun index : indexez d'abord les documents (accueil ingest), "
                "les sources des entrées y sont vérifiées."
            )
        with open_database(data_dir).session() as db:
            report = faq_io.import_file(db, file, docs, actor, draft, source)
            faq_watch.check(db, settings.index_dir)  # the texts the entries published now agree with
    except AccueilError as exc:
        fail(exc)
    typer.echo("\n".join(report.lines()))
    if report.refused:
        raise typer.Exit(1)


@faq_app.command("export")
def faq_export(
    file: Annotated[Path, typer.Argument(help="Fichier .jsonl ou .csv à écrire (remplacé s'il existe ; pas de HTML).")],
    all_entries: Annotated[
        bool, typer.Option("--all", help="Aussi les entrées non publiées (qu'un import sans --draft publierait).")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Exporter la FAQ publiée en JSONL ou en CSV (selon l'extension), dans le format que lit accueil faq import."""
    from server.core.desk import faq_io

    try:
        with open_database(data_dir).session() as db:
            count = faq_io.export_file(db, file, published_only=not all_entries)
    except AccueilError as exc:
        fail(exc)
    typer.echo(f"{count} entrée(s) de FAQ écrite(s) dans {file}.")


@faq_app.command("match")
def faq_match_batch(
    batch: Annotated[Path, typer.Option("--batch", help="Fichier JSONL {id, question} par ligne.")],
    data_dir: DataDir = None,
) -> None:
    """Pour chaque question d'un lot, l'entrée publiée que montre la page /question (ou aucune) et les propositions,
    une ligne JSON {id, entry, score, suggestions} par question."""
    import json

    from server.core.answer.embed import embedder_for
    from server.core.desk import faq_match

    settings = settings_for(data_dir)
    try:
        with open_database(data_dir).session() as db, open(batch, encoding="utf-8") as fh:
            for line in faq_match.match_lines(db, embedder_for(settings), settings.commune_name, fh):
                if line.result is None:
                    typer.echo(line.error, err=True)
                else:
                    typer.echo(json.dumps(line.result, ensure_ascii=False))
    except AccueilError as exc:
        fail(exc)
    except OSError as exc:
        typer.echo(f"Erreur : lecture impossible de {batch} : {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
