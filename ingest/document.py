"""What a loader returns: a document with its metadata and its text grouped in sections under heading paths."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass
class Section:
    """A run of text blocks (paragraphs, list items, table rows) under one heading path."""

    path: tuple[str, ...]
    blocks: list[str] = field(default_factory=list)


@dataclass
class SourceDoc:
    """One document as read from a file, before chunking."""

    doc_id: str
    title: str
    source: str
    sections: list[Section]
    url: str = ""
    updated: str = ""
    review_by: str = ""
    # Shown to citizens only when its front matter (or its format: the service-public fiches) says "public": a file
    # nobody reviewed for them (a note, a PDF dropped in the folder, one reached by a link) stays for the agents.
    audience: str = "internal"
    theme: str = ""
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The link is shown to agents and citizens: only a web address may become one (never javascript:, data:…).
        if not self.url.strip().lower().startswith(("https://", "http://")):
            self.url = ""

    def content_hash(self) -> str:
        """Hash of everything that ends up in the index: metadata and text."""
        payload = asdict(self)
        payload.pop("source")
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
