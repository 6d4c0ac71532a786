"""What the request page shows, built from the stored draft and the current index (no logic in templates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from server.core.chunk import HEADING_MARK
from server.core.index import Index


@dataclass
class SourcePanel:
    """One source of a draft: its metadata and its chunk with the cited passages marked."""

    n: int | None
    doc_id: str
    title: str
    url: str
    updated: str
    stale: bool
    heading_path: str
    segments: list[tuple[str, bool]] = field(default_factory=list)
    missing: bool = False


def mark(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_quoted) so that the template can wrap quotes in <mark> with escaping on."""
    spans: list[tuple[int, int]] = []
    for q in quotes:
        start = text.find(q)
        if start >= 0:
            spans.append((start, start + len(q)))
    spans.sort()
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def source_panels(result: dict[str, Any], index: Index | None) -> list[SourcePanel]:
    """Cited sources first (with their quotes marked), then the other retrieved sources."""
    quotes: dict[str, list[str]] = {}
    numbers: dict[str, int] = {}
    for c in result.get("citations") or []:
        quotes.setdefault(c["chunk_id"], []).append(c["quote"])
        numbers.setdefault(c["doc_id"], c["n"])
    panels: list[SourcePanel] = []
    cited_chunks = list(quotes)
    listed = {s["chunk_id"]: s for s in result.get("sources") or []}
    order = cited_chunks + [cid for cid in listed if cid not in quotes]
    seen_docs: set[str] = set()
    for chunk_id in order:
        chunk = index.chunks[index.positions[chunk_id]] if index and chunk_id in index.positions else None
        meta = listed.get(chunk_id) or {}
        doc_id = chunk.doc_id if chunk else str(meta.get("doc_id", ""))
        if chunk_id not in quotes and doc_id in seen_docs:
            continue
        seen_docs.add(doc_id)
        panel = SourcePanel(
            n=numbers.get(doc_id),
            doc_id=doc_id,
            title=chunk.title if chunk else str(meta.get("title", doc_id)),
            url=chunk.url if chunk else str(meta.get("url", "")),
            updated=chunk.updated if chunk else str(meta.get("updated", "")),
            stale=bool(meta.get("stale")) or (chunk.is_stale(dt.date.today().isoformat()) if chunk else False),
            heading_path=chunk.heading_path if chunk else str(meta.get("heading_path", "")),
            missing=chunk is None,
        )
        if chunk is not None:
            shown = "\n".join(
                f"▸ {line[len(HEADING_MARK) :]}" if line.startswith(HEADING_MARK) else line
                for line in chunk.text.split("\n")
            )
            panel.segments = mark(shown, quotes.get(chunk_id, []))
        panels.append(panel)
    return panels
