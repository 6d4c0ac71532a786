"""Rendering shared by the page routers: French labels, the common template context, redirect with a message."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment

from server.core.answer.reasons import AbstainReason
from server.core.desk import labels
from server.core.desk.activity import CHANNEL_NAMES, REASON_NAMES
from server.core.desk.states import RequestState, TrailAction
from server.web import dates
from server.web.deps import app_templates
from server.web.security import csrf_token

CHANNEL_LABELS = CHANNEL_NAMES
REASON_LABELS = REASON_NAMES
REPLY_VIA_LABELS = {"guichet": "Guichet", "telephone": "Téléphone", "courriel": "Courriel", "courrier": "Courrier"}
MAIL_STATES = {
    "a_envoyer": "En attente d'envoi",
    "envoi_en_cours": "Envoi en cours",
    "envoye": "Envoyé",
    "echec": "Échec",
}


def register(env: Environment) -> None:
    """Give the templates the codes to compare against and the filters that turn a code into its French label."""
    env.globals.update(RequestState=RequestState, TrailAction=TrailAction, AbstainReason=AbstainReason)
    env.filters.update(labels.FILTERS, date_longue=dates.long_date)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the common context (user, CSRF token, labels, flash message)."""
    templates = app_templates(request)
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    return templates.TemplateResponse(
        request,
        name,
        status_code=status,
        context={
            "csrf": csrf_token(request),
            "flash": flash,
            "channels": CHANNEL_LABELS,
            "reasons": REASON_LABELS,
            "reply_via_labels": REPLY_VIA_LABELS,
            **context,
        },
    )


def back(request: Request, url: str, message: str | None = None) -> RedirectResponse:
    """Redirect (303) after a form, with a message shown once on the next page."""
    if message:
        request.session["flash"] = message
    return RedirectResponse(url, status_code=303)
