"""Shared fixtures: real data from ../shared, a real index built once per session with the real model."""

from __future__ import annotations

import email.message
import mailbox
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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


class SmtpServer:
    """A real SMTP server process (aiosmtpd) on loopback, saving every message in a Maildir; can be stopped."""

    def __init__(self, folder: Path) -> None:
        self.maildir = folder / "maildir"
        self.port = _free_port()
        self.log = folder / "smtp.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}"]
                + ["-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        pytest.fail("le serveur SMTP de test n'a pas démarré")

    def stop(self) -> None:
        """Stop the server (the port then refuses connections)."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def messages(self) -> list[email.message.Message]:
        """Every message delivered so far."""
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, create=False)
        return [box.get_message(key) for key in sorted(box.keys())]

    def wait_for(
        self, predicate: Callable[[email.message.Message], bool], timeout: float = 30
    ) -> email.message.Message:
        """The first delivered message matching ``predicate``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if predicate(message):
                    return message
            time.sleep(0.2)
        pytest.fail("courriel attendu non reçu par le serveur SMTP")


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """The SMTP server the live service sends its mails to."""
    server = SmtpServer(tmp_path_factory.mktemp("smtp"))
    server.start()
    yield server
    server.stop()


@dataclass
class LiveServer:
    """A real uvicorn server on loopback over the full index, with one account per role."""

    url: str
    settings: Settings
    passwords: dict[str, str]
    token: str
    smtp: SmtpServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(
    full_index: Settings, tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer
) -> Iterator[LiveServer]:
    """Start ``accueil serve`` in a subprocess and wait for /health (its evaluation sets: 8 test questions)."""
    from server.core import auth
    from server.core.db import Database

    passwords: dict[str, str] = {}
    with Database(full_index).session() as db:
        for name, role in (("agent1", "agent"), ("chef", "supervisor"), ("root", "admin")):
            passwords[name] = f"mot-de-passe-{name}-2026"
            auth.add_user(db, name, role, passwords[name])
        token = auth.create_token(db, "agent1", "tests")
    port = _free_port()
    datasets = tmp_path_factory.mktemp("eval-datasets")
    lines = (REPO_ROOT / "eval" / "datasets" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    (datasets / "mini.jsonl").write_text("\n".join(lines[:8]) + "\n", encoding="utf-8")
    log = open(tmp_path_factory.mktemp("serve") / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--data-dir", str(full_index.data_dir), "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "ACCUEIL_EVAL_DATASETS_DIR": str(datasets),
            "ACCUEIL_SMTP_HOST": "127.0.0.1",
            "ACCUEIL_SMTP_PORT": str(smtp_server.port),
            "ACCUEIL_MAIL_RETRY_SECONDS": "1",
            "ACCUEIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        },
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
        yield LiveServer(url, full_index, passwords, token, smtp_server)
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
