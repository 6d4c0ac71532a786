"""The FAQ file formats: a commune's FAQ read from JSONL, CSV or a saved HTML page into lines, and ours written as
JSONL or CSV (the import and export themselves are :mod:`server.core.desk.faq_io`'s).

One entry a line (JSONL) or a row (CSV, same columns, variants joined by `` | ``)::

    {"question": "…", "answer": "…", "variants": ["…"], "sources": ["doc-id" or URL], "theme": "…"}

``theme`` may be left out. Each line is checked alone for its shape: a malformed one is refused with its line number
and the others are read. An HTML page (:mod:`server.core.desk.faq_html`) gives one line a question, numbered in page
order; all share the page's own link, or the source given for the page, as their source.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.core.desk import faq_html
from server.core.desk.faq_report import COMMAND, Refused, Wording
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


def file_format(path: Path, export: bool = False) -> str:
    """The format of the file ``path`` by its extension (``.jsonl``…), one that can be read, or written if ``export``;
    InputError otherwise."""
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


def _checked(name: str, source: str | None, wording: Wording) -> str:
    """The format of the file ``name`` (by its extension), checked with ``source`` before anything is read."""
    suffix = file_format(Path(name))
    if source and suffix not in HTML_FORMATS:
        raise InputError(
            f"{wording.source} ne vaut que pour une page HTML : dans un fichier JSONL ou CSV, chaque ligne donne ses "
            "sources."
        )
    return suffix


def read_data(
    data: bytes, name: str, source: str | None = None, wording: Wording = COMMAND
) -> tuple[list[Line], list[Refused]]:
    """The lines of a FAQ file's bytes (format by the extension of ``name``) and those refused for their shape.

    ``source`` (a document id or link) is the source of every question of an HTML page, instead of the page's link;
    a JSONL or CSV line gives its own sources (a ``source`` given with one is refused, in ``wording``'s words).
    """
    suffix = _checked(name, source, wording)
    if suffix in HTML_FORMATS:
        return _read_html(data, Path(name).name, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"Fichier illisible : {name} n'est pas en UTF-8.") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as a file read in text mode
    return _read_jsonl(text) if suffix == ".jsonl" else _read_csv(text)


def read_bytes(path: Path, source: str | None = None) -> bytes:
    """The bytes of the FAQ file ``path``, once its format is known to be one that is read (see ``read_data``)."""
    _checked(path.name, source, COMMAND)  # an unknown format is refused before the file is opened
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"Fichier illisible : {path} ({exc.strerror}).") from exc


def read_file(path: Path, source: str | None = None) -> tuple[list[Line], list[Refused]]:
    """The lines of a FAQ file (format by its extension) and those refused for their shape (see ``read_data``)."""
    return read_data(read_bytes(path, source), str(path), source)


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
