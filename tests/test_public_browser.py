"""The citizen pages in a real Chromium over ``demo_server``: every form of the question box submitted (search,
send, confirm), close FAQ entries shown before sending, near duplicates listed once, the message for a question
about one's own situation, and the address confirmed through the mail before the question reaches the desk."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from server.core.answer.assistant import Assistant
from server.core.desk import faq, public_stats
from server.core.desk.db import Database
from server.core.desk.public_stats import Outcome
from server.core.desk.tables import Request
from server.web.figures import indexed_docs
from tests.conftest import ARTIFACTS, LiveServer, browser_login
from tests.test_public_privacy import body_of, mail_delivered

FIRST = "Comment obtenir une attestation de Zorglub pour le marché ?"
TWIN = "Comment obtenir l'attestation Zorglub pour le marché ?"
FEE = "Quel est le tarif de l'attestation Zorglub ?"


def _publish(server: LiveServer) -> None:
    settings = server.settings
    sources = faq.sources_from(["horaires-contacts/mairie-horaires-contacts"], indexed_docs(Assistant(settings)))
    with Database(settings).session() as db:
        for question, answer in (
            (FIRST, "Demandez-la à l'accueil de la mairie, avec une pièce d'identité."),
            (TWIN, "L'attestation Zorglub se demande à l'accueil, avec une pièce d'identité."),
            (FEE, "L'attestation Zorglub est gratuite."),
        ):
            entry = faq.create(db, question, answer, "Marché", sources, "chef")
            faq.set_published(db, entry, True, "chef")


def test_a_citizen_sees_close_faq_entries_then_sends_and_confirms(browser: Browser, demo_server: LiveServer) -> None:
    _publish(demo_server)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.goto(f"{demo_server.url}/faq")
    page.get_by_label("Rechercher dans les questions fréquentes").fill("attestation Zorglub marché")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator("section[aria-labelledby=resultats]")
    expect(results.get_by_role("heading", name=FEE)).to_be_visible()
    twins = results.get_by_role("heading", name=FIRST).or_(results.get_by_role("heading", name=TWIN))
    expect(twins).to_have_count(1)  # the same question asked twice: listed once

    page.get_by_role("link", name="Poser une question").first.click()
    page.get_by_label("Votre question", exact=True).fill("Quel papier pour une attestation Zorglub au marché ?")
    page.get_by_role("button", name="Chercher une réponse").click()
    expect(page).to_have_url(f"{demo_server.url}/question")  # POSTed: the question is in no address
    close = page.locator("#questions-proches")
    expect(close.locator("summary")).not_to_have_count(0)
    assert close.locator("summary").count() <= 3
    expect(close.get_by_text(FEE)).to_be_visible()

    question = "Où en est mon dossier n° D-2026-000123 pour l'inscription de ma fille à la cantine ?"
    page.get_by_label("Votre question", exact=True).fill(question)
    page.get_by_role("button", name="Chercher une réponse").click()
    expect(page.locator("#situation-personnelle")).to_contain_text("un agent vous répondra sous 5 jours ouvrés")
    page.screenshot(path=ARTIFACTS / "public-situation-personnelle.png", full_page=True)

    mail = "parent.navigateur@exemple.fr"
    page.wait_for_timeout(2100)  # a person takes more than 2 seconds to fill the form
    page.get_by_label("Votre adresse électronique (pour recevoir la réponse)").fill(mail)
    page.get_by_label(re.compile("J'accepte que la mairie conserve ma question")).check()
    with mail_delivered(demo_server):
        page.get_by_role("button", name="Envoyer ma question").click()
        expect(page.get_by_role("heading", name="Confirmez votre adresse électronique")).to_be_visible()
        with Database(demo_server.settings).session() as db:
            assert db.scalar(select(Request).where(Request.citizen_email == mail)) is None
        message = demo_server.smtp.wait_for(lambda m: m["To"] == mail)
    link = re.search(r"http://127\.0\.0\.1:\d+/question/confirmer/[A-Za-z0-9_-]+", body_of(message))
    assert link
    page.goto(link.group(0))
    expect(page.get_by_text(question)).to_be_visible()
    page.get_by_role("button", name="Confirmer et envoyer à l'accueil").click()
    ref = page.locator("#reference")
    expect(ref).to_have_text(re.compile(r"D-\d{4}-\d{6}"))
    with Database(demo_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref.inner_text()))
        assert demande is not None and demande.citizen_email == mail and demande.question == question
        counted = public_stats.summary(db)
    page.close()

    # The supervisor sees the questions counted (the personal one refused), never their text.
    assert counted.totals[Outcome.REFUSED] >= 1
    chef = browser_login(browser, demo_server, "chef")
    chef.goto(f"{demo_server.url}/supervision/faq")
    table = chef.get_by_role("table", name="Résultat des questions posées sur la page publique")
    asked = table.get_by_role("row", name=re.compile("^Questions posées"))
    expect(asked.get_by_role("cell").first).to_have_text(str(counted.asked))
    refused = table.locator("#resultat-hors_champ")
    expect(refused.get_by_role("cell").first).to_have_text(str(counted.totals[Outcome.REFUSED]))
    expect(chef.get_by_text("le texte des questions posées n'est jamais enregistré")).to_be_visible()
    expect(chef.get_by_text(question)).to_have_count(0)
    chef.close()
