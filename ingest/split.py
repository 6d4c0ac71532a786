"""Structure-aware chunking: one chunk per heading section, split by blocks then sentences when too long.

Small sibling sections are merged under their common heading, with the sub-heading kept as a line,
so that short "Coût : Gratuit" sections do not become chunks too thin to find.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.document import Section, SourceDoc
from server.core.answer.chunk import PATH_SEPARATOR, Chunk, content_hash, heading_line
from server.core.text import sentences


@dataclass(frozen=True)
class SplitParams:
    """Chunk size bounds, in characters, and the splitter's version (a change re-chunks everything)."""

    max_chars: int = 1400
    min_chars: int = 300
    version: int = 4


def _pieces(block: str, max_chars: int) -> list[str]:
    """A block, or its sentences grouped under ``max_chars`` when the block is too long."""
    if len(block) <= max_chars:
        return [block]
    out: list[str] = []
    buf = ""
    for sent in sentences(block):
        if buf and len(buf) + 1 + len(sent) > max_chars:
            out.append(buf)
            buf = sent
        else:
            buf = f"{buf} {sent}" if buf else sent
    if buf:
        out.append(buf)
    return out


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _merge_small(sections: list[Section], min_chars: int, max_chars: int) -> list[Section]:
    """Merge a small section into the previous one when they share a parent heading and fit together."""
    merged: list[Section] = []
    for sec in sections:
        size = sum(len(b) for b in sec.blocks)
        if merged:
            prev = merged[-1]
            prev_size = sum(len(b) for b in prev.blocks)
            prefix = _common_prefix(prev.path, sec.path)
            related = len(prefix) >= min(len(prev.path), len(sec.path)) - 1
            if related and (size < min_chars or prev_size < min_chars) and prev_size + size <= max_chars:
                prev_lines = [heading_line(prev.path[len(prefix) :])] if prev.path != prefix else []
                sec_lines = [heading_line(sec.path[len(prefix) :])] if sec.path != prefix else []
                merged[-1] = Section(prefix, prev_lines + prev.blocks + sec_lines + sec.blocks)
                continue
        merged.append(Section(sec.path, list(sec.blocks)))
    return merged


def split_document(doc: SourceDoc, params: SplitParams) -> list[Chunk]:
    """Cut a document into chunks carrying its metadata and their heading path."""
    chunks: list[Chunk] = []
    for sec in _merge_small(doc.sections, params.min_chars, params.max_chars):
        buf: list[str] = []
        size = 0
        groups: list[list[str]] = []
        for block in sec.blocks:
            for piece in _pieces(block, params.max_chars):
                if buf and size + len(piece) + 1 > params.max_chars:
                    groups.append(buf)
                    buf, size = [], 0
                buf.append(piece)
                size += len(piece) + 1
        if buf:
            groups.append(buf)
        for lines in groups:
            text = "\n".join(lines)
            h = content_hash(text)
            position = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=Chunk.make_id(doc.doc_id, position, h),
                    doc=doc.meta,
                    heading_path=PATH_SEPARATOR.join(sec.path),
                    position=position,
                    text=text,
                    content_hash=h,
                )
            )
    return chunks
