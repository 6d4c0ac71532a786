"""Scale-out on existing engines: a real ``chroma run`` server on loopback, several service workers, faults.

In client/server mode the vectors of every index generation live on the Chroma server (collections named after
the generation); the chunk table and BM25 stay in the generation folder on the shared data directory.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from eval.servers import running
from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.answer.index import chroma_client, current_generation
from server.core.config import Settings
from server.core.desk import auth
from server.core.desk.db import Database
from tests.conftest import free_port, serve, settings_for

pytestmark = pytest.mark.slow

CHROMA = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
QUESTION = "Quels sont les horaires d'ouverture de la mairie ?"


@contextmanager
def chroma_server(path: Path, port: int) -> Iterator[str]:
    """``chroma run`` on loopback, persisting in ``path``, until the block ends."""
    url = f"http://127.0.0.1:{port}"
    cmd = [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, f"{url}/api/v2/heartbeat", path.parent / f"chroma-{port}-{time.monotonic_ns()}.log", seconds=60):
        yield url


def _collections(url: str) -> set[str]:
    return {getattr(c, "name", c) for c in chroma_client(Path(), url).list_collections()}


def _ingested_on_a_server(tmp_path: Path, small_corpus: Path) -> tuple[int, Path, Settings]:
    """The small corpus ingested through a ``chroma run`` stopped afterwards: its port, its store and the settings.

    Also checks that the client the service keeps for that server has bounded timeouts (chromadb's has none)."""
    port = free_port()
    store = tmp_path / "chroma"
    with chroma_server(store, port) as url:
        settings = settings_for(tmp_path / "data", chroma_url=url)
        run_ingest(settings, [small_corpus], progress=False)
        session = chroma_client(Path(), url)._server._session
        assert session.timeout.read == 120.0 and session.timeout.connect == 5.0
    return port, store, settings


def _token(settings: Settings) -> str:
    with Database(settings).session() as db:
        auth.add_user(db, "agent-scale", "agent", "mot-de-passe-agent-scale-2026")
        return auth.create_token(db, "agent-scale", "tests")


def test_ingest_and_draft_through_a_chroma_server(tmp_path: Path, small_corpus: Path) -> None:
    with chroma_server(tmp_path / "chroma", free_port()) as url:
        settings = settings_for(tmp_path / "data", chroma_url=url, keep_generations=2)
        run_ingest(settings, [small_corpus], progress=False)
        first = current_generation(settings.index_dir)
        assert first is not None and not (first / "chroma").exists(), "les vecteurs sont sur le serveur"
        assert _collections(url) == {f"{first.name}-chunks", f"{first.name}-headings"}
        assert Assistant(settings).draft(QUESTION).sources
        doc = sorted(small_corpus.glob("*.md"))[0]
        doc.write_text(doc.read_text(encoding="utf-8") + "\nUne phrase ajoutée pour la nouvelle génération.\n")
        run_ingest(settings, [small_corpus], progress=False)
        run_ingest(settings, [small_corpus], progress=False)  # unchanged: no new generation
        doc.write_text(doc.read_text(encoding="utf-8") + "\nEncore une phrase.\n")
        run_ingest(settings, [small_corpus], progress=False)
        gens = sorted(p.name for p in settings.index_dir.iterdir() if p.name.startswith("gen-"))
        assert len(gens) == 2
        assert _collections(url) == {f"{g}-{kind}" for g in gens for kind in ("chunks", "headings")}
        result = Assistant(settings).draft(QUESTION)
        assert result.provenance.index_version == gens[-1]


def test_chroma_down_degrades_clearly_and_recovers(tmp_path: Path, small_corpus: Path) -> None:
    """/health says degraded; a worker answers 503 while the server is away (it holds no vectors), then recovers."""
    port, store, settings = _ingested_on_a_server(tmp_path, small_corpus)
    url = str(settings.chroma_url)
    token = _token(settings)
    headers = {"Authorization": f"Bearer {token}"}
    env = {"ACCUEIL_CHROMA_URL": url}
    with serve(settings, free_port(), env, tmp_path / "serve.log") as service:
        health = httpx.get(f"{service}/health", timeout=30)
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        assert "Chroma" in health.json()["message"]
        down = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
        assert down.status_code == 503, down.text
        assert "Chroma" in down.json()["message"] and "injoignable" in down.json()["message"]
        with chroma_server(store, port):
            again = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
            assert again.status_code == 200 and again.json()["sources"]
            assert httpx.get(f"{service}/health", timeout=30).json()["status"] == "ok"
        # Dense search is the server's query: no vectors in the worker, so no drafts while the server is away.
        gone = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
        assert gone.status_code == 503 and "injoignable" in gone.json()["message"]
        assert httpx.get(f"{service}/health", timeout=30).json()["status"] == "degraded"
        with chroma_server(store, port):
            back = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
            assert back.status_code == 200 and back.json()["sources"]


def test_two_workers_serve_the_same_generation_after_an_ingest(tmp_path: Path, small_corpus: Path) -> None:
    with chroma_server(tmp_path / "chroma", free_port()) as url:
        settings = settings_for(tmp_path / "data", chroma_url=url)
        run_ingest(settings, [small_corpus], progress=False)
        headers = {"Authorization": f"Bearer {_token(settings)}"}
        env = {"ACCUEIL_CHROMA_URL": url}
        with serve(settings, free_port(), env, tmp_path / "serve.log", ["--workers", "2"]) as service:
            before = {_draft(service, headers)["provenance"]["index_version"] for _ in range(12)}  # type: ignore[index]
            assert len(before) == 1
            doc = sorted(small_corpus.glob("*.md"))[0]
            doc.write_text(doc.read_text(encoding="utf-8") + "\nNouvelle information pour tous les processus.\n")
            run_ingest(settings, [small_corpus], progress=False)
            new = current_generation(settings.index_dir)
            assert new is not None and {new.name} != before
            after = {_draft(service, headers)["provenance"]["index_version"] for _ in range(12)}  # type: ignore[index]
            assert after == {new.name}, "chaque processus sert la nouvelle génération"


def _draft(url: str, headers: dict[str, str]) -> dict[str, object]:
    # A new connection each time, so that requests spread over the workers.
    r = httpx.post(f"{url}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@contextmanager
def silent_server(port: int) -> Iterator[socket.socket]:
    """A socket on ``port`` that accepts connections and never answers (a hung, not a dead, server)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        yield sock


def test_a_silent_chroma_server_is_a_clear_503_not_a_hang(tmp_path: Path, small_corpus: Path) -> None:
    """chromadb's own HTTP client has no timeout: the service probes the server with one, then bounds the client."""
    port, store, settings = _ingested_on_a_server(tmp_path, small_corpus)
    url = str(settings.chroma_url)
    headers = {"Authorization": f"Bearer {_token(settings)}"}
    env = {"ACCUEIL_CHROMA_URL": url}
    with silent_server(port) as silent, serve(settings, free_port(), env, tmp_path / "serve.log") as service:
        start = time.monotonic()
        health = httpx.get(f"{service}/health", timeout=60)
        assert health.status_code == 503 and "Chroma" in health.json()["message"]
        down = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
        assert down.status_code == 503 and "injoignable" in down.json()["message"]
        assert time.monotonic() - start < 30  # two probes of 3 s at most, not a hang
        silent.close()
        with chroma_server(store, port):
            again = httpx.post(f"{service}/api/v1/drafts", json={"question": QUESTION}, headers=headers, timeout=60)
            assert again.status_code == 200 and again.json()["sources"]
