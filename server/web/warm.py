"""Warm start: what the first draft needs is loaded while the service starts, not when an agent first asks.

Opening the index (its chunks, lexical statistics and vectors) and loading the embedding model take seconds; without
this the first agent after a restart waited for them (11.7 s measured before this). The service drafts one fixed,
non-personal question before it accepts connections, in the extractive mode (no language model is called), so every
cache the drafting path fills is filled. A service without an index yet still starts: the warm-up is skipped with a
warning, and the first question after an ingest loads everything as before.
"""

from __future__ import annotations

import logging
import time

from server.core.answer.assistant import Assistant
from server.core.errors import AccueilError

log = logging.getLogger(__name__)

WARM_QUESTION = "Quels sont les horaires d'ouverture de la mairie ?"


def warm(assistant: Assistant) -> float | None:
    """Draft :data:`WARM_QUESTION` once; return the seconds it took, or None when there is nothing to load yet."""
    start = time.perf_counter()
    try:
        assistant.draft(WARM_QUESTION, mode="extractive")
    except AccueilError as exc:
        log.warning("Préchargement du modèle et de l'index impossible : %s", exc.message)
        return None
    seconds = time.perf_counter() - start
    log.info("Modèle et index chargés en %.1f s.", seconds)
    return seconds
