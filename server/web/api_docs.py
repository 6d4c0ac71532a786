"""The API documentation page (/docs): Swagger UI served from the installed ``fastapi-offline`` package, no CDN.

A town hall's network often has no way out, and the site's Content-Security-Policy (``script-src 'self'``) would
refuse a CDN anyway: the script, the style sheet and the start-up script all come from this service.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"


def add_api_docs(app: FastAPI) -> None:
    """Serve /docs and its Swagger UI assets (under /docs/ressources) from the local package."""
    app.mount("/docs/ressources", StaticFiles(directory=str(SWAGGER_ASSETS)), name="docs_assets")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs_page(request: Request) -> HTMLResponse:
        """Swagger UI over /openapi.json."""
        return app.state.templates.TemplateResponse(request, "api_docs.html", {"openapi_url": app.openapi_url})
