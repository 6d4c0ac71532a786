"""The citizen side over a real server and a real SMTP server: FAQ, question box, form, mail, private link."""

from __future__ import annotations

import email.message
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

import httpx
from sqlalchemy import select

from server.core.answer.assistant import Assistant
from server.core.answer.reasons import AbstainReason
from server.core.desk import faq, public_answer
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, OutgoingMail, Request
from server.web.figures import indexed_docs
from tests.conftest import LiveServer, csrf_from, login

OUT_OF_SCOPE = "Mon voisin a coupé ma haie sans me demander, est-ce que je peux porter plainte ?"
_ips = count(10)


@contextmanager
def citizen(server: LiveServer) -> Iterator[httpx.Client]:
    """An anonymous visitor with an address of its own (uvicorn reads X-Forwarded-For from loopback)."""
    ip = f"198.51.100.{next(_ips)}"
    with httpx.Client(base_url=server.url, timeout=60, headers={"X-Forwarded-For": ip}) as client:
        yield client


def _token(html: str) -> str:
    match = re.search(r'name="jeton" value="([^"]+)"', html)
    assert match, "pas de jeton de formulaire"
    return match.group(1)


def _send(
    client: httpx.Client, question: str, mail: str, server: LiveServer | None = None, **extra: str
) -> httpx.Response:
    """Ask, send to the desk and, given the ``server``, confirm the address through the mail (the page with the
    reference); without it, the page that asks to confirm."""
    token = _token(client.post("/question", data={"q": question}).text)
    time.sleep(2.1)  # a person takes longer than 2 seconds to fill the form
    data = {"question": question, "courriel": mail, "jeton": token, "consentement": "true", **extra}
    sent = client.post("/question/envoyer", data=data)
    if server is None or sent.status_code != 200:
        return sent
    message = server.smtp.wait_for(lambda m: m["To"] == mail and "Confirmez" in str(m["Subject"]))
    link = re.search(r"/question/confirmer/([A-Za-z0-9_-]{40,})", _body(message))
    assert link
    return client.post("/question/confirmer", data={"jeton": link.group(1)})


def _body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def test_public_pages_set_no_cookie_and_send_security_headers(live_server: LiveServer) -> None:
    with citizen(live_server) as client:
        for path in ("/faq", "/question", "/question?q=horaires+de+la+mairie", "/confidentialite"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert "set-cookie" not in r.headers, path
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert "<script" not in r.text  # no script at all, first-party or not
            external = re.findall(r'(?:src|href)="(https?://[^"]+)"', r.text.split("<main", 1)[0])
            assert all(u.startswith(live_server.url) for u in external), external
        privacy = client.get("/confidentialite").text
        assert "365 jours" in privacy and "seules restent des statistiques" in privacy  # purge keeps no text (#19)
        missing = client.get("/reponse/" + "x" * 43)
        assert missing.status_code == 404 and "Ce lien de réponse n&#39;existe pas" in missing.text


def test_faq_entry_is_shown_while_published_only(live_server: LiveServer) -> None:
    settings = live_server.settings
    with Database(settings).session() as db:
        docs = indexed_docs(Assistant(settings))
        sources = faq.sources_from(["horaires-contacts/mairie-horaires-contacts"], docs)
        entry = faq.create(
            db,
            "À quelle heure ferme la mairie le jeudi ?",
            "Le jeudi, la mairie ferme à 19 h.",
            "Mairie",
            sources,
            "chef",
        )
        faq.set_published(db, entry, True, "chef")
        entry_id = entry.id
    with citizen(live_server) as client:
        page = client.get("/faq").text
        assert "À quelle heure ferme la mairie le jeudi ?" in page and "mise à jour le 2026-10-15" in page
        found = client.get("/faq", params={"q": "heure fermeture mairie jeudi"}).text
        assert "Résultats pour" in found and f'id="faq-{entry_id}"' in found.split("Résultats pour", 1)[1]
        asked = client.post("/question", data={"q": "À quelle heure ferme la mairie le jeudi ?"}).text
        assert "Réponse vérifiée par la mairie" in asked and "la mairie ferme à 19 h" in asked
        with Database(settings).session() as db:
            entry = faq.get(db, entry_id)
            faq.set_published(db, entry, False, "chef")
        assert "À quelle heure ferme la mairie le jeudi ?" not in client.get("/faq").text
        again = client.post("/question", data={"q": "À quelle heure ferme la mairie le jeudi ?"}).text
        assert "Réponse vérifiée par la mairie" not in again


def test_question_without_reliable_answer_reaches_the_desk_and_the_reply_is_mailed(live_server: LiveServer) -> None:
    with citizen(live_server) as client:
        page = client.post("/question", data={"q": OUT_OF_SCOPE}).text
        assert "Nous n'avons pas trouvé de réponse fiable à cette question" in page
        assert "01 99 00 10 00" in page and 'name="consentement"' in page
        r = _send(client, OUT_OF_SCOPE, "habitante.haie@exemple.fr", live_server)
        assert r.status_code == 200, r.text
        ref = re.search(r'id="reference">([^<]+)<', r.text)
        assert ref
    with Database(live_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref.group(1)))
        assert demande is not None and demande.channel == "web" and demande.state == "brouillon_pret"
        assert demande.citizen_email == "habitante.haie@exemple.fr"
        rid = demande.id
    reply = "Bonjour, le conciliateur de justice tient une permanence en mairie le mardi. Cordialement."
    with login(live_server, "agent1") as agent:
        page = agent.get(f"/demandes/{rid}").text
        assert "la réponse sera envoyée par courriel à habitante.haie@exemple.fr" in page
        token = csrf_from(page)
        agent.post(f"/demandes/{rid}/reponse", data={"texte": reply, "action": "valider", "csrf_token": token})
    message = live_server.smtp.wait_for(lambda m: ref.group(1) in str(m["Subject"]))
    assert message["To"] == "habitante.haie@exemple.fr"
    body = _body(message)
    assert reply in body and OUT_OF_SCOPE in body
    link = re.search(r"(http://127\.0\.0\.1:\d+/reponse/[A-Za-z0-9_-]{40,})", body)
    assert link
    with citizen(live_server) as client:
        shown = client.get(link.group(1).split(live_server.url, 1)[1]).text
        assert reply in shown and OUT_OF_SCOPE.replace("'", "&#39;") in shown
    with Database(live_server.settings).session() as db:
        kept = db.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid))
        assert kept is not None and kept.state == "envoye" and kept.attempts == 1
        assert link.group(1) not in kept.body  # the kept copy has no usable link
        actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.request_id == rid))]
        assert actions[-2:] == ["courriel_en_attente", "courriel_envoye"] or "courriel_envoye" in actions


def test_the_form_refuses_robots_and_bad_input(live_server: LiveServer) -> None:
    question = "Quels papiers pour inscrire mon enfant à la cantine ?"
    with citizen(live_server) as client:
        token = _token(client.post("/question", data={"q": question}).text)
        base = {"question": question, "courriel": "parent.cantine@exemple.fr", "jeton": token, "consentement": "true"}
        assert client.post("/question/envoyer", data=base).status_code == 422  # sent at once: a robot
        time.sleep(2.1)
        assert client.post("/question/envoyer", data={**base, "consentement": ""}).status_code in (422,)
        assert client.post("/question/envoyer", data={**base, "courriel": "pas-une-adresse"}).status_code == 422
        assert client.post("/question/envoyer", data={**base, "jeton": token[:-3] + "abc"}).status_code == 422
        trap = client.post("/question/envoyer", data={**base, "courriel": "robot@exemple.fr", "site_web": "x"})
        assert trap.status_code == 200 and 'id="reference"' not in trap.text
        assert client.post("/question/envoyer", data={**base, "question": "x" * 5000}).status_code == 422
    with Database(live_server.settings).session() as db:
        assert db.scalar(select(Request).where(Request.citizen_email == "robot@exemple.fr")) is None
    with citizen(live_server) as client:
        for _ in range(3):
            assert _send(client, question, "limite.heure@exemple.fr").status_code == 200
        refused = _send(client, question, "LIMITE.heure@exemple.fr")
        assert refused.status_code == 429 and "plusieurs questions cette heure-ci" in refused.text


def test_public_pages_are_rate_limited_per_client(live_server: LiveServer) -> None:
    with citizen(live_server) as client:
        codes = [client.get("/confidentialite").status_code for _ in range(61)]
        assert codes[:60] == [200] * 60 and codes[60] == 429
        r = client.get("/faq")
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "Trop de requêtes" in r.text
    with citizen(live_server) as other:
        assert other.get("/faq").status_code == 200


def test_a_reply_is_kept_and_retried_while_the_smtp_server_is_down(live_server: LiveServer) -> None:
    smtp = live_server.smtp
    with citizen(live_server) as client:
        r = _send(client, "Où déposer un vieux matelas ?", "matelas@exemple.fr", live_server)
        ref = re.search(r'id="reference">([^<]+)<', r.text)
        assert ref
    with Database(live_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref.group(1)))
        assert demande is not None
        rid = demande.id
    smtp.stop()
    try:
        with login(live_server, "agent1") as agent:
            token = csrf_from(agent.get(f"/demandes/{rid}").text)
            text = "Bonjour, la déchetterie reprend les matelas. Cordialement."
            agent.post(f"/demandes/{rid}/reponse", data={"texte": text, "action": "valider", "csrf_token": token})
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                page = agent.get(f"/demandes/{rid}").text
                if "Envoi impossible" in page:
                    break
                time.sleep(0.5)
            assert "En attente d&#39;envoi" in page and "Envoi impossible" in page and "Renvoyer maintenant" in page
    finally:
        smtp.start()
    message = smtp.wait_for(lambda m: ref.group(1) in str(m["Subject"]), timeout=60)
    assert "la déchetterie reprend les matelas" in _body(message)
    with Database(live_server.settings).session() as db:
        mail = db.scalar(select(OutgoingMail).where(OutgoingMail.request_id == rid))
        assert mail is not None and mail.state == "envoye" and mail.attempts >= 2
        failures = db.scalars(
            select(AuditEvent).where(AuditEvent.request_id == rid, AuditEvent.action == "courriel_echec")
        ).all()
        assert failures and "Envoi impossible" in failures[0].data["error"]


def test_public_answers_are_only_verbatim_public_extracts(live_server: LiveServer) -> None:
    assistant = Assistant(live_server.settings)
    index = assistant.index()
    found = public_answer.candidate(assistant, "Combien coûte une carte d'identité en cas de perte ?")
    assert found.extracts and not found.reason
    for extract in found.extracts:
        assert any(c.audience == "public" and extract.quote in c.text for c in index.chunks)
    assert public_answer.candidate(assistant, OUT_OF_SCOPE).reason == AbstainReason.DISPUTE
    internal = [c for c in index.chunks if c.audience != "public"]
    assert internal, "le corpus de démonstration a des documents internes"
    assert all(e.doc_id not in {c.doc_id for c in internal} for e in found.extracts)
    shown = found.decide(2.0)
    assert shown.kind == "aucune" and shown.reason == AbstainReason.LOW_CONFIDENCE
