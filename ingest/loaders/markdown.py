"""Markdown with YAML front matter: headings make the path, paragraphs, list items and table rows the blocks."""

from __future__ import annotations

import re
from datetime import date

import yaml

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, iso_date, prettify_stem
from server.core.answer.docmeta import Audience, DocMeta
from server.core.errors import LoaderError

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_INLINE_MD = re.compile(r"(\*\*|__|`)")
# *Emphasis* or _emphasis_ around a few words (not « fichier_1 », « 2*3 »); bounded, so a line of stray marks is
# scanned in linear time.
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[^\s*_])([^*_\n]{0,300}?[^\s*_])\1(?![\w*])")
# Brackets and parentheses excluded inside: otherwise a long run of "[" or "[a](" is scanned quadratically.
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()]+)\)")
AUDIENCES = tuple(Audience)
_SCALARS = (str, int, float, date)


def split_front_matter(name: str, text: str) -> tuple[dict[str, object], str]:
    """Return (front matter, body); a document without front matter gets an empty dict."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        raise LoaderError(name, "en-tête YAML non fermé (ligne '---' manquante)")
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except RecursionError as exc:
        raise LoaderError(name, "en-tête YAML invalide : imbrication trop profonde") from exc
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date that does not exist, an over-long integer
        raise LoaderError(name, f"en-tête YAML invalide : {(str(exc).splitlines() or ['?'])[0]}") from exc
    if not isinstance(meta, dict):
        raise LoaderError(name, "en-tête YAML invalide : un dictionnaire est attendu")
    return meta, text[end + 4 :].lstrip("\n")


def _scalar(name: str, meta: dict[str, object], key: str) -> object:
    """A front-matter value that must be single (text, number or date), or None when absent."""
    value = meta.get(key)
    if value is not None and not isinstance(value, _SCALARS):
        # A list or mapping is refused before str() is called: YAML aliases can make its text exponential.
        raise LoaderError(name, f"en-tête YAML : « {key} » doit être une valeur simple (texte, nombre ou date)")
    return value


def _heading(line: str) -> tuple[int, str] | None:
    """Level and text of an ATX heading line (closing hashes dropped), or None for another line."""
    match = _HEADING.match(line)
    if not match:
        return None
    # Closing hashes stripped here, not in the regex: "(.*?)\s*#*\s*$" backtracks cubically on runs of spaces.
    return len(match.group(1)), match.group(2).rstrip().rstrip("#").rstrip()


def inline(text: str) -> str:
    """Plain text of a Markdown line: emphasis marks dropped, links kept as their label."""
    text = _LINK.sub(r"\1", text)
    return clean_inline(_EMPHASIS.sub(r"\2", _INLINE_MD.sub("", text)))


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
        found = _heading(line)
        if found:
            flush()
            level, text = found[0], inline(found[1])
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
    keys = ("id", "title", "updated", "review_by", "audience", "theme", "source_url")
    fields = {key: _scalar(name, meta, key) for key in keys}
    first_heading = next((h[1] for h in map(_heading, body.splitlines()) if h), None)
    title = str(fields["title"] or first_heading or prettify_stem(doc_id.rsplit("/", 1)[-1]))
    audience = str(meta.get("audience", "internal"))  # public only when the front matter says so
    if audience not in AUDIENCES:
        raise LoaderError(name, f"audience inconnue {audience!r} (public ou internal)")
    tags = meta.get("tags") or []
    if not isinstance(tags, list):
        tags = [_scalar(name, meta, "tags")]
    if not all(isinstance(t, _SCALARS) for t in tags):
        raise LoaderError(name, "en-tête YAML : « tags » doit être une liste de mots-clés")
    sections = parse_body(body, title).sections
    if not sections:
        raise LoaderError(name, "aucun texte après l'en-tête")
    doc_meta = DocMeta(
        doc_id=str(fields["id"] or doc_id),
        title=title,
        url=str(fields["source_url"] or ""),
        updated=iso_date(fields["updated"], name, "updated"),
        review_by=iso_date(fields["review_by"], name, "review_by"),
        audience=Audience(audience),
        theme=str(fields["theme"] or ""),
    )
    return SourceDoc(doc_meta, source=name, sections=sections, tags=[str(t) for t in tags])
