"""Server-side login sessions: opened at login, looked up on every request, ended on the server.

The browser's cookie carries only an opaque random id; the ``sessions`` table keeps its SHA-256, the account, the
login time, the last activity and, once ended, the time it was revoked. A copied cookie is therefore worth nothing
after logout, a password change, an account disable, "log out everywhere" or a key rotation. A session also ends
``session_hours`` after login and ``session_idle_minutes`` after its last request, checked here, not in the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.desk.tables import LoginSession, User, utcnow

# The last-activity time is rewritten at most this often, so that not every request writes to the database.
SEEN_EVERY = dt.timedelta(seconds=60)
# Ended or expired sessions are deleted after this long (kept a while to show that a copied cookie was refused).
KEEP_ENDED = dt.timedelta(days=7)


def digest(session_id: str) -> str:
    """How a session id is stored: its SHA-256, never the id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def open_session(
    db: Session, user: User, persistent: bool = False, user_agent: str | None = None, now: dt.datetime | None = None
) -> str:
    """Record a new session for ``user`` and return its id (to be put in the cookie, never stored in clear)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    db.add(
        LoginSession(
            token_hash=digest(session_id),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            persistent=persistent,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    db.flush()
    return session_id


def find(db: Session, session_id: str) -> LoginSession | None:
    """The row of a session id, whatever its state, or None."""
    return db.scalar(select(LoginSession).where(LoginSession.token_hash == digest(session_id)))


def expired(row: LoginSession, settings: Settings, now: dt.datetime) -> bool:
    """True when a session is past its absolute lifetime or has been idle too long."""
    too_old = now - _utc(row.created_at) > dt.timedelta(hours=settings.session_hours)
    idle = now - _utc(row.last_seen_at) > dt.timedelta(minutes=settings.session_idle_minutes)
    return too_old or idle


def live(
    db: Session, settings: Settings, session_id: str, now: dt.datetime | None = None
) -> tuple[LoginSession, User] | None:
    """The row of a live session (not revoked, not expired) and its active account, or None."""
    now = now or utcnow()
    row = find(db, session_id)
    if row is None or row.revoked_at is not None or expired(row, settings, now):
        return None
    user = db.get(User, row.user_id)
    return (row, user) if user is not None and user.active else None


def stale(row: LoginSession, now: dt.datetime | None = None) -> bool:
    """Whether a session's last activity is old enough to be rewritten."""
    return (now or utcnow()) - _utc(row.last_seen_at) >= SEEN_EVERY


def touch(db: Session, session_id: str, now: dt.datetime | None = None) -> None:
    """Record activity on a session (pushes back its idle expiry)."""
    db.execute(
        update(LoginSession).where(LoginSession.token_hash == digest(session_id)).values(last_seen_at=now or utcnow())
    )


def close(db: Session, session_id: str, now: dt.datetime | None = None) -> None:
    """End one session (logout)."""
    db.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == digest(session_id), LoginSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def close_all(db: Session, user_id: int | None = None, now: dt.datetime | None = None) -> int:
    """End every live session of one account (or of every account when ``user_id`` is None); returns how many."""
    query = update(LoginSession).where(LoginSession.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(LoginSession.user_id == user_id)
    result = db.execute(query.values(revoked_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(db: Session, settings: Settings, now: dt.datetime | None = None) -> int:
    """Delete the sessions ended or expired more than a week ago; returns how many."""
    now = now or utcnow()
    horizon = now - KEEP_ENDED
    started = horizon - dt.timedelta(hours=settings.session_hours)
    result = db.execute(
        delete(LoginSession).where(
            (LoginSession.revoked_at < horizon)
            | (LoginSession.created_at < started)
            | (LoginSession.last_seen_at < horizon)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_count(db: Session, user_id: int, settings: Settings, now: dt.datetime | None = None) -> int:
    """How many sessions of an account are still open."""
    now = now or utcnow()
    rows = db.scalars(select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None)))
    return sum(1 for row in rows if not expired(row, settings, now))
