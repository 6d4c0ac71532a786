"""Personal data retention: anonymise old requests (``accueil purge``), erase one citizen (``accueil forget``).

Purge keeps what statistics need (dates, channel, theme, states, edit ratios) and masks personal data in every
text kept about a request older than ``retention_days``: its question and reply, its draft versions, its audit
events, its remembered reply; the e-mail address, the outbox copy and the private link are deleted.
Forget goes further for every request sent with one e-mail address: the texts themselves are replaced.
Each run is logged in ``erasures`` without personal data (the address only as its SHA-256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.core import pii
from server.core.errors import InputError
from server.core.tables import (
    AuditEvent,
    DraftVersion,
    Erasure,
    MemoryEntry,
    OutgoingMail,
    ReplyLink,
    Request,
    utcnow,
)

# Keys of audit data and draft results that hold free text written by a citizen or an agent.
TEXT_KEYS = ("question", "text", "diff", "comment", "draft", "to")
ERASED = "[effacé à la demande de l'habitant]"


def _rewrite(data: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
    return {k: change(v) if k in TEXT_KEYS and isinstance(v, str) and v else v for k, v in data.items()}


def _anonymise(session: Session, request: Request, change: Callable[[str], str], forget: bool) -> None:
    request.question = change(request.question)
    request.current_text = change(request.current_text) if request.current_text else ""
    request.citizen_email = None
    request.anonymised_at = utcnow()
    for version in session.scalars(select(DraftVersion).where(DraftVersion.request_id == request.id)):
        version.text = change(version.text) if version.text else ""
        version.result = _rewrite(dict(version.result), change)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.request_id == request.id)):
        event.data = _rewrite(dict(event.data), change)
    if forget:
        session.execute(delete(MemoryEntry).where(MemoryEntry.request_id == request.id))
    else:
        for entry in session.scalars(select(MemoryEntry).where(MemoryEntry.request_id == request.id)):
            entry.question, entry.text = change(entry.question), change(entry.text)
    session.execute(delete(OutgoingMail).where(OutgoingMail.request_id == request.id))
    session.execute(delete(ReplyLink).where(ReplyLink.request_id == request.id))


def _run(session: Session, kind: str, subject: str, actor: str, requests: list[Request], forget: bool) -> int:
    erasure = Erasure(kind=kind, subject=subject, requests=0, state="en_cours", actor=actor)
    session.add(erasure)
    session.flush()  # the triggers now let this transaction rewrite the trail
    change = (lambda _: ERASED) if forget else pii.mask
    for request in requests:
        _anonymise(session, request, change, forget)
    session.flush()  # every rewrite is written while the erasure is still "en_cours"
    erasure.requests = len(requests)
    erasure.state = "terminee"
    session.flush()
    return len(requests)


def purge(session: Session, retention_days: int, actor: str, now: dt.datetime | None = None) -> int:
    """Anonymise the requests created more than ``retention_days`` ago; returns how many."""
    if retention_days < 1:
        raise InputError("La durée de conservation doit être d'au moins un jour.")
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    old = list(session.scalars(select(Request).where(Request.created_at < cutoff, Request.anonymised_at.is_(None))))
    return _run(session, "purge", cutoff.date().isoformat(), actor, old, forget=False)


def email_digest(email: str) -> str:
    """How an erased address is recorded: its SHA-256, never the address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def forget(session: Session, email: str, actor: str) -> int:
    """Erase every request sent with ``email`` (any case); returns how many."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise InputError("Adresse électronique invalide.")
    mine = list(session.scalars(select(Request).where(func.lower(Request.citizen_email) == email.lower())))
    return _run(session, "oubli", email_digest(email), actor, mine, forget=True)
