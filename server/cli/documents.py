"""Commands on the index and on drafts: ``ingest`` and ``ask``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli.base import DataDir, Mode, app, fail, settings_for, with_mode
from server.core.config import Settings
from server.core.errors import AccueilError, InputError


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Fichiers, dossiers ou zips à indexer.")],
    data_dir: DataDir = None,
    strict: Annotated[bool, typer.Option(help="Échouer (sans rien modifier) si un fichier est en erreur.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Retirer de l'index les documents d'un chemin disparu ou vidé.")
    ] = False,
) -> None:
    """Indexer des documents (Markdown, texte, HTML, PDF, fiches service-public XML ou zip)."""
    from ingest.pipeline import run_ingest
    from server.core.desk import faq_watch

    settings = settings_for(data_dir)
    try:
        s = run_ingest(settings, paths, strict=strict, progress=sys.stderr.isatty(), prune=prune)
        # Every run, not only when documents were updated: an ingest that re-encodes everything (model changed)
        # counts every document as added, whatever its text.
        withdrawn = faq_watch.after_ingest(settings)
    except AccueilError as exc:
        fail(exc)
        return
    typer.echo(
        f"Documents : {s.added} ajoutés, {s.updated} mis à jour, {s.unchanged} inchangés, "
        f"{s.deleted} supprimés, {len(s.failed)} en erreur"
        + (f", {s.duplicates} doublons identiques ignorés." if s.duplicates else ".")
    )
    typer.echo(f"Extraits : {s.chunks_embedded} encodés, {s.chunks_total} dans l'index ({s.generation or 'aucun'}).")
    for line in s.failed:
        typer.echo(f"  ✗ {line}")
    for line in s.skipped:
        typer.echo(f"  ⚠ {line}")
    if withdrawn:
        typer.echo(
            f"FAQ : {len(withdrawn)} entrée(s) retirée(s) de la FAQ publique, une de leurs sources ayant changé ou "
            "disparu (à relire dans Supervision → FAQ) :"
        )
        for question in withdrawn:
            typer.echo(f"  ↓ {question}")
    if s.ingested == 0 and not (prune and s.deleted):
        typer.echo("Erreur : aucun document n'a pu être indexé.", err=True)
        raise typer.Exit(1)


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    status = "Réponse proposée" if result.status == "answered" else "Abstention"
    typer.echo(f"[{status} — confiance {result.confidence:.2f}, seuil {result.threshold:.2f}]\n")
    if result.llm and result.llm.notice:
        typer.echo(f"[{result.llm.notice}]\n")
    typer.echo(result.draft)
    if result.llm:
        for claim in result.llm.removed:
            typer.echo(f"\nPhrase retirée : {claim.text}\n  motif : {' ; '.join(claim.reasons)}")
    if result.status == "abstained":
        return
    typer.echo("\nCitations :")
    for c in result.citations:
        typer.echo(f"  [{c.n}] {c.doc_id} : « {c.quote} »")


def check_history(settings: Settings, history: list[str]) -> None:
    """Refuse more earlier questions than ``max_history_questions``, or one over ``max_question_chars`` (as the API)."""
    if len(history) > settings.max_history_questions:
        raise InputError(f"--history : {len(history)} questions pour {settings.max_history_questions} au plus.")
    for i, earlier in enumerate(history, start=1):
        if len(earlier.strip()) > settings.max_question_chars:
            raise InputError(f"--history n° {i} : plus de {settings.max_question_chars} caractères.")


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="La question du citoyen.")] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Résultat en JSON.")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="Fichier JSONL {id, question} par ligne.")] = None,
    history: Annotated[list[str] | None, typer.Option("--history", help="Question précédente du fil.")] = None,
    public_only: Annotated[
        bool, typer.Option("--public-only", help="N'utiliser que les documents destinés au public.")
    ] = False,
    mode: Annotated[Mode | None, typer.Option("--mode", help="Mode de rédaction (par défaut : réglage).")] = None,
) -> None:
    """Rédiger un brouillon de réponse (ou s'abstenir) pour une question ou un lot de questions."""
    from server.core.answer.assistant import Assistant
    from server.core.answer.batch import draft_batch

    settings = with_mode(settings_for(data_dir), mode)
    assistant = Assistant(settings)
    try:
        check_history(settings, history or [])
        if batch is None:
            if not question:
                typer.echo("Erreur : donnez une question ou --batch FICHIER.", err=True)
                raise typer.Exit(2)
            _print_result(assistant.draft(question, history=history, public_only=public_only), as_json)
            return
        for line in draft_batch(assistant, batch, public_only=public_only):
            if line.result is None:
                typer.echo(line.error, err=True)
            else:
                typer.echo(line.result.model_dump_json())  # flushed line by line: a reader of the pipe follows
    except AccueilError as exc:
        fail(exc)
    except OSError as exc:
        typer.echo(f"Erreur : lecture impossible de {batch} : {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
