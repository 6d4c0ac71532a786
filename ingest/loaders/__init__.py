"""Loaders, one per input format; ``load_path`` picks one by extension and content."""

from __future__ import annotations

from pathlib import Path

from ingest.document import SourceDoc
from ingest.loaders.common import read_text_bytes
from ingest.loaders.dila_xml import is_dila_xml, load_dila_xml
from ingest.loaders.html import decode_html, load_html
from ingest.loaders.markdown import load_markdown
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_text
from server.core.errors import LoaderError

# The version of what the loaders make of a file. Raise it when a loader reads the same bytes differently: the next
# ingest then reads every file again instead of trusting its unchanged bytes, and the documents whose text did not
# change keep their vectors (only the others are encoded). 1: session 17 (HTML pages without their site's template,
# Markdown emphasis marks dropped).
READERS = 1

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".xml")


def load_bytes(name: str, data: bytes, doc_id: str) -> list[SourceDoc]:
    """Parse one file's bytes into documents; ``name`` is used for messages and the format."""
    suffix = Path(name).suffix.lower()
    if not data.strip():
        raise LoaderError(name, "fichier vide")
    if suffix == ".pdf":
        return [load_pdf(name, data, doc_id)]
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoaderError(name, f"format non pris en charge ({suffix or 'sans extension'})")
    if suffix == ".xml":
        if not is_dila_xml(data):
            raise LoaderError(name, "XML non reconnu (fiche service-public DILA attendue)")
        return [load_dila_xml(name, data)]
    if suffix in (".html", ".htm"):
        return [load_html(name, decode_html(name, data), doc_id)]
    text = read_text_bytes(name, data)
    if suffix in (".md", ".markdown"):
        return [load_markdown(name, text, doc_id)]
    return [load_text(name, text, doc_id)]
