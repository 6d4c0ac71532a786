"""Shared fixtures: real data from ../shared, a real index built once per session with the real model."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server.core.config import REPO_ROOT, Settings

SHARED = Path(os.environ.get("ACCUEIL_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data" / "service-public"
SUBSET = SHARED / "mairie-subset-2020-11"
CORPUS = REPO_ROOT / "corpus"


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    """Settings pointing at a test data dir; everything else at its default (no .env read)."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def shared_subset() -> Path:
    """The 388-fiche service-public subset; the suite needs it (see ../shared/data/service-public)."""
    if not SUBSET.is_dir():
        pytest.fail(f"Données service-public introuvables : {SUBSET} (ACCUEIL_SHARED_DIR pour un autre chemin)")
    return SUBSET


@pytest.fixture(scope="session")
def full_index(tmp_path_factory: pytest.TempPathFactory, shared_subset: Path) -> Settings:
    """Demo corpus + the 388 DILA fiches, indexed once with the real model (a few minutes)."""
    from ingest.pipeline import run_ingest

    settings = settings_for(tmp_path_factory.mktemp("full-index"))
    summary = run_ingest(settings, [CORPUS, shared_subset], progress=False)
    assert summary.failed == []
    return settings


@pytest.fixture
def small_corpus(tmp_path: Path) -> Iterator[Path]:
    """A copy of a few demo documents that a test may change."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for doc in sorted(CORPUS.rglob("*.md"))[:6]:
        shutil.copy(doc, folder / doc.name)
    yield folder


@dataclass
class LiveServer:
    """A real uvicorn server on loopback over the full index, with one account per role."""

    url: str
    settings: Settings
    passwords: dict[str, str]
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(full_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Start ``accueil serve`` in a subprocess and wait for /health."""
    from server.core import auth
    from server.core.db import Database

    passwords: dict[str, str] = {}
    with Database(full_index).session() as db:
        for name, role in (("agent1", "agent"), ("chef", "supervisor"), ("root", "admin")):
            passwords[name] = f"mot-de-passe-{name}-2026"
            auth.add_user(db, name, role, passwords[name])
        token = auth.create_token(db, "agent1", "tests")
    port = _free_port()
    log = open(tmp_path_factory.mktemp("serve") / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--data-dir", str(full_index.data_dir), "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("le service n'a pas démarré")
            time.sleep(0.3)
        yield LiveServer(url, full_index, passwords, token)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@contextmanager
def login(server: LiveServer, username: str) -> Iterator[httpx.Client]:
    """An HTTP client logged in as ``username`` through the real login form, closed afterwards."""
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as client:
        csrf = csrf_from(client.get("/connexion").text)
        r = client.post(
            "/connexion",
            data={"username": username, "password": server.passwords[username], "csrf_token": csrf},
        )
        assert r.status_code == 303, r.text
        yield client


def csrf_from(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "pas de jeton CSRF dans la page"
    return match.group(1)
