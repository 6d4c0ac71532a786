"""A FAQ file into our FAQ and back, for ``accueil faq import`` / ``export`` and the supervisor's FAQ page: the lines
of a file (:mod:`server.core.desk.faq_formats`) added to the FAQ or updating its entries, and the FAQ's entries as the
rows of a file.

Import is idempotent: a line whose question is already an entry's (spaces and case aside) updates that entry, never
adds a second one, and a line identical to its entry changes nothing. Each line is checked alone: a refused one is in
the report (:mod:`server.core.desk.faq_report`) with its number and reason, and the others are imported. A line's
sources must be documents of the index in service (by id or by link). Every change goes through
:mod:`server.core.desk.faq`, so it is in the entry's history with its author.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.index import MANIFEST, Manifest, current_generation
from server.core.desk import faq
from server.core.desk.faq_formats import HTML_FORMATS, Line, dumps, file_format, read_bytes, read_data
from server.core.desk.faq_report import COMMAND, ImportReport, Refused, Wording
from server.core.desk.tables import FaqEntry
from server.core.errors import InputError

log = logging.getLogger(__name__)


def question_key(question: str) -> str:
    """What two questions must share to be the same entry: their words, spaces and case aside."""
    return " ".join(question.split()).casefold()


def indexed_docs(index_dir: Path) -> dict[str, dict[str, Any]] | None:
    """The documents of the index in service, read from its manifest (None when nothing was ever indexed)."""
    gen = current_generation(index_dir)
    return None if gen is None else dict(Manifest.read(gen / MANIFEST).docs)


def _doc_ids(sources: list[str], docs: dict[str, dict[str, Any]]) -> list[str]:
    """Each source as an indexed document's id: an id as is, a URL by the document it is the link of."""
    by_url = {str(d.get("url", "")).rstrip("/"): doc_id for doc_id, d in docs.items() if d.get("url")}
    out = []
    for source in sources:
        if source in docs:
            out.append(source)
        elif source.startswith(("http://", "https://")) and source.rstrip("/") in by_url:
            out.append(by_url[source.rstrip("/")])
        elif source.startswith(("http://", "https://")):
            raise InputError(f"Aucun document de l'index n'a pour lien {source}.")
        else:
            raise InputError(f"Document source inconnu de l'index : {source!r}.")
    return list(dict.fromkeys(out))


def _same(entry: FaqEntry, line: Line, question: str, answer: str, theme: str, doc_ids: list[str]) -> bool:
    return (
        entry.question == question
        and entry.answer == answer
        and entry.theme == theme
        and list(entry.variants) == faq.clean_variants(line.variants, question)
        and [s["doc_id"] for s in entry.sources] == doc_ids
    )


def import_lines(
    session: Session,
    lines: list[Line],
    docs: dict[str, dict[str, Any]],
    actor: str,
    draft: bool = False,
    unit: str = "ligne",
    wording: Wording = COMMAND,
) -> ImportReport:
    """Add or update one entry a line (see the module's docstring), published unless ``draft``.

    With ``draft``, an entry added or changed is left unpublished (a published one is withdrawn until reviewed);
    an entry already identical to its line is not touched. An entry withdrawn because a source changed
    (``faq_watch``) is never republished by an import: a supervisor reviews it. A line is refused, with its reason,
    when its text or sources are not valid, when it repeats an earlier line's question, or when it would be published
    without a source; the others are imported all the same. The report's messages name the options in ``wording``'s
    words.
    """
    report = ImportReport(draft=draft, unit=unit, wording=wording)
    existing = {question_key(e.question): e for e in session.scalars(select(FaqEntry).order_by(FaqEntry.id))}
    seen: dict[str, int] = {}
    for line in lines:
        key = question_key(line.question)
        if key in seen:
            report.refused.append(Refused(line.number, f"Même question que la {unit} {seen[key]}."))
            continue
        seen[key] = line.number
        try:
            changed = _import_one(session, line, existing.get(key), docs, actor, draft, report)
        except InputError as exc:
            report.refused.append(Refused(line.number, exc.message.rstrip(".") + "."))
            continue
        if changed is not None:
            existing[key] = changed
    return report


def _import_one(
    session: Session,
    line: Line,
    entry: FaqEntry | None,
    docs: dict[str, dict[str, Any]],
    actor: str,
    draft: bool,
    report: ImportReport,
) -> FaqEntry | None:
    """Import one line; everything is checked before anything is written, so a refusal leaves no trace."""
    theme = line.theme if line.theme is not None else (entry.theme if entry else "")
    question, answer, theme = faq.clean_entry(line.question, line.answer, theme)
    faq.clean_variants(line.variants, question)
    doc_ids = _doc_ids(line.sources, docs)
    if not draft and not doc_ids:
        raise InputError(f"Une entrée publiée doit citer au moins une source (ou {report.wording.import_as_draft})")
    sources = faq.sources_from(doc_ids, docs)
    if entry is None:
        entry = faq.create(session, question, answer, theme, sources, actor, variants=line.variants)
        if not draft:
            faq.set_published(session, entry, True, actor)
        report.added.append(question)
        return entry
    same = _same(entry, line, question, answer, theme, doc_ids)
    if not same:
        faq.update(session, entry, question, answer, theme, sources, actor, line.variants)
        report.updated.append(question)
    if entry.review and not draft:
        report.held.append(question)  # a file cannot say the entry agrees with its changed source: a person must
        return entry if not same else None
    if same and (draft or entry.published):
        report.unchanged += 1
        return None
    if entry.published == draft:
        faq.set_published(session, entry, not draft, actor)
        if same:
            report.published.append(question)
    return entry


def import_file(
    session: Session,
    path: Path,
    docs: dict[str, dict[str, Any]],
    actor: str,
    draft: bool = False,
    source: str | None = None,
) -> ImportReport:
    """Read ``path`` (JSONL, CSV or HTML) and import its lines (see ``import_data``)."""
    return import_data(session, read_bytes(path, source), str(path), docs, actor, draft, source)


def import_data(
    session: Session,
    data: bytes,
    name: str,
    docs: dict[str, dict[str, Any]],
    actor: str,
    draft: bool = False,
    source: str | None = None,
    wording: Wording = COMMAND,
) -> ImportReport:
    """Import the lines of a FAQ file's bytes (format by the extension of ``name``, as for an uploaded file); lines
    refused for their shape are in the report.

    An HTML page's one source is checked first: unknown to the index, or missing without ``draft``, nothing is
    imported (InputError), rather than every question refused for the same reason. Errors and the report name the
    options ``draft`` and ``source`` in ``wording``'s words (the command's unless told).
    """
    lines, refused = read_data(data, name, source, wording)
    html = Path(name).suffix.lower() in HTML_FORMATS
    if html and lines:
        _check_page_source(lines[0].sources, docs, draft, wording)
    report = import_lines(session, lines, docs, actor, draft, "question" if html else "ligne", wording)
    report.refused = sorted(refused + report.refused, key=lambda r: r.number)
    return report


def _check_page_source(sources: list[str], docs: dict[str, dict[str, Any]], draft: bool, wording: Wording) -> None:
    if not sources and not draft:
        raise InputError(
            'La page n\'indique pas son lien (<link rel="canonical"> ou og:url) : donnez sa source '
            f"{wording.with_source_value}, ou {wording.import_as_draft}."
        )
    try:
        _doc_ids(sources, docs)
    except InputError as exc:
        raise InputError(f"Source de la page : {exc.message} Donnez-en une de l'index {wording.with_source}.") from exc


def records(session: Session, published_only: bool = True) -> list[dict[str, Any]]:
    """The FAQ's entries as lines of a FAQ file, oldest first (only the published ones unless asked)."""
    query = select(FaqEntry).order_by(FaqEntry.id)
    if published_only:
        query = query.where(FaqEntry.published.is_(True))
    return [
        {
            "question": e.question,
            "answer": e.answer,
            "variants": list(e.variants),
            "sources": [s["doc_id"] for s in e.sources],
            "theme": e.theme,
        }
        for e in session.scalars(query)
    ]


def export_file(session: Session, path: Path, published_only: bool = True) -> int:
    """Write the FAQ to ``path`` (format by its extension); returns how many entries."""
    suffix = file_format(path, export=True)
    rows = records(session, published_only)
    try:
        path.write_text(dumps(rows, suffix), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Écriture impossible : {path} ({exc.strerror}).") from exc
    return len(rows)
