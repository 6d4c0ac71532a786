"""A commune's FAQ page saved as HTML, read as question/answer pairs (for ``accueil faq import page.html``).

Commune sites mark a FAQ up in one of five ways, tried in this order of trust; the first that gives pairs is the
page's FAQ (a page often holds the same FAQ twice, as schema.org data for search engines and as accordions):

1. schema.org ``FAQPage`` in JSON-LD (``mainEntity`` → ``Question`` → ``acceptedAnswer.text``, also in ``@graph``);
2. ``<details><summary>question</summary>answer</details>``;
3. ``<dl><dt>question</dt><dd>answer</dd></dl>`` (a list with at least one question ending in « ? »);
4. accordions: a button, heading or link whose ``aria-controls``, ``data-target`` or ``href="#X"`` names its panel;
5. headings h2–h6 ending in « ? », answered by what follows until the next heading of the same or a higher level.

A pattern whose questions all lack a « ? » (one stray ``<details>`` « En savoir plus ») yields to a later one that
has some. Navigation, header, footer, cookie banners, forms and scripts are left out, and ``<main>`` is searched
before the whole page. Answers keep their structure as plain text (:mod:`server.core.desk.faq_html_text`):
paragraphs separated by a blank line, list items as « - item » lines, table rows as « cell ; cell ». The theme is
the nearest enclosing section heading (or accordion, or ``<details>``, holding the pair) that is not itself a
question.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup
from bs4.element import PageElement, Tag

from server.core.desk.faq_html_text import answer_text, label_text
from server.core.errors import InputError
from server.core.html_page import HEADINGS, classes, content_root, decode, prune
from server.core.text import squash

log = logging.getLogger(__name__)

_SECTION_HEADINGS = HEADINGS[1:]
_ACCORDION_HINT = re.compile(r"accordion|accordeon|collaps|toggle", re.IGNORECASE)
_TAG_LIKE = re.compile(r"<[a-zA-Z/!]")


@dataclass(frozen=True)
class Pair:
    """A question of the page and its answer as plain text ("" when the page gives none)."""

    question: str
    answer: str
    theme: str | None = None


@dataclass(frozen=True)
class Page:
    """The pairs of a FAQ page in page order, its own link (canonical or og:url) and the markup they were read from."""

    pairs: list[Pair]
    url: str | None
    markup: str


@dataclass
class _Found:
    """A pair before its theme is known: where it is in the page, and the elements it is made of."""

    question: str
    answer: str
    anchor: Tag | None = None
    parts: list[Tag] = field(default_factory=list)
    level: int = 7  # only headings above this level may be its theme


@dataclass
class _Finding:
    pairs: list[_Found]
    containers: dict[int, str] = field(default_factory=dict)  # id(element) → label, for nested accordions/details


def read_page(data: bytes, name: str) -> Page:
    """The question/answer pairs of a saved FAQ page; InputError when it holds none."""
    soup = BeautifulSoup(decode(data), "lxml")
    url = _page_url(soup)
    chosen = None
    for candidate in _findings(soup):
        chosen = chosen or candidate
        if any(_is_question(p.question) for p in candidate[1].pairs):
            chosen = candidate
            break
    if chosen is None:
        raise InputError(
            f"Aucune question trouvée dans {name} : ni données schema.org FAQPage, ni blocs <details>, listes <dl>, "
            "accordéons ou titres en forme de question. Enregistrez la page de la FAQ elle-même (page web "
            "complète), ou écrivez la FAQ en JSONL ou en CSV."
        )
    markup, finding, root = chosen
    log.info("%s : %d questions lues (%s)", name, len(finding.pairs), markup)
    return Page([_pair(found, finding, root) for found in finding.pairs], url, markup)


def _findings(soup: BeautifulSoup) -> Iterator[tuple[str, _Finding, Tag | None]]:
    """Each pattern that finds pairs, in order of trust: JSON-LD, then in <main> and then in the whole page, the
    others (the page is pruned of its navigation, banners and scripts once the JSON-LD is read)."""
    jsonld = _jsonld(soup)
    if jsonld:
        yield "données schema.org FAQPage", _Finding(jsonld), None
    prune(soup)
    main = content_root(soup)
    for scope in [r for r in (main, soup.body or soup) if isinstance(r, Tag)]:
        for markup, finder in _FINDERS:
            finding = finder(scope)
            if finding.pairs:
                yield markup, finding, scope


def _pair(found: _Found, finding: _Finding, root: Tag | None) -> Pair:
    theme = None if found.anchor is None or root is None else _theme(found, finding, root)
    return Pair(found.question, found.answer, theme)


def _page_url(soup: BeautifulSoup) -> str | None:
    """The page's own link: ``<link rel="canonical">``, else ``og:url`` (absolute http(s) links only)."""
    for tag, attr in ((soup.find("link", rel="canonical"), "href"), (soup.find("meta", property="og:url"), "content")):
        value = tag.get(attr) if isinstance(tag, Tag) else None
        if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
            return value.strip()
    return None


def _is_question(text: str) -> bool:
    return text.rstrip(" »\"')").endswith("?")


# --- the five patterns ------------------------------------------------------------------------------------------


def _jsonld(soup: BeautifulSoup) -> list[_Found]:
    """The questions of every schema.org FAQPage in the page's JSON-LD scripts, in order."""
    found: list[_Found] = []
    for script in soup.find_all("script"):
        if str(script.get("type", "")).strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.get_text(), strict=False)  # CMSs leave raw line breaks in strings
        except ValueError:
            log.warning("Bloc JSON-LD illisible, ignoré")
            continue
        for faq_page in _faq_pages(data):
            for question in _as_list(faq_page.get("mainEntity")):
                if not isinstance(question, dict):
                    continue
                text = _jsonld_text(question.get("name") or question.get("text"))
                answers = _as_list(question.get("acceptedAnswer")) or _as_list(question.get("suggestedAnswer"))
                answer = next((a for a in answers if isinstance(a, dict)), {})
                if text:
                    found.append(_Found(squash(text.replace("\n", " ")), _jsonld_text(answer.get("text"))))
    return found


def _faq_pages(data: Any) -> Iterator[dict[str, Any]]:
    """Every object typed FAQPage in a JSON-LD value (in lists, ``@graph`` containers or nested objects)."""
    if isinstance(data, list):
        for item in data:
            yield from _faq_pages(item)
    elif isinstance(data, dict):
        types = _as_list(data.get("@type"))
        if any(isinstance(t, str) and re.split(r"[/:#]", t)[-1] == "FAQPage" for t in types):
            yield data
            return
        for value in data.values():
            yield from _faq_pages(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _jsonld_text(value: Any) -> str:
    """A JSON-LD text, which may hold HTML, as plain text with its paragraphs and lists."""
    if isinstance(value, dict):
        value = value.get("@value")
    if not isinstance(value, str):
        return ""
    if _TAG_LIKE.search(value):
        fragment = BeautifulSoup(value, "lxml")
        prune(fragment)
        return answer_text((fragment.body or fragment).children)
    paragraphs = re.split(r"\n\s*\n", html.unescape(value))
    return "\n\n".join(p for p in ("\n".join(squash(x) for x in p.split("\n") if x.strip()) for p in paragraphs) if p)


def _details(root: Tag) -> _Finding:
    finding = _Finding([])
    for details in root.find_all("details"):
        summary = details.find("summary")
        question = label_text(summary) if isinstance(summary, Tag) else ""
        if details.find("details") is not None:
            finding.containers[id(details)] = question  # a group of questions: its summary names their theme
            continue
        answer = answer_text(c for c in details.children if c is not summary)
        if question and (answer or _is_question(question)):
            finding.pairs.append(_Found(question, answer, details, [details]))
    return finding


def _dl(root: Tag) -> _Finding:
    finding = _Finding([])
    for dl in root.find_all("dl"):
        items: list[_Found] = []
        for term in dl.find_all(("dt", "dd")):
            if term.find_parent("dl") is not dl:
                continue
            if term.name == "dt":
                items.append(_Found(label_text(term), "", term, [term]))
            elif items:
                answer = answer_text(term.children)
                items[-1].answer = "\n\n".join(a for a in (items[-1].answer, answer) if a)
                items[-1].parts.append(term)
        if any(_is_question(item.question) for item in items):  # else a list of terms, not questions
            finding.pairs += [item for item in items if item.question]
    return finding


def _panel_ids(trigger: Tag) -> list[str]:
    ids = str(trigger.get("aria-controls", "")).split()
    for attr in ("data-target", "data-bs-target", "href"):
        value = str(trigger.get(attr, "")).strip()
        if value.startswith("#") and len(value) > 1:
            if attr != "href" or _is_disclosure(trigger):
                ids.append(value[1:])
    return ids


def _is_disclosure(link: Tag) -> bool:
    """Whether a link to ``#X`` opens a panel (an accordion), rather than jumping to a part of the page."""
    return (
        link.has_attr("aria-expanded")
        or str(link.get("role", "")) == "button"
        or any(link.has_attr(a) for a in ("data-toggle", "data-bs-toggle"))
        or bool(_ACCORDION_HINT.search(" ".join(classes(link))))
    )


def _accordions(root: Tag) -> _Finding:
    by_id = {str(tag["id"]): tag for tag in root.find_all(id=True)}
    triggers: list[tuple[Tag, Tag, str]] = []
    seen: set[int] = set()
    for trigger in root.find_all(True):
        if trigger.has_attr("aria-haspopup"):
            continue
        panel = next((by_id[i] for i in _panel_ids(trigger) if i in by_id), None)
        if panel is None or id(panel) in seen or panel is trigger or _within(trigger, panel):
            continue
        question = label_text(trigger)
        if question:
            seen.add(id(panel))
            triggers.append((trigger, panel, question))
    finding = _Finding([])
    for trigger, panel, question in triggers:
        if any(_within(other, panel) for other, _, _ in triggers):
            finding.containers[id(panel)] = question  # tabs or a group of accordions: its label names their theme
            continue
        answer = answer_text(panel.children)
        if answer or _is_question(question):
            finding.pairs.append(_Found(question, answer, trigger, [trigger, panel]))
    return finding


def _level(tag: Tag) -> int:
    return int(tag.name[1])


def _following(node: PageElement, root: Tag) -> PageElement | None:
    """The node after ``node`` and everything in it, in page order, while still inside ``root``."""
    current: PageElement | None = node
    while current is not None and current is not root:
        if current.next_sibling is not None:
            return current.next_sibling
        current = current.parent
    return None


def _section(heading: Tag, root: Tag, stops: set[int]) -> tuple[list[PageElement], Tag | None]:
    """The nodes after ``heading`` up to the first heading of ``stops`` (or an h1), and that heading."""

    def ends(tag: Tag) -> bool:
        return id(tag) in stops or tag.name == "h1"

    nodes: list[PageElement] = []
    node = _following(heading, root)
    while node is not None:
        if isinstance(node, Tag):
            if ends(node):
                return nodes, node
            if node.find(ends) is not None:
                node = node.contents[0] if node.contents else _following(node, root)
                continue  # the answer ends inside this element: go into it
        nodes.append(node)
        node = _following(node, root)
    return nodes, None


def _headings(root: Tag) -> _Finding:
    heads = [(h, label_text(h)) for h in root.find_all(_SECTION_HEADINGS)]
    finding = _Finding([])
    for i, (heading, question) in enumerate(heads):
        if not _is_question(question):
            continue
        level = _level(heading)
        stops = {id(h) for h, text in heads[i + 1 :] if _level(h) <= level or _is_question(text)}
        nodes, end = _section(heading, root, stops)
        answer = answer_text(nodes)
        if not answer and end is not None and end.name != "h1" and _level(end) > level:
            continue  # a question heading over more precise questions: a section, not a pair
        finding.pairs.append(_Found(question, answer, heading, [], level))
    return finding


_FINDERS: tuple[tuple[str, Callable[[Tag], _Finding]], ...] = (
    ("blocs <details>", _details),
    ("liste <dl>", _dl),
    ("accordéons", _accordions),
    ("titres en forme de question", _headings),
)


# --- themes -----------------------------------------------------------------------------------------------------


def _within(node: PageElement, scope: Tag) -> bool:
    return any(parent is scope for parent in node.parents)


def _theme(found: _Found, finding: _Finding, root: Tag) -> str | None:
    """The nearest section heading before the pair, in its nearest enclosing group first, that is not a question."""
    assert found.anchor is not None
    parts = {id(p) for f in finding.pairs for p in f.parts}
    scopes = [p for p in found.anchor.parents if id(p) in finding.containers and _within(p, root)] + [root]
    for scope in scopes:
        for heading in found.anchor.find_all_previous(_SECTION_HEADINGS):
            if not _within(heading, scope):
                break
            if _level(heading) >= found.level or _touches(heading, parts):
                continue
            label = label_text(heading)
            if label and not _is_question(label):
                return label
        label = finding.containers.get(id(scope), "")
        if label and not _is_question(label):
            return label
    return None


def _touches(heading: Tag, parts: set[int]) -> bool:
    """Whether a heading is, holds or lies inside a question or an answer (then it cannot be their theme)."""
    if id(heading) in parts or any(id(p) in parts for p in heading.parents):
        return True
    return any(id(d) in parts for d in heading.descendants)
