"""The erasure journal: every ``accueil forget`` and ``accueil purge`` as one JSON line, outside the database.

A backup holds the database as it was; an erasure made after it is not in the archive. The journal lives next to
the database (``effacements.jsonl``, 0600) and ``accueil restore --journal`` re-applies what it records, so that a
restored backup does not bring an erased citizen back. It holds no personal data: the kind of erasure and its
subject, i.e. the SHA-256 of the erased address (what ``erasures.subject`` holds) or the purge's cut-off (an
instant; a date in older journals).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from server.core.config import Settings
from server.core.errors import InputError

JOURNAL_NAME = "effacements.jsonl"
KINDS = ("oubli", "purge")


@dataclass(frozen=True)
class Entry:
    """One recorded erasure: ``oubli`` (subject: SHA-256 of the address) or ``purge`` (subject: cut-off instant)."""

    at: str
    kind: str
    subject: str


def journal_path(settings: Settings) -> Path:
    """Where the journal of this instance lives: beside its SQLite file, or in the data directory."""
    url = settings.db_url
    if url.startswith("sqlite:///") and not url.startswith(("sqlite:///:memory:", "sqlite:///file:")):
        return Path(url.removeprefix("sqlite:///")).parent / JOURNAL_NAME
    return settings.data_dir / JOURNAL_NAME


def ensure(path: Path) -> None:
    """Create an empty journal (0600) if there is none yet, so that every instance has one to give to a restore."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))


def append(path: Path, kind: str, subject: str) -> None:
    """Record an erasure, flushed to the disk before the erasure's transaction commits."""
    line = json.dumps({"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "kind": kind, "subject": subject})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def write(path: Path, entries: list[Entry]) -> None:
    """Replace the journal by ``entries`` (a restore merges the archive's, the target's and the given journal)."""
    partial = path.with_name(path.name + ".partiel")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for e in entries:
            out.write(json.dumps({"at": e.at, "kind": e.kind, "subject": e.subject}) + "\n")
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)


def read(path: Path) -> list[Entry]:
    """Every erasure recorded in a journal, oldest first; an unreadable journal is refused as a whole."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Journal des effacements illisible : {path} ({exc.strerror or exc}).") from exc
    entries: list[Entry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            entry = Entry(str(item["at"]), str(item["kind"]), str(item["subject"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"Journal des effacements illisible : {path}, ligne {number} ({exc}).") from exc
        if entry.kind not in KINDS:
            raise InputError(f"Journal des effacements illisible : {path}, ligne {number} (type {entry.kind!r}).")
        entries.append(entry)
    return entries
