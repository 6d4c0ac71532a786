"""A web page saved as HTML, as a commune's site serves it: its text decoded, its content told from the site's chrome.

Read by the ingestion of web pages (``ingest.loaders.html``) and by the import of a FAQ page
(``server.core.desk.faq_html``). A commune's page carries, around its own text, the same template on every page: a
banner, menus, a breadcrumb, a cookie banner, print and share tools, a side column, a footer. Modern sites mark them
with tags and ARIA roles (``<nav>``, ``role="banner"``…); older CMSs with ``<div>`` ids and classes only.
"""

from __future__ import annotations

import codecs
import logging
import re

from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector
from bs4.element import Tag

log = logging.getLogger(__name__)

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "nav", "footer")
_DROP_OUTSIDE_CONTENT = ("header", "aside")  # a site's banner and sidebar; inside <main> or <article>, content
_DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar", "dialog", "alertdialog"})
_NEVER_DROPPED = frozenset({"html", "body", "main"})
# Consent banners and site chrome by their id or class (tarteaucitron, Didomi, Axeptio… are common on commune sites).
_CHROME = re.compile(
    r"cookie|consent|tarteaucitron|rgpd|gdpr|didomi|axeptio|cmplz|orejime|cookiebot|breadcrumb|ariane|skip-?link"
    r"|evitement",
    re.IGNORECASE,
)
SCREEN_READER_ONLY = re.compile(r"sr-only|visually-hidden|screen-reader|element-invisible", re.IGNORECASE)
# The element holding a page's own text when no <main> says so: its id or a class, as older CMSs name it.
_CONTENT_NAMES = frozenset(
    {"contenu", "content", "main", "main-content", "maincontent", "page-content", "content-main", "corps", "principal"}
    | {"contenu-principal", "contenu-page", "article", "texte", "region-content", "entry-content", "post-content"}
)
_READ_AS_WINDOWS_1252 = frozenset({"iso8859-1", "ascii"})  # as browsers read them


def declared_charset(data: bytes) -> str | None:
    """The codec a page declares (``<meta charset>``…) when it is not UTF-8, ISO-8859-1 read as windows-1252 as
    browsers do; None when it declares none, UTF-8, or one Python does not know."""
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if not declared:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        log.warning("Encodage déclaré inconnu : %s", declared)
        return None
    if name.startswith("utf"):
        return None
    return "cp1252" if name in _READ_AS_WINDOWS_1252 else name


def decode(data: bytes) -> str:
    """The page's text: UTF-8 when it is valid UTF-8, else its declared charset, else windows-1252.

    French text in a single-byte charset is never valid UTF-8 (« é » alone is not), while a page re-encoded in
    UTF-8 when it was saved often keeps its old declaration.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(declared_charset(data) or "cp1252", errors="replace")


def classes(tag: Tag) -> list[str]:
    """The element's classes (a list whatever the parser gave)."""
    value = tag.get("class")
    return [value] if isinstance(value, str) else list(value or [])


def _names(tag: Tag) -> str:
    return " ".join([str(tag.get("id", "")), *classes(tag)])


def prune(soup: BeautifulSoup) -> None:
    """Remove what is not the page's content: navigation, banners, footers, consent banners, breadcrumbs, forms,
    scripts (a page's JSON-LD, read from its scripts, must be read before). Hidden elements stay: a collapsed
    accordion's answer is hidden until it is opened."""
    doomed = list(soup.find_all(_DROP))
    for tag in soup.find_all(True):
        if tag.name in _NEVER_DROPPED:
            continue
        if tag.name in _DROP_OUTSIDE_CONTENT and tag.find_parent(("main", "article")) is None:
            doomed.append(tag)
        elif tag.name == "form" and tag.find(("main", *HEADINGS[1:])) is None:
            doomed.append(tag)  # a search or contact form; some CMSs wrap the whole page in one
        elif str(tag.get("role", "")).lower() in _DROP_ROLES or str(tag.get("aria-modal", "")).lower() == "true":
            doomed.append(tag)
        elif _CHROME.search(_names(tag)):
            doomed.append(tag)
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()


def content_root(soup: BeautifulSoup) -> Tag | None:
    """The element that holds the page's own text, when the page says which: ``<main>``, ``role="main"``, a single
    ``<article>``, or an element an older CMS names so (``id="contenu"``, ``class="content"``…); else None."""
    for found in (soup.find("main"), soup.find(role="main")):
        if isinstance(found, Tag):
            return found
    articles = soup.find_all("article")
    if len(articles) == 1 and isinstance(articles[0], Tag):
        return articles[0]
    for tag in soup.find_all(("div", "section", "td")):
        if any(name.lower() in _CONTENT_NAMES for name in _names(tag).split()):
            return tag
    return None
