"""Backup and restore of an instance: the SQLite database, the index generation in service and the evaluation
reports, in one ``.tar.gz`` with a manifest.

The database is copied with SQLite's online backup (consistent while the service writes); the index generation is
copied under the ingest lock (no ingest can switch or prune it meanwhile). PostgreSQL is saved with its own tools
(``pg_dump``), not here. Restore refuses a data directory that already holds a database, and every archive member
is checked before anything is written (no absolute path, no ``..``, no link).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from server.core import storage
from server.core.answer.index import CURRENT, current_generation, ingest_lock
from server.core.config import Settings
from server.core.desk import erasure_log, secret
from server.core.desk.db import read_only_uri
from server.core.errors import ConfigError, InputError, StorageError

FORMAT = "accueil-sauvegarde-1"
DB_NAME = "accueil.db"


@dataclass
class BackupSummary:
    """What an archive holds."""

    path: Path
    generation: str
    requests: int
    audit_events: int
    size_bytes: int


def _sqlite_path(settings: Settings) -> Path:
    url = settings.db_url
    if not url.startswith("sqlite:///"):
        raise ConfigError("Sauvegarde intégrée réservée à SQLite : pour PostgreSQL, utilisez pg_dump / pg_restore.")
    return Path(url.removeprefix("sqlite:///"))


def _count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed table names


def _drop_sessions(copy: sqlite3.Connection) -> None:
    """Leave the login sessions out of the copy: they end with the instance (a restore starts with none)."""
    if copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").fetchone():
        copy.execute("DELETE FROM sessions")
        copy.commit()


def _discard(partial: Path) -> None:
    """Never leave half an archive that looks like a backup (nothing to remove on a read-only target)."""
    with suppress(OSError):
        partial.unlink(missing_ok=True)


def backup(settings: Settings, out: Path) -> BackupSummary:
    """Write the instance's archive to ``out``."""
    source_db = _sqlite_path(settings)
    if not source_db.exists():
        raise ConfigError(f"Base introuvable : {source_db}")
    partial = out.with_name(out.name + ".partiel")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            staging = Path(tmp)
            copy = staging / DB_NAME
            # On a disk mounted read-only the base can only be opened read-only (it cannot change there anyway).
            read_only = storage.mounted_read_only(source_db.parent)
            source = sqlite3.connect(read_only_uri(source_db), uri=True) if read_only else sqlite3.connect(source_db)
            with closing(source) as src, closing(sqlite3.connect(copy)) as dst:
                src.backup(dst)
                _drop_sessions(dst)
            manifest: dict[str, object] = {
                "format": FORMAT,
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "requests": _count(copy, "requests"),
                "audit_events": _count(copy, "audit_events"),
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            with ingest_lock(settings.index_dir):
                gen = current_generation(settings.index_dir)
                manifest["generation"] = gen.name if gen else ""
                (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
                # 0600: the archive holds the base. Never the session key (a restore makes a new one).
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                    tar.add(staging / "manifest.json", "manifest.json")
                    tar.add(copy, DB_NAME)
                    if gen is not None:
                        tar.add(gen, f"index/{gen.name}")
                        tar.add(settings.index_dir / CURRENT, f"index/{CURRENT}")
                    journal = erasure_log.journal_path(settings)
                    if journal.is_file():  # the erasures made so far, for a later restore to carry on
                        tar.add(journal, erasure_log.JOURNAL_NAME)
                    for name in ("evals",):
                        if (settings.data_dir / name).exists():
                            tar.add(settings.data_dir / name, name)
            partial.replace(out)
    except (OSError, sqlite3.Error) as exc:
        _discard(partial)
        where = storage.problem(out.parent) or storage.problem(Path(tempfile.gettempdir()))
        raise StorageError(f"Sauvegarde impossible : {exc}" + (f" ({where})." if where else ".")) from exc
    except BaseException:
        _discard(partial)
        raise
    return BackupSummary(
        path=out,
        generation=str(manifest["generation"]),
        requests=_count_of(manifest, "requests"),
        audit_events=_count_of(manifest, "audit_events"),
        size_bytes=out.stat().st_size,
    )


def _count_of(manifest: dict[str, object], key: str) -> int:
    value = manifest.get(key, 0)
    return value if isinstance(value, int) else 0


def _check_members(tar: tarfile.TarFile) -> dict[str, object]:
    for member in tar.getmembers():
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise InputError(f"Archive refusée : élément suspect {member.name!r}.")
    try:
        extracted = tar.extractfile("manifest.json")
        manifest = json.loads(extracted.read()) if extracted else {}
    except (KeyError, ValueError):
        raise InputError(
            "Archive refusée : pas de manifeste lisible (ce n'est pas une sauvegarde d'accueil)."
        ) from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"Archive refusée : format {manifest.get('format')!r} inconnu.")
    return dict(manifest)


def _journal_entries(settings: Settings, journal: Path | None, without_journal: bool) -> list[erasure_log.Entry]:
    """The erasures to re-apply after a restore, read before anything is written; refuse when none is given."""
    own = erasure_log.journal_path(settings)
    source = journal or (own if own.exists() else None)
    if source is None:
        if without_journal:
            return []
        raise InputError(
            "Restauration refusée : sans le journal des effacements de l'instance sauvegardée, un habitant effacé "
            "après la sauvegarde reviendrait. Donnez --journal ANCIEN_DOSSIER/effacements.jsonl (il est réappliqué), "
            "ou --sans-journal si aucun effacement n'a été fait depuis la sauvegarde."
        )
    if not source.is_file():
        raise InputError(f"Journal des effacements introuvable : {source}.")
    return erasure_log.read(source)


def _reapply(settings: Settings, entries: list[erasure_log.Entry], archived: list[erasure_log.Entry]) -> int:
    """Keep the journal of the restored instance whole, and apply its erasures again to the restored base."""
    from server.core.desk import erasure
    from server.core.desk.db import Database

    path = erasure_log.journal_path(settings)
    kept = erasure_log.read(path) if path.exists() else []
    erasure_log.write(path, list(dict.fromkeys([*archived, *kept, *entries])))
    database = Database(settings)
    try:
        with database.session() as session:
            count = erasure.reapply(session, [e for e in entries if e not in archived], "accueil restore")
        database.compact()
    finally:
        database.close()
    return count


def restore(
    settings: Settings, archive: Path, journal: Path | None = None, without_journal: bool = False
) -> dict[str, object]:
    """Restore an archive into the (empty) data directory of ``settings``; returns the archive's manifest.

    The erasures of ``journal`` (by default the one already in the data directory) are applied again, so that a
    backup taken before an ``accueil forget`` does not bring the citizen back; ``reapplied`` says how many requests.
    """
    target_db = _sqlite_path(settings)
    if target_db.exists() or (settings.index_dir / CURRENT).exists():
        raise InputError(f"{settings.data_dir} contient déjà une base ou un index : restaurez dans un dossier vide.")
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise InputError(f"Archive illisible : {exc}") from exc
    archived: list[erasure_log.Entry] = []
    with tar:
        try:
            manifest = _check_members(tar)
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise InputError(f"Archive illisible ou tronquée : {exc}") from exc
        entries = _journal_entries(settings, journal, without_journal)  # refused here, nothing is written yet
        storage.make_private(settings.data_dir)
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory(dir=settings.data_dir) as tmp:
        try:
            tar.extractall(tmp, filter="data")
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise InputError(f"Archive illisible ou tronquée : {exc}") from exc
        staging = Path(tmp)
        if (staging / erasure_log.JOURNAL_NAME).is_file():
            archived = erasure_log.read(staging / erasure_log.JOURNAL_NAME)
        for name in ("index", "evals"):  # an older archive's session key is left out
            if not (staging / name).exists():
                continue
            dest = settings.data_dir / name
            if dest.is_dir():
                shutil.rmtree(dest)
            elif dest.exists():
                dest.unlink()
            shutil.move(str(staging / name), dest)
        target_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / DB_NAME), target_db)
    secret.secret_key(settings)  # the data directory's own key, or a new one: never the archived instance's
    manifest["reapplied"] = _reapply(settings, entries, archived)
    return manifest
