"""FAQ import and export from the supervision FAQ page in a real Chromium (server/web/routes/faq_files.py): a file
chosen with the file input, the report read on the page, the export downloaded, every control of both forms used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from server.web.app import create_app
from tests.browsing import NAVIGATIONS, collect_forms, unsubmitted
from tests.conftest import LiveServer, browser_login, settings_for
from tests.faq_server import BIRTH, HOURS, exported, faq_server
from tests.page_checks import go, inspect_page, submit

QUESTION = "Peut-on venir en mairie sans rendez-vous le samedi ?"
PAGE_QUESTION = "Combien de temps pour obtenir un acte de naissance ?"


@pytest.fixture(scope="module")
def server(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with faq_server(demo_data, tmp_path_factory.mktemp("faq-import-browser")) as live:
        yield live


def test_a_supervisor_imports_a_file_and_a_page_then_downloads_the_faq(
    browser: Browser, server: LiveServer, tmp_path: Path
) -> None:
    jsonl = tmp_path / "faq-commune.jsonl"
    jsonl.write_text(
        json.dumps({"question": QUESTION, "answer": "Oui, de 9 h à 12 h.", "sources": [HOURS]}, ensure_ascii=False)
        + "\n{pas du JSON\n",
        encoding="utf-8",
    )
    html = tmp_path / "faq-etat-civil.html"
    html.write_text(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>FAQ</title></head><body><main>'
        f"<details><summary>{PAGE_QUESTION}</summary><p>Il est délivré sur place.</p></details></main></body></html>",
        encoding="utf-8",
    )
    page = browser_login(browser, server, "chef")
    go(page, f"{server.url}/supervision/faq")
    forms = [f for f in collect_forms(page) if f.path.startswith(("/supervision/faq/importer", "/supervision/faq/exp"))]
    assert len(forms) == 2
    problems = inspect_page(page, "superviseur-faq-import-vide")
    importer = page.get_by_role("button", name="Importer le fichier", exact=True)

    page.get_by_label("Fichier à importer").set_input_files(jsonl)
    submit(page, importer)
    report = page.locator("#rapport-import")
    expect(report.get_by_role("heading", name="Rapport de l'import")).to_be_visible()
    expect(report).to_contain_text("Entrées ajoutées : 1 ;")
    expect(report.get_by_role("listitem").filter(has_text=QUESTION)).to_be_visible()
    expect(report).to_contain_text("Ligne 2 : JSON illisible")
    expect(report).to_contain_text("Entrées ajoutées ou mises à jour : publiées.")
    row = page.locator("#faq-entries tr").filter(has_text=QUESTION)
    expect(row).to_contain_text("Publiée")
    problems += inspect_page(page, "superviseur-faq-import-rapport")

    # A page without its own link: its source typed in, left as a draft.
    page.get_by_label("Fichier à importer").set_input_files(html)
    page.get_by_label("Source (lien ou document)").fill(BIRTH)
    page.get_by_label("Laisser les entrées en brouillon (ne rien publier)").check()
    submit(page, importer)
    expect(report).to_contain_text("Entrées ajoutées ou mises à jour : non publiées (brouillon).")
    expect(page.locator("#faq-entries tr").filter(has_text=PAGE_QUESTION)).to_contain_text("Non publiée")
    expect(page.get_by_label("Laisser les entrées en brouillon (ne rien publier)")).to_be_checked()

    page.get_by_label("Fichier à importer").set_input_files(html)  # its source left out, published: refused whole
    page.get_by_label("Source (lien ou document)").fill("")
    page.get_by_label("Laisser les entrées en brouillon (ne rien publier)").uncheck()
    submit(page, importer, status=422)
    expect(page.get_by_role("alert").first).to_contain_text("« Source (lien ou document) »")

    download_button = page.get_by_role("button", name="Télécharger")
    with page.expect_download() as published:
        download_button.click()
    assert published.value.suggested_filename == "faq-publiee.jsonl"
    got = Path(published.value.path()).read_bytes()
    assert got == exported(server, True, ".jsonl") and QUESTION in got.decode() and PAGE_QUESTION not in got.decode()

    page.get_by_label("toutes, non publiées comprises").check()
    page.get_by_label("CSV", exact=True).check()
    with page.expect_download() as everything:
        download_button.click()
    assert everything.value.suggested_filename == "faq-complete.csv"
    got = Path(everything.value.path()).read_bytes()
    assert got == exported(server, False, ".csv") and PAGE_QUESTION in got.decode()

    page.locator("#faq-entries").get_by_role("link", name=QUESTION).click()
    expect(page.get_by_role("heading", name="Historique")).to_be_visible()
    expect(page.locator("#faq-history")).to_contain_text("chef")
    page.close()

    app = create_app(settings_for(tmp_path / "routes"))
    assert unsubmitted(app, forms, NAVIGATIONS) == [], "a form of the import or export never submitted"
    assert not problems, "\n".join(problems)
