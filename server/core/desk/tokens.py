"""Single-use tokens kept in the database (so that every service worker sees them): the public form's, the draft
stream's.

Only a token's SHA-256 is stored, with what it was issued for (``purpose`` and ``subject``) and its expiry. Using
it deletes its row in one statement, so that two workers (or two tabs) can never both use it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.core.desk.tables import OneTimeToken, utcnow


def digest(text: str) -> str:
    """SHA-256 of ``text``, hexadecimal (what is stored instead of a token, a question, an address)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def issue(session: Session, purpose: str, subject: str, lifetime: dt.timedelta) -> str:
    """A fresh token for ``purpose`` and ``subject``, valid for ``lifetime``; expired tokens are dropped meanwhile."""
    now = utcnow()
    session.execute(delete(OneTimeToken).where(OneTimeToken.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            purpose=purpose, token_hash=digest(token), subject=subject, created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return token


def age(session: Session, purpose: str, token: str) -> dt.timedelta | None:
    """How long ago the live token was issued, or None when it is unknown, used or expired."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == digest(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.expires_at >= utcnow(),
        )
    )
    if row is None:
        return None
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return utcnow() - created


def consume(session: Session, purpose: str, subject: str, token: str) -> bool:
    """Use the token: True only for a live token issued for ``purpose`` and ``subject``, and only once."""
    if not token or len(token) > 200:
        return False
    done = session.execute(
        delete(OneTimeToken).where(
            OneTimeToken.token_hash == digest(token),
            OneTimeToken.purpose == purpose,
            OneTimeToken.subject == subject,
            OneTimeToken.expires_at >= utcnow(),
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]
