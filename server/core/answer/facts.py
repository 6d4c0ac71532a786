"""Checkable facts of a French text: amounts, times, durations, dates, phone numbers, e-mails, URLs, numbers.

One owner for how a fact is recognised and normalised, so that "25 €" = "25 euros" = "25,00 €",
"8h30" = "8 h 30" = "8:30", "1 500" = "1500", "12 mars 2024" = "12/03/2024" and "01 23 45 67 89" = "0123456789".
Durations keep their unit ("15 jours" is not "15 mois"). The LLM-draft verifier uses it; eval may too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

logger = logging.getLogger(__name__)

KINDS = ("url", "email", "phone", "date", "time", "amount", "percent", "duration", "number")

# Number words written out in administrative text ("un délai de deux mois"). Only simple words: a compound
# ("dix-huit", "trente et un") is left alone rather than misread as its last word.
NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
}
MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "février": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "août": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
    "décembre": 12,
}
# Folded unit -> canonical unit of a duration.
_UNITS = {"jour": "jour", "semaine": "semaine", "mois": "mois", "an": "an", "annee": "an", "annees": "an"}
_UNITS |= {"minute": "minute", "min": "minute", "seconde": "seconde"}

_NUM = r"(?<![\d.,])(?:\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d+)?(?!\d)|\d+(?:[,.]\d+)?)"
_WORD_NUM = r"(?<![\w-])(?<!\bet )(?:" + "|".join(NUMBER_WORDS) + r")(?![\w-])"
_QUANTITY = f"(?P<q>{_NUM}|{_WORD_NUM})"

_PATH = r"(?:/(?:[^\s<>\"«»()\[\]]*[^\s<>\"«»()\[\].,;:!?'’])?)?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"«»()\[\]]*[^\s<>\"«»()\[\].,;:!?'’]", re.I)),
    ("email", re.compile(r"\b[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.I)),
    # A bare domain is only recognised with a known top-level domain ("mairie-belval.fr").
    ("url", re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:fr|com|org|net|eu|info|example)\b" + _PATH, re.I)),
    ("phone", re.compile(r"(?<![\d+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])(?:[\s.\-]?\d{2}){4}(?!\d)")),
    ("date", re.compile(r"(?<![\d/.-])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4}|\d{2})(?![\d/])")),
    (
        "date",
        re.compile(r"(?<!\d)(?P<d>1er|\d{1,2})\s+(?P<m>" + "|".join(MONTHS) + r")(?:\s+(?P<y>\d{4}))?(?!\w)", re.I),
    ),
    ("time", re.compile(r"(?<![\d.,])(?P<h>\d{1,2})\s*(?:heures?|h)(?:\s*(?P<m>\d{2})(?:\s*min)?)?(?![\w\d])", re.I)),
    ("time", re.compile(r"(?<![\d.,:])(?P<h>\d{1,2}):(?P<m>\d{2})(?![\d:])")),
    ("time", re.compile(r"(?<![\w-])(?P<word>midi|minuit)(?![\w-])", re.I)),
    ("amount", re.compile(_QUANTITY + r"\s*(?:€|euros?(?!\w)|eur(?!\w))", re.I)),
    ("percent", re.compile(_QUANTITY + r"\s*(?:%|pour\s?cent(?!\w))", re.I)),
    (
        "duration",
        re.compile(_QUANTITY + r"\s+(?P<u>jours?|semaines?|mois|ans?|ann[ée]es?|minutes?|min|secondes?)(?!\w)", re.I),
    ),
    ("number", re.compile(_NUM)),
]
_WORD_NUM_RE = re.compile(_WORD_NUM, re.I)


@dataclass(frozen=True)
class Fact:
    """A checkable fact: two facts are equal when their kind and normalised value are."""

    kind: str
    value: str
    surface: str = field(default="", compare=False)


def number(text: str) -> str:
    """Normalised decimal form of a written number ("1 500" -> "1500", "25,00" -> "25", "deux" -> "2")."""
    t = text.strip().lower()
    if t in NUMBER_WORDS:
        return str(NUMBER_WORDS[t])
    t = re.sub(r"[\s\u00a0\u202f]", "", t)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", t):
        t = t.replace(".", "")
    try:
        return format(Decimal(t.replace(",", ".")).normalize(), "f")
    except InvalidOperation:
        return t


def _url(text: str) -> str:
    t = text.lower().rstrip(".,;:!?»)'’")
    t = re.sub(r"^https?://", "", t)
    t = re.sub(r"^www\.", "", t)
    return t.rstrip("/")


def _phone(text: str) -> str:
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if digits.startswith("0033"):
        digits = digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = digits[2:]
    return digits if digits.startswith("0") else f"0{digits}"


def _value(kind: str, m: re.Match[str]) -> str | None:
    """Normalised value of one match, or None when the match is not a valid fact (a 31/14/2024 date)."""
    s = m.group(0)
    if kind == "url":
        return _url(s)
    if kind == "email":
        return s.lower()
    if kind == "phone":
        return _phone(s)
    if kind == "date":
        day = 1 if m["d"].lower() == "1er" else int(m["d"])
        month = int(m["m"]) if m["m"].isdigit() else MONTHS[m["m"].lower()]
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return None
        year = m["y"] or ""
        if len(year) == 2:
            year = f"20{year}"
        return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
    if kind == "time":
        if "word" in m.groupdict() and m["word"]:
            return "12:00" if m["word"].lower() == "midi" else "0:00"
        return f"{int(m['h'])}:{m['m'] or '00'}"
    if kind == "duration":
        unit = m["u"].lower().replace("é", "e")
        unit = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s"), unit)
        return f"{number(m['q'])} {unit}"
    if kind in ("amount", "percent"):
        return number(m["q"])
    return number(s)


def _scan(text: str) -> list[tuple[int, int, Fact]]:
    """Every fact of a text with its span; a span is taken by the first pattern that matches it."""
    masked = text
    found: list[tuple[int, int, Fact]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(masked):
            value = _value(kind, m)
            if value is None:
                continue
            found.append((m.start(), m.end(), Fact(kind, value, text[m.start() : m.end()].strip())))
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    return sorted(found, key=lambda f: f[0])


def extract(text: str) -> list[Fact]:
    """The facts of a text in reading order, each normalised value once."""
    return list(dict.fromkeys(f for _, _, f in _scan(text)))


def mask(text: str) -> str:
    """The text with every fact blanked out, for measuring what the rest of it says."""
    out = text
    for start, end, _ in _scan(text):
        out = out[:start] + " " * (end - start) + out[end:]
    return out


def numbers(text: str) -> set[str]:
    """Every number written in a text, in digits or in words, wherever it stands (in an amount, a date…)."""
    out = {number(m.group(0)) for m in re.finditer(_NUM, text)}
    out |= {number(m.group(0)) for m in _WORD_NUM_RE.finditer(text)}
    return out


@dataclass(frozen=True)
class Evidence:
    """The facts and numbers of source texts, against which the facts of a draft are checked."""

    facts: frozenset[Fact] = frozenset()
    numbers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, texts: Iterable[str]) -> Evidence:
        """Evidence gathered from several texts."""
        facts: set[Fact] = set()
        nums: set[str] = set()
        for text in texts:
            facts.update(extract(text))
            nums |= numbers(text)
        return cls(frozenset(facts), frozenset(nums))

    def __or__(self, other: Evidence) -> Evidence:
        return Evidence(self.facts | other.facts, self.numbers | other.numbers)

    def supports(self, fact: Fact) -> bool:
        """True when the sources state this fact.

        A bare number may stand anywhere in the sources (inside an amount, a date, in words); a date without a
        year matches a dated one on the same day; a URL matches a longer one on the same site path.
        """
        if fact in self.facts:
            return True
        if fact.kind == "number":
            return fact.value in self.numbers
        if fact.kind == "date" and fact.value.startswith("--"):
            return any(f.kind == "date" and f.value.endswith(fact.value[1:]) for f in self.facts)
        if fact.kind == "url":
            return any(f.kind == "url" and f.value.startswith(f"{fact.value}/") for f in self.facts)
        return False
