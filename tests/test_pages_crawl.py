"""Every page reachable from the navigation, per role, in a real Chromium over ``demo_server`` (the demo corpus).

On each page: French HTML, axe-core finds no serious or critical violation, no chart text over another, a screenshot
at 1280 and 390 px wide (test-artifacts/pages/), no sideways scrolling at 390 px. Last of the session, every form
found on a page must have been submitted by some browser test (tests/test_forms_browser.py and the others).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page

from server.web.app import create_app
from tests.browsing import (
    BROWSER_TESTS,
    FORMS,
    NAVIGATIONS,
    assert_french_page,
    collect_forms,
    route_name,
    unsubmitted,
)
from tests.conftest import LiveServer, settings_for
from tests.page_checks import PAGES, WIDE, go, inspect_page, submit

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The application (over an empty data dir), to name the route that each form posts to."""
    return create_app(settings_for(tmp_path_factory.mktemp("routes")))


def _login(page: Page, server: LiveServer, username: str) -> None:
    go(page, f"{server.url}/connexion")
    page.get_by_label("Identifiant").fill(username)
    submit(page, page.get_by_role("button", name="Se connecter"), fill={"Mot de passe": server.passwords[username]})
    page.close()


SKIP = ("/static/", "/deconnexion", "/docs", "/openapi.json")


def _links(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "(els) => els.map((a) => a.href)")
    out = []
    for href in hrefs:
        url = href.split("#", 1)[0]
        if url.startswith(origin) and not urlsplit(url).path.startswith(SKIP):
            out.append(url)
    return out


def _crawl(context: BrowserContext, app: FastAPI, server: LiveServer, role: str, starts: list[str]) -> list[str]:
    """Visit every page reachable by links from ``starts``; returns the problems found (empty when all is well)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url} : erreur JavaScript {exc}"))
    problems: list[str] = []
    queue, seen = [server.url + s for s in starts], set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        name = route_name(app, "GET", parts.path) or parts.path
        key = (name, frozenset(parse_qs(parts.query)))
        if key in seen:
            continue
        seen.add(key)
        if name == "export_csv":
            r = context.request.get(url)
            if r.status != 200 or not r.headers["content-type"].startswith("text/csv"):
                problems.append(f"{url} : export {r.status} {r.headers.get('content-type')}")
            continue
        page.set_viewport_size({"width": WIDE, "height": 900})
        response = page.goto(url)
        try:
            assert_french_page(page, response)
        except AssertionError as exc:
            problems.append(f"{url} : {exc}")
            continue
        collect_forms(page)
        queue += _links(page, server.url)
        problems += inspect_page(page, f"{role}-{name}{'-' + '-'.join(sorted(key[1])) if key[1] else ''}")
    page.close()
    return problems + errors


@pytest.mark.parametrize(
    ("role", "starts"),
    [
        (None, ["/faq", "/question", "/confidentialite", "/connexion"]),
        ("agent1", ["/demandes"]),
        ("chef", ["/demandes", "/supervision"]),
        ("root", ["/demandes", "/supervision", "/admin/utilisateurs"]),
    ],
    ids=["habitant", "agent", "superviseur", "admin"],
)
def test_every_page_per_role(
    browser: Browser, demo_server: LiveServer, app: FastAPI, role: str | None, starts: list[str]
) -> None:
    context = browser.new_context(locale="fr-FR")
    if role is not None:
        _login(context.new_page(), demo_server, role)
    problems = _crawl(context, app, demo_server, role or "habitant", starts)
    context.close()
    print(f"\nCaptures d'écran : {PAGES}")
    assert not problems, "\n".join(problems)


# --- last of the session: every form found was submitted ------------------------------------------------------------


def _browser_tests_missing(session: pytest.Session) -> list[str]:
    """The browser tests this session did not choose (empty when the whole browser set runs)."""
    selected = {item.nodeid for item in session.items}
    missing = sorted(BROWSER_TESTS - selected)
    collected = {nodeid.split("::")[0] for nodeid in BROWSER_TESTS}
    for module in sorted(TESTS.glob("test_*.py")):
        if "browser: Browser" in module.read_text(encoding="utf-8") and f"tests/{module.name}" not in collected:
            missing.append(f"tests/{module.name}")
    return missing


@pytest.mark.after_browser_tests
def test_every_form_found_was_submitted(request: pytest.FixtureRequest, app: FastAPI) -> None:
    missing = _browser_tests_missing(request.session)
    if missing:
        pytest.skip(f"seuls certains tests de navigateur tournent ({len(missing)} non choisis, dont {missing[0]})")
    assert len(FORMS) > 20 and len(NAVIGATIONS) > 50
    missing = unsubmitted(app, FORMS, NAVIGATIONS)
    assert not missing, "formulaires jamais soumis par un test de navigateur :\n" + "\n".join(missing)
