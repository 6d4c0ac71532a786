"""Faults of the storage under a real server: the database locked for a moment or for too long, and read-only.

Each time: a clear error (never a 500), nothing half-written, and the service keeps serving what it can.
(The SMTP server down is in test_public.py; kill -9 during ingest in test_ingest.py; a real full or read-only disk
in test_full_disk.py.)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import event, func, select

from server.core.config import Settings
from server.core.desk import auth
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, Request
from server.web.app import create_app
from tests.conftest import LiveServer, csrf_from, free_port, login


def _count(settings: Settings) -> tuple[int, int]:
    with Database(settings).session() as db:
        return db.scalar(select(func.count(Request.id))) or 0, db.scalar(select(func.count(AuditEvent.id))) or 0


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """Another process-like writer holds the database's write lock."""
    path = settings.db_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path, timeout=1, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")


def _new_request(client: httpx.Client, question: str) -> httpx.Response:
    token = csrf_from(client.get("/demandes/nouvelle").text)
    return client.post("/demandes/nouvelle", data={"question": question, "canal": "guichet", "csrf_token": token})


def test_a_briefly_locked_database_makes_writes_wait_not_fail(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as client:
        token = csrf_from(client.get("/demandes/nouvelle").text)
        before = _count(live_server.settings)
        result: dict[str, Any] = {}
        with _locked(live_server.settings):
            worker = threading.Thread(
                target=lambda: result.update(
                    r=client.post(
                        "/demandes/nouvelle",
                        data={"question": "Horaires de la piscine ?", "canal": "guichet", "csrf_token": token},
                    )
                )
            )
            worker.start()
            time.sleep(2)
            assert worker.is_alive()  # waiting for the lock, not failing
        worker.join(timeout=60)
        assert result["r"].status_code == 303
        after = _count(live_server.settings)
        assert after[0] == before[0] + 1 and after[1] >= before[1] + 2


def test_a_database_locked_too_long_gives_a_clear_503_and_loses_nothing(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as client:
        before = _count(live_server.settings)
        with _locked(live_server.settings):
            r = _new_request(client, "Horaires de la médiathèque le dimanche ?")
        assert r.status_code == 503 and "La base de données est occupée" in r.text
        assert _count(live_server.settings) == before  # nothing half-written
        assert _new_request(client, "Horaires de la médiathèque le dimanche ?").status_code == 303
        with _locked(live_server.settings):
            api = client.get("/demandes")  # reading goes on while another process writes
        assert api.status_code == 200


@pytest.fixture
def read_only_server(full_index: Settings, tmp_path: Path) -> Iterator[tuple[str, Settings, Callable[[], None]]]:
    """A real uvicorn server (in this process) and a switch after which its database refuses every write, as on a
    read-only disk (pooled connections are dropped; new ones get ``PRAGMA query_only``)."""
    settings = full_index.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'ro.db'}"})
    with Database(settings).session() as db:
        auth.add_user(db, "agent-ro", "agent", "mot-de-passe-agent-ro-2026")
    app = create_app(settings)
    state = {"ro": False}

    def on_connect(conn: Any, _: Any) -> None:
        if state["ro"]:
            conn.execute("PRAGMA query_only = ON")

    event.listen(app.state.db.engine, "connect", on_connect)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)

    def make_read_only() -> None:
        state["ro"] = True
        app.state.db.engine.dispose()

    try:
        yield f"http://127.0.0.1:{port}", settings, make_read_only
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_read_only_database_keeps_the_service_up_for_reading(
    read_only_server: tuple[str, Settings, Callable[[], None]],
) -> None:
    url, settings, make_read_only = read_only_server
    with httpx.Client(base_url=url, timeout=60) as client:
        csrf = csrf_from(client.get("/connexion").text)
        r = client.post(
            "/connexion", data={"username": "agent-ro", "password": "mot-de-passe-agent-ro-2026", "csrf_token": csrf}
        )
        assert r.status_code == 303
        make_read_only()
        assert client.get("/health").status_code == 200
        assert client.get("/faq").status_code == 200
        assert client.get("/demandes").status_code == 200
        refused = _new_request(client, "Horaires de la mairie ?")
        assert refused.status_code == 503 and "lecture seule" in refused.text
        api = client.post("/api/v1/requests", json={"question": "horaires", "channel": "guichet"})
        assert api.status_code in (403, 503)  # cookie API calls need the CSRF header first
    assert _count(settings)[0] == 0
