"""Public pages for citizens, no login: the FAQ, the question box, the form to ask the desk, the private reply link.

No cookie is set here: the form carries a signed, timestamped token instead of a session (it also tells a person
from a robot that posts at once), plus a honeypot field. Every route is rate-limited per client address.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from server.core import faq, outbox, public_answer, workflow
from server.core.errors import AccueilError, InputError, RateLimited
from server.core.tables import Request as Demande
from server.core.tables import utcnow
from server.web.security import DbDep, client_ip, secret_key

log = logging.getLogger(__name__)
router = APIRouter()
FORM_SALT = "formulaire-question"
FORM_MIN_SECONDS = 2
FORM_MAX_SECONDS = 2 * 3600
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]{2,}$")


def limited(request: Request) -> None:
    """Count this request against the client's per-minute budget."""
    request.app.state.public_limiter.hit(client_ip(request))


Limited = Depends(limited)


def _render(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    settings = request.app.state.settings
    return request.app.state.templates.TemplateResponse(
        request,
        name,
        status_code=status,
        context={"commune": settings.commune_name, "contacts": settings.public_contacts, **context},
    )


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(request.app.state.settings), salt=FORM_SALT)


def _form_token(request: Request, question: str) -> str:
    return _signer(request).dumps({"q": question[:2000]})


def _check_form_token(request: Request, token: str) -> None:
    """The form was served by this service between 2 seconds and 2 hours ago."""
    try:
        _, issued = _signer(request).loads(token, max_age=FORM_MAX_SECONDS, return_timestamp=True)
    except SignatureExpired:
        raise InputError("Le formulaire a expiré : rechargez la page et envoyez de nouveau votre question.") from None
    except BadSignature:
        raise InputError("Formulaire invalide : rechargez la page.") from None
    if (dt.datetime.now(dt.UTC) - issued).total_seconds() < FORM_MIN_SECONDS:
        raise InputError("Formulaire envoyé trop vite : relisez-le et envoyez-le de nouveau.")


@router.get("/faq", response_class=HTMLResponse, dependencies=[Limited])
def faq_page(request: Request, db: DbDep, q: str = "") -> HTMLResponse:
    """Published FAQ entries by theme, with their sources and dates; a search box over them."""
    q = q.strip()[:200]
    matches = faq.search(db, q) if q else []
    return _render(
        request, "public_faq.html", q=q, matches=matches, themes=faq.by_theme(faq.entries(db, published_only=True))
    )


@router.get("/question", response_class=HTMLResponse, dependencies=[Limited])
def question_page(request: Request, db: DbDep, q: str = "") -> HTMLResponse:
    """The question box; with a question, its answer (a FAQ entry, verbatim public extracts) or the form."""
    q = q.strip()
    if not q:
        return _render(request, "public_question.html", q="", answer=None, token=_form_token(request, ""))
    settings = request.app.state.settings
    if len(q) > settings.max_question_chars:
        raise InputError(f"La question dépasse {settings.max_question_chars} caractères.")
    assistant = request.app.state.assistant
    found = public_answer.answer(db, assistant, q, assistant.public_threshold)
    return _render(request, "public_question.html", q=q, answer=found, token=_form_token(request, q))


@router.post("/question/envoyer", response_class=HTMLResponse, dependencies=[Limited])
def send_question(
    request: Request,
    db: DbDep,
    question: Annotated[str, Form(max_length=4000)],
    courriel: Annotated[str, Form(max_length=400)],
    jeton: Annotated[str, Form(max_length=2000)],
    consentement: Annotated[bool, Form()] = False,
    site_web: Annotated[str, Form(max_length=400)] = "",
) -> HTMLResponse:
    """Send the question to the desk (channel web); the confirmation gives its reference."""
    settings = request.app.state.settings
    email = courriel.strip()
    if site_web:
        # The honeypot is hidden from people: whoever fills it is a robot, and gets nothing to learn from.
        return _render(request, "public_sent.html", ref=None)
    _check_form_token(request, jeton)
    if not consentement:
        raise InputError("Cochez la case de consentement pour que nous puissions traiter votre question.")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InputError("Adresse électronique invalide.")
    since = utcnow() - dt.timedelta(hours=1)
    recent = db.scalar(
        select(func.count(Demande.id)).where(
            func.lower(Demande.citizen_email) == email.lower(), Demande.channel == "web", Demande.created_at >= since
        )
    )
    if (recent or 0) >= settings.public_questions_per_hour:
        raise RateLimited("Vous avez déjà envoyé plusieurs questions cette heure-ci : réessayez plus tard.")
    demande = workflow.create_request(db, question, "web", "habitant", citizen_email=email)
    try:
        workflow.generate_draft(db, demande, request.app.state.assistant, "assistant")
    except AccueilError as exc:
        # The question is already saved (committed before drafting): the desk drafts the reply itself.
        log.warning("Demande %s reçue sans brouillon : %s", demande.ref, exc.message)
    return _render(request, "public_sent.html", ref=demande.ref, email=email)


@router.get("/confidentialite", response_class=HTMLResponse, dependencies=[Limited])
def privacy(request: Request) -> HTMLResponse:
    """What is kept about a citizen's question, why, and for how long."""
    return _render(request, "public_privacy.html", retention_days=request.app.state.settings.retention_days)


@router.get("/reponse/{token}", response_class=HTMLResponse, dependencies=[Limited])
def reply(request: Request, db: DbDep, token: str) -> HTMLResponse:
    """The reply to a citizen's question, through the private link of the mail."""
    demande = outbox.request_for_token(db, token)
    return _render(request, "public_reply.html", d=demande)
