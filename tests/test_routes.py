"""Route names: each is unique, and every URL a page template builds is a page route, never a /api/v1 one.

`url_for(name)` returns the first route registered under ``name``: when a page route and an API route shared a name
(``reject``…), the request page's forms posted to the JSON API and the agent got a JSON 403.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from server.web.app import HERE, create_app
from tests.browsing import Form, Navigation, unsubmitted
from tests.conftest import settings_for

TEMPLATES = HERE / "templates"
_URL_FOR = re.compile(r"url_for\(\s*['\"]([A-Za-z0-9_]+)['\"]")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The real application over an empty data dir (no index needed to list its routes)."""
    return create_app(settings_for(tmp_path_factory.mktemp("routes")))


def flatten(routes: list[Any]) -> Iterator[Any]:
    """Every route of the application, included routers unfolded."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from flatten(nested.routes)
        else:
            yield route


def duplicate_names(routes: list[Any]) -> dict[str, list[str]]:
    """Route names registered more than once, with the paths that share each."""
    counts = Counter(route.name for route in routes)
    return {name: [r.path for r in routes if r.name == name] for name, n in counts.items() if n > 1}


def test_every_route_has_a_unique_name(app: FastAPI) -> None:
    routes = list(flatten(app.routes))
    assert len(routes) > 30
    assert duplicate_names(routes) == {}


def test_the_check_sees_two_routes_sharing_a_name(app: FastAPI) -> None:
    routes = list(flatten(app.routes))
    clone = next(r for r in routes if r.name == "inbox")
    assert duplicate_names([*routes, clone]) == {"inbox": [clone.path, clone.path]}


def test_api_routes_are_prefixed_and_page_routes_are_not(app: FastAPI) -> None:
    for route in flatten(app.routes):
        if isinstance(route, Mount):
            continue
        assert route.path.startswith("/api/") == route.name.startswith("api_"), (route.name, route.path)


def _template_names() -> Iterator[tuple[Path, str]]:
    for template in sorted(TEMPLATES.glob("*.html")):
        for name in _URL_FOR.findall(template.read_text(encoding="utf-8")):
            yield template, name


def test_templates_build_urls_of_page_routes_only(app: FastAPI) -> None:
    by_name = {route.name: route for route in flatten(app.routes)}
    seen = 0
    for template, name in _template_names():
        assert name in by_name, f"{template.name}: url_for({name!r}) ne désigne aucune route"
        route = by_name[name]
        if isinstance(route, Mount):
            continue
        assert not route.path.startswith("/api/"), f"{template.name}: url_for({name!r}) → {route.path}"
        seen += 1
    assert seen > 20


def test_the_form_check_sees_a_form_never_submitted(app: FastAPI) -> None:
    """The browser suite's last check (``unsubmitted``) names a form no navigation posted, and only that one."""
    forms = [
        Form("POST", "/demandes/3/transfert", frozenset({"csrf", "destinataire"}), "/demandes/3"),
        Form("POST", "/demandes/3/rejet", frozenset({"csrf", "motif"}), "/demandes/3"),
        Form("GET", "/faq", frozenset({"q"}), "/faq"),
    ]
    posted = [
        Navigation("POST", "/demandes/7/rejet", frozenset({"csrf", "motif"})),  # another request, same route
        Navigation("GET", "/faq", frozenset()),  # the FAQ page opened, its search never submitted
    ]
    assert unsubmitted(app, forms, posted) == ["GET faq_page (page /faq)", "POST transfer (page /demandes/3)"]
    posted += [Navigation("POST", "/demandes/9/transfert", frozenset({"csrf", "destinataire"}))]
    posted += [Navigation("GET", "/faq", frozenset({"q"}))]
    assert unsubmitted(app, forms, posted) == []
