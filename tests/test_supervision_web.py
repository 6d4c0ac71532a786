"""The supervisor space over a real server: roles, figures from real requests, CSV, FAQ curation, evaluation runs,
and the weekly summary written by the CLI."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from server.core.desk import activity
from server.core.desk.db import Database
from server.core.desk.period import Period
from tests.conftest import REPO_ROOT, LiveServer, csrf_from, login

PAGES = (
    "/supervision",
    "/supervision/lacunes",
    "/supervision/sources",
    "/supervision/evaluations",
    "/supervision/faq",
    "/supervision/faq/nouvelle",
)


def _kpi(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def _validated_request(client: httpx.Client, question: str) -> str:
    token = csrf_from(client.get("/demandes/nouvelle").text)
    r = client.post("/demandes/nouvelle", data={"question": question, "canal": "telephone", "csrf_token": token})
    rid = r.headers["location"].rsplit("/", 1)[1]
    page = client.get(f"/demandes/{rid}").text
    draft = re.search(r'<textarea id="texte"[^>]*>([^<]*)</textarea>', page)
    assert draft and draft.group(1).strip(), "pas de brouillon"
    text = draft.group(1).replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
    client.post(f"/demandes/{rid}/reponse", data={"texte": text, "action": "valider", "csrf_token": token})
    return rid


@pytest.mark.parametrize("page", PAGES)
def test_agents_cannot_open_supervisor_pages(live_server: LiveServer, page: str) -> None:
    with login(live_server, "agent1") as client:
        assert client.get(page).status_code == 403
        assert client.get("/supervision/export/activite-par-jour.csv").status_code == 403


def test_supervisor_pages_show_the_real_activity(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as agent:
        _validated_request(agent, "Combien coûte une carte d'identité ?")
    with Database(live_server.settings).session() as db:
        expected = activity.compute(db, Period.last(30))
    with login(live_server, "chef") as chef:
        for page in PAGES:
            r = chef.get(page)
            assert r.status_code == 200, page
        html = chef.get("/supervision").text
        assert _kpi(html, "requests") == str(expected.requests) and expected.requests >= 1
        assert _kpi(html, "validated") == str(expected.validated)
        assert html.count("<svg") >= 3 and "<script" not in html.split("</head>", 1)[1]
        old = chef.get("/supervision", params={"du": "2020-01-01", "au": "2020-01-31"}).text
        assert _kpi(old, "requests") == "0"
        assert chef.get("/supervision", params={"du": "2026-02-30"}).status_code == 422
        sources = chef.get("/supervision/sources").text
        assert "Carte nationale d&#39;identité" in sources and "pas mis à jour depuis" in sources
        r = chef.get("/supervision/export/activite-par-canal.csv", params={"du": "2026-01-01", "au": "2027-12-31"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0] == ["canal", "demandes"] and sum(int(n) for _, n in rows[1:]) >= expected.requests
        assert chef.get("/supervision/export/inconnu.csv").status_code == 404


def test_faq_curation_from_a_validated_reply(live_server: LiveServer) -> None:
    with login(live_server, "agent1") as agent:
        rid = _validated_request(agent, "Quel est le prix d'une carte d'identité en cas de perte ?")
    with login(live_server, "chef") as chef:
        view = chef.get(f"/demandes/{rid}").text
        assert "Proposer en FAQ" in view
        form = chef.get("/supervision/faq/nouvelle", params={"demande": rid}).text
        token = csrf_from(form)
        sources = re.search(r'<textarea id="sources"[^>]*>([^<]*)</textarea>', form)
        assert sources and sources.group(1).strip()
        r = chef.post(
            "/supervision/faq/nouvelle",
            data={
                "question": "Combien coûte une carte d'identité perdue ?",
                "reponse": "25 € en timbre fiscal.",
                "theme": "Identité",
                "sources": sources.group(1),
                "demande": rid,
                "csrf_token": token,
            },
        )
        assert r.status_code == 303
        url = r.headers["location"]
        assert chef.post(url + "/publication", data={"publier": "true", "csrf_token": token}).status_code == 303
        page = chef.get(url).text
        assert "publiée" in page and page.count("<tr>") >= 3  # header + written + published
        bad = chef.post(
            "/supervision/faq/nouvelle",
            data={"question": "x", "reponse": "y", "sources": "inconnu-123", "csrf_token": token},
        )
        assert bad.status_code == 422 and "inconnu" in bad.text
        listing = chef.get("/supervision/faq").text
        assert "Combien coûte une carte d&#39;identité perdue ?" in listing
        csv_text = chef.get("/supervision/export/faq.csv").text
        assert "Combien coûte une carte d'identité perdue ?" in csv_text


def test_an_evaluation_runs_in_the_background_and_its_report_opens(live_server: LiveServer) -> None:
    with login(live_server, "chef") as chef:
        token = csrf_from(chef.get("/supervision/evaluations").text)
        assert (
            chef.post("/supervision/evaluations", data={"jeu": "absent.jsonl", "csrf_token": token}).status_code == 422
        )
        r = chef.post("/supervision/evaluations", data={"jeu": "mini.jsonl", "csrf_token": token})
        assert r.status_code == 303
        deadline = time.monotonic() + 240
        while True:
            page = chef.get("/supervision/evaluations").text
            if "Voir le rapport" in page or "échec" in page or time.monotonic() > deadline:
                break
            assert 'http-equiv="refresh"' in page  # the page refreshes itself while the run goes on
            time.sleep(2)
        assert "Voir le rapport" in page, page
        link = re.search(r'href="[^"]*?(/supervision/evaluations/[^"]+)">Voir le rapport', page)
        assert link
        report = chef.get(link.group(1))
        assert report.status_code == 200 and "unsafe-inline" in report.headers["content-security-policy"]
        csp = report.headers["content-security-policy"]
        assert "script-src" not in csp and "Rapport d'évaluation" in report.text
        assert chef.get("/supervision/evaluations/..%2F..%2Fsecret_key").status_code == 404


def test_weekly_summary_is_one_self_contained_file(live_server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "synthese.html"
    done = subprocess.run(
        [sys.executable, "-m", "server", "report", "--since", "7d", "--out", str(out)]
        + ["--data-dir", str(live_server.settings.data_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    with Database(live_server.settings).session() as db:
        expected = activity.compute(db, Period.last(7))
    assert _kpi(html, "requests") == str(expected.requests)
    assert "<style>" in html and "<script" not in html and "<link" not in html and "src=" not in html
    assert "Lacunes du corpus" in html and "<svg" in html
    bad = subprocess.run(
        [sys.executable, "-m", "server", "report", "--since", "semaine", "--out", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "Période illisible" in bad.stderr
