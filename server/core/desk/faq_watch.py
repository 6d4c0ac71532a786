"""FAQ entries stay true to their sources: a re-ingest that changes or removes a cited document withdraws the entry.

The index does not know the desk (``server/core/answer`` imports nothing of it): the desk reads the index's manifest
(each document's content hash) and chunk table (its text) and compares them with ``faq_source_texts``, the texts the
entries were published against. :func:`check` runs after ``accueil ingest``, when the service starts and when a
supervisor publishes an entry. A published entry whose cited document changed its text, or left the index, is
unpublished at once, its ``review`` lists those documents (badge on the supervisor's FAQ page), a ``source_modifiee``
step is added to its history and a trail event is written. :func:`diffs` gives the supervisor what changed, old text
against new; republishing the entry takes the current texts as its new baseline.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.chunk import Chunk
from server.core.answer.index import MANIFEST, Manifest, current_generation, read_chunks
from server.core.config import Settings
from server.core.desk import faq
from server.core.desk.db import Database, _sqlite_file
from server.core.desk.states import TrailAction
from server.core.desk.tables import AuditEvent, FaqEntry, FaqSourceText

log = logging.getLogger(__name__)

WATCH_ACTOR = "réindexation"
# Lines of context around each change in the diff shown to the supervisor.
DIFF_CONTEXT = 2


@dataclass
class SourceDiff:
    """What changed in one source of a withdrawn entry: its lines, each marked ``+``, ``-``, `` `` or ``@``."""

    doc_id: str
    title: str
    removed: bool
    lines: list[tuple[str, str]] = field(default_factory=list)
    known_before: bool = True  # False when the text it was published against was not kept (published before 0012)


def doc_texts(chunks: list[Chunk], wanted: set[str]) -> dict[str, str]:
    """The text of each wanted document, rebuilt from its chunks in order (a section's heading path as a line)."""
    parts: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        if chunk.doc_id in wanted:
            parts[chunk.doc_id].append(chunk)
    out = {}
    for doc_id, found in parts.items():
        lines: list[str] = []
        heading = ""
        for chunk in sorted(found, key=lambda c: c.position):
            if chunk.heading_path and chunk.heading_path != heading:
                lines.append(f"[{chunk.heading_path}]")
            heading = chunk.heading_path
            lines.append(chunk.text)
        out[doc_id] = "\n".join(lines)
    return out


class _Generation:
    """The index in service, its chunk table read only when a text is needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest = Manifest.read(path / MANIFEST)
        self._chunks: list[Chunk] | None = None

    def texts(self, wanted: set[str]) -> dict[str, str]:
        if self._chunks is None:
            self._chunks = read_chunks(self.path)
        return doc_texts(self._chunks, wanted)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check(session: Session, index_dir: Path, actor: str = WATCH_ACTOR) -> list[FaqEntry]:
    """Compare every published entry's sources with the index in service; returns the entries withdrawn.

    A source seen for the first time since publication gives its current text as the baseline. A new content hash
    with the same text (a date or title changed) only moves the baseline on.
    """
    path = current_generation(index_dir)
    if path is None:
        return []
    gen = _Generation(path)
    published = list(session.scalars(select(FaqEntry).where(FaqEntry.published.is_(True)).order_by(FaqEntry.id)))
    withdrawn = []
    for entry in published:
        kept = {s.doc_id: s for s in session.scalars(select(FaqSourceText).where(FaqSourceText.faq_id == entry.id))}
        cited = [str(s["doc_id"]) for s in entry.sources]
        docs = gen.manifest.docs
        # The texts needed: new baselines, and documents whose hash moved (compared by text, not by hash alone).
        needed = {d for d in cited if d in docs and (d not in kept or kept[d].hash != docs[d]["hash"])}
        texts = gen.texts(needed) if needed else {}
        review: list[dict[str, Any]] = []
        for source in entry.sources:
            doc_id = str(source["doc_id"])
            doc = docs.get(doc_id)
            before = kept.get(doc_id)
            if doc is None:
                review.append({"doc_id": doc_id, "title": source.get("title", ""), "removed": True, "at": _now()})
            elif before is None:
                text = texts.get(doc_id, "")
                session.add(FaqSourceText(faq_id=entry.id, doc_id=doc_id, hash=doc["hash"], text=text))
            elif before.hash != doc["hash"] and before.text == texts.get(doc_id):
                before.hash = doc["hash"]
            elif before.hash != doc["hash"]:
                title = str(doc.get("title", "")) or source.get("title", "")
                review.append({"doc_id": doc_id, "title": title, "removed": False, "at": _now()})
        if review:
            faq.withdraw(session, entry, review, actor)
            data = {"faq_id": entry.id, "question": entry.question, "sources": [r["doc_id"] for r in review]}
            data["removed"] = [r["doc_id"] for r in review if r["removed"]]
            session.add(AuditEvent(actor=actor, action=TrailAction.FAQ_SOURCE_CHANGED, data=data))
            withdrawn.append(entry)
            log.warning("Entrée de FAQ %s retirée : sources %s modifiées ou supprimées", entry.id, data["sources"])
    session.flush()
    return withdrawn


def diffs(session: Session, entry: FaqEntry, index_dir: Path) -> list[SourceDiff]:
    """For each source of ``entry.review``: the text the entry was published against, line by line against the
    document's text in the index now (all of it marked removed when the document left the index)."""
    if not entry.review:
        return []
    kept = {s.doc_id: s for s in session.scalars(select(FaqSourceText).where(FaqSourceText.faq_id == entry.id))}
    path = current_generation(index_dir)
    gen = _Generation(path) if path is not None else None
    wanted = {str(r["doc_id"]) for r in entry.review}
    now = gen.texts({d for d in wanted if d in gen.manifest.docs}) if gen is not None else {}
    out = []
    for item in entry.review:
        doc_id = str(item["doc_id"])
        before = kept.get(doc_id)
        old = before.text.splitlines() if before else []
        new = now[doc_id].splitlines() if doc_id in now else []
        lines = [
            (line[0], line[1:]) if not line.startswith("@@") else ("@", "…")
            for line in difflib.unified_diff(old, new, lineterm="", n=DIFF_CONTEXT)
            if not line.startswith(("---", "+++"))
        ]
        out.append(SourceDiff(doc_id, str(item.get("title", "")), doc_id not in now, lines, before is not None))
    return out


def after_ingest(settings: Settings) -> list[str]:
    """Run :func:`check` on the database of ``settings`` after an ingest; the questions of the entries withdrawn.

    An index without a database yet (a SQLite file not created) has no FAQ: nothing is created for it.
    """
    path = _sqlite_file(settings.db_url)
    if path is not None and not path.exists():
        return []
    database = Database(settings)
    try:
        with database.session() as session:
            return [entry.question for entry in check(session, settings.index_dir)]
    finally:
        database.close()
