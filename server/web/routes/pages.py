"""Agent pages (server-rendered, French): login, inbox, new request, request view and its actions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from server.core import auth, memory, workflow
from server.core.errors import AccueilError
from server.core.tables import CHANNELS, STATES, User
from server.core.tables import Request as Demande
from server.web.security import Admin, Agent, DbDep, Supervisor, check_csrf, csrf_token, login_session
from server.web.views import source_panels

router = APIRouter()
Csrf = Annotated[str, Form(alias="csrf_token")]

STATE_LABELS = {
    "nouvelle": "Nouvelle",
    "brouillon_pret": "Brouillon prêt",
    "validee": "Validée",
    "rejetee": "Rejetée",
    "transmise": "Transmise",
}
CHANNEL_LABELS = {"guichet": "Guichet", "telephone": "Téléphone", "courrier": "Courrier", "web": "Web"}
REASON_LABELS = {
    "incorrect": "Incorrect",
    "incomplet": "Incomplet",
    "obsolete": "Obsolète",
    "hors_sujet": "Hors sujet",
    "autre": "Autre",
}
ACTION_LABELS = {
    "creee": "Demande créée",
    "brouillon_genere": "Brouillon généré",
    "enregistree": "Texte enregistré",
    "validee": "Réponse validée",
    "rejetee": "Brouillon rejeté",
    "transmise": "Demande transmise",
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
            **context,
        },
    )


def _back(request: Request, url: str, message: str | None = None) -> RedirectResponse:
    if message:
        request.session["flash"] = message
    return RedirectResponse(url, status_code=303)


@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, suivant: str = "/demandes") -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", suivant=suivant if suivant.startswith("/") else "/demandes", user=None)


@router.post("/connexion")
def login(
    request: Request,
    db: DbDep,
    csrf: Csrf,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    suivant: Annotated[str, Form()] = "/demandes",
) -> Response:
    """Check credentials and open a session (rotated)."""
    check_csrf(request, csrf)
    user = auth.authenticate(db, username, password)
    if user is None:
        return render(
            request,
            "login.html",
            status=401,
            user=None,
            suivant=suivant,
            error="Identifiant ou mot de passe incorrect.",
        )
    login_session(request, user)
    target = suivant if suivant.startswith("/") and not suivant.startswith("//") else "/demandes"
    return RedirectResponse(target, status_code=303)


@router.post("/deconnexion")
def logout(request: Request, csrf: Annotated[str, Form(alias="csrf_token")] = "") -> RedirectResponse:
    """Close the session (an anonymous visitor is simply sent to the login form)."""
    if request.session.get("uid"):
        check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/connexion", status_code=303)


@router.get("/")
def home(user: Agent) -> RedirectResponse:
    """The inbox is the home page."""
    return RedirectResponse("/demandes", status_code=303)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/demandes", response_class=HTMLResponse)
def inbox(
    request: Request,
    db: DbDep,
    user: Agent,
    etat: str | None = None,
    canal: str | None = None,
    theme: str | None = None,
    du: str | None = None,
    au: str | None = None,
) -> HTMLResponse:
    """The inbox, filtered by state, channel, theme and date."""
    rows = workflow.inbox(
        db, state=etat or None, channel=canal or None, theme=theme or None, since=_date(du), until=_date(au)
    )
    filters = {"etat": etat or "", "canal": canal or "", "theme": theme or "", "du": du or "", "au": au or ""}
    return render(
        request, "inbox.html", user=user, rows=rows, filters=filters, state_list=STATES, channel_list=CHANNELS
    )


@router.get("/demandes/nouvelle", response_class=HTMLResponse)
def new_form(request: Request, user: Agent) -> HTMLResponse:
    """The form to register a question received at the desk, by phone or by mail."""
    return render(request, "request_new.html", user=user, channel_list=[c for c in CHANNELS if c != "web"])


@router.post("/demandes/nouvelle")
def create(
    request: Request,
    db: DbDep,
    user: Agent,
    csrf: Csrf,
    question: Annotated[str, Form()],
    canal: Annotated[str, Form()] = "guichet",
) -> Response:
    """Register the request and draft a reply at once."""
    check_csrf(request, csrf)
    demande = workflow.create_request(db, question, canal, user.username, user=user)
    workflow.generate_draft(db, demande, request.app.state.assistant, user.username)
    return RedirectResponse(f"/demandes/{demande.id}", status_code=303)


@router.get("/demandes/{request_id}", response_class=HTMLResponse)
def view(request: Request, db: DbDep, user: Agent, request_id: int) -> HTMLResponse:
    """A request: question, editable draft, sources with the quoted passages, confidence, actions, history."""
    assistant = request.app.state.assistant
    demande = workflow.get_request(db, request_id)
    generated = workflow.last_generated(db, demande)
    result: dict[str, Any] = generated.result if generated else {}
    try:
        index = assistant.index()
    except AccueilError:
        index = None
    recalls: list[memory.Recall] = []
    if index is not None and demande.state in workflow.OPEN_STATES:
        vector = memory.question_vector(assistant.embedder, demande.question)
        recalls = memory.recall(db, index, demande.question, vector, assistant.memory_rule, demande.id)
    return render(
        request,
        "request_view.html",
        user=user,
        d=demande,
        result=result,
        generated=generated,
        panels=source_panels(result, index),
        thread=workflow.thread_of(db, demande),
        trail=workflow.audit_trail(db, demande),
        recalls=recalls,
        open=demande.state in workflow.OPEN_STATES,
    )


def _text_action(request: Request, db: DbDep, user: User, request_id: int, text: str, action: str) -> RedirectResponse:
    demande = workflow.get_request(db, request_id)
    if action == "valider":
        workflow.validate(db, demande, text, user.username, request.app.state.assistant)
        return _back(request, f"/demandes/{request_id}", "Réponse validée.")
    workflow.save(db, demande, text, user.username)
    return _back(request, f"/demandes/{request_id}", "Texte enregistré.")


@router.post("/demandes/{request_id}/reponse")
def answer(
    request: Request,
    db: DbDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    texte: Annotated[str, Form()],
    action: Annotated[str, Form()] = "enregistrer",
) -> RedirectResponse:
    """Save the working text, or validate it as the final reply."""
    check_csrf(request, csrf)
    return _text_action(request, db, user, request_id, texte, action)


@router.post("/demandes/{request_id}/rejet")
def reject(
    request: Request,
    db: DbDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    motif: Annotated[str, Form()],
    commentaire: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Reject the draft with a reason."""
    check_csrf(request, csrf)
    workflow.reject(db, workflow.get_request(db, request_id), motif, commentaire, user.username)
    return _back(request, f"/demandes/{request_id}", "Brouillon rejeté.")


@router.post("/demandes/{request_id}/transfert")
def transfer(
    request: Request,
    db: DbDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    destinataire: Annotated[str, Form()],
    commentaire: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Hand the request over to a service or colleague."""
    check_csrf(request, csrf)
    workflow.transfer(db, workflow.get_request(db, request_id), destinataire, commentaire, user.username)
    return _back(request, f"/demandes/{request_id}", "Demande transmise.")


@router.post("/demandes/{request_id}/regenerer")
def regenerate(
    request: Request,
    db: DbDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    epingler: Annotated[list[str] | None, Form()] = None,
    exclure: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Draft again, with the sources the agent pinned first and the excluded ones left out."""
    check_csrf(request, csrf)
    demande = workflow.get_request(db, request_id)
    workflow.generate_draft(
        db, demande, request.app.state.assistant, user.username, pinned=epingler or [], excluded=exclure or []
    )
    return _back(request, f"/demandes/{request_id}", "Nouveau brouillon généré.")


@router.post("/demandes/{request_id}/suivi")
def follow_up(
    request: Request, db: DbDep, user: Agent, request_id: int, csrf: Csrf, question: Annotated[str, Form()]
) -> RedirectResponse:
    """Ask a follow-up question in the same thread (read with the earlier questions)."""
    check_csrf(request, csrf)
    parent = workflow.get_request(db, request_id)
    child = workflow.create_request(
        db, question, parent.channel, user.username, user=user, thread=parent, citizen_email=parent.citizen_email
    )
    workflow.generate_draft(db, child, request.app.state.assistant, user.username)
    return RedirectResponse(f"/demandes/{child.id}", status_code=303)


@router.get("/supervision", response_class=HTMLResponse)
def supervision(request: Request, db: DbDep, user: Supervisor) -> HTMLResponse:
    """Supervisor overview: requests by state (the full supervisor space builds on this page)."""
    counts = dict(db.execute(select(Demande.state, func.count(Demande.id)).group_by(Demande.state)).all())
    return render(request, "supervision.html", user=user, counts=counts)


@router.get("/admin/utilisateurs", response_class=HTMLResponse)
def users(request: Request, db: DbDep, user: Admin) -> HTMLResponse:
    """Accounts and their roles (admin only)."""
    rows = db.scalars(select(User).order_by(User.username)).all()
    return render(request, "admin_users.html", user=user, rows=rows)


def login_redirect(path: str) -> RedirectResponse:
    """Where an anonymous visitor of an agent page is sent."""
    return RedirectResponse(f"/connexion?suivant={quote(path)}", status_code=303)
