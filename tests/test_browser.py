"""A real headless Chromium (Debian's, driven by Playwright) through the agent's main flows.

Screenshots are kept in test-artifacts/ as test artefacts.
"""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.conftest import ARTIFACTS, LiveServer, browser_login


def _new_request(page: Page, question: str) -> None:
    page.get_by_role("link", name="Nouvelle demande").first.click()
    page.get_by_label("Question de l'usager").fill(question)
    page.get_by_label("Téléphone").check()
    page.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(page.get_by_role("heading", name="Question")).to_be_visible()


def test_agent_drafts_edits_and_validates(browser: Browser, live_server: LiveServer) -> None:
    page = browser_login(browser, live_server, "agent1")
    page.screenshot(path=ARTIFACTS / "01-boite-de-reception.png", full_page=True)
    _new_request(page, "Quels sont les horaires d'ouverture de la mairie le samedi ?")
    draft = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    text = draft.input_value()
    assert text.startswith("Bonjour,") and "[1]" in text
    expect(page.locator(".source.cited mark").first).to_be_visible()
    expect(page.locator(".confidence meter")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "02-demande-brouillon.png", full_page=True)
    page.screenshot(path=ARTIFACTS / "02-demande-brouillon-ecran.png")
    draft.fill(text.replace("Cordialement,", "Bonne journée,\nCordialement,"))
    page.get_by_role("button", name="Valider la réponse").click()
    expect(page.get_by_text("Réponse validée.")).to_be_visible()
    expect(page.locator(".badge.state-validee").first).to_be_visible()
    expect(page.locator("pre.final")).to_contain_text("Bonne journée,")
    expect(page.get_by_role("cell", name="Réponse validée")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "03-demande-validee.png", full_page=True)


def test_abstention_is_shown_with_the_nearest_sources(browser: Browser, live_server: LiveServer) -> None:
    page = browser_login(browser, live_server, "agent1")
    _new_request(page, "Quel temps fera-t-il demain pour la brocante ?")
    expect(page.get_by_role("alert")).to_contain_text("Sources insuffisantes — à rédiger par l'agent")
    assert page.locator("article.source").count() >= 5
    draft = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    assert draft.input_value() == ""
    draft.fill("Bonjour, nous ne disposons pas de prévisions météo ; la brocante est maintenue. Cordialement.")
    page.get_by_role("button", name="Valider la réponse").click()
    expect(page.get_by_text("Réponse validée.")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "04-abstention-validee.png", full_page=True)


def test_keyboard_onlybrowser_login(browser: Browser, live_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/connexion")
    expect(page.get_by_label("Identifiant")).to_be_focused()  # autofocus on the first field
    page.keyboard.type("agent1")
    page.keyboard.press("Tab")
    page.keyboard.type(live_server.passwords["agent1"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()


SUPERVISOR_PAGES = (
    ("Activité", "Supervision — activité de l'accueil", "10-supervision-activite.png"),
    ("Lacunes du corpus", "Supervision — lacunes du corpus", "11-supervision-lacunes.png"),
    ("Sources", "Supervision — sources", "12-supervision-sources.png"),
    ("Évaluations", "Supervision — évaluations", "13-supervision-evaluations.png"),
    ("FAQ", "Supervision — FAQ", "14-supervision-faq.png"),
)


def test_supervisor_opens_every_page(browser: Browser, live_server: LiveServer) -> None:
    agent = browser_login(browser, live_server, "agent1")
    _new_request(agent, "What are the opening hours of the swimming pool please?")
    agent.close()
    page = browser_login(browser, live_server, "chef")
    page.get_by_role("link", name="Supervision").click()
    for tab, heading, shot in SUPERVISOR_PAGES:
        page.get_by_role("navigation", name="Espace de supervision").get_by_role("link", name=tab).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
        page.screenshot(path=ARTIFACTS / shot, full_page=True)
        if tab == "Activité":
            assert int(page.locator("#kpi-requests").inner_text()) >= 1
            expect(page.locator("svg.chart").first).to_be_visible()
            page.screenshot(path=ARTIFACTS / "supervision-ecran.png")
        if tab == "Lacunes du corpus":
            expect(page.locator("#topics")).to_contain_text("swimming")


def test_citizen_faq_question_form_mail_and_private_link(browser: Browser, live_server: LiveServer) -> None:
    from sqlalchemy import select

    from server.core import faq
    from server.core.assistant import Assistant
    from server.core.db import Database
    from server.core.tables import Request
    from server.web.figures import indexed_docs

    with Database(live_server.settings).session() as db:
        sources = faq.sources_from(
            ["horaires-contacts/mairie-horaires-contacts"], indexed_docs(Assistant(live_server.settings))
        )
        entry = faq.create(
            db, "La mairie est-elle ouverte le samedi ?", "Oui, le samedi de 9 h à 12 h.", "Mairie", sources, "chef"
        )
        faq.set_published(db, entry, True, "chef")
    context = browser.new_context(locale="fr-FR", extra_http_headers={"X-Forwarded-For": "192.0.2.77"})
    page = context.new_page()
    page.goto(f"{live_server.url}/faq")
    page.get_by_label("Rechercher dans les questions fréquentes").fill("mairie ouverte samedi")
    page.get_by_role("button", name="Rechercher").click()
    results = page.get_by_role("region", name="Résultats pour « mairie ouverte samedi »")
    expect(results).to_contain_text("Oui, le samedi de 9 h à 12 h.")
    expect(results).to_contain_text("mise à jour le 2026-10-15")
    page.screenshot(path=ARTIFACTS / "20-faq-publique.png", full_page=True)

    question = "Mon voisin a construit un abri contre mon mur, est-ce que je peux contester ?"
    page.get_by_role("link", name="Poser une question").click()
    page.get_by_label("Votre question", exact=True).fill(question)
    page.get_by_role("button", name="Chercher une réponse").click()
    expect(
        page.get_by_role("heading", name="Nous n'avons pas trouvé de réponse fiable à cette question")
    ).to_be_visible()
    page.get_by_label("Votre adresse électronique (pour recevoir la réponse)").fill("voisin.mur@exemple.fr")
    page.get_by_label("J'accepte que la mairie conserve").check()
    page.screenshot(path=ARTIFACTS / "21-question-sans-reponse.png", full_page=True)
    page.wait_for_timeout(2100)
    page.get_by_role("button", name="Envoyer ma question").click()
    expect(page.get_by_role("heading", name="Votre question a bien été envoyée")).to_be_visible()
    ref = page.locator("#reference").inner_text()
    page.screenshot(path=ARTIFACTS / "22-confirmation.png", full_page=True)

    with Database(live_server.settings).session() as db:
        demande = db.scalar(select(Request).where(Request.ref == ref))
        assert demande is not None and demande.channel == "web"
        rid = demande.id
    agent = browser_login(browser, live_server, "agent1")
    agent.goto(f"{live_server.url}/demandes/{rid}")
    expect(agent.get_by_text("la réponse sera envoyée par courriel à voisin.mur@exemple.fr")).to_be_visible()
    reply = "Bonjour, le conciliateur de justice reçoit en mairie le mardi sur rendez-vous. Cordialement."
    agent.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)").fill(reply)
    agent.get_by_role("button", name="Valider la réponse").click()
    expect(agent.get_by_text("Réponse validée.")).to_be_visible()

    message = live_server.smtp.wait_for(lambda m: ref in str(m["Subject"]))
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode(message.get_content_charset() or "utf-8")
    assert reply in body
    link = next(line for line in body.splitlines() if "/reponse/" in line).strip()
    agent.reload()
    expect(agent.locator("#mails")).to_contain_text("Envoyé")
    page.goto(link)
    expect(page.locator("#reponse-validee")).to_have_text(reply)
    page.screenshot(path=ARTIFACTS / "23-reponse-lien-prive.png", full_page=True)
    context.close()
