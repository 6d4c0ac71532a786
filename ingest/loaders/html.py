"""HTML: the main text (``<main>``, ``<article>`` or ``<body>``, without navigation), sectioned by headings."""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import Tag

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, iso_date, prettify_stem
from server.core.answer.docmeta import DocMeta
from server.core.errors import LoaderError

_DROP = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = ("p", "li", "tr", "dd", "dt", "blockquote", "pre", *_HEADINGS)


def _row_text(row: Tag, header: list[str]) -> str:
    cells = [clean_inline(c.get_text(" ")) for c in row.find_all(("td", "th"))]
    if header and len(header) == len(cells) and row.find("td"):
        return " ; ".join(f"{h} : {c}" for h, c in zip(header, cells, strict=True) if c) + "."
    return " ; ".join(c for c in cells if c)


def load_html(name: str, text: str, doc_id: str) -> SourceDoc:
    """Read an HTML page."""
    soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    title_tag = root.find("h1") or soup.find("title")
    title = clean_inline(title_tag.get_text(" ")) if title_tag is not None else prettify_stem(doc_id)
    builder = SectionBuilder()
    path: list[str] = []
    header: list[str] = []
    for el in root.find_all(_BLOCKS):
        if el.find_parent(_BLOCKS) is not None and el.name != "tr":
            continue  # nested block: its text is taken with its parent
        if el.name in _HEADINGS:
            level, heading = int(el.name[1]), clean_inline(el.get_text(" "))
            if level == 1 and heading == title:
                continue
            del path[max(level - 2, 0) :]
            path.append(heading)
            continue
        if el.name == "tr":
            if el.find("th") and not el.find("td"):
                header = [clean_inline(c.get_text(" ")) for c in el.find_all("th")]
                continue
            builder.add(tuple(path), _row_text(el, header))
            continue
        block = clean_inline(el.get_text(" "))
        builder.add(tuple(path), f"- {block}" if el.name == "li" else block)
    if not builder.sections:
        raise LoaderError(name, "aucun texte trouvé dans la page HTML")
    modified = soup.find("meta", attrs={"name": ("dcterms.modified", "last-modified", "date")})
    updated = iso_date(modified.get("content"), name, "updated") if isinstance(modified, Tag) else ""
    canonical = soup.find("link", rel="canonical")
    url = str(canonical.get("href", "")) if isinstance(canonical, Tag) else ""
    return SourceDoc(DocMeta(doc_id, title, url=url, updated=updated), source=name, sections=builder.sections)
