"""PostgreSQL for the requests, accounts and audit trail: a real server started on loopback for these tests.

The same migrations, the same append-only audit trail (PL/pgSQL triggers), the same erasure, and two service
workers writing at once under load with nothing lost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from ingest.pipeline import run_ingest
from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import auth, erasure, workflow
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from tests.conftest import free_port, serve, settings_for

pytestmark = pytest.mark.slow


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        pytest.fail("PostgreSQL introuvable : lancez `make test` (qui installe le paquet Debian postgresql).")
    return versions[-1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on loopback (run as the ``postgres`` user when the tests run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="accueil-pg-"))
    data = folder / "data"
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    pg = _pg_bin()
    port = free_port()
    subprocess.run(
        [*as_owner, str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "accueil", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    subprocess.run(
        [*as_owner, str(pg / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "pg.log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "accueil", "accueil"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://accueil@127.0.0.1:{port}/accueil"
    finally:
        subprocess.run(
            [*as_owner, str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database(pg_settings: Settings) -> Iterator[Database]:
    """The PostgreSQL database, its pooled connections closed after the test."""
    db = Database(pg_settings)
    yield db
    db.close()


@pytest.fixture(scope="module")
def pg_settings(postgres_url: str, tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> Settings:
    from tests.conftest import CORPUS

    settings = settings_for(tmp_path_factory.mktemp("pg-data"), database_url=postgres_url)
    # The session's demo index, copied: the ingest keeps its vectors instead of encoding the corpus again.
    shutil.copytree(demo_data / "index", settings.index_dir)
    run_ingest(settings, [CORPUS], progress=False)
    return settings


def test_workflow_audit_and_erasure_on_postgresql(pg_settings: Settings, database: Database) -> None:
    assistant = Assistant(pg_settings)
    with database.session() as s:
        request = workflow.create_request(
            s, "Horaires de la mairie le samedi ?", "web", "habitant", citizen_email="jeanne.martin@exemple.fr"
        )
        workflow.generate_draft(s, request, assistant, "assistant")
        workflow.validate(s, request, request.current_text or "Le samedi de 9 h à 12 h.", "agent1", assistant)
        rid = request.id
    with database.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.request_id == rid)).all()
        assert {"creee", "brouillon_genere", "validee"} <= set(actions)
    with pytest.raises(DatabaseError, match="ajout seul"), database.session() as s:
        s.execute(text("UPDATE audit_events SET actor = 'quelqu''un' WHERE request_id = :r"), {"r": rid})
    with database.session() as s:
        assert erasure.forget(s, "jeanne.martin@exemple.fr", "test") == 1
    with database.session() as s:
        erased = s.get(Request, rid)
        assert erased is not None and erased.citizen_email is None and erased.question == erasure.ERASED


def test_two_workers_on_postgresql_lose_nothing_under_load(
    pg_settings: Settings, database: Database, tmp_path: Path
) -> None:
    with database.session() as s:
        auth.add_user(s, "agent-pg", "agent", "mot-de-passe-agent-pg-2026")
        token = auth.create_token(s, "agent-pg", "tests")
    env = {"ACCUEIL_DATABASE_URL": pg_settings.db_url}
    created: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    with serve(pg_settings, free_port(), env, tmp_path / "serve.log", ["--workers", "2"]) as url:
        for _ in range(4):  # each worker loads the model and the index before the clock starts
            httpx.post(
                f"{url}/api/v1/drafts",
                json={"question": "horaires"},
                timeout=120,
                headers={"Authorization": f"Bearer {token}"},
            )
        stop = time.monotonic() + 10

        def client(n: int) -> None:
            with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
                while time.monotonic() < stop:
                    r = http.post(
                        "/api/v1/requests", json={"question": f"Horaires du samedi ({n})", "channel": "guichet"}
                    )
                    with lock:
                        if r.status_code == 201:
                            created.append(r.json()["id"])
                        else:
                            errors.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert len(created) >= 16, "chaque client a écrit au moins une demande"
    with database.session() as s:
        for action in ("creee", "brouillon_genere"):
            count = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.request_id.in_(created))
            )
            assert count == len(created), action


def test_faq_variants_migration_0011_on_postgresql(database: Database) -> None:
    """On PostgreSQL, 0011's variants are stored with the entry and its history, and the columns go down and back."""
    from alembic import command

    from server.core.desk import faq
    from server.core.desk.db import _alembic
    from server.core.desk.tables import FaqEntry

    with database.session() as s:
        entry = faq.create(s, "Où jeter le verre ?", "Dans les bornes.", "Déchets", [], "chef", None, ["Verre ?"])
        faq_id = entry.id
    cfg = _alembic()
    with database.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0010")
    with database.engine.connect() as connection:
        assert "variants" not in connection.execute(text("SELECT * FROM faq_versions LIMIT 1")).keys()
        assert "review" not in connection.execute(text("SELECT * FROM faq_entries LIMIT 1")).keys()
    with database.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    with database.session() as s:
        back = s.get(FaqEntry, faq_id)
        assert back is not None and back.variants == [] and back.review == []  # 0011 and 0012 on older entries
        faq.update(s, back, back.question, back.answer, back.theme, [], "chef", ["Le verre, ça va où ?"])
    with database.session() as s:
        back = s.get(FaqEntry, faq_id)
        assert back is not None
        assert [v.variants for v in faq.history(s, back)] == [[], ["Le verre, ça va où ?"]]
    with pytest.raises(DatabaseError, match="ajout seul"), database.session() as s:
        s.execute(text("UPDATE faq_versions SET variants = '[]'"))
