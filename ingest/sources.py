"""Finding the input files: directories walked, zips opened member by member, each with a cheap hash."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from server.core.errors import LoaderError


@dataclass(frozen=True)
class SourceFile:
    """One input file (or zip member): its key in the manifest, default doc id, hash and a way to read it."""

    key: str
    name: str
    doc_id: str
    digest: str
    size: int
    read: Callable[[], bytes]


def _file_source(path: Path, doc_id: str) -> SourceFile:
    stat = path.stat()
    # Huge files are refused by the pipeline anyway; don't read them just to hash them.
    digest = (
        hashlib.sha256(path.read_bytes()).hexdigest()
        if stat.st_size <= 64_000_000
        else (f"stat:{stat.st_size}:{stat.st_mtime_ns}")
    )
    return SourceFile(str(path), str(path), doc_id, digest, stat.st_size, path.read_bytes)


class _Archive:
    """A zip opened once and shared by the readers of its members.

    Reopening it for each member re-read its whole central directory every time: with the 4,873 fiches of the
    service-public zip, that alone took minutes of an ingest.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.path)
        return self._zip.read(info)


def _zip_sources(path: Path) -> Iterator[SourceFile]:
    try:
        with zipfile.ZipFile(path) as listing:
            infos = listing.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoaderError(str(path), f"archive zip illisible : {exc}") from exc
    archive = _Archive(path)
    for info in infos:
        if info.is_dir() or Path(info.filename).name.startswith((".", "_")):
            continue

        def read(info: zipfile.ZipInfo = info) -> bytes:
            return archive.read(info)

        member = Path(info.filename)
        yield SourceFile(
            key=f"{path}::{info.filename}",
            name=f"{path.name}:{info.filename}",
            doc_id=member.with_suffix("").as_posix(),
            digest=f"crc:{info.CRC:08x}:{info.file_size}",
            size=info.file_size,
            read=read,
        )


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, its links followed, is still under ``root`` (itself resolved)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return False


def discover(root: Path, skipped: list[str] | None = None) -> Iterator[SourceFile]:
    """Every input under ``root`` (a file, a zip or a directory); hidden and ``_``-prefixed names skipped.

    A symbolic link that leads out of ``root`` is never followed (it could make any readable file a source cited to
    citizens): it is skipped and named in ``skipped``.
    """
    root = root.resolve()
    if not root.exists():
        raise LoaderError(str(root), "chemin introuvable")
    if root.is_file():
        if root.suffix.lower() == ".zip":
            yield from _zip_sources(root)
        else:
            yield _file_source(root, root.stem)
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if not _inside(path, root):
            if skipped is not None:
                skipped.append(f"{path} : lien symbolique hors du dossier ingéré, ignoré")
            continue
        if not path.is_file():
            continue
        if path.suffix.lower() == ".zip":
            yield from _zip_sources(path)
        else:
            yield _file_source(path, rel.with_suffix("").as_posix())


def in_scope(key: str, roots: list[Path]) -> bool:
    """True when a manifest source key lies under one of the roots being ingested (for cleanup)."""
    for root in roots:
        r = str(root.resolve())
        if key == r or key.startswith(r + "/") or key.startswith(r + "::"):
            return True
    return False
