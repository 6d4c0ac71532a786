"""The French words: which folded words are words of the language rather than names or slips.

Read by the respelling of a question's terms (``answer.respell``: a word that is no French word may be a slip) and by
the detection of persons' names (``pii_names``: a lower-case word after « ma fille » that is no French word is a
name). The list is ``pyspellchecker``'s French one, installed with it: nothing is downloaded.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import numpy as np

from server.core.text import fold


class Lexicon:
    """A set of words kept as the sorted hashes of their texts (1 MB for 134,000 words, against ≈ 20 MB as a set of
    strings in each service process); a word of another text shares a 64-bit hash with one of them by chance only
    (≈ 10⁻¹⁴)."""

    def __init__(self, words: Iterable[str]) -> None:
        self.hashes = np.unique(np.fromiter((hash(w) for w in words), dtype=np.int64))

    def __contains__(self, word: object) -> bool:
        h = hash(word)
        i = int(np.searchsorted(self.hashes, h))
        return i < len(self.hashes) and int(self.hashes[i]) == h

    def __len__(self) -> int:
        return len(self.hashes)


@lru_cache(maxsize=1)
def french_words() -> Lexicon:
    """The French words of pyspellchecker's list (from 50 occurrences in its corpus), accents folded."""
    data = resources.files("spellchecker").joinpath("resources/fr.json.gz").read_bytes()
    return Lexicon(fold(word) for word in json.loads(gzip.decompress(data)))
