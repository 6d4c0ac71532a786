"""Warm start: what the first draft and the first citizen question need is loaded while the service starts.

Opening the index (its chunks, lexical statistics and vectors) and loading the embedding model take seconds; without
this the first agent after a restart waited for them (11.7 s measured before this), and the first citizen question
waited 5 to 19 s for the published FAQ entries' phrasings to be embedded. The service drafts one fixed, non-personal
question before it accepts connections, in the extractive mode (no language model is called), so every cache the
drafting path fills is filled, then builds the FAQ decision over the published entries. A service without an index yet
still starts: that part is skipped with a warning, and the first question after an ingest loads it as before.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from server.core.answer.assistant import Assistant
from server.core.desk import faq_match
from server.core.desk.db import Database
from server.core.errors import AccueilError
from server.core.lexicon import french_words

log = logging.getLogger(__name__)

WARM_QUESTION = "Quels sont les horaires d'ouverture de la mairie ?"


def warm(assistant: Assistant, database: Database, commune: str) -> float | None:
    """Draft :data:`WARM_QUESTION` once and build the FAQ decision; the seconds it took, or None when the index could
    not be loaded (the FAQ is warmed all the same: it needs only the model)."""
    start = time.perf_counter()
    drafted = True
    french_words()  # the word list a question's slips are told from real words by (0.6 s)
    try:
        assistant.draft(WARM_QUESTION, mode="extractive")
    except AccueilError as exc:
        log.warning("Préchargement de l'index impossible : %s", exc.message)
        drafted = False
    try:
        with database.session() as session:
            entries = faq_match.warm(session, assistant.embedder, commune)
    except (AccueilError, SQLAlchemyError) as exc:
        log.warning("Préchargement de la FAQ impossible : %s", exc)
        entries = 0
    seconds = time.perf_counter() - start
    log.info("Modèle, index et FAQ (%d entrées publiées) chargés en %.1f s.", entries, seconds)
    return seconds if drafted else None
