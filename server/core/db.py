"""Opening the database: engine (SQLite in WAL mode by default), sessions, and Alembic migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.core.config import Settings
from server.core.errors import ConfigError, StorageError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(settings: Settings) -> Engine:
    """The engine for the configured database; SQLite gets WAL, a busy timeout and foreign keys."""
    url = settings.db_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise ConfigError(f"Base de données inaccessible ou migration impossible : {exc}") from exc


def storage_error(exc: OperationalError) -> StorageError:
    """A clear French error for a database that refuses a write; the transaction was rolled back."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if "locked" in text or "busy" in text:
        message = "La base de données est occupée : réessayez dans quelques secondes (rien n'a été enregistré)."
    elif "full" in text or "readonly" in text or "read-only" in text or "disk i/o" in text:
        message = (
            "Le stockage est plein ou en lecture seule : la consultation reste possible, les modifications sont "
            "refusées (rien n'a été enregistré). Prévenez l'administrateur."
        )
    else:
        message = "La base de données est momentanément indisponible : réessayez (rien n'a été enregistré)."
    log.error("Écriture refusée par la base : %s", text)
    return StorageError(message)


class Database:
    """Engine and session factory of one process."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Close the pooled connections (a test or a command that is done with this database)."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
