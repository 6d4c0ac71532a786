"""Rendering shared by the page routers: French labels, the common template context, redirect with a message."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from server.core.desk.activity import CHANNEL_NAMES, REASON_NAMES
from server.web.security import csrf_token

STATE_LABELS = {
    "nouvelle": "Nouvelle",
    "brouillon_pret": "Brouillon prêt",
    "validee": "Validée",
    "rejetee": "Rejetée",
    "transmise": "Transmise",
}
CHANNEL_LABELS = CHANNEL_NAMES
REASON_LABELS = REASON_NAMES
ACTION_LABELS = {
    "creee": "Demande créée",
    "brouillon_genere": "Brouillon généré",
    "enregistree": "Texte enregistré",
    "validee": "Réponse validée",
    "rejetee": "Brouillon rejeté",
    "transmise": "Demande transmise",
    "memoire_reprise": "Réponse mémorisée reprise",
    "courriel_en_attente": "Courriel de réponse mis en file d'envoi",
    "courriel_envoye": "Courriel de réponse envoyé",
    "courriel_echec": "Échec d'envoi du courriel (nouvel essai prévu)",
    "courriel_relance": "Envoi du courriel relancé",
    "brouillon_ecarte": "Brouillon écarté : réponse rédigée par l'agent",
    "commentaire_interne": "Commentaire interne (jamais envoyé à l'habitant)",
    "epinglee": "Demande épinglée",
    "desepinglee": "Demande désépinglée",
    "theme_modifie": "Thème modifié",
}
REPLY_VIA_LABELS = {"guichet": "Guichet", "telephone": "Téléphone", "courriel": "Courriel", "courrier": "Courrier"}
MAIL_STATES = {
    "a_envoyer": "En attente d'envoi",
    "envoi_en_cours": "Envoi en cours",
    "envoye": "Envoyé",
    "echec": "Échec",
}


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the common context (user, CSRF token, labels, flash message)."""
    templates = request.app.state.templates
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    return templates.TemplateResponse(
        request,
        name,
        status_code=status,
        context={
            "csrf": csrf_token(request),
            "flash": flash,
            "states": STATE_LABELS,
            "channels": CHANNEL_LABELS,
            "reasons": REASON_LABELS,
            "actions": ACTION_LABELS,
            "reply_via_labels": REPLY_VIA_LABELS,
            **context,
        },
    )


def back(request: Request, url: str, message: str | None = None) -> RedirectResponse:
    """Redirect (303) after a form, with a message shown once on the next page."""
    if message:
        request.session["flash"] = message
    return RedirectResponse(url, status_code=303)
