"""Backup of a live instance and restore into an empty data directory: a full round trip."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

from sqlalchemy import func, select

from server.core.answer.assistant import Assistant
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from tests.conftest import REPO_ROOT, LiveServer, csrf_from, login, settings_for


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )


def test_backup_of_a_live_instance_restores_everything(live_server: LiveServer, tmp_path: Path) -> None:
    with login(live_server, "agent1") as agent:
        token = csrf_from(agent.get("/demandes/nouvelle").text)
        agent.post(
            "/demandes/nouvelle", data={"question": "Horaires de la mairie ?", "canal": "guichet", "csrf_token": token}
        )
    with Database(live_server.settings).session() as db:
        requests = db.scalar(select(func.count(Request.id)))
        events = db.scalar(select(func.count(AuditEvent.id)))
    archive = tmp_path / "sauvegarde.tar.gz"
    done = _cli("backup", "--out", str(archive), "--data-dir", str(live_server.settings.data_dir))
    assert done.returncode == 0, done.stderr
    assert f"{requests} demande(s)" in done.stdout and archive.stat().st_size > 100_000
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the base (never the session key: issue #19)
    assert live_server.url and _alive(live_server)  # the service kept running

    restored = tmp_path / "restauree"
    # The live instance's erasure journal goes with it (a restore without one is refused: test_erasure).
    journal = live_server.settings.data_dir / "effacements.jsonl"
    done = _cli("restore", str(archive), "--data-dir", str(restored), "--journal", str(journal))
    assert done.returncode == 0, done.stderr
    settings = settings_for(restored)
    with Database(settings).session() as db:
        assert db.scalar(select(func.count(Request.id))) == requests
        assert db.scalar(select(func.count(AuditEvent.id))) == events
    original = Assistant(live_server.settings).index()
    assistant = Assistant(settings)
    assert assistant.index().version == original.version and len(assistant.index().chunks) == len(original.chunks)
    result = assistant.draft("Combien coûte une carte d'identité ?")
    assert result.status == "answered" and result.citations
    # the restored instance signs with a key of its own: an archive never holds one (issue #19, finding 5)
    assert (restored / "secret_key").read_text() != (live_server.settings.data_dir / "secret_key").read_text()

    again = _cli("restore", str(archive), "--data-dir", str(restored))
    assert again.returncode == 1 and "restaurez dans un dossier vide" in again.stderr


def _alive(server: LiveServer) -> bool:
    import httpx

    with httpx.Client(base_url=server.url, timeout=10) as client:
        return client.get("/health").status_code == 200


def test_restore_refuses_broken_or_hostile_archives(tmp_path: Path) -> None:
    truncated = tmp_path / "tronquee.tar.gz"
    truncated.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    done = _cli("restore", str(truncated), "--data-dir", str(tmp_path / "a"))
    assert done.returncode == 1 and "Archive" in done.stderr
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as tar:
        for name in ("manifest.json", "../../evil.txt"):
            data = b'{"format": "accueil-sauvegarde-1"}'
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    done = _cli("restore", str(hostile), "--data-dir", str(tmp_path / "b"))
    assert done.returncode == 1 and "élément suspect" in done.stderr
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    foreign = tmp_path / "autre.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(__file__, "x.py")
    done = _cli("restore", str(foreign), "--data-dir", str(tmp_path / "c"))
    assert done.returncode == 1 and "manifeste" in done.stderr
