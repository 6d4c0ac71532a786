"""Markdown with YAML front matter: headings make the path, paragraphs, list items and table rows the blocks."""

from __future__ import annotations

import re

import yaml

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, iso_date, prettify_stem
from server.core.errors import LoaderError

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_INLINE_MD = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
AUDIENCES = ("public", "internal")


def split_front_matter(name: str, text: str) -> tuple[dict[str, object], str]:
    """Return (front matter, body); a document without front matter gets an empty dict."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise LoaderError(name, "en-tête YAML non fermé (ligne '---' manquante)")
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise LoaderError(name, f"en-tête YAML invalide : {str(exc).splitlines()[0]}") from exc
    if not isinstance(meta, dict):
        raise LoaderError(name, "en-tête YAML invalide : un dictionnaire est attendu")
    return meta, text[end + 4 :].lstrip("\n")


def inline(text: str) -> str:
    """Plain text of a Markdown line: emphasis marks dropped, links kept as their label."""
    text = _LINK.sub(r"\1", text)
    return clean_inline(_INLINE_MD.sub("", text))


def _table_rows(lines: list[str]) -> list[str]:
    """Linearise a Markdown table: each row becomes 'header: cell ; header: cell'."""
    cells = [[inline(c) for c in line.strip().strip("|").split("|")] for line in lines if not _TABLE_RULE.match(line)]
    if not cells:
        return []
    header, rows = cells[0], cells[1:]
    if not rows:
        return [" ; ".join(header)]
    out = []
    for row in rows:
        pairs = [f"{h} : {c}" if h else c for h, c in zip(header, row, strict=False) if c]
        out.append(" ; ".join(pairs) + ".")
    return out


def parse_body(body: str, title: str) -> SectionBuilder:
    """Walk the Markdown body into sections."""
    builder = SectionBuilder()
    path: list[str] = []
    para: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if para:
            builder.add(tuple(path), inline(" ".join(para)))
            para.clear()
        if table:
            for row in _table_rows(table):
                builder.add(tuple(path), row)
            table.clear()

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            level, text = len(heading.group(1)), inline(heading.group(2))
            if level == 1 and (not path) and text.lower() == title.lower():
                continue
            del path[max(level - 2, 0) :]
            path.append(text)
            continue
        if line.strip().startswith("|"):
            if para:
                flush()
            table.append(line)
            continue
        if table:
            flush()
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            para.append("- " + item.group(1))
            continue
        if not line.strip():
            flush()
            continue
        if para and para[0].startswith("- ") and not line.startswith((" ", "\t")):
            flush()
        para.append(line.strip())
    flush()
    return builder


def load_markdown(name: str, text: str, doc_id: str) -> SourceDoc:
    """Read a Markdown document; its front matter gives id, title, dates, audience, theme and tags."""
    meta, body = split_front_matter(name, text)
    first_heading = next((m.group(2) for m in map(_HEADING.match, body.splitlines()) if m), None)
    title = str(meta.get("title") or first_heading or prettify_stem(doc_id.rsplit("/", 1)[-1]))
    audience = str(meta.get("audience", "public"))
    if audience not in AUDIENCES:
        raise LoaderError(name, f"audience inconnue {audience!r} (public ou internal)")
    tags = meta.get("tags") or []
    if not isinstance(tags, list):
        tags = [str(tags)]
    sections = parse_body(body, title).sections
    if not sections:
        raise LoaderError(name, "aucun texte après l'en-tête")
    return SourceDoc(
        doc_id=str(meta.get("id") or doc_id),
        title=title,
        source=name,
        sections=sections,
        url=str(meta.get("source_url") or ""),
        updated=iso_date(meta.get("updated"), name, "updated"),
        review_by=iso_date(meta.get("review_by"), name, "review_by"),
        audience=audience,
        theme=str(meta.get("theme") or ""),
        tags=[str(t) for t in tags],
    )
