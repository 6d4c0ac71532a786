"""The demonstration data of a fresh install (``make run``): the two demo accounts and the demo FAQ entries.

``reset_accounts`` creates the accounts or gives them new passwords; ``publish_faq`` publishes the entries of a JSON
file (``config/faq-demo.json``, the default of ``accueil demo-faq --file``) whose question is not already in the
FAQ, quoting the indexed documents they name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.desk import auth, faq
from server.core.desk.db import Database
from server.core.errors import InputError

DEMO_ACCOUNTS = (("agent", "agent"), ("superviseur", "supervisor"))
DEMO_ACTOR = "demonstration"


def reset_accounts(settings: Settings) -> list[tuple[str, str, str]]:
    """Create the demo accounts, or renew their passwords; (name, role, password) of each."""
    database = Database(settings)
    try:
        with database.session() as db:
            return [(name, role, _reset_account(db, name, role)) for name, role in DEMO_ACCOUNTS]
    finally:
        database.close()


def _reset_account(db: Session, name: str, role: str) -> str:
    if auth.find_user(db, name) is None:
        _, password = auth.add_user(db, name, role)
        assert password is not None  # generated, since none was given
        return password
    return auth.reset_password(db, name)


def publish_entries(db: Session, entries: list[dict[str, Any]], docs: Mapping[str, dict[str, Any]]) -> int:
    """Publish each entry ``{question, answer, theme, sources[, variants]}`` not already in the FAQ; how many were
    published."""
    known = {e.question for e in faq.entries(db)}
    added = 0
    for item in entries:
        if item["question"] in known:
            continue
        sources = faq.sources_from(item["sources"], dict(docs))
        variants = list(item.get("variants", []))
        entry = faq.create(db, item["question"], item["answer"], item["theme"], sources, DEMO_ACTOR, variants=variants)
        faq.set_published(db, entry, True, DEMO_ACTOR)
        added += 1
    return added


def publish_faq(settings: Settings, path: Path) -> tuple[int, int]:
    """Publish the entries of the JSON file ``path``; (published now, already there).

    Raises InputError when the file cannot be read or an entry lacks a field, AccueilError when there is no index.
    """
    from server.core.answer.assistant import Assistant

    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        docs = Assistant(settings).index().manifest.docs
        database = Database(settings)
        try:
            with database.session() as db:
                added = publish_entries(db, entries, docs)
        finally:
            database.close()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"fichier de FAQ illisible {path} : {exc}") from exc
    return added, len(entries) - added
