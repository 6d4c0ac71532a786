"""Supervisor figures, filled through the real workflow (real model, real index, real SQLite), then checked."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import activity, faq, gaps, source_usage, workflow
from server.core.desk.db import Database
from server.core.desk.period import Period
from server.core.desk.tables import MemoryEntry, Request
from server.core.desk.tabular import Table, to_csv
from server.core.errors import Conflict, InputError
from server.web import figures

ANSWERABLE = "Combien coûte une carte d'identité ?"
FOREIGN_1 = "What are the opening hours of the town hall please?"
FOREIGN_2 = "What time does the town hall open on Saturday please?"


@dataclass
class Desk:
    """A database filled by a morning at the desk, and what each step was."""

    settings: Settings
    assistant: Assistant
    db: Database
    refs: dict[str, Request]
    edit_ratio: float


@pytest.fixture(scope="module")
def desk(full_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """Eight requests through the workflow: validated as drafted, rewritten, from memory, rejected, transferred…"""
    db_path = tmp_path_factory.mktemp("supervision") / "desk.db"
    settings = full_index.model_copy(update={"database_url": f"sqlite:///{db_path}"})
    assistant = Assistant(settings)
    database = Database(settings)
    refs: dict[str, Request] = {}
    with database.session() as s:

        def new(name: str, question: str, channel: str) -> Request:
            request = workflow.create_request(s, question, channel, "agent1")
            workflow.generate_draft(s, request, assistant, "agent1")
            refs[name] = request
            return request

        as_drafted = new("as_drafted", ANSWERABLE, "guichet")
        workflow.validate(s, as_drafted, as_drafted.current_text, "agent1", assistant)
        rewritten = new("rewritten", "Quel est le prix d'un passeport pour un adulte ?", "telephone")
        final = "Bonjour, le passeport coûte 86 euros pour un adulte. Cordialement."
        _, ratio = workflow.edit_summary(rewritten.current_text, final)
        workflow.validate(s, rewritten, final, "agent1", assistant)
        again = new("again", ANSWERABLE, "courrier")
        entry = s.query(MemoryEntry).filter_by(request_id=as_drafted.id).one()
        workflow.reuse_memory(s, again, entry.id, "agent1")
        workflow.validate(s, again, again.current_text, "agent1", assistant)
        rejected = new("rejected", "Quelles sont les horaires de la déchetterie ?", "guichet")
        workflow.reject(s, rejected, "incomplet", "", "agent1")
        transferred = new("transferred", "Je conteste mon avis de taxe foncière.", "courrier")
        workflow.transfer(s, transferred, "Service des finances", "", "agent1")
        new("foreign_1", FOREIGN_1, "telephone")
        new("foreign_2", FOREIGN_2, "telephone")
        new("open", "Comment inscrire mon enfant à la cantine ?", "guichet")
    yield Desk(settings, assistant, database, refs, ratio)


@pytest.fixture
def session(desk: Desk) -> Iterator[Session]:
    with desk.db.session() as s:
        yield s


TODAY = Period.last(1)


def test_activity_figures_match_the_morning_at_the_desk(desk: Desk, session: Session) -> None:
    a = activity.compute(session, TODAY)
    assert a.requests == 8
    assert a.by_channel == {"guichet": 3, "telephone": 3, "courrier": 2, "web": 0}
    assert a.by_day == [(TODAY.since, 8)]
    assert a.validated == 3 and a.closed == 5
    # Validated as drafted and taken from memory unchanged: 2 of 3 without edit; the third rewritten.
    assert a.validated_unedited == pytest.approx(2 / 3, abs=1e-4)
    assert a.mean_edit_ratio == pytest.approx(desk.edit_ratio / 3, abs=1e-4)
    assert desk.edit_ratio > 0.5
    assert a.rejected == 1 and a.rejected_share == pytest.approx(1 / 5)
    assert a.rejected_by_reason["incomplet"] == 1 and sum(a.rejected_by_reason.values()) == 1
    assert a.memory_reused == 1 and a.memory_reuse_rate == pytest.approx(1 / 3, abs=1e-4)
    assert a.drafted == 8
    statuses = [_first_status(session, r.id) for r in desk.refs.values()]
    assert a.abstained_first == sum(s != "answered" for s in statuses) >= 2
    assert a.abstention_rate == pytest.approx(a.abstained_first / 8, abs=1e-4)
    assert a.validation_minutes_median is not None and 0 <= a.validation_minutes_median < 5
    # Nothing happened in 2020.
    assert activity.compute(session, Period.parse("2020-01-01:2020-12-31")).requests == 0


def _first_status(session: Session, request_id: int) -> str:
    request = session.get(Request, request_id)
    assert request is not None
    draft = workflow.last_generated(session, request)
    assert draft is not None
    return draft.status


def test_gaps_group_close_questions_and_keep_each_reason(desk: Desk, session: Session) -> None:
    found = gaps.find(session, TODAY, desk.settings.heavy_edit_ratio)
    reasons = {g.question: g.reason for g in found}
    assert reasons[FOREIGN_1] == reasons[FOREIGN_2] == "abstention"
    assert reasons["Quelles sont les horaires de la déchetterie ?"] == "rejet"
    assert reasons["Quel est le prix d'un passeport pour un adulte ?"] == "retouche"
    assert ANSWERABLE not in reasons  # validated as drafted, or reused unchanged
    topics = gaps.group(found, desk.assistant.embedder, desk.settings.gap_min_similarity)
    together = next(t for t in topics if any(g.question == FOREIGN_1 for g in t.gaps))
    assert {g.question for g in together.gaps} >= {FOREIGN_1, FOREIGN_2}
    assert "town" in together.label and together.count >= 2
    assert topics[0].count == max(t.count for t in topics)
    rejected = next(t for t in topics if any(g.reason == "rejet" for g in t.gaps))
    assert rejected is not together
    summary, detail = gaps.tables(topics)
    assert sum(int(row[1]) for row in summary.rows) == len(found) == len(detail.rows)  # type: ignore[call-overload]


def test_sources_most_cited_never_cited_and_stale(desk: Desk, session: Session) -> None:
    docs = figures.indexed_docs(desk.assistant)
    usage = source_usage.compute(session, docs, TODAY, desk.settings.stale_months, today=dt.date(2026, 11, 26))
    cited = workflow.last_generated(session, session.get(Request, desk.refs["as_drafted"].id))  # type: ignore[arg-type]
    top_doc = cited.result["citations"][0]["doc_id"]  # type: ignore[union-attr]
    assert top_doc in {d.doc_id for d in usage.most_cited}
    assert top_doc not in {d.doc_id for d in usage.never_cited}
    # The same request drafted once counts once; three requests drafted from this document count three.
    assert next(d for d in usage.most_cited if d.doc_id == top_doc).cited >= 2
    assert usage.documents == len(docs) and len(usage.never_cited) < len(docs)
    # DILA fiches of 2020 are far older than 18 months; the demo corpus has documents past their review date.
    assert any(d.doc_id.startswith("F") and "pas mis à jour depuis" in d.why_stale for d in usage.stale)
    assert any("date de révision dépassée" in d.why_stale for d in usage.stale)
    fresh = {"updated": "2026-10-01", "review_by": "2027-06-30"}
    assert source_usage.stale_reason(fresh, dt.date(2026, 11, 26), 18) == ""
    assert source_usage.stale_reason({"updated": "2024-01-15"}, dt.date(2026, 11, 26), 18).endswith("34 mois")


def test_faq_promoted_published_found_unpublished_with_history(desk: Desk, session: Session) -> None:
    validated = session.get(Request, desk.refs["as_drafted"].id)
    assert validated is not None
    proposal = faq.proposal_from(session, validated)
    # The reply without its salutation (a FAQ is public, the citizen is not): its body is kept whole.
    assert proposal.answer == faq.clean_reply(validated.current_text) and proposal.doc_ids
    assert proposal.answer.startswith("Voici les informations") and "Cordialement" not in proposal.answer
    with pytest.raises(Conflict):
        faq.proposal_from(session, session.get(Request, desk.refs["open"].id))  # type: ignore[arg-type]
    docs = figures.indexed_docs(desk.assistant)
    sources = faq.sources_from(proposal.doc_ids, docs)
    assert sources[0]["updated"] and sources[0]["title"]
    with pytest.raises(InputError):
        faq.sources_from(["document-qui-n-existe-pas"], docs)
    entry = faq.create(
        session,
        "Prix de la carte d'identité ?",
        "Gratuite, sauf perte ou vol : 25 €.",
        "",
        sources,
        "chef",
        validated.id,
    )
    assert entry.theme == "Divers" and not entry.published
    assert faq.search(session, "carte d'identité prix") == []  # not published yet
    faq.set_published(session, entry, True, "chef")
    found = faq.search(session, "Quel est le prix de la carte d'identité ?")
    assert found and found[0].entry.id == entry.id
    assert faq.search(session, "horaires de la piscine") == []
    with pytest.raises(Conflict):
        faq.set_published(session, entry, True, "chef")
    faq.update(
        session, entry, entry.question, "Gratuite ; 25 € en cas de perte ou de vol.", "Identité", sources, "chef"
    )
    faq.set_published(session, entry, False, "chef")
    assert faq.search(session, "prix carte d'identité") == []
    history = faq.history(session, entry)
    assert [(h.action, h.version, h.published) for h in history] == [
        ("creee", 1, False),
        ("publiee", 2, True),
        ("modifiee", 3, True),
        ("depubliee", 4, False),
    ]
    assert history[2].answer.startswith("Gratuite ; 25 €") and all(h.actor == "chef" for h in history)
    session.commit()
    with desk.db.engine.connect() as conn:
        with pytest.raises(DatabaseError, match="ajout seul"):
            conn.execute(text("UPDATE faq_versions SET answer = 'x'"))


def test_every_table_exports_as_csv(desk: Desk, session: Session) -> None:
    slugs = [t.slug for t in activity.compute(session, TODAY).tables()] + [
        "lacunes-sujets",
        "sources-a-revoir",
        "faq",
        "faq-historique",
    ]
    for slug in slugs:
        table = figures.export(session, desk.assistant, TODAY, slug)
        csv_text = to_csv(table)
        assert csv_text.startswith("\ufeff" + ";".join(table.headers))
        rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=";"))
        assert len(rows) == len(table.rows) + 1 and all(len(r) == len(table.headers) for r in rows)
    assert any(figures.export(session, desk.assistant, TODAY, "activite-par-canal").rows)


def test_csv_neutralises_formulas_and_uses_french_decimals() -> None:
    table = Table("t", "T", ["question", "part"], [['=HYPERLINK("http://x")', 0.25], ["-2+3", -1.5], [None, 3]])
    lines = to_csv(table).lstrip("\ufeff").split("\r\n")
    assert lines[1] == '"\'=HYPERLINK(""http://x"")";0,25'
    assert lines[2] == "'-2+3;-1,5" and lines[3] == ";3"
    masked = to_csv(Table("t", "T", ["question"], [["Rappelez-moi au 06 12 34 56 78 ou a.b@exemple.fr"]]))
    assert "Rappelez-moi au [téléphone] ou [courriel]" in masked and "06 12" not in masked


def test_period_parsing() -> None:
    today = dt.date(2026, 11, 26)
    assert Period.parse("7d", today) == Period(dt.date(2026, 11, 20), today)
    assert Period.parse("30j", today).since == dt.date(2026, 10, 28)
    assert Period.parse("2026-11-01:2026-11-26").days()[0] == dt.date(2026, 11, 1)
    for bad in ("semaine", "2026-11-26:2026-11-01", "0d", "2026-13-01"):
        with pytest.raises(InputError):
            Period.parse(bad, today)
    assert Period.between(None, None).until - Period.between(None, None).since == dt.timedelta(days=29)


def test_eval_run_folders_are_listed_with_their_state(tmp_path: Path, full_index: Settings) -> None:
    from server.core.desk import eval_runs

    settings = full_index.model_copy(update={"data_dir": tmp_path})
    run = eval_runs.new_run_dir(settings, Path("test.jsonl"))
    eval_runs.mark_started(run, Path("test.jsonl"), 10)
    eval_runs.mark_progress(run, 4)
    [listed] = eval_runs.list_runs(settings)
    assert listed.state == "en_cours" and listed.progress == pytest.approx(0.4)
    eval_runs.write_status(run, pid=2**22 + 12345)  # a process that does not exist
    assert eval_runs.get_run(settings, run.name).state == "echec"
    eval_runs.mark_finished(run)
    assert eval_runs.get_run(settings, run.name).state == "terminee"
    for bad in ("../../etc", "x", run.name + "/../.."):
        with pytest.raises(Exception, match="introuvable"):
            eval_runs.get_run(settings, bad)
