"""A real full disk: the data directory (database and index) lives on a small tmpfs that a ballast file fills to the
last byte, under a real ``accueil serve`` process and real ``accueil ingest`` runs.

Each time: a clear error (never a 500 or a traceback), nothing half-written, the service keeps serving what it can
read, and everything works again as soon as there is room, without a restart. (Mounting a tmpfs needs root or
CAP_SYS_ADMIN, as the rest of ``make test`` installing Debian packages does.)
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from server.core import storage
from server.core.answer.index import COMPLETE, CURRENT
from server.core.config import Settings
from server.core.desk import auth
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from server.web.security import secret_key
from tests.conftest import CORPUS, csrf_from, free_port, serve, settings_for

DISK_SIZE = "256m"  # the demo corpus + 388 fiches index takes 43 MB: room for three copies of it
PASSWORD = "mot-de-passe-disque-2026"
NEW_DOC = """---
title: Salle polyvalente des Tilleuls
audience: public
updated: 2026-11-01
review_by: 2027-11-01
---

# Salle polyvalente des Tilleuls

La salle polyvalente des Tilleuls ouvre le lundi de 9 h à 12 h et le jeudi de 14 h à 18 h.
"""


@dataclass
class Disk:
    """A mounted tmpfs and a ballast file that fills it or frees it."""

    root: Path

    @property
    def ballast(self) -> Path:
        return self.root / "ballast"

    def fill(self, leave: int = 0) -> None:
        """Write until the file system refuses a single byte more (ENOSPC), then give back ``leave`` bytes."""
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            for block in (1 << 20, 1 << 12, 1):
                data = b"\0" * block
                while True:
                    try:
                        os.write(fd, data)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
                        break
        finally:
            os.close(fd)
        assert storage.free_bytes(self.root) == 0
        if leave:
            os.truncate(self.ballast, self.ballast.stat().st_size - leave)
            assert leave - 2**16 <= storage.free_bytes(self.root) <= leave + 2**16

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)


@dataclass
class FullDiskServer:
    """``accueil serve`` over a data directory on the small disk."""

    url: str
    settings: Settings
    disk: Disk
    token: str


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Disk]:
    root = tmp_path_factory.mktemp("disque")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0755", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(f"Montage d'un tmpfs impossible (root ou CAP_SYS_ADMIN requis) : {mounted.stderr.strip()}")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def _instance(data_dir: Path, index_dir: Path, username: str) -> tuple[Settings, str]:
    """A data directory with a copy of ``index_dir``, a base holding one agent, and that agent's API token."""
    settings = settings_for(data_dir)
    shutil.copytree(index_dir, settings.index_dir)
    database = Database(settings)
    try:
        with database.session() as db:
            auth.add_user(db, username, "agent", PASSWORD)
            token = auth.create_token(db, username, "tests")
    finally:
        database.close()
    return settings, token


@pytest.fixture(scope="module")
def server(disk: Disk, full_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullDiskServer]:
    settings, token = _instance(disk.root / "data", full_index.index_dir, "agent-disque")
    log = tmp_path_factory.mktemp("serve-disque") / "serve.log"
    with serve(settings, free_port(), {}, log) as url:
        yield FullDiskServer(url, settings, disk, token)


@pytest.fixture
def agent(server: FullDiskServer) -> Iterator[httpx.Client]:
    """Logged in while there is room (a login records the session); the disk is freed after each test."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        csrf = csrf_from(client.get("/connexion").text)
        r = client.post("/connexion", data={"username": "agent-disque", "password": PASSWORD, "csrf_token": csrf})
        assert r.status_code == 303, r.text
        try:
            yield client
        finally:
            server.disk.free()


def _counts(settings: Settings) -> tuple[int, int]:
    database = Database(settings)
    try:
        with database.session() as db:
            return db.scalar(select(func.count(Request.id))) or 0, db.scalar(select(func.count(AuditEvent.id))) or 0
    finally:
        database.close()


def _new_request(client: httpx.Client, question: str) -> httpx.Response:
    token = csrf_from(client.get("/demandes/nouvelle").text)
    return client.post("/demandes/nouvelle", data={"question": question, "canal": "guichet", "csrf_token": token})


def _ingest(settings: Settings, folder: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "server", "ingest", str(folder), "--data-dir", str(settings.data_dir)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def _generations(settings: Settings) -> set[str]:
    return {p.name for p in settings.index_dir.iterdir() if p.name.startswith("gen-")}


@pytest.fixture
def new_doc(tmp_path: Path) -> Path:
    folder = tmp_path / "nouveau"
    folder.mkdir()
    (folder / "salle-polyvalente.md").write_text(NEW_DOC, encoding="utf-8")
    return folder


def test_a_full_disk_refuses_changes_clearly_keeps_serving_and_recovers(
    server: FullDiskServer, agent: httpx.Client
) -> None:
    first = _new_request(agent, "Quels sont les horaires de la mairie le samedi ?")
    assert first.status_code == 303
    page = first.headers["location"]
    before = _counts(server.settings)

    server.disk.fill()
    health = agent.get("/health")  # 200: still useful, a restart would not help (see the restart test)
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert "plein" in health.json()["message"]
    # Everything that only reads goes on: the inbox, a request, the FAQ, a draft through the API.
    inbox = agent.get("/demandes")
    assert inbox.status_code == 200 and "horaires de la mairie le samedi" in inbox.text
    assert agent.get(page).status_code == 200
    assert agent.get("/faq").status_code == 200
    draft = httpx.post(
        f"{server.url}/api/v1/drafts",
        json={"question": "Quels papiers pour une carte d'identité ?"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=60,
    )
    assert draft.status_code == 200 and draft.json()["status"] in ("answered", "abstained")
    # A change is refused with a clear message, and nothing is half-written.
    refused = _new_request(agent, "Horaires de la médiathèque le dimanche ?")
    assert refused.status_code == 503 and "plein" in refused.text
    api = httpx.post(
        f"{server.url}/api/v1/requests",
        json={"question": "Horaires de la piscine ?", "channel": "guichet"},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=60,
    )
    assert api.status_code == 503 and "plein" in api.json()["message"]
    assert _counts(server.settings) == before

    server.disk.free()
    assert agent.get("/health").json()["status"] == "ok"
    again = _new_request(agent, "Horaires de la médiathèque le dimanche ?")
    assert again.status_code == 303
    after = _counts(server.settings)
    assert after[0] == before[0] + 1 and after[1] > before[1]


def test_an_ingest_on_a_full_disk_is_refused_before_embedding(
    server: FullDiskServer, agent: httpx.Client, new_doc: Path
) -> None:
    current = (server.settings.index_dir / CURRENT).read_text()
    generations = _generations(server.settings)
    server.disk.fill()
    run = _ingest(server.settings, new_doc)
    assert run.returncode == 1
    assert "Espace disque insuffisant" in run.stderr and "Traceback" not in run.stderr
    assert (server.settings.index_dir / CURRENT).read_text() == current
    assert _generations(server.settings) == generations
    assert agent.get("/health").json()["index_version"] == current.strip()


def test_an_ingest_that_would_not_fit_is_refused_before_embedding(
    server: FullDiskServer, agent: httpx.Client, new_doc: Path
) -> None:
    """Room for a few files but not for a copy of the 43 MB generation and the service's margin."""
    generations = _generations(server.settings)
    current = (server.settings.index_dir / CURRENT).read_text()
    server.disk.fill(leave=40 * 2**20)
    run = _ingest(server.settings, new_doc)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Espace disque insuffisant" in run.stderr and "il faut environ" in run.stderr
    assert _generations(server.settings) <= generations  # nothing new (an old one may have been pruned)
    assert (server.settings.index_dir / CURRENT).read_text() == current


def test_a_backup_to_a_full_disk_fails_clearly_and_leaves_no_partial_archive(
    server: FullDiskServer, agent: httpx.Client
) -> None:
    out = server.disk.root / "sauvegardes" / "accueil.tar.gz"
    server.disk.fill()
    cmd = [sys.executable, "-m", "server", "backup", "--out", str(out), "--data-dir", str(server.settings.data_dir)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Sauvegarde impossible" in run.stderr
    assert not out.exists() and not list(out.parent.glob("*.partiel"))


def test_a_restart_on_a_full_disk_says_so_in_one_line(server: FullDiskServer, agent: httpx.Client) -> None:
    """SQLite must create the WAL's shared-memory file to open the base: a restart on a full disk cannot serve, and
    says why (reading it as immutable could give wrong answers once another process writes again)."""
    settings = settings_for(server.disk.root / "redemarrage")
    database = Database(settings)
    database.close()  # cleanly closed: no -wal/-shm left
    server.disk.fill()
    cmd = [sys.executable, "-m", "server", "serve", "--data-dir", str(settings.data_dir), "--port", str(free_port())]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "Erreur : Base de données inaccessible" in run.stderr and "plein" in run.stderr


def test_the_session_key_is_never_saved_empty_on_a_full_disk(server: FullDiskServer, agent: httpx.Client) -> None:
    """Writing it on a full disk used to leave an empty file, and an empty key signs forgeable sessions."""
    settings = settings_for(server.disk.root / "cle")
    settings.data_dir.mkdir()
    server.disk.fill()
    key = secret_key(settings)
    assert len(key) >= 32 and secret_key(settings) == key  # one key for the process
    assert not (settings.data_dir / "secret_key").exists() and not list(settings.data_dir.iterdir())
    server.disk.free()
    other = settings_for(server.disk.root / "cle-vide")
    other.data_dir.mkdir()
    (other.data_dir / "secret_key").write_text("")  # left by an older version on a full disk
    saved = secret_key(other)
    assert len(saved) >= 32 and (other.data_dir / "secret_key").read_text() == saved


def test_a_disk_filling_up_during_an_ingest_abandons_the_new_generation(
    server: FullDiskServer, agent: httpx.Client, new_doc: Path
) -> None:
    """The ingest passes its check, then another writer fills the disk while it writes the new generation."""
    index_dir = server.settings.index_dir
    current = (index_dir / CURRENT).read_text()
    generations = _generations(server.settings)
    cmd = [sys.executable, "-m", "server", "ingest", str(new_doc), "--data-dir", str(server.settings.data_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        writing: list[Path] = []
        while not writing and proc.poll() is None and time.monotonic() < deadline:
            writing = [index_dir / g for g in _generations(server.settings) - generations]
            time.sleep(0.001)
        assert writing, "l'ingestion n'a pas commencé à écrire de génération"
        proc.send_signal(signal.SIGSTOP)  # hold it mid-write (the window lasts over a second) while the disk fills
        try:
            assert not (writing[0] / COMPLETE).exists()
            server.disk.fill()
        finally:
            proc.send_signal(signal.SIGCONT)
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, out + err
    assert "Disque plein pendant l'écriture du nouvel index" in err and "Traceback" not in err
    assert (index_dir / CURRENT).read_text() == current
    assert _generations(server.settings) == generations  # the half-written generation is gone, its space given back
    server.disk.free()
    health = agent.get("/health")
    assert health.json()["status"] == "ok" and health.json()["index_version"] == current.strip()
    done = _ingest(server.settings, new_doc)  # with room again, the same ingest goes through
    assert done.returncode == 0, done.stderr
    assert (index_dir / CURRENT).read_text() != current


def test_a_service_started_on_a_read_only_disk_serves_reads_and_refuses_writes(
    server: FullDiskServer, tmp_path: Path
) -> None:
    """A restart after the kernel turned the file system read-only: the database is opened for reading only, the
    index is read from a temporary copy (Chroma writes to its files when it opens them), writes get a clear 503."""
    settings, token = _instance(server.disk.root / "lecture-seule", server.settings.index_dir, "agent-ro")
    view = tmp_path / "vue"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(server.disk.root), str(view)], check=True)
    log = tmp_path / "serve.log"
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        read_only = settings_for(view / "lecture-seule")
        env = {"ACCUEIL_MAIL_RETRY_SECONDS": "1"}
        with serve(read_only, free_port(), env, log) as url, httpx.Client(base_url=url, timeout=60) as client:
            health = client.get("/health")
            assert health.json()["status"] == "degraded" and "lecture seule" in health.json()["message"]
            assert client.get("/faq").status_code == 200
            public = client.get("/question", params={"q": "horaires de la mairie"})
            assert public.status_code == 200
            bearer = {"Authorization": f"Bearer {token}"}
            draft = client.post("/api/v1/drafts", json={"question": "Horaires de la mairie ?"}, headers=bearer)
            assert draft.status_code == 200 and draft.json()["status"] == "answered" and draft.json()["citations"]
            refused = client.post(
                "/api/v1/requests", json={"question": "Horaires de la piscine ?", "channel": "guichet"}, headers=bearer
            )
            assert refused.status_code == 503 and "lecture seule" in refused.json()["message"]
            time.sleep(1.5)  # a few rounds of the mail sender, which must survive a database it cannot write
            data = str(read_only.data_dir)
            cli = [sys.executable, "-m", "server"]
            ingest = subprocess.run(
                [*cli, "ingest", str(CORPUS), "--data-dir", data], capture_output=True, text=True, timeout=300
            )
            assert ingest.returncode == 1 and "lecture seule" in ingest.stderr and "Traceback" not in ingest.stderr
            archive = tmp_path / "sauvegarde.tar.gz"  # a backup reads only: it works from a read-only disk
            saved = subprocess.run(
                [*cli, "backup", "--out", str(archive), "--data-dir", data],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert saved.returncode == 0, saved.stderr
            assert archive.stat().st_size > 1_000_000
            unwritable = view / "sauvegarde.tar.gz"  # the target itself on the read-only disk: a clear refusal
            refused_backup = subprocess.run(
                [*cli, "backup", "--out", str(unwritable), "--data-dir", data],
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert refused_backup.returncode == 1 and "Sauvegarde impossible" in refused_backup.stderr
            assert "Traceback" not in refused_backup.stderr
            subprocess.run(["mount", "-o", "remount,bind,rw", str(view)], check=True)
            still = client.get("/health")  # the base stays opened read-only until a restart, and says so
            assert still.json()["status"] == "degraded" and "redémarrez" in still.json()["message"]
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and "File d'envoi des courriels inaccessible" in text
    copy = re.search(r"lecture d'une copie dans (\S+)", text)
    assert copy and not Path(copy.group(1)).exists()  # the copy is dropped once the vectors are in memory
