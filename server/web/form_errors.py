"""Refused input said in French: a text over its length limit (said next to its field, or as the API's error), and
FastAPI's validation errors for the error page of the pages' forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_REASONS = {
    "missing": "à remplir",
    "string_too_short": "à remplir",
    "string_too_long": "trop long ({max_length} caractères au plus)",
    "int_parsing": "nombre attendu",
    "bool_parsing": "oui ou non attendu",
    "literal_error": "valeur non proposée",
}


def form_error_message(errors: Sequence[Any]) -> str:
    """One French sentence naming each refused field and why (the fields' names are the forms' own, in French)."""
    parts = []
    for error in errors:
        field = str(error["loc"][-1]) if error.get("loc") else "formulaire"
        reason = _REASONS.get(error.get("type", ""), "valeur invalide").format(**(error.get("ctx") or {}))
        parts.append(f"{field} : {reason}")
    return "Formulaire incomplet ou invalide — " + " ; ".join(parts) + "."


def too_long(label: str, text: str, limit: int, *, stored: bool = True) -> str | None:
    """Why ``text`` is refused when it is longer than ``limit`` characters (None when it fits): never cut silently.

    ``stored`` says the form would have written something (a search writes nothing, so says nothing of it)."""
    if len(text) <= limit:
        return None
    after = " : rien n'a été enregistré." if stored else "."
    return f"{label} : {len(text)} caractères pour {limit} au plus. Raccourcissez le texte{after}"


def length_errors(checks: Sequence[tuple[str, str, str, int]], *, stored: bool = True) -> dict[str, str]:
    """The refused fields of ``(field, label, text, limit)`` checks, each with its reason (empty when all fit)."""
    found = {}
    for field, label, text, limit in checks:
        reason = too_long(label, text, limit, stored=stored)
        if reason:
            found[field] = reason
    return found
