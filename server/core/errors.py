"""The one exception tree of accueil.

    AccueilError                  base: every error a user may see, with a French message
    ├── ConfigError               a setting is missing or invalid
    ├── IngestError               an ingest run cannot go on (nothing committed)
    │   └── LoaderError           one input file cannot be read (named in the summary, the run goes on)
    ├── IndexError_               the index is missing, unreadable or being written
    │   └── IndexMismatchError    the index was built with another embedding model
    ├── RetrievalError            the stores failed while answering a question
    ├── DraftError                a draft could not be assembled
    │   └── CitationError         a citation does not match its source verbatim
    ├── StorageError              the database is busy, full or read-only (503; nothing half-written)
    ├── MailError                 an e-mail could not be sent (kept in the outbox and retried)
    ├── RateLimited               too many requests from one address or for one e-mail (429)
    ├── TooManyAttempts           login locked after repeated failures (429; in server.core.desk.throttle)
    ├── InputError                a question or request is invalid (too long, empty…)
    ├── NotFound                  a request, user or document does not exist
    ├── Forbidden                 the user's role does not allow the action
    └── Conflict                  the action does not fit the request's state (already validated…)

The CLI turns an AccueilError into one line and exit code 1; the web layer into a JSON error.
"""

from __future__ import annotations


class AccueilError(Exception):
    """Base of every error raised on purpose by accueil; ``str(err)`` is the French message."""

    http_status = 500

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class ConfigError(AccueilError):
    """Raised when a setting is missing or invalid."""


class IngestError(AccueilError):
    """Raised when an ingest run must stop; the previous index stays in place."""


class LoaderError(IngestError):
    """Raised by a loader for one file it cannot read; ``path`` names the file."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path} : {message}", path=path)
        self.path = path
        self.reason = message


class IndexError_(AccueilError):  # noqa: N801 - trailing underscore avoids the builtin IndexError
    """Raised when the index is missing or unreadable."""

    http_status = 503


class IndexMismatchError(IndexError_):
    """Raised when the index was built with another embedding model than the configured one."""


class RetrievalError(AccueilError):
    """Raised when the vector or lexical store fails during a query."""

    http_status = 503


class DraftError(AccueilError):
    """Raised when a draft cannot be assembled."""


class CitationError(DraftError):
    """Raised when a cited quote is not found verbatim in its source chunk."""


class StorageError(AccueilError):
    """Raised when the database refuses a write (locked too long, disk full, read-only); reads go on."""

    http_status = 503


class MailError(AccueilError):
    """Raised when the SMTP server cannot take a message; the outbox keeps it and retries."""

    http_status = 503


class RateLimited(AccueilError):
    """Raised when a client or an e-mail address sends too many requests; the message says when to retry."""

    http_status = 429


class InputError(AccueilError):
    """Raised when a question or request is invalid (empty, too long, malformed)."""

    http_status = 422


class NotFound(AccueilError):
    """Raised when a request, user or document does not exist."""

    http_status = 404


class Forbidden(AccueilError):
    """Raised when the user's role does not allow the action."""

    http_status = 403


class Conflict(AccueilError):
    """Raised when an action does not fit the current state (e.g. editing a validated request)."""

    http_status = 409
