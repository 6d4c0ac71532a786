"""Other communes named in a question: the assistant only knows its own commune's local information."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from server.core.lexicon import french_words
from server.core.text import fold

CITIES_FILE = Path(__file__).parent / "data" / "villes.txt"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    lines = CITIES_FILE.read_text(encoding="utf-8").splitlines()
    names = sorted({fold(line.strip()) for line in lines if line.strip() and not line.startswith("#")})
    return tuple((name, re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")) for name in names)


def other_commune(question: str, own_name: str) -> bool:
    """True when the question names one of the largest French communes other than ``own_name``.

    Several names are also common words ("tours", "gap", "lens"): in a question that uses capitals, such a name
    must be written with one; an all-lower-case question (SMS style) is taken at its word. A name that is no French
    word counts however written (« Bonjour, zone bleue a toulouse » : the capital of « Bonjour » used to make
    « toulouse » not count, and the FAQ showed Belval's blue-zone entry).
    """
    own = fold(own_name)
    folded = fold(question)
    lower_only = question == question.lower() or len(folded) != len(question)
    for name, pattern in _patterns():
        if name == own:
            continue
        for match in pattern.finditer(folded):
            if lower_only or name not in french_words() or question[match.start()].isupper():
                return True
    return False
