"""Periods of the year in a passage and in a question: which schedule applies on a day, which one is asked.

A passage speaks of a period by a range of days (« du 1er avril au 31 octobre », « d'avril à octobre »), a start
(« à partir du 1er janvier 2027 ») or a season (« horaires d'été »). A question names a period by a season (« en
été »), a month (« en juillet ») or school holidays (« pendant les vacances »). Days of the year are compared on a
circle, so that « du 1er novembre au 31 mars » holds the 6th of December. Pure functions: the drafter passes the
day (``today``) and whether the school calendar puts it in the holidays, never reads the clock here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from server.core.answer.facts import MONTHS
from server.core.text import fold

# The month names of facts.MONTHS as they read in folded text (« fevrier », « aout »).
_MONTHS = {fold(name): number for name, number in MONTHS.items()}
_LAST_DAY = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
# A season named without dates: the astronomical season, as a reader would take it.
SEASONS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "printemps": ((3, 20), (6, 20)),
    "ete": ((6, 21), (9, 22)),
    "automne": ((9, 23), (12, 20)),
    "hiver": ((12, 21), (3, 19)),
}
SEASON_NAMES = {"printemps": "printemps", "ete": "été", "automne": "automne", "hiver": "hiver"}
HOLIDAYS = "vacances"

_M = "(" + "|".join(_MONTHS) + ")"
_D = r"(1er|premier|\d{1,2})"
_Y = r"(?:\s+(\d{4}))?"
# All patterns run on folded text (lower case, no accents), of the original's length (``_fold``).
_WEEKDAY = r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
_RANGE = re.compile(rf"\bdu\s+{_WEEKDAY}{_D}\s+{_M}{_Y}\s+(?:au|jusqu'au)\s+{_WEEKDAY}{_D}\s+{_M}{_Y}")
_MONTH_RANGE = re.compile(rf"\b(?:d'|de\s+){_M}\s+a\s+{_M}\b")
_FROM = re.compile(rf"\b(?:a partir du|a compter du|des le)\s+{_D}\s+{_M}{_Y}")
# « été » is also the participle of « être » (« a été délivré »): as a season it follows an article or a preposition.
_SEASON_WORD = re.compile(
    r"(?:(?:\b(?:l'|d'|en\s+|cet\s+|pendant\s+l')|^)(ete)\b|\b(estival|estivale|estivaux)\b)"
    r"|\b(hiver|hivernal|hivernale|hivernaux)\b|\b(printemps|automne)\b"
)
_ASKED_SEASON = re.compile(r"\b(?:en|cet|cette|l'|d'|pendant l'|periode d')\s*(ete|hiver|printemps|automne)\b")
_ASKED_MONTH = re.compile(rf"\b(?:en|au mois d[e']|mois d[e']|le\s+\d{{1,2}}|le 1er|debut|fin|mi)\s*{_M}\b")
_ASKED_HOLIDAYS = re.compile(r"\bvacances\b")
_NOT_HOLIDAYS = re.compile(r"\bhors (?:periode de |des )?vacances\b|\ben periode scolaire\b")
_FULL_DATE = re.compile(rf"\b{_D}\s+{_M}\s+(\d{{4}})\b|\b(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\b")
_YEAR = re.compile(r"\b(20\d{2})\b")
# A date that tells since when a rule holds, or when a law was made, is past by nature: not a sign of an old page.
_EXAMPLE = re.compile(r"^\W*(?:par )?exemple\b")
_MEASURE = re.compile(r"\s*(?:€|euros?|litres?|l\b|m\b|m2|m²|km|kg|habitants?|places?|personnes?|metres?)")
_SINCE = re.compile(r"(?:depuis|compter d|partir d|loi|decret|arrete|ordonnance|circulaire|\bnee?s?\b)[^.;:]{0,25}$")


@dataclass(frozen=True)
class Period:
    """A part of the year: from ``start`` to ``end`` (month, day), optionally of given years, or the school holidays
    (``holidays``), or the days out of them (``school_days``: « hors vacances scolaires », « en période scolaire »).

    ``text`` is how the source or the question says it; ``season`` the season it names, if any.
    """

    text: str
    start: tuple[int, int] = (1, 1)
    end: tuple[int, int] = (12, 31)
    start_year: int | None = None
    end_year: int | None = None
    season: str = ""
    holidays: bool = False
    school_days: bool = False
    open_end: bool = False

    def applies(self, day: date, holidays: bool = False) -> bool:
        """Whether ``day`` falls in the period; ``holidays``: whether it is a day of school holidays (the school
        calendar knows; without one, a day is taken for a school day)."""
        if self.holidays:
            return holidays
        if self.school_days:
            return not holidays
        if self.start_year is not None and day < _day(self.start_year, self.start):
            return False
        if self.end_year is not None and not self.open_end and day > _day(self.end_year, self.end):
            return False
        if self.open_end or (self.start_year is not None and self.end_year is not None):
            return True
        return _within((day.month, day.day), self.start, self.end)

    def is_future(self, day: date) -> bool:
        """Whether the period, of a given year, starts after ``day``."""
        return self.start_year is not None and day < _day(self.start_year, self.start)

    def is_past(self, day: date) -> bool:
        """Whether the period, of a given year, ended before ``day``."""
        return self.end_year is not None and not self.open_end and day > _day(self.end_year, self.end)

    @property
    def dated(self) -> bool:
        """Whether the period is of a given year, not of every year."""
        return self.start_year is not None or self.end_year is not None

    def overlaps(self, other: Period) -> bool:
        """Whether two periods share a day of the year (a season matches the same season whatever its dates)."""
        if self.holidays or other.holidays or self.school_days or other.school_days:
            return self.holidays == other.holidays and self.school_days == other.school_days
        if self.season and other.season:
            return self.season == other.season
        if self.open_end or other.open_end:
            return True
        return (
            _within(other.start, self.start, self.end)
            or _within(other.end, self.start, self.end)
            or _within(self.start, other.start, other.end)
        )


def _day(year: int, md: tuple[int, int]) -> date:
    month, day = md
    return date(year, month, min(day, 28 if month == 2 else _LAST_DAY[month]))


def _within(md: tuple[int, int], start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether a (month, day) lies between ``start`` and ``end`` on the circle of the year."""
    return start <= md <= end if start <= end else md >= start or md <= end


def _num(day: str) -> int:
    return 1 if day in ("1er", "premier") else int(day)


def _year(text: str | None) -> int | None:
    return int(text) if text else None


class _FoldTable(dict[int, str]):
    """Each character's first folded character, computed once (``str.translate`` reads it for every character)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = (fold(char) or char)[0]
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> str:
    """``fold`` one character at a time, so that a match's span is also the original text's."""
    return text.translate(_FOLD_TABLE)


def _season(folded: str) -> str:
    match = _SEASON_WORD.search(folded)
    if not match:
        return ""
    if match.group(1) or match.group(2):
        return "ete"
    if match.group(3):
        return "hiver"
    return match.group(4)


@lru_cache(maxsize=8192)
def find(text: str) -> Period | None:
    """The period a passage (a sentence or a heading) speaks of, or None."""
    folded = _fold(text)
    season = _season(folded)
    if match := _RANGE.search(folded):
        d1, m1, y1, d2, m2, y2 = match.groups()
        start, end = (_MONTHS[m1], _num(d1)), (_MONTHS[m2], _num(d2))
        if y1 is None and y2 is not None and start <= end:
            y1 = y2
        return Period(text[match.start() : match.end()], start, end, _year(y1), _year(y2), season)
    if match := _MONTH_RANGE.search(folded):
        m1, m2 = _MONTHS[match.group(1)], _MONTHS[match.group(2)]
        return Period(text[match.start() : match.end()], (m1, 1), (m2, _LAST_DAY[m2]), season=season)
    if match := _FROM.search(folded):
        d, m, y = match.groups()
        md = (_MONTHS[m], _num(d))
        year = _year(y)
        return Period(text[match.start() : match.end()], md, md, year, year, season, open_end=True)
    if season:
        start, end = SEASONS[season]
        return Period(SEASON_NAMES[season], start, end, season=season)
    if _NOT_HOLIDAYS.search(folded):
        return Period("hors vacances scolaires", school_days=True)
    if _ASKED_HOLIDAYS.search(folded):
        return Period("vacances scolaires", holidays=True)
    return None


def asked(question: str) -> Period | None:
    """The period a question names (« en été », « en juillet », « pendant les vacances »), or None."""
    folded = fold(question)
    if match := _ASKED_SEASON.search(folded):
        season = match.group(1)
        start, end = SEASONS[season]
        return Period(SEASON_NAMES[season], start, end, season=season)
    if match := _ASKED_MONTH.search(folded):
        month = _MONTHS[match.group(1)]
        return Period(match.group(1), (month, 1), (month, _LAST_DAY[month]))
    if _NOT_HOLIDAYS.search(folded):
        return Period("hors vacances scolaires", school_days=True)
    if _ASKED_HOLIDAYS.search(folded):
        return Period("vacances scolaires", holidays=True)
    return None


def latest_date(text: str, years: bool = False) -> date | None:
    """The latest full date a passage gives (« 13 décembre 2025 », « 15/03/2024 »), or None; with ``years``, a year
    alone counts too, as its 31st of December (for headings: « Tarifs 2025 »).

    Left out: dates that say since when something holds (« depuis le 1er juillet 2022 », « la loi du … »), the dates
    of an example (« Exemple : pour un enfant né le … »), and numbers that measure (« 2000 litres »).
    """
    folded = fold(text)
    if _EXAMPLE.match(folded):
        return None
    found: list[date] = []
    spans: list[tuple[int, int]] = []
    for match in _FULL_DATE.finditer(folded):
        spans.append(match.span())
        if _SINCE.search(folded[: match.start()]):
            continue
        d, m, y, dd, mm, yy = match.groups()
        try:
            found.append(date(int(y), _MONTHS[m], _num(d)) if y else date(int(yy), int(mm), int(dd)))
        except ValueError:
            continue
    for match in _YEAR.finditer(folded) if years else ():
        if any(a <= match.start() < b for a, b in spans) or _SINCE.search(folded[: match.start()]):
            continue
        if not _MEASURE.match(folded[match.end() :]):
            found.append(date(int(match.group(1)), 12, 31))
    return max(found, default=None)


def french_day(day: date) -> str:
    """« 6 décembre 2026 »."""
    names = [m for m in _MONTHS if m not in ("fevrier", "aout", "decembre")]
    spelled = dict.fromkeys(range(1, 13), "")
    for name in names:
        spelled[_MONTHS[name]] = name
    spelled |= {2: "février", 8: "août", 12: "décembre"}
    return f"{'1er' if day.day == 1 else day.day} {spelled[day.month]} {day.year}"
