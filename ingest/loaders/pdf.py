"""PDF: text extracted page by page with pypdf; each page is a section."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, prettify_stem
from server.core.answer.docmeta import DocMeta
from server.core.errors import LoaderError

log = logging.getLogger(__name__)


def load_pdf(name: str, data: bytes, doc_id: str) -> SourceDoc:
    """Read a PDF's text layer; a scanned PDF without text is an error (no OCR)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
        title = str(info.title) if info is not None and info.title else ""
    # PyPdfError covers LimitReachedError too; on a damaged file pypdf also fails with the builtin errors of the object
    # it meets instead of the one it expects (a number where a dictionary is: AttributeError).
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise LoaderError(name, f"PDF illisible : {exc}") from exc
    builder = SectionBuilder()
    for number, page in enumerate(pages, start=1):
        for para in page.split("\n\n"):
            block = clean_inline(para)
            if block:
                builder.add((f"Page {number}",) if len(pages) > 1 else (), block)
    if not builder.sections:
        raise LoaderError(name, "PDF sans texte extractible (document scanné ?)")
    title = title or prettify_stem(doc_id.rsplit("/", 1)[-1])
    return SourceDoc(DocMeta(doc_id, title), source=name, sections=builder.sections)
