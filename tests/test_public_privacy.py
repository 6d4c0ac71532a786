"""Privacy of the citizen side (#19, public side), over a real server on the demo corpus and a real SMTP server:
questions POSTed and kept out of the log, single-use form tokens, an hourly limit per address in the base, nothing
in the inbox (and nothing mailed) before the address is confirmed, private links built at send time, hashed,
expiring and never cached, and a draft stream that a GET alone cannot start.
"""

from __future__ import annotations

import datetime as dt
import email.message
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

import httpx
from sqlalchemy import func, select, update

from server.core.desk import outbox, workflow
from server.core.desk.db import Database
from server.core.desk.tables import DraftVersion, OutgoingMail, PendingQuestion, PublicFormHit, ReplyLink, Request
from server.web import draft_stream
from tests.conftest import LiveServer, csrf_from, login

_ips = count(10)


@contextmanager
def mail_delivered(server: LiveServer) -> Iterator[None]:
    """The server's SMTP server running for the test (``demo_server`` leaves it stopped), stopped again after."""
    started = server.smtp.proc is None
    if started:
        server.smtp.start()
    try:
        yield
    finally:
        if started:
            server.smtp.stop()


def access_log(server: LiveServer) -> str:
    """What ``demo_server`` wrote to its log (uvicorn's access log among it)."""
    return (server.settings.data_dir.parent / "serve.log").read_text(encoding="utf-8")


@contextmanager
def citizen(server: LiveServer, ip: str | None = None) -> Iterator[httpx.Client]:
    """An anonymous visitor with an address of its own (uvicorn reads X-Forwarded-For from loopback)."""
    address = ip or f"203.0.113.{next(_ips)}"
    with httpx.Client(base_url=server.url, timeout=60, headers={"X-Forwarded-For": address}) as client:
        yield client


def form_token(client: httpx.Client, question: str) -> str:
    """The send form's token, from the answer page of a POSTed question."""
    page = client.post("/question", data={"q": question})
    assert page.status_code == 200, page.text
    match = re.search(r'name="jeton" value="([^"]+)"', page.text)
    assert match, "pas de formulaire d'envoi"
    return match.group(1)


def send(client: httpx.Client, question: str, mail: str, token: str) -> httpx.Response:
    """Send the question to the desk with the form's token."""
    data = {"question": question, "courriel": mail, "jeton": token, "consentement": "true"}
    return client.post("/question/envoyer", data=data)


def body_of(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def confirm_by_mail(server: LiveServer, client: httpx.Client, mail: str) -> str:
    """Follow the confirmation mail sent to ``mail`` and confirm; returns the request's reference."""
    message = server.smtp.wait_for(lambda m: m["To"] == mail and "Confirmez" in str(m["Subject"]))
    link = re.search(r"http://127\.0\.0\.1:\d+(/question/confirmer/[A-Za-z0-9_-]{40,})", body_of(message))
    assert link, body_of(message)
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Confirmer et envoyer à l'accueil" in page.text
    token = re.search(r'name="jeton" value="([^"]+)"', page.text)
    assert token
    done = client.post("/question/confirmer", data={"jeton": token.group(1)})
    ref = re.search(r'id="reference">([^<]+)<', done.text)
    assert done.status_code == 200 and ref, done.text
    again = client.post("/question/confirmer", data={"jeton": token.group(1)})
    assert again.status_code == 404 and "a déjà servi" in again.text
    return ref.group(1)


def test_the_question_is_posted_and_the_log_keeps_no_query_string_nor_private_link(demo_server: LiveServer) -> None:
    question = "Bonjour, je suis Aurélien Marqueurtest, né le 02/03/1980, horaires de la mairie ?"
    with citizen(demo_server) as client:
        page = client.get("/question").text
        assert 'method="post"' in page and 'method="get"' not in page.split("<main", 1)[1]
        answered = client.post("/question", data={"q": question})
        assert answered.status_code == 200 and "Marqueurtest" in answered.text
        old_style = client.get("/question", params={"q": "Valérie Requetemarque 0612345678"})
        assert old_style.status_code == 200 and "Requetemarque" not in old_style.text  # a GET answers nothing
        client.get("/faq", params={"q": "Fauxnom Cherchemarque"})
        assert client.get("/reponse/Lienprivemarque" + "x" * 30).status_code == 404
        assert client.get("/question/confirmer/Confirmemarque" + "x" * 30).status_code == 404
        privacy = client.get("/confidentialite").text
        assert "effacée au bout de 48 heures" in privacy and "valable 30 jours" in privacy
    log = access_log(demo_server)
    assert '"POST /question HTTP/1.1" 200' in log and "/reponse/…" in log and "/question/confirmer/…" in log
    for secret in ("Marqueurtest", "Requetemarque", "0612345678", "Cherchemarque", "Lienprivemarque", "Confirmemarque"):
        assert secret not in log, secret


def test_the_form_token_is_single_use_and_tied_to_its_question(demo_server: LiveServer) -> None:
    question = "Quels papiers pour inscrire mon enfant à la cantine ?"
    with citizen(demo_server) as client:
        token = form_token(client, question)
        refused = send(client, question, "jeton.unique@exemple.fr", token)
        assert refused.status_code == 422 and "trop vite" in refused.text  # at once: a robot
        time.sleep(2.1)
        other = send(client, "Une tout autre question envoyée en masse ?", "jeton.unique@exemple.fr", token)
        assert other.status_code == 422 and "autre question" in other.text
        first = send(client, question, "jeton.unique@exemple.fr", token)
        assert first.status_code == 200 and 'id="confirmation-attendue"' in first.text
        replay = send(client, question, "jeton.unique@exemple.fr", token)
        assert replay.status_code == 422 and "déjà envoyé" in replay.text
        assert send(client, question, "jeton.unique@exemple.fr", "x" * 43).status_code == 422
    with Database(demo_server.settings).session() as db:
        waiting = db.scalars(select(PendingQuestion).where(PendingQuestion.email == "jeton.unique@exemple.fr")).all()
        assert len(waiting) == 1


def test_questions_per_client_address_are_limited_in_the_base(demo_server: LiveServer) -> None:
    question = "Où déposer un vieux matelas ?"
    with citizen(demo_server, "203.0.113.250") as client:
        tokens = [form_token(client, question) for _ in range(11)]
        time.sleep(2.1)
        codes = [send(client, question, f"adresse{i}@exemple.fr", t).status_code for i, t in enumerate(tokens)]
    assert codes == [200] * 10 + [429]  # 10 an hour (the default), whatever the e-mail address typed
    with citizen(demo_server, "203.0.113.251") as other:
        token = form_token(other, question)
        time.sleep(2.1)
        assert send(other, question, "adresse.autre@exemple.fr", token).status_code == 200
    with Database(demo_server.settings).session() as db:
        hashes = db.scalars(select(PublicFormHit.address_hash)).all()
        assert len(hashes) >= 11 and not any("203.0.113" in h for h in hashes)


def test_nothing_reaches_the_inbox_before_the_address_is_confirmed(demo_server: LiveServer) -> None:
    question = "Quels sont les horaires de la déchetterie le dimanche ?"
    mail = "confirme.moi@exemple.fr"
    with mail_delivered(demo_server), citizen(demo_server) as client:
        token = form_token(client, question)
        time.sleep(2.1)
        r = send(client, question, mail, token)
        assert r.status_code == 200 and "Confirmez votre adresse" in r.text and 'id="reference"' not in r.text
        with Database(demo_server.settings).session() as db:
            assert db.scalar(select(Request).where(Request.citizen_email == mail)) is None
        message = demo_server.smtp.wait_for(lambda m: m["To"] == mail)
        assert "Confirmez" in str(message["Subject"]) and question in body_of(message)
        with Database(demo_server.settings).session() as db:
            pending = db.scalar(select(PendingQuestion).where(PendingQuestion.email == mail))
            assert pending is not None and pending.token_hash and pending.token_hash not in body_of(message)
            link = re.search(r"/question/confirmer/([A-Za-z0-9_-]+)", body_of(message))
            assert link and link.group(1) not in str(pending.token_hash)
        client.get(link.group(0))  # opening the link (a mail scanner does) confirms nothing
        with Database(demo_server.settings).session() as db:
            assert db.scalar(select(Request).where(Request.citizen_email == mail)) is None
        ref = confirm_by_mail(demo_server, client, mail)
    with Database(demo_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref))
        assert demande is not None and demande.citizen_email == mail and demande.channel == "web"
        assert db.scalar(select(PendingQuestion).where(PendingQuestion.email == mail)) is None


def test_the_reply_link_is_made_at_send_time_expires_and_is_never_cached(demo_server: LiveServer) -> None:
    question = "À quelle heure ouvre la mairie le samedi ?"
    mail = "lien.prive@exemple.fr"
    with mail_delivered(demo_server), citizen(demo_server) as client:
        token = form_token(client, question)
        time.sleep(2.1)
        send(client, question, mail, token)
        ref = confirm_by_mail(demo_server, client, mail)
    with Database(demo_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref))
        assert demande is not None
        rid = demande.id
    smtp = demo_server.smtp
    smtp.stop()
    with login(demo_server, "agent1") as agent:
        csrf = csrf_from(agent.get(f"/demandes/{rid}").text)
        text = "Bonjour, la mairie ouvre le samedi à 9 h. Cordialement."
        agent.post(f"/demandes/{rid}/reponse", data={"texte": text, "action": "valider", "csrf_token": csrf})
        for path in (f"/demandes/{rid}", "/demandes"):
            assert agent.get(path).headers["cache-control"] == "no-store", path
        api = agent.get(f"/api/v1/requests/{rid}", headers={"Authorization": "Bearer nope"})
        assert api.headers["cache-control"] == "no-store"
    deadline = time.monotonic() + 20
    failed = None
    while time.monotonic() < deadline and failed is None:
        with Database(demo_server.settings).session() as db:
            failed = db.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid, OutgoingMail.attempts > 0))
            body = failed.body if failed else ""
        time.sleep(0.3)
    assert failed is not None and failed.state != "envoye"
    assert outbox.LINK_SLOT in body and "/reponse/" not in body  # queued, SMTP down: no usable link stored
    with mail_delivered(demo_server):
        message = smtp.wait_for(lambda m: ref in str(m["Subject"]), timeout=60)
    link = re.search(r"http://127\.0\.0\.1:\d+(/reponse/[A-Za-z0-9_-]{40,})", body_of(message))
    assert link
    with citizen(demo_server) as client:
        shown = client.get(link.group(1))
        assert shown.status_code == 200 and "la mairie ouvre le samedi" in shown.text
        assert shown.headers["cache-control"] == "no-store"
        with Database(demo_server.settings).session() as db:
            kept = db.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid))
            assert kept is not None and kept.state == "envoye" and link.group(1) not in kept.body
            assert outbox.LINK_REMOVED in kept.body
            old = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)  # default validity: 30 days
            db.execute(update(ReplyLink).where(ReplyLink.request_id == rid).values(created_at=old))
        expired = client.get(link.group(1))
        assert expired.status_code == 404 and "plus valable" in expired.text


def test_a_get_of_the_draft_stream_changes_nothing(demo_server: LiveServer) -> None:
    saved = "Texte de l'agent, enregistré : il ne doit jamais être remplacé."
    with login(demo_server, "agent1") as agent:
        csrf = csrf_from(agent.get("/demandes/nouvelle").text)
        r = agent.post(
            "/demandes/nouvelle", data={"question": "Horaires de la mairie ?", "canal": "guichet", "csrf_token": csrf}
        )
        rid = int(r.headers["location"].rsplit("/", 1)[1])
        csrf = csrf_from(agent.get(f"/demandes/{rid}").text)
        agent.post(f"/demandes/{rid}/reponse", data={"texte": saved, "action": "enregistrer", "csrf_token": csrf})

        def versions() -> tuple[str, int]:
            with Database(demo_server.settings).session() as db:
                demande = db.get(Request, rid)
                assert demande is not None
                n = db.scalar(select(func.count(DraftVersion.id)).where(DraftVersion.request_id == rid))
                return demande.current_text, int(n or 0)

        before = versions()
        assert before[0] == saved
        # A cross-site top-level navigation carries the session cookie (SameSite=Lax) but no token.
        for query in ("", "?jeton=", "?jeton=" + "x" * 43):
            refused = agent.get(f"/demandes/{rid}/brouillon/flux{query}", headers={"Sec-Fetch-Site": "cross-site"})
            assert refused.status_code == 403 and "text/html" in refused.headers["content-type"], query
        assert versions() == before
        with Database(demo_server.settings).session() as db:
            demande = db.get(Request, rid)
            assert demande is not None
            valid = draft_stream.issue(db, demande)
            fresh = workflow.create_request(db, "Prix d'une carte de stationnement ?", "guichet", "agent1")
            fresh_id, fresh_token = fresh.id, draft_stream.issue(db, fresh)
        stream = agent.get(f"/demandes/{rid}/brouillon/flux?jeton={valid}")
        assert stream.status_code == 200 and "event: fin" in stream.text
        assert versions() == before  # even with its token, a stream never drafts over a saved text
        assert agent.get(f"/demandes/{rid}/brouillon/flux?jeton={valid}").status_code == 403  # used once
        drafted = agent.get(f"/demandes/{fresh_id}/brouillon/flux?jeton={fresh_token}")
        assert drafted.status_code == 200 and "event: fin" in drafted.text
    with Database(demo_server.settings).session() as db:
        demande = db.get(Request, fresh_id)
        assert demande is not None and demande.current_version == 1
