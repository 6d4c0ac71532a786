"""The draft of the ``llm`` mode streamed to the agent page (server-sent events), one verified sentence at a time.

The model's sentences reach the page only once verified: kept ones as ``phrase`` events, removed ones as
``retiree`` events with their reasons. Drafting runs in its own thread with its own database session and saves
the draft as usual, even if the page is closed meanwhile; ``fin`` then sends the page to the saved draft.

The stream is opened with a GET (``EventSource`` can do nothing else), so the GET alone must change nothing: it
drafts only with a single-use token that the form creating the request (a POST with its CSRF token) issued for that
request, and never when the request already has a draft or a text saved by an agent. A cross-site link, a reload or
a copied address therefore drafts nothing and overwrites nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.answer.verify import KeptSentence, RemovedSentence
from server.core.desk import tokens, workflow
from server.core.desk.db import Database
from server.core.desk.tables import Request
from server.core.errors import AccueilError, Forbidden

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
PURPOSE = "flux"
TOKEN_LIFETIME = dt.timedelta(minutes=10)


def issue(session: Session, request: Request) -> str:
    """The single-use token with which the request's page may open its draft stream (given by the creating POST)."""
    return tokens.issue(session, PURPOSE, str(request.id), TOKEN_LIFETIME)


def open_stream(session: Session, request: Request, token: str) -> None:
    """Use the stream's token, or Forbidden: without it, opening the stream would draft on a mere GET."""
    if not tokens.consume(session, PURPOSE, str(request.id), token):
        raise Forbidden(
            "Lien de rédaction expiré ou déjà utilisé : le brouillon n'a pas été relancé. Ouvrez la demande et "
            "utilisez « Régénérer » si besoin."
        )


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def events(database: Database, assistant: Assistant, request_id: int, actor: str, done_url: str) -> Iterator[str]:
    """Draft request ``request_id`` and yield its events as they come."""
    inbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()

    def on_verdict(verdict: KeptSentence | RemovedSentence) -> None:
        if isinstance(verdict, KeptSentence):
            inbox.put(("phrase", {"texte": verdict.text}))
        else:
            inbox.put(("retiree", {"texte": verdict.text, "motifs": list(verdict.reasons)}))

    def work() -> None:
        try:
            with database.session() as db:
                demande = workflow.get_request(db, request_id)
                if demande.current_version == 0:  # never over a draft or a text an agent saved meanwhile
                    workflow.generate_draft(db, demande, assistant, actor, on_verdict=on_verdict)
            inbox.put(("fin", {"url": done_url}))
        except AccueilError as exc:
            inbox.put(("erreur", {"message": exc.message}))
        except Exception:  # the page must hear of any failure; the log keeps the details
            log.exception("Échec de la rédaction en flux de la demande %s", request_id)
            inbox.put(("erreur", {"message": "Erreur interne : le brouillon n'a pas pu être rédigé."}))

    threading.Thread(target=work, name=f"brouillon-{request_id}", daemon=True).start()
    while True:
        try:
            name, data = inbox.get(timeout=KEEPALIVE_SECONDS)
        except queue.Empty:
            yield ": en cours\n\n"
            continue
        yield _event(name, data)
        if name in ("fin", "erreur"):
            return
