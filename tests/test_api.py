"""The JSON API through a real uvicorn server on loopback, with a real API token."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {server.token}"})


def test_health_reports_the_index(live_server: LiveServer) -> None:
    body = httpx.get(f"{live_server.url}/health", timeout=10).json()
    assert body["status"] == "ok" and body["documents"] > 400 and body["index_version"].startswith("gen-")


def test_draft_endpoint_returns_the_documented_shape(live_server: LiveServer) -> None:
    with _client(live_server) as api:
        r = api.post("/api/v1/drafts", json={"question": "Horaires de la mairie le samedi ?", "id": "q1"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"id", "question", "status", "draft", "confidence", "citations", "sources", "timings_ms"}
    assert body["id"] == "q1" and body["status"] == "answered"
    assert set(body["citations"][0]) >= {"n", "doc_id", "title", "url", "updated", "quote"}
    assert set(body["sources"][0]) >= {"doc_id", "title", "url", "score", "stale"}
    assert "candidate_draft" not in body


def test_follow_up_through_the_api(live_server: LiveServer) -> None:
    with _client(live_server) as api:
        r = api.post(
            "/api/v1/drafts",
            json={"question": "et pour un mineur de 16 ans ?", "history": ["Combien coûte un passeport ?"]},
        )
    assert r.status_code == 200 and r.json()["sources"]


def test_a_revoked_or_wrong_token_is_refused(live_server: LiveServer) -> None:
    r = httpx.post(
        f"{live_server.url}/api/v1/drafts",
        json={"question": "horaires"},
        timeout=30,
        headers={"Authorization": "Bearer acc_faux"},
    )
    assert r.status_code == 401 and r.json()["error"] == "NotAuthenticated"


@pytest.mark.parametrize(
    "payload", [{"question": ""}, {"question": "x" * 10_001}, {"nope": 1}, {"question": 3}, {"question": "a" * 2500}]
)
def test_invalid_requests_get_a_clear_4xx(live_server: LiveServer, payload: dict[str, object]) -> None:
    with _client(live_server) as api:
        r = api.post("/api/v1/drafts", json=payload)
    assert r.status_code == 422
    assert r.json()["error"] == "InputError" and r.json()["message"]


def test_malformed_json_is_a_4xx(live_server: LiveServer) -> None:
    with _client(live_server) as api:
        r = api.post("/api/v1/drafts", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_request_workflow_through_the_api(live_server: LiveServer) -> None:
    with _client(live_server) as api:
        _workflow(api)


def _workflow(api: httpx.Client) -> None:
    created = api.post(
        "/api/v1/requests", json={"question": "Quels sont les jours de marché ?", "channel": "telephone"}
    )
    assert created.status_code == 201
    rid = created.json()["id"]
    assert created.json()["state"] == "brouillon_pret"
    draft = api.get(f"/api/v1/requests/{rid}/draft").json()
    assert draft["sources"]
    regenerated = api.post(f"/api/v1/requests/{rid}/regenerate", json={"excluded": [draft["sources"][0]["doc_id"]]})
    assert regenerated.status_code == 200
    assert draft["sources"][0]["doc_id"] not in {s["doc_id"] for s in regenerated.json()["sources"]}
    done = api.post(f"/api/v1/requests/{rid}/validate", json={"text": "Le marché a lieu le mercredi et le samedi."})
    assert done.status_code == 200 and done.json()["state"] == "validee"
    again = api.post(f"/api/v1/requests/{rid}/save", json={"text": "trop tard"})
    assert again.status_code == 409
    actions = [e["action"] for e in api.get(f"/api/v1/requests/{rid}/audit").json()]
    assert actions == ["creee", "brouillon_genere", "brouillon_genere", "validee"]
