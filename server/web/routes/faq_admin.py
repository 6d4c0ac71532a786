"""FAQ curation for supervisors: write an entry or promote a validated reply, edit, publish, unpublish, history,
add the variants proposed from validated requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import faq, faq_proposals, faq_variant_proposals, faq_watch, workflow
from server.core.desk.tables import FaqEntry, User
from server.core.errors import InputError
from server.web.deps import AssistantDep, DbDep, SettingsDep, Supervisor
from server.web.figures import indexed_docs
from server.web.form_errors import length_errors
from server.web.render import back, render
from server.web.routes import faq_files
from server.web.security import check_csrf

router = APIRouter()
Csrf = Annotated[str, Form(alias="csrf_token")]
FAQ_ACTIONS = {
    "creee": "Écrite",
    "modifiee": "Modifiée",
    "publiee": "Publiée",
    "depubliee": "Dépubliée",
    "caviardee": "Effacée (droit à l'effacement d'un habitant)",
    "variante_effacee": "Variante effacée (droit à l'effacement d'un habitant)",
    "source_modifiee": "Retirée : une source a changé ou a disparu de l'index (à relire)",
}


def _doc_ids(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _variants(text: str) -> list[str]:
    """One variant a line (a variant may hold commas)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _too_long(settings: Settings, question: str, reponse: str, theme: str) -> dict[str, str]:
    """The entry's fields over their limits (read from the settings), each with its French reason."""
    return length_errors(
        [
            ("question", "Question", question.strip(), settings.max_faq_question_chars),
            ("reponse", "Réponse", reponse.strip(), settings.max_faq_answer_chars),
            ("theme", "Thème", theme.strip(), settings.max_faq_theme_chars),
        ]
    )


def _refused(
    request: Request,
    db: DbDep,
    assistant: Assistant,
    user: User,
    entry: FaqEntry | None,
    typed: dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    """The entry's form again (422), what was typed kept and each reason next to its field."""
    return render(
        request,
        "faq_edit.html",
        status=422,
        user=user,
        entry=entry,
        proposal=None,
        docs=indexed_docs(assistant),
        history=faq.history(db, entry) if entry else [],
        faq_actions=FAQ_ACTIONS,
        diffs=faq_watch.diffs(db, entry, assistant.settings.index_dir) if entry else [],
        typed=typed,
        errors=errors,
    )


@router.get("/supervision/faq", response_class=HTMLResponse)
def faq_list(request: Request, db: DbDep, settings: SettingsDep, user: Supervisor) -> HTMLResponse:
    """Every FAQ entry, published or not, and the forms to import and export the FAQ as a file (faq_files)."""
    return faq_files.faq_page(request, db, settings, user)


@router.get("/supervision/faq/nouvelle", response_class=HTMLResponse)
def faq_new(
    request: Request, db: DbDep, assistant: AssistantDep, user: Supervisor, demande: int | None = None
) -> HTMLResponse:
    """The form of a new entry, prefilled from a validated request when ``demande`` is given."""
    proposal = faq.proposal_from(db, workflow.get_request(db, demande)) if demande else None
    return render(
        request,
        "faq_edit.html",
        user=user,
        entry=None,
        proposal=proposal,
        docs=indexed_docs(assistant),
        history=[],
        faq_actions=FAQ_ACTIONS,
    )


@router.post("/supervision/faq/nouvelle")
def faq_create(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Supervisor,
    csrf: Csrf,
    question: Annotated[str, Form()],
    reponse: Annotated[str, Form()],
    theme: Annotated[str, Form()] = "",
    sources: Annotated[str, Form()] = "",
    variantes: Annotated[str, Form()] = "",
    demande: Annotated[int | None, Form()] = None,
) -> Response:
    """Write the entry (unpublished until published); texts over their limits are refused next to their fields."""
    check_csrf(request, csrf)
    typed = {"question": question, "reponse": reponse, "theme": theme, "sources": sources, "variantes": variantes}
    errors = _too_long(settings, question, reponse, theme)
    if errors:
        return _refused(request, db, assistant, user, None, typed, errors)
    docs = indexed_docs(assistant)
    try:
        entry = faq.create(
            db,
            question,
            reponse,
            theme,
            faq.sources_from(_doc_ids(sources), docs),
            user.username,
            demande,
            _variants(variantes),
        )
    except InputError as exc:
        db.rollback()
        return _refused(request, db, assistant, user, None, typed, {"formulaire": exc.message})
    return back(request, f"/supervision/faq/{entry.id}", "Entrée de FAQ enregistrée (non publiée).")


@router.get("/supervision/faq/propositions", response_class=HTMLResponse)
def faq_proposals_page(
    request: Request, db: DbDep, settings: SettingsDep, assistant: AssistantDep, user: Supervisor
) -> HTMLResponse:
    """Draft entries proposed from the most-asked questions whose validated replies agree, and new variants of
    existing entries from the validated questions close to them."""
    proposals = faq_proposals.propose(db, assistant.embedder, settings.gap_min_similarity)
    return render(
        request,
        "faq_proposals.html",
        user=user,
        proposals=proposals,
        variant_proposals=faq_variant_proposals.propose(db, assistant.embedder, settings.gap_min_similarity),
        docs=indexed_docs(assistant),
        min_agreeing=faq_proposals.MIN_AGREEING,
    )


@router.get("/supervision/faq/{faq_id}", response_class=HTMLResponse)
def faq_view(
    request: Request, db: DbDep, settings: SettingsDep, assistant: AssistantDep, user: Supervisor, faq_id: int
) -> HTMLResponse:
    """An entry: edit form, publication, history; what changed in its sources when a re-ingest withdrew it."""
    entry = faq.get(db, faq_id)
    return render(
        request,
        "faq_edit.html",
        user=user,
        entry=entry,
        proposal=None,
        docs=indexed_docs(assistant),
        history=faq.history(db, entry),
        faq_actions=FAQ_ACTIONS,
        diffs=faq_watch.diffs(db, entry, settings.index_dir),
    )


@router.post("/supervision/faq/{faq_id}")
def faq_update(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Supervisor,
    faq_id: int,
    csrf: Csrf,
    question: Annotated[str, Form()],
    reponse: Annotated[str, Form()],
    theme: Annotated[str, Form()] = "",
    sources: Annotated[str, Form()] = "",
    variantes: Annotated[str, Form()] = "",
) -> Response:
    """Save the edited entry (a new version in its history); texts over their limits are refused next to their
    fields."""
    check_csrf(request, csrf)
    entry = faq.get(db, faq_id)
    typed = {"question": question, "reponse": reponse, "theme": theme, "sources": sources, "variantes": variantes}
    errors = _too_long(settings, question, reponse, theme)
    if errors:
        return _refused(request, db, assistant, user, entry, typed, errors)
    docs = indexed_docs(assistant)
    try:
        sourced = faq.sources_from(_doc_ids(sources), docs)
        faq.update(db, entry, question, reponse, theme, sourced, user.username, _variants(variantes))
    except InputError as exc:
        db.rollback()
        return _refused(request, db, assistant, user, faq.get(db, faq_id), typed, {"formulaire": exc.message})
    return back(request, f"/supervision/faq/{faq_id}", "Entrée modifiée.")


@router.post("/supervision/faq/{faq_id}/publication")
def faq_publish(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    assistant: AssistantDep,
    user: Supervisor,
    faq_id: int,
    csrf: Csrf,
    publier: Annotated[bool, Form()],
) -> RedirectResponse:
    """Publish or unpublish an entry; a published entry's sources must be in the index, whose texts it then follows
    (faq_watch)."""
    check_csrf(request, csrf)
    entry = faq.get(db, faq_id)
    if publier:
        docs = indexed_docs(assistant)
        gone = [s["doc_id"] for s in entry.sources if s["doc_id"] not in docs]
        if gone:
            raise InputError(
                f"Source absente de l'index : {', '.join(gone)}. Retirez-la des sources de l'entrée (et relisez la "
                "réponse) avant de la publier."
            )
    faq.set_published(db, entry, publier, user.username)
    if publier:
        faq_watch.check(db, settings.index_dir)
    message = "Entrée publiée : elle est visible dans la FAQ publique." if publier else "Entrée retirée de la FAQ."
    return back(request, f"/supervision/faq/{faq_id}", message)


@router.post("/supervision/faq/{faq_id}/variantes")
def faq_add_variants(
    request: Request,
    db: DbDep,
    user: Supervisor,
    faq_id: int,
    csrf: Csrf,
    variante: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Append the checked proposed phrasings to the entry's variants (a new version in its history)."""
    check_csrf(request, csrf)
    entry = faq.get(db, faq_id)
    if not any(v.strip() for v in variante or []):
        return back(request, "/supervision/faq/propositions", "Aucune variante cochée : l'entrée n'a pas changé.")
    done = faq_variant_proposals.add(db, entry, variante or [], user.username)
    return back(request, f"/supervision/faq/{faq_id}", faq_variant_proposals.message(done))
