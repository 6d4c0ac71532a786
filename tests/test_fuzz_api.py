"""Fuzzing of the JSON API from its own OpenAPI schema (schemathesis), against the real server.

Every /api/v1 operation gets valid and invalid inputs (wrong types, out-of-range numbers, over-long strings,
NUL bytes…); whatever it gets, it must answer a documented JSON response and never a 5xx. The live server is
shared with other test files: request ids are steered onto requests this module created (or onto ids that
cannot exist), so that no other test's request is validated, rejected or transferred here. Bounded:
MAX_EXAMPLES per operation, positive and negative, about ten seconds once the shared server is up.

schemathesis's own pytest integration (``from_fixture`` and ``parametrize``) fails under pytest 9 (it sets
``node._nodeid``), hence one plain parametrized test per operation driving ``as_strategy`` with Hypothesis.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.web.routes import api
from tests.conftest import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 30
# Every operation of the API router, known without a server: a new route is fuzzed without touching this file.
OPERATIONS = sorted((m, r.path) for r in api.router.routes if isinstance(r, APIRoute) for m in r.methods or ())


def _auth(server: LiveServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}"}


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer) -> schemathesis.BaseSchema:
    """The schema the server publishes."""
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json", timeout=30)


@pytest.fixture(scope="module")
def own_requests(live_server: LiveServer) -> list[int]:
    """Requests of this module's own, on which the fuzzed calls may act freely."""
    with httpx.Client(base_url=live_server.url, headers=_auth(live_server), timeout=60) as client:
        created = [
            client.post("/api/v1/requests", json={"question": f"Fuzz : horaires du marché n° {n} ?", "draft": n == 0})
            for n in range(4)
        ]
    assert all(r.status_code == 201 for r in created)
    return [r.json()["id"] for r in created]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_answers_documented_json_and_never_a_5xx(
    method: str, path: str, api_schema: schemathesis.BaseSchema, own_requests: list[int], live_server: LiveServer
) -> None:
    operation = api_schema[path][method]
    cases = st.one_of([operation.as_strategy(mode) for mode in schemathesis.GenerationMode])

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=cases)
    def fuzz(case: schemathesis.Case) -> None:
        rid = (case.path_parameters or {}).get("request_id")
        if isinstance(rid, int) and 0 <= rid < 2**31:  # an id that may exist: one of ours, never another test's
            case.path_parameters["request_id"] = own_requests[rid % len(own_requests)]
        case.call_and_validate(headers=_auth(live_server), checks=CHECKS, timeout=60)

    fuzz()


@pytest.mark.parametrize(
    ("method", "url", "content", "field"),
    [
        ("GET", "/api/v1/requests/99999999999999999999", None, "path.request_id"),  # overflowed SQLite: a 500
        ("POST", "/api/v1/requests/99999999999999999999/save", b'{"text": "x"}', "path.request_id"),
        ("POST", "/api/v1/drafts", b'{"question": "horaires\\u0000"}', "body.question"),  # was stored as is
        ("POST", "/api/v1/requests", b'{"question": "\\u0000", "draft": false}', "body.question"),
        ("GET", "/api/v1/requests?theme=" + "x" * 101, None, "query.theme"),
        ("POST", "/api/v1/drafts", '{"question": "été"}'.encode("latin-1"), None),  # was an English 400
    ],
)
def test_inputs_found_by_fuzzing_get_a_clear_4xx(
    live_server: LiveServer, method: str, url: str, content: bytes | None, field: str | None
) -> None:
    headers = {**_auth(live_server), "Content-Type": "application/json"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as client:
        r = client.request(method, url, content=content)
    assert r.status_code == 422 and r.json()["error"] == "InputError"
    assert field is None or [d["champ"] for d in r.json()["details"]] == [field]
    if field is None:
        assert "UTF-8" in r.json()["message"]


def test_dates_read_back_from_the_database_carry_their_utc_offset(
    live_server: LiveServer, own_requests: list[int]
) -> None:
    with httpx.Client(base_url=live_server.url, headers=_auth(live_server), timeout=60) as client:
        request = client.get(f"/api/v1/requests/{own_requests[0]}").json()
        audit = client.get(f"/api/v1/requests/{own_requests[0]}/audit").json()
    assert request["created_at"].endswith(("Z", "+00:00")) and audit[0]["at"].endswith(("Z", "+00:00"))
