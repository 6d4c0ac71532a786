"""Ingest with the real model, Chroma and BM25: incremental, bad input, model mismatch, kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.document import SourceDoc
from ingest.pipeline import run_ingest
from ingest.sources import SourceFile
from server.core.answer.assistant import Assistant
from server.core.answer.index import (
    COMPLETE,
    CURRENT,
    GenerationWriter,
    Index,
    Manifest,
    current_generation,
    generation_name,
    prune_generations,
    read_chunks,
)
from server.core.config import Settings
from server.core.errors import IndexMismatchError, IngestError
from tests.conftest import CORPUS, REPO_ROOT, settings_for


def _generations(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "index").glob("gen-*"))


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_ingest_is_incremental(tmp_path: Path, small_corpus: Path) -> None:
    settings = settings_for(tmp_path / "data")
    first = run_ingest(settings, [small_corpus], progress=False)
    assert (first.added, first.updated, first.unchanged, first.deleted, first.failed) == (6, 0, 0, 0, [])
    assert first.chunks_embedded == first.chunks_total > 6

    again = run_ingest(settings, [small_corpus], progress=False)
    assert (again.added, again.updated, again.unchanged, again.deleted) == (0, 0, 6, 0)
    assert again.chunks_embedded == 0 and again.generation == first.generation

    docs = sorted(small_corpus.glob("*.md"))
    docs[0].write_text(docs[0].read_text(encoding="utf-8") + "\nUne phrase ajoutée pour le test.\n", encoding="utf-8")
    docs[1].unlink()
    changed = run_ingest(settings, [small_corpus], progress=False)
    assert (changed.added, changed.updated, changed.unchanged, changed.deleted) == (0, 1, 4, 1)
    assert 0 < changed.chunks_embedded < first.chunks_embedded
    index = Index(current_generation(settings.index_dir))  # type: ignore[arg-type]
    assert index.collection.count() == len(index.chunks) == changed.chunks_total
    assert any("Une phrase ajoutée pour le test." in c.text for c in index.chunks)


def test_files_are_read_again_when_the_loaders_change(
    tmp_path: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new version of the loaders (``ingest.loaders.READERS``) reads every file again, even with unchanged bytes;
    documents whose text did not change keep their vectors, and the new reading is recorded once."""
    from ingest import pipeline

    settings = settings_for(tmp_path / "data")
    first = run_ingest(settings, [small_corpus], progress=False)
    read: list[str] = []
    parse = pipeline._parse

    def counted(source: SourceFile, s: Settings) -> list[SourceDoc]:
        read.append(source.name)
        return parse(source, s)

    monkeypatch.setattr(pipeline, "_parse", counted)
    monkeypatch.setattr(pipeline, "READERS", pipeline.READERS + 1)
    upgraded = run_ingest(settings, [small_corpus], progress=False)
    assert len(read) == 6 and (upgraded.added, upgraded.updated, upgraded.unchanged) == (0, 0, 6)
    assert upgraded.chunks_embedded == 0 and upgraded.generation != first.generation
    manifest = Manifest.read(settings.index_dir / upgraded.generation / "manifest.json")
    assert {s["readers"] for s in manifest.sources.values()} == {pipeline.READERS}
    read.clear()
    again = run_ingest(settings, [small_corpus], progress=False)
    assert read == [] and again.generation == upgraded.generation


def test_other_folders_are_kept_when_one_is_reingested(tmp_path: Path, small_corpus: Path) -> None:
    other = tmp_path / "autre"
    other.mkdir()
    (other / "note.md").write_text(
        "---\nid: autre/note\ntitle: Note\n---\nLe marché a lieu le samedi.\n", encoding="utf-8"
    )
    settings = settings_for(tmp_path / "data")
    run_ingest(settings, [small_corpus, other], progress=False)
    summary = run_ingest(settings, [other], progress=False)
    assert summary.deleted == 0 and summary.unchanged == 1
    index = Index(current_generation(settings.index_dir))  # type: ignore[arg-type]
    assert "autre/note" in index.manifest.docs and len(index.manifest.docs) == 7


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path: Path, small_corpus: Path) -> None:
    (small_corpus / "vide.md").write_bytes(b"")
    (small_corpus / "casse.xml").write_bytes(b"<Publication ID='F1'><oops></Publication>")
    (small_corpus / "binaire.txt").write_bytes(b"\x00\x01\x02\x03")
    (small_corpus / "latin1.txt").write_bytes("Été".encode("latin-1") + b" texte")
    (small_corpus / "tableur.xlsx").write_bytes(b"PK\x03\x04")
    (small_corpus / "enorme.txt").write_bytes(b"a" * 2_000_000)
    settings = settings_for(tmp_path / "data", max_file_bytes=1_000_000)
    summary = run_ingest(settings, [small_corpus], progress=False)
    assert summary.added == 6
    failed = "\n".join(summary.failed)
    for name, reason in [
        ("vide.md", "vide"),
        ("casse.xml", "XML mal formé"),
        ("binaire.txt", "binaire"),
        ("latin1.txt", "UTF-8"),
        ("tableur.xlsx", "format non pris en charge"),
        ("enorme.txt", "trop volumineux"),
    ]:
        assert name in failed and reason in failed, (name, failed)
    assert len(summary.failed) == 6


def test_strict_mode_changes_nothing_on_error(tmp_path: Path, small_corpus: Path) -> None:
    settings = settings_for(tmp_path / "data")
    first = run_ingest(settings, [small_corpus], progress=False)
    (small_corpus / "vide.md").write_bytes(b"")
    with pytest.raises(IngestError):
        run_ingest(settings, [small_corpus], strict=True, progress=False)
    assert current_generation(settings.index_dir).name == first.generation  # type: ignore[union-attr]


def test_cli_exit_code_is_non_zero_only_when_nothing_was_ingested(tmp_path: Path, small_corpus: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "vide.md").write_bytes(b"")
    cli = [str(REPO_ROOT / ".venv" / "bin" / "accueil"), "ingest", "--data-dir", str(tmp_path / "data")]
    nothing = subprocess.run([*cli, str(bad)], capture_output=True, text=True, timeout=300)
    assert nothing.returncode == 1 and "vide.md" in nothing.stdout
    (small_corpus / "vide.md").write_bytes(b"")
    some = subprocess.run([*cli, str(small_corpus)], capture_output=True, text=True, timeout=300)
    assert some.returncode == 0, some.stderr
    assert "6 ajoutés" in some.stdout and "1 en erreur" in some.stdout and "vide.md" in some.stdout


def test_index_built_with_another_model_is_refused(tmp_path: Path, small_corpus: Path) -> None:
    settings = settings_for(tmp_path / "data")
    run_ingest(settings, [small_corpus], progress=False)
    manifest_path = current_generation(settings.index_dir) / "manifest.json"  # type: ignore[operator]
    manifest = json.loads(manifest_path.read_text())
    manifest["embedding_model"] = "un-autre-modele"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="un-autre-modele"):
        Assistant(settings).draft("horaires de la mairie")


@pytest.mark.slow  # the real model, a whole corpus
@pytest.mark.parametrize("moment", ["encoding", "writing"])
def test_kill_9_during_ingest_leaves_the_previous_index_in_service(tmp_path: Path, moment: str) -> None:
    first = tmp_path / "premier"
    first.mkdir()
    (first / "marche.md").write_text(
        "---\nid: test/marche\ntitle: Marché\n---\n## Jours\n\n"
        "Le marché a lieu le samedi matin sur la place de l'Église.\n",
        encoding="utf-8",
    )
    settings = settings_for(tmp_path / "data")
    run_ingest(settings, [first], progress=False)
    before = current_generation(settings.index_dir)
    assert before is not None
    question = "Quel jour a lieu le marché ?"
    answer_before = Assistant(settings).draft(question)

    big = tmp_path / "corpus"
    shutil.copytree(CORPUS, big)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "ingest", str(first), str(big), "--data-dir", str(settings.data_dir)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while proc.poll() is None and time.monotonic() - started < 300:
        fresh = [g for g in _generations(settings.data_dir) if g != before.name]
        if (moment == "encoding" and time.monotonic() - started > 10) or (moment == "writing" and fresh):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "l'ingestion s'est terminée avant d'être interrompue"
    workers = _children(proc.pid)
    if moment == "encoding" and (os.cpu_count() or 1) >= 2:
        assert workers, "l'encodage devait se faire dans les processus du pool"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Its encoding processes do not outlive it (each held a model: about 300 MB).
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "des processus d'encodage ont survécu à l'ingestion tuée"

    assert current_generation(settings.index_dir) == before
    after = Assistant(settings).draft(question)
    assert after.draft == answer_before.draft and after.provenance.index_version == before.name
    # The next ingest (the lock the killed one held, its unfinished generation left behind) removes what was left and
    # completes. One new document is enough to make it write a generation: re-encoding the whole corpus would test
    # nothing more (the killed ingest kept no vectors anywhere) and cost a minute.
    extra = tmp_path / "suite"
    extra.mkdir()
    (extra / "piscine.md").write_text(
        "---\nid: test/piscine\ntitle: Piscine\n---\nLa piscine ouvre le mercredi de 14 h à 18 h.\n", encoding="utf-8"
    )
    summary = run_ingest(settings, [first, extra], progress=False)
    assert summary.failed == [] and summary.generation != before.name and summary.chunks_embedded == 1
    assert _generations(settings.data_dir) == sorted([before.name, summary.generation])
    assert all((settings.index_dir / g / "COMPLETE").exists() for g in _generations(settings.data_dir))
    assert Assistant(settings).draft(question).provenance.index_version == summary.generation


def test_a_document_found_twice_is_kept_once_and_a_clash_is_reported(tmp_path: Path) -> None:
    """service-public puts some fiches in two zips: an identical copy is skipped, a different one is an error."""
    text = "---\ntitle: Horaires\n---\nLa mairie ouvre du lundi au vendredi de 8 h 30 à 17 h.\n"
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "horaires.md").write_text(text, encoding="utf-8")
    settings = settings_for(tmp_path / "data")
    roots = [tmp_path / "a", tmp_path / "b"]
    summary = run_ingest(settings, roots, progress=False)
    assert summary.failed == [] and summary.duplicates == 1 and summary.ingested == 1
    (tmp_path / "b" / "horaires.md").write_text(text.replace("17 h", "18 h"), encoding="utf-8")
    summary = run_ingest(settings, roots, progress=False)
    assert summary.duplicates == 0 and len(summary.failed) == 1 and "déjà utilisé" in summary.failed[0]


def test_abandoning_a_generation_never_removes_one_in_service(tmp_path: Path, small_corpus: Path) -> None:
    """A failure after the switch (fsync of the folder, closing Chroma) must not delete the index now in service."""
    settings = settings_for(tmp_path / "data")
    run_ingest(settings, [small_corpus], progress=False)
    base = current_generation(settings.index_dir)
    assert base is not None
    writer = GenerationWriter(settings.index_dir, base, Manifest.read(base / "manifest.json"))
    new = writer.commit(read_chunks(base))
    writer.abort()
    assert new.is_dir() and current_generation(settings.index_dir) == new
    Index.open_current(settings.index_dir, settings.embedder_id)


def test_generation_names_sort_in_the_order_they_were_made() -> None:
    """Across a second's turn too: the second and its fraction come from one reading of the clock."""
    turn = 1_796_000_000 * 10**9
    made = [turn - 300_000_000, turn - 1, turn, turn + 1, turn + 270_000_000, turn + 10**9 + 5]
    names = [generation_name(ns) for ns in made]
    assert sorted(names) == names and len(set(names)) == len(names)
    assert generation_name(turn).startswith("gen-20261130T005320-000000000") and generation_name(turn - 1).endswith(
        f"-999999999-{os.getpid()}"
    )


def test_pruning_removes_the_oldest_generations_in_commit_order(tmp_path: Path) -> None:
    """Whatever their names say (an index made by an older version named them in local time), the generations
    removed are the oldest committed, never the one in service, and unfinished ones go too."""
    index_dir = tmp_path / "index"
    committed = ["gen-c", "gen-a", "gen-d", "gen-b"]  # in this order; gen-b is in service
    for age, name in enumerate(committed):
        (index_dir / name).mkdir(parents=True)
        (index_dir / name / COMPLETE).write_text(name)
        os.utime(index_dir / name / COMPLETE, ns=(10**18 + age * 10**9, 10**18 + age * 10**9))
    (index_dir / "gen-e").mkdir()  # an ingest that died before its commit
    (index_dir / CURRENT).write_text("gen-b")
    assert sorted(prune_generations(index_dir, keep=2)) == ["gen-a", "gen-c", "gen-e"]
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-b", "gen-d"]
    assert prune_generations(index_dir, keep=2) == []


def test_a_missing_or_emptied_folder_changes_nothing_unless_pruned(tmp_path: Path, small_corpus: Path) -> None:
    other = tmp_path / "partage"
    other.mkdir()
    (other / "note.md").write_text("---\nid: partage/note\ntitle: Note\n---\nLe marché a lieu le samedi.\n")
    settings = settings_for(tmp_path / "data")
    first = run_ingest(settings, [small_corpus, other], progress=False)
    data = settings.data_dir
    os.chmod(data, 0o755)  # as an older version left it
    for path in settings.index_dir.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    cli = [sys.executable, "-m", "server", "ingest", "--data-dir", str(data)]
    gone = subprocess.run([*cli, str(tmp_path / "absent")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert gone.returncode == 1 and "Chemin introuvable" in gone.stderr and "--prune" in gone.stderr
    assert current_generation(settings.index_dir).name == first.generation  # type: ignore[union-attr]
    # The one place that opens the data folder made it private again.
    assert data.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o077 == 0 for p in settings.index_dir.rglob("*"))

    (other / "note.md").unlink()  # an unmounted share: its mount point is left, empty
    with pytest.raises(IngestError, match="est vide"):
        run_ingest(settings, [other], progress=False)
    assert current_generation(settings.index_dir).name == first.generation  # type: ignore[union-attr]
    pruned = run_ingest(settings, [other], progress=False, prune=True)
    assert pruned.deleted == 1 and pruned.generation != first.generation
    index = Index(current_generation(settings.index_dir))  # type: ignore[arg-type]
    assert "partage/note" not in index.manifest.docs and len(index.manifest.docs) == 6


def test_links_out_of_the_corpus_are_not_followed(tmp_path: Path, small_corpus: Path) -> None:
    outside = tmp_path / "ailleurs"
    (outside / "dossier").mkdir(parents=True)
    secret = "---\naudience: public\n---\nLe code du coffre de la mairie est 4711.\n"
    (outside / "secret.md").write_text(secret, encoding="utf-8")
    (outside / "dossier" / "autre.md").write_text(secret, encoding="utf-8")
    (small_corpus / "lien.md").symlink_to(outside / "secret.md")
    (small_corpus / "lien-dossier").symlink_to(outside / "dossier")
    (small_corpus / "note.md").write_text("# Note\n\nLa salle des fêtes se loue au mois.\n", encoding="utf-8")
    settings = settings_for(tmp_path / "data")
    summary = run_ingest(settings, [small_corpus], progress=False)
    assert summary.added == 7 and summary.failed == []
    assert len(summary.skipped) == 2 and all("lien symbolique hors du dossier" in s for s in summary.skipped)
    index = Index(current_generation(settings.index_dir))  # type: ignore[arg-type]
    assert not any("4711" in c.text for c in index.chunks)
    # A file without front matter was reviewed by nobody for citizens: for the agents only.
    assert index.manifest.docs["note"]["audience"] == "internal"
