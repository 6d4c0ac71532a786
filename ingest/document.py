"""What a loader returns: a document with its metadata and its text grouped in sections under heading paths."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from server.core.answer.docmeta import DocMeta


@dataclass
class Section:
    """A run of text blocks (paragraphs, list items, table rows) under one heading path."""

    path: tuple[str, ...]
    blocks: list[str] = field(default_factory=list)


@dataclass
class SourceDoc:
    """One document as read from a file, before chunking: its metadata, the file it came from, its text."""

    meta: DocMeta
    source: str
    sections: list[Section]
    tags: list[str] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        """The document's id."""
        return self.meta.doc_id

    def content_hash(self) -> str:
        """Hash of everything that ends up in the index: metadata and text (the same since metadata got a type)."""
        payload = {**self.meta.record(), "sections": [asdict(s) for s in self.sections], "tags": self.tags}
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class SectionBuilder:
    """Collects blocks under the current heading path, opening a new section when the path changes."""

    def __init__(self) -> None:
        self.sections: list[Section] = []

    def add(self, path: tuple[str, ...], block: str) -> None:
        """Append a non-empty block under ``path``."""
        block = block.strip()
        if not block:
            return
        if self.sections and self.sections[-1].path == path:
            self.sections[-1].blocks.append(block)
        else:
            self.sections.append(Section(path, [block]))
