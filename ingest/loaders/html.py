"""HTML: a page's own text, without its site's chrome, sectioned by headings.

A commune's page is read as ``server.core.html_page`` tells its content from the template around it (menus,
banners, breadcrumb, cookie banner, footer): from its ``<main>`` (or the element an older CMS names ``contenu``…),
else its ``<body>``. Lists whose items are only links (a menu, « Voir aussi », share tools) and blocks made mostly of
links are left out too, and so are the words written for screen readers only (« Aller au contenu »). A page in
windows-1252 or ISO-8859-1, as older sites serve them, is read by its declared charset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, Tag

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, iso_date, prettify_stem
from server.core.answer.docmeta import DocMeta
from server.core.answer.facts import MONTHS
from server.core.errors import LoaderError
from server.core.html_page import HEADINGS, SCREEN_READER_ONLY, classes, content_root, declared_charset, prune
from server.core.text import fold

# A block is navigation when this share of its text is links, and it holds this many links at least.
_LINK_SHARE = 0.8
_LINKS_MIN = 3
# Elements whose text stands apart from what is around it (the text of any other, a <span> or an <a>, runs on).
_BREAKS = frozenset(
    {"p", "div", "section", "article", "main", "blockquote", "pre", "dd", "dt", "dl", "address", "figure"}
    | {"figcaption", "details", "summary", "fieldset", "center", "header", "aside", "td", "th", "body", "hr"}
)
_END_PUNCTUATION = (".", ":", ";", ",", "!", "?")
_END = NavigableString("")  # an exhausted iterator's marker
# A page's own date line (« Mis à jour le 12/03/2026 », « Publié le 3 février 2025 »): the page's date when its
# head gives none, never a block of its text.
_DAY = r"(?:1er|\d{1,2})(?:[/.-]\d{1,2}[/.-]\d{4}|\s+[a-zéû]+\s+\d{4})|\d{4}-\d{2}-\d{2}"
_DATE_LINE = re.compile(
    rf"^(?:page |article )?(?:(?:dernière )?mise? à jour|modifiée?|publiée?|mise? en ligne)(?: le)?\s*:?\s*({_DAY})"
    rf"(?:\s*(?:[-–,|]|et)?\s*(?:dernière )?(?:mise? à jour|modifiée?)(?: le)?\s*:?\s*({_DAY}))?\.?$",
    re.IGNORECASE,
)


def _row_text(row: Tag, header: list[str]) -> str:
    cells = [clean_inline(c.get_text(" ")) for c in row.find_all(("td", "th"), recursive=False)]
    if header and len(header) == len(cells) and row.find("td"):
        return " ; ".join(f"{h} : {c}" for h, c in zip(header, cells, strict=True) if c) + "."
    return " ; ".join(c for c in cells if c)


class _Reader:
    """Walks a page's content in order: headings make the path; paragraphs, list items and table rows the blocks.

    Text outside any paragraph (straight in a ``<div>``, as older editors write it) is a block of its own, cut at
    each element that stands apart; the lines of a ``<br>``-broken paragraph are joined by « ; » where they end
    without punctuation (« Lundi : 9 h – 12 h ; Mardi : 14 h – 17 h »).
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.builder = SectionBuilder()
        self.path: list[str] = []
        self.lines: list[str] = [""]
        self.updated = ""

    def read(self, node: Tag) -> None:
        """Read what ``node`` holds, in page order (without recursion: a page may nest thousands of ``<div>``)."""
        stack: list[Iterator[PageElement | None]] = [iter(node.children)]
        while stack:
            child = next(stack[-1], _END)
            if child is _END:
                stack.pop()
            elif child is None:
                self.flush()  # the end of an element that stands apart
            elif type(child) is NavigableString:  # not a comment, doctype or CDATA
                self.lines[-1] += str(child)
            elif isinstance(child, Tag) and not self._whole(child):
                if child.name in _BREAKS:
                    self.flush()
                    stack.append(iter([None]))
                stack.append(iter(child.children))

    def _whole(self, el: Tag) -> bool:
        """Read an element that is read at once (a line break, a heading, a list, a table); False for another."""
        if el.name == "br":
            self.lines.append("")
        elif el.name in HEADINGS:
            self.flush()
            level, heading = int(el.name[1]), clean_inline(el.get_text(" "))
            if heading and not (level == 1 and heading == self.title):
                del self.path[max(level - 2, 0) :]
                self.path.append(heading)
        elif el.name in ("ul", "ol", "li"):
            self.flush()
            items = [el] if el.name == "li" else el.find_all("li", recursive=False)
            for item in items:
                self._add(f"- {clean_inline(item.get_text(' '))}")
        elif el.name == "table":
            self.flush()
            self._table(el)
        else:
            return False
        return True

    def _table(self, table: Tag) -> None:
        header: list[str] = []
        for row in table.find_all("tr"):
            if row.find_parent("table") is not table:
                continue  # a nested table's row: read with its cell
            if row.find("th") and not row.find("td"):
                header = [clean_inline(c.get_text(" ")) for c in row.find_all("th")]
                continue
            self._add(_row_text(row, header))

    def _add(self, block: str) -> None:
        line = _DATE_LINE.match(block)
        if line is None:
            self.builder.add(tuple(self.path), block)
        elif not self.updated:
            self.updated = _iso(line.group(2) or line.group(1))

    def flush(self) -> None:
        """The text read since the last block, as one block."""
        parts = [clean_inline(line) for line in self.lines]
        self.lines = [""]
        text = ""
        for part in (p for p in parts if p):
            text = f"{text}{' ' if not text or text.endswith(_END_PUNCTUATION) else ' ; '}{part}".strip()
        self._add(text)


def _iso(day: str) -> str:
    """« 12/03/2026 », « 1er mars 2026 » or « 2026-03-12 » as 2026-03-12; "" when it is no date."""
    parts = re.split(r"[/.\s-]+", fold(day).replace("1er", "1"))
    try:
        if len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
        month = int(parts[1]) if parts[1].isdigit() else MONTHS.get(parts[1], 0)
        return date(int(parts[2]), month, int(parts[0])).isoformat()
    except (ValueError, IndexError):
        return ""


def _text_length(tag: Tag) -> int:
    return len(re.sub(r"\s+", "", tag.get_text()))


def _link_list(tag: Tag) -> bool:
    """A list whose every item is a link and nothing else (a menu, « Voir aussi »), or a block mostly of links."""
    if tag.name in ("ul", "ol"):
        items = tag.find_all("li", recursive=False)
        return len(items) >= 2 and all(
            _text_length(li) > 0 and sum(_text_length(a) for a in li.find_all("a")) >= _text_length(li) for li in items
        )
    links = tag.find_all("a")
    total = _text_length(tag)
    return len(links) >= _LINKS_MIN and total > 0 and sum(_text_length(a) for a in links) >= _LINK_SHARE * total


def _strip_navigation(root: Tag) -> None:
    """Drop the link lists and link blocks of ``root``, and the words written for screen readers only."""
    for tag in root.find_all(True):
        if tag.decomposed:
            continue
        if SCREEN_READER_ONLY.search(" ".join(classes(tag))):
            tag.decompose()
        elif tag.name in ("ul", "ol", "div", "section", "p") and _link_list(tag):
            tag.decompose()


def decode_html(name: str, data: bytes) -> str:
    """A saved page's text: UTF-8, or the charset it declares (older sites serve windows-1252 or ISO-8859-1);
    a binary file, or one in another encoding that says nothing of it, is refused."""
    if b"\x00" in data:
        raise LoaderError(name, "fichier binaire (octets nuls), pas une page HTML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        codec = declared_charset(data)
        if codec is None:
            raise LoaderError(
                name,
                f"encodage non UTF-8 et non déclaré (octet invalide en position {exc.start}) : convertissez la page "
                "en UTF-8 ou déclarez son encodage (<meta charset=…>)",
            ) from exc
        return data.decode(codec, errors="replace")


def load_html(name: str, text: str, doc_id: str) -> SourceDoc:
    """Read an HTML page."""
    soup = BeautifulSoup(text, "lxml")
    prune(soup)
    root = content_root(soup) or soup.body or soup
    _strip_navigation(root)
    title_tag = root.find("h1") or soup.find("title")
    title = clean_inline(title_tag.get_text(" ")) if title_tag is not None else prettify_stem(doc_id)
    reader = _Reader(title)
    reader.read(root)
    reader.flush()
    builder = reader.builder
    if not builder.sections:
        raise LoaderError(name, "aucun texte trouvé dans la page HTML")
    modified = soup.find("meta", attrs={"name": ("dcterms.modified", "last-modified", "date")})
    updated = iso_date(modified.get("content"), name, "updated") if isinstance(modified, Tag) else ""
    updated = updated or reader.updated
    canonical = soup.find("link", rel="canonical")
    url = str(canonical.get("href", "")) if isinstance(canonical, Tag) else ""
    return SourceDoc(DocMeta(doc_id, title, url=url, updated=updated), source=name, sections=builder.sections)
