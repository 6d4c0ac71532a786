"""How often the citizen FAQ answers (``desk.public_stats``): counts on real SQLite, then over ``demo_server`` (real
e5 model) from the public question box to the supervisor's FAQ page, with no question text kept anywhere."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from server.core.answer.reasons import AbstainReason
from server.core.desk import faq, public_stats
from server.core.desk.db import Database
from server.core.desk.public_answer import PublicAnswer
from server.core.desk.public_stats import Outcome
from server.core.desk.tables import FaqEntry, PublicQuestionCount
from tests.conftest import LiveServer, login, settings_for
from tests.test_erasure import _files_holding

SOURCE = [{"doc_id": "demo/doc", "title": "Document", "url": "", "updated": "2026-11-01", "audience": "public"}]
DAY = dt.date(2026, 12, 8)
HOURS = "Quels sont les horaires d'ouverture de la mairie ?"  # config/faq-demo.json


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    database = Database(settings_for(tmp_path / "data"))
    try:
        with database.session() as s:
            yield s
    finally:
        database.close()


def _entry(session: Session, question: str) -> FaqEntry:
    entry = faq.create(session, question, "Une réponse.", "Divers", SOURCE, "chef")
    faq.set_published(session, entry, True, "chef")
    return entry


def test_record_and_summary_count_each_outcome_and_the_entries_most_shown(session: Session) -> None:
    hours, fee, other = (_entry(session, q) for q in ("Horaires ?", "Tarif ?", "Autre ?"))
    for _ in range(3):
        public_stats.record(session, Outcome.ENTRY, hours.id, DAY)
    public_stats.record(session, Outcome.ENTRY, fee.id, DAY - dt.timedelta(days=1))
    public_stats.record(session, Outcome.ENTRY, other.id, DAY - dt.timedelta(days=30))  # out of the 30 days
    public_stats.record(session, Outcome.SUGGESTIONS, None, DAY)
    public_stats.record(session, Outcome.NOTHING, None, DAY)
    public_stats.record(session, Outcome.NOTHING, None, DAY)
    public_stats.record(session, Outcome.REFUSED, None, DAY - dt.timedelta(days=29))

    summary = public_stats.summary(session, days=30, day=DAY)
    assert summary.totals == {
        Outcome.ENTRY: 4,
        Outcome.EXTRACTS: 0,
        Outcome.SUGGESTIONS: 1,
        Outcome.NOTHING: 2,
        Outcome.REFUSED: 1,
    }
    assert summary.asked == 8 and summary.shown_share == 0.5
    assert summary.top_entries == [("Horaires ?", 3), ("Tarif ?", 1)]
    # One row per day, outcome and entry: a question more increments it.
    assert len(list(session.query(PublicQuestionCount).filter_by(day=DAY, outcome="entree"))) == 1
    assert public_stats.summary(session, days=30, day=DAY + dt.timedelta(days=365)).asked == 0


def test_the_top_lists_ten_entries_at_most_most_shown_first(session: Session) -> None:
    entries = [_entry(session, f"Question {i} ?") for i in range(12)]
    for i, entry in enumerate(entries):
        for _ in range(i + 1):
            public_stats.record(session, Outcome.ENTRY, entry.id, DAY)
    top = public_stats.summary(session, day=DAY).top_entries
    assert top == [(f"Question {i} ?", i + 1) for i in range(11, 1, -1)]


def test_counters_older_than_400_days_are_dropped_when_writing(session: Session) -> None:
    old, kept = DAY - dt.timedelta(days=401), DAY - dt.timedelta(days=400)
    public_stats.record(session, Outcome.NOTHING, None, old)
    public_stats.record(session, Outcome.NOTHING, None, kept)
    public_stats.record(session, Outcome.NOTHING, None, DAY)
    days = sorted(row.day for row in session.query(PublicQuestionCount))
    assert days == [kept, DAY]
    assert public_stats.summary(session, days=401, day=DAY).totals[Outcome.NOTHING] == 2


def test_the_table_has_no_column_for_text(session: Session) -> None:
    columns = {c["name"]: c["type"] for c in inspect(session.get_bind()).get_columns("public_question_counts")}
    assert set(columns) == {"id", "day", "outcome", "faq_id", "count"}
    # The only string is the outcome's code, 20 characters at most: no room for a question.
    strings = [name for name, kind in columns.items() if getattr(kind, "length", None) or "CHAR" in str(kind)]
    assert strings == ["outcome"] and columns["outcome"].length == 20  # type: ignore[attr-defined]


def test_the_outcome_of_each_public_answer() -> None:
    entry = FaqEntry(id=7, question="Horaires ?", answer="9 h")
    assert public_stats.outcome_of(PublicAnswer("faq", "q", entry=entry)) is Outcome.ENTRY
    assert public_stats.outcome_of(PublicAnswer("extraits", "q")) is Outcome.EXTRACTS
    low = AbstainReason.LOW_CONFIDENCE
    assert public_stats.outcome_of(PublicAnswer("aucune", "q", reason=low, suggestions=[entry])) is Outcome.SUGGESTIONS
    assert public_stats.outcome_of(PublicAnswer("aucune", "q", reason=low)) is Outcome.NOTHING
    assert public_stats.outcome_of(PublicAnswer("aucune", "q", reason=AbstainReason.NO_PASSAGE)) is Outcome.NOTHING
    for refused in (AbstainReason.PERSONAL_CASE, AbstainReason.DISPUTE, AbstainReason.OUT_OF_ROLE):
        got = public_stats.outcome_of(PublicAnswer("aucune", "q", reason=refused, suggestions=[entry]))
        assert got is Outcome.REFUSED, refused


def _row(page: str, outcome: Outcome) -> str:
    match = re.search(rf'<tr id="resultat-{outcome.value}">(.*?)</tr>', page, re.S)
    assert match, f"ligne {outcome.value} absente"
    return match.group(1)


def test_the_supervisor_sees_how_often_the_faq_answered_and_no_question_is_kept(demo_server: LiveServer) -> None:
    found = "la mairi elle ouvre a quelle heure le samedi ?"
    missed = "Peut-on louer le kayak municipal de l'étang Tournebise pour une fête ?"
    settings = demo_server.settings
    with Database(settings).session() as db:
        before = public_stats.summary(db)
    headers = {"X-Forwarded-For": "192.0.2.77"}
    with httpx.Client(base_url=demo_server.url, timeout=60, headers=headers) as citizen:
        assert citizen.get("/question").status_code == 200  # the empty page counts nothing
        shown = citizen.post("/question", data={"q": found}).text
        assert "Réponse vérifiée par la mairie" in shown and HOURS.replace("'", "&#39;") in shown
        nothing = citizen.post("/question", data={"q": missed}).text
        assert "Nous n'avons pas trouvé de réponse fiable" in nothing
    with Database(settings).session() as db:
        after = public_stats.summary(db)
    assert after.asked == before.asked + 2
    assert after.totals[Outcome.ENTRY] == before.totals[Outcome.ENTRY] + 1
    unanswered = (Outcome.SUGGESTIONS, Outcome.NOTHING)
    assert sum(after.totals[o] for o in unanswered) == sum(before.totals[o] for o in unanswered) + 1
    assert after.totals[Outcome.REFUSED] == before.totals[Outcome.REFUSED]

    with login(demo_server, "chef") as chef:
        page = chef.get("/supervision/faq").text
    assert "Questions des habitants (30 derniers jours)" in page
    assert "le texte des questions posées n'est jamais enregistré" in page
    asked = re.search(r"<th scope=\"row\">Questions posées</th><td class=\"num\">(\d+)</td>", page)
    assert asked and int(asked.group(1)) == after.asked
    entry_row = _row(page, Outcome.ENTRY)
    share = round(100 * after.totals[Outcome.ENTRY] / after.asked)
    assert f'<td class="num">{after.totals[Outcome.ENTRY]}</td>' in entry_row and f"{share} %" in entry_row
    for outcome in unanswered + (Outcome.REFUSED,):
        assert f'<td class="num">{after.totals[outcome]}</td>' in _row(page, outcome)
    top = page.split('id="entrees-montrees"', 1)[1].split("</table>", 1)[0]
    assert HOURS.replace("'", "&#39;") in top

    assert _files_holding(settings.data_dir, [found, missed]) == []
