"""A real headless Chromium (Debian's, driven by Playwright) through the agent's main flows.

Screenshots are kept in test-artifacts/ as test artefacts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import REPO_ROOT, LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium introuvable : lancez `make test` (qui installe le paquet Debian chromium).")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _login(browser: Browser, server: LiveServer, username: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page.goto(f"{server.url}/demandes")
    expect(page).to_have_url(f"{server.url}/connexion?suivant=/demandes")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(server.passwords[username])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
    return page


def _new_request(page: Page, question: str) -> None:
    page.get_by_role("link", name="Nouvelle demande").first.click()
    page.get_by_label("Question de l'usager").fill(question)
    page.get_by_label("Téléphone").check()
    page.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(page.get_by_role("heading", name="Question")).to_be_visible()


def test_agent_drafts_edits_and_validates(browser: Browser, live_server: LiveServer) -> None:
    page = _login(browser, live_server, "agent1")
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
    page = _login(browser, live_server, "agent1")
    _new_request(page, "Quel temps fera-t-il demain pour la brocante ?")
    expect(page.get_by_role("alert")).to_contain_text("Sources insuffisantes — à rédiger par l'agent")
    assert page.locator("article.source").count() >= 5
    draft = page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")
    assert draft.input_value() == ""
    draft.fill("Bonjour, nous ne disposons pas de prévisions météo ; la brocante est maintenue. Cordialement.")
    page.get_by_role("button", name="Valider la réponse").click()
    expect(page.get_by_text("Réponse validée.")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "04-abstention-validee.png", full_page=True)


def test_keyboard_only_login(browser: Browser, live_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/connexion")
    expect(page.get_by_label("Identifiant")).to_be_focused()  # autofocus on the first field
    page.keyboard.type("agent1")
    page.keyboard.press("Tab")
    page.keyboard.type(live_server.passwords["agent1"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Demandes", exact=True)).to_be_visible()
