"""The verifier of LLM drafts: every sentence must cite passages [n] that state what it says.

An LLM is given numbered passages [1]..[n] and a question, and writes a reply in which every sentence cites
the passages it rests on. Before an agent sees the reply, each sentence is checked: it must carry a citation,
cite only passages that exist, state no fact (amount, date, time, duration, phone number, e-mail, URL,
number) that the cited passages do not state, and most of its content words must come from them. A sentence
failing any check is removed, with the reasons shown to the agent in French.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from server.core.answer.facts import Evidence, extract, mask
from server.core.text import STOP_WORDS, sentences, stem, words

logger = logging.getLogger(__name__)

# Share of a sentence's content words that must appear in the passages it cites. Hand-set: to be calibrated
# on LLM drafts labelled faithful or not (the paraphrases of a faithful reply lower it too).
DEFAULT_MIN_SUPPORT = 0.6

# The phrasing of a reply rather than its content: modal and auxiliary verbs and discourse adverbs an LLM
# adds around the facts it quotes ("vous devrez", "il sera également"). Folded forms.
PHRASING_WORDS = frozenset(
    """
    devez devrez devra devront devrait doivent pourrez pourra pourront pourrait pouvons
    sera seront serez serait aura auront aurez aurait
    egalement notamment ainsi cependant toutefois neanmoins effectivement
    """.split()
)

# [1], [1, 2], [1;2], [1-3]; several markers may follow each other: [1][2].
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")
_MARKERS = r"(?:\s*\[\s*\d+(?:\s*[,;\-–]\s*\d+)*\s*\])+"
# Markers written after the full stop ("… 25 €. [1] La mairie …") belong to the sentence before it.
_AFTER_STOP = re.compile(r"([.!?…]+)(" + _MARKERS + ")")
_ONLY_MARKERS = re.compile(r"^" + _MARKERS + r"\s*$")
# Courtesy formulas a model adds around the reply; the reply template has its own.
_FORMULA = re.compile(
    r"^(?:bonjour|bonsoir|madame|monsieur|madame,? monsieur|cordialement|bien cordialement|bien à vous|"
    r"(?:l')?accueil de la mairie|merci(?: de votre (?:question|message))?)[\s,.!]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class KeptSentence:
    """A sentence that passed every check, with the passages it cites."""

    text: str
    cited: tuple[int, ...]
    support: float
    line: int = 0


@dataclass(frozen=True)
class RemovedSentence:
    """A sentence removed from the draft, with the reasons shown to the agent (French)."""

    text: str
    cited: tuple[int, ...]
    reasons: tuple[str, ...]
    support: float | None = None
    line: int = 0


@dataclass
class Verification:
    """The outcome of checking a draft: what stays, what goes and why."""

    kept: list[KeptSentence] = field(default_factory=list)
    removed: list[RemovedSentence] = field(default_factory=list)
    min_support: float = DEFAULT_MIN_SUPPORT

    @property
    def text(self) -> str:
        """The kept sentences, citation markers included; the draft's lines are kept as lines."""
        lines: dict[int, list[str]] = {}
        for s in self.kept:
            lines.setdefault(s.line, []).append(s.text)
        return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))

    @property
    def total(self) -> int:
        """Number of sentences in the draft."""
        return len(self.kept) + len(self.removed)

    @property
    def kept_ratio(self) -> float:
        """Share of the draft's sentences that were kept (0.0 for an empty draft)."""
        return len(self.kept) / self.total if self.total else 0.0

    @property
    def supports(self) -> list[float]:
        """Content-word support of every sentence that could be measured (one citing an existing passage)."""
        out = [s.support for s in self.kept]
        out += [s.support for s in self.removed if s.support is not None]
        return out

    @property
    def support_mean(self) -> float:
        """Mean content-word support over the measured sentences (0.0 when none)."""
        values = self.supports
        return sum(values) / len(values) if values else 0.0

    @property
    def support_min(self) -> float:
        """Lowest content-word support over the measured sentences (0.0 when none)."""
        return min(self.supports, default=0.0)

    @property
    def reasons(self) -> list[str]:
        """Every reason given, one line per removed sentence, for a log or an agent-facing summary."""
        return [f"{s.text} — {' ; '.join(s.reasons)}" for s in self.removed]


def citations(sentence: str) -> tuple[int, ...]:
    """Passage numbers cited by a sentence, in order of first mention ("[1, 3][2]" -> (1, 3, 2))."""
    out: list[int] = []
    for m in _MARKER.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            bounds = re.split(r"\s*[-–]\s*", part)
            first, last = int(bounds[0]), int(bounds[-1])
            out.extend(range(first, last + 1) if 0 < last - first < 50 else (first, last))
    return tuple(dict.fromkeys(out))


def strip_citations(sentence: str) -> str:
    """A sentence without its citation markers."""
    return _MARKER.sub(" ", sentence)


def split(draft: str) -> list[tuple[int, str]]:
    """Sentences of a draft with their line number; markers after a full stop or on their own line go before."""
    lines: list[str] = []
    for raw in draft.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if lines and _ONLY_MARKERS.match(line):
            lines[-1] = f"{lines[-1]} {line}"
            continue
        lines.append(line)
    out: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        line = _AFTER_STOP.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", line)
        out.extend((i, s) for s in sentences(line))
    return out


def content_stems(text: str) -> set[str]:
    """Stemmed content words of a text: stop words, phrasing words, numbers and one-letter words left out."""
    return {
        stem(w) for w in words(text) if w not in STOP_WORDS and w not in PHRASING_WORDS and len(w) > 1 and w.isalpha()
    }


def support(sentence: str, source_stems: set[str]) -> float:
    """Share of a sentence's content words (facts and markers left out) found in the sources' stems."""
    own = content_stems(mask(strip_citations(sentence)))
    return len(own & source_stems) / len(own) if own else 1.0


def _where(cited: list[int]) -> str:
    return "l'extrait cité" if len(cited) == 1 else "les extraits cités"


def _check(
    sentence: str, stems: list[set[str]], evidence: list[Evidence], min_support: float
) -> tuple[tuple[int, ...], list[str], float | None]:
    """Citations, reasons for removal (empty when the sentence holds) and support of one sentence."""
    cited = citations(sentence)
    if not cited:
        # Removed anyway; the agent is also told which of its facts no passage states at all.
        everything = Evidence()
        for e in evidence:
            everything |= e
        unstated = [
            f"« {f.surface} » ne figure dans aucun extrait" for f in extract(sentence) if not everything.supports(f)
        ]
        return cited, ["aucune citation", *unstated], None
    reasons = [f"cite un extrait inexistant [{n}]" for n in cited if not 1 <= n <= len(evidence)]
    valid = [n for n in cited if 1 <= n <= len(evidence)]
    if not valid:
        return cited, reasons, None
    pool = Evidence()
    pool_stems: set[str] = set()
    for n in valid:
        pool |= evidence[n - 1]
        pool_stems |= stems[n - 1]
    for fact in extract(strip_citations(sentence)):
        if not pool.supports(fact):
            reasons.append(f"« {fact.surface} » ne figure pas dans {_where(valid)}")
    score = support(sentence, pool_stems)
    if score < min_support:
        reasons.append(f"contenu non étayé par {_where(valid)} (support {score:.2f})")
    return cited, reasons, score


class Verifier:
    """Checks sentences against numbered passages; built once per draft, usable sentence by sentence (streaming)."""

    def __init__(self, passages: list[str], min_support: float = DEFAULT_MIN_SUPPORT) -> None:
        self.min_support = min_support
        self.stems = [content_stems(p) for p in passages]
        self.evidence = [Evidence.of([p]) for p in passages]

    def check(self, sentence: str, line: int = 0) -> KeptSentence | RemovedSentence | None:
        """The verdict on one sentence; None for a greeting or closing formula, which states nothing."""
        if is_formula(sentence):
            return None
        cited, reasons, score = _check(sentence, self.stems, self.evidence, self.min_support)
        if reasons:
            return RemovedSentence(sentence, cited, tuple(reasons), score, line)
        assert score is not None
        return KeptSentence(sentence, cited, score, line)

    def verify(self, draft: str) -> Verification:
        """Check every sentence of a draft."""
        result = Verification(min_support=self.min_support)
        for line, sentence in split(draft):
            verdict = self.check(sentence, line)
            if isinstance(verdict, KeptSentence):
                result.kept.append(verdict)
            elif isinstance(verdict, RemovedSentence):
                result.removed.append(verdict)
        if result.removed:
            logger.info("Verification removed %d of %d sentences", len(result.removed), result.total)
        return result


def is_formula(sentence: str) -> bool:
    """True for a greeting or closing formula without citation ("Bonjour,", "Cordialement,")."""
    return not citations(sentence) and bool(_FORMULA.match(sentence.strip()))


def verify(draft: str, passages: list[str], min_support: float = DEFAULT_MIN_SUPPORT) -> Verification:
    """Check every sentence of an LLM draft against the passages it cites (numbered from 1)."""
    return Verifier(passages, min_support).verify(draft)


def renumber(sentence: str, mapping: dict[int, int]) -> str:
    """The sentence with its citation markers renumbered (passages not in ``mapping`` dropped from them)."""

    def marker(m: re.Match[str]) -> str:
        numbers = [mapping[n] for n in citations(m.group(0)) if n in mapping]
        return f"[{', '.join(str(n) for n in dict.fromkeys(numbers))}]" if numbers else ""

    return _MARKER.sub(marker, sentence)
