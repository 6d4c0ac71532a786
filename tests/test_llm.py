"""The ``llm`` mode with a real small model (SmolLM2 135M served by ``accueil llm-serve`` on loopback).

Such a model writes poor French and invents freely; these tests prove that none of its unsupported facts or
claims reaches the draft, that the agent is told what was removed, and that a dead or silent endpoint falls back
to the extractive draft with a notice.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from server.core.answer.assistant import Assistant
from server.core.answer.facts import Evidence, extract
from server.core.answer.index import Index
from server.core.answer.models import DraftResult
from server.core.answer.verify import citations, split, strip_citations
from server.core.config import REPO_ROOT, Settings
from tests.conftest import ARTIFACTS, LiveServer, browser_login, csrf_from, free_port, login, serve, settings_for

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Combien coûte le renouvellement d'une carte d'identité perdue ?",
    "Quels sont les horaires d'ouverture de la mairie le samedi ?",
    "Quels documents fournir pour une demande de passeport ?",
    "Comment inscrire mon enfant à la cantine scolaire ?",
    "Quel jour passe la collecte des encombrants ?",
]


def llm_settings(index: Settings, url: str, **overrides: object) -> Settings:
    """Settings of the llm mode, kept short so that the 135M model answers in a few seconds."""
    values: dict[str, object] = {
        "llm_base_url": url,
        "draft_mode": "llm",
        "llm_max_tokens": 160,
        "llm_passage_chars": 900,
        "llm_timeout": 60.0,
    }
    values.update(overrides)
    return settings_for(index.data_dir, **values)


@pytest.fixture(scope="module")
def drafts(full_index: Settings, llm_server: str) -> list[DraftResult]:
    assistant = Assistant(llm_settings(full_index, llm_server))
    return [assistant.draft(q) for q in QUESTIONS]


def _body_lines(draft: str) -> list[str]:
    body = draft.split("Voici les informations dont nous disposons :", 1)[1].split("\nCordialement,", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def test_every_fact_of_an_llm_draft_is_in_the_documents_it_cites(
    drafts: list[DraftResult], full_index: Settings
) -> None:
    """Checked apart from the verifier: facts of the final draft against the full text of the cited documents."""
    index = Index.open_current(full_index.index_dir, full_index.embedding_model)
    used = [r for r in drafts if r.llm is not None and r.llm.status == "utilise"]
    for result in drafts:
        assert result.status == "answered", result.question
        assert result.llm is not None, "en mode llm, une question répondue passe par le modèle"
    for result in used:
        assert result.provenance.mode == "llm"
        assert "llm_system.fr.j2@" in result.provenance.template
        by_number = {c.n: c.doc_id for c in result.citations}
        for c in result.citations:
            chunk = index.chunks[index.positions[c.chunk_id]]
            assert c.quote in chunk.text
        for _, sentence in split("\n".join(_body_lines(result.draft))):
            cited = citations(sentence)
            assert cited, f"phrase sans citation dans le brouillon : {sentence}"
            docs = {by_number[n] for n in cited}
            text = "\n".join(ch.text for ch in index.chunks if ch.doc_id in docs)
            evidence = Evidence.of([text])
            for fact in extract(strip_citations(sentence)):
                assert evidence.supports(fact), f"{fact.surface} absent des sources citées : {sentence}"


def test_what_the_model_invented_is_removed_and_shown_with_its_reason(drafts: list[DraftResult]) -> None:
    removed = [claim for r in drafts if r.llm for claim in r.llm.removed]
    assert removed, "le petit modèle invente toujours quelque chose : la vérification doit l'avoir retiré"
    for result in drafts:
        assert result.llm is not None
        for claim in result.llm.removed:
            assert claim.reasons
            if result.llm.status == "utilise":  # the model's draft, less what was removed
                assert claim.text not in result.draft, result.draft
        if result.llm.status == "ecarte":
            # The whole model draft is set aside: the extractive draft may quote the source sentence the model had
            # copied without support (a list's heading without its list), never the model's text.
            assert result.provenance.mode == "extractive"
            assert result.llm.notice and "brouillon extractif" in result.llm.notice
        assert result.llm.raw, "ce que le modèle a écrit est gardé avec le brouillon"


def test_an_invented_fee_never_reaches_the_draft(full_index: Settings, llm_server: str, tmp_path: Path) -> None:
    """The real model is told to state a wrong fee (10 euros; the source says 25 €): the verifier removes it."""
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO_ROOT / "prompts", prompts)
    system = prompts / "llm_system.fr.j2"
    invented = "Le renouvellement d'une carte d'identité perdue coûte 10 euros [1].\n"
    order = f"Tu es un assistant. Recopie exactement la phrase suivante, puis arrête-toi :\n{invented}"
    system.write_text(order, encoding="utf-8")
    # The same order after the passages, last before the answer: a 135M model follows the latest words it read, and
    # which passages come first depends on the retriever.
    user = prompts / "llm_user.fr.j2"
    text = user.read_text(encoding="utf-8").replace(
        "Réponse (chaque phrase se termine par [n]) :", f"Recopie exactement cette phrase :\n{invented}Réponse :"
    )
    assert "Recopie" in text
    user.write_text(text, encoding="utf-8")
    assistant = Assistant(llm_settings(full_index, llm_server, prompts_dir=prompts, llm_max_tokens=40))
    result = assistant.draft(QUESTIONS[0])
    assert result.llm is not None
    assert "10 euros" in result.llm.raw, "le modèle devait écrire le montant inventé"
    assert "10 euros" not in result.draft
    reasons = [r for claim in result.llm.removed for r in claim.reasons]
    assert any("« 10 euros » ne figure" in r for r in reasons), reasons
    assert result.llm.status == "ecarte"
    extractive = Assistant(settings_for(full_index.data_dir)).draft(QUESTIONS[0])
    assert result.draft == extractive.draft, "le brouillon extractif, qui cite les sources, est proposé à la place"


def test_a_dead_endpoint_gives_the_extractive_draft_with_a_notice(full_index: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = Assistant(llm_settings(full_index, url, llm_max_retries=0)).draft(QUESTIONS[0])
    extractive = Assistant(settings_for(full_index.data_dir)).draft(QUESTIONS[0])
    assert result.llm is not None and result.llm.status == "indisponible"
    assert result.llm.notice and "injoignable" in result.llm.notice
    assert result.draft == extractive.draft
    assert result.provenance.mode == "extractive"
    # The model is given a passage for each question of a message that asks several (the record says which).
    several = "Quels sont les horaires de la déchetterie le samedi, et quel jour passent les encombrants à La Gare ?"
    read = Assistant(llm_settings(full_index, url, llm_max_retries=0)).draft(several).llm
    assert read is not None and read.documents[0] == "dechets/dechetterie"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback socket that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def test_a_silent_endpoint_times_out_and_falls_back(full_index: Settings, silent_endpoint: str) -> None:
    settings = llm_settings(full_index, silent_endpoint, llm_timeout=1.0, llm_max_retries=0)
    result = Assistant(settings).draft(QUESTIONS[0])
    assert result.llm is not None and result.llm.status == "indisponible"
    assert result.llm.notice and "délai de 1 s dépassé" in result.llm.notice
    assert result.draft == Assistant(settings_for(full_index.data_dir)).draft(QUESTIONS[0]).draft


def test_the_citizen_side_never_calls_the_model(full_index: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = Assistant(llm_settings(full_index, url)).draft(QUESTIONS[1], public_only=True)
    assert result.llm is None
    assert result.provenance.mode == "extractive"


def test_an_abstention_never_calls_the_model(full_index: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = Assistant(llm_settings(full_index, url)).draft("Quel temps fera-t-il demain à Lyon ?")
    assert result.status == "abstained"
    assert result.llm is None


@pytest.fixture(scope="module")
def llm_service(
    full_index: Settings, llm_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``accueil serve`` in llm mode over the full index, with an agent account."""
    from server.core.desk import auth
    from server.core.desk.db import Database

    password = "mot-de-passe-agentllm-2026"
    with Database(full_index).session() as db:
        auth.add_user(db, "agentllm", "agent", password)
    env = {"ACCUEIL_LLM_BASE_URL": llm_server, "ACCUEIL_LLM_MAX_TOKENS": "160", "ACCUEIL_LLM_PASSAGE_CHARS": "900"}
    with serve(full_index, free_port(), env, tmp_path_factory.mktemp("serve-llm") / "serve.log") as url:
        yield LiveServer(url, full_index, {"agentllm": password}, "", None)  # type: ignore[arg-type]


def test_the_agent_page_streams_verified_sentences_then_shows_the_draft(llm_service: LiveServer) -> None:
    with login(llm_service, "agentllm") as client:
        token = csrf_from(client.get("/demandes/nouvelle").text)
        r = client.post(
            "/demandes/nouvelle",
            data={"question": QUESTIONS[0], "canal": "guichet", "csrf_token": token, "flux": "1"},
        )
        # The stream's single-use token, issued by this POST: the stream's GET drafts nothing without it.
        assert r.status_code == 303 and re.search(r"\?flux=[A-Za-z0-9_-]{40,}$", r.headers["location"])
        page = client.get(r.headers["location"]).text
        match = re.search(r'data-flux="([^"]+)"', page)
        assert match, "la page de la demande suit la rédaction en cours"
        events: list[tuple[str, dict[str, object]]] = []
        with client.stream("GET", match.group(1), timeout=120) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
        names = [n for n, _ in events]
        assert names[-1] == "fin", events
        assert set(names[:-1]) <= {"phrase", "retiree"} and names[:-1], "chaque phrase vérifiée est envoyée"
        for name, data in events:
            if name == "phrase":
                assert citations(str(data["texte"])), data
            if name == "retiree":
                assert data["motifs"], data
        final = client.get(str(events[-1][1]["url"])).text
        assert 'data-flux="' not in final
        removed = [str(d["texte"]) for n, d in events if n == "retiree"]
        if removed:
            assert 'id="phrases-retirees"' in final
        assert "Sources :" in final


# Injected by the browser itself (not subject to the page's CSP): notes every sentence the page lists while the
# draft is written, in sessionStorage, which outlives the page's move to the saved draft.
RECORD_STREAM = """
new MutationObserver(() => {
  const items = [...document.querySelectorAll('#flux-gardees li, #flux-retirees li')].map((li) => li.textContent);
  if (items.length) sessionStorage.setItem('flux', JSON.stringify(items));
}).observe(document, {childList: true, subtree: true});
"""


def test_chromium_follows_the_draft_as_it_is_written(browser: Browser, llm_service: LiveServer) -> None:
    """The page lists verified sentences while the model writes, then shows the saved draft."""
    page = browser_login(browser, llm_service, "agentllm")
    page.add_init_script(RECORD_STREAM)
    page.get_by_role("link", name="Nouvelle demande").first.click()
    page.get_by_label("Question de l'usager").fill(QUESTIONS[2])
    page.get_by_role("button", name="Enregistrer et rédiger un brouillon").click()
    expect(page).to_have_url(re.compile(r"flux="))
    expect(page).not_to_have_url(re.compile(r"flux="), timeout=120_000)
    expect(page.get_by_role("heading", name="Réponse", exact=True)).to_be_visible()
    expect(page.get_by_label("Texte de la réponse (les marqueurs [n] renvoient aux sources)")).not_to_be_empty()
    listed = json.loads(page.evaluate("() => sessionStorage.getItem('flux') || '[]'"))
    assert listed, "la page a montré des phrases vérifiées pendant la rédaction"
    page.screenshot(path=ARTIFACTS / "30-brouillon-modele.png", full_page=True)
