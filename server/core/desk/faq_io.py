"""A FAQ as a file: import a commune's FAQ (JSONL, CSV or a saved HTML page) and export ours (JSONL or CSV), for
``accueil faq import`` / ``export``.

One entry a line (JSONL) or a row (CSV, same columns, variants joined by `` | ``)::

    {"question": "…", "answer": "…", "variants": ["…"], "sources": ["doc-id" or URL], "theme": "…"}

``theme`` may be left out. Import is idempotent: a line whose question is already an entry's (spaces and case aside)
updates that entry, never adds a second one, and a line identical to its entry changes nothing. Each line is checked
alone: a malformed one is refused with its line number and the others are imported. Every change goes through
:mod:`server.core.desk.faq`, so it is in the entry's history with its author.

An HTML page (:mod:`server.core.desk.faq_html`) gives one line a question, numbered in page order; all share the
page's own link, or the source given for the page, as their source.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.answer.index import MANIFEST, Manifest, current_generation
from server.core.desk import faq, faq_html
from server.core.desk.tables import FaqEntry
from server.core.errors import InputError

log = logging.getLogger(__name__)

COLUMNS = ("question", "answer", "variants", "sources", "theme")
REQUIRED = ("question", "answer")
VARIANT_SEPARATOR = " | "
EXPORT_FORMATS = (".jsonl", ".csv")
HTML_FORMATS = (".html", ".htm")
FORMATS = EXPORT_FORMATS + HTML_FORMATS


@dataclass
class Line:
    """One entry of a FAQ file, as read (``theme`` None when the file does not give one)."""

    number: int
    question: str
    answer: str
    variants: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    theme: str | None = None


@dataclass
class Refused:
    """A line left out of the import, and why (in French)."""

    number: int
    reason: str


@dataclass
class ImportReport:
    """What an import did: questions added, updated, published as they were, left unchanged, and refused lines."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # withdrawn by faq_watch: a supervisor must review them first
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    draft: bool = False
    unit: str = "ligne"  # what the numbers of refused lines count: a file's lines, or a page's questions

    @property
    def changed(self) -> bool:
        """Whether the import changed anything in the FAQ."""
        return bool(self.added or self.updated or self.published)

    def lines(self) -> list[str]:
        """The report in French, one line a fact (first the counts, then each refused line with its reason)."""
        state = "non publiées (--draft)" if self.draft else "publiées"
        out = [
            f"Entrées ajoutées : {len(self.added)} ; mises à jour : {len(self.updated)} ; "
            f"publiées sans autre changement : {len(self.published)} ; inchangées : {self.unchanged} ; "
            f"{self.unit}s refusées : {len(self.refused)}."
        ]
        out += [f"  + {q}" for q in self.added] + [f"  ~ {q}" for q in self.updated]
        out += [f"  ↑ {q}" for q in self.published]
        if self.held:
            out.append(
                f"Laissées non publiées, une de leurs sources ayant changé depuis leur publication (à relire dans "
                f"Supervision → FAQ) : {len(self.held)}."
            )
            out += [f"  ! {q}" for q in self.held]
        out += [f"  ✗ {self.unit} {r.number} : {r.reason}" for r in self.refused]
        if self.changed:
            out.append(f"Entrées ajoutées ou mises à jour : {state}.")
        else:
            out.append("Rien n'a changé : la FAQ contenait déjà ces entrées.")
        return out


def question_key(question: str) -> str:
    """What two questions must share to be the same entry: their words, spaces and case aside."""
    return " ".join(question.split()).casefold()


def indexed_docs(index_dir: Path) -> dict[str, dict[str, Any]] | None:
    """The documents of the index in service, read from its manifest (None when nothing was ever indexed)."""
    gen = current_generation(index_dir)
    return None if gen is None else dict(Manifest.read(gen / MANIFEST).docs)


def _format(path: Path, export: bool = False) -> str:
    suffix = path.suffix.lower()
    if export and suffix in HTML_FORMATS:
        raise InputError(
            f"L'export s'écrit en JSONL ou en CSV, pas en HTML : {path.name} "
            "(une page HTML se lit à l'import seulement)."
        )
    if suffix not in (EXPORT_FORMATS if export else FORMATS):
        expected = ".jsonl ou .csv" if export else ".jsonl, .csv, .html ou .htm"
        raise InputError(f"Format de fichier inconnu : {path.name} (attendu : {expected}).")
    return suffix


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"« {name} » doit être une liste de textes.")
    return [v.strip() for v in value if v.strip()]


def _line(number: int, record: Any) -> Line:
    """A line checked for shape: an object with a question and an answer, lists of texts for variants and sources."""
    if not isinstance(record, dict):
        raise InputError("Un objet JSON est attendu.")
    unknown = sorted(set(record) - set(COLUMNS))
    if unknown:
        raise InputError(f"Champ inconnu : {', '.join(unknown)}.")
    for name in REQUIRED:
        if not isinstance(record.get(name), str) or not record[name].strip():
            raise InputError(f"« {name} » manque ou est vide.")
    theme = record.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise InputError("« theme » doit être un texte.")
    return Line(
        number,
        record["question"],
        record["answer"],
        _strings(record.get("variants", []), "variants"),
        _strings(record.get("sources", []), "sources"),
        theme,
    )


def _read_jsonl(text: str) -> tuple[list[Line], list[Refused]]:
    lines: list[Line] = []
    refused: list[Refused] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            refused.append(Refused(number, f"JSON illisible ({exc.msg}, colonne {exc.colno})."))
            continue
        try:
            lines.append(_line(number, record))
        except InputError as exc:
            refused.append(Refused(number, exc.message))
    return lines, refused


def _split(cell: str, separator: str) -> list[str]:
    return [part.strip() for part in cell.split(separator) if part.strip()]


def _read_csv(text: str) -> tuple[list[Line], list[Refused]]:
    """CSV with a header row naming the columns; « ; » or « , » as the header uses. Line numbers are the file's
    (an answer over several lines counts them all)."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [Refused(1, f"En-tête sans colonne {', '.join(missing)} : aucune ligne lue.")]
    lines: list[Line] = []
    refused: list[Refused] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            refused.append(Refused(start, f"CSV illisible ({exc})."))
            break
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            refused.append(Refused(number, f"{len(row)} colonnes au lieu de {len(header)}."))
            continue
        record: dict[str, Any] = dict(zip(header, row, strict=True))
        record["variants"] = _split(record.get("variants", ""), VARIANT_SEPARATOR.strip())
        record["sources"] = _split(record.get("sources", "").replace("\n", " "), " ")
        if "theme" in record and not record["theme"].strip():
            del record["theme"]
        try:
            lines.append(_line(number, record))
        except InputError as exc:
            refused.append(Refused(number, exc.message))
    return lines, refused


def _read_html(data: bytes, name: str, source: str | None) -> tuple[list[Line], list[Refused]]:
    """A page's questions as lines numbered in page order, sourced by ``source`` or else the page's own link."""
    page = faq_html.read_page(data, name)
    sources = [source] if source else [page.url] if page.url else []
    lines: list[Line] = []
    refused: list[Refused] = []
    for number, pair in enumerate(page.pairs, start=1):
        if pair.answer:
            lines.append(Line(number, pair.question, pair.answer, [], list(sources), pair.theme))
        else:
            refused.append(Refused(number, f"Aucune réponse dans la page pour « {pair.question} »."))
    return lines, refused


def _checked(name: str, source: str | None) -> str:
    """The format of the file ``name`` (by its extension), checked with ``source`` before anything is read."""
    suffix = _format(Path(name))
    if source and suffix not in HTML_FORMATS:
        raise InputError(
            "--source ne vaut que pour une page HTML : dans un fichier JSONL ou CSV, chaque ligne donne ses sources."
        )
    return suffix


def read_data(data: bytes, name: str, source: str | None = None) -> tuple[list[Line], list[Refused]]:
    """The lines of a FAQ file's bytes (format by the extension of ``name``) and those refused for their shape.

    ``source`` (a document id or link) is the source of every question of an HTML page, instead of the page's link;
    a JSONL or CSV line gives its own sources.
    """
    suffix = _checked(name, source)
    if suffix in HTML_FORMATS:
        return _read_html(data, Path(name).name, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"Fichier illisible : {name} n'est pas en UTF-8.") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as a file read in text mode
    return _read_jsonl(text) if suffix == ".jsonl" else _read_csv(text)


def _read_bytes(path: Path, source: str | None) -> bytes:
    _checked(path.name, source)  # an unknown format is refused before the file is opened
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"Fichier illisible : {path} ({exc.strerror}).") from exc


def read_file(path: Path, source: str | None = None) -> tuple[list[Line], list[Refused]]:
    """The lines of a FAQ file (format by its extension) and those refused for their shape (see ``read_data``)."""
    return read_data(_read_bytes(path, source), str(path), source)


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
) -> ImportReport:
    """Add or update one entry a line (see the module's docstring), published unless ``draft``.

    With ``draft``, an entry added or changed is left unpublished (a published one is withdrawn until reviewed);
    an entry already identical to its line is not touched. An entry withdrawn because a source changed
    (``faq_watch``) is never republished by an import: a supervisor reviews it. A line is refused, with its reason,
    when its text or sources are not valid, when it repeats an earlier line's question, or when it would be published
    without a source; the others are imported all the same.
    """
    report = ImportReport(draft=draft, unit=unit)
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
        raise InputError("Une entrée publiée doit citer au moins une source (ou importez avec --draft)")
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
    return import_data(session, _read_bytes(path, source), str(path), docs, actor, draft, source)


def import_data(
    session: Session,
    data: bytes,
    name: str,
    docs: dict[str, dict[str, Any]],
    actor: str,
    draft: bool = False,
    source: str | None = None,
) -> ImportReport:
    """Import the lines of a FAQ file's bytes (format by the extension of ``name``, as for an uploaded file); lines
    refused for their shape are in the report.

    An HTML page's one source is checked first: unknown to the index, or missing without ``draft``, nothing is
    imported (InputError), rather than every question refused for the same reason.
    """
    lines, refused = read_data(data, name, source)
    html = Path(name).suffix.lower() in HTML_FORMATS
    if html and lines:
        _check_page_source(lines[0].sources, docs, draft)
    report = import_lines(session, lines, docs, actor, draft, "question" if html else "ligne")
    report.refused = sorted(refused + report.refused, key=lambda r: r.number)
    return report


def _check_page_source(sources: list[str], docs: dict[str, dict[str, Any]], draft: bool) -> None:
    if not sources and not draft:
        raise InputError(
            'La page n\'indique pas son lien (<link rel="canonical"> ou og:url) : donnez sa source avec '
            "--source LIEN_OU_DOCUMENT, ou importez avec --draft."
        )
    try:
        _doc_ids(sources, docs)
    except InputError as exc:
        raise InputError(f"Source de la page : {exc.message} Donnez-en une de l'index avec --source.") from exc


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


def dumps(rows: list[dict[str, Any]], suffix: str) -> str:
    """FAQ lines as the text of a JSONL or CSV file (CSV: comma-separated, UTF-8, a header row)."""
    if suffix == ".jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        variants = VARIANT_SEPARATOR.join(row["variants"])
        writer.writerow([row["question"], row["answer"], variants, " ".join(row["sources"]), row["theme"]])
    return out.getvalue()


def export_file(session: Session, path: Path, published_only: bool = True) -> int:
    """Write the FAQ to ``path`` (format by its extension); returns how many entries."""
    suffix = _format(path, export=True)
    rows = records(session, published_only)
    try:
        path.write_text(dumps(rows, suffix), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Écriture impossible : {path} ({exc.strerror}).") from exc
    return len(rows)
