"""Opening the database: engine (SQLite in WAL mode by default), sessions, and Alembic migrations."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.core import storage
from server.core.config import Settings
from server.core.desk import erasure_log
from server.core.errors import ConfigError, StorageError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Freed space is zeroed: a rewritten or deleted text (an erased citizen's) leaves no copy in the file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _read_only_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_file(url: str) -> Path | None:
    """The database file of a plain SQLite URL (None for an in-memory or URI database)."""
    path = url.removeprefix("sqlite:///")
    return Path(path) if path != url and path and not path.startswith(("file:", ":memory:")) else None


def read_only_uri(path: Path) -> str:
    """The SQLite URI reading ``path`` on a file system mounted read-only (``sqlite3.connect(uri, uri=True)``).

    Plain read-only when SQLite can open it so (its WAL shared-memory file exists: a writer elsewhere keeps it,
    and locks are respected). Otherwise SQLite cannot create that file on the read-only mount, and the base is opened
    as immutable: no locks and no change detection, right as long as nothing writes the file through another mount
    (a WAL not yet checkpointed is then not seen). A directory merely not writable by this user is never opened so.
    """
    plain = f"file:{path}?mode=ro"
    try:
        with closing(sqlite3.connect(plain, uri=True)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return plain
    except sqlite3.Error:
        return f"{plain}&immutable=1"


def make_engine(settings: Settings) -> Engine:
    """The engine for the configured database; SQLite gets WAL, a busy timeout and foreign keys.

    A SQLite database on a read-only file system is opened for reading only (see ``is_read_only``): the
    service stays up for consultation and every write gets the storage's clear error.
    """
    url = settings.db_url
    if url.startswith("sqlite"):
        storage.make_private(settings.data_dir)
        path = _sqlite_file(url)
        args = {"check_same_thread": False, "timeout": 10}
        if path is not None and path.exists() and storage.mounted_read_only(path.parent):
            log.warning("Base %s sur un système de fichiers en lecture seule : ouverte en consultation seule", path)
            engine = create_engine(f"sqlite:///{read_only_uri(path)}&uri=true", connect_args=args)
            event.listen(engine, "connect", _read_only_pragmas)
            return engine
        engine = create_engine(url, connect_args=args)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_read_only(engine: Engine) -> bool:
    """Whether ``make_engine`` opened this database for reading only."""
    return engine.url.query.get("mode") == "ro"


def _alembic() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (a read-only database must already be there)."""
    cfg = _alembic()
    if is_read_only(engine):
        try:
            with engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            raise ConfigError(
                f"Base de données illisible sur un disque en lecture seule : {getattr(exc, 'orig', None) or exc}."
            ) from exc
        if current != ScriptDirectory.from_config(cfg).get_current_head():
            raise ConfigError(
                "La base est en lecture seule et son schéma n'est pas à jour : rendez le dossier de données "
                "inscriptible pour la mettre à jour."
            )
        return
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        url = engine.url
        on_disk = url.get_backend_name() == "sqlite" and url.database
        disk = storage.problem(Path(url.database).parent) if on_disk else None  # type: ignore[arg-type]
        cause = getattr(exc, "orig", None) or exc
        raise ConfigError(
            f"Base de données inaccessible ou migration impossible : {cause}" + (f" ({disk})." if disk else "")
        ) from exc


def storage_error(exc: OperationalError) -> StorageError:
    """A clear French error for a database that refuses a write; the transaction was rolled back."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if "locked" in text or "busy" in text:
        message = "La base de données est occupée : réessayez dans quelques secondes (rien n'a été enregistré)."
    elif storage.is_disk_full(exc) or "readonly" in text or "read-only" in text or "disk i/o" in text:
        message = (
            "Le stockage est plein ou en lecture seule : la consultation reste possible, les modifications sont "
            "refusées (rien n'a été enregistré). Prévenez l'administrateur."
        )
    else:
        message = "La base de données est momentanément indisponible : réessayez (rien n'a été enregistré)."
    log.error("Écriture refusée par la base : %s", text)
    return StorageError(message)


def compact(engine: Engine, attempts: int = 50) -> bool:
    """After an erasure, leave no old page of SQLite anywhere: rebuild the file, then checkpoint and empty the WAL.

    Returns False when readers kept the WAL busy (its old frames may remain until the next checkpoint). Nothing to do
    on PostgreSQL, or on a database opened read-only.
    """
    if engine.url.get_backend_name() != "sqlite" or is_read_only(engine):
        return True
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
            for _ in range(attempts):
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
                if not busy:
                    return True
                time.sleep(0.2)
    except OperationalError as exc:  # a writer held the base longer than the busy timeout: the erasure stands
        log.warning("Compactage de la base impossible après un effacement : %s", exc.orig or exc)
    return False


class Database:
    """Engine and session factory of one process."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)
        migrate(self.engine)
        self.journal = erasure_log.journal_path(settings)
        if not is_read_only(self.engine):
            with suppress(OSError):  # a full or read-only disk: the first erasure will say so
                erasure_log.ensure(self.journal)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def compact(self) -> bool:
        """See ``compact``: after an erasure, no old page left in the file or its WAL."""
        return compact(self.engine)

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
            except OperationalError as exc:  # busy, full or read-only: the same clear error everywhere
                session.rollback()
                raise storage_error(exc) from exc
            except BaseException:
                session.rollback()
                raise
