"""The API documentation (/docs) renders in Chromium with no network: its Swagger UI assets are served locally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.conftest import free_port, serve, settings_for


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``accueil serve`` over an empty data dir: no index is needed to document the API."""
    folder = tmp_path_factory.mktemp("docs")
    with serve(settings_for(folder / "data"), free_port(), {}, folder / "serve.log") as url:
        yield url


def test_docs_render_the_operations_offline(browser: Browser, bare_server: str, tmp_path: Path) -> None:
    context = browser.new_context(locale="fr-FR")
    blocked: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", loopback_only)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{bare_server}/docs")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/requests/{request_id}/reject")).to_be_visible()
    assert operations.count() >= 12
    page.locator(".opblock-summary", has_text="/api/v1/drafts").click()
    expect(page.get_by_text("Draft a grounded reply to a question").first).to_be_visible()
    assert blocked == []
    assert errors == []
    context.close()
