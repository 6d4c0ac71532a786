"""Agent pages (server-rendered, French): login, inbox, new request, request view and its actions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from server.core.answer.assistant import Assistant
from server.core.desk import auth, outbox, sessions, workflow, workspace
from server.core.desk.tables import CHANNELS, STATES, User
from server.core.desk.throttle import TooManyAttempts
from server.core.errors import AccueilError, InputError
from server.web import draft_stream as draft_stream_module
from server.web.deps import (
    Admin,
    Agent,
    AssistantDep,
    DatabaseDep,
    DbDep,
    MailWorkerDep,
    SettingsDep,
)
from server.web.draft_stream import events as draft_stream_events
from server.web.figures import indexed_docs
from server.web.form_errors import length_errors
from server.web.mail_worker import MailWorker
from server.web.render import MAIL_STATES, back, render
from server.web.security import SID, check_csrf, client_ip, login_session, logout_session
from server.web.views import request_page

router = APIRouter()
Csrf = Annotated[str, Form(alias="csrf_token")]


@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, suivant: str = "/demandes") -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", suivant=suivant if suivant.startswith("/") else "/demandes", user=None)


@router.post("/connexion")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    csrf: Csrf,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    suivant: Annotated[str, Form()] = "/demandes",
    se_souvenir: Annotated[str, Form()] = "",
) -> Response:
    """Check credentials under throttling (429 while locked) and open a fresh session (kept after the browser
    closes only when "Se souvenir de moi" is ticked)."""
    check_csrf(request, csrf)
    try:
        user = auth.login(db, settings, username, password, client_ip(request))
    except TooManyAttempts as exc:
        return render(request, "login.html", status=429, user=None, suivant=suivant, error=exc.message)
    if user is None:
        return render(
            request,
            "login.html",
            status=401,
            user=None,
            suivant=suivant,
            error="Identifiant ou mot de passe incorrect.",
        )
    login_session(request, db, settings, user, persistent=se_souvenir == "1")
    target = suivant if suivant.startswith("/") and not suivant.startswith("//") else "/demandes"
    return RedirectResponse(target, status_code=303)


@router.post("/deconnexion")
def logout(request: Request, db: DbDep, csrf: Annotated[str, Form(alias="csrf_token")] = "") -> RedirectResponse:
    """End the session on the server (an anonymous visitor is simply sent to the login form)."""
    if request.session.get(SID):
        check_csrf(request, csrf)
    logout_session(request, db)
    return RedirectResponse("/connexion", status_code=303)


@router.post("/deconnexion/partout")
def logout_everywhere(request: Request, db: DbDep, user: Agent, csrf: Csrf) -> RedirectResponse:
    """End every session of the current account, on every browser (this one included)."""
    check_csrf(request, csrf)
    auth.logout_everywhere(db, user.username, actor=user.username)
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
    assistant: AssistantDep,
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
        request,
        "inbox.html",
        user=user,
        rows=rows,
        filters=filters,
        state_list=STATES,
        channel_list=CHANNELS,
        theme_list=workspace.themes(assistant.settings.themes, indexed_docs(assistant), theme or ""),
        masked_phone=workspace.masked_phone,
        excerpt=workspace.list_excerpt,
    )


@router.get("/demandes/nouvelle", response_class=HTMLResponse)
def new_form(request: Request, user: Agent) -> HTMLResponse:
    """The form to register a question received at the desk, by phone or by mail."""
    return render(request, "request_new.html", user=user, channel_list=[c for c in CHANNELS if c != "web"])


def _new_refused(request: Request, user: User, typed: dict[str, str], errors: dict[str, str]) -> HTMLResponse:
    """The new-request form again (422), what was typed kept and the reason next to its field."""
    channels = [c for c in CHANNELS if c != "web"]
    return render(request, "request_new.html", status=422, user=user, channel_list=channels, errors=errors, typed=typed)


@router.post("/demandes/nouvelle")
def create(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Agent,
    csrf: Csrf,
    question: Annotated[str, Form()] = "",  # empty: refused next to the field below, not by FastAPI's bare 422
    canal: Annotated[str, Form()] = "guichet",
    flux: Annotated[str, Form()] = "",
    rappel: Annotated[str, Form()] = "",
) -> Response:
    """Register the request and draft a reply at once (streamed to its page in ``llm`` mode when it can be)."""
    check_csrf(request, csrf)
    typed = {"question": question, "canal": canal, "rappel": rappel}
    too_long = length_errors(
        [
            ("question", "Question", question.strip(), settings.max_question_chars),
            ("rappel", "Numéro de rappel", rappel.strip(), settings.max_callback_chars),
        ]
    )
    if too_long:
        return _new_refused(request, user, typed, too_long)
    try:
        workspace.clean_phone(rappel)
    except InputError as exc:
        return _new_refused(request, user, typed, {"rappel": exc.message})
    try:
        demande = workflow.create_request(db, question, canal, user.username, user=user)
    except InputError as exc:
        return _new_refused(request, user, typed, {"question": exc.message})
    workspace.set_delivery(demande, "", rappel)
    if flux == "1" and settings.mode == "llm":
        token = draft_stream_module.issue(db, demande)
        return RedirectResponse(f"/demandes/{demande.id}?flux={token}", status_code=303)
    try:
        workflow.generate_draft(db, demande, assistant, user.username)
    except AccueilError as exc:
        # The request is saved (committed before drafting); the agent can regenerate later or answer directly.
        return back(request, f"/demandes/{demande.id}", f"Demande enregistrée sans brouillon : {exc.message}")
    return RedirectResponse(f"/demandes/{demande.id}", status_code=303)


@router.get("/demandes/{request_id}", response_class=HTMLResponse)
def view(request: Request, db: DbDep, assistant: AssistantDep, user: Agent, request_id: int) -> HTMLResponse:
    """A request: question, editable draft, sources with the quoted passages, confidence, actions, history."""
    demande = workflow.get_request(db, request_id)
    streaming = bool(request.query_params.get("flux"))  # the stream's single-use token, from the creating POST
    page = request_page(db, assistant, demande, streaming)
    return render(request, "request_view.html", user=user, mail_states=MAIL_STATES, **page)


def _refused(
    request: Request,
    db: DbDep,
    assistant: Assistant,
    user: User,
    request_id: int,
    typed: dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    """The request page again (422), what was typed kept and each reason next to its field."""
    db.rollback()
    demande = workflow.get_request(db, request_id)
    page = request_page(db, assistant, demande, streaming=False)
    return render(
        request, "request_view.html", status=422, user=user, mail_states=MAIL_STATES, errors=errors, typed=typed, **page
    )


def _text_action(
    request: Request,
    db: DbDep,
    assistant: Assistant,
    mail_worker: MailWorker,
    user: User,
    request_id: int,
    text: str,
    action: str,
) -> RedirectResponse:
    demande = workflow.get_request(db, request_id)
    if action == "valider":
        workflow.validate(db, demande, text, user.username, assistant)
        done = back(request, f"/demandes/{request_id}", "Réponse validée.")
        # After the response the transaction is committed: the mail worker then finds the reply in the outbox.
        done.background = BackgroundTask(mail_worker.wake)
        return done
    workflow.save(db, demande, text, user.username)
    return back(request, f"/demandes/{request_id}", "Texte enregistré.")


@router.post("/demandes/{request_id}/reponse")
def answer(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    mail_worker: MailWorkerDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    texte: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "enregistrer",
    remise: Annotated[str, Form()] = "",
    rappel: Annotated[str, Form()] = "",
) -> Response:
    """Save the working text (and how the reply is given), or validate it as the final reply."""
    check_csrf(request, csrf)
    typed = {"texte": texte, "remise": remise, "rappel": rappel}
    too_long = length_errors(
        [
            ("texte", "Réponse", texte.strip(), settings.max_reply_chars),
            ("rappel", "Numéro de rappel", rappel.strip(), settings.max_callback_chars),
        ]
    )
    if too_long:
        return _refused(request, db, assistant, user, request_id, typed, too_long)
    try:
        workspace.set_delivery(workflow.get_request(db, request_id), remise, rappel)
        return _text_action(request, db, assistant, mail_worker, user, request_id, texte, action)
    except InputError as exc:
        # The error goes next to its field: the callback number, how the reply is given, or the text.
        field = str(exc.context.get("field", "texte"))
        return _refused(request, db, assistant, user, request_id, typed, {field: exc.message})


@router.post("/demandes/{request_id}/reprendre")
def reuse_memory(
    request: Request, db: DbDep, user: Agent, request_id: int, csrf: Csrf, memoire: Annotated[int, Form()]
) -> RedirectResponse:
    """Take a reply validated earlier for a close question as the working text (recorded as a reuse)."""
    check_csrf(request, csrf)
    workflow.reuse_memory(db, workflow.get_request(db, request_id), memoire, user.username)
    return back(request, f"/demandes/{request_id}", "Réponse mémorisée reprise : relisez-la avant de valider.")


@router.post("/demandes/{request_id}/courriel")
def resend_mail(
    request: Request, db: DbDep, mail_worker: MailWorkerDep, user: Agent, request_id: int, csrf: Csrf
) -> RedirectResponse:
    """Send a waiting or failed reply mail again now."""
    check_csrf(request, csrf)
    outbox.retry_now(db, workflow.get_request(db, request_id), user.username)
    done = back(request, f"/demandes/{request_id}", "Nouvel envoi du courriel demandé.")
    done.background = BackgroundTask(mail_worker.wake)
    return done


@router.post("/demandes/{request_id}/rejet")
def reject(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    motif: Annotated[str, Form()],
    commentaire: Annotated[str, Form()] = "",
) -> Response:
    """Reject the draft with a reason (a comment over its limit is refused next to its field, never cut)."""
    check_csrf(request, csrf)
    too_long = length_errors([("commentaire_rejet", "Commentaire", commentaire.strip(), settings.max_comment_chars)])
    if too_long:
        typed = {"motif": motif, "commentaire_rejet": commentaire}
        return _refused(request, db, assistant, user, request_id, typed, too_long)
    workflow.reject(db, workflow.get_request(db, request_id), motif, commentaire, user.username)
    return back(request, f"/demandes/{request_id}", "Brouillon rejeté.")


@router.post("/demandes/{request_id}/transfert")
def transfer(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    destinataire: Annotated[str, Form()],
    commentaire: Annotated[str, Form()] = "",
) -> Response:
    """Hand the request over to a service or colleague (texts over their limits refused next to their fields)."""
    check_csrf(request, csrf)
    too_long = length_errors(
        [
            ("destinataire", "Destinataire", destinataire.strip(), settings.max_recipient_chars),
            ("commentaire_transfert", "Commentaire", commentaire.strip(), settings.max_comment_chars),
        ]
    )
    if too_long:
        typed = {"destinataire": destinataire, "commentaire_transfert": commentaire}
        return _refused(request, db, assistant, user, request_id, typed, too_long)
    workflow.transfer(db, workflow.get_request(db, request_id), destinataire, commentaire, user.username)
    return back(request, f"/demandes/{request_id}", "Demande transmise.")


@router.get("/demandes/{request_id}/brouillon/flux")
def draft_stream(
    db: DbDep, database: DatabaseDep, assistant: AssistantDep, user: Agent, request_id: int, jeton: str = ""
) -> StreamingResponse:
    """Draft a request just created and stream its verified sentences (server-sent events) to its page.

    Only with the single-use token its creating form issued (a GET alone drafts nothing; see ``draft_stream``)."""
    demande = workflow.get_request(db, request_id)
    workflow.check_open(demande)
    draft_stream_module.open_stream(db, demande, jeton)
    stream = draft_stream_events(database, assistant, demande.id, user.username, f"/demandes/{demande.id}")
    return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/demandes/{request_id}/regenerer")
def regenerate(
    request: Request,
    db: DbDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    epingler: Annotated[list[str] | None, Form()] = None,
    exclure: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Draft again, with the sources the agent pinned first and the excluded ones left out."""
    check_csrf(request, csrf)
    demande = workflow.get_request(db, request_id)
    workflow.generate_draft(db, demande, assistant, user.username, pinned=epingler or [], excluded=exclure or [])
    return back(request, f"/demandes/{request_id}", "Nouveau brouillon généré.")


@router.post("/demandes/{request_id}/suivi")
def follow_up(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    question: Annotated[str, Form()] = "",
) -> Response:
    """Ask a follow-up question in the same thread (read with the earlier questions); refused next to its field
    when empty or too long, before anything is written."""
    check_csrf(request, csrf)
    typed = {"suivi": question}
    too_long = length_errors([("suivi", "Question de suivi", question.strip(), settings.max_question_chars)])
    if too_long:
        return _refused(request, db, assistant, user, request_id, typed, too_long)
    parent = workflow.get_request(db, request_id)
    try:
        child = workflow.create_request(
            db, question, parent.channel, user.username, user=user, thread=parent, citizen_email=parent.citizen_email
        )
    except InputError as exc:
        return _refused(request, db, assistant, user, request_id, typed, {"suivi": exc.message})
    workflow.generate_draft(db, child, assistant, user.username)
    return RedirectResponse(f"/demandes/{child.id}", status_code=303)


@router.post("/demandes/{request_id}/rediger")
def write_own(request: Request, db: DbDep, user: Agent, request_id: int, csrf: Csrf) -> RedirectResponse:
    """Set the assistant's draft aside: the agent writes the reply from scratch (recorded in the trail)."""
    check_csrf(request, csrf)
    workflow.discard_draft(db, workflow.get_request(db, request_id), user.username)
    return back(request, f"/demandes/{request_id}#texte", "Brouillon écarté : rédigez la réponse vous-même.")


@router.post("/demandes/{request_id}/epingle")
def pin_request(
    request: Request, db: DbDep, user: Agent, request_id: int, csrf: Csrf, epingler: Annotated[str, Form()] = "1"
) -> RedirectResponse:
    """Pin the request first in the inbox, or unpin it."""
    check_csrf(request, csrf)
    pinned = epingler == "1"
    workspace.set_pinned(db, workflow.get_request(db, request_id), pinned, user.username)
    return back(request, f"/demandes/{request_id}", "Demande épinglée." if pinned else "Demande désépinglée.")


@router.post("/demandes/{request_id}/commentaire")
def comment_request(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    commentaire: Annotated[str, Form()] = "",
) -> Response:
    """Leave an internal comment in the trail (never sent to the citizen); refused next to its field when empty or
    too long."""
    check_csrf(request, csrf)
    typed = {"commentaire_interne": commentaire}
    too_long = length_errors([("commentaire_interne", "Commentaire", commentaire.strip(), settings.max_comment_chars)])
    if too_long:
        return _refused(request, db, assistant, user, request_id, typed, too_long)
    try:
        workspace.add_comment(db, workflow.get_request(db, request_id), commentaire, user.username)
    except InputError as exc:
        return _refused(request, db, assistant, user, request_id, typed, {"commentaire_interne": exc.message})
    return back(request, f"/demandes/{request_id}", "Commentaire interne ajouté.")


@router.post("/demandes/{request_id}/theme")
def choose_theme(
    request: Request,
    db: DbDep,
    assistant: AssistantDep,
    user: Agent,
    request_id: int,
    csrf: Csrf,
    theme: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Set the request's theme, chosen from the commune's list."""
    check_csrf(request, csrf)
    demande = workflow.get_request(db, request_id)
    allowed = workspace.themes(assistant.settings.themes, indexed_docs(assistant), demande.theme)
    try:
        workspace.set_theme(db, demande, theme, allowed, user.username)
    except InputError as exc:
        return back(request, f"/demandes/{request_id}", exc.message)
    return back(request, f"/demandes/{request_id}", "Thème enregistré.")


@router.get("/admin/utilisateurs", response_class=HTMLResponse)
def users(request: Request, db: DbDep, settings: SettingsDep, user: Admin) -> HTMLResponse:
    """Accounts and their roles (admin only)."""
    rows = db.scalars(select(User).order_by(User.username)).all()
    open_sessions = {u.id: sessions.live_count(db, u.id, settings) for u in rows}
    return render(request, "admin_users.html", user=user, rows=rows, open_sessions=open_sessions)


def login_redirect(path: str) -> RedirectResponse:
    """Where an anonymous visitor of an agent page is sent."""
    return RedirectResponse(f"/connexion?suivant={quote(path)}", status_code=303)
