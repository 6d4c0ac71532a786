"""FAQ curation for supervisors: write an entry or promote a validated reply, edit, publish, unpublish, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from server.core.desk import faq, workflow
from server.web.figures import indexed_docs
from server.web.render import back, render
from server.web.security import DbDep, Supervisor, check_csrf

router = APIRouter()
Csrf = Annotated[str, Form(alias="csrf_token")]
FAQ_ACTIONS = {
    "creee": "Écrite",
    "modifiee": "Modifiée",
    "publiee": "Publiée",
    "depubliee": "Dépubliée",
    "caviardee": "Effacée (droit à l'effacement d'un habitant)",
}


def _doc_ids(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


@router.get("/supervision/faq", response_class=HTMLResponse)
def faq_list(request: Request, db: DbDep, user: Supervisor) -> HTMLResponse:
    """Every FAQ entry, published or not."""
    return render(request, "faq_list.html", user=user, rows=faq.entries(db))


@router.get("/supervision/faq/nouvelle", response_class=HTMLResponse)
def faq_new(request: Request, db: DbDep, user: Supervisor, demande: int | None = None) -> HTMLResponse:
    """The form of a new entry, prefilled from a validated request when ``demande`` is given."""
    proposal = faq.proposal_from(db, workflow.get_request(db, demande)) if demande else None
    return render(
        request,
        "faq_edit.html",
        user=user,
        entry=None,
        proposal=proposal,
        docs=indexed_docs(request.app.state.assistant),
        history=[],
        faq_actions=FAQ_ACTIONS,
    )


@router.post("/supervision/faq/nouvelle")
def faq_create(
    request: Request,
    db: DbDep,
    user: Supervisor,
    csrf: Csrf,
    question: Annotated[str, Form()],
    reponse: Annotated[str, Form()],
    theme: Annotated[str, Form()] = "",
    sources: Annotated[str, Form()] = "",
    demande: Annotated[int | None, Form()] = None,
) -> RedirectResponse:
    """Write the entry (unpublished until published)."""
    check_csrf(request, csrf)
    docs = indexed_docs(request.app.state.assistant)
    entry = faq.create(db, question, reponse, theme, faq.sources_from(_doc_ids(sources), docs), user.username, demande)
    return back(request, f"/supervision/faq/{entry.id}", "Entrée de FAQ enregistrée (non publiée).")


@router.get("/supervision/faq/{faq_id}", response_class=HTMLResponse)
def faq_view(request: Request, db: DbDep, user: Supervisor, faq_id: int) -> HTMLResponse:
    """An entry: edit form, publication, history."""
    entry = faq.get(db, faq_id)
    return render(
        request,
        "faq_edit.html",
        user=user,
        entry=entry,
        proposal=None,
        docs=indexed_docs(request.app.state.assistant),
        history=faq.history(db, entry),
        faq_actions=FAQ_ACTIONS,
    )


@router.post("/supervision/faq/{faq_id}")
def faq_update(
    request: Request,
    db: DbDep,
    user: Supervisor,
    faq_id: int,
    csrf: Csrf,
    question: Annotated[str, Form()],
    reponse: Annotated[str, Form()],
    theme: Annotated[str, Form()] = "",
    sources: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Save the edited entry (a new version in its history)."""
    check_csrf(request, csrf)
    docs = indexed_docs(request.app.state.assistant)
    entry = faq.get(db, faq_id)
    faq.update(db, entry, question, reponse, theme, faq.sources_from(_doc_ids(sources), docs), user.username)
    return back(request, f"/supervision/faq/{faq_id}", "Entrée modifiée.")


@router.post("/supervision/faq/{faq_id}/publication")
def faq_publish(
    request: Request, db: DbDep, user: Supervisor, faq_id: int, csrf: Csrf, publier: Annotated[bool, Form()]
) -> RedirectResponse:
    """Publish or unpublish an entry."""
    check_csrf(request, csrf)
    faq.set_published(db, faq.get(db, faq_id), publier, user.username)
    message = "Entrée publiée : elle est visible dans la FAQ publique." if publier else "Entrée retirée de la FAQ."
    return back(request, f"/supervision/faq/{faq_id}", message)
