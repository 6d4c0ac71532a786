"""Agent pages over a real server: access control on every route, CSRF, the audit trail, answer memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, DraftVersion
from server.web.app import create_app
from tests.conftest import LiveServer, csrf_from, login

PUBLIC = {"/health", "/connexion", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
# The citizen side (tests/test_public.py): open to anyone by design.
CITIZEN = {
    "/faq",
    "/question",
    "/question/envoyer",
    "/question/confirmer",
    "/question/confirmer/{token}",
    "/confidentialite",
    "/reponse/{token}",
}


def _flatten(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _flatten(nested.routes)
        else:
            yield route


def _routes(server: LiveServer) -> list[tuple[str, str]]:
    """Every (method, path) the application registers, included routers unfolded."""
    out = []
    for route in _flatten(create_app(server.settings).routes):
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                out.append((method, route.path))
    return out


def test_anonymous_users_reach_no_agent_page_or_api_route(live_server: LiveServer) -> None:
    routes = _routes(live_server)
    assert len(routes) > 20
    with httpx.Client(base_url=live_server.url, timeout=30, follow_redirects=False) as anonymous:
        checked = _walk(anonymous, routes)
    assert checked > 15


def _walk(anonymous: httpx.Client, routes: list[tuple[str, str]]) -> int:
    checked = 0
    for method, path in routes:
        if path in PUBLIC or path in CITIZEN:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = anonymous.request(method, url, json={} if path.startswith("/api/") else None)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code in (303, 401, 403), (method, path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/connexion"), (method, path)
        checked += 1
    return checked


@pytest.mark.parametrize(
    ("username", "page", "status"),
    [
        ("agent1", "/demandes", 200),
        ("agent1", "/supervision", 403),
        ("agent1", "/admin/utilisateurs", 403),
        ("chef", "/supervision", 200),
        ("chef", "/admin/utilisateurs", 403),
        ("root", "/admin/utilisateurs", 200),
    ],
)
def test_roles_are_enforced(live_server: LiveServer, username: str, page: str, status: int) -> None:
    with login(live_server, username) as client:
        assert client.get(page).status_code == status


def test_forms_without_a_valid_csrf_token_are_refused(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as client:
        _csrf_checks(client)


def _csrf_checks(client: httpx.Client) -> None:
    for data in ({"question": "horaires mairie"}, {"question": "horaires mairie", "csrf_token": "faux"}):
        r = client.post("/demandes/nouvelle", data=data)
        assert r.status_code in (403, 422)
    token = csrf_from(client.get("/demandes/nouvelle").text)
    ok = client.post(
        "/demandes/nouvelle", data={"question": "horaires mairie", "canal": "guichet", "csrf_token": token}
    )
    assert ok.status_code == 303
    # the API with the session cookie also needs the token, in a header
    assert client.post("/api/v1/drafts", json={"question": "horaires"}).status_code == 403
    assert (
        client.post("/api/v1/drafts", json={"question": "horaires"}, headers={"X-CSRF-Token": token}).status_code == 200
    )


def test_wrong_password_is_refused_and_logout_ends_the_session(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        token = csrf_from(client.get("/connexion").text)
        bad = client.post("/connexion", data={"username": "agent1", "password": "non", "csrf_token": token})
        assert bad.status_code == 401 and "incorrect" in bad.text
    with login(live_server, "agent1") as agent:
        token = csrf_from(agent.get("/demandes").text)
        assert agent.post("/deconnexion", data={"csrf_token": token}).status_code == 303
        assert agent.get("/demandes").status_code == 303


def test_session_cookie_flags(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        r = client.get("/connexion")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "script-src 'self'" in r.headers["content-security-policy"]


def _rows(server: LiveServer, request_id: int) -> list[tuple[Any, ...]]:
    with Database(server.settings).session() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.request_id == request_id).order_by(AuditEvent.id))
        versions = db.scalars(select(DraftVersion).where(DraftVersion.request_id == request_id))
        return [(e.id, e.at, e.actor, e.action, e.data) for e in events] + [
            (v.id, v.version, v.origin, v.text, v.result) for v in versions
        ]


def test_audit_trail_is_complete_and_never_changes(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as client:
        _audit_checks(live_server, client)


def _audit_checks(live_server: LiveServer, client: httpx.Client) -> None:
    token = csrf_from(client.get("/demandes/nouvelle").text)
    r = client.post(
        "/demandes/nouvelle",
        data={"question": "Combien coûte un passeport pour un adulte ?", "canal": "guichet", "csrf_token": token},
    )
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/demandes/{rid}").text
    draft = re.search(r'<textarea id="texte"[^>]*>(.*?)</textarea>', page, re.S)
    assert draft is not None
    edited = draft.group(1).replace("&#39;", "'") + "\nÀ bientôt."
    client.post(f"/demandes/{rid}/reponse", data={"texte": edited, "action": "enregistrer", "csrf_token": token})
    client.post(f"/demandes/{rid}/reponse", data={"texte": edited, "action": "valider", "csrf_token": token})
    before = _rows(live_server, rid)
    actions = [
        row[3]
        for row in before
        if isinstance(row[3], str) and row[3] in ("creee", "brouillon_genere", "enregistree", "validee")
    ]
    assert actions == ["creee", "brouillon_genere", "enregistree", "validee"]
    generated = next(row[4] for row in before if row[3] == "brouillon_genere")
    assert generated["provenance"]["index_version"].startswith("gen-") and generated["sources"]
    assert all(len(c["content_hash"]) == 64 for c in generated["citations"])
    validated = next(row[4] for row in before if row[3] == "validee")
    assert validated["text"].endswith("À bientôt.") and 0 < validated["edit_ratio"] < 0.5 and validated["diff"]
    # Later actions: a refused edit, another request, a follow-up; the first rows stay as they were.
    assert (
        client.post(
            f"/demandes/{rid}/reponse", data={"texte": "x", "action": "enregistrer", "csrf_token": token}
        ).status_code
        == 409
    )
    client.post(
        "/demandes/nouvelle", data={"question": "horaires déchetterie", "canal": "telephone", "csrf_token": token}
    )
    assert _rows(live_server, rid) == before
    # The database itself refuses to change the trail.
    with Database(live_server.settings).engine.connect() as conn:
        for statement in (
            "UPDATE audit_events SET actor = 'x' WHERE request_id = :r",
            "DELETE FROM audit_events WHERE request_id = :r",
            "UPDATE draft_versions SET text = 'x' WHERE request_id = :r",
        ):
            with pytest.raises(DatabaseError, match="ajout seul"):
                conn.execute(text(statement), {"r": rid})
            conn.rollback()
    assert _rows(live_server, rid) == before


def test_answer_memory_offers_a_validated_reply_for_a_close_question(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as client:
        _memory_checks(client)


def _memory_checks(client: httpx.Client) -> None:
    token = csrf_from(client.get("/demandes/nouvelle").text)
    question = "Quels sont les horaires de la médiathèque ?"
    r = client.post("/demandes/nouvelle", data={"question": question, "canal": "guichet", "csrf_token": token})
    rid = r.headers["location"].rsplit("/", 1)[1]
    client.post(
        f"/demandes/{rid}/reponse",
        data={"texte": "La médiathèque ouvre du mardi au samedi.", "action": "valider", "csrf_token": token},
    )
    r2 = client.post(
        "/demandes/nouvelle",
        data={"question": "Quels sont les horaires de la médiathèque ?!", "canal": "telephone", "csrf_token": token},
    )
    page = client.get(r2.headers["location"]).text
    assert "pour une question proche" in page and "La médiathèque ouvre du mardi au samedi." in page


def _request_page(server: LiveServer, question: str) -> str:
    """The request page an agent lands on after typing ``question`` at the counter."""
    with login(server, "agent1") as client:
        token = csrf_from(client.get("/demandes/nouvelle").text)
        r = client.post("/demandes/nouvelle", data={"question": question, "canal": "guichet", "csrf_token": token})
        return client.get(r.headers["location"]).text


def test_the_agent_is_told_which_question_of_a_message_the_draft_leaves_out(live_server: LiveServer) -> None:
    page = _request_page(
        live_server, "Combien coûte l'abonnement à la médiathèque ? Et quand ouvre la patinoire municipale ?"
    )
    notice = page.split('id="questions-sans-reponse"', 1)[1].split("</div>", 1)[0]
    assert "<q>Et quand ouvre la patinoire municipale ?</q>" in notice and "abonnement" not in notice


def test_the_agent_sees_which_period_the_draft_quotes(live_server: LiveServer) -> None:
    page = _request_page(live_server, "Quels sont les horaires de la déchetterie en été ?")
    notes = page.split('id="notes-brouillon"', 1)[1].split("</div>", 1)[0]
    assert "Période citée : horaires d&#39;été (du 1er avril au 31 octobre), celle que nomme la question" in notes


def test_citizen_and_agent_text_is_escaped_in_every_page(live_server: LiveServer) -> None:
    hostile = '<script>alert("q")</script><img src=x onerror=alert(1)> horaires mairie ?'
    with login(live_server, "agent1") as client:
        token = csrf_from(client.get("/demandes/nouvelle").text)
        r = client.post("/demandes/nouvelle", data={"question": hostile, "canal": "guichet", "csrf_token": token})
        rid = r.headers["location"].rsplit("/", 1)[1]
        reply = 'Bonjour <b onmouseover=alert(2)>gras</b> <a href="javascript:alert(3)">lien</a>'
        client.post(f"/demandes/{rid}/reponse", data={"texte": reply, "action": "enregistrer", "csrf_token": token})
        pages = [client.get(f"/demandes/{rid}").text, client.get("/demandes").text]
    with login(live_server, "chef") as chef:
        pages += [chef.get("/supervision/lacunes").text, chef.get("/supervision").text]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "<b onmouseover" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in pages[0]
    assert "&lt;b onmouseover=alert(2)&gt;" in pages[0]
