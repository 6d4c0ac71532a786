"""Whether an entry's answer holds the values a citizen's question names (``answer.match`` reads it as the feature
``numbers`` of the learnt acceptance, ``match_accept``).

A near miss often names the entry's subject and asks its kind of fact, yet names a value the answer does not give:
« notre quotient familial est de 1 000 € : quel est le prix d'un repas ? » when the canteen's answer gives the price
up to 450 € and above 1 900 € only, « le bureau de vote numéro 3 » when the answer says only that there are 9. A
paraphrase's values are in its answer, or within a bound or a range the answer gives: « 8 ans » within « moins de
15 ans », « 25 m² » within « au-delà de 20 m² », « 19 ans » within « jusqu'à l'âge de 25 ans ». ``unheld`` is the
share of the question's values (amounts, durations, times, percentages, plain numbers, as ``facts`` reads them; not
a year nor an ordinal) that neither the answer nor the entry's phrasings hold or bound.

Pure functions over French text (``facts``, ``match_text``); no model, no database.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.core.answer.facts import Fact, extract, numbers
from server.core.answer.match_text import asking_part
from server.core.text import fold

log = logging.getLogger(__name__)

# A value as a comparable quantity: its kind (a duration with its unit) and its value (a time in minutes).
Quantity = tuple[str, Decimal]

INF = Decimal("Infinity")
# Words that bound the value after them (« moins de 15 ans », « au-delà de 20 m² »), or open a range (« de 7 h 30
# à 18 h 30 », « entre 5 et 20 ») that the word after the value closes.
_UPPER = re.compile(
    r"(?:moins d[e']|jusqu'(?:a|au)(?: l'age)?(?: d[e'])?|au plus|inferieure? a|maximum|maximale? d[e'])\s*$"
)
_LOWER = re.compile(r"(?:plus d[e']|au-dela d[e']|superieure? a|a partir d[e']|des|au moins|minimum)\s*$")
_FROM = re.compile(r"(?:\bde|\bentre|\bdu)\s*$")
_TO = re.compile(r"^\s*(?:a|au|et)\s*$")
# Where a value may start: a figure (a number in words is read by ``facts.extract`` alone, once per value).
_DIGIT = re.compile(r"(?<![\d.,/:])\d")
# An ordinal (« 2e véhicule », « 1er étage ») is no quantity.
_ORDINAL = re.compile(r"(?:e|eme|er|ere|nd|nde)\b")
# « m² » folds to « m2 », whose « 2 » would be read as a number.
_AREA = re.compile(r"\s*\bm2\b")
_YEARS = range(1900, 2101)
_LOOKAHEAD = 32


@dataclass(frozen=True)
class Values:
    """The values a text holds, the spans it bounds (kind, lowest, highest), and every number it writes."""

    values: frozenset[Quantity]
    spans: frozenset[tuple[str, Decimal, Decimal]]
    numbers: frozenset[str]


def _folded(text: str) -> str:
    """The folded text, a square metre spelled so that its « ² » is no number."""
    return _AREA.sub(" m_carres", fold(text.replace("m²", "m2")))


def quantity(fact: Fact) -> Quantity | None:
    """A fact as a comparable quantity (« 15 ans » -> (« duration an », 15), « 8 h 30 » -> (« time », 510)), or None
    for a fact that is no quantity (a telephone number, a date, an address)."""
    try:
        if fact.kind in ("amount", "percent", "number"):
            return fact.kind, Decimal(fact.value)
        if fact.kind == "duration":
            figure, unit = fact.value.split(" ", 1)
            return f"duration {unit}", Decimal(figure)
        if fact.kind == "time":
            hours, minutes = fact.value.split(":")
            return "time", Decimal(int(hours) * 60 + int(minutes))
    except (ValueError, ArithmeticError):
        return None
    return None


def _facts(folded: str) -> list[tuple[int, int, Fact]]:
    """Every fact of a folded text that starts with a figure, with its span, in reading order (``facts.extract``
    gives each value once: a bound said twice, « moins de 5 m² … entre 5 m² et 20 m² », is read at each place)."""
    out: list[tuple[int, int, Fact]] = []
    end = 0
    for m in _DIGIT.finditer(folded):
        if m.start() < end:
            continue
        window = folded[m.start() : m.start() + _LOOKAHEAD]
        fact = next((f for f in extract(window) if window.startswith(f.surface)), None)
        if fact is not None and not _ORDINAL.match(window, len(fact.surface)):
            end = m.start() + len(fact.surface)
            out.append((m.start(), end, fact))
    return out


def values_of(text: str) -> Values:
    """The values a text holds and the spans it bounds (an entry's answer, its phrasings: read once per entry)."""
    folded = _folded(text)
    found = _facts(folded)
    # Every value, one in words too (« valable un an »).
    values = {q for q in map(quantity, extract(folded)) if q is not None}
    spans: set[tuple[str, Decimal, Decimal]] = set()
    for i, (start, end, fact) in enumerate(found):
        q = quantity(fact)
        if q is None:
            continue
        values.add(q)
        before = folded[max(0, start - 20) : start]
        if _UPPER.search(before):
            spans.add((q[0], -INF, q[1]))
        elif _LOWER.search(before):
            spans.add((q[0], q[1], INF))
        if _FROM.search(before) and i + 1 < len(found):
            next_start, _, next_fact = found[i + 1]
            closing = quantity(next_fact)
            # « de 7 h 30 à 18 h 30 »; « de 15 à 17 ans », « entre 5 et 20 »: the first figure has the second's unit.
            if closing and _TO.match(folded[end:next_start]) and next_fact.kind in (fact.kind, "number"):
                spans.add((closing[0], q[1], closing[1]))
            elif closing and _TO.match(folded[end:next_start]) and fact.kind == "number":
                spans.add((closing[0], q[1], closing[1]))
    return Values(frozenset(values), frozenset(spans), frozenset(numbers(text)))


def asked_values(text: str) -> list[Quantity]:
    """The values the asking part of a text names (« 1 000 € », « 8 ans », « une semaine »), not a year (« mariés
    en 2015 » dates a story) nor an ordinal."""
    folded = _folded(asking_part(text))
    worded = [f for f in extract(folded) if f.kind in ("duration", "amount") and not f.surface[0].isdigit()]
    out = []
    for fact in [*(f for _, _, f in _facts(folded)), *worded]:
        q = quantity(fact)
        if q is not None and not (q[0] == "number" and q[1] == int(q[1]) and int(q[1]) in _YEARS):
            out.append(q)
    return out


def holds(values: Values, asked: Quantity) -> bool:
    """Whether the text holds this value, or bounds it (a plain number anywhere counts, in an amount or a date)."""
    kind, value = asked
    if asked in values.values:
        return True
    if kind == "number" and format(value.normalize(), "f") in values.numbers:
        return True
    return any(k == kind and low <= value <= high for k, low, high in values.spans)


def unheld(asked: Sequence[Quantity], answer: Values, phrasings: Values) -> float:
    """The share of the question's values (``asked_values``) that neither the entry's answer nor its phrasings hold
    or bound; 0 when the question names none."""
    if not asked:
        return 0.0
    missing = sum(1 for q in asked if not holds(answer, q) and not holds(phrasings, q))
    return missing / len(asked)
