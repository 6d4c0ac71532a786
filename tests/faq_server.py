"""The server the FAQ import and export tests use: ``accueil serve`` over a copy of the indexed demo corpus, its
FAQ empty, one supervisor and one agent, and a small size limit for the files it reads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server.core.desk import auth, faq_formats, faq_io
from server.core.desk.db import Database
from tests.conftest import LiveServer, SmtpServer, free_port, serve, settings_for

MAX_FILE_BYTES = 2_000_000  # over Starlette's 1 MB spool: an upload past it must stay in memory all the same
HOURS = "horaires-contacts/mairie-horaires-contacts"
BIRTH = "etat-civil/acte-de-naissance"


@contextmanager
def faq_server(demo_data: Path, folder: Path) -> Iterator[LiveServer]:
    """``accueil serve`` over a copy of ``demo_data`` in ``folder`` (its log in ``folder/serve.log``)."""
    settings = settings_for(folder / "data", max_file_bytes=MAX_FILE_BYTES)
    shutil.copytree(demo_data, settings.data_dir)
    passwords: dict[str, str] = {}
    database = Database(settings)
    with database.session() as db:
        for name, role in (("agent1", "agent"), ("chef", "supervisor")):
            passwords[name] = f"mot-de-passe-{name}-2026"
            auth.add_user(db, name, role, passwords[name])
    database.close()
    port = free_port()
    env = {"ACCUEIL_MAX_FILE_BYTES": str(MAX_FILE_BYTES), "ACCUEIL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    with serve(settings, port, env, folder / "serve.log") as url:
        yield LiveServer(url, settings, passwords, "", SmtpServer(folder))  # no token, no mail: never started


def exported(server: LiveServer, published_only: bool, suffix: str) -> bytes:
    """What ``accueil faq export`` writes for the server's base as it is now."""
    with Database(server.settings).session() as db:
        return faq_formats.dumps(faq_io.records(db, published_only), suffix).encode("utf-8")
