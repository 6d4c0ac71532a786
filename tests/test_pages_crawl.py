"""Every page, link and form in a real Chromium, for each role, over a real server on the demo corpus.

Each form is submitted once with valid input (the new state must show) and once with the likely mistakes (empty,
too long, wrong id): the answer is always a French HTML page, never raw JSON, never a 5xx, a 4xx only where intended.
Then every page reachable from the navigation is visited per role: axe-core finds no serious or critical violation,
it is photographed at 1280 and 390 px wide (test-artifacts/pages/) and does not scroll sideways at 390 px.
Last of the session, every form found on a page must have been submitted by some browser test.
"""

from __future__ import annotations

import ast
import email.message
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from server.web.app import create_app
from tests.browsing import (
    FORMS,
    NAVIGATIONS,
    assert_french_page,
    collect_forms,
    horizontal_overflow,
    route_name,
    serious_violations,
    unsubmitted,
)
from tests.conftest import ARTIFACTS, LiveServer, browser_login

PAGES = ARTIFACTS / "pages"
WIDE, NARROW = 1280, 390
WRONG_ID = 999999
TESTS = Path(__file__).resolve().parent
# Questions the demo corpus answers, and one it cannot.
HOURS = "Quels sont les horaires d'ouverture de la mairie le samedi ?"
PARKING = "Mon voisin a construit un abri contre mon mur, est-ce que je peux contester ?"
STATE: dict[str, str] = {}  # what one test leaves for the next (the reference of the citizen's question)


@pytest.fixture(scope="module")
def app(demo_server: LiveServer) -> FastAPI:
    """The application's routes, to name the route that each form posts to."""
    return create_app(demo_server.settings)


@pytest.fixture
def citizen(browser: Browser) -> Iterator[Page]:
    """An anonymous visitor's page (French locale, no cookie)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": WIDE, "height": 900})
    yield context.new_page()
    context.close()


def _go(page: Page, url: str, status: int | tuple[int, ...] = 200) -> Response:
    response = page.goto(url)
    assert response is not None
    assert_french_page(page, response, status=status)
    collect_forms(page)
    return response


def _submit(
    page: Page,
    button: Locator,
    *,
    status: int | tuple[int, ...] = 200,
    fill: dict[str, str] | None = None,
    empty: bool = False,
    too_long: dict[str, int] | None = None,
    wrong_id: bool = False,
) -> Response:
    """Fill and submit the form of ``button``, mistakes included on demand, and check the page that results.

    ``empty`` turns the browser's own checks off (``novalidate``) so that the server's answer is what is tested;
    ``too_long`` writes past each field's ``maxlength``; ``wrong_id`` makes the form post about a request or entry
    that does not exist.
    """
    form = button.locator("xpath=ancestor::form[1]")
    if button.get_attribute("form"):
        form = page.locator(f"form#{button.get_attribute('form')}")
    for label, value in (fill or {}).items():
        field = page.locator(label) if label.startswith("#") else page.get_by_label(label, exact=True)
        field.fill(value)
    form.evaluate(
        """(f, [empty, tooLong, wrongId, wrong]) => {
            if (empty) f.noValidate = true;
            for (const [name, n] of Object.entries(tooLong)) {
                const el = f.elements[name];
                el.removeAttribute("maxlength");
                el.value = "é".repeat(n);
            }
            const action = f.getAttribute("action");
            if (wrongId) f.setAttribute("action", action.replace(/\\/\\d+(?=\\/|$)/, "/" + wrong));
        }""",
        [empty or bool(too_long), too_long or {}, wrong_id, WRONG_ID],
    )
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    assert_french_page(page, response, status=status)
    collect_forms(page)
    if response.status >= 400:
        expect(page.get_by_role("alert").first).to_be_visible()
    return response


def _flash(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text).first).to_be_visible()


# --- citizens ------------------------------------------------------------------------------------------------------


def test_citizen_searches_the_faq(citizen: Page, demo_server: LiveServer) -> None:
    _go(citizen, f"{demo_server.url}/faq")
    search = citizen.get_by_role("button", name="Rechercher")
    _submit(citizen, search, fill={"Rechercher dans les questions fréquentes": "horaires de la mairie"})
    expect(citizen.get_by_role("heading", name="Résultats pour « horaires de la mairie »")).to_be_visible()
    expect(citizen.locator("section[aria-labelledby=resultats] article").first).to_be_visible()
    _submit(citizen, search, empty=True, fill={"Rechercher dans les questions fréquentes": ""})
    expect(citizen.get_by_role("heading", name="Questions fréquentes", exact=True)).to_be_visible()
    _submit(citizen, search, too_long={"q": 500})
    expect(citizen.get_by_role("heading", name=re.compile("^Résultats pour"))).to_be_visible()


def _mail_body(message: email.message.Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def _ask(page: Page, server: LiveServer, question: str) -> None:
    _go(page, f"{server.url}/question")
    _submit(page, page.get_by_role("button", name="Chercher une réponse"), fill={"Votre question": question})


def test_citizen_asks_sends_and_confirms_a_question(citizen: Page, demo_server: LiveServer) -> None:
    _ask(citizen, demo_server, HOURS)
    expect(citizen.locator("#reponse")).to_be_visible()
    problems = _inspect(citizen, "habitant-question-reponse")
    _go(citizen, f"{demo_server.url}/question")
    ask = citizen.get_by_role("button", name="Chercher une réponse")
    _submit(citizen, ask, empty=True, fill={"Votre question": ""})
    expect(citizen.get_by_role("heading", name="Poser une question")).to_be_visible()
    _go(citizen, f"{demo_server.url}/question")
    _submit(citizen, ask, too_long={"q": 2100}, status=422)

    email = "Votre adresse électronique (pour recevoir la réponse)"
    send = citizen.get_by_role("button", name="Envoyer ma question")
    _ask(citizen, demo_server, PARKING)
    problems += _inspect(citizen, "habitant-question-sans-reponse")
    _submit(citizen, send, empty=True, fill={email: "x@"}, status=422)
    _ask(citizen, demo_server, PARKING)
    _submit(citizen, send, too_long={"courriel": 500}, status=422)
    _ask(citizen, demo_server, PARKING)
    citizen.get_by_label(email).fill("voisin.mur@exemple.fr")
    citizen.get_by_label("J'accepte que la mairie conserve").check()
    citizen.wait_for_timeout(2100)  # a form sent back in under 2 seconds is taken for a robot's
    demo_server.smtp.start()
    try:
        _submit(citizen, send)
        expect(citizen.get_by_role("heading", name="Confirmez votre adresse électronique")).to_be_visible()
        message = demo_server.smtp.wait_for(lambda m: "/question/confirmer/" in _mail_body(m))
    finally:
        demo_server.smtp.stop()  # from now on reply mails wait in the outbox
    link = next(w for w in _mail_body(message).split() if "/question/confirmer/" in w)
    confirm = citizen.get_by_role("button", name="Confirmer et envoyer à l'accueil")
    _go(citizen, link)
    problems += _inspect(citizen, "habitant-question-confirmer")
    citizen.locator("input[name=jeton]").evaluate("(e) => e.value = 'jeton-inconnu'")
    _submit(citizen, confirm, status=(404, 410, 422))
    _go(citizen, link)
    _submit(citizen, confirm)
    expect(citizen.get_by_role("heading", name="Votre question a bien été envoyée")).to_be_visible()
    STATE["web_ref"] = citizen.locator("#reference").inner_text()
    problems += _inspect(citizen, "habitant-question-envoyee")
    assert not problems, "\n".join(problems)


def test_citizen_wrong_links_give_french_pages(citizen: Page, demo_server: LiveServer) -> None:
    _go(citizen, f"{demo_server.url}/reponse/jeton-inconnu", status=(404, 410))
    _go(citizen, f"{demo_server.url}/faq/nulle-part", status=404)
    _go(citizen, f"{demo_server.url}/page-inconnue", status=404)


def test_login_mistakes_then_login_and_logout(citizen: Page, demo_server: LiveServer) -> None:
    sign_in = citizen.get_by_role("button", name="Se connecter")
    _go(citizen, f"{demo_server.url}/connexion")
    _submit(citizen, sign_in, fill={"Identifiant": "agent1", "Mot de passe": "pas le bon"}, status=401)
    _go(citizen, f"{demo_server.url}/connexion")
    _submit(citizen, sign_in, empty=True, fill={"Identifiant": "", "Mot de passe": ""}, status=(401, 422))
    _go(citizen, f"{demo_server.url}/connexion")
    _submit(citizen, sign_in, too_long={"username": 5000, "password": 5000}, status=(401, 422))
    _go(citizen, f"{demo_server.url}/connexion")
    citizen.get_by_label("Identifiant").fill("agent1")
    _submit(citizen, sign_in, fill={"Mot de passe": demo_server.passwords["agent1"]})
    expect(citizen.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
    _submit(citizen, citizen.get_by_role("button", name="Se déconnecter"))
    expect(citizen.get_by_role("heading", name="Connexion")).to_be_visible()


# --- agents --------------------------------------------------------------------------------------------------------


def _login(page: Page, server: LiveServer, username: str) -> None:
    _go(page, f"{server.url}/connexion")
    page.get_by_label("Identifiant").fill(username)
    _submit(page, page.get_by_role("button", name="Se connecter"), fill={"Mot de passe": server.passwords[username]})
    page.close()


def _new_request(page: Page, server: LiveServer, question: str) -> None:
    _go(page, f"{server.url}/demandes/nouvelle")
    _submit(
        page,
        page.get_by_role("button", name="Enregistrer et rédiger un brouillon"),
        fill={"Question de l'usager": question},
    )
    expect(page.get_by_role("heading", name="Question")).to_be_visible()


def test_agent_registers_a_request(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _go(page, f"{demo_server.url}/demandes/nouvelle")
    create = page.get_by_role("button", name="Enregistrer et rédiger un brouillon")
    _submit(page, create, empty=True, fill={"Question de l'usager": ""}, status=422)
    _go(page, f"{demo_server.url}/demandes/nouvelle")
    _submit(page, create, too_long={"question": 12_000})  # kept (a pasted letter), without a draft
    _flash(page, "Demande enregistrée sans brouillon")
    _new_request(page, demo_server, HOURS)
    expect(page.locator("h1 .badge")).to_have_text("Brouillon prêt")
    STATE["open_id"] = page.url.rsplit("/", 1)[-1]
    page.context.close()


def test_agent_saves_and_validates_a_reply(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, HOURS)
    reply = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    text = reply.input_value()
    save = page.get_by_role("button", name="Enregistrer", exact=True)
    _submit(page, save, fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": text + "\nÀ bientôt."})
    _flash(page, "Texte enregistré.")
    _submit(page, save, wrong_id=True, status=404)
    page.go_back()
    page.reload()
    validate = page.get_by_role("button", name="Valider la réponse")
    _submit(page, validate, too_long={"texte": 30_000}, status=422)
    page.go_back()
    page.reload()
    _submit(page, validate, fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": ""}, status=422)
    page.go_back()
    page.reload()
    _submit(page, validate)
    _flash(page, "Réponse validée.")
    expect(page.locator("h1 .badge")).to_have_text("Validée")
    expect(page.locator("pre.final")).to_contain_text("À bientôt.")
    STATE["validated_id"] = page.url.rsplit("/", 1)[-1]
    page.context.close()


def test_agent_reuses_a_validated_reply(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, HOURS)
    remembered = page.locator("pre.memory-text").first.inner_text()
    _submit(page, page.get_by_role("button", name="Reprendre cette réponse").first)
    _flash(page, "Réponse mémorisée reprise")
    reply = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    assert reply.input_value().strip() == remembered.strip()
    page.locator("input[name=memoire]").first.evaluate("(e) => e.value = '999999'")
    _submit(page, page.get_by_role("button", name="Reprendre cette réponse").first, status=(404, 409, 422))
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
    _submit(page, reject, wrong_id=True, status=404)
    _open(page, fold, here)
    page.get_by_label("Motif").select_option("autre")
    _submit(page, reject, status=422)  # "autre" without saying which
    _open(page, fold, here)
    page.get_by_label("Motif").select_option("incomplet")
    _submit(page, reject, fill={"#commentaire-rejet": "Il manque les tarifs."})
    _flash(page, "Brouillon rejeté.")
    expect(page.locator("h1 .badge")).to_have_text("Rejetée")
    expect(page.get_by_role("cell", name="Brouillon rejeté")).to_be_visible()
    _new_request(page, demo_server, collection)
    _open(page, fold)
    _submit(page, reject, too_long={"commentaire": 5000})  # kept, cut at 2,000 characters
    expect(page.locator("h1 .badge")).to_have_text("Rejetée")

    transfer, fold = page.get_by_role("button", name="Transmettre"), "Transmettre à un service ou un collègue"
    _new_request(page, demo_server, collection)
    here = page.url
    _open(page, fold)
    _submit(page, transfer, empty=True, fill={"Destinataire": ""}, status=422)
    _open(page, fold, here)
    _submit(page, transfer, wrong_id=True, fill={"Destinataire": "Service enfance"}, status=404)
    _open(page, fold, here)
    _submit(page, transfer, fill={"Destinataire": "Service enfance"})
    _flash(page, "Demande transmise.")
    expect(page.locator("h1 .badge")).to_have_text("Transmise")
    expect(page.locator("p.meta").first).to_contain_text("transmise à Service enfance")
    _new_request(page, demo_server, collection)
    _open(page, fold)
    _submit(page, transfer, too_long={"destinataire": 500})  # kept, cut at 200 characters
    expect(page.locator("h1 .badge")).to_have_text("Transmise")
    page.context.close()


def test_agent_regenerates_and_follows_up(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    _new_request(page, demo_server, "Quels documents pour refaire une carte d'identité ?")
    here = page.url
    regenerate = page.get_by_role("button", name="Régénérer le brouillon")
    page.locator("input[name=exclure]").first.check()
    _submit(page, regenerate, wrong_id=True, status=404)
    page.goto(here)
    page.locator("input[name=exclure]").first.check()
    _submit(page, regenerate)
    _flash(page, "Nouveau brouillon généré.")
    expect(page.get_by_role("cell", name="Brouillon généré")).to_have_count(2)

    follow, fold = page.get_by_role("button", name="Poser la question"), "Question de suivi dans le même fil"
    _open(page, fold)
    _submit(page, follow, empty=True, fill={"Question de suivi": ""}, status=422)
    _open(page, fold, here)
    _submit(page, follow, wrong_id=True, fill={"Question de suivi": "et pour un passeport ?"}, status=404)
    _open(page, fold, here)
    _submit(page, follow, too_long={"question": 12_000}, status=(200, 422))
    _open(page, fold, here)
    _submit(page, follow, fill={"Question de suivi": "et pour un passeport ?"})
    expect(page.get_by_role("navigation", name="Fil de la demande")).to_contain_text("et pour un passeport ?")
    page.context.close()


def test_agent_filters_the_inbox_and_resends_a_reply_mail(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    filters = page.get_by_role("button", name="Filtrer")
    page.get_by_label("Canal").select_option("web")
    _submit(page, filters)
    row = page.get_by_role("row").filter(has_text=STATE["web_ref"])
    expect(row).to_be_visible()
    page.locator("input[name=du]").evaluate("(e) => { e.type = 'text'; e.value = 'hier'; }")
    _submit(page, filters)
    row = page.get_by_role("row").filter(has_text=STATE["web_ref"])
    row.get_by_role("link").first.click()
    reply = "Bonjour, le conciliateur de justice reçoit en mairie le mardi sur rendez-vous. Cordialement."
    _submit(
        page,
        page.get_by_role("button", name="Valider la réponse"),
        fill={"Texte de la réponse (les marqueurs [n] renvoient aux sources)": reply},
    )
    expect(page.locator("#mails tbody")).not_to_contain_text("Envoyé")  # the SMTP server is down
    resend = page.get_by_role("button", name="Renvoyer maintenant")
    here = page.url
    _submit(page, resend, wrong_id=True, status=404)
    page.goto(here)
    demo_server.smtp.start()
    try:
        _submit(page, resend)
        _flash(page, "Nouvel envoi du courriel demandé.")
        deadline = time.monotonic() + 30
        while "Envoyé" not in page.locator("#mails tbody").inner_text() and time.monotonic() < deadline:
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator("#mails tbody")).to_contain_text("Envoyé")
    finally:
        demo_server.smtp.stop()
    page.context.close()


# --- supervisors ---------------------------------------------------------------------------------------------------


def test_supervisor_periods_and_evaluation(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "chef")
    for path in ("/supervision", "/supervision/lacunes", "/supervision/sources"):
        _go(page, f"{demo_server.url}{path}")
        show = page.get_by_role("button", name="Afficher")
        page.get_by_label("Du").fill("2026-01-01")
        page.get_by_label("Au").fill("2026-01-31")
        _submit(page, show)
        expect(page.get_by_text("Période affichée : du 01/01/2026 au 31/01/2026")).to_be_visible()
        page.get_by_label("Du").fill("2026-02-01")  # after the end
        _submit(page, show, status=(200, 422))
        _go(page, f"{demo_server.url}{path}")
        page.locator("input[name=au]").evaluate("(e) => { e.type = 'text'; e.value = 'n\\'importe quand'; }")
        _submit(page, show, status=(200, 422))

    _go(page, f"{demo_server.url}/supervision/evaluations")
    start = page.get_by_role("button", name="Lancer une évaluation")
    page.locator("select[name=jeu] option").first.evaluate("(o) => o.value = 'inconnu.jsonl'")
    _submit(page, start, status=422)
    _go(page, f"{demo_server.url}/supervision/evaluations")
    _submit(page, page.get_by_role("button", name="Lancer une évaluation"))
    _flash(page, "lancée.")
    expect(page.locator("#runs")).to_contain_text("mini.jsonl")
    page.context.close()


def test_supervisor_writes_edits_and_publishes_a_faq_entry(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "chef")
    _go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    save = page.get_by_role("button", name="Enregistrer")
    _submit(page, save, empty=True, fill={"Question": "", "Réponse (texte vérifié, montré tel quel)": ""}, status=422)
    _go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    sources = "Documents sources (identifiants, un par ligne)"
    fill = {"Question": "Où garer mon vélo ?", "Réponse (texte vérifié, montré tel quel)": "Devant la mairie."}
    _submit(page, save, fill={**fill, sources: "document/inexistant"}, status=422)
    _go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    _submit(page, save, too_long={"question": 2000}, status=422)
    _go(page, f"{demo_server.url}/supervision/faq/nouvelle")
    _submit(page, save, fill={**fill, "Thème": "Voirie"})
    _flash(page, "Entrée de FAQ enregistrée (non publiée).")
    here = page.url

    _submit(
        page, page.get_by_role("button", name="Enregistrer"), fill={"Question": "Où garer mon vélo près de la mairie ?"}
    )
    _flash(page, "Entrée modifiée.")
    expect(page.locator("#faq-history")).to_contain_text("Modifiée")
    _submit(page, page.get_by_role("button", name="Enregistrer"), wrong_id=True, status=404)
    page.goto(here)
    _submit(page, page.get_by_role("button", name="Publier"), status=422)  # no source yet
    expect(page.get_by_role("alert")).to_contain_text("au moins une source")
    page.goto(here)
    _submit(
        page,
        page.get_by_role("button", name="Enregistrer"),
        fill={sources: "horaires-contacts/mairie-horaires-contacts"},
    )
    _flash(page, "Entrée modifiée.")
    _submit(page, page.get_by_role("button", name="Publier"))
    _flash(page, "Entrée publiée")
    _submit(page, page.get_by_role("button", name="Retirer de la FAQ publique"))
    _flash(page, "Entrée retirée de la FAQ.")
    _submit(page, page.get_by_role("button", name="Publier"), wrong_id=True, status=404)

    page.goto(f"{demo_server.url}/demandes/{STATE['validated_id']}")
    page.get_by_role("link", name="Proposer en FAQ").click()
    expect(page.get_by_label("Question", exact=True)).not_to_have_value("")
    _submit(page, page.get_by_role("button", name="Enregistrer"))
    _flash(page, "Entrée de FAQ enregistrée (non publiée).")
    page.context.close()


# --- every page, per role ------------------------------------------------------------------------------------------

SKIP = ("/static/", "/deconnexion", "/docs", "/openapi.json")


def _links(page: Page, origin: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "(els) => els.map((a) => a.href)")
    out = []
    for href in hrefs:
        url = href.split("#", 1)[0]
        if url.startswith(origin) and not urlsplit(url).path.startswith(SKIP):
            out.append(url)
    return out


def _photograph(page: Page, path: Path) -> None:
    """The whole page, or its first 12,000 × 4,000 px (Chromium cannot capture a larger image)."""
    width, height = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]")
    clip = {"x": 0, "y": 0, "width": min(width, 4_000), "height": min(height, 12_000)}
    page.screenshot(path=path, full_page=True, clip=clip)


def _inspect(page: Page, shot: str) -> list[str]:
    """axe, both screenshots, no sideways scrolling at 390 px: the problems found on the page (empty if none)."""
    PAGES.mkdir(parents=True, exist_ok=True)
    problems = [f"{page.url} : axe {v}" for v in serious_violations(page)]
    for toggle in page.locator("summary, button[type=button]").all():
        if toggle.is_visible():
            toggle.click()
    _photograph(page, PAGES / f"{shot}-{WIDE}.png")
    page.set_viewport_size({"width": NARROW, "height": 844})
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{page.url} : défilement horizontal de {overflow} px à {NARROW} px")
    _photograph(page, PAGES / f"{shot}-{NARROW}.png")
    page.set_viewport_size({"width": WIDE, "height": 900})
    return problems


def _crawl(context: BrowserContext, app: FastAPI, server: LiveServer, role: str, starts: list[str]) -> list[str]:
    """Visit every page reachable by links from ``starts``; returns the problems found (empty when all is well)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url} : erreur JavaScript {exc}"))
    problems: list[str] = []
    queue, seen = [server.url + s for s in starts], set()
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        name = route_name(app, "GET", parts.path) or parts.path
        key = (name, frozenset(parse_qs(parts.query)))
        if key in seen:
            continue
        seen.add(key)
        if name == "export_csv":
            r = context.request.get(url)
            if r.status != 200 or not r.headers["content-type"].startswith("text/csv"):
                problems.append(f"{url} : export {r.status} {r.headers.get('content-type')}")
            continue
        page.set_viewport_size({"width": WIDE, "height": 900})
        response = page.goto(url)
        try:
            assert_french_page(page, response)
        except AssertionError as exc:
            problems.append(f"{url} : {exc}")
            continue
        collect_forms(page)
        queue += _links(page, server.url)
        problems += _inspect(page, f"{role}-{name}{'-' + '-'.join(sorted(key[1])) if key[1] else ''}")
    page.close()
    return problems + errors


@pytest.mark.parametrize(
    ("role", "starts"),
    [
        (
            None,
            ["/faq", "/question", f"/question?q={HOURS}", f"/question?q={PARKING}", "/confidentialite", "/connexion"],
        ),
        ("agent1", ["/demandes"]),
        ("chef", ["/demandes", "/supervision"]),
        ("root", ["/demandes", "/supervision", "/admin/utilisateurs"]),
    ],
    ids=["habitant", "agent", "superviseur", "admin"],
)
def test_every_page_per_role(
    browser: Browser, demo_server: LiveServer, app: FastAPI, role: str | None, starts: list[str]
) -> None:
    context = browser.new_context(locale="fr-FR")
    if role is not None:
        _login(context.new_page(), demo_server, role)
    problems = _crawl(context, app, demo_server, role or "habitant", starts)
    context.close()
    print(f"\nCaptures d'écran : {PAGES}")
    assert not problems, "\n".join(problems)


# --- last of the session: every form found was submitted ------------------------------------------------------------


def _browser_tests_missing(session: pytest.Session) -> list[str]:
    """The tests of browser modules that this session did not select (empty when the whole browser set runs)."""
    selected = {(Path(str(item.path)).name, getattr(item, "originalname", item.name)) for item in session.items}
    missing = []
    for module in sorted(TESTS.glob("test_*.py")):
        source = module.read_text(encoding="utf-8")
        if "browser: Browser" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                if (module.name, node.name) not in selected:
                    missing.append(f"{module.name}::{node.name}")
    return missing


@pytest.mark.after_browser_tests
def test_every_form_found_was_submitted(request: pytest.FixtureRequest, app: FastAPI) -> None:
    missing = _browser_tests_missing(request.session)
    if missing:
        pytest.skip(f"seuls certains tests de navigateur tournent ({len(missing)} non choisis, dont {missing[0]})")
    assert len(FORMS) > 20 and len(NAVIGATIONS) > 50
    assert unsubmitted(app, FORMS, NAVIGATIONS) == []
