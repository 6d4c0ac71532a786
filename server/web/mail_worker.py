"""The background sender of the outbox, one per service worker (mails are claimed, so never sent twice)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from server.core.config import Settings
from server.core.desk import outbox
from server.core.desk.db import Database
from server.core.errors import StorageError

log = logging.getLogger(__name__)


class MailWorker:
    """Sends due mails every few seconds, and at once when woken (after a validation)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.interval = min(max(settings.mail_retry_seconds / 2, 0.5), 30.0)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="courriels", daemon=True)

    def start(self) -> None:
        """Start the sending thread."""
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.settings.smtp_timeout + 5)

    def run_once(self) -> tuple[int, int]:
        """One round: put back mails a dead worker left, send what is due."""
        with self.db.session() as session:
            outbox.release_stuck(session)
            return outbox.deliver_due(session, self.settings)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except (SQLAlchemyError, StorageError) as exc:
                # The database may be busy, full, read-only or briefly unreachable: the mails stay queued for the
                # next round.
                log.warning("File d'envoi des courriels inaccessible : %s", exc)
            self._wake.wait(self.interval)
            self._wake.clear()
