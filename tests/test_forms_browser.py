"""Every form of every role submitted in a real Chromium over ``demo_server`` (the demo corpus).

Each form once with valid input (the new state must show) and once with the likely mistakes (empty, too long, wrong
id): the answer is always a French HTML page, never raw JSON, never a 5xx, a 4xx only where intended, and then with
the reason announced (role=alert). Pages only reached by a form are inspected as in tests/test_pages_crawl.py.
"""

from __future__ import annotations

import email.message
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer, browser_login
from tests.page_checks import WIDE, flash, go, inspect_page, submit

# Questions the demo corpus answers, and one it cannot.
HOURS = "Quels sont les horaires d'ouverture de la mairie le samedi ?"
PARKING = "Mon voisin a construit un abri contre mon mur, est-ce que je peux contester ?"
STATE: dict[str, str] = {}  # what one test leaves for the next (the reference of the citizen's question)


@pytest.fixture
def citizen(browser: Browser) -> Iterator[Page]:
    """An anonymous visitor's page (French locale, no cookie)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": WIDE, "height": 900})
    yield context.new_page()
    context.close()


# --- citizens ------------------------------------------------------------------------------------------------------


def test_citizen_searches_the_faq(citizen: Page, demo_server: LiveServer) -> None:
    go(citizen, f"{demo_server.url}/faq")
    search = citizen.get_by_role("button", name="Rechercher")
    submit(citizen, search, fill={"Rechercher dans les questions fréquentes": "horaires de la mairie"})
    expect(citizen.get_by_role("heading", name="Résultats pour « horaires de la mairie »")).to_be_visible()
    expect(citizen.locator("section[aria-labelledby=resultats] article").first).to_be_visible()
    submit(citizen, search, empty=True, fill={"Rechercher dans les questions fréquentes": ""})
    expect(citizen.get_by_role("heading", name="Questions fréquentes", exact=True)).to_be_visible()
    submit(citizen, search, too_long={"q": 500}, status=422)  # refused next to the box, never cut
    expect(citizen.get_by_role("alert").first).to_contain_text("500 caractères pour 200 au plus")
    expect(citizen.get_by_role("heading", name=re.compile("^Résultats pour"))).to_have_count(0)


def _mail_body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _ask(page: Page, server: LiveServer, question: str) -> None:
    go(page, f"{server.url}/question")
    submit(page, page.get_by_role("button", name="Chercher une réponse"), fill={"Votre question": question})


def test_citizen_asks_sends_and_confirms_a_question(citizen: Page, demo_server: LiveServer) -> None:
    _ask(citizen, demo_server, HOURS)
    expect(citizen.locator("#reponse")).to_be_visible()
    problems = inspect_page(citizen, "habitant-question-reponse")
    go(citizen, f"{demo_server.url}/question")
    ask = citizen.get_by_role("button", name="Chercher une réponse")
    submit(citizen, ask, empty=True, fill={"Votre question": ""})
    expect(citizen.get_by_role("heading", name="Poser une question")).to_be_visible()
    go(citizen, f"{demo_server.url}/question")
    submit(citizen, ask, too_long={"q": 2100}, status=422)

    email = "Votre adresse électronique (pour recevoir la réponse)"
    send = citizen.get_by_role("button", name="Envoyer ma question")
    _ask(citizen, demo_server, PARKING)
    problems += inspect_page(citizen, "habitant-question-sans-reponse")
    submit(citizen, send, empty=True, fill={email: "x@"}, status=422)
    _ask(citizen, demo_server, PARKING)
    submit(citizen, send, too_long={"courriel": 500}, status=422)
    _ask(citizen, demo_server, PARKING)
    citizen.get_by_label(email).fill("voisin.mur@exemple.fr")
    citizen.get_by_label("J'accepte que la mairie conserve").check()
    citizen.wait_for_timeout(2100)  # a form sent back in under 2 seconds is taken for a robot's
    demo_server.smtp.start()
    try:
        submit(citizen, send)
        expect(citizen.get_by_role("heading", name="Confirmez votre adresse électronique")).to_be_visible()
        message = demo_server.smtp.wait_for(lambda m: m["To"] == "voisin.mur@exemple.fr")
    finally:
        demo_server.smtp.stop()  # from now on reply mails wait in the outbox
    link = next(w for w in _mail_body(message).split() if "/question/confirmer/" in w)
    confirm = citizen.get_by_role("button", name="Confirmer et envoyer à l'accueil")
    go(citizen, link)
    problems += inspect_page(citizen, "habitant-question-confirmer")
    citizen.locator("input[name=jeton]").evaluate("(e) => e.value = 'jeton-inconnu'")
    submit(citizen, confirm, status=(404, 410, 422))
    go(citizen, link)
    submit(citizen, confirm)
    expect(citizen.get_by_role("heading", name="Votre question a bien été envoyée")).to_be_visible()
    STATE["web_ref"] = citizen.locator("#reference").inner_text()
    problems += inspect_page(citizen, "habitant-question-envoyee")
    assert not problems, "\n".join(problems)


def test_citizen_wrong_links_give_french_pages(citizen: Page, demo_server: LiveServer) -> None:
    go(citizen, f"{demo_server.url}/reponse/jeton-inconnu", status=(404, 410))
    go(citizen, f"{demo_server.url}/faq/nulle-part", status=404)
    go(citizen, f"{demo_server.url}/page-inconnue", status=404)


def test_login_mistakes_then_login_and_logout(citizen: Page, demo_server: LiveServer) -> None:
    sign_in = citizen.get_by_role("button", name="Se connecter")
    go(citizen, f"{demo_server.url}/connexion")
    submit(citizen, sign_in, fill={"Identifiant": "agent1", "Mot de passe": "pas le bon"}, status=401)
    go(citizen, f"{demo_server.url}/connexion")
    submit(citizen, sign_in, empty=True, fill={"Identifiant": "", "Mot de passe": ""}, status=(401, 422))
    go(citizen, f"{demo_server.url}/connexion")
    submit(citizen, sign_in, too_long={"username": 5000, "password": 5000}, status=(401, 422))
    go(citizen, f"{demo_server.url}/connexion")
    citizen.get_by_label("Identifiant").fill("agent1")
    submit(citizen, sign_in, fill={"Mot de passe": demo_server.passwords["agent1"]})
    expect(citizen.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
    submit(citizen, citizen.get_by_role("button", name="Se déconnecter"))
    expect(citizen.get_by_role("heading", name="Connexion")).to_be_visible()


# --- agents --------------------------------------------------------------------------------------------------------


def test_closing_every_session_of_an_account(browser: Browser, demo_server: LiveServer) -> None:
    here, elsewhere = browser_login(browser, demo_server, "root"), browser_login(browser, demo_server, "root")
    close_all = here.get_by_role("button", name="Fermer toutes mes sessions")
    here.locator("form:has(button:text('Fermer toutes mes sessions')) input[name=csrf_token]").evaluate(
        "(e) => e.value = 'jeton-perime'"
    )
    submit(here, close_all, status=403)  # a stale page's token
    go(here, f"{demo_server.url}/demandes")
    submit(here, close_all)
    expect(here.get_by_role("heading", name="Connexion")).to_be_visible()
    elsewhere.goto(f"{demo_server.url}/demandes")
    expect(elsewhere.get_by_role("heading", name="Connexion")).to_be_visible()  # the other browser is out too
    here.context.close()
    elsewhere.context.close()


def _new_request(page: Page, server: LiveServer, question: str) -> None:
    go(page, f"{server.url}/demandes/nouvelle")
    submit(
        page,
        page.get_by_role("button", name="Enregistrer et rédiger un brouillon"),
        fill={"Question de l'usager": question},
    )
    expect(page.get_by_role("heading", name="Question")).to_be_visible()


def test_agent_registers_a_request(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    go(page, f"{demo_server.url}/demandes/nouvelle")
    create = page.get_by_role("button", name="Enregistrer et rédiger un brouillon")
    submit(page, create, empty=True, fill={"Question de l'usager": ""}, status=422)
    go(page, f"{demo_server.url}/demandes/nouvelle")
    submit(page, create, too_long={"question": 12_000}, status=422)  # refused, what was typed kept to shorten
    expect(page.get_by_role("alert").first).to_contain_text("rien n'a été enregistré")
    assert len(page.get_by_label("Question de l'usager", exact=True).input_value()) == 12_000
    _new_request(page, demo_server, HOURS)
    expect(page.locator("h1 .badge")).to_have_text("Brouillon prêt")
    STATE["open_id"] = page.url.rsplit("/", 1)[-1]
    page.context.close()


def test_agent_saves_and_validates_a_reply(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, HOURS)
    reply = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    text = reply.input_value()
    assert text.startswith("Bonjour,") and "[1]" in text  # a drafted reply citing its sources
    expect(page.locator(".source.cited mark").first).to_be_visible()
    expect(page.locator(".confidence meter")).to_be_visible()
    save = page.get_by_role("button", name="Enregistrer", exact=True)
    submit(page, save, fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": text + "\nÀ bientôt."})
    flash(page, "Texte enregistré.")
    submit(page, save, wrong_id=True, status=404)
    page.go_back()
    page.reload()
    validate = page.get_by_role("button", name="Valider la réponse")
    submit(page, validate, too_long={"texte": 30_000}, status=422)
    page.go_back()
    page.reload()
    submit(page, validate, fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": ""}, status=422)
    page.go_back()
    page.reload()
    submit(page, validate)
    flash(page, "Réponse validée.")
    expect(page.locator("h1 .badge")).to_have_text("Validée")
    expect(page.locator("pre.final")).to_contain_text("À bientôt.")
    STATE["validated_id"] = page.url.rsplit("/", 1)[-1]
    page.context.close()


def test_agent_reuses_a_validated_reply(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, HOURS)
    remembered = page.locator("pre.memory-text").first.inner_text()
    submit(page, page.get_by_role("button", name="Reprendre cette réponse").first)
    flash(page, "Réponse mémorisée reprise")
    reply = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    assert reply.input_value().strip() == remembered.strip()
    page.locator("input[name=memoire]").first.evaluate("(e) => e.value = '999999'")
    submit(page, page.get_by_role("button", name="Reprendre cette réponse").first, status=(404, 409, 422))
    page.context.close()


def _open(page: Page, summary: str, url: str | None = None) -> None:
    """Back on the request page (when ``url`` is given), with the folded form ``summary`` unfolded."""
    if url:
        page.goto(url)
    page.get_by_text(summary, exact=True).click()


def test_agent_rejects_and_transfers(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    collection = "Quels sont les jours de collecte des déchets ?"
    reject, fold = page.get_by_role("button", name="Rejeter", exact=True), "Rejeter le brouillon"
    _new_request(page, demo_server, collection)
    here = page.url
    _open(page, fold)
    submit(page, reject, wrong_id=True, status=404)
    _open(page, fold, here)
    page.get_by_label("Motif").select_option("autre")
    submit(page, reject, status=422)  # "autre" without saying which
    _open(page, fold, here)
    page.get_by_label("Motif").select_option("incomplet")
    submit(page, reject, fill={"#commentaire-rejet": "Il manque les tarifs."})
    flash(page, "Brouillon rejeté.")
    expect(page.locator("h1 .badge")).to_have_text("Rejetée")
    expect(page.get_by_role("cell", name="Brouillon rejeté")).to_be_visible()
    _new_request(page, demo_server, collection)
    _open(page, fold)
    submit(page, reject, too_long={"commentaire": 5000}, status=422)  # refused, never cut
    expect(page.get_by_role("alert").first).to_contain_text("rien n'a été enregistré")
    expect(page.locator("h1 .badge")).to_have_text("Brouillon prêt")

    transfer, fold = page.get_by_role("button", name="Transmettre"), "Transmettre à un service ou un collègue"
    _new_request(page, demo_server, collection)
    here = page.url
    _open(page, fold)
    submit(page, transfer, empty=True, fill={"Destinataire": ""}, status=422)
    _open(page, fold, here)
    submit(page, transfer, wrong_id=True, fill={"Destinataire": "Service enfance"}, status=404)
    _open(page, fold, here)
    submit(page, transfer, fill={"Destinataire": "Service enfance"})
    flash(page, "Demande transmise.")
    expect(page.locator("h1 .badge")).to_have_text("Transmise")
    expect(page.locator("p.meta").first).to_contain_text("transmise à Service enfance")
    _new_request(page, demo_server, collection)
    _open(page, fold)
    submit(page, transfer, too_long={"destinataire": 500}, status=422)  # refused, never cut
    expect(page.get_by_role("alert").first).to_contain_text("rien n'a été enregistré")
    expect(page.locator("h1 .badge")).to_have_text("Brouillon prêt")
    page.context.close()


def test_agent_regenerates_and_follows_up(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, "Quels documents pour refaire une carte d'identité ?")
    here = page.url
    regenerate = page.get_by_role("button", name="Régénérer le brouillon")
    page.locator("input[name=exclure]").first.check()
    submit(page, regenerate, wrong_id=True, status=404)
    page.goto(here)
    page.locator("input[name=exclure]").first.check()
    submit(page, regenerate)
    flash(page, "Nouveau brouillon généré.")
    expect(page.get_by_role("cell", name="Brouillon généré")).to_have_count(2)

    follow, fold = page.get_by_role("button", name="Poser la question"), "Question de suivi dans le même fil"
    _open(page, fold)
    submit(page, follow, empty=True, fill={"Question de suivi": ""}, status=422)
    _open(page, fold, here)
    submit(page, follow, wrong_id=True, fill={"Question de suivi": "et pour un passeport ?"}, status=404)
    _open(page, fold, here)
    submit(page, follow, too_long={"question": 12_000}, status=422)
    _open(page, fold, here)
    submit(page, follow, fill={"Question de suivi": "et pour un passeport ?"})
    expect(page.get_by_role("navigation", name="Fil de la demande")).to_contain_text("et pour un passeport ?")
    page.context.close()


def test_agent_filters_the_inbox_and_resends_a_reply_mail(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    filters = page.get_by_role("button", name="Filtrer")
    page.get_by_label("Canal").select_option("web")
    submit(page, filters)
    row = page.get_by_role("row").filter(has_text=STATE["web_ref"])
    expect(row).to_be_visible()
    page.locator("input[name=du]").evaluate("(e) => { e.type = 'text'; e.value = 'hier'; }")
    submit(page, filters)
    row = page.get_by_role("row").filter(has_text=STATE["web_ref"])
    row.get_by_role("link").first.click()
    reply = "Bonjour, le conciliateur de justice reçoit en mairie le mardi sur rendez-vous. Cordialement."
    submit(
        page,
        page.get_by_role("button", name="Valider la réponse"),
        fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": reply},
    )
    expect(page.locator("#mails tbody")).not_to_contain_text("Envoyé")  # the SMTP server is down
    resend = page.get_by_role("button", name="Renvoyer maintenant")
    here = page.url
    submit(page, resend, wrong_id=True, status=404)
    page.goto(here)
    # Asked while the SMTP server is still down: once it is up, the outbox's own retry could send the mail before the
    # click, which would then find nothing to resend (409). The resend starts the attempts over (next one in 1 s).
    submit(page, resend)
    flash(page, "Nouvel envoi du courriel demandé.")
    expect(page.locator("section[aria-labelledby=historique]")).to_contain_text("Envoi du courriel relancé")
    demo_server.smtp.start()
    try:
        deadline = time.monotonic() + 30
        while "Envoyé" not in page.locator("#mails tbody").inner_text() and time.monotonic() < deadline:
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator("#mails tbody")).to_contain_text("Envoyé")
        message = demo_server.smtp.wait_for(lambda m: reply in _mail_body(m) and "/reponse/" in _mail_body(m))
    finally:
        demo_server.smtp.stop()
    page.context.close()
    assert reply in _mail_body(message)
    link = next(w for w in _mail_body(message).split() if "/reponse/" in w)
    citizen = browser.new_context(locale="fr-FR")
    private = citizen.new_page()
    go(private, link)
    expect(private.locator("#reponse-validee")).to_have_text(reply)
    problems = inspect_page(private, "habitant-reponse-lien-prive")
    citizen.close()
    assert not problems, "\n".join(problems)


# --- supervisors ---------------------------------------------------------------------------------------------------


def test_supervisor_periods_and_evaluation(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "chef")
    for path in ("/supervision", "/supervision/lacunes", "/supervision/sources"):
        go(page, f"{demo_server.url}{path}")
        show = page.get_by_role("button", name="Afficher")
        page.get_by_label("Du").fill("2026-01-01")
        page.get_by_label("Au").fill("2026-01-31")
        submit(page, show)
        expect(page.get_by_text("Période affichée : du 01/01/2026 au 31/01/2026")).to_be_visible()
        page.get_by_label("Du").fill("2026-02-01")  # after the end
        submit(page, show, status=(200, 422))
        go(page, f"{demo_server.url}{path}")
        page.locator("input[name=au]").evaluate("(e) => { e.type = 'text'; e.value = 'n\\'importe quand'; }")
        submit(page, show, status=(200, 422))

    go(page, f"{demo_server.url}/supervision/evaluations")
    start = page.get_by_role("button", name="Lancer une évaluation")
    page.locator("select[name=jeu] option").first.evaluate("(o) => o.value = 'inconnu.jsonl'")
    submit(page, start, status=422)
    go(page, f"{demo_server.url}/supervision/evaluations")
    submit(page, page.get_by_role("button", name="Lancer une évaluation"))
    flash(page, "lancée.")
    expect(page.locator("#runs")).to_contain_text("mini.jsonl")
    page.context.close()


def test_supervisor_turns_a_proposal_from_validated_replies_into_a_draft_entry(
    browser: Browser, demo_server: LiveServer
) -> None:
    reply = (
        "Bonjour Monsieur,\n\nLa fourrière animale intercommunale garde un animal 8 jours avant de le proposer à "
        "l'adoption.\n\nCordialement,\nL'accueil de la mairie"
    )
    auth = {"Authorization": f"Bearer {demo_server.token}"}
    with httpx.Client(base_url=f"{demo_server.url}/api/v1", headers=auth, timeout=120) as api:
        for question in ("Où se trouve la fourrière animale ?", "Où est la fourrière animale ? Merci"):
            created = api.post("/requests", json={"question": question})
            assert created.status_code == 201, created.text
            assert api.post(f"/requests/{created.json()['id']}/validate", json={"text": reply}).status_code == 200
    page = browser_login(browser, demo_server, "chef")
    go(page, f"{demo_server.url}/supervision/faq")
    link = page.get_by_role("link", name="Propositions depuis les demandes validées")
    expect(link).to_have_attribute("href", f"{demo_server.url}/supervision/faq/propositions")
    go(page, f"{demo_server.url}/supervision/faq/propositions")
    proposal = page.locator("section.proposal", has_text="fourrière animale")
    expect(proposal).to_contain_text("Posée 2 fois ; 2 réponses validées concordantes")
    expect(proposal.locator("blockquote")).not_to_contain_text("Bonjour Monsieur")
    submit(page, proposal.get_by_role("button", name="Créer le brouillon de l'entrée"))
    flash(page, "Entrée de FAQ enregistrée (non publiée).")
    expect(page.get_by_label("Question", exact=True)).to_have_value(re.compile("fourrière animale"))
    expect(page.get_by_label("Autres formulations de la question (une par ligne)")).to_contain_text("fourrière")
    go(page, f"{demo_server.url}/supervision/faq/propositions")
    expect(page.locator("section.proposal", has_text="fourrière animale")).to_have_count(0)
    page.context.close()


def test_supervisor_writes_edits_and_publishes_a_faq_entry(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "chef")
    go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    save = page.get_by_role("button", name="Enregistrer")
    submit(page, save, empty=True, fill={"Question": "", "Réponse (texte vérifié, montré tel quel)": ""}, status=422)
    go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    sources = "Documents sources (identifiants, un par ligne)"
    fill = {"Question": "Où garer mon vélo ?", "Réponse (texte vérifié, montré tel quel)": "Devant la mairie."}
    submit(page, save, fill={**fill, sources: "document/inexistant"}, status=422)
    go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    submit(page, save, too_long={"question": 2000}, status=422)
    go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    submit(page, save, fill={**fill, "Thème": "Voirie"})
    flash(page, "Entrée de FAQ enregistrée (non publiée).")
    here = page.url

    variants = "Autres formulations de la question (une par ligne)"
    submit(
        page,
        page.get_by_role("button", name="Enregistrer"),
        fill={
            "Question": "Où garer mon vélo près de la mairie ?",
            variants: "Parking vélo mairie\nJe mets mon vélo où ?",
        },
    )
    flash(page, "Entrée modifiée.")
    expect(page.locator("#faq-history")).to_contain_text("Modifiée")
    expect(page.locator("#faq-history")).to_contain_text("Parking vélo mairie · Je mets mon vélo où ?")
    expect(page.get_by_label(variants)).to_have_value("Parking vélo mairie\nJe mets mon vélo où ?\n")
    submit(page, page.get_by_role("button", name="Enregistrer"), wrong_id=True, status=404)
    page.goto(here)
    submit(page, page.get_by_role("button", name="Publier"), status=422)  # no source yet
    expect(page.get_by_role("alert")).to_contain_text("au moins une source")
    page.goto(here)
    submit(
        page,
        page.get_by_role("button", name="Enregistrer"),
        fill={sources: "horaires-contacts/mairie-horaires-contacts"},
    )
    flash(page, "Entrée modifiée.")
    submit(page, page.get_by_role("button", name="Publier"))
    flash(page, "Entrée publiée")
    submit(page, page.get_by_role("button", name="Retirer de la FAQ publique"))
    flash(page, "Entrée retirée de la FAQ.")
    submit(page, page.get_by_role("button", name="Publier"), wrong_id=True, status=404)

    page.goto(f"{demo_server.url}/demandes/{STATE['validated_id']}")
    page.get_by_role("link", name="Proposer en FAQ").click()
    expect(page.get_by_label("Question", exact=True)).not_to_have_value("")
    submit(page, page.get_by_role("button", name="Enregistrer"))
    flash(page, "Entrée de FAQ enregistrée (non publiée).")
    page.context.close()
