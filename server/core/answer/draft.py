"""The extractive drafter: picks the retrieved sentences that answer the question and quotes them verbatim.

Candidate sentences come from the best chunks of the best five documents (``READ_CHUNKS_PER_DOC``). Each is
described by a few features (weighted overlap of stemmed question terms in the sentence, in its headings and in the
sentence it follows on, such as the opener of its list; the kind of fact asked, and whether its headings name it;
its document's and chunk's rank, its shape) and scored by a logistic model fitted on the
evaluation set (``accueil eval --calibrate``). The best are picked without redundancy and kept in source
order; a list introduction ("Pièces à fournir :") brings its items along. Each kind of fact the question asks (a
price, hours, an address, a deadline, a contact…) must be held by a picked sentence: when none holds it, the best
candidate that does joins them, even from one more document (a question on a passport's price quotes the sentence
giving it, not only the sentences that say how to apply). Likewise each question word that no picked sentence or its
heading holds brings the best candidate holding it (a second asked fact often stands far down the cited document).
An asked kind held only by sentences whose headings do not name it brings the one under a heading that does (a price
asked: the sentence under « Coût »).

The document's structure is read as well: a sentence of one part of the year (« Horaires d'hiver (du 1er novembre au
31 mars) » above it, or its own dates) gives way to its document's sentences of the period that applies (the one
the question names, else the one of the day the draft is for); a chosen list item brings its whole list when its
heading names what is asked or documents are asked; a chosen sentence holding the asked kind of fact brings the next
ones of its paragraph that hold it too (« Elle est fermée le dimanche. »).
"""

from __future__ import annotations

import math
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from server.core.answer.chunk import HEADING_MARK, PATH_SEPARATOR, Chunk
from server.core.answer.index import Index
from server.core.answer.logistic import Logistic
from server.core.answer.models import Citation
from server.core.answer.period import Period
from server.core.answer.period import asked as asked_period
from server.core.answer.period import find as find_period
from server.core.answer.question import KIND_PATTERNS, Question, named_kinds
from server.core.answer.retrieve import Hit
from server.core.errors import CitationError
from server.core.text import fold, sentences, tokens

CHUNKS_PER_DOC = (4, 3, 2, 1)
# The extractive drafter reads more chunks of the same documents than the language model is given: on dev, the
# sentence holding a missing fact was often in a retrieved chunk of the best document beyond its 4th (candidate drafts
# holding every fact: 102 -> 107 of 170 with (12, 6, 3, 1); (20, 8, 4, 2) gave no more; adding the best document's
# chunks that were not retrieved at all gave nothing either). It also reads the best chunk of a fifth document, as
# hit@5 counts it: of the dev facts in no sentence read, the most were in a retrieved chunk of a document ranked
# 5th or lower, while the unread chunks of the four first held few, in sentences sharing hardly a word with the
# question. Recalibrated on dev: precision 0.681 -> 0.683, correct 0.577 -> 0.582, wrong abstentions 0.212 ->
# 0.206; out of fold (4 folds, seeds 0/1) precision 0.644/0.628 -> 0.658/0.650, correct 0.553/0.506 ->
# 0.565/0.524, wrong abstentions and abstain recall unchanged. A sixth document, two chunks of the 4th to 6th, or
# more chunks of the 2nd to 4th did worse (precision 0.671-0.678 in-sample).
READ_CHUNKS_PER_DOC = (12, 6, 3, 1, 1)
CITED_DOCS = 2  # documents quoted in one draft at most
MAX_LIST_ITEMS = 8
REDUNDANCY = 0.6
# A sentence brought in for an asked kind of fact must score at least this share of the picking floor (best × floor),
# and may come from one document beyond CITED_DOCS. Chosen on dev: +5 fully correct drafts of 170 with the cues below
# (0.25 of the floor changed nothing; without the extra document, +1).
KIND_FLOOR = 0.5
KIND_EXTRA_DOCS = 1
# A question word that no chosen sentence holds (nor its heading) brings the best candidate holding it, under the same
# floor as an asked kind, at most TERM_SENTENCES of them, rarest words first: « le rendez-vous dure combien de temps »
# after sentences on the delay to declare the birth brings « Le rendez-vous dure environ 20 minutes. ». Chosen on dev:
# candidate drafts holding every reference fact 109 -> 116 of 170, for 0.5 more sentences a draft (one more sentence
# for everyone, max_sentences 6, gave 113 for 0.65 more).
TERM_SENTENCES = 2
# Sentences of the same paragraph brought along after a chosen sentence holding an asked kind of fact.
PARAGRAPH_FOLLOWERS = 2
UNIT_FEATURES = (
    "own",
    "ctx",
    "matched",
    "kind",
    "doc0",
    "doc1",
    "doc2",
    "chunk_rank",
    "hit",
    "dense",
    "link",
    "item",
    "length",
    "number",
    "short",
    "own_gap",
    "matched_gap",
    # Session 14, dev out of fold (eval.crossval, 4 folds, seeds 0/1): correct 0.547/0.547 -> 0.553/0.559,
    # precision 0.641/0.664 -> 0.657/0.679 at the same abstention recall.
    "lead",
    "kind_head",
)
_LINK = re.compile(
    r"^(Téléservice|Formulaire|Outil de recherche|Simulateur|Module de calcul|Modèle de document|"
    r"Service en ligne|Notice|Où s'adresser|Demande|Question-réponse) :"
)

# Hand-set unit model used until a calibration file provides a fitted one.
DEFAULT_UNIT_MODEL = Logistic(
    weights={"own": 1.0, "ctx": 0.4, "kind": 0.5, "doc0": 0.5, "doc1": 0.2, "link": -0.6, "short": -0.4},
    bias=0.0,
)


@dataclass
class Unit:
    """A sentence or list item of a retrieved chunk, with its features and score."""

    chunk: Chunk
    rank: int
    order: int
    text: str
    heading: str = ""
    doc_rank: int = 0
    chunk_rank: int = 0
    hit_score: float = 0.0
    dense: float = 0.0
    score: float = 0.0
    para: int = 0
    period: Period | None = None
    terms: set[str] = field(default_factory=set)
    features: dict[str, float] = field(default_factory=dict)
    # The kinds of fact its headings name (« Coût » above it: a price).
    named: frozenset[str] = frozenset()
    # Its sentence as read with its chunk (``read_chunk``), which keeps the kinds of fact found in it; None: the
    # kinds are looked for in ``text`` each time.
    reading: Reading | None = field(default=None, compare=False, repr=False)

    @property
    def section(self) -> str:
        """The heading the sentence stands under: its sub-heading in a merged chunk, else its chunk's path."""
        return self.heading or self.chunk.heading_path

    @property
    def is_item(self) -> bool:
        """True for a list item or a table row."""
        return self.text.startswith("- ") or " ; " in self.text

    @property
    def opens_list(self) -> bool:
        """True for a sentence introducing a list ("Vous devez fournir :")."""
        return self.text.endswith(":")


@dataclass
class Selection:
    """Sentences chosen for a draft and the evidence scores the confidence model reads."""

    units: list[Unit]
    best_score: float
    coverage: float
    kind_ok: float
    present: set[str] = field(default_factory=set)
    # Whether the question named the period of the quoted schedule, and whether it was chosen among others.
    period_asked: bool = False
    period_chosen: bool = False
    # Mean score of the sentences chosen by their score or for an asked kind of fact (not those a list or a
    # paragraph brought along).
    chosen_score: float = 0.0


def weights(index: Index, terms: list[str]) -> dict[str, float]:
    """IDF weight of each distinct question term."""
    return {t: index.idf(t) for t in dict.fromkeys(terms)}


def covered(w: dict[str, float], present: AbstractSet[str]) -> float:
    """IDF-weighted share of the question terms found in ``present``."""
    total = sum(w.values())
    return sum(v for t, v in w.items() if t in present) / total if total else 0.0


def focus(hits: list[Hit], limits: tuple[int, ...] = CHUNKS_PER_DOC) -> list[tuple[Hit, int, int]]:
    """The chunks read for a draft, with their document's rank and their rank within the document: at most
    ``limits[r]`` chunks of the document of rank ``r``, of ``len(limits)`` documents."""
    doc_rank: dict[str, int] = {}
    per_doc: dict[str, int] = {}
    picked: list[tuple[Hit, int, int]] = []
    for hit in hits:
        doc = hit.chunk.doc_id
        if doc not in doc_rank:
            if len(doc_rank) >= len(limits):
                continue
            doc_rank[doc] = len(doc_rank)
        taken = per_doc.get(doc, 0)
        if taken < limits[doc_rank[doc]]:
            per_doc[doc] = taken + 1
            picked.append((hit, doc_rank[doc], taken))
    return picked


def period_of(text: str, heading: str, chunk: Chunk) -> Period | None:
    """The part of the year a sentence speaks of: its own dates, else its heading's (the heading's season kept)."""
    return _period_of(text, heading, chunk.last_heading)


def _period_of(text: str, heading: str, last_heading: str) -> Period | None:
    context = find_period(heading) or find_period(last_heading)
    own = find_period(text)
    if own is None:
        return context
    if context is not None and context.season and not own.season:
        return replace(own, season=context.season)
    return own


@dataclass(frozen=True)
class Reading:
    """A sentence of a chunk as the drafter reads it: its place, its heading and what stands above it."""

    para: int
    order: int
    heading: str
    text: str
    terms: frozenset[str]
    # The words of the sentence it follows on under its heading: the last sentence before its list for a list item
    # (« Le rendez-vous se prend auprès du service propreté : » above « - par téléphone au 01 99 00 30 30 »), else
    # the sentence just before it.
    lead: frozenset[str]
    # The kinds of fact its headings name (« Coût » above it: a price).
    named: frozenset[str]
    # What depends on the sentence and its headings alone, read once with it: its heading's terms, the part of the
    # year it speaks of (``period_of``), whether it opens with a link's label and whether it holds a digit.
    heading_terms: frozenset[str] = frozenset()
    period: Period | None = None
    link: bool = False
    number: bool = False
    # Whether it holds each kind of fact looked for so far (``holds``): filled as questions ask, kind by kind.
    found: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def holds(self, kind: str) -> bool:
        """Whether the sentence holds a fact of ``kind`` (``KIND_PATTERNS``), looked for once."""
        held = self.found.get(kind)
        if held is None:
            held = self.found[kind] = bool(KIND_PATTERNS[kind].search(self.text))
        return held


# Chunks whose reading is kept (``read_chunk``): a draft reads up to 23 chunks, a message of several questions as many
# again for each, and the same documents come back for the questions of a theme. About 12 KB a chunk (measured with
# tracemalloc on the 388-fiche index, 761 characters a chunk on average): ≈ 25 MB a worker at most.
READ_CACHE_CHUNKS = 2048
# Headings and breadcrumbs whose terms are kept (``_terms``): under 1 KB each.
TERMS_CACHE = 4096


def read_chunk(chunk: Chunk) -> list[Reading]:
    """The sentences of a chunk in order, each with its heading, the sentence it follows on and the kinds of fact
    its headings name: the chunk's path, then the headings of its text, a run of headings with no sentence between
    them read as one path (« Montant » then « En métropole » above « 138 € »).

    Read once while the chunk stays among the ``READ_CACHE_CHUNKS`` last read: the reading depends on its heading
    path and its text only, the cache's key."""
    return list(_read(chunk.heading_path, chunk.text))


@lru_cache(maxsize=READ_CACHE_CHUNKS)
def _read(heading_path: str, text: str) -> tuple[Reading, ...]:
    out: list[Reading] = []
    order = 0
    heading = ""
    heading_terms = _terms(heading)
    last_heading = heading_path.rsplit(PATH_SEPARATOR, 1)[-1]
    heads = heading_path
    named = frozenset(named_kinds(heads))
    after_heading = False
    previous: frozenset[str] = frozenset()
    opener: frozenset[str] = frozenset()
    for para, line in enumerate(text.split("\n")):
        if line.startswith(HEADING_MARK):
            heading = line[len(HEADING_MARK) :]
            heading_terms = _terms(heading)
            heads = f"{heads} {heading}" if after_heading else f"{heading_path} {heading}"
            named = frozenset(named_kinds(heads))
            after_heading = True
            previous = opener = frozenset()
            continue
        after_heading = False
        for sent in sentences(line):
            order += 1
            terms = frozenset(tokens(sent))
            item = sent.startswith("- ")
            out.append(
                Reading(
                    para,
                    order,
                    heading,
                    sent,
                    terms,
                    opener if item else previous,
                    named,
                    heading_terms,
                    _period_of(sent, heading, last_heading),
                    bool(_LINK.match(sent)),
                    any(map(str.isdigit, sent)),
                )
            )
            previous = terms
            if not item:
                opener = terms
    return tuple(out)


@lru_cache(maxsize=TERMS_CACHE)
def _terms(text: str) -> frozenset[str]:
    """The distinct terms of a heading or a breadcrumb."""
    return frozenset(tokens(text))


def candidate_units(index: Index, question: Question, hits: list[Hit]) -> list[Unit]:
    """Every sentence of the focus chunks, with its features (identical sentences kept once)."""
    w = weights(index, question.terms)
    total = sum(w.values())
    top = hits[0].score if hits else 1.0
    units: list[Unit] = []
    seen: set[str] = set()
    for rank, (hit, doc_rank, chunk_rank) in enumerate(focus(hits, READ_CHUNKS_PER_DOC)):
        crumb = _terms(hit.chunk.breadcrumb)
        for r in read_chunk(hit.chunk):
            sent = r.text
            if sent in seen:
                continue
            seen.add(sent)
            u = Unit(hit.chunk, rank, r.order, sent, r.heading, doc_rank, chunk_rank, hit.score / top, hit.dense)
            u.para = r.para
            u.period = r.period
            u.terms = set(r.terms)
            u.named = r.named
            u.reading = r
            # ``covered`` of the sentence's terms, of its headings' and of its lead's beyond them, in one pass
            own, ctx, lead, matched = 0.0, 0.0, 0.0, 0
            for t, v in w.items():
                if t in r.terms:
                    own += v
                    matched += 1
                else:
                    if t in crumb or t in r.heading_terms:
                        ctx += v
                    if t in r.lead:
                        lead += v
            u.features = {
                "own": own / total if total else 0.0,
                "ctx": ctx / total if total else 0.0,
                "matched": math.log1p(matched),
                "kind": float(bool(question.kinds) and any(r.holds(k) for k in question.kinds)),
                "doc0": float(doc_rank == 0),
                "doc1": float(doc_rank == 1),
                "doc2": float(doc_rank == 2),
                "chunk_rank": float(chunk_rank),
                "hit": u.hit_score,
                "dense": hit.dense,
                "link": float(r.link),
                "item": float(u.is_item),
                "length": math.log(len(sent)),
                "number": float(r.number),
                "short": float(len(sent) < 25),
                "lead": lead / total if total else 0.0,
                "kind_head": float(bool(r.named.intersection(question.kinds))),
            }
            units.append(u)
    # The same evidence relative to the best candidate of this question: the scale of coverage varies a lot
    # from one question to another, what matters is being among the best.
    for name in ("own", "matched"):
        best = max((u.features[name] for u in units), default=0.0)
        for u in units:
            u.features[f"{name}_gap"] = best - u.features[name]
    return units


def _kind_match(u: Unit, kinds: tuple[str, ...]) -> bool:
    """Whether the sentence holds one of ``kinds`` of fact."""
    if u.reading is not None:
        return any(u.reading.holds(k) for k in kinds)
    return any(KIND_PATTERNS[k].search(u.text) for k in kinds)


def timely(
    units: list[Unit], question: Question, today: date, holidays: bool = False
) -> tuple[list[Unit], Period | None]:
    """The candidates of the period that applies: the one the question names, else the one of ``today`` (a day of
    school holidays when ``holidays``).

    A sentence of another period is dropped only when its document also holds one of the wanted period (summer
    rows go when the winter rows are there); returns the kept candidates and the period the question names.
    """
    wanted = asked_period(question.text)

    def fits(p: Period) -> bool:
        return p.overlaps(wanted) if wanted is not None else p.applies(today, holidays)

    docs = {u.chunk.doc_id for u in units if u.period is not None and fits(u.period)}
    kept = [u for u in units if u.period is None or u.chunk.doc_id not in docs or fits(u.period)]
    return kept, wanted


_AMOUNT = r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:,\d+)?)"
_QUESTION_NUMBER = re.compile(r"(?<![\d,])" + _AMOUNT + r"(?![\d,])")
# The range a table row's cell covers (« de 1 001 € à 1 400 € », « jusqu'à 450 € », « plus de 1 900 € »).
_CELL_RANGES = (
    (re.compile(r": de " + _AMOUNT + r"\s?\S*\s+à\s+" + _AMOUNT), 1, 2),
    (re.compile(r": (?:jusqu'à|moins de|inférieur à) " + _AMOUNT), 0, 1),
    (re.compile(r": (?:plus de|au-delà de|supérieur à|à partir de) " + _AMOUNT), 1, 0),
)


def _number(text: str) -> float:
    return float(re.sub(r"[ \u00a0\u202f]", "", text).replace(",", "."))


def row_range(text: str) -> tuple[float, float] | None:
    """The range of numbers a table row is for (its first cell giving one), or None for another sentence."""
    if " ; " not in text:
        return None
    for pattern, low, high in _CELL_RANGES:
        if match := pattern.search(text):
            return (_number(match.group(low)) if low else 0.0, _number(match.group(high)) if high else math.inf)
    return None


def rows_for_numbers(units: list[Unit], question: Question) -> list[Unit]:
    """The candidates without the table rows for other numbers than the question's: a question on a family quotient
    of 1 200 € keeps the row « de 1 001 € à 1 400 € » of its table and drops the other rows."""
    numbers = [
        n
        for n in (_number(m.group(1)) for m in _QUESTION_NUMBER.finditer(question.text))
        if not (n.is_integer() and 1950 <= n <= 2100)  # a year
    ]
    if not numbers:
        return units
    ranges = {id(u): row_range(u.text) for u in units}

    def fits(u: Unit) -> bool:
        r = ranges[id(u)]
        return r is not None and any(r[0] <= n <= r[1] for n in numbers)

    tables = {(u.chunk.chunk_id, u.heading) for u in units if fits(u)}
    return [u for u in units if ranges[id(u)] is None or (u.chunk.chunk_id, u.heading) not in tables or fits(u)]


def select(
    index: Index,
    question: Question,
    hits: list[Hit],
    model: Logistic,
    max_sentences: int,
    floor: float,
    today: date,
    holidays: bool = False,
) -> Selection:
    """Score the candidate sentences of the period that applies on ``today`` (a day of school holidays when
    ``holidays``) and pick those that answer."""
    found = candidate_units(index, question, hits)
    units, wanted = timely(found, question, today, holidays)
    chosen_period = wanted is not None or len(units) < len(found)
    units = rows_for_numbers(units, question)
    if not units or not question.terms:
        return Selection([], 0.0, 0.0, 0.0)
    for u, score in zip(units, model.scores([u.features for u in units]), strict=True):
        u.score = score
    ranked = sorted(units, key=lambda u: (-u.score, u.rank, u.order))
    best = ranked[0].score
    chosen: list[Unit] = []
    for u in ranked:
        if len(chosen) >= max_sentences or (chosen and u.score < best * floor):
            break
        if any(len(u.terms & c.terms) / max(len(u.terms | c.terms), 1) > REDUNDANCY for c in chosen):
            continue
        docs = {c.chunk.doc_id for c in chosen}
        if u.chunk.doc_id not in docs and len(docs) >= CITED_DOCS:
            continue
        chosen.append(u)
    _cover_kinds(question, ranked, chosen, best * floor * KIND_FLOOR)
    cover_terms(weights(index, question.terms), ranked, chosen, best * floor * KIND_FLOOR)
    extra: list[Unit] = _same_paragraph(question, units, chosen)
    for u in _whole_lists(index, question, units, chosen):
        if u not in chosen and u not in extra:
            extra.append(u)
    for u in chosen:
        if u.opens_list:
            following = [v for v in units if v.chunk is u.chunk and v.order > u.order]
            for v in following[:MAX_LIST_ITEMS]:
                if not v.is_item:
                    break
                if v not in chosen and v not in extra:
                    extra.append(v)
    picked = sorted(chosen + extra, key=lambda u: (u.rank, u.order))
    w = weights(index, question.terms)
    present: set[str] = set()
    for u in chosen:
        present |= u.terms | _terms(u.chunk.breadcrumb) | _terms(u.heading)
    kind_ok = 0.5 if not question.kinds else float(any(_kind_match(u, question.kinds) for u in picked))
    return Selection(
        picked,
        best,
        covered(w, present),
        kind_ok,
        present,
        wanted is not None,
        chosen_period,
        sum(u.score for u in chosen) / max(len(chosen), 1),
    )


def _whole_lists(index: Index, question: Question, units: list[Unit], chosen: list[Unit]) -> list[Unit]:
    """The whole list (and its opener) of the chosen list item whose heading best names what is asked, when its
    heading holds question terms or documents are asked: one item of « Pièces à fournir » is not an answer, and
    « Déchets refusés » is the list for a question on refused waste, not « Déchets acceptés ». At most
    ``MAX_LIST_ITEMS`` items."""
    items = [u for u in chosen if u.text.startswith("- ")]
    if not items:
        return []
    w = weights(index, question.terms)

    def named(u: Unit) -> float:
        return covered(w, _terms(f"{u.chunk.last_heading} {u.heading}"))

    u = max(items, key=lambda u: (named(u), u.score))
    if not (named(u) > 0 or "pieces" in question.kinds):
        return []
    same = sorted((v for v in units if v.chunk is u.chunk and v.heading == u.heading), key=lambda v: v.order)
    at = same.index(u)
    first = at
    while first > 0 and same[first - 1].text.startswith("- "):
        first -= 1
    last = at
    while last + 1 < len(same) and same[last + 1].text.startswith("- ") and last - first + 1 < MAX_LIST_ITEMS:
        last += 1
    if first > 0 and same[first - 1].opens_list:
        first -= 1
    return same[first : last + 1]


def _same_paragraph(question: Question, units: list[Unit], chosen: list[Unit]) -> list[Unit]:
    """The sentences next to a chosen one in its paragraph, before or after it, that hold an asked kind of fact too
    (« Elle est fermée le dimanche. » after the opening hours), at most ``PARAGRAPH_FOLLOWERS`` on each side."""
    if not question.kinds:
        return []
    out: list[Unit] = []
    for u in chosen:
        if not _kind_match(u, question.kinds):
            continue
        same = [v for v in units if v.chunk is u.chunk and v.para == u.para]
        after = sorted((v for v in same if v.order > u.order), key=lambda v: v.order)
        before = sorted((v for v in same if v.order < u.order), key=lambda v: -v.order)
        for side in (after, before):
            for v in side[:PARAGRAPH_FOLLOWERS]:
                if not _kind_match(v, question.kinds):
                    break
                if v not in chosen and v not in out:
                    out.append(v)
    return out


def cover_terms(w: dict[str, float], ranked: list[Unit], chosen: list[Unit], least: float) -> None:
    """Add to ``chosen``, for each question term of ``w`` (term -> weight) that neither a chosen sentence nor its
    headings hold, heaviest first, the best candidate of ``ranked`` holding it that scores at least ``least``: at most
    ``TERM_SENTENCES`` of them, from the cited documents or one more."""
    have: set[str] = set()
    for u in chosen:
        have |= u.terms | _terms(u.chunk.breadcrumb) | _terms(u.heading)
    added = 0
    for term in sorted(w, key=lambda t: -w[t]):
        if added >= TERM_SENTENCES:
            break
        if term in have:
            continue
        docs = {c.chunk.doc_id for c in chosen}
        for u in ranked:
            if u.score < least:
                break
            if u in chosen or (u.chunk.doc_id not in docs and len(docs) >= CITED_DOCS + KIND_EXTRA_DOCS):
                continue
            if term in u.terms:
                chosen.append(u)
                have |= u.terms
                added += 1
                break


def _cover_kinds(question: Question, ranked: list[Unit], chosen: list[Unit], least: float) -> None:
    """Add to ``chosen``, for each asked kind of fact that no chosen sentence holds, the best candidate holding it;
    a kind held only by sentences whose headings do not name it brings the best candidate holding it under a heading
    that does (« Le second livret de famille est gratuit. » under « Coût »)."""
    for kind in question.kinds:
        holding = [u for u in chosen if _kind_match(u, (kind,))]
        if any(kind in u.named for u in holding):
            continue
        docs = {c.chunk.doc_id for c in chosen}
        for u in ranked:
            if u.score < least:
                break
            if u in chosen or (u.chunk.doc_id not in docs and len(docs) >= CITED_DOCS + KIND_EXTRA_DOCS):
                continue
            if _kind_match(u, (kind,)) and (not holding or kind in u.named):
                chosen.append(u)
                break


def contains_fact(text: str, facts: list[str]) -> bool:
    """Loose check used to label sentences for fitting: a fact's folded words appear in order."""
    folded = " ".join(fold(text).split())
    return any(" ".join(fold(f).split()) in folded for f in facts)


def by_document(units: list[Unit]) -> list[Unit]:
    """The units grouped by document, documents in order of first use (one paragraph per source in the reply)."""
    first: dict[str, int] = {}
    for u in units:
        first.setdefault(u.chunk.doc_id, len(first))
    return sorted(units, key=lambda u: first[u.chunk.doc_id])


def citations_for(units: list[Unit]) -> list[Citation]:
    """One citation per quoted sentence, numbered by document in order of first use; checks verbatim."""
    numbers: dict[str, int] = {}
    out: list[Citation] = []
    for u in units:
        if u.text not in u.chunk.text:
            raise CitationError(f"Citation non conforme à sa source ({u.chunk.chunk_id}) : {u.text[:60]}…")
        n = numbers.setdefault(u.chunk.doc_id, len(numbers) + 1)
        out.append(Citation.of(u.chunk, n, u.text))
    return out


def groups_for(citations: list[Citation]) -> list[dict[str, object]]:
    """Reply paragraphs: consecutive quotes of one document; list items and list openers on their own line."""
    groups: list[dict[str, object]] = []
    for cit in citations:
        if not groups or groups[-1]["n"] != cit.n:
            groups.append({"n": cit.n, "lines": []})
        lines = groups[-1]["lines"]
        assert isinstance(lines, list)
        marked = f"{cit.quote} [{cit.n}]"
        starts_line = cit.quote.startswith("- ") or not lines or lines[-1].startswith("- ")
        if starts_line or lines[-1].endswith(f": [{cit.n}]"):
            lines.append(marked)
        else:
            lines[-1] = f"{lines[-1]} {marked}"
    return groups
