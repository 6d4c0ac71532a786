"""Personal data in French free text: find it, mask it with a French placeholder.

Detected (kind → placeholder):

    courriel        e-mail address                                                  [courriel]
    telephone       French number in every usual writing (06 12 34 56 78, 06.12…, 0612345678,
                    +33 6…, +33 (0)6…, 0033 6…), landlines 01–05 and 09, 08 numbers
                    (0 800 123 456 too), foreign numbers written with +CC           [téléphone]
    nir             social security number (13 digits + key, 2A/2B for Corsica),
                    any grouping; the key 97 − (number mod 97) must match             [NIR]
    iban            IBAN of the SEPA countries and a few others; length and mod-97 checked  [IBAN]
    carte_bancaire  card number of 13 to 19 digits (not 14: SIRET), grouped or not,
                    starting with 2–6, Luhn-valid                                    [carte bancaire]
    date_naissance  a date after a birth cue (« né le », « née à Lyon le », « né(e) le »,
                    « date de naissance », « DDN »); the cue itself is kept          [date de naissance]
    adresse         street number (bis, ter…) + street type (rue, av., bd, impasse, allée…) + name,
                    with the postal code and city that follow                        [adresse]
    nom             a person's name where the message announces one: after a title, introducing oneself,
                    a relative, a signature, a form's « Nom : » (``pii_names``; the title is kept)  [nom]

Deliberately not detected: a name nothing announces (« je me marie avec Lucas »), dates without a birth cue,
a postal code or city alone, an address without a street number or whose name is lower-case after an ambiguous
street type (« 3 cours de yoga », « 2 place de parking »), obfuscated e-mails (« arobase »), numbers whose check
key is wrong (a mistyped NIR stays visible), and identity, passport, tax or driving-licence numbers.

Pure functions over compiled regular expressions; no I/O. When spans overlap, the kind that comes first in
PLACEHOLDERS wins (e-mail, then the numbers with a check key, then the patterns), then the longer span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Final

from server.core.pii_names import find_names

PLACEHOLDERS: Final[dict[str, str]] = {
    "courriel": "[courriel]",
    "iban": "[IBAN]",
    "nir": "[NIR]",
    "carte_bancaire": "[carte bancaire]",
    "telephone": "[téléphone]",
    "date_naissance": "[date de naissance]",
    "adresse": "[adresse]",
    "nom": "[nom]",
}
KINDS: Final[tuple[str, ...]] = tuple(PLACEHOLDERS)
_PRIORITY: Final[dict[str, int]] = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Span:
    """One piece of personal data: its kind, its offsets in the text and the text it covers."""

    kind: str
    start: int
    end: int
    value: str

    @property
    def placeholder(self) -> str:
        """The French placeholder that replaces this span in a masked text."""
        return PLACEHOLDERS[self.kind]


# --- e-mail -------------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")

# --- telephone ----------------------------------------------------------------------------------------------------
_S = r"[ \u00a0\u202f.\-]?"  # one optional separator: space, no-break spaces, dot or dash
_PHONE = re.compile(
    rf"""(?<![\w+])(?:
        \(?(?:\+|00)33\)?{_S}(?:\(0\){_S}|0{_S})?[1-9](?:{_S}\d{{2}}){{4}}  # +33 6 12 34 56 78, (+33) 6…
      | 0[1-9](?:{_S}\d{{2}}){{4}}                                 # 06 12 34 56 78, 0612345678
      | 0[1-9](?:/\d{{2}}){{4}}                                     # 06/12/34/56/78 (a date has 4-digit years)
      | 0{_S}8\d{{2}}(?:{_S}\d{{3}}){{2}}                            # 0 800 123 456
      | \+(?!33)\d{{1,3}}{_S}(?:\(0\){_S})?\d(?:{_S}\d){{6,11}}        # +32 2 123 45 67
    )(?!\d)""",
    re.VERBOSE,
)

# --- NIR ----------------------------------------------------------------------------------------------------------
# Any grouping of 15 characters; the shape (sex, year, month, department or 2A/2B, commune, order, key) is checked
# on the compacted string.
_NIR = re.compile(r"(?<!\w)[1-478](?:[ \u00a0.\-]?[0-9ABab]){14}(?!\w)")
_NIR_SHAPE = re.compile(r"[1-478]\d{4}(?:\d{2}|2[AB])\d{8}")

# --- IBAN ---------------------------------------------------------------------------------------------------------
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ \u00a0\-]?[A-Za-z0-9]){11,32}")
_IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DZ": 26, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MA": 28, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "VA": 22,
}  # fmt: skip

# --- card ---------------------------------------------------------------------------------------------------------
_CARD = re.compile(r"(?<!\w)\d(?:[ \u00a0\-]?\d){12,18}(?!\w)")
_CARD_LENGTHS: Final[frozenset[int]] = frozenset({13, 15, 16, 17, 18, 19})  # 14 digits is a SIRET far more often
_GROUP = re.compile(r"\d+")

# --- date of birth ------------------------------------------------------------------------------------------------
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
_DATE = (
    rf"\d{{1,2}}[/.\-]\d{{1,2}}[/.\-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:1er|\d{{1,2}})\s+(?:{_MONTHS})\s+\d{{4}}|\d{{2}}\s\d{{2}}\s\d{{4}}"
)
_DOB = re.compile(
    rf"""(?:
        \b(?:n[ée]e?s?|n[ée]\s?\(e\))(?:\s+(?:à|a|au|en)\s+[^\d\n,;.!?]{{1,40}}?)?,?\s+le   # né le, née à Lyon le
      | \b(?:date|jour)\s+de\s+(?:sa\s+|ma\s+|la\s+)?naissance\b[^\d\n.;!?]{{0,30}}?        # date de naissance
      | \bDDN\b | \bnaissance\s*:
    )\s*:?\s*(?:le\s+)?(?P<date>{_DATE})(?!\d)""",
    re.VERBOSE | re.IGNORECASE,
)

# --- street address -----------------------------------------------------------------------------------------------
_CONN_WORD = r"(?i:de|du|des|la|le|les|aux|au|sur|sous|saint|sainte|st|ste)"
_CONN = rf"(?:{_CONN_WORD}\s+|(?i:[dl])['’]\s?)"
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"  # a capitalised word
_LOW = r"[^\W\d_][\w'’\-]*"  # any word
_NOT_NAME = r"(?!(?:Je|J['’]|Merci|Bonjour|Cordialement|Mon|Ma|Mes|Nous|Il|Elle|Est|Et|Pouvez|Pourriez)\b)"
# Street types that are also common nouns ("3 cours de yoga", "2 place de parking") need a capitalised name.
_STREET_ANY = (
    r"rue|ruelle|avenue|av|boulevard|bd|bld|blvd|impasse|imp|all[ée]e|chemin|ch|route|rte|quai|r[ée]sidence|r[ée]s"
    r"|lotissement|hameau|faubourg|fbg|sentier|lieu-dit|chauss[ée]e|esplanade|venelle|rond-point"
)
_STREET_CAP = r"place|pl|lot|cours|square|sq|passage|cit[ée]|villa|clos|domaine|parc|promenade|mont[ée]e|voie|parvis"
_FIRST_CAP = rf"(?:{_CONN})*(?:\d{{1,2}}(?:er)?\s+{_CAP}|{_CAP})"
_REST = rf"(?:[ \t]+{_NOT_NAME}(?:(?:{_CONN})*{_CAP}|\d{{1,5}}\b))*"
_CITY = rf"(?:,?[ \t]*\d{{5}}(?:[ \t]+{_CAP}(?:[ \t\-]+(?:{_CONN})*{_CAP})*)?)?"
_ADDRESS = re.compile(
    rf"(?<![\w.,/€])\d{{1,4}}(?:[ \t]?(?i:bis|ter|quater)\b|[a-dA-D]\b)?,?[ \t]+"
    rf"(?:(?i:{_STREET_ANY})\b\.?[ \t]+(?:{_FIRST_CAP}|(?:{_CONN})*(?!{_CONN_WORD}\b){_LOW})"
    rf"|(?i:{_STREET_CAP})\b\.?[ \t]+{_FIRST_CAP}){_REST}{_CITY}"
)


def _mod97(digits: str) -> int:
    """The remainder of a long number written in digits, modulo 97."""
    return int(digits) % 97


def nir_key_ok(nir: str) -> bool:
    """True when a compacted 15-character NIR has the right shape and key (2A → 19, 2B → 18)."""
    nir = nir.upper()
    if not _NIR_SHAPE.fullmatch(nir):
        return False
    body = nir[:5] + nir[5:7].replace("2A", "19").replace("2B", "18") + nir[7:13]
    return 97 - _mod97(body) == int(nir[13:])


def iban_ok(iban: str) -> bool:
    """True when a compacted IBAN has its country's length and passes the mod-97 check."""
    iban = iban.upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum() or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    return _mod97("".join(str(int(c, 36)) for c in moved)) == 1


def luhn_ok(digits: str) -> bool:
    """True when a string of digits passes the Luhn check (card numbers, SIREN, SIRET)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        yield Span("courriel", m.start(), m.end(), m.group())


def _phones(text: str) -> Iterator[Span]:
    for m in _PHONE.finditer(text):
        yield Span("telephone", m.start(), m.end(), m.group())


def _nirs(text: str) -> Iterator[Span]:
    for m in _NIR.finditer(text):
        if nir_key_ok(re.sub(r"[^0-9A-Za-z]", "", m.group())):
            yield Span("nir", m.start(), m.end(), m.group())


def _ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        length = _IBAN_LENGTHS.get(m.group()[:2].upper())
        if length is None:
            continue
        # The match may run into the next word: keep exactly the country's number of characters.
        count, end = 0, None
        for i in range(m.start(), m.end()):
            if text[i].isalnum():
                count += 1
                if count == length:
                    end = i + 1
                    break
        if end is not None and (end == len(text) or not text[end].isalnum()):
            value = text[m.start() : end]
            if iban_ok(re.sub(r"[^0-9A-Za-z]", "", value)):
                yield Span("iban", m.start(), end, value)


def _cards(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        groups = [(g.start() + m.start(), g.end() + m.start(), g.group()) for g in _GROUP.finditer(m.group())]
        best: tuple[int, int] | None = None
        # Try every run of whole groups, longest first: a card may sit next to another number.
        for i in range(len(groups)):
            for j in range(i, len(groups)):
                digits = "".join(g[2] for g in groups[i : j + 1])
                start, end = groups[i][0], groups[j][1]
                if (
                    len(digits) in _CARD_LENGTHS
                    and digits[0] in "23456"
                    and luhn_ok(digits)
                    and (best is None or end - start > best[1] - best[0])
                ):
                    best = (start, end)
        if best is not None:
            yield Span("carte_bancaire", best[0], best[1], text[best[0] : best[1]])


def _births(text: str) -> Iterator[Span]:
    for m in _DOB.finditer(text):
        yield Span("date_naissance", m.start("date"), m.end("date"), m.group("date"))


def _addresses(text: str) -> Iterator[Span]:
    for m in _ADDRESS.finditer(text):
        value = m.group().rstrip(" \t-'’")
        yield Span("adresse", m.start(), m.start() + len(value), value)


def _names(text: str) -> Iterator[Span]:
    for start, end in find_names(text):
        yield Span("nom", start, end, text[start:end])


_DETECTORS: Final[dict[str, Callable[[str], Iterator[Span]]]] = {
    "courriel": _emails,
    "iban": _ibans,
    "nir": _nirs,
    "carte_bancaire": _cards,
    "telephone": _phones,
    "date_naissance": _births,
    "adresse": _addresses,
    "nom": _names,
}


def find(text: str, kinds: Collection[str] = KINDS) -> list[Span]:
    """The personal data of ``kinds`` (default: every kind) found in a text, in reading order, without overlaps."""
    candidates = [span for kind in kinds for span in _DETECTORS[kind](text)]
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (_PRIORITY[s.kind], s.start - s.end, s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def mask(text: str) -> str:
    """The text with each piece of personal data replaced by its French placeholder, the rest unchanged."""
    parts: list[str] = []
    pos = 0
    for span in find(text):
        parts.append(text[pos : span.start])
        parts.append(span.placeholder)
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)
