"""French text normalisation shared by the lexical index, the drafter, the confidence features and eval.

One owner for: accent folding, elisions, tokenising, Snowball stemming, stop words, sentence splitting.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Function words carry no topic; kept small on purpose so that "sans", "avant", "après" still count.
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette c ca ça d de des du elle elles en et eux il ils je j l la le les leur leurs
    lui m ma mais me meme mes moi mon n ne nos notre nous on ou où par pas pour qu que qui s sa se ses son sur
    t ta te tes toi ton tu un une vos votre vous y est sont suis es etes être etre été ete avoir ai as avons avez
    ont eu fait faire faut dois doit peux peut puis pouvez peuvent veux veut voudrais voudrait souhaite
    comment combien quel quelle quels quelles quoi quand est-ce estce svp merci bonjour bonsoir madame
    monsieur cordialement si dans plus tres très bien aussi donc alors car tout tous toute toutes
    ceci cela celui celle ceux ici là la-bas y-a-t-il ya il-y-a avoir
    slt stp jme jsuis jdois jpeux jveux jai chui cest svp coucou hello salut
    """.split()
)

_ELISION = re.compile(r"\b([cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_WORD = re.compile(r"[0-9]+(?:[,.][0-9]+)?|[a-z]+")
_SPACES = re.compile(r"\s+")


class _Combining(dict[int, int | None]):
    """``str.translate``'s table dropping combining marks: each character's verdict computed once, kept for the
    characters of European scripts only (the table stays small whatever the text)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if code < _KEPT_BELOW:
            self[code] = kept
        return kept


_KEPT_BELOW = 0x3000
_DROP_COMBINING = _Combining()


def fold(text: str) -> str:
    """Lower-case and strip accents ("Été" -> "ete"); ligatures œ/æ expanded."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    if text.isascii():  # nothing to decompose: most words of a French text
        return text
    return unicodedata.normalize("NFKD", text).translate(_DROP_COMBINING)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """French Snowball stem of an already folded word."""
    return str(_stemmer().stemWord(word))


def words(text: str) -> list[str]:
    """Folded words of a text, elisions removed ("l'acte" -> ["acte"])."""
    return _WORD.findall(_ELISION.sub(" ", fold(text)))


def tokens(text: str) -> list[str]:
    """Stemmed content tokens of a text: the terms of the lexical index and of the confidence features."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]


def squash(text: str) -> str:
    """Collapse every run of white space into one space and strip."""
    return _SPACES.sub(" ", text).strip()


# A sentence ends at . ! ? or … followed by a space and an upper-case letter, a digit or an opening quote.
# Abbreviations common in French administrative text must not end a sentence.
_ABBREV = ("M.", "Mme.", "MM.", "art.", "Art.", "n°.", "etc.", "cf.", "p.", "av.", "bd.", "St.", "Ste.")
_SENT_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ0-9«\"(])")


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences, keeping each one's exact wording (white space squashed)."""
    out: list[str] = []
    for line in text.split("\n"):
        line = squash(line)
        if not line:
            continue
        parts = _SENT_END.split(line)
        buf = ""
        for part in parts:
            buf = f"{buf} {part}" if buf else part
            if not buf.endswith(_ABBREV):
                out.append(buf)
                buf = ""
        if buf:
            out.append(buf)
    return out
