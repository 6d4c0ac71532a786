"""The agent's workspace and the supervisor space in a real Chromium, over a real server of the demo corpus (#18).

Every form these pages add is submitted here: pin, theme, set the draft aside, internal comment, reply with how it
was given and a callback number, and the evaluation form's confirmation.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent
from tests.conftest import ARTIFACTS, LiveServer, browser_login, login

REPLY_BOX = "Texte de la réponse (les marqueurs [n] renvoient aux sources)"


@pytest.fixture(scope="module")
def server(demo_server: LiveServer) -> LiveServer:
    """The demo-corpus server (fast to build; its corpus has internal documents and themes)."""
    return demo_server


@pytest.fixture
def agent(browser: Browser, server: LiveServer) -> Iterator[Page]:
    page = browser_login(browser, server, "agent1")
    yield page
    page.context.close()


def _new_request(page: Page, question: str, phone: str = "") -> int:
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Nouvelle demande").click()
    page.get_by_label("Question de l'usager").fill(question)
    page.get_by_label("Téléphone", exact=True).check()
    if phone:
        page.get_by_label("Numéro pour rappeler l'usager").fill(phone)
    page.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(page.get_by_role("heading", name="Question", exact=True)).to_be_visible()
    return int(page.url.rsplit("/", 1)[1].split("?")[0].split("#")[0])


def _trail(server: LiveServer, rid: int) -> list[AuditEvent]:
    with Database(server.settings).session() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.request_id == rid).order_by(AuditEvent.id)))


def test_abstention_reads_sources_insuffisantes_with_what_was_searched(agent: Page, server: LiveServer) -> None:
    question = "Quel temps fera-t-il demain pour la brocante ?"
    rid = _new_request(agent, question)
    expect(agent.get_by_role("heading", level=1)).to_contain_text("Sources insuffisantes")
    expect(agent.get_by_role("heading", level=1)).not_to_contain_text("Brouillon prêt")
    banner = agent.locator("#abstention")
    expect(banner.locator(".searched")).to_contain_text(question)
    assert banner.locator(".nearest li").count() >= 3
    box = agent.get_by_label(REPLY_BOX)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    agent.screenshot(path=ARTIFACTS / "30-abstention-sources-insuffisantes.png", full_page=True)

    # An empty reply: a French message next to the field, on the request page (not an error page).
    box.fill("   ")
    agent.get_by_role("button", name="Valider la réponse").click()
    expect(agent.locator("#texte-erreur")).to_contain_text("La réponse est vide")
    expect(agent.get_by_label(REPLY_BOX)).to_have_attribute("aria-invalid", "true")
    expect(agent.get_by_role("heading", name="Question", exact=True)).to_be_visible()

    agent.get_by_role("link", name="Demandes", exact=True).first.click()
    row = agent.get_by_role("row").filter(has=agent.get_by_role("link", name=f"D-2026-{rid:06d}"))
    expect(row).to_contain_text("Sources insuffisantes")


def test_internal_source_is_marked_and_never_validated(agent: Page, server: LiveServer) -> None:
    _new_request(agent, "Quel est le poste interne des services techniques ?")
    card = agent.locator("article.source.internal").first
    expect(card.locator(".badge.internal")).to_have_text("interne")
    typed = agent.get_by_label(REPLY_BOX).input_value()
    assert "[1]" in typed
    typed += "\nMerci de votre appel."
    agent.get_by_label(REPLY_BOX).fill(typed)
    agent.get_by_role("button", name="Valider la réponse").click()
    expect(agent.locator("#texte-erreur")).to_contain_text("document interne")
    expect(agent.get_by_label(REPLY_BOX)).to_have_value(typed.replace("\r\n", "\n"))
    expect(agent.locator("h1 .badge").first).not_to_have_text("Validée")
    agent.screenshot(path=ARTIFACTS / "31-source-interne-refusee.png", full_page=True)


def test_one_card_per_document_with_dates_and_quoted_passages(agent: Page, server: LiveServer) -> None:
    _new_request(agent, "Quels sont les horaires d'ouverture de la mairie le samedi ?")
    cards = agent.locator("article.source")
    titles = [t.strip() for t in cards.locator("h3").all_inner_texts()]
    assert len(titles) == len(set(titles)) >= 2
    first = cards.first
    expect(first).to_contain_text("Mis à jour le")
    expect(first).to_contain_text("à revoir le")
    assert first.locator(".quotes li").count() >= 2
    assert first.locator("details").count() >= 2  # its two cited passages, in one card


def test_agent_writes_own_reply_records_delivery_and_sees_the_diff(agent: Page, server: LiveServer) -> None:
    rid = _new_request(agent, "Combien coûte un passeport pour un adulte ?", phone="06 12 34 56 78")
    expect(agent.locator("p.meta").first).to_contain_text("rappeler l'usager au 06 12 34 56 78")
    draft = agent.get_by_label(REPLY_BOX).input_value()
    assert draft.startswith("Bonjour")
    agent.get_by_role("button", name="Écarter le brouillon et rédiger moi-même").click()
    expect(agent.get_by_text("Brouillon écarté : rédigez la réponse vous-même.")).to_be_visible()
    box = agent.get_by_label(REPLY_BOX)
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    box.fill("Bonjour,\nLe passeport d'un adulte coûte 86 euros en timbre fiscal.\nCordialement,")
    agent.get_by_label("Réponse remise par").select_option(label="Téléphone")
    agent.get_by_role("button", name="Valider la réponse").click()
    expect(agent.get_by_text("Réponse validée.")).to_be_visible()
    row = agent.get_by_role("row").filter(has=agent.get_by_role("cell", name="Réponse validée", exact=True))
    expect(row).to_contain_text("rédigée par l'agent")
    expect(row).to_contain_text("remise par Téléphone")
    row.get_by_text("Différences entre le brouillon et la réponse validée").click()
    expect(row.locator("pre.diff ins").first).to_contain_text("86 euros")
    expect(row.locator("pre.diff del").first).to_be_visible()
    agent.screenshot(path=ARTIFACTS / "32-reponse-redigee-par-l-agent.png", full_page=True)

    events = [e.action for e in _trail(server, rid)]
    assert "brouillon_ecarte" in events
    validated = [e for e in _trail(server, rid) if e.action == "validee"][0]
    assert validated.data["written_by_agent"] is True and validated.data["reply_via"] == "telephone"
    assert "06 12" not in str(validated.data)  # the number stays on the request only

    # Lists show the callback number masked.
    agent.get_by_role("link", name="Demandes", exact=True).first.click()
    inbox = agent.locator("table.list")
    expect(inbox).to_contain_text("06 •• •• •• 78")
    expect(inbox).not_to_contain_text("06 12 34 56 78")


def test_copy_and_print_the_reply(browser: Browser, server: LiveServer) -> None:
    page = browser_login(browser, server, "agent1")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    _new_request(page, "Quels sont les horaires d'ouverture de la mairie le samedi ?")
    text = page.get_by_label(REPLY_BOX).input_value()
    page.get_by_role("button", name="Copier la réponse").click()
    expect(page.get_by_text("Réponse copiée dans le presse-papiers.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == text
    page.emulate_media(media="print")
    expect(page.locator("#texte-imprime")).to_be_visible()
    expect(page.locator("#texte-imprime")).to_have_text(text)
    expect(page.locator("section.sources")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    page.context.close()


def test_copy_and_print_buttons_stay_hidden_without_javascript(browser: Browser, server: LiveServer) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{server.url}/connexion")
    page.get_by_label("Identifiant").fill("agent1")
    page.get_by_label("Mot de passe").fill(server.passwords["agent1"])
    page.get_by_role("button", name="Se connecter").click()
    _new_request(page, "Combien coûte une carte d'identité ?")
    expect(page.get_by_role("button", name="Copier la réponse")).to_be_hidden()
    expect(page.get_by_text("Pour copier : sélectionnez le texte puis Ctrl+C")).to_be_visible()
    context.close()


def test_pin_comment_and_theme_from_the_commune_list(agent: Page, server: LiveServer) -> None:
    rid = _new_request(agent, "Comment inscrire mon enfant à la cantine ?")
    ref = f"D-2026-{rid:06d}"
    _new_request(agent, "Où se trouve la déchetterie ?")  # newer: first in the inbox until the other is pinned

    agent.goto(f"{server.url}/demandes/{rid}")
    agent.get_by_role("button", name="Épingler en tête des demandes").click()
    expect(agent.get_by_text("Demande épinglée.")).to_be_visible()
    expect(agent.get_by_role("heading", level=1)).to_contain_text("Épinglée")

    agent.get_by_text("Commentaire interne (jamais envoyé à l'habitant)").first.click()
    agent.get_by_label("Commentaire pour les collègues").fill("Rappeler la famille après validation du quotient.")
    agent.get_by_role("button", name="Ajouter le commentaire").click()
    expect(agent.get_by_text("Commentaire interne ajouté.")).to_be_visible()
    expect(agent.locator(".internal-comment")).to_have_text("Rappeler la famille après validation du quotient.")

    theme = agent.get_by_label("Thème", exact=True)
    options = [o.strip() for o in theme.locator("option").all_inner_texts()]
    assert "État civil" in options and "Horaires et contacts" in options  # the demo corpus' themes
    theme.select_option(label="État civil")
    agent.get_by_role("button", name="Changer le thème").click()
    expect(agent.get_by_text("Thème enregistré.")).to_be_visible()

    agent.get_by_role("link", name="Demandes", exact=True).first.click()
    first_row = agent.locator("table.list tbody tr").first
    expect(first_row).to_contain_text(ref)
    expect(first_row).to_contain_text("Épinglée")
    agent.get_by_label("Thème").select_option(label="État civil")
    agent.get_by_role("button", name="Filtrer").click()
    rows = agent.locator("table.list tbody tr")
    expect(rows.first).to_contain_text(ref)
    for cell in rows.locator("td:nth-child(4)").all_inner_texts():
        assert cell.strip() == "État civil"
    agent.screenshot(path=ARTIFACTS / "34-boite-epinglee-par-theme.png", full_page=True)

    agent.goto(f"{server.url}/demandes/{rid}")
    agent.get_by_role("button", name="Désépingler").click()
    expect(agent.get_by_text("Demande désépinglée.")).to_be_visible()
    actions = [e.action for e in _trail(server, rid)]
    assert actions.count("epinglee") == 1 and "desepinglee" in actions and "commentaire_interne" in actions


def test_new_request_with_a_wrong_callback_number_keeps_what_was_typed(agent: Page, server: LiveServer) -> None:
    agent.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Nouvelle demande").click()
    agent.get_by_label("Question de l'usager").fill("Rappelez-moi pour ma carte grise")
    agent.get_by_label("Numéro pour rappeler l'usager").fill("pas un numéro")
    agent.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(agent.locator("#rappel-erreur")).to_contain_text("Numéro de rappel invalide")
    expect(agent.get_by_label("Question de l'usager")).to_have_value("Rappelez-moi pour ma carte grise")
    agent.get_by_label("Numéro pour rappeler l'usager").fill("")
    agent.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(agent.get_by_role("heading", name="Question", exact=True)).to_be_visible()
    # On the request page too: the wrong number is refused next to its field, the reply as typed is kept.
    agent.get_by_label(REPLY_BOX).fill("Bonjour,\nNous vous rappelons demain.")
    agent.get_by_label("Numéro pour rappeler l'usager").fill("12")
    agent.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(agent.locator("#rappel-erreur")).to_contain_text("Numéro de rappel invalide")
    expect(agent.get_by_label("Numéro pour rappeler l'usager")).to_have_attribute("aria-invalid", "true")
    expect(agent.get_by_label(REPLY_BOX)).to_have_value("Bonjour,\nNous vous rappelons demain.")


def test_supervisor_gaps_masked_and_split_evaluations_in_french(browser: Browser, server: LiveServer) -> None:
    with login(server, "agent1") as client:
        form = client.get("/demandes/nouvelle").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        question = "Appelez-moi au 06 98 76 54 32 : quelle est la météo pour la brocante de dimanche ?"
        r = client.post("/demandes/nouvelle", data={"question": question, "canal": "telephone", "csrf_token": token[1]})
        assert r.status_code == 303
    page = browser_login(browser, server, "chef")
    page.goto(f"{server.url}/supervision/lacunes")
    topics = page.locator("#topics")
    expect(topics).to_contain_text("brocante")
    expect(topics).not_to_contain_text("06 98 76 54 32")
    expect(topics).to_contain_text("[téléphone]")
    expect(page.get_by_role("columnheader", name="Source non trouvée")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Aucune source")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "35-lacunes-masquees.png", full_page=True)

    with login(server, "chef") as chef:
        r = chef.get("/supervision/export/lacunes-questions.csv", params={"du": "2026-01-01", "au": "2030-12-31"})
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0] == ["sujet", "référence", "date", "question", "issue", "détail"]
        assert "06 98 76 54 32" not in r.text

    page.goto(f"{server.url}/supervision/evaluations")
    options = page.get_by_label("Jeu de questions").locator("option").all_inner_texts()
    assert options and all("questions" in o for o in options)
    assert not any("pii" in o or "claims" in o or "memory" in o for o in options)
    expect(page.locator("#runs thead")).to_contain_text("Source trouvée (5 premières)")
    expect(page.locator("#runs thead")).not_to_contain_text("hit@5")


def test_activity_shows_confidence_deciles(browser: Browser, server: LiveServer) -> None:
    page = browser_login(browser, server, "chef")
    page.goto(f"{server.url}/supervision")
    table = page.locator("#confiance")
    expect(table.get_by_role("columnheader", name="Confiance")).to_be_visible()
    labels = [c.strip() for c in table.locator("tbody th").all_inner_texts()]
    assert labels[0] == "0,0 – 0,1" and labels[-1] == "0,9 – 1,0" and len(labels) == 10


def test_a_long_evaluation_asks_for_confirmation_first(browser: Browser, server: LiveServer) -> None:
    folder = server.settings.data_dir.parent / "eval-datasets"
    line = {"id": "q0", "question": "Horaires de la mairie ?", "expect": "answer"}
    big = folder / "grand.jsonl"
    big.write_text("\n".join(json.dumps({**line, "id": f"q{i}"}) for i in range(300)) + "\n", encoding="utf-8")

    def runs() -> list[str]:
        return sorted(p.name for p in (server.settings.data_dir / "evals").glob("*"))

    before = runs()
    try:
        page = browser_login(browser, server, "chef")
        page.goto(f"{server.url}/supervision/evaluations")
        expect(page.locator("#duree")).to_contain_text("« grand » prend environ 3 min")
        page.get_by_label("Jeu de questions").select_option(label="grand — 300 questions (environ 3 min)")
        page.get_by_role("button", name="Lancer une évaluation").click()
        expect(page.locator("#jeu-erreur")).to_contain_text("cochez la case de confirmation")
        expect(page.get_by_label("Jeu de questions")).to_have_value("grand.jsonl")
        assert runs() == before  # nothing started
        page.close()
    finally:
        big.unlink()
