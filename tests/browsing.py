"""What the browser tests share: every form submission recorded, forms found on pages, pages checked as French HTML.

Every context that the ``browser`` fixture opens records its top-level navigations (``watch_submissions``): a form
submitted by any browser test of the session counts, whoever wrote the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, Response
from playwright.sync_api import Request as PwRequest

# Controls a form always sends (filled or empty): a GET form was submitted when the query names them all.
_SENT_ALWAYS = ("text", "email", "tel", "date", "hidden", "password", "search", "number", "url", "textarea")


@dataclass(frozen=True)
class Navigation:
    """One top-level navigation a browser made: method, path and the names of the fields it carried."""

    method: str
    path: str
    fields: frozenset[str]


@dataclass(frozen=True)
class Form:
    """A form found on a page: where it posts, and the controls it always sends."""

    method: str
    path: str
    fields: frozenset[str]
    page: str


NAVIGATIONS: list[Navigation] = []
FORMS: list[Form] = []
BROWSER_TESTS: set[str] = set()  # node ids of the collected tests that use the browser fixture


def _record(request: PwRequest) -> None:
    if not request.is_navigation_request() or request.frame.parent_frame is not None:
        return
    url = urlsplit(request.url)
    if request.method == "GET":
        fields = parse_qs(url.query, keep_blank_values=True).keys()
    else:
        fields = parse_qs(request.post_data or "", keep_blank_values=True).keys()
    NAVIGATIONS.append(Navigation(request.method, url.path, frozenset(fields)))


def watch_submissions(browser: Browser) -> Browser:
    """Make every context and page that ``browser`` opens record its navigations (form submissions included)."""
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.on("request", _record)
        return context

    def watched_page(**kwargs: Any) -> Page:
        page = new_page(**kwargs)
        page.context.on("request", _record)
        return page

    browser.new_context = watched_context  # type: ignore[method-assign]
    browser.new_page = watched_page  # type: ignore[method-assign]
    return browser


# Attributes read with getAttribute: a control named "action" or "method" shadows the form's own properties.
_FORMS_JS = """(sentAlways) => [...document.forms].map((f) => ({
  method: (f.getAttribute("method") || "get").toUpperCase(),
  action: new URL(f.getAttribute("action") || "", document.baseURI).href,
  fields: [...f.elements]
    .filter((e) => e.name && sentAlways.includes(e.type === "textarea" ? "textarea" : e.type || ""))
    .map((e) => e.name),
}))"""


def collect_forms(page: Page) -> list[Form]:
    """The forms on the page (remembered in FORMS for the 'every form submitted' check)."""
    found = []
    here = urlsplit(page.url).path
    for f in page.evaluate(_FORMS_JS, list(_SENT_ALWAYS)):
        form = Form(f["method"], urlsplit(f["action"]).path, frozenset(f["fields"]), here)
        found.append(form)
        FORMS.append(form)
    return found


def flatten(routes: Iterable[Any]) -> list[Any]:
    """Every route of an application, included routers unfolded."""
    out: list[Any] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        out.extend(flatten(nested.routes) if nested is not None else [route])
    return out


def route_name(app: FastAPI, method: str, path: str) -> str | None:
    """The name of the route that serves ``method path`` (None when none does)."""
    for route in flatten(app.routes):
        methods = getattr(route, "methods", None) or set()
        if method in methods and route.path_regex.fullmatch(path):
            return str(route.name)
    return None


def unsubmitted(app: FastAPI, forms: Iterable[Form], navigations: Iterable[Navigation]) -> list[str]:
    """The forms (by method and route) that no navigation submitted, each with a page it is on."""
    done: dict[tuple[str, str | None], list[frozenset[str]]] = {}
    for nav in navigations:
        done.setdefault((nav.method, route_name(app, nav.method, nav.path)), []).append(nav.fields)
    missing: dict[str, str] = {}
    for form in forms:
        key = (form.method, route_name(app, form.method, form.path))
        sent = done.get(key, [])
        submitted = any(form.fields <= fields for fields in sent) if form.method == "GET" else bool(sent)
        if not submitted:
            missing.setdefault(f"{form.method} {key[1] or form.path}", form.page)
    return [f"{form} (page {page})" for form, page in sorted(missing.items())]


_JSON_START = re.compile(r"^\s*[\[{]")


def assert_french_page(page: Page, response: Response | None, *, status: int | Iterable[int] = 200) -> None:
    """The page is HTML in French with the expected status: never raw JSON, never a 5xx."""
    assert response is not None, f"pas de réponse pour {page.url}"
    expected = {status} if isinstance(status, int) else set(status)
    assert response.status < 500, (response.status, page.url)
    main = page.evaluate("document.querySelector('main') ? document.querySelector('main').innerText : ''")
    assert response.status in expected, (response.status, page.url, main[:300])
    assert response.headers.get("content-type", "").startswith("text/html"), (page.url, response.headers)
    assert page.evaluate("document.documentElement.lang") == "fr", page.url
    body = page.evaluate("document.body ? document.body.innerText : ''")
    assert not _JSON_START.match(body), (page.url, body[:200])
    assert page.title().strip(), page.url


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (rule, impact, first nodes)."""
    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}) : {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it fits its viewport)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"))
