"""A refused form (FastAPI's validation errors) said in French, for the error page of the pages' forms."""

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
