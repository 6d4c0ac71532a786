"""The ``accueil`` command: the one place that imports every part (core, ingest, web, eval)."""

from __future__ import annotations

import json
import logging
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from server.core.config import REPO_ROOT, Settings, get_settings
from server.core.errors import AccueilError, InputError

app = typer.Typer(
    help="accueil : assistant de l'accueil des mairies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# The citizen side: answered precision targeted, and the fewest answers that make a precision meaningful.
PUBLIC_PRECISION = 0.98
PUBLIC_MIN_SHOWN = 10
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Dossier des données (index, base).")]
WAL_BUSY = (
    "Attention : le journal WAL de la base est resté occupé par le service ; relancez la commande pour qu'il ne "
    "garde aucune ancienne page."
)


class Mode(StrEnum):
    """Drafting modes of ``ask`` and ``eval``."""

    extractive = "extractive"
    llm = "llm"


def _with_mode(settings: Settings, mode: Mode | None) -> Settings:
    return settings if mode is None else settings.model_copy(update={"draft_mode": mode.value})


def _settings(data_dir: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def _fail(exc: AccueilError) -> None:
    typer.echo(f"Erreur : {exc.message}", err=True)
    raise typer.Exit(1)


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

    try:
        s = run_ingest(_settings(data_dir), paths, strict=strict, progress=sys.stderr.isatty(), prune=prune)
    except AccueilError as exc:
        _fail(exc)
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

    assistant = Assistant(_with_mode(_settings(data_dir), mode))
    try:
        if batch is None:
            if not question:
                typer.echo("Erreur : donnez une question ou --batch FICHIER.", err=True)
                raise typer.Exit(2)
            _print_result(assistant.draft(question, history=history, public_only=public_only), as_json)
            return
        assistant.index()
        with open(batch, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    result = assistant.draft(
                        str(item["question"]), qid=str(item.get("id", line_no)), public_only=public_only
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    typer.echo(f"Ligne {line_no} ignorée : {exc}", err=True)
                    continue
                except AccueilError as exc:
                    typer.echo(f"Ligne {line_no} : {exc.message}", err=True)
                    continue
                sys.stdout.write(result.model_dump_json() + "\n")
    except AccueilError as exc:
        _fail(exc)
    except OSError as exc:
        typer.echo(f"Erreur : lecture impossible de {batch} : {exc.strerror}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute.")] = None,
    port: Annotated[int | None, typer.Option(help="Port d'écoute.")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processus de service (ils partagent la base, l'index et sa génération).")
    ] = 1,
) -> None:
    """Démarrer le service web (API et pages)."""
    import os

    import uvicorn

    from server.web.access_log import log_config

    # Requests run in a thread pool: a matrix product must not also start its own threads (with 16 requests at once,
    # BLAS threads on 2 cores made the service slower the busier it was).
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    settings = _settings(data_dir)
    host, port = host or settings.host, port or settings.port
    from server.core.desk.db import Database

    try:
        if workers == 1:
            from server.web.app import create_app

            application = create_app(settings)
        else:
            Database(settings).close()  # migrate once here, before the workers start (this one only supervises)
    except AccueilError as exc:
        _fail(exc)
        return
    if workers > 1:
        from server.web.security import secret_key, secret_key_saved

        key = secret_key(settings)  # made once here, so that every worker signs sessions with the same key
        if not secret_key_saved(settings):
            os.environ["ACCUEIL_SECRET_KEY"] = key  # could not be saved (read-only or full disk)
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="info", log_config=log_config())
        return
    os.environ["ACCUEIL_DATA_DIR"] = str(settings.data_dir)
    # Each worker encodes questions with its own threads: share the cores rather than oversubscribe them.
    os.environ.setdefault("ACCUEIL_EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    uvicorn.run(
        "server.web.app:create_app_from_env",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(),  # the access log keeps paths only: no query string, no private link
    )


@app.command("llm-serve")
def llm_serve(
    model: Annotated[Path, typer.Argument(help="Fichier GGUF du modèle (instruct, avec gabarit de conversation).")],
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8081,
    threads: Annotated[int, typer.Option(help="Fils de calcul du modèle.")] = 1,
    context: Annotated[int, typer.Option(help="Fenêtre de contexte, en jetons.")] = 4096,
) -> None:
    """Servir un modèle GGUF local derrière une API compatible OpenAI (pour ACCUEIL_LLM_BASE_URL)."""
    from server.core.answer.local_llm import serve_gguf

    stop = threading.Event()
    typer.echo(f"Modèle {model.name} servi sur http://{host}:{port}/v1 (Ctrl-C pour arrêter).")
    try:
        serve_gguf(model, host, port, threads, context, stop)
    except AccueilError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        stop.set()


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

    settings = _with_mode(_settings(data_dir), mode)
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
        _fail(exc)
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

    settings = _settings(data_dir)
    try:
        period = Period.parse(since)
        write_summary(settings, period, out)
    except AccueilError as exc:
        _fail(exc)
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
    from server.core.desk import erasure

    settings = _settings(data_dir)
    retention = days if days is not None else settings.retention_days
    try:
        database = _database(data_dir)
        with database.session() as db:
            count = erasure.purge(db, retention, "accueil purge", journal=database.journal)
        compacted = database.compact() if count else True
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"{count} demande(s) de plus de {retention} jours anonymisée(s) : seules les statistiques restent.")
    if not compacted:
        typer.echo(WAL_BUSY, err=True)


@app.command("forget")
def forget_command(
    email: Annotated[str, typer.Argument(help="Adresse électronique de l'habitant.")], data_dir: DataDir = None
) -> None:
    """Effacer les données d'un habitant : toutes les demandes envoyées avec cette adresse."""
    from server.core.desk import erasure

    try:
        database = _database(data_dir)
        with database.session() as db:
            count = erasure.forget(db, email, "accueil forget", journal=database.journal)
        compacted = database.compact()
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"{count} demande(s) effacée(s) pour cette adresse.")
    if not compacted:
        typer.echo(WAL_BUSY, err=True)


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Option("--out", help="Archive écrite (.tar.gz).")], data_dir: DataDir = None
) -> None:
    """Sauvegarder la base (sans les sessions), l'index, le journal des effacements et les rapports (à chaud)."""
    from server.core.desk import backup

    try:
        done = backup.backup(_settings(data_dir), out)
    except AccueilError as exc:
        _fail(exc)
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
        manifest = backup.restore(_settings(data_dir), archive, journal, without_journal)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(
        f"Sauvegarde du {manifest.get('created')} restaurée ({manifest.get('requests')} demande(s)) ; "
        f"effacements réappliqués à {manifest.get('reapplied', 0)} demande(s)."
    )


user_app = typer.Typer(help="Comptes des agents, responsables et administrateurs.", no_args_is_help=True)
token_app = typer.Typer(help="Jetons d'API pour les intégrations.", no_args_is_help=True)
secret_app = typer.Typer(help="Clé de signature des cookies de session.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(secret_app, name="secret")
DEMO_ACCOUNTS = (("agent", "agent"), ("superviseur", "supervisor"))
DEMO_FAQ = REPO_ROOT / "config" / "faq-demo.json"


def _database(data_dir: Path | None) -> Any:
    from server.core.desk.db import Database

    return Database(_settings(data_dir))


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
        with _database(data_dir).session() as db:
            _, generated = auth.add_user(db, name, role, password)
    except AccueilError as exc:
        _fail(exc)
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
        with _database(data_dir).session() as db:
            generated = auth.set_password(db, name, password)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"Mot de passe de {name!r} changé ; ses sessions ouvertes sont fermées.")
    if generated:
        typer.echo(f"Nouveau mot de passe (affiché une seule fois) : {generated}")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Désactiver un compte (départ d'un agent) : ses sessions se ferment aussitôt, ses jetons sont refusés."""
    from server.core.desk import auth

    try:
        with _database(data_dir).session() as db:
            auth.set_active(db, name, False)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"Compte {name!r} désactivé : ses sessions sont fermées et ses jetons d'API refusés.")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Réactiver un compte désactivé (il devra se reconnecter)."""
    from server.core.desk import auth

    try:
        with _database(data_dir).session() as db:
            auth.set_active(db, name, True)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"Compte {name!r} réactivé.")


@user_app.command("logout")
def user_logout(name: Annotated[str, typer.Argument(help="Identifiant.")], data_dir: DataDir = None) -> None:
    """Fermer toutes les sessions d'un compte, sur tous les navigateurs (« déconnecter partout »)."""
    from server.core.desk import auth

    try:
        with _database(data_dir).session() as db:
            count = auth.logout_everywhere(db, name)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"{count} session(s) de {name!r} fermée(s).")


@app.command("demo-accounts")
def demo_accounts(data_dir: DataDir = None) -> None:
    """Créer (ou réinitialiser) les comptes de démonstration et afficher comment se connecter."""
    from server.core.desk import auth

    lines = []
    with _database(data_dir).session() as db:
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

    settings = _settings(data_dir)
    try:
        entries = json.loads(file.read_text(encoding="utf-8"))
        docs = dict(Assistant(settings).index().manifest.docs)
        added = 0
        with _database(data_dir).session() as db:
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
        _fail(exc)
        return
    typer.echo(f"FAQ de démonstration : {added} entrée(s) publiée(s), {len(entries) - added} déjà présente(s).")


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
        with _database(data_dir).session() as db:
            token = auth.create_token(db, user, name, scope=scope, days=expire_days)
    except AccueilError as exc:
        _fail(exc)
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
        with _database(data_dir).session() as db:
            rows = auth.tokens(db, user)
            lines = [
                f"{t.id:>4}  {owner:<20} {t.name:<20} {t.scope:<10} expire {day(t.expires_at):<16} "
                f"utilisé {day(t.last_used_at):<16} "
                + ("révoqué" if t.revoked else "actif" if auth.token_usable(t) else "expiré")
                for t, owner in rows
            ]
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo("\n".join(lines) if lines else "Aucun jeton.")


@token_app.command("revoke")
def token_revoke(
    number: Annotated[int, typer.Argument(help="Numéro du jeton (accueil token list).")], data_dir: DataDir = None
) -> None:
    """Révoquer un jeton d'API : il est refusé dès maintenant."""
    from server.core.desk import auth

    try:
        with _database(data_dir).session() as db:
            row = auth.revoke_token(db, number)
            label = f"n° {row.id} ({row.name})"
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(f"Jeton {label} révoqué.")


@secret_app.command("rotate")
def secret_rotate(data_dir: DataDir = None) -> None:
    """Remplacer la clé des cookies de session et fermer toutes les sessions (redémarrez ensuite le service)."""
    from server.core.desk import secret, sessions

    settings = _settings(data_dir)
    try:
        secret.rotate(settings)
        with _database(data_dir).session() as db:
            count = sessions.close_all(db)
    except AccueilError as exc:
        _fail(exc)
        return
    typer.echo(
        f"Nouvelle clé enregistrée ; {count} session(s) fermée(s). Redémarrez le service pour qu'il signe avec elle."
    )


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        app()
    except AccueilError as exc:  # any command: one French line (a full disk, a read-only base…), not a traceback
        typer.echo(f"Erreur : {exc.message}", err=True)
        sys.exit(1)
