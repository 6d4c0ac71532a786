"""The FastAPI application: ``create_app(settings)`` builds it and puts its parts on ``app.state``, which routes
read only through the typed dependencies of ``server.web.deps``; routes stay thin and call the core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.core import storage
from server.core.answer.assistant import Assistant
from server.core.answer.index import server_heartbeat
from server.core.config import Settings, get_settings
from server.core.desk import faq_watch
from server.core.desk.db import Database, is_read_only, storage_error
from server.core.errors import AccueilError, InputError
from server.web.api_docs import add_api_docs
from server.web.form_errors import form_error_message
from server.web.mail_worker import MailWorker
from server.web.rate_limit import SlidingWindow
from server.web.render import register as register_labels
from server.web.routes import api, faq_admin, faq_files, pages, public, supervision
from server.web.security import (
    NotAuthenticated,
    SecurityHeaders,
    SessionCookies,
    cookies_secure,
    response_headers,
    secret_key,
    transport_warnings,
)
from server.web.warm import warm

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/health"


PUBLIC_PREFIXES = ("/faq", "/question", "/reponse/", "/confidentialite")


def _is_public(request: Request) -> bool:
    return request.url.path.startswith(PUBLIC_PREFIXES)


def _public_context(settings: Settings) -> dict[str, str]:
    return {"commune": settings.commune_name, "contacts": settings.public_contacts}


def _check_faq_sources(database: Database, settings: Settings) -> None:
    """Withdraw the FAQ entries whose sources changed in an ingest made while the service was stopped (faq_watch).

    Another worker doing the same at the same moment, or an index being rewritten, must not stop the service.
    """
    try:
        with database.session() as session:
            faq_watch.check(session, settings.index_dir)
    except (AccueilError, SQLAlchemyError) as exc:
        log.warning("Sources de la FAQ non vérifiées au démarrage : %s", exc)


def create_app(settings: Settings) -> FastAPI:
    """Build the application for ``settings`` (database migrated; index opened at first use)."""
    database = Database(settings)
    if not is_read_only(database.engine):
        _check_faq_sources(database, settings)
    worker = MailWorker(settings, database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker.start()
        if settings.warm_start:
            app.state.warm_seconds = await asyncio.to_thread(warm, app.state.assistant, database, settings.commune_name)
        yield
        worker.stop()

    app = FastAPI(
        title="accueil",
        version="0.1.0",
        description="Brouillons de réponse sourcés pour l'accueil des mairies.",
        lifespan=lifespan,
        docs_url=None,  # served offline by add_api_docs
        redoc_url=None,  # ReDoc came from a CDN too (and was refused by the CSP): /docs is the one documentation
    )
    app.state.settings = settings
    app.state.db = database
    app.state.mail_worker = worker
    app.state.public_limiter = SlidingWindow(settings.public_requests_per_minute)
    app.state.assistant = Assistant(settings)
    app.state.warm_seconds = None  # seconds the warm start took, once done (None: not done or nothing to load)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    # The forms' maxlength attributes show the same limits the routes check (``limits.max_question_chars``…).
    app.state.templates.env.globals["limits"] = settings.limits()
    register_labels(app.state.templates.env)
    app.add_middleware(
        SessionCookies,
        secret=secret_key(settings),
        lifetime=int(settings.session_hours * 3600),
        secure=cookies_secure(settings),
    )
    for warning in transport_warnings(settings):
        log.warning(warning)
    app.add_middleware(SecurityHeaders, headers=response_headers(settings))  # outermost: on every response

    @app.exception_handler(AccueilError)
    async def accueil_error(request: Request, exc: AccueilError) -> Response:
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            return pages.login_redirect(request.url.path)
        retry = exc.context.get("retry_after")
        headers = {"Retry-After": str(retry)} if retry else None
        if _wants_json(request):
            return JSONResponse(
                {"error": type(exc).__name__, "message": exc.message}, status_code=exc.http_status, headers=headers
            )
        return app.state.templates.TemplateResponse(
            request,
            "public_error.html" if _is_public(request) else "error.html",
            {"message": exc.message, "user": None, "csrf": "", **_public_context(settings)},
            status_code=exc.http_status,
            headers=headers,
        )

    @app.exception_handler(OperationalError)
    async def storage_refused(request: Request, exc: OperationalError) -> Response:
        return await accueil_error(request, storage_error(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = [{"champ": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        if not _wants_json(request):
            return await accueil_error(request, InputError(form_error_message(exc.errors())))
        return JSONResponse(
            {"error": "InputError", "message": "Requête invalide.", "details": details}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Page introuvable." if exc.status_code == 404 else str(exc.detail)
        if _wants_json(request):
            return JSONResponse({"error": "HTTPError", "message": message}, status_code=exc.status_code)
        return app.state.templates.TemplateResponse(
            request,
            "public_error.html" if _is_public(request) else "error.html",
            {"message": message, "user": None, "csrf": "", **_public_context(settings)},
            status_code=exc.status_code,
        )

    @app.get("/health")
    def health() -> JSONResponse:
        """Liveness and index status (public, no personal data)."""
        try:
            index = app.state.assistant.index()
            if settings.chroma_url:
                server_heartbeat(settings.chroma_url)
        except AccueilError as exc:
            return JSONResponse({"status": "degraded", "message": exc.message}, status_code=503)
        full = storage.problem(settings.data_dir)
        if full is None and is_read_only(app.state.db.engine):
            full = "La base a été ouverte en lecture seule au démarrage : redémarrez le service pour écrire à nouveau"
        if full:
            # Pages, FAQ and drafts still work; changes are refused until there is room again. Still 200: the
            # process is useful as it is, and a supervisor restarting it on a 503 could not bring it back up (the
            # base cannot be opened on a full disk).
            message = f"{full} : la consultation reste possible, les modifications sont refusées."
            return JSONResponse({"status": "degraded", "message": message, "index_version": index.version})
        return JSONResponse(
            {
                "status": "ok",
                "index_version": index.version,
                "chunks": len(index.chunks),
                "documents": len(index.manifest.docs),
                "warm_start_s": None if app.state.warm_seconds is None else round(app.state.warm_seconds, 2),
            }
        )

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(supervision.router)
    app.include_router(faq_files.router)  # before faq_admin's /supervision/faq/{faq_id}
    app.include_router(faq_admin.router)
    app.include_router(public.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    add_api_docs(app)
    return app


def create_app_from_env() -> FastAPI:
    """The application for ``accueil serve --workers N``: each worker process builds its own from the environment."""
    return create_app(get_settings())
