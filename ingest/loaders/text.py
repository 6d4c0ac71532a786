"""Plain text: paragraphs separated by blank lines; a short first line followed by a blank line is the title."""

from __future__ import annotations

from ingest.document import SectionBuilder, SourceDoc
from ingest.loaders.common import clean_inline, prettify_stem
from server.core.answer.docmeta import DocMeta
from server.core.errors import LoaderError


def load_text(name: str, text: str, doc_id: str) -> SourceDoc:
    """Read a plain-text document."""
    paragraphs = [clean_inline(p) for p in text.replace("\r\n", "\n").split("\n\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise LoaderError(name, "fichier vide")
    title = prettify_stem(doc_id.rsplit("/", 1)[-1])
    if len(paragraphs) > 1 and len(paragraphs[0]) <= 120 and not paragraphs[0].endswith("."):
        title = paragraphs.pop(0)
    builder = SectionBuilder()
    for p in paragraphs:
        builder.add((), p)
    return SourceDoc(DocMeta(doc_id, title), source=name, sections=builder.sections)
