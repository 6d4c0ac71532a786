"""Login throttling: failed logins counted per (username, address) pair and per client IP in the database.

The counts live in ``login_attempts``, not in process memory, so that every worker of the service sees the same
state. A key is locked from the failure that brings its failures within ``login_window_minutes`` to the limit
(``login_max_failures`` for a pair, the higher ``login_ip_max_failures`` for an address). An address stays locked
``login_lockout_minutes``; a pair's lockout doubles with each new lockout of that pair within a day (backoff, at
most a day). Throttling a pair rather than the account means that a stranger who types an agent's name with wrong
passwords locks only his own address out of that account: the agent still logs in from hers. A pair is stored as a
hash (the typed name may be a password typed in the wrong field).

While a key is locked, attempts are refused before any password check and are not recorded, so that an attacker who
keeps trying does not extend the lockout. A successful login clears its pair's failures, never the address's. Rows
are pruned once too old to matter. A lockout is logged and audited with the address cut to its network (/24 for
IPv4, /48 for IPv6) and the account's name only when the typed name is an existing account; ``accueil purge`` ages
these audit rows out (``age_out``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.desk.states import TrailAction
from server.core.desk.tables import AuditEvent, Erasure, LoginAttempt, utcnow
from server.core.errors import AccueilError

log = logging.getLogger(__name__)
PAIR = "compte"
IP = "ip"
MAX_KEY = 255
LOCKOUT_ACTION = TrailAction.LOGIN_LOCKED
# A pair's lockout doubles with each new lockout up to this; its failures are remembered this long.
BACKOFF_CAP = dt.timedelta(hours=24)
PAIR_MEMORY = dt.timedelta(hours=24)


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
    """The throttling form of a username: trimmed and case-folded, so that 'Agent1' and 'agent1' share a count."""
    return username.strip().casefold()[:MAX_KEY]


def pair_key(username: str, ip: str) -> str:
    """The key of a (username, address) pair: a SHA-256, so that no typed name is stored."""
    return hashlib.sha256(f"{fold(username)}\n{ip}".encode()).hexdigest()


def masked_ip(ip: str) -> str:
    """An address cut to its network, as kept in the audit trail: 203.0.113.0/24, 2001:db8:1::/48, or '?'."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "?"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def minutes(remaining: dt.timedelta) -> int:
    """A remaining lockout in whole minutes, rounded up (at least 1), as shown to the user."""
    return max(1, math.ceil(remaining.total_seconds() / 60))


def _keys(username: str, ip: str) -> list[tuple[str, str]]:
    return [(PAIR, pair_key(username, ip)), (IP, ip[:MAX_KEY])]


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; they were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _now(now: dt.datetime | None) -> dt.datetime:
    # SQLite stores wall-clock times: every time written or compared must be in UTC.
    return utcnow() if now is None else _utc(now).astimezone(dt.UTC)


def _memory(kind: str, limits: Limits) -> dt.timedelta:
    return max(limits.horizon, PAIR_MEMORY) if kind == PAIR else limits.horizon


def locked_until(
    failures: Sequence[dt.datetime], limit: int, limits: Limits, backoff: bool = False
) -> dt.datetime | None:
    """End of the latest lockout triggered by these failure times (sorted), or None when none was triggered.

    Each lockout needs ``limit`` failures of its own; with ``backoff`` each one lasts twice the one before.
    """
    until: dt.datetime | None = None
    first_free, level = 0, 0
    for last in range(limit - 1, len(failures)):
        first = last - limit + 1
        if first >= first_free and failures[last] - failures[first] <= limits.window:
            level += 1
            length = (
                min(limits.lockout * 2 ** (level - 1), max(BACKOFF_CAP, limits.lockout)) if backoff else limits.lockout
            )
            end = failures[last] + length
            until = end if until is None or end > until else until
            first_free = last + 1
    return until


def _remaining(session: Session, limits: Limits, kind: str, key: str, now: dt.datetime) -> dt.timedelta | None:
    rows = session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.kind == kind, LoginAttempt.key == key, LoginAttempt.at > now - _memory(kind, limits))
        .order_by(LoginAttempt.at)
    )
    until = locked_until([_utc(at) for at in rows], limits.limit(kind), limits, backoff=kind == PAIR)
    return until - now if until is not None and until > now else None


def locked_for(
    session: Session, limits: Limits, username: str, ip: str, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """How long logins for this username from this IP, or any login from this IP, stay refused; or None."""
    now = _now(now)
    found = [r for kind, key in _keys(username, ip) if (r := _remaining(session, limits, kind, key, now)) is not None]
    return max(found) if found else None


def record_failure(
    session: Session,
    limits: Limits,
    username: str,
    ip: str,
    now: dt.datetime | None = None,
    account: str | None = None,
) -> dt.timedelta | None:
    """Record a failed login for the pair and the IP; return the lockout it starts (logged, audited) or None.

    ``account`` is the name of the existing account the typed name designates, if any: only then is a name kept.
    """
    now = _now(now)
    prune(session, limits, now)
    keys = _keys(username, ip)
    session.add_all([LoginAttempt(kind=kind, key=key, at=now) for kind, key in keys])
    session.flush()
    started = {kind: r for kind, key in keys if (r := _remaining(session, limits, kind, key, now)) is not None}
    if not started:
        return None
    remaining = max(started.values())
    network = masked_ip(ip)
    log.warning(
        "Connexion bloquée %d min (%s) : compte %s, réseau %s",
        minutes(remaining),
        ", ".join(sorted(started)),
        repr(account) if account else "inconnu",
        network,
    )
    session.add(
        AuditEvent(
            request_id=None,
            at=now,
            actor=account or "inconnu",
            action=LOCKOUT_ACTION,
            data={"cles": sorted(started), "reseau": network, "minutes": minutes(remaining)},
        )
    )
    return remaining


def clear(session: Session, username: str, ip: str) -> None:
    """Forget a pair's failures (after a successful login); the IP's stay counted."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.kind == PAIR, LoginAttempt.key == pair_key(username, ip)))


def prune(session: Session, limits: Limits, now: dt.datetime | None = None) -> int:
    """Delete the failures too old to matter any more; returns how many."""
    now = _now(now)
    pairs = (LoginAttempt.kind == PAIR) & (LoginAttempt.at <= now - _memory(PAIR, limits))
    others = (LoginAttempt.kind != PAIR) & (LoginAttempt.at <= now - limits.horizon)
    result = session.execute(delete(LoginAttempt).where(pairs | others))
    return int(getattr(result, "rowcount", 0) or 0)


def age_out(session: Session, cutoff: dt.datetime, actor: str) -> int:
    """Delete the lockout audit events older than ``cutoff`` (called by ``accueil purge``); returns how many.

    The trail is append-only: the deletion runs as a recorded erasure (kind ``purge``), like the purge itself.
    """
    old = (AuditEvent.action == LOCKOUT_ACTION) & AuditEvent.request_id.is_(None) & (AuditEvent.at < cutoff)
    ids = list(session.scalars(select(AuditEvent.id).where(old)))
    if not ids:
        return 0
    erasure = Erasure(kind="purge", subject=cutoff.date().isoformat(), requests=0, state="en_cours", actor=actor)
    session.add(erasure)
    session.flush()  # the triggers now let this transaction delete from the trail
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    erasure.state = "terminee"
    session.flush()
    return len(ids)
