"""The school holidays of the commune's zone, read from the official calendar file (iCalendar) that the commune sets.

The Ministry of Education publishes the calendar of each zone as an ``.ics`` file (« calendrier scolaire », on
education.gouv.fr and data.education.gouv.fr); the commune downloads its zone's once a year and names it in
``ACCUEIL_SCHOOL_CALENDAR``. Nothing is fetched at run time, and no date is made up: without the file the assistant
does not know whether a day is in the holidays (a schedule « pendant les vacances scolaires » then never applies to
today, only to a question that names the holidays).

Each event whose summary speaks of « vacances » is a holiday period, from its start to the day before its end (the
end of an all-day iCalendar event is exclusive: it is the day classes start again). An event with a start and no end
(the official files give the summer holidays that way) lasts until the next event of the file (the start of the
school year), or one day when it is the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from server.core.errors import ConfigError
from server.core.text import fold

_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T\d{6}Z?)?$")


@dataclass(frozen=True)
class Holidays:
    """One holiday period: its name and its days, ``first`` to ``last`` included."""

    name: str
    first: date
    last: date


@dataclass(frozen=True)
class SchoolCalendar:
    """The holiday periods of a calendar file, in order."""

    periods: tuple[Holidays, ...]
    source: str

    def holidays_on(self, day: date) -> Holidays | None:
        """The holiday period ``day`` falls in, or None (classes, or a day the file does not cover)."""
        return next((p for p in self.periods if p.first <= day <= p.last), None)

    def day(self, day: date) -> SchoolDay:
        """What the calendar says of ``day``."""
        return SchoolDay(known=True, holidays=self.holidays_on(day))


@dataclass(frozen=True)
class SchoolDay:
    """What the school calendar says of a day: ``known`` is False without a calendar; ``holidays`` is the holiday
    period the day falls in, if any."""

    known: bool
    holidays: Holidays | None = None

    @property
    def off(self) -> bool:
        """Whether the day is a day of school holidays (False when no calendar says so)."""
        return self.holidays is not None


UNKNOWN = SchoolDay(known=False)


@dataclass
class _Event:
    """An event being read (``start`` is required once it ends)."""

    line: int
    summary: str = ""
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class _Dated:
    """An event read whole."""

    line: int
    summary: str
    start: date
    end: date | None


def _unfold(text: str) -> list[tuple[int, str]]:
    """The content lines of an iCalendar text with their first line number (a line starting with a space or a tab
    continues the previous one)."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + raw[1:])
        elif raw.strip():
            lines.append((number, raw.strip()))
    return lines


def _date(value: str, line: int, source: str) -> date:
    match = _DATE.match(value.strip())
    if match is None:
        raise ConfigError(f"Calendrier scolaire {source}, ligne {line} : date illisible « {value} » (AAAAMMJJ).")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ConfigError(f"Calendrier scolaire {source}, ligne {line} : date impossible « {value} ».") from exc


def _events(text: str, source: str) -> list[_Dated]:
    events: list[_Dated] = []
    current: _Event | None = None
    for number, line in _unfold(text):
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].upper()
        if key == "BEGIN" and value.upper() == "VEVENT":
            current = _Event(line=number)
        elif key == "END" and value.upper() == "VEVENT" and current is not None:
            if current.start is None:
                raise ConfigError(f"Calendrier scolaire {source}, ligne {current.line} : événement sans date de début.")
            events.append(_Dated(current.line, current.summary, current.start, current.end))
            current = None
        elif current is not None and key == "SUMMARY":
            current.summary = value.replace("\\,", ",").replace("\\;", ";").strip()
        elif current is not None and key == "DTSTART":
            current.start = _date(value, number, source)
        elif current is not None and key == "DTEND":
            current.end = _date(value, number, source)
    return sorted(events, key=lambda e: e.start)


def parse(text: str, source: str = "") -> SchoolCalendar:
    """The holiday periods of an iCalendar text; a ConfigError names the line of what cannot be read."""
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ConfigError(f"Calendrier scolaire {source} : ce n'est pas un fichier iCalendar (.ics).")
    events = _events(text, source)
    periods: list[Holidays] = []
    for i, event in enumerate(events):
        if "vacances" not in fold(event.summary):
            continue
        following = [e.start for e in events[i + 1 :] if e.start > event.start]
        if event.end is not None:
            last = event.end - timedelta(days=1)
        elif following:
            last = following[0] - timedelta(days=1)
        else:
            last = event.start
        if last < event.start:
            raise ConfigError(f"Calendrier scolaire {source}, ligne {event.line} : la fin précède le début.")
        periods.append(Holidays(event.summary, event.start, last))
    if not periods:
        raise ConfigError(f"Calendrier scolaire {source} : aucune période de vacances (événement « Vacances … »).")
    return SchoolCalendar(tuple(periods), source)


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> SchoolCalendar:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Calendrier scolaire {path} : le fichier n'est pas en UTF-8.") from exc
    return parse(text, str(path))


def load(path: Path) -> SchoolCalendar:
    """The calendar of file ``path`` (read again when the file changes); a ConfigError when missing or unreadable."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"Calendrier scolaire introuvable : {path} (ACCUEIL_SCHOOL_CALENDAR).") from exc
    return _load(path, mtime)
