"""The FAQ: verified answers written by a supervisor or promoted from a validated reply, shown to citizens.

Every change (written, edited, published, unpublished) is appended to ``faq_versions`` with its full content
and its author; only published entries are ever shown on the public side, and unpublishing takes effect at once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from server.core import pii
from server.core.desk.states import RequestState
from server.core.desk.tables import FaqEntry, FaqSourceText, FaqVersion, Request, utcnow
from server.core.desk.workflow import get_request, last_generated
from server.core.errors import Conflict, InputError, NotFound
from server.core.pii_names import TITLES
from server.core.text import fold, tokens

MAX_QUESTION = 500
MAX_ANSWER = 5000
MAX_THEME = 200
MAX_SOURCES = 10
MAX_VARIANTS = 30

# What a FAQ entry must not copy from a citizen's message or from the reply to it (matched on folded text).
_GREETING = re.compile(r"(?:bonjour|bonsoir|salut|coucou|madame|monsieur|mesdames|messieurs|cher|chere)\b")
_LEADING_GREETING = re.compile(
    r"^(?:(?:(?:bonjour|bonsoir|salut)(?:\s+(?:madame|monsieur|mesdames|messieurs))*|madame|monsieur)\b\s*[,!.]?\s*)+",
    re.I,
)
_CLOSING = re.compile(
    r"(?:bien\s+|tres\s+)?cordialement|(?:bien|tres)\s+a\s+vous|(?:sinceres\s+|mes\s+|nos\s+)?salutations"
    r"|veuillez\s+agreer|je\s+vous\s+prie|dans\s+l'attente|bonne\s+(?:journee|soiree)"
)
_THANKS = re.compile(r"(?:merci|en\s+vous\s+remerciant|je\s+vous\s+remercie)\b")
# A sentence ends at « . », « ! » or « ? » followed by a space or the end: not at the dots of an address, a number or
# an abbreviation written without a space (« jeanne.perrin@exemple.fr », « 3.5 », « www.belval.fr »).
_SENTENCES = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))+[.!?]*")
# A FAQ is public: a person a message or a reply names (``pii`` finds them: « Mme Perrin », « je m'appelle Jeanne
# Perrin ») becomes « [nom] », without the title that would say more of them.
_TITLED = re.compile(rf"{TITLES}\s+(?=\[nom\])")


def get(session: Session, faq_id: int) -> FaqEntry:
    """An entry by id, or NotFound."""
    entry = session.get(FaqEntry, faq_id) if 0 < faq_id < 2**63 else None
    if entry is None:
        raise NotFound(f"Entrée de FAQ {faq_id} introuvable.")
    return entry


def _clean(question: str, answer: str, theme: str) -> tuple[str, str, str]:
    question, answer, theme = question.strip(), answer.replace("\r\n", "\n").strip(), theme.strip()
    if not question or not answer:
        raise InputError("La question et la réponse d'une entrée de FAQ sont obligatoires.")
    if len(question) > MAX_QUESTION:
        raise InputError(f"La question dépasse {MAX_QUESTION} caractères.")
    if len(answer) > MAX_ANSWER:
        raise InputError(f"La réponse dépasse {MAX_ANSWER} caractères.")
    if len(theme) > MAX_THEME:
        raise InputError(f"Le thème dépasse {MAX_THEME} caractères.")
    return question, answer, theme or "Divers"


def clean_entry(question: str, answer: str, theme: str) -> tuple[str, str, str]:
    """An entry's question, answer and theme as they are stored (stripped, theme « Divers » when empty), or
    InputError when one is missing or too long."""
    return _clean(question, answer, theme)


def phrasing_key(text: str) -> str:
    """What makes two phrasings of a question the same one: spaces and case aside."""
    return " ".join(text.split()).casefold()


def clean_variants(variants: list[str], question: str = "") -> list[str]:
    """The entry's other phrasings: stripped, blank lines and repeats (spaces and case aside) dropped, the question
    itself left out; too many or too long ones refused."""
    seen = {phrasing_key(question)}
    out = []
    for variant in variants:
        variant = " ".join(variant.split())
        if variant and phrasing_key(variant) not in seen:
            if len(variant) > MAX_QUESTION:
                raise InputError(f"Une variante dépasse {MAX_QUESTION} caractères.")
            seen.add(phrasing_key(variant))
            out.append(variant)
    if len(out) > MAX_VARIANTS:
        raise InputError(f"{MAX_VARIANTS} variantes au plus par entrée.")
    return out


def sources_from(doc_ids: list[str], docs: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The entry's sources, read from the index manifest (title, link, date); unknown documents are refused."""
    out = []
    for doc_id in dict.fromkeys(d.strip() for d in doc_ids if d.strip()):
        doc = docs.get(doc_id)
        if doc is None:
            raise InputError(f"Document source inconnu de l'index : {doc_id!r}.")
        out.append(
            {
                "doc_id": doc_id,
                "title": str(doc.get("title", "")),
                "url": str(doc.get("url", "")),
                "updated": str(doc.get("updated", "")),
                "audience": str(doc.get("audience", "")),
            }
        )
    if len(out) > MAX_SOURCES:
        raise InputError(f"{MAX_SOURCES} sources au plus par entrée.")
    return out


def _record(session: Session, entry: FaqEntry, action: str, actor: str) -> None:
    session.add(
        FaqVersion(
            faq_id=entry.id,
            version=entry.version,
            action=action,
            question=entry.question,
            answer=entry.answer,
            theme=entry.theme,
            sources=entry.sources,
            variants=entry.variants,
            published=entry.published,
            actor=actor,
        )
    )


def create(
    session: Session,
    question: str,
    answer: str,
    theme: str,
    sources: list[dict[str, str]],
    actor: str,
    request_id: int | None = None,
    variants: list[str] | None = None,
) -> FaqEntry:
    """Write a new entry (unpublished until a supervisor publishes it); ``request_id`` must name a request."""
    question, answer, theme = _clean(question, answer, theme)
    kept = clean_variants(variants or [], question)
    if request_id is not None:
        get_request(session, request_id)  # NotFound for an unknown id, or one beyond what the database holds
    entry = FaqEntry(
        question=question,
        answer=answer,
        theme=theme,
        sources=sources,
        variants=kept,
        published=False,
        request_id=request_id,
    )
    session.add(entry)
    session.flush()
    _record(session, entry, "creee", actor)
    return entry


def update(
    session: Session,
    entry: FaqEntry,
    question: str,
    answer: str,
    theme: str,
    sources: list[dict[str, str]],
    actor: str,
    variants: list[str] | None = None,
) -> None:
    """Edit an entry; a published entry stays published with its new text. ``variants=None`` keeps them."""
    question, answer, theme = _clean(question, answer, theme)
    kept = clean_variants(entry.variants if variants is None else variants, question)
    entry.question, entry.answer, entry.theme, entry.sources = question, answer, theme, sources
    entry.variants = kept
    entry.version += 1
    entry.updated_at = utcnow()
    _record(session, entry, "modifiee", actor)


def set_published(session: Session, entry: FaqEntry, published: bool, actor: str) -> None:
    """Publish or unpublish an entry (effective at once on the public pages).

    Publishing is the supervisor's word that the entry agrees with its sources as they are now: what was to review is
    cleared, and the sources' texts are taken again as they are (``faq_watch.check``).
    """
    if entry.published == published:
        raise Conflict("Cette entrée est déjà publiée." if published else "Cette entrée n'est pas publiée.")
    if published and not entry.sources:
        raise InputError("Une entrée publiée doit citer au moins une source.")
    if published:
        entry.review = []
        session.execute(sql_delete(FaqSourceText).where(FaqSourceText.faq_id == entry.id))
    entry.published = published
    entry.version += 1
    entry.updated_at = utcnow()
    _record(session, entry, "publiee" if published else "depubliee", actor)


def withdraw(session: Session, entry: FaqEntry, review: list[dict[str, Any]], actor: str) -> None:
    """Unpublish an entry whose sources changed or left the index, with what the supervisor must review."""
    entry.published = False
    entry.review = review
    entry.version += 1
    entry.updated_at = utcnow()
    _record(session, entry, "source_modifiee", actor)


def redact(session: Session, entry: FaqEntry, marker: str, actor: str) -> None:
    """Erase an entry written from an erased citizen's request: its text and history, unpublished, step recorded.

    Only inside an erasure (the history is append-only otherwise): every past version's question and answer become
    ``marker`` and its variants are dropped, and a ``caviardee`` step says when and by whom. The entry stays,
    unpublished, for a supervisor to rewrite from the sources.
    """
    session.execute(
        sql_update(FaqVersion).where(FaqVersion.faq_id == entry.id).values(question=marker, answer=marker, variants=[])
    )
    entry.question, entry.answer, entry.published, entry.variants = marker, marker, False, []
    entry.version += 1
    entry.updated_at = utcnow()
    _record(session, entry, "caviardee", actor)


def forget_variants(session: Session, questions: list[str], actor: str) -> int:
    """Drop from every entry, and from every version of its history, the variants written from erased citizens'
    questions; a ``variante_effacee`` step says when and by whom. Returns how many entries changed.

    Only inside an erasure (the history is append-only otherwise). A variant learnt at the desk
    (``faq_variant_proposals``) is the request's question as ``clean_question`` made it: a variant is dropped when it is
    that text or the question as typed (spaces and case aside). The entry keeps its publication: its question and
    answer are the commune's, not the citizen's.
    """
    keys = {phrasing_key(t) for q in questions for t in (q, clean_question(q)) if t.strip()}
    changed = 0
    for entry in session.scalars(select(FaqEntry)):
        kept = [v for v in entry.variants if phrasing_key(v) not in keys]
        if len(kept) == len(entry.variants):
            continue
        for version in session.scalars(select(FaqVersion).where(FaqVersion.faq_id == entry.id)):
            version.variants = [v for v in version.variants if phrasing_key(v) not in keys]
        entry.variants = kept
        entry.version += 1
        entry.updated_at = utcnow()
        _record(session, entry, "variante_effacee", actor)
        changed += 1
    return changed


def history(session: Session, entry: FaqEntry) -> list[FaqVersion]:
    """The entry's history, oldest first."""
    return list(session.scalars(select(FaqVersion).where(FaqVersion.faq_id == entry.id).order_by(FaqVersion.id)))


def entries(session: Session, published_only: bool = False) -> list[FaqEntry]:
    """Entries by theme then question."""
    query = select(FaqEntry).order_by(FaqEntry.theme, FaqEntry.question)
    if published_only:
        query = query.where(FaqEntry.published.is_(True))
    return list(session.scalars(query))


def by_theme(rows: list[FaqEntry]) -> dict[str, list[FaqEntry]]:
    """Entries grouped by theme, themes in alphabetical order."""
    grouped: dict[str, list[FaqEntry]] = {}
    for row in sorted(rows, key=lambda r: (r.theme.lower(), r.question.lower())):
        grouped.setdefault(row.theme, []).append(row)
    return grouped


@dataclass
class Proposal:
    """What a validated reply gives a new FAQ entry to start from."""

    request_id: int
    question: str
    answer: str
    theme: str
    doc_ids: list[str]


def _is_formula(sentence: str) -> bool:
    """A sentence that only greets, thanks or signs off (a question that opens with "merci de" is kept)."""
    folded = fold(sentence).strip(" ,.;:!-")
    return not sentence.endswith("?") and bool(_CLOSING.match(folded) or _THANKS.match(folded))


def clean_question(text: str) -> str:
    """A citizen's message as a FAQ question: its questions only (no greeting, thanks, introduction or signature),
    personal data masked; the statements around them when it asks nothing."""
    sentences = [s.strip() for s in _SENTENCES.findall(text.replace("\r\n", "\n")) if s.strip()]
    sentences = [_LEADING_GREETING.sub("", s).strip() for s in sentences if not _is_formula(s)]
    sentences = [s for s in sentences if tokens(s)]
    asked = [s for s in sentences if s.endswith("?")]
    question = unnamed(pii.mask(" ".join(asked or sentences))).strip()
    return question[:1].upper() + question[1:]


def unnamed(text: str) -> str:
    """``text`` masked by ``pii`` (its names already « [nom] ») without the titles before them: « Mme [nom] » ->
    « [nom] »."""
    return _TITLED.sub("", text)


def clean_reply(text: str) -> str:
    """A validated reply as a FAQ answer: without its salutation ("Bonjour Madame…,") nor its closing formula and
    signature ("Cordialement, L'accueil…") up to the sources, personal data masked."""
    lines = text.replace("\r\n", "\n").strip().split("\n")
    if lines and _GREETING.match(fold(lines[0]).strip()) and len(lines[0]) <= 80:
        lines = lines[1:]
    out: list[str] = []
    closing = False
    for line in lines:
        folded = fold(line).strip()
        if _CLOSING.match(folded) or (_THANKS.match(folded) and len(line) <= 80):
            closing = True
        elif closing and folded.startswith("sources"):
            closing = False
            out.append("")
        if not closing:
            out.append(line)
    return unnamed(pii.mask(re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()))


def proposal_from(session: Session, request: Request) -> Proposal:
    """Prefill a FAQ entry from a validated request: its question and final reply cleaned (see ``clean_question``
    and ``clean_reply``: a FAQ is public, the citizen is not), theme and cited documents."""
    if request.state != RequestState.VALIDATED:
        raise Conflict("Seule une réponse validée peut devenir une entrée de FAQ.")
    generated = last_generated(session, request)
    cited = [c["doc_id"] for c in (generated.result.get("citations", []) if generated else [])]
    return Proposal(
        request.id,
        clean_question(request.question),
        clean_reply(request.current_text),
        request.theme,
        list(dict.fromkeys(cited)),
    )


@dataclass
class Match:
    """A published entry found for a question, with the share of the question's terms it covers."""

    entry: FaqEntry
    score: float


# Two entries whose questions share this share of their terms (Jaccard) are the same question asked twice.
NEAR_DUPLICATE = 0.8


def _near_duplicate(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= NEAR_DUPLICATE


def search(session: Session, query: str, limit: int = 10, merge: bool = True) -> list[Match]:
    """Published entries sharing terms with the query, best first (terms of the entry's question count double).

    With ``merge``, an entry whose question is a near duplicate of a better-placed one is left out (listed once).
    """
    wanted = Counter(tokens(query))
    if not wanted:
        return []
    found = []
    for entry in entries(session, published_only=True):
        in_question = set(tokens(entry.question))
        in_entry = in_question | set(tokens(entry.answer)) | set(tokens(entry.theme))
        hits = sum(2.0 if t in in_question else 1.0 for t in wanted if t in in_entry)
        if hits:
            found.append(Match(entry, round(hits / (2.0 * len(wanted)), 4)))
    found.sort(key=lambda m: (-m.score, m.entry.question))
    if merge:
        kept: list[tuple[Match, set[str]]] = []
        for m in found:
            own = set(tokens(m.entry.question))
            if not any(_near_duplicate(own, other) for _, other in kept):
                kept.append((m, own))
        found = [m for m, _ in kept]
    return found[:limit]
