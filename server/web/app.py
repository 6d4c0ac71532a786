"""The FastAPI application: ``create_app(settings)`` builds it; routes stay thin and call the core."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from server.core.assistant import Assistant
from server.core.config import Settings
from server.core.db import Database
from server.core.errors import AccueilError
from server.web.routes import api, pages
from server.web.security import SESSION_COOKIE, NotAuthenticated, secret_key

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/health"


def create_app(settings: Settings) -> FastAPI:
    """Build the application for ``settings`` (database migrated; index opened at first use)."""
    app = FastAPI(
        title="accueil", version="0.1.0", description="Brouillons de réponse sourcés pour l'accueil des mairies."
    )
    app.state.settings = settings
    app.state.db = Database(settings)
    app.state.assistant = Assistant(settings)
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(AccueilError)
    async def accueil_error(request: Request, exc: AccueilError) -> Response:
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            return pages.login_redirect(request.url.path)
        if _wants_json(request):
            return JSONResponse({"error": type(exc).__name__, "message": exc.message}, status_code=exc.http_status)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"message": exc.message, "user": None, "csrf": ""}, status_code=exc.http_status
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = [{"champ": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        if not _wants_json(request):
            return HTMLResponse("<p>Formulaire incomplet ou invalide.</p>", status_code=422)
        return JSONResponse(
            {"error": "InputError", "message": "Requête invalide.", "details": details}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Page introuvable." if exc.status_code == 404 else str(exc.detail)
        if _wants_json(request):
            return JSONResponse({"error": "HTTPError", "message": message}, status_code=exc.status_code)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"message": message, "user": None, "csrf": ""}, status_code=exc.status_code
        )

    @app.get("/health")
    def health() -> JSONResponse:
        """Liveness and index status (public, no personal data)."""
        try:
            index = app.state.assistant.index()
        except AccueilError as exc:
            return JSONResponse({"status": "degraded", "message": exc.message}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "index_version": index.version,
                "chunks": len(index.chunks),
                "documents": len(index.manifest.docs),
            }
        )

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
