"""Public pages for citizens, no login: the FAQ, the question box, the form to ask the desk, the private reply link.

No cookie is set here. A question is sent in a POST body, never in an address. The form to send it to the desk
carries a single-use token issued for that question (stored hashed in the database; it also tells a person from a
robot that posts at once), plus a honeypot field; the questions sent are limited per hour and client address in the
database, and one reaches the desk only once its e-mail address is confirmed (see ``server.core.desk.public_form``).
Every route is also rate-limited per client address and minute.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from starlette.background import BackgroundTask

from server.core.config import Settings
from server.core.desk import faq, faq_match, outbox, public_answer, public_form, public_stats, workflow
from server.core.errors import AccueilError, InputError
from server.web.deps import (
    AssistantDep,
    DbDep,
    MailWorkerDep,
    PublicLimiterDep,
    SettingsDep,
    app_settings,
    app_templates,
)
from server.web.form_errors import length_errors
from server.web.security import client_ip, secret_key

log = logging.getLogger(__name__)
router = APIRouter()
MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]{2,}$")


def limited(request: Request, limiter: PublicLimiterDep) -> None:
    """Count this request against the client's per-minute budget."""
    limiter.hit(client_ip(request))


Limited = Depends(limited)


def _render(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    settings, templates = app_settings(request), app_templates(request)
    return templates.TemplateResponse(
        request,
        name,
        status_code=status,
        context={"commune": settings.commune_name, "contacts": settings.public_contacts, **context},
    )


@router.get("/faq", response_class=HTMLResponse, dependencies=[Limited])
def faq_page(request: Request, db: DbDep, settings: SettingsDep, assistant: AssistantDep, q: str = "") -> HTMLResponse:
    """Published FAQ entries by theme, with their sources and dates; a search box over them (a search over its
    limit is refused next to the box, never cut)."""
    q = q.strip()
    errors = length_errors([("q", "Recherche", q, settings.max_search_chars)], stored=False)
    found = [] if not q or errors else faq_match.search(db, assistant.embedder, settings.commune_name, q)
    return _render(
        request,
        "public_faq.html",
        status=422 if errors else 200,
        q=q,
        matches=found,
        errors=errors,
        themes=faq.by_theme(faq.entries(db, published_only=True)),
    )


@router.get("/question", response_class=HTMLResponse, dependencies=[Limited])
def question_page(request: Request) -> HTMLResponse:
    """The question box (empty: a question never travels in an address, so never in a log or a history)."""
    return _render(request, "public_question.html", q="", answer=None)


def _question_refused(request: Request, settings: Settings, question: str, *, stored: bool) -> HTMLResponse | None:
    """The question page again (422) when the question is over its limit, what was typed kept and the reason next
    to the field; None when it fits. ``stored``: sending it would have kept it."""
    errors = length_errors([("q", "Votre question", question.strip(), settings.max_question_chars)], stored=stored)
    if not errors:
        return None
    return _render(request, "public_question.html", status=422, q=question, answer=None, errors=errors)


@router.post("/question", response_class=HTMLResponse, dependencies=[Limited])
def search_question(
    request: Request, db: DbDep, settings: SettingsDep, assistant: AssistantDep, q: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """The answer to the question typed (a FAQ entry, verbatim public extracts or none), the close FAQ entries,
    and the form to send it to the desk."""
    refused = _question_refused(request, settings, q, stored=False)
    if refused is not None:
        return refused
    q = q.strip()
    if not q:
        return _render(request, "public_question.html", q="", answer=None)
    found = public_answer.answer(db, assistant, q, assistant.public_threshold)
    public_stats.record_answer(db, found)  # its outcome only, never its text
    return _render(
        request,
        "public_question.html",
        q=q,
        answer=found,
        personal=found.reason == public_answer.PERSONAL,
        delay=settings.public_reply_delay,
        close=found.suggestions,
        token=public_form.issue_form_token(db, q),
    )


@router.post("/question/envoyer", response_class=HTMLResponse, dependencies=[Limited])
def send_question(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    mail_worker: MailWorkerDep,
    question: Annotated[str, Form()],
    courriel: Annotated[str, Form(max_length=400)],
    jeton: Annotated[str, Form(max_length=2000)],
    consentement: Annotated[bool, Form()] = False,
    site_web: Annotated[str, Form(max_length=400)] = "",
) -> HTMLResponse:
    """Keep the question until its address is confirmed, and mail the confirmation link to that address."""
    email = courriel.strip()
    if site_web:
        # The honeypot is hidden from people: whoever fills it is a robot, and gets nothing to learn from.
        return _render(request, "public_sent.html", ref=None, email=None)
    if not consentement:
        raise InputError("Cochez la case de consentement pour que nous puissions traiter votre question.")
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InputError("Adresse électronique invalide.")
    refused = _question_refused(request, settings, question, stored=True)
    if refused is not None:
        return refused
    # An error below rolls the whole transaction back: the token stays usable and nothing is counted.
    public_form.use_form_token(db, jeton, question)
    public_form.count_address(db, settings, client_ip(request), secret_key(settings))
    public_form.submit(db, settings, question, email)
    done = _render(request, "public_sent.html", ref=None, email=email, hours=settings.public_confirm_hours)
    done.background = BackgroundTask(mail_worker.wake)
    return done


@router.get("/question/confirmer/{token}", response_class=HTMLResponse, dependencies=[Limited])
def confirm_page(request: Request, db: DbDep, token: str) -> HTMLResponse:
    """The page of the confirmation link: the question, and a button (a mail scanner opening the link confirms
    nothing)."""
    pending = public_form.pending_for(db, token)
    return _render(request, "public_confirm.html", question=pending.question, token=token)


@router.post("/question/confirmer", response_class=HTMLResponse, dependencies=[Limited])
def confirm(
    request: Request, db: DbDep, assistant: AssistantDep, jeton: Annotated[str, Form(max_length=400)]
) -> HTMLResponse:
    """The address is confirmed: the question enters the inbox and gets its reference."""
    demande = public_form.confirm(db, jeton)
    try:
        workflow.generate_draft(db, demande, assistant, "assistant")
    except AccueilError as exc:
        # The question is already saved (committed before drafting): the desk drafts the reply itself.
        log.warning("Demande %s reçue sans brouillon : %s", demande.ref, exc.message)
    return _render(request, "public_sent.html", ref=demande.ref, email=demande.citizen_email)


@router.get("/confidentialite", response_class=HTMLResponse, dependencies=[Limited])
def privacy(request: Request, settings: SettingsDep) -> HTMLResponse:
    """What is kept about a citizen's question, why, and for how long."""
    return _render(
        request,
        "public_privacy.html",
        retention_days=settings.retention_days,
        confirm_hours=settings.public_confirm_hours,
        link_days=settings.reply_link_days,
    )


@router.get("/reponse/{token}", response_class=HTMLResponse, dependencies=[Limited])
def reply(request: Request, db: DbDep, settings: SettingsDep, token: str) -> HTMLResponse:
    """The reply to a citizen's question, through the private link of the mail."""
    demande = outbox.request_for_token(db, token, settings.reply_link_days)
    return _render(request, "public_reply.html", d=demande)
