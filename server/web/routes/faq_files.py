"""The FAQ as a file, from the supervision FAQ page: import a commune's FAQ (JSONL, CSV or a saved HTML page) and
export ours (JSONL or CSV), through ``faq_io`` exactly as ``accueil faq import`` / ``export`` do; its report and
errors name the form's fields (``FORM``) where the command's name its options (``faq_report.COMMAND``).

The uploaded file stays in memory: its bytes are read into the request (up to ``max_file_bytes``, the size limit of a
file the service reads) and never spooled to disk, logged or put in a URL; the report is shown on the page it
answers, not carried to another through the session cookie.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from server.core.config import Settings
from server.core.desk import faq, faq_formats, faq_io, faq_watch, public_stats
from server.core.desk.faq_report import Wording
from server.core.desk.tables import User
from server.core.errors import InputError
from server.web.deps import DbDep, SettingsDep, Supervisor
from server.web.render import render
from server.web.security import check_csrf

log = logging.getLogger(__name__)
router = APIRouter()

UNREADABLE = "Formulaire d'import illisible : choisissez le fichier de nouveau, puis « Importer le fichier »."
FORM_SLACK = 64 * 1024  # the form's other fields and multipart boundaries, beyond the file itself
MEDIA_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}
DRAFT_LABEL = "« Laisser les entrées en brouillon »"
SOURCE_LABEL = "« Source (lien ou document) »"
FORM = Wording(  # the import's options as the form names them (faq_report.COMMAND: as the command does)
    source=SOURCE_LABEL,
    with_source=f"dans le champ {SOURCE_LABEL}",
    with_source_value=f"dans le champ {SOURCE_LABEL}",
    import_as_draft=f"cochez {DRAFT_LABEL}",
    draft="brouillon",
)


@dataclass
class Upload:
    """The import form as received: its text fields, the chosen file's name and bytes, or why it was refused."""

    fields: dict[str, str] = field(default_factory=dict)
    name: str = ""
    data: bytes = b""
    error: str | None = None
    status: int = 200


async def _body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None past ``limit`` bytes (then read to its end and dropped, so that the browser gets
    the answer rather than a reset connection)."""
    body = bytearray()
    over = False
    async for chunk in request.stream():
        over = over or len(body) + len(chunk) > limit
        if not over:
            body += chunk
    return None if over else bytes(body)


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


def _megabytes(limit: int) -> str:
    return f"{limit / 1_000_000:.1f}".replace(".", ",").removesuffix(",0") + " Mo"


def _too_large(limit: int) -> str:
    return f"Fichier trop volumineux : {_megabytes(limit)} au plus. Rien n'a été importé."


async def read_upload(request: Request, settings: SettingsDep, user: Supervisor) -> Upload:
    """The import form, parsed in memory once the supervisor is known (nobody else gets their body read)."""
    limit = settings.max_file_bytes
    body = await _body(request, limit + FORM_SLACK)
    if body is None:
        return Upload(error=_too_large(limit), status=413)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return Upload(error=UNREADABLE, status=400)
    parser = MultiPartParser(request.headers, _once(body), max_files=1, max_fields=10, max_part_size=FORM_SLACK)
    parser.spool_max_size = len(body) + 1  # the file's part stays in memory, never rolls over to a temporary file
    try:
        form = await parser.parse()
    except (MultiPartException, KeyError):  # KeyError: a multipart type without its boundary
        return Upload(error=UNREADABLE, status=400)
    upload = Upload(fields={k: v for k, v in form.multi_items() if isinstance(v, str)})
    chosen = form.get("fichier")
    if isinstance(chosen, UploadFile):
        upload.name = chosen.filename or ""
        upload.data = await chosen.read()
        await chosen.close()
    if len(upload.data) > limit:
        return Upload(fields=upload.fields, error=_too_large(limit), status=413)
    return upload


UploadDep = Annotated[Upload, Depends(read_upload)]


def faq_page(
    request: Request, db: Session, settings: Settings, user: User, status: int = 200, **context: object
) -> HTMLResponse:
    """The supervision FAQ page: every entry, how often the FAQ answered the public page's questions (30 days), the
    import and export forms, and an import's report or error."""
    return render(
        request,
        "faq_list.html",
        status=status,
        user=user,
        rows=faq.entries(db),
        questions=public_stats.summary(db),
        upload_limit=_megabytes(settings.max_file_bytes),
        **context,
    )


@router.post("/supervision/faq/importer", response_class=HTMLResponse)
def faq_import(request: Request, db: DbDep, settings: SettingsDep, user: Supervisor, upload: UploadDep) -> Response:
    """Import the chosen file as ``accueil faq import`` does, the supervisor named in each entry's history; the FAQ
    page again with the report, or with why the whole file was refused (then nothing is written)."""
    if upload.error is None or upload.fields:  # else no form was read (past the limit, unreadable): nothing to write
        check_csrf(request, upload.fields.get("csrf_token"))
    draft = upload.fields.get("brouillon") == "1"
    source = upload.fields.get("source", "").strip() or None
    typed = {"brouillon": draft, "source": source or ""}
    if upload.error is None and not upload.name:
        upload.error, upload.status = "Choisissez le fichier à importer (.jsonl, .csv, .html ou .htm).", 422
    if upload.error is not None:
        return faq_page(request, db, settings, user, upload.status, import_error=upload.error, typed=typed)
    try:
        docs = faq_io.indexed_docs(settings.index_dir)
        if docs is None:
            raise InputError(
                "Aucun index : indexez d'abord les documents (accueil ingest), les sources des entrées y sont "
                "vérifiées. Rien n'a été importé."
            )
        report = faq_io.import_data(db, upload.data, upload.name, docs, user.username, draft, source, FORM)
        faq_watch.check(db, settings.index_dir)  # the texts the entries published now agree with
    except InputError as exc:
        db.rollback()
        return faq_page(request, db, settings, user, exc.http_status, import_error=exc.message, typed=typed)
    lines = report.lines()
    refused = [(r.number, r.reason) for r in report.refused]
    return faq_page(
        request, db, settings, user, report=report, summary=lines[0], outcome=lines[-1], refused=refused, typed=typed
    )


@router.get("/supervision/faq/exporter")
def faq_export(
    db: DbDep,
    user: Supervisor,
    format: Literal["jsonl", "csv"] = "jsonl",
    entrees: Literal["publiees", "toutes"] = "publiees",
) -> Response:
    """The published entries (or all of them) as a JSONL or CSV file to download, the bytes ``accueil faq export``
    writes."""
    rows = faq_io.records(db, published_only=entrees == "publiees")
    name = f"faq-{'publiee' if entrees == 'publiees' else 'complete'}.{format}"
    return Response(
        faq_formats.dumps(rows, f".{format}").encode("utf-8"),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
