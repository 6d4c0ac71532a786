"""Login throttling: failed logins counted per username and per client IP in the database, temporary lockout.

The counts live in ``login_attempts``, not in process memory, so that every worker of the service sees the same
state. A key (a folded username, or an IP) is locked for ``login_lockout_minutes`` from the failure that brings
its failures within ``login_window_minutes`` to the limit (``login_max_failures`` for a username, the higher
``login_ip_max_failures`` for an IP). While a key is locked, attempts are refused before any password check and
are not recorded, so that an attacker who keeps trying does not extend the lockout of a genuine agent. A
successful login clears the username's failures, never the IP's. Rows older than window + lockout are pruned.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.errors import AccueilError
from server.core.tables import AuditEvent, LoginAttempt, utcnow

log = logging.getLogger(__name__)
USERNAME = "username"
IP = "ip"
MAX_KEY = 255


class TooManyAttempts(AccueilError):
    """Raised when a login is refused because its username or its client IP is temporarily locked."""

    http_status = 429

    def __init__(self, minutes: int) -> None:
        unit = "minute" if minutes <= 1 else "minutes"
        super().__init__(f"Trop de tentatives : réessayez dans {minutes} {unit}.", minutes=minutes)
        self.minutes = minutes


@dataclass(frozen=True)
class Limits:
    """How many failures each kind of key may have within the window, and how long a lockout lasts."""

    max_failures: int
    ip_max_failures: int
    window: dt.timedelta
    lockout: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits configured by ``ACCUEIL_LOGIN_*``."""
        return cls(
            max_failures=settings.login_max_failures,
            ip_max_failures=settings.login_ip_max_failures,
            window=dt.timedelta(minutes=settings.login_window_minutes),
            lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
        )

    def limit(self, kind: str) -> int:
        """The failure limit of a kind of key."""
        return self.ip_max_failures if kind == IP else self.max_failures

    @property
    def horizon(self) -> dt.timedelta:
        """How far back a failure can still matter: a lockout it helped trigger may still be running."""
        return self.window + self.lockout


def fold(username: str) -> str:
    """The throttling key of a username: trimmed and case-folded, so that 'Agent1' and 'agent1' share a count."""
    return username.strip().casefold()[:MAX_KEY]


def minutes(remaining: dt.timedelta) -> int:
    """A remaining lockout in whole minutes, rounded up (at least 1), as shown to the user."""
    return max(1, math.ceil(remaining.total_seconds() / 60))


def _keys(username: str, ip: str) -> list[tuple[str, str]]:
    return [(USERNAME, fold(username)), (IP, ip[:MAX_KEY])]


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _now(now: dt.datetime | None) -> dt.datetime:
    # SQLite stores wall-clock times: every time written or compared must be in UTC.
    return utcnow() if now is None else _utc(now).astimezone(dt.UTC)


def locked_until(failures: Sequence[dt.datetime], limit: int, limits: Limits) -> dt.datetime | None:
    """End of the latest lockout triggered by these failure times (sorted), or None when none was triggered."""
    until: dt.datetime | None = None
    for last in range(limit - 1, len(failures)):
        if failures[last] - failures[last - limit + 1] <= limits.window:
            end = failures[last] + limits.lockout
            until = end if until is None or end > until else until
    return until


def _remaining(session: Session, limits: Limits, kind: str, key: str, now: dt.datetime) -> dt.timedelta | None:
    rows = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.kind == kind, LoginAttempt.key == key, LoginAttempt.at > now - limits.horizon)
        .order_by(LoginAttempt.at)
    )
    until = locked_until([_utc(at) for at in rows], limits.limit(kind), limits)
    return until - now if until is not None and until > now else None


def locked_for(
    session: Session, limits: Limits, username: str, ip: str, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """How long logins for this username or from this IP stay refused (the longer of the two), or None."""
    now = _now(now)
    found = [r for kind, key in _keys(username, ip) if (r := _remaining(session, limits, kind, key, now)) is not None]
    return max(found) if found else None


def record_failure(
    session: Session, limits: Limits, username: str, ip: str, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """Record a failed login for the username and the IP; return the lockout it starts (logged, audited) or None."""
    now = _now(now)
    prune(session, limits, now)
    keys = _keys(username, ip)
    session.add_all([LoginAttempt(kind=kind, key=key, at=now) for kind, key in keys])
    session.flush()
    started = {kind: r for kind, key in keys if (r := _remaining(session, limits, kind, key, now)) is not None}
    if not started:
        return None
    remaining = max(started.values())
    log.warning(
        "Connexion bloquée %d min (%s) : identifiant %r, adresse %s",
        minutes(remaining),
        ", ".join(sorted(started)),
        fold(username),
        ip,
    )
    session.add(
        AuditEvent(
            request_id=None,
            actor=username.strip()[:80] or "?",
            action="connexion_bloquee",
            data={"cles": sorted(started), "adresse": ip, "minutes": minutes(remaining)},
        )
    )
    return remaining


def clear(session: Session, username: str) -> None:
    """Forget a username's failures (after a successful login); the IP's stay counted."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.kind == USERNAME, LoginAttempt.key == fold(username)))


def prune(session: Session, limits: Limits, now: dt.datetime | None = None) -> int:
    """Delete the failures too old to matter any more; returns how many."""
    cutoff = _now(now) - limits.horizon
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at <= cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
