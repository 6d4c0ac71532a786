"""An answer of a FAQ page as plain text: the one HTML-to-text rendering of ``faq_html``'s questions and answers.

Paragraphs are separated by a blank line, a ``<br>`` breaks a line, list items become « - item » lines (the lines
after an item's first indented by two spaces), table rows « cell ; cell » lines under their caption; a question or
heading is its text on one line, without the words kept for screen readers only. Comments, scripts and styles are
never text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bs4.element import NavigableString, PageElement, Tag

from server.core.html_page import HEADINGS, SCREEN_READER_ONLY, classes
from server.core.text import squash

log = logging.getLogger(__name__)

_BLOCK = frozenset(
    {
        *HEADINGS,
        *("address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt", "fieldset"),
        *("figcaption", "figure", "footer", "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary"),
        *("table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)


def answer_text(nodes: Iterable[PageElement]) -> str:
    """A run of nodes (an answer) as plain text: its paragraphs, lists and tables separated by blank lines."""
    return "\n\n".join(_blocks(nodes))


def _is_text(node: PageElement) -> bool:
    return type(node) is NavigableString  # not a comment, doctype, CDATA, script or style text


def label_text(tag: Tag) -> str:
    """An element's text on one line (a question, a heading), without the words kept for screen readers only."""
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag):
            if node.name == "br" or node.name in _BLOCK:
                parts.append(" ")
        elif _is_text(node) and not _screen_reader_only(node, tag):
            parts.append(str(node))
    return squash("".join(parts))


def _screen_reader_only(node: PageElement, within: Tag) -> bool:
    for parent in node.parents:
        if parent is within:
            return False
        if SCREEN_READER_ONLY.search(" ".join(classes(parent))):
            return True
    return False


def _inline(tag: Tag) -> str:
    return "".join("\n" if isinstance(n, Tag) else str(n) for n in tag.descendants if _is_text(n) or _is_br(n))


def _is_br(node: PageElement) -> bool:
    return isinstance(node, Tag) and node.name == "br"


def _flush(run: list[str], out: list[str]) -> None:
    lines = (squash(line) for line in "".join(run).split("\n"))
    paragraph = "\n".join(line for line in lines if line)
    run.clear()
    if paragraph:
        out.append(paragraph)


def _blocks(nodes: Iterable[PageElement]) -> list[str]:
    """The paragraphs, lists and tables of a run of nodes, each as plain text."""
    out: list[str] = []
    run: list[str] = []
    for node in nodes:
        if isinstance(node, Tag):
            if node.name == "br":
                run.append("\n")
            elif node.name in _BLOCK or node.find(_BLOCK) is not None:
                _flush(run, out)
                out.extend(_block(node))
            else:
                run.append(_inline(node))
        elif _is_text(node):
            run.append(str(node))
    _flush(run, out)
    return out


def _block(tag: Tag) -> list[str]:
    if tag.name in ("ul", "ol"):
        text = _list(tag)
    elif tag.name == "table":
        text = _table(tag)
    elif tag.name == "hr":
        text = ""
    else:
        return _blocks(tag.children)
    return [text] if text else []


def _list(tag: Tag) -> str:
    items = tag.find_all("li", recursive=False)
    if not items:
        return "\n".join(_blocks(tag.children))
    lines: list[str] = []
    for item in items:
        body = "\n".join(_blocks(item.children)).split("\n")
        if body[0]:
            lines.append(f"- {body[0]}")
            lines += [f"  {line}" for line in body[1:]]
    return "\n".join(lines)


def _table(tag: Tag) -> str:
    rows = []
    caption = tag.find("caption")
    if isinstance(caption, Tag) and label_text(caption):
        rows.append(label_text(caption))
    for row in tag.find_all("tr"):
        if row.find_parent("table") is not tag:
            continue  # a nested table's row: read with its cell
        cells = (squash(" ".join(_blocks(cell.children))) for cell in row.find_all(("td", "th"), recursive=False))
        text = " ; ".join(c for c in cells if c)
        if text:
            rows.append(text)
    return "\n".join(rows)
