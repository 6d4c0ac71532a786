"""The desk's workflow on requests: create, draft, save, validate, reject, transfer, follow up.

Every step writes the request's current state and appends to the audit trail (and, for drafts, to the
draft versions): who did what, when, from what. Routes and the CLI call these functions only.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.answer.llm_draft import OnVerdict
from server.core.answer.models import DraftResult
from server.core.config import TEXT_GUARD
from server.core.desk import memory, outbox, workspace
from server.core.desk.labels import state_label
from server.core.desk.states import OPEN_STATES, RequestState, TrailAction
from server.core.desk.tables import (
    CHANNELS,
    REJECT_REASONS,
    AuditEvent,
    DraftVersion,
    MemoryEntry,
    Request,
    User,
    utcnow,
)
from server.core.errors import Conflict, InputError, NotFound


def _audit(session: Session, request: Request | None, actor: str, action: TrailAction, **data: Any) -> None:
    session.add(AuditEvent(request_id=request.id if request else None, actor=actor, action=action, data=data))


def _ref_for(request: Request) -> str:
    """The request's reference, from its id: unique even when requests are created at the same time."""
    return f"D-{dt.date.today().year}-{request.id:06d}"


def get_request(session: Session, request_id: int) -> Request:
    """A request by id, or NotFound (also for an id SQLite cannot even hold)."""
    request = session.get(Request, request_id) if 0 < request_id < 2**63 else None
    if request is None:
        raise NotFound(f"Demande {request_id} introuvable.")
    return request


def thread_of(session: Session, request: Request) -> list[Request]:
    """Every request of the request's thread, oldest first."""
    root = request.thread_id or request.id
    rows = session.scalars(
        select(Request).where((Request.id == root) | (Request.thread_id == root)).order_by(Request.id)
    ).all()
    return list(rows)


def create_request(
    session: Session,
    question: str,
    channel: str,
    actor: str,
    user: User | None = None,
    thread: Request | None = None,
    citizen_email: str | None = None,
) -> Request:
    """Register a new request in the inbox (state ``RequestState.NEW``)."""
    question = question.strip()
    if not question:
        raise InputError("La question est vide.")
    if len(question) > TEXT_GUARD:
        raise InputError(f"La question dépasse {TEXT_GUARD} caractères.")
    if channel not in CHANNELS:
        raise InputError(f"Canal inconnu {channel!r} ({', '.join(CHANNELS)}).")
    request = Request(
        ref=f"tmp-{uuid.uuid4().hex[:24]}",  # replaced by the id-based reference below, in the same transaction
        question=question,
        channel=channel,
        state=RequestState.NEW,
        created_by=user.id if user else None,
        citizen_email=citizen_email,
        thread_id=(thread.thread_id or thread.id) if thread else None,
        current_text="",
        theme="",
    )
    session.add(request)
    session.flush()
    request.ref = _ref_for(request)
    _audit(
        session,
        request,
        actor,
        TrailAction.CREATED,
        question=question,
        channel=channel,
        thread_id=request.thread_id,
        citizen_email=bool(citizen_email),
    )
    return request


def generate_draft(
    session: Session,
    request: Request,
    assistant: Assistant,
    actor: str,
    pinned: list[str] | None = None,
    excluded: list[str] | None = None,
    on_verdict: OnVerdict | None = None,
) -> DraftResult:
    """Ask the assistant for a draft (with the thread's earlier questions) and record it as a new version.

    What the session holds so far (the new request) is committed before drafting; ``on_verdict`` hears the
    language model's sentences as they are verified (``llm`` mode).
    """
    if request.state not in OPEN_STATES:
        raise Conflict("Cette demande est close : on ne peut plus régénérer son brouillon.")
    history = [r.question for r in thread_of(session, request) if r.id < request.id]
    # Commit first: the question is kept even if drafting fails, and no write lock is held while drafting
    # (a load test of 16 writers on SQLite timed out on "database is locked" when it was).
    session.commit()
    result = assistant.draft(request.question, history=history, pinned=pinned, excluded=excluded, on_verdict=on_verdict)
    request.current_version += 1
    request.current_text = result.draft if result.status == "answered" else ""
    request.state = RequestState.DRAFT_READY
    request.abstained = result.status == "abstained"
    if result.sources and not request.theme:
        top = assistant.index().manifest.docs.get(result.sources[0].doc_id, {})
        request.theme = workspace.suggested_theme(assistant.settings.themes, str(top.get("theme", "")))
    payload = result.model_dump(mode="json")
    session.add(
        DraftVersion(
            request_id=request.id,
            version=request.current_version,
            origin="assistant",
            text=result.draft,
            status=result.status,
            confidence=result.confidence,
            result=payload,
            created_by="assistant",
        )
    )
    _audit(
        session,
        request,
        actor,
        TrailAction.DRAFT_GENERATED,
        version=request.current_version,
        status=result.status,
        confidence=result.confidence,
        threshold=result.threshold,
        abstain_reason=result.abstain_reason,
        text=result.draft,
        citations=payload["citations"],
        sources=payload["sources"],
        provenance=payload["provenance"],
        llm=payload["llm"],
        pinned=pinned or [],
        excluded=excluded or [],
    )
    return result


def check_open(request: Request) -> None:
    """Refuse a change to a closed request."""
    if request.state not in OPEN_STATES:
        raise Conflict(f"La demande {request.ref} est déjà close ({state_label(request.state).lower()}).")


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > TEXT_GUARD:
        raise InputError(f"La réponse dépasse {TEXT_GUARD} caractères.")
    return text


def save(session: Session, request: Request, text: str, actor: str) -> None:
    """Save the agent's working text as a new version (the request stays open)."""
    check_open(request)
    text = _clean_text(text)
    request.current_version += 1
    request.current_text = text
    session.add(
        DraftVersion(
            request_id=request.id,
            version=request.current_version,
            origin="agent",
            text=text,
            status="edited",
            confidence=None,
            result={},
            created_by=actor,
        )
    )
    _audit(session, request, actor, TrailAction.SAVED, version=request.current_version, text=text)


def reuse_memory(session: Session, request: Request, entry_id: int, actor: str) -> None:
    """Take a reply validated earlier (answer memory) as the working text; the reuse is recorded."""
    check_open(request)
    entry = session.get(MemoryEntry, entry_id) if 0 < entry_id < 2**63 else None
    if entry is None:
        raise NotFound(f"Réponse mémorisée {entry_id} introuvable.")
    request.current_version += 1
    request.current_text = entry.text
    session.add(
        DraftVersion(
            request_id=request.id,
            version=request.current_version,
            origin="memoire",
            text=entry.text,
            status="edited",
            confidence=None,
            result={"memory_entry": entry.id, "from_request": entry.request_id},
            created_by=actor,
        )
    )
    _audit(
        session,
        request,
        actor,
        TrailAction.MEMORY_REUSED,
        version=request.current_version,
        memory_entry=entry.id,
        from_request=entry.request_id,
    )


def _reused_memory(session: Session, request: Request) -> int | None:
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.request_id == request.id, AuditEvent.action == TrailAction.MEMORY_REUSED)
        .order_by(AuditEvent.id.desc())
    )
    return int(event.data["memory_entry"]) if event else None


def last_generated(session: Session, request: Request) -> DraftVersion | None:
    """The latest draft the assistant generated for the request."""
    return session.scalar(
        select(DraftVersion)
        .where(DraftVersion.request_id == request.id, DraftVersion.origin == "assistant")
        .order_by(DraftVersion.version.desc())
    )


def edit_summary(draft: str, final: str) -> tuple[str, float]:
    """Unified diff between the assistant's draft and the agent's final text, and the edit ratio (0 = unchanged)."""
    diff = "\n".join(difflib.unified_diff(draft.splitlines(), final.splitlines(), "brouillon", "réponse", lineterm=""))
    ratio = 1.0 - difflib.SequenceMatcher(None, draft, final, autojunk=False).ratio()
    return diff, round(ratio, 4)


def validate(session: Session, request: Request, text: str, actor: str, assistant: Assistant) -> None:
    """Validate the final reply: recorded with its diff and edit ratio, and kept in the answer memory."""
    check_open(request)
    text = _clean_text(text)
    if not text:
        raise InputError("La réponse est vide : écrivez le texte à remettre à l'habitant avant de valider.")
    generated = last_generated(session, request)
    workspace.check_no_internal(text, generated.result if generated else {})
    draft_text = generated.text if generated and generated.status == "answered" else ""
    diff, ratio = edit_summary(draft_text, text)
    reused = _reused_memory(session, request)
    request.reply_via = request.reply_via or workspace.DEFAULT_VIA.get(request.channel)
    request.current_text = text
    request.state = RequestState.VALIDATED
    request.closed_at = utcnow()
    citations = generated.result.get("citations", []) if generated else []
    _audit(
        session,
        request,
        actor,
        TrailAction.VALIDATED,
        text=text,
        draft_version=generated.version if generated else None,
        diff=diff,
        edit_ratio=ratio,
        edited=ratio > 0,
        sending="à envoyer" if request.citizen_email else "remise par l'agent",
        memory_reused=reused,
        written_by_agent=reused is None and workspace.written_by_agent(session, request),
        reply_via=request.reply_via,
        callback=bool(request.callback_phone),
    )
    sources = [
        {"doc_id": c["doc_id"], "title": c["title"], "chunk_id": c["chunk_id"], "content_hash": c["content_hash"]}
        for c in citations
    ]
    memory.remember(session, request.id, request.question, text, sources)
    if request.channel == "web" and request.citizen_email:
        outbox.enqueue_reply(session, assistant.settings, request)


def reject(session: Session, request: Request, reason: str, comment: str, actor: str) -> None:
    """Reject the draft with a reason (incorrect, incomplet, obsolete, hors_sujet, autre)."""
    check_open(request)
    if reason not in REJECT_REASONS:
        raise InputError(f"Motif de rejet inconnu {reason!r}.")
    if reason == "autre" and not comment.strip():
        raise InputError("Précisez le motif « autre » dans le commentaire.")
    request.state = RequestState.REJECTED
    request.closed_at = utcnow()
    _audit(session, request, actor, TrailAction.REJECTED, reason=reason, comment=comment.strip())


def transfer(session: Session, request: Request, to: str, comment: str, actor: str) -> None:
    """Hand the request over to a named service or colleague."""
    check_open(request)
    if not to.strip():
        raise InputError("Indiquez à qui la demande est transmise.")
    request.state = RequestState.TRANSFERRED
    request.transferred_to = to.strip()  # routes check the lengths against the settings: never cut
    request.closed_at = utcnow()
    _audit(session, request, actor, TrailAction.TRANSFERRED, to=request.transferred_to, comment=comment.strip())


def discard_draft(session: Session, request: Request, actor: str) -> None:
    """Set the assistant's draft aside so that the agent writes the reply from scratch."""
    check_open(request)
    workspace.discard_draft(session, request, actor)


def audit_trail(session: Session, request: Request) -> list[AuditEvent]:
    """The request's audit events, oldest first."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id))
    return list(rows)


def inbox(
    session: Session,
    state: str | None = None,
    channel: str | None = None,
    theme: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 200,
) -> list[Request]:
    """Requests, pinned ones first then newest first, filtered by state, channel, theme and creation date."""
    order = (Request.pinned.desc(), Request.created_at.desc(), Request.id.desc())
    query = select(Request).order_by(*order).limit(limit)
    if state:
        query = query.where(Request.state == state)
    if channel:
        query = query.where(Request.channel == channel)
    if theme:
        query = query.where(Request.theme == theme)
    if since:
        query = query.where(Request.created_at >= dt.datetime.combine(since, dt.time.min, dt.UTC))
    if until:
        query = query.where(Request.created_at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, dt.UTC))
    return list(session.scalars(query))
