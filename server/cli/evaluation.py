"""Commands that measure: ``eval`` (and its calibration), ``eval-claims`` and ``bench``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli.base import DataDir, Mode, app, fail, settings_for, with_mode
from server.core.config import REPO_ROOT, Settings, get_settings
from server.core.errors import AccueilError

# The citizen side: answered precision targeted, and the fewest answers that make a precision meaningful.
PUBLIC_PRECISION = 0.98
PUBLIC_MIN_SHOWN = 10


def _calibrate(
    settings: Settings,
    assistant: Any,
    items: Any,
    dataset: str,
    target_accuracy: float,
    target_recall: float,
    min_coverage: float,
    memory_pairs: Path | None,
) -> Any:
    """Fit the sentence scorer, the confidence model and threshold, the answer memory; save; rerun."""
    from eval import calibrate as calib
    from eval import harness
    from server.core.answer.assistant import Assistant

    calibration = assistant.calibration
    calibration.units = calib.fit_units(assistant, items)
    records = harness.run(assistant, items, progress=sys.stderr.isatty())
    calibration.confidence = calib.fit_confidence(records)
    calib.rescore(records, calibration.confidence)
    calibration.threshold, rule = calib.choose_threshold(records, target_accuracy, target_recall, min_coverage)
    if memory_pairs is not None:
        pair_rule, precision, recall = calib.fit_memory(assistant, calib.load_pairs(memory_pairs))
        calibration.memory = pair_rule
        typer.echo(
            f"Mémoire des réponses : similarité ≥ {pair_rule.min_cos}, terme différent ≤ {pair_rule.max_diff} "
            f"(précision {precision:.2f}, rappel {recall:.2f} sur {memory_pairs.name})."
        )
    for key, value in calib.stamp(dataset, target_accuracy, target_recall, rule).items():
        setattr(calibration, key, value)
    settings.calibration_file.parent.mkdir(parents=True, exist_ok=True)
    calibration.save(settings.calibration_file)
    typer.echo(f"Calibration écrite dans {settings.calibration_file} (seuil {calibration.threshold:.3f}).")
    # The citizen side's threshold is chosen on the refitted confidence, from a run with the new models.
    records = harness.run(Assistant(settings), items, progress=sys.stderr.isatty())
    _calibrate_public(settings, calibration, records)
    return records


def _calibrate_public(settings: Settings, calibration: Any, records: list[Any]) -> None:
    """Choose the citizen side's threshold on these records, save it, and mark what would now be shown."""
    from eval import calibrate as calib

    calibration.public_threshold, rule = calib.choose_public_threshold(
        records, calibration.threshold, PUBLIC_PRECISION, PUBLIC_MIN_SHOWN
    )
    calibration.public_target = f"précision côté habitants ≥ {PUBLIC_PRECISION:.2f} ({rule})"
    calibration.save(settings.calibration_file)
    typer.echo(f"Seuil côté habitants : {calibration.public_threshold:.3f} ({rule}).")
    floor = max(calibration.public_threshold, calibration.threshold)
    for r in records:
        r.public_shown = r.public_in_scope and bool(r.public_text) and r.public_confidence >= floor


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
        Path | None, typer.Option(help="Paires de questions pour calibrer la mémoire des réponses (avec --calibrate).")
    ] = None,
    calibrate_public: Annotated[
        bool, typer.Option(help="Recalibrer seulement le seuil du côté habitants sur ce jeu (le reste inchangé).")
    ] = False,
) -> None:
    """Évaluer l'assistant sur un jeu de questions et écrire le rapport (JSON, HTML, CSV)."""
    from eval import harness, report
    from eval.dataset import dataset_digest, load_dataset
    from server.core.answer.assistant import Assistant
    from server.core.desk import eval_runs

    settings = with_mode(settings_for(data_dir), mode)
    run_dir = out or eval_runs.new_run_dir(settings, dataset)
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        items = load_dataset(dataset)
        eval_runs.mark_started(run_dir, dataset, len(items))
        assistant = Assistant(settings)
        if calibrate:
            records = _calibrate(
                settings, assistant, items, str(dataset), target_accuracy, target_recall, min_coverage, memory_pairs
            )
            assistant = Assistant(settings)
        else:
            records = harness.run(
                assistant,
                items,
                progress=sys.stderr.isatty(),
                on_progress=lambda done: eval_runs.mark_progress(run_dir, done),
            )
            if calibrate_public:
                _calibrate_public(settings, assistant.calibration, records)
        index = assistant.index()
        meta = {
            "dataset": str(dataset),
            "dataset_digest": dataset_digest(dataset),
            "mode": mode.value,
            "documents": len(index.manifest.docs),
            "chunks": len(index.chunks),
            "index_version": index.version,
            "embedding_model": index.manifest.embedding_model,
            "threshold": assistant.threshold,
            "calibration": assistant.calibration.version,
        }
        built = report.build(records, meta, baseline=report.load_baseline(compare) if compare else None)
        report.write(run_dir, records, built)
    except AccueilError as exc:
        eval_runs.mark_finished(run_dir, exc.message)
        fail(exc)
        return
    except BaseException as exc:
        eval_runs.mark_finished(run_dir, f"interrompue ({type(exc).__name__})")
        raise
    eval_runs.mark_finished(run_dir)
    m = built["metrics"]
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
    from eval import claims_eval
    from server.core.answer.confidence import Calibration

    settings = get_settings()
    try:
        claims = claims_eval.load()
        threshold, curve = claims_eval.calibrate(claims, fiches)
        test = claims_eval.kept_rates([c for c in claims if c.split == "test"], fiches, threshold)
        if calibrate:
            calibration = Calibration.load(settings.calibration_file)
            calibration.claim_support = threshold
            calibration.claim_target = (
                f"au plus {claims_eval.MAX_UNSUPPORTED_KEPT:.0%} de phrases non étayées gardées (partie dev de "
                f"claims.jsonl) ; partie test : {test['unsupported_kept']:.1%} non étayées gardées, "
                f"{test['supported_kept']:.1%} des reformulations fidèles gardées"
            )
            calibration.save(settings.calibration_file)
    except (AccueilError, OSError) as exc:
        typer.echo(f"Erreur : {exc}", err=True)
        raise typer.Exit(1) from exc
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
        list[str] | None, typer.Option("--step", help="Étapes : ingest, ask, http (toutes par défaut).")
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
