"""A question's terms spelled as the index spells them: « subvension » read as « subvention ».

A question typed in haste (« ou on deppose le dossier de subvension ») has terms the index does not know: the lexical
search misses them and the confidence reads them as what the documents never speak of, the sign of a question they
do not answer. A word is respelled when it is no French word (``pyspellchecker``'s French word list, accents
folded), no name (a capital inside the question: « Blois »), its term unknown to the index and long enough to be a
word's: it takes the index term it is a slip of, the most frequent of the closest by ``rapidfuzz`` ratio (from
``SLIP_RATIO`` on, within ``NEAR`` of the best). A real word no document uses (« facteur », « session ») stays
unknown, the evidence it is.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace

from rapidfuzz import fuzz, process

from server.core.answer.index import Index
from server.core.answer.question import Question
from server.core.lexicon import french_words
from server.core.text import fold, stem, words

SLIP_RATIO = 85.0
MIN_LENGTH = 5  # shorter stems are too close to too many others
NEAR = 8.0  # ratios this close to the best are as close: the more frequent term wins
CANDIDATES = 10
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][\w-]+")


class _Slips:
    """The index's terms, most frequent first, and the slips last looked up (kept on the index they read)."""

    CACHED = 4096

    def __init__(self, index: Index) -> None:
        self.terms = sorted(index.df, key=lambda t: (-index.df[t], t))
        self.found: OrderedDict[str, str | None] = OrderedDict()
        self.lock = threading.Lock()  # the service drafts in several threads

    def of(self, term: str) -> str | None:
        """The index term ``term`` is a slip of, or None."""
        with self.lock:
            if term in self.found:
                self.found.move_to_end(term)
                return self.found[term]
        hits = process.extract(term, self.terms, scorer=fuzz.ratio, score_cutoff=SLIP_RATIO, limit=CANDIDATES)
        best = max((ratio for _, ratio, _ in hits), default=0.0)
        # The most frequent of the closest: « subvens » is the « subvent » of 10 passages, not the « subven » of 2.
        near = [(position, str(known)) for known, ratio, position in hits if ratio >= best - NEAR]
        known = min(near)[1] if near else None
        with self.lock:
            self.found[term] = known
            if len(self.found) > self.CACHED:
                self.found.popitem(last=False)
        return known


def _slips(index: Index) -> _Slips:
    slips = getattr(index, "_slips", None)
    if slips is None:
        slips = _Slips(index)
        index._slips = slips  # type: ignore[attr-defined]
    return slips


def respelled(index: Index, question: Question) -> Question:
    """``question`` with each slip of an index term replaced by that term (the question itself when none)."""
    unknown = [(w, t) for w in words(question.query) if len(t := stem(w)) >= MIN_LENGTH and t not in index.df]
    names = {fold(m.group(0)) for m in _CAPITALISED.finditer(question.text)} if unknown else set()
    slips: dict[str, str] = {}
    for word, term in unknown:
        if word in names or word.isdigit() or word in french_words():
            continue
        known = _slips(index).of(term)
        if known is not None:
            slips[term] = known
    if not slips:
        return question
    return replace(question, terms=[slips.get(t, t) for t in question.terms])
