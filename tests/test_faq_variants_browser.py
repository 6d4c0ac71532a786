"""Variants proposed from the desk, on the page ``/supervision/faq/propositions`` of ``demo_server`` (the demo corpus,
the demo FAQ published): the form that adds them over HTTP (CSRF, nothing checked, added, refused) and in Chromium."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from server.core.desk.db import Database
from server.core.desk.tables import FaqEntry, FaqVersion
from tests.conftest import LiveServer, browser_login, csrf_from, login
from tests.page_checks import WRONG_ID, flash, go, submit

BULKY = "Comment faire enlever des encombrants ?"  # a demo entry, citing dechets/encombrants
REPLY = (
    "Bonjour,\n\nLa collecte des encombrants se fait sur rendez-vous, pris en mairie ou en ligne.\n\n"
    "Cordialement,\nL'accueil de la mairie"
)


def _entry(server: LiveServer) -> tuple[int, list[str], bool, int]:
    """The demo entry's id, variants, publication and number of versions, read from the server's base."""
    with Database(server.settings).session() as db:
        entry = db.scalars(select(FaqEntry).where(FaqEntry.question == BULKY)).one()
        versions = len(db.scalars(select(FaqVersion).where(FaqVersion.faq_id == entry.id)).all())
        return entry.id, list(entry.variants), entry.published, versions


def _validated(server: LiveServer, question: str) -> None:
    """A request asked at the desk and its reply validated, through the API (its draft cites what it found)."""
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=f"{server.url}/api/v1", headers=auth, timeout=120) as api:
        created = api.post("/requests", json={"question": question})
        assert created.status_code == 201, created.text
        assert api.post(f"/requests/{created.json()['id']}/validate", json={"text": REPLY}).status_code == 200


def test_adding_variants_over_http(demo_server: LiveServer) -> None:
    faq_id, variants, published, versions = _entry(demo_server)
    url = f"/supervision/faq/{faq_id}/variantes"
    phrasing = "Comment se débarrasser de mes encombrants ?"
    with login(demo_server, "chef") as chef:
        token = csrf_from(chef.get("/supervision/faq/propositions").text)
        for wrong, status in (({"csrf_token": "faux"}, 403), ({}, 422)):  # a wrong token, none at all
            refused = chef.post(url, data={**wrong, "variante": phrasing})
            assert refused.status_code == status and "csrf" in refused.text.lower(), (wrong, refused.text)
        assert _entry(demo_server) == (faq_id, variants, published, versions)

        nothing = chef.post(url, data={"csrf_token": token})
        assert (nothing.status_code, nothing.headers["location"]) == (303, "/supervision/faq/propositions")
        shown = chef.get("/supervision/faq/propositions").text
        assert "Aucune variante cochée : l&#39;entrée n&#39;a pas changé." in shown
        assert _entry(demo_server) == (faq_id, variants, published, versions)

        added = chef.post(url, data={"csrf_token": token, "variante": [phrasing, f" {phrasing.upper()} "]})
        assert (added.status_code, added.headers["location"]) == (303, f"/supervision/faq/{faq_id}")
        assert "1 variante ajoutée." in chef.get(added.headers["location"]).text
        assert _entry(demo_server) == (faq_id, [*variants, phrasing], published, versions + 1)

        again = chef.post(url, data={"csrf_token": token, "variante": phrasing})
        page = chef.get(again.headers["location"]).text
        assert "Aucune variante ajoutée. 1 formulation non ajoutée : déjà une formulation" in page
        assert _entry(demo_server) == (faq_id, [*variants, phrasing], published, versions + 1)

        gone = chef.post(f"/supervision/faq/{WRONG_ID}/variantes", data={"csrf_token": token, "variante": "x ?"})
        assert gone.status_code == 404 and f"Entrée de FAQ {WRONG_ID} introuvable." in gone.text


def test_supervisor_adds_a_proposed_variant_in_chromium(browser: Browser, demo_server: LiveServer) -> None:
    phrasing = "Comment prendre rendez-vous pour les encombrants ?"
    _validated(demo_server, phrasing)
    faq_id = _entry(demo_server)[0]
    page = browser_login(browser, demo_server, "chef")
    go(page, f"{demo_server.url}/supervision/faq/propositions")
    expect(page.locator("#variantes-proposees + p")).to_contain_text("reconnaît les façons dont les habitants")
    section = page.locator("section.variant-proposal", has_text=BULKY)
    expect(section.get_by_role("link", name=BULKY)).to_have_attribute(
        "href", f"{demo_server.url}/supervision/faq/{faq_id}"
    )
    expect(section).to_contain_text("(demandée 1 fois)")
    box = section.get_by_label(phrasing, exact=True)
    expect(box).not_to_be_checked()  # the supervisor chooses
    box.check()
    submit(page, section.get_by_role("button", name="Ajouter les variantes cochées"))
    flash(page, "1 variante ajoutée.")
    expect(page).to_have_url(f"{demo_server.url}/supervision/faq/{faq_id}")
    expect(page.get_by_label("Autres formulations de la question (une par ligne)")).to_have_value(
        re.compile(re.escape(phrasing))
    )
    go(page, f"{demo_server.url}/supervision/faq/propositions")
    expect(page.locator("section.variant-proposal", has_text=phrasing)).to_have_count(0)
    page.context.close()
