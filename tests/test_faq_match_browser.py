"""The citizen's question box in a real Chromium over ``demo_server`` (the demo FAQ published, real e5 model): a
paraphrase with spelling slips finds its entry; a near miss on the place gets « Vouliez-vous dire… » or the form to
the town hall, never the close entry as its answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import LiveServer
from tests.page_checks import WIDE, go, submit

HOURS = "Quels sont les horaires d'ouverture de la mairie ?"  # config/faq-demo.json
FEE = "Combien coûte une carte d'identité ?"


@pytest.fixture
def citizen(browser: Browser) -> Iterator[Page]:
    """An anonymous visitor's page (French locale, no cookie)."""
    context = browser.new_context(locale="fr-FR", viewport={"width": WIDE, "height": 900})
    yield context.new_page()
    context.close()


def _ask(page: Page, server: LiveServer, question: str) -> None:
    go(page, f"{server.url}/question")
    submit(page, page.get_by_role("button", name="Chercher une réponse"), fill={"Votre question": question})


def test_a_paraphrase_with_a_slip_shows_its_entry(citizen: Page, demo_server: LiveServer) -> None:
    for question, entry in (
        ("la mairi elle ouvre a quelle heure le samedi ?", HOURS),
        ("c'est combien la carte d'identitée si on l'a perdue ?", FEE),
    ):
        _ask(citizen, demo_server, question)
        answer = citizen.locator("section.public-answer")
        expect(answer.get_by_role("heading", name="Réponse", exact=True)).to_be_visible()
        expect(answer.get_by_role("heading", name=entry)).to_be_visible()
        expect(answer.get_by_text("Réponse vérifiée par la mairie")).to_be_visible()


def test_a_near_miss_gets_suggestions_or_the_form_never_the_close_entry(citizen: Page, demo_server: LiveServer) -> None:
    for question in (
        "Quels sont les horaires de la mairie annexe ?",
        "Quels sont les horaires de la mairie de Valprée ?",
    ):
        _ask(citizen, demo_server, question)
        answer = citizen.locator("section.public-answer")
        expect(
            answer.get_by_role("heading", name="Nous n'avons pas trouvé de réponse fiable à cette question")
        ).to_be_visible()
        expect(answer.get_by_role("heading", name=HOURS)).to_have_count(0)
        offered = citizen.locator("#questions-proches")
        if offered.count():
            expect(offered.get_by_role("heading", name="Vouliez-vous dire…")).to_be_visible()
            assert offered.locator("summary").count() <= 3
        expect(citizen.get_by_role("button", name="Envoyer ma question")).to_be_visible()
