"""Helpers shared by the loaders: decoding, whitespace, dates."""

from __future__ import annotations

import re
from datetime import date

from server.core.errors import LoaderError
from server.core.text import squash

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def read_text_bytes(name: str, data: bytes) -> str:
    """Decode a text file as UTF-8, refusing binary content and other encodings with a clear reason."""
    if b"\x00" in data:
        raise LoaderError(name, "fichier binaire (octets nuls), pas un texte")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(
            name, f"encodage non UTF-8 (octet invalide en position {exc.start}) : convertissez le fichier en UTF-8"
        ) from exc
    if not text.strip():
        raise LoaderError(name, "fichier vide")
    return text


def iso_date(value: object, name: str, field: str) -> str:
    """Normalise a date-like value to YYYY-MM-DD, or '' when absent; a malformed date is an error."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return value.isoformat()
    match = _DATE.search(str(value))
    if not match:
        raise LoaderError(name, f"date invalide pour « {field} » : {value!r} (AAAA-MM-JJ attendu)")
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError as exc:
        raise LoaderError(name, f"date invalide pour « {field} » : {value!r}") from exc


def clean_inline(text: str) -> str:
    """Squash white space and mend the spaces that XML/HTML conversion leaves before punctuation."""
    text = squash(text)
    text = re.sub(r"\s+([,.)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    return text


def prettify_stem(stem: str) -> str:
    """A readable title from a file name ("horaires-mairie" -> "Horaires mairie")."""
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem
