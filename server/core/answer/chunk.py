"""The schema of an indexed chunk: one owner for its fields, its id, its hash and its Chroma metadata.

A chunk carries its document's metadata (``DocMeta``, the owner of those keys); its record is flat, as before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from server.core.answer.docmeta import Audience, DocMeta
from server.core.text import tokens

PATH_SEPARATOR = " > "
HEADING_MARK = "## "


def heading_line(path: tuple[str, ...]) -> str:
    """A sub-heading kept inside a merged chunk's text; never quoted, read as context."""
    return HEADING_MARK + PATH_SEPARATOR.join(path)


def content_hash(text: str) -> str:
    """SHA-256 of a chunk's text: recorded with every citation so that a later change is detected."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """A passage of a document, stored in the vector and lexical indexes with its metadata."""

    chunk_id: str
    doc: DocMeta
    heading_path: str
    position: int
    text: str
    content_hash: str

    @property
    def doc_id(self) -> str:
        """Its document's id."""
        return self.doc.doc_id

    @property
    def title(self) -> str:
        """Its document's title."""
        return self.doc.title

    @property
    def url(self) -> str:
        """Its document's web address ("" when none)."""
        return self.doc.url

    @property
    def updated(self) -> str:
        """Its document's last update (YYYY-MM-DD, "" when unknown)."""
        return self.doc.updated

    @property
    def review_by(self) -> str:
        """Its document's review date (YYYY-MM-DD, "" when none)."""
        return self.doc.review_by

    @property
    def audience(self) -> Audience:
        """Who may read its document."""
        return self.doc.audience

    @property
    def theme(self) -> str:
        """Its document's theme ("" when none)."""
        return self.doc.theme

    @staticmethod
    def make_id(doc_id: str, position: int, text_hash: str) -> str:
        """Deterministic id: the same text at the same place of the same document keeps its id."""
        return f"{doc_id}#{position}:{text_hash[:12]}"

    @property
    def breadcrumb(self) -> str:
        """Title and heading path, e.g. "Carte d'identité > Demande en France > Coût"."""
        return PATH_SEPARATOR.join(p for p in (self.title, self.heading_path) if p)

    @property
    def last_heading(self) -> str:
        """The innermost heading of the chunk's path ("Coût"), or ""."""
        return self.heading_path.rsplit(PATH_SEPARATOR, 1)[-1]

    def embedding_text(self) -> str:
        """What the embedding model and the lexical index see: breadcrumb then text."""
        return f"{self.breadcrumb}\n{self.text}"

    def lexical_terms(self) -> list[str]:
        """What the BM25 index sees: the breadcrumb counts twice (a section's title names its topic)."""
        crumb = tokens(self.breadcrumb)
        return crumb + crumb + tokens(self.text)

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata (no None values, as Chroma requires): the document's, heading path, position, hash."""
        return {
            **self.doc.record(),
            "heading_path": self.heading_path,
            "position": self.position,
            "content_hash": self.content_hash,
        }

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form for the generation's chunk table: flat, the document's keys beside the chunk's."""
        return {"chunk_id": self.chunk_id, **self.metadata(), "text": self.text}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Chunk:
        """Inverse of ``to_record``."""
        return cls(
            chunk_id=record["chunk_id"],
            doc=DocMeta.from_record(record),
            heading_path=record["heading_path"],
            position=record["position"],
            text=record["text"],
            content_hash=record["content_hash"],
        )

    def is_stale(self, today: str) -> bool:
        """True when the document's ``review_by`` date (YYYY-MM-DD) is past."""
        return self.doc.is_stale(today)
