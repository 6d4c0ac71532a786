"""JSON API under /api/v1 (OpenAPI-documented): the same actions as the pages, for integrations.

Authentication: ``Authorization: Bearer <token>`` (``accueil token create``), or the page session with an
``X-CSRF-Token`` header for state-changing calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, Field
from starlette.exceptions import HTTPException

from server.core.answer.models import DraftResult
from server.core.config import TEXT_GUARD, Settings
from server.core.desk import workflow
from server.core.desk.tables import Request as Demande
from server.core.errors import InputError
from server.web.deps import Agent, AssistantDep, DbDep, MailWorkerDep, SettingsDep
from server.web.form_errors import length_errors
from server.web.security import check_csrf


class ErrorDetail(BaseModel):
    """One invalid field of a request."""

    champ: str
    message: str


class ErrorOut(BaseModel):
    """Every API error: the exception's class name and a French message (and the fields at fault, if any)."""

    error: str
    message: str
    details: list[ErrorDetail] | None = None


class JsonRoute(APIRoute):
    """An API route whose unreadable body (not UTF-8…) is an InputError, not FastAPI's bare English 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, with the body-parsing HTTPException (Starlette's own class) turned into an InputError."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                raise InputError("Corps de la requête illisible : du JSON encodé en UTF-8 est attendu.") from exc

        return route


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Jeton absent, invalide ou révoqué."},
    403: {"model": ErrorOut, "description": "Rôle insuffisant, ou jeton CSRF manquant avec le cookie de session."},
    404: {"model": ErrorOut, "description": "Demande introuvable."},
    409: {"model": ErrorOut, "description": "Action impossible dans l'état de la demande."},
    422: {"model": ErrorOut, "description": "Requête invalide : champ manquant, trop long, mal typé…"},
    503: {"model": ErrorOut, "description": "Index indisponible."},
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=_ERRORS, route_class=JsonRoute)


def _no_nul(value: str) -> str:
    """Refuse the NUL character: the text goes to SQLite, e-mails and CSV exports."""
    if "\x00" in value:
        raise ValueError("caractère nul (U+0000) interdit")
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite gives datetimes back naive; they were stored in UTC, and RFC 3339 needs the offset."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


Text = Annotated[str, AfterValidator(_no_nul)]
UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]
# Up to SQLite's largest integer: a larger id used to overflow in the database driver (a 500).
RequestId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Numéro de la demande.")]
Filter = Annotated[str | None, Query(max_length=100)]
AgentUser = Agent


async def csrf_unless_token(
    request: Request, user: AgentUser, x_csrf_token: Annotated[str | None, Header()] = None
) -> None:
    """State-changing calls made with the session cookie must carry the CSRF token (checked after login)."""
    if not getattr(request.state, "via_token", False):
        check_csrf(request, x_csrf_token)


Writes = Depends(csrf_unless_token)
# The schema's bounds only guard against huge bodies (TEXT_GUARD, above any setting): each route checks the settings'
# limits itself, before anything is written, and refuses with a French message naming the field.


def _refuse_too_long(checks: list[tuple[str, str, str, int]]) -> None:
    """Raise an InputError naming each text longer than its limit (``(field, label, text, limit)`` checks)."""
    errors = length_errors(checks)
    if errors:
        raise InputError(" ".join(errors.values()), fields=sorted(errors))


def _refuse_long_question(settings: Settings, question: str, history: list[str] | None = None) -> None:
    """Refuse a question (or a thread's earlier question) over ``max_question_chars``, or too long a history."""
    history = history or []
    if len(history) > settings.max_history_questions:
        raise InputError(
            f"Historique : {len(history)} questions pour {settings.max_history_questions} au plus.", fields=["history"]
        )
    checks = [("question", "Question", question.strip(), settings.max_question_chars)]
    checks += [
        (f"history.{i}", f"Question précédente n° {i + 1}", h.strip(), settings.max_question_chars)
        for i, h in enumerate(history)
    ]
    _refuse_too_long(checks)


class DraftRequest(BaseModel):
    """Body of ``POST /api/v1/drafts``."""

    question: Text = Field(..., min_length=1, max_length=TEXT_GUARD)
    history: list[Annotated[Text, Field(max_length=TEXT_GUARD)]] = Field(
        default_factory=list,
        max_length=1000,
        description="Questions précédentes du même fil, la plus ancienne d'abord (ACCUEIL_MAX_HISTORY_QUESTIONS au "
        "plus).",
    )
    id: Text | None = Field(None, max_length=200)
    public_only: bool = Field(False, description="N'utiliser que les documents destinés au public.")


class NewRequest(BaseModel):
    """Body of ``POST /api/v1/requests``."""

    question: Text = Field(..., min_length=1, max_length=TEXT_GUARD)
    channel: Literal["guichet", "telephone", "courrier", "web"] = "guichet"
    draft: bool = Field(True, description="Rédiger un brouillon tout de suite.")


class TextBody(BaseModel):
    """Body of save and validate."""

    text: Text = Field(..., max_length=TEXT_GUARD)


class RejectBody(BaseModel):
    """Body of reject."""

    reason: Literal["incorrect", "incomplet", "obsolete", "hors_sujet", "autre"]
    comment: Text = Field("", max_length=TEXT_GUARD)


class TransferBody(BaseModel):
    """Body of transfer."""

    to: Text = Field(..., min_length=1, max_length=TEXT_GUARD)
    comment: Text = Field("", max_length=TEXT_GUARD)


class RegenerateBody(BaseModel):
    """Body of regenerate: document ids to use first, and to leave out."""

    pinned: list[Annotated[Text, Field(max_length=300)]] = Field(default_factory=list, max_length=20)
    excluded: list[Annotated[Text, Field(max_length=300)]] = Field(default_factory=list, max_length=50)


class FollowUpBody(BaseModel):
    """Body of follow-up."""

    question: Text = Field(..., min_length=1, max_length=TEXT_GUARD)


class RequestOut(BaseModel):
    """A request as the API shows it."""

    id: int
    ref: str
    thread_id: int | None
    question: str
    channel: str
    theme: str
    state: str
    created_at: UtcDatetime
    current_text: str
    current_version: int
    transferred_to: str | None


class AuditOut(BaseModel):
    """One audit event."""

    id: int
    at: UtcDatetime
    actor: str
    action: str
    data: dict[str, Any]


def _out(d: Demande) -> RequestOut:
    return RequestOut.model_validate(d, from_attributes=True)


@router.post("/drafts", response_model=DraftResult, dependencies=[Writes])
def api_create_draft(
    body: DraftRequest, settings: SettingsDep, assistant: AssistantDep, user: AgentUser
) -> DraftResult:
    """Draft a grounded reply to a question, or abstain with the nearest sources (nothing stored)."""
    _refuse_long_question(settings, body.question, body.history)
    return assistant.draft(body.question, history=body.history, qid=body.id, public_only=body.public_only)


@router.get("/requests", response_model=list[RequestOut])
def api_list_requests(
    db: DbDep, user: AgentUser, state: Filter = None, channel: Filter = None, theme: Filter = None
) -> list[RequestOut]:
    """The inbox, newest first."""
    return [_out(d) for d in workflow.inbox(db, state=state, channel=channel, theme=theme)]


@router.post("/requests", response_model=RequestOut, status_code=201, dependencies=[Writes])
def api_create_request(
    body: NewRequest, db: DbDep, settings: SettingsDep, assistant: AssistantDep, user: AgentUser
) -> RequestOut:
    """Register a request (and draft its reply); a question over the limit is refused before anything is stored."""
    _refuse_long_question(settings, body.question)
    d = workflow.create_request(db, body.question, body.channel, user.username, user=user)
    if body.draft:
        workflow.generate_draft(db, d, assistant, user.username)
    return _out(d)


@router.get("/requests/{request_id}", response_model=RequestOut)
def api_get_request(request_id: RequestId, db: DbDep, user: AgentUser) -> RequestOut:
    """One request."""
    return _out(workflow.get_request(db, request_id))


@router.get("/requests/{request_id}/draft", response_model=DraftResult | None)
def api_latest_draft(request_id: RequestId, db: DbDep, user: AgentUser) -> Any:
    """The latest draft the assistant generated for the request."""
    generated = workflow.last_generated(db, workflow.get_request(db, request_id))
    return generated.result if generated else None


@router.post("/requests/{request_id}/save", response_model=RequestOut, dependencies=[Writes])
def api_save(request_id: RequestId, body: TextBody, db: DbDep, settings: SettingsDep, user: AgentUser) -> RequestOut:
    """Save the working text."""
    _refuse_too_long([("text", "Réponse", body.text.strip(), settings.max_reply_chars)])
    d = workflow.get_request(db, request_id)
    workflow.save(db, d, body.text, user.username)
    return _out(d)


@router.post("/requests/{request_id}/validate", response_model=RequestOut, dependencies=[Writes])
def api_validate(
    request_id: RequestId,
    body: TextBody,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    mail_worker: MailWorkerDep,
    user: AgentUser,
    tasks: BackgroundTasks,
) -> RequestOut:
    """Validate the final reply (a web request's reply is then e-mailed to the citizen)."""
    _refuse_too_long([("text", "Réponse", body.text.strip(), settings.max_reply_chars)])
    d = workflow.get_request(db, request_id)
    workflow.validate(db, d, body.text, user.username, assistant)
    tasks.add_task(mail_worker.wake)
    return _out(d)


@router.post("/requests/{request_id}/reject", response_model=RequestOut, dependencies=[Writes])
def api_reject(
    request_id: RequestId, body: RejectBody, db: DbDep, settings: SettingsDep, user: AgentUser
) -> RequestOut:
    """Reject the draft with a reason (a comment over its limit is refused, never cut)."""
    _refuse_too_long([("comment", "Commentaire", body.comment.strip(), settings.max_comment_chars)])
    d = workflow.get_request(db, request_id)
    workflow.reject(db, d, body.reason, body.comment, user.username)
    return _out(d)


@router.post("/requests/{request_id}/transfer", response_model=RequestOut, dependencies=[Writes])
def api_transfer(
    request_id: RequestId, body: TransferBody, db: DbDep, settings: SettingsDep, user: AgentUser
) -> RequestOut:
    """Hand the request over to a service or colleague (texts over their limits are refused, never cut)."""
    _refuse_too_long(
        [
            ("to", "Destinataire", body.to.strip(), settings.max_recipient_chars),
            ("comment", "Commentaire", body.comment.strip(), settings.max_comment_chars),
        ]
    )
    d = workflow.get_request(db, request_id)
    workflow.transfer(db, d, body.to, body.comment, user.username)
    return _out(d)


@router.post("/requests/{request_id}/regenerate", response_model=DraftResult, dependencies=[Writes])
def api_regenerate(
    request_id: RequestId, body: RegenerateBody, db: DbDep, assistant: AssistantDep, user: AgentUser
) -> DraftResult:
    """Draft again with pinned and excluded sources."""
    d = workflow.get_request(db, request_id)
    return workflow.generate_draft(db, d, assistant, user.username, pinned=body.pinned, excluded=body.excluded)


@router.post("/requests/{request_id}/follow-up", response_model=RequestOut, status_code=201, dependencies=[Writes])
def api_follow_up(
    request_id: RequestId,
    body: FollowUpBody,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: AgentUser,
) -> RequestOut:
    """Ask a follow-up question in the same thread (refused before anything is stored when too long)."""
    _refuse_long_question(settings, body.question)
    parent = workflow.get_request(db, request_id)
    child = workflow.create_request(
        db, body.question, parent.channel, user.username, user=user, thread=parent, citizen_email=parent.citizen_email
    )
    workflow.generate_draft(db, child, assistant, user.username)
    return _out(child)


@router.get("/requests/{request_id}/audit", response_model=list[AuditOut])
def api_audit(request_id: RequestId, db: DbDep, user: AgentUser) -> list[AuditOut]:
    """The request's audit trail, oldest first."""
    rows = workflow.audit_trail(db, workflow.get_request(db, request_id))
    return [AuditOut.model_validate(r, from_attributes=True) for r in rows]
