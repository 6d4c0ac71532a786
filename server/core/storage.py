"""Room on the disk of the data directory: is it full or read-only, and was an error caused by a full disk.

One owner for these facts: ``/health`` reports them, ingest checks them before writing a new generation, and an
ingest that fails on a full disk says so plainly instead of printing a traceback.
"""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from pathlib import Path

# Below this much free space the data directory counts as full: SQLite, the index and the logs need some room.
MIN_FREE_BYTES = 16 * 1024 * 1024
_FULL_MESSAGES = ("no space left", "disk is full", "disk full", "database or disk is full")


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (a data directory may not exist yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged process can still write on the file system holding ``path``."""
    st = os.statvfs(_existing(path))
    return st.f_bavail * st.f_frsize


def tree_bytes(path: Path) -> int:
    """Size of the files under ``path`` (0 when it does not exist)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def mounted_read_only(path: Path) -> bool:
    """Whether the file system holding ``path`` is mounted read-only (its files may still change through another,
    writable mount of the same disk, e.g. a read-only bind mount)."""
    return bool(os.statvfs(_existing(path)).f_flag & os.ST_RDONLY)


def read_only(path: Path) -> bool:
    """Whether this process cannot write under ``path`` (mounted read-only, or no write permission)."""
    where = _existing(path)
    return mounted_read_only(where) or not os.access(where, os.W_OK)


def read_only_reason(path: Path) -> str:
    """The French clause saying that ``path`` cannot be written."""
    return f"Le dossier de données ({_existing(path)}) est en lecture seule"


def problem(path: Path) -> str | None:
    """Why nothing can be written under ``path`` now (read-only or full), as a French clause, or None."""
    where = _existing(path)
    if read_only(where):
        return read_only_reason(where)
    free = free_bytes(where)
    if free < MIN_FREE_BYTES:
        return f"Le disque du dossier de données est plein ({free // 2**20} Mo libres)"
    return None


def make_private(data_dir: Path) -> None:
    """Open the data directory for this process: only its owner may read it (0700, files 0600).

    The process's umask becomes 0077, so that what it writes from now on (database, WAL, index generations, keys,
    journals) is private; what an older version left readable is made private too (where this account may).
    """
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder, dirs, files in os.walk(data_dir):
        with suppress(OSError):  # read-only mount, or a file another account owns: left as it is
            os.chmod(folder, 0o700)
        for name in files:
            with suppress(OSError):
                os.chmod(os.path.join(folder, name), 0o600)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) comes from a full disk (ENOSPC, SQLite "disk is full")."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        if any(m in str(current).lower() for m in _FULL_MESSAGES):
            return True
        current = current.__cause__ or current.__context__
    return False
