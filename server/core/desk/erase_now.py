"""An erasure run as one call (``accueil purge``, ``accueil forget``): open the base, erase, compact its file.

The erasure itself is ``erasure``'s; this module adds what a run from the command line needs around it: the
retention default from the settings, and compacting the SQLite file afterwards so that no old page keeps the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.config import Settings
from server.core.desk import erasure
from server.core.desk.db import Database


@dataclass(frozen=True)
class ErasureRun:
    """How many requests a run erased, whether the base file was compacted (False: its WAL stayed busy), and for a
    purge the retention it applied."""

    count: int
    compacted: bool
    retention_days: int | None = None


def purge(settings: Settings, days: int | None, actor: str) -> ErasureRun:
    """Purge the requests older than ``days`` (default: ``settings.retention_days``), then compact the base file."""
    retention = days if days is not None else settings.retention_days
    database = Database(settings)
    try:
        with database.session() as db:
            count = erasure.purge(db, retention, actor, journal=database.journal)
        return ErasureRun(count, database.compact() if count else True, retention)
    finally:
        database.close()


def forget(settings: Settings, email: str, actor: str) -> ErasureRun:
    """Erase every request sent with ``email`` (and what refers to it), then compact the base file."""
    database = Database(settings)
    try:
        with database.session() as db:
            count = erasure.forget(db, email, actor, journal=database.journal)
        return ErasureRun(count, database.compact())
    finally:
        database.close()
