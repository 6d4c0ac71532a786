"""Accessibility beyond axe (which tests/test_pages_crawl.py runs on every page): the keyboard alone is enough for an
agent's main flow, the focus is always visible, and a refused field is announced next to it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer, browser_login

QUESTION = "Quels sont les horaires d'ouverture de la mairie le samedi ?"


def _tab_to(page: Page, test: str, most: int = 80) -> None:
    """Press Tab until the focused element passes ``test`` (a JavaScript predicate on it), checking each focus shows."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = "document.activeElement"
        outline = page.evaluate(f"getComputedStyle({focused}).outlineStyle")
        assert outline != "none", page.evaluate(f"{focused}.outerHTML.slice(0, 200)")
        if page.evaluate(f"(e => {test})({focused})"):
            return
    raise AssertionError(f"aucun élément atteint au clavier : {test}")


def test_an_agent_logs_in_opens_and_validates_with_the_keyboard_alone(
    browser: Browser, demo_server: LiveServer
) -> None:
    auth = {"Authorization": f"Bearer {demo_server.token}"}
    with httpx.Client(base_url=demo_server.url, headers=auth, timeout=60) as api:
        created = api.post("/api/v1/requests", json={"question": QUESTION})
        assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{demo_server.url}/connexion")
    expect(page.get_by_label("Identifiant")).to_be_focused()
    page.keyboard.type("agent1")
    page.keyboard.press("Tab")
    page.keyboard.type(demo_server.passwords["agent1"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()

    _tab_to(page, f"e.tagName === 'A' && e.textContent.trim() === '{ref}'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Demande {ref}")).to_be_visible()
    _tab_to(page, "e.id === 'texte'")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nÀ votre service.")
    _tab_to(page, "e.tagName === 'BUTTON' && e.textContent.trim() === 'Valider la réponse'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Réponse validée.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Validée")
    expect(page.locator("pre.final")).to_contain_text("À votre service.")
    context.close()


def test_a_refused_field_is_announced_next_to_it(browser: Browser, demo_server: LiveServer) -> None:
    page = browser_login(browser, demo_server, "agent1")
    page.goto(f"{demo_server.url}/demandes/nouvelle")
    page.locator("form.card").evaluate("(f) => f.noValidate = true")
    page.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    field = page.get_by_label("Question de l'usager")
    expect(field).to_have_attribute("aria-invalid", "true")
    message = page.locator(f"#{field.get_attribute('aria-describedby')}")
    expect(message).to_have_attribute("role", "alert")
    expect(message).to_contain_text("vide")

    page.goto(f"{demo_server.url}/connexion")
    page.context.clear_cookies()
    page.goto(f"{demo_server.url}/connexion")
    page.get_by_label("Identifiant").fill("agent1")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    page.context.close()
