"""The agent's workspace around a request: pin it, comment it, choose its theme, record how the reply was given.

Also the rules a reply must follow before it is validated: never cite a document marked internal (those are for
the agents only, a reply goes to the citizen). Every step is written to the audit trail; routes call these only.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core import pii
from server.core.config import TEXT_GUARD
from server.core.desk.states import TrailAction
from server.core.desk.tables import REPLY_VIA, AuditEvent, DraftVersion, Request
from server.core.errors import InputError

_MARKER = re.compile(r"\[(\d{1,3})\]")
# Where the reply was given, from the request's channel, when the agent says nothing else.
DEFAULT_VIA = {"guichet": "guichet", "telephone": "telephone", "courrier": "courrier", "web": "courriel"}


def _audit(session: Session, request: Request, actor: str, action: str, **data: Any) -> None:
    session.add(AuditEvent(request_id=request.id, actor=actor, action=action, data=data))


def set_pinned(session: Session, request: Request, pinned: bool, actor: str) -> None:
    """Pin the request (first in the inbox) or unpin it."""
    if request.pinned == pinned:
        return
    request.pinned = pinned
    _audit(session, request, actor, TrailAction.PINNED if pinned else TrailAction.UNPINNED)


def add_comment(session: Session, request: Request, text: str, actor: str) -> None:
    """An internal comment: kept in the trail for colleagues, never sent to the citizen."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise InputError("Le commentaire est vide.")
    if len(text) > TEXT_GUARD:
        raise InputError(f"Le commentaire dépasse {TEXT_GUARD} caractères.")
    _audit(session, request, actor, TrailAction.INTERNAL_COMMENT, comment=text)


def configured_themes(setting: str) -> list[str]:
    """The commune's own themes from the ``themes`` setting (« État civil, Urbanisme »), in its order, each once."""
    named = (" ".join(t.split()) for t in setting.split(","))
    return list(dict.fromkeys(t for t in named if t))


def themes(setting: str, docs: dict[str, dict[str, Any]], current: str = "") -> list[str]:
    """The commune's themes: its configured list, else those of its indexed documents (sorted).

    The request's own theme is kept (last) when it is not among them, so that its page still shows it.
    """
    listed = configured_themes(setting) or sorted(
        {t for meta in docs.values() if (t := str(meta.get("theme") or "").strip())}, key=str.casefold
    )
    return [*listed, current] if current and current not in listed else listed


def suggested_theme(setting: str, doc_theme: str) -> str:
    """The theme a new draft gives its request (its first source's), unless the commune's own list lacks it."""
    doc_theme = " ".join(doc_theme.split())[:200]
    listed = configured_themes(setting)
    return doc_theme if not listed or doc_theme in listed else ""


def set_theme(session: Session, request: Request, theme: str, allowed: list[str], actor: str) -> None:
    """Set the request's theme, chosen from the commune's list (never free text)."""
    if theme not in allowed:
        raise InputError("Choisissez le thème dans la liste de la commune.")
    if theme == request.theme:
        return
    _audit(session, request, actor, TrailAction.THEME_CHANGED, before=request.theme, after=theme)
    request.theme = theme


def clean_phone(number: str) -> str | None:
    """The callback number as typed (trimmed), None when empty; InputError unless it is a French phone number."""
    number = " ".join(number.split())
    if not number:
        return None
    spans = pii.find(number)
    whole = len(spans) == 1 and spans[0].kind == "telephone" and (spans[0].start, spans[0].end) == (0, len(number))
    if len(number) > 40 or not whole:
        raise InputError(
            "Numéro de rappel invalide : indiquez un numéro de téléphone (par exemple 06 12 34 56 78).", field="rappel"
        )
    return number


def masked_phone(number: str | None) -> str:
    """A callback number as lists show it: the first two and last two digits only (« 06 •• •• •• 78 »)."""
    if not number:
        return ""
    digits = re.sub(r"\D", "", number)
    head = f"+{digits[:3]}" if number.startswith("+") else digits[:2]
    return f"{head} •• •• •• {digits[-2:]}" if len(digits) >= 6 else "••"


def list_excerpt(question: str, length: int = 120) -> str:
    """A question as the inbox lists it: personal data masked (a screen seen from the counter), cut at ``length``."""
    text = " ".join(pii.mask(question).split())
    return text if len(text) <= length else text[:length].rstrip() + "…"


def set_delivery(request: Request, reply_via: str, callback_phone: str) -> None:
    """Record how the reply is given (guichet, téléphone, courriel, courrier) and the number to call back on."""
    if reply_via and reply_via not in REPLY_VIA:
        raise InputError("Mode de remise de la réponse inconnu.", field="remise")
    request.reply_via = reply_via or request.reply_via or DEFAULT_VIA.get(request.channel)
    request.callback_phone = clean_phone(callback_phone)


def internal_citations(text: str, result: dict[str, Any]) -> list[str]:
    """Titles of the internal documents that ``text`` cites: by a [n] marker or by quoting one of their passages."""
    internal = {s["doc_id"] for s in result.get("sources") or [] if s.get("audience") == "internal"}
    markers = {int(n) for n in _MARKER.findall(text)}
    titles: dict[str, str] = {}
    for c in result.get("citations") or []:
        if c["doc_id"] in internal and (c["n"] in markers or (len(c["quote"]) > 20 and c["quote"] in text)):
            titles.setdefault(c["doc_id"], c["title"])
    return list(titles.values())


def check_no_internal(text: str, result: dict[str, Any]) -> None:
    """Refuse a reply that cites a document marked internal: a reply goes to the citizen, those documents never do."""
    titles = internal_citations(text, result)
    if titles:
        named = " ; ".join(f"« {t} »" for t in titles)
        raise InputError(
            f"La réponse cite un document interne ({named}) : retirez ce passage et son marqueur [n] avant de "
            "valider. Un document interne n'est jamais communiqué à l'habitant."
        )


def discard_draft(session: Session, request: Request, actor: str) -> None:
    """Set the assistant's draft aside: the agent writes the reply from scratch (the caller checks it is open)."""
    request.current_version += 1
    request.current_text = ""
    session.add(
        DraftVersion(
            request_id=request.id,
            version=request.current_version,
            origin="agent",
            text="",
            status="ecarte",
            confidence=None,
            result={},
            created_by=actor,
        )
    )
    _audit(session, request, actor, TrailAction.DRAFT_DISCARDED, version=request.current_version)


def written_by_agent(session: Session, request: Request) -> bool:
    """True when the agent set the latest draft aside, or the assistant abstained: the reply is the agent's own."""
    last = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.request_id == request.id,
            AuditEvent.action.in_((TrailAction.DRAFT_GENERATED, TrailAction.DRAFT_DISCARDED)),
        )
        .order_by(AuditEvent.id.desc())
    )
    if last is None:
        return True
    return last.action == TrailAction.DRAFT_DISCARDED or last.data.get("status") != "answered"
