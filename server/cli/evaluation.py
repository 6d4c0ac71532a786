"""Commands that measure: ``eval`` (and its calibration), ``eval-claims`` and ``bench``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from server.cli.base import DataDir, Mode, app, fail, settings_for, with_mode
from server.core.config import REPO_ROOT, get_settings
from server.core.errors import AccueilError, InputError


@app.command("eval")
def evaluate(
    dataset: Annotated[Path, typer.Option("--dataset", help="Jeu de questions JSONL.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Dossier du rapport (par défaut : <données>/evals/<date>-<jeu>).")
    ] = None,
    data_dir: DataDir = None,
    mode: Annotated[Mode, typer.Option("--mode", help="Mode de rédaction évalué.")] = Mode.extractive,
    compare: Annotated[
        Path | None, typer.Option("--compare", help="Rapport (dossier ou report.json) à comparer.")
    ] = None,
    calibrate: Annotated[bool, typer.Option(help="Recalibrer la confiance et le seuil sur ce jeu.")] = False,
    target_accuracy: Annotated[float, typer.Option(help="Précision visée des réponses données.")] = 0.90,
    target_recall: Annotated[float, typer.Option(help="Rappel d'abstention visé.")] = 0.90,
    min_coverage: Annotated[
        float, typer.Option(help="Part minimale des questions à réponse auxquelles l'assistant doit répondre.")
    ] = 0.5,
    memory_pairs: Annotated[
        Path | None,
        typer.Option(help="Avec --faq : mesurer aussi la mémoire des réponses sur ce fichier de paires de questions."),
    ] = None,
    calibrate_public: Annotated[
        bool, typer.Option(help="Recalibrer seulement le seuil du côté habitants sur ce jeu (le reste inchangé).")
    ] = False,
    faq: Annotated[
        bool,
        typer.Option(
            "--faq",
            help="Mesurer la décision de la FAQ des habitants (jeu {id, question, entry, kind}), pas les brouillons.",
        ),
    ] = False,
    faq_entries: Annotated[
        Path, typer.Option(help="Entrées de FAQ publiées pour --faq (format d'import JSONL).")
    ] = REPO_ROOT / "eval" / "datasets" / "faq-entries.jsonl",
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            metavar="AAAA-MM-JJ",
            help="Jour pour lequel les brouillons sont rédigés (période en vigueur, dates passées) ; par défaut "
            "le jour fixe de l'évaluation (eval.run.EVAL_TODAY), pour des résultats reproductibles.",
        ),
    ] = None,
) -> None:
    """Évaluer l'assistant sur un jeu de questions et écrire le rapport (JSON, HTML, CSV)."""
    if faq:
        evaluate_faq(dataset, faq_entries, out, data_dir, memory_pairs)
        return
    from eval.calibrate import Targets
    from eval.run import EVAL_TODAY
    from eval.run import evaluate as run_evaluation

    try:
        day = date.fromisoformat(today) if today else EVAL_TODAY
    except ValueError:
        fail(InputError(f"date invalide pour --today : {today!r} (attendu AAAA-MM-JJ)"))
    if memory_pairs is not None:
        fail(InputError("--memory-pairs se mesure avec --faq (la mémoire des réponses suit la décision de la FAQ)."))
    targets = Targets(target_accuracy, target_recall, min_coverage) if calibrate else None
    try:
        done = run_evaluation(
            with_mode(settings_for(data_dir), mode),
            dataset,
            out,
            compare,
            targets,
            calibrate_public,
            say=typer.echo,
            progress=sys.stderr.isatty(),
            today=day,
        )
    except AccueilError as exc:
        fail(exc)
    run_dir, m = done.run_dir, done.metrics
    typer.echo(f"Rapport : {run_dir / 'report.html'}")
    for key in (
        "hit@5",
        "correctness",
        "selective_accuracy",
        "abstain_precision",
        "abstain_recall",
        "over_abstention",
        "citation_validity",
        "public_coverage",
        "public_precision",
        "public_not_verbatim",
        "cited_sentences",
        "unsupported_facts",
        *(("llm_used", "llm_removed_sentences") if mode == Mode.llm else ()),
        "latency_p95_ms",
    ):
        typer.echo(f"  {key:<22} {m[key]}")


def evaluate_faq(
    dataset: Path, entries: Path, out: Path | None, data_dir: Path | None, pairs: Path | None = None
) -> None:
    """``accueil eval --faq``: the FAQ decision of /question on ``dataset`` (and the answer memory on ``pairs``),
    report written in ``out``."""
    from eval import faq as faq_eval
    from server.core.metric_registry import FAQ

    settings = settings_for(data_dir)
    run_dir = out or settings.data_dir / "evals" / f"faq-{dataset.stem}"
    try:
        report = faq_eval.run(settings, entries, dataset, run_dir, pairs_file=pairs)
    except AccueilError as exc:
        fail(exc)
    typer.echo(f"Rapport : {run_dir / 'report.html'}")
    for m in FAQ:
        if m.key in report["metrics"]:
            typer.echo(f"  {m.key:<22} {report['metrics'][m.key]}")
    meta = report["meta"]
    typer.echo(
        f"  seuil en vigueur {meta['threshold']:.2f} ({meta['bare_threshold']:.2f} pour une entrée sans variante ; "
        f"{meta['entries_without_variants']} sans variante ici)"
    )
    typer.echo("  seuil   précision  rappel  (courbe)")
    for p in report["curve"]:
        typer.echo(f"  {p['threshold']:.2f}    {p['faq_precision']}  {p['faq_recall']}")


@app.command("eval-claims")
def evaluate_claims(
    calibrate: Annotated[
        bool, typer.Option(help="Écrire le seuil choisi sur la partie dev dans le fichier de calibration.")
    ] = False,
    fiches: Annotated[
        Path, typer.Option(help="Dossier des fiches service-public citées par le jeu.")
    ] = REPO_ROOT.parent / "shared" / "data" / "service-public" / "mairie-subset-2020-11",
) -> None:
    """Mesurer la vérification des phrases d'un modèle de langue (eval/datasets/claims.jsonl) et choisir son seuil."""
    from eval.calibrate import calibrate_claims

    try:
        fitted = calibrate_claims(get_settings(), fiches, save=calibrate)
    except (AccueilError, OSError) as exc:
        typer.echo(f"Erreur : {exc}", err=True)
        raise typer.Exit(1) from exc
    threshold, curve, test = fitted.threshold, fitted.curve, fitted.test
    typer.echo("seuil  fidèles gardées  non étayées gardées  (partie dev)")
    for r in curve:
        typer.echo(f"{r['threshold']:.2f}   {r['supported_kept']:.3f}           {r['unsupported_kept']:.3f}")
    typer.echo(
        f"Seuil choisi : {threshold:.2f} — partie test : {test['supported_kept']:.3f} des reformulations fidèles "
        f"gardées, {test['unsupported_kept']:.3f} des phrases non étayées gardées"
        + (" (écrit dans le fichier de calibration)" if calibrate else "")
    )


@app.command("bench")
def bench_command(
    out: Annotated[Path, typer.Option("--out", help="Dossier de travail et des résultats (bench.json, bench.md).")],
    shared: Annotated[Path, typer.Option(help="Dossier des données service-public.")] = REPO_ROOT.parent
    / "shared"
    / "data"
    / "service-public",
    backend: Annotated[str, typer.Option(help="Moteur d'embeddings : torch ou onnx-int8.")] = "onnx-int8",
    seconds: Annotated[float, typer.Option(help="Durée de chaque palier de charge HTTP, en secondes.")] = 30.0,
    workers: Annotated[int, typer.Option(help="Processus du service mesuré.")] = 2,
    step: Annotated[
        list[str] | None,
        typer.Option(
            "--step",
            help="Étapes : ingest, ask, http (par défaut), dense (hit@5 et latence, recherche dense en mémoire et "
            "par Chroma).",
        ),
    ] = None,
) -> None:
    """Mesurer vitesse et mémoire sur les fiches service-public (benchmark, pas un test)."""
    from eval import bench

    steps = tuple(step or ("ingest", "ask", "http"))
    try:
        report = bench.run(
            out,
            shared,
            backend,
            seconds,
            workers,
            steps,
            lambda data: get_settings().model_copy(update={"data_dir": data, "embedding_backend": backend}),
            lambda line: typer.echo(line, err=True),
        )
    except (RuntimeError, OSError, AccueilError) as exc:
        typer.echo(f"Erreur : {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(bench.markdown(report))
