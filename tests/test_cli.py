"""The accueil command as a user runs it: ask, ask --json, ask --batch, demo-faq. The console script is run as a
process once (``test_ask_prints_a_cited_draft``); the other commands go through its entry point in this process
(``tests.conftest.accueil``: no Python start, no model load per command)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from server.core.config import Settings
from tests.conftest import REPO_ROOT, accueil

CLI = str(REPO_ROOT / ".venv" / "bin" / "accueil")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_ask_prints_a_cited_draft(full_index: Settings) -> None:
    out = _run("ask", "horaires de la mairie", "--data-dir", str(full_index.data_dir))
    assert out.returncode == 0, out.stderr
    assert "Bonjour," in out.stdout and "[1]" in out.stdout and "Citations" in out.stdout


def test_ask_json(full_index: Settings) -> None:
    out = accueil("ask", "quelle est la météo à Paris demain", "--json", "--data-dir", str(full_index.data_dir))
    body = json.loads(out.stdout)
    assert body["status"] == "abstained" and len(body["sources"]) == 10


def test_ask_batch_writes_one_json_line_per_question(full_index: Settings, tmp_path: Path) -> None:
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "question": "horaires déchetterie", "autre": 1}\n'
        "pas du json\n"
        '{"id": "b", "question": "Qui a gagné la coupe du monde ?"}\n',
        encoding="utf-8",
    )
    out = accueil("ask", "--batch", str(batch), "--data-dir", str(full_index.data_dir))
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in lines] == ["a", "b"]
    assert lines[0]["status"] == "answered" and lines[1]["status"] == "abstained"
    assert "Ligne 2" in out.stderr


def test_ask_without_index_says_what_to_do(tmp_path: Path) -> None:
    out = accueil("ask", "horaires", "--data-dir", str(tmp_path / "vide"))
    assert out.returncode == 1 and "accueil ingest" in out.stderr


def test_ask_can_be_restricted_to_public_documents(full_index: Settings) -> None:
    question = "procédure interne pour l'accueil téléphonique et les astreintes"
    everything = json.loads(accueil("ask", question, "--json", "--data-dir", str(full_index.data_dir)).stdout)
    assert any(s["audience"] == "internal" for s in everything["sources"])
    public = json.loads(
        accueil("ask", question, "--json", "--public-only", "--data-dir", str(full_index.data_dir)).stdout
    )
    assert public["sources"] and all(s["audience"] == "public" for s in public["sources"])


def test_demo_faq_is_published_once_and_quotes_its_documents(
    full_index: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.core.desk import faq
    from server.core.desk.db import Database

    database_url = f"sqlite:///{tmp_path / 'faq.db'}"
    monkeypatch.setenv("ACCUEIL_DATABASE_URL", database_url)
    first = accueil("demo-faq", "--data-dir", str(full_index.data_dir))
    assert first.returncode == 0 and "3 entrée(s) publiée(s)" in first.stdout, first.stderr
    again = accueil("demo-faq", "--data-dir", str(full_index.data_dir))
    assert again.returncode == 0 and "0 entrée(s) publiée(s), 3 déjà présente(s)" in again.stdout
    settings = full_index.model_copy(update={"database_url": database_url})
    with Database(settings).session() as db:
        published = faq.entries(db, published_only=True)
        assert len(published) == 3 and all(e.sources and e.sources[0]["updated"] for e in published)
    # Every sentence of a demo answer stands word for word in its source document: the FAQ says only what they say.
    for item in json.loads((REPO_ROOT / "config" / "faq-demo.json").read_text(encoding="utf-8")):
        text = " ".join((REPO_ROOT / "corpus" / f"{item['sources'][0]}.md").read_text(encoding="utf-8").split())
        for line in item["answer"].splitlines():
            assert " ".join(line.split()) in text, line


def test_every_command_runs_numpy_with_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """``accueil`` limits BLAS threads before any command imports numpy (a draft is one compute thread, in the service
    as in ``ask``, ``eval`` and ``bench``); a value set outside is kept."""
    import os

    import server.cli

    seen: dict[str, str | None] = {}
    monkeypatch.setattr(
        server.cli,
        "app",
        lambda: seen.update({n: os.environ.get(n) for n in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}),
    )
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):  # restored after the test, as MKL_NUM_THREADS
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    server.cli.main()
    assert seen == {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "2"}
