"""The school calendar file (iCalendar, as the Ministry publishes one per zone): holiday periods, clear errors."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from server.core.answer.school_calendar import load, parse
from server.core.errors import ConfigError

# Written for the test in the form of the official files (all-day events, an end that is the day classes resume, a
# summer without an end, a long summary folded over two lines); the dates are not a real zone's.
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//calendrier scolaire//FR\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260901\r
SUMMARY:Rentrée scolaire des élèves\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261017\r
DTEND;VALUE=DATE:20261102\r
SUMMARY:Vacances de la Toussaint - Zone\r
  B\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261219\r
DTEND;VALUE=DATE:20270104\r
SUMMARY:Vacances de Noël\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20270703T000000Z\r
SUMMARY:Vacances d'Été\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20270901\r
SUMMARY:Rentrée scolaire des élèves\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_holiday_periods_run_from_their_start_to_the_day_before_classes_resume() -> None:
    calendar = parse(ICS, "zone-b.ics")
    assert [p.name for p in calendar.periods] == [
        "Vacances de la Toussaint - Zone B",
        "Vacances de Noël",
        "Vacances d'Été",
    ]
    assert calendar.holidays_on(date(2026, 9, 1)) is None  # an event that is not holidays
    assert calendar.holidays_on(date(2026, 12, 18)) is None
    christmas = calendar.holidays_on(date(2026, 12, 19))
    assert christmas is not None and christmas.name == "Vacances de Noël"
    assert calendar.holidays_on(date(2027, 1, 3)) == christmas
    assert calendar.holidays_on(date(2027, 1, 4)) is None  # back to school
    summer = calendar.holidays_on(date(2027, 8, 31))  # no end: until the next event, the start of the school year
    assert summer is not None and summer.first == date(2027, 7, 3) and summer.last == date(2027, 8, 31)
    assert calendar.holidays_on(date(2027, 9, 1)) is None
    assert calendar.holidays_on(date(2025, 12, 25)) is None  # a year the file does not cover: not holidays


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Vacances de Noël;2026-12-19;2027-01-04\n", "pas un fichier iCalendar"),
        (ICS.replace("DTEND;VALUE=DATE:20270104", "DTEND;VALUE=DATE:2027-01-04"), r"ligne 16 : date illisible"),
        (ICS.replace("DTEND;VALUE=DATE:20261102", "DTEND;VALUE=DATE:20261332"), r"ligne 10 : date impossible"),
        (ICS.replace("DTEND;VALUE=DATE:20270104", "DTEND;VALUE=DATE:20261201"), r"ligne 14 : la fin précède"),
        (ICS.replace("DTSTART;VALUE=DATE:20261219\r\n", ""), r"ligne 14 : événement sans date de début"),
        (ICS.replace("Vacances", "Congés"), "aucune période de vacances"),
    ],
)
def test_a_malformed_calendar_is_refused_with_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse(text, "zone-b.ics")


def test_the_file_is_read_again_when_it_changes_and_a_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "zone-b.ics"
    with pytest.raises(ConfigError, match="Calendrier scolaire introuvable.*ACCUEIL_SCHOOL_CALENDAR"):
        load(path)
    path.write_text(ICS, encoding="utf-8")
    assert load(path).holidays_on(date(2026, 10, 20)) is not None
    path.write_text(ICS.replace("20261017", "20261024"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert load(path).holidays_on(date(2026, 10, 20)) is None
    path.write_bytes(ICS.replace("Noël", "No\xebl").encode("latin-1"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 2_000_000_000))
    with pytest.raises(ConfigError, match="pas en UTF-8"):
        load(path)


POOL = """---
id: sport/piscine
title: "Piscine municipale : horaires"
updated: 2026-09-01
review_by: 2027-09-01
audience: public
theme: Sport
---

# Piscine municipale

## Horaires en période scolaire

La piscine est ouverte au public le mercredi de 14 h à 18 h et le samedi de 10 h à 12 h.

## Horaires pendant les vacances scolaires

La piscine est ouverte au public du lundi au samedi de 10 h à 19 h.
"""


@pytest.mark.slow
def test_the_draft_quotes_the_holiday_schedule_on_a_holiday_and_says_why(tmp_path: Path) -> None:
    """Real model and index: the calendar decides which of a document's two schedules applies today."""
    from ingest.pipeline import run_ingest
    from server.core.answer.assistant import Assistant
    from tests.conftest import settings_for

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "piscine.md").write_text(POOL, encoding="utf-8")
    calendar = tmp_path / "zone-b.ics"
    calendar.write_text(ICS, encoding="utf-8")
    plain = settings_for(tmp_path / "data")
    assert run_ingest(plain, [tmp_path / "corpus"], progress=False).failed == []
    with_calendar = settings_for(tmp_path / "data", school_calendar=calendar)
    question = "Quels sont les horaires de la piscine ?"

    holiday = Assistant(with_calendar, today=date(2026, 12, 21)).draft(question)
    assert holiday.status == "answered", holiday.draft
    assert "10 h à 19 h" in holiday.draft and "14 h à 18 h" not in holiday.draft
    assert "(Vacances de Noël, selon le calendrier scolaire)" in holiday.notes[0]

    school_day = Assistant(with_calendar, today=date(2026, 12, 7)).draft(question)
    assert "14 h à 18 h" in school_day.draft and "10 h à 19 h" not in school_day.draft
    assert "(hors vacances, selon le calendrier scolaire)" in school_day.notes[0]

    unknown = Assistant(plain, today=date(2026, 12, 21)).draft(question)  # no calendar: taken for a school day
    assert "14 h à 18 h" in unknown.draft and "10 h à 19 h" not in unknown.draft
    assert "aucun calendrier scolaire n'est réglé" in unknown.notes[0]

    asked = Assistant(plain, today=date(2026, 12, 7)).draft("La piscine ouvre quand pendant les vacances ?")
    assert "10 h à 19 h" in asked.draft and "14 h à 18 h" not in asked.draft

    calendar.write_text("pas un calendrier", encoding="utf-8")
    with pytest.raises(ConfigError, match="pas un fichier iCalendar"):
        Assistant(with_calendar)  # the service does not start on a bad calendar
