"""Accounts: password hashing (argon2), users, roles, disable, throttled login, API tokens for integrations.

Ending access: a disabled account, a changed password or "log out everywhere" end the account's sessions at once
(``server.core.desk.sessions``); a disabled account's tokens are refused while it stays disabled; a token can be revoked
on its own, expires (90 days by default) and is either read-only (``lecture``) or may draft (``redaction``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.desk import password_policy, sessions, throttle
from server.core.desk.states import TrailAction
from server.core.desk.tables import ROLES, ApiToken, AuditEvent, User, utcnow
from server.core.errors import InputError, NotFound

_hasher = PasswordHasher()
RANK = {"agent": 1, "supervisor": 2, "admin": 3}
MIN_PASSWORD = 10
# What a token may do: read only (GET), or everything its account's role allows through the API.
SCOPES = {"lecture": "lecture seule", "redaction": "rédaction"}
TOKEN_DAYS = 90
# A token's last use is rewritten at most this often.
USED_EVERY = dt.timedelta(seconds=60)


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"Le mot de passe doit compter au moins {MIN_PASSWORD} caractères.")
    return _hasher.hash(password)


def add_user(session: Session, username: str, role: str, password: str | None = None) -> tuple[User, str | None]:
    """Create an account; returns it and the generated password when none was given (shown once)."""
    username = username.strip()
    if not username or len(username) > 80:
        raise InputError("Nom d'utilisateur vide ou trop long.")
    if role not in ROLES:
        raise InputError(f"Rôle inconnu {role!r} (agent, supervisor ou admin).")
    if find_user(session, username) is not None:
        raise InputError(f"L'utilisateur {username!r} existe déjà.")
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(15)
    user = User(username=username, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    session.add(AuditEvent(actor="admin", action=TrailAction.USER_CREATED, data={"username": username, "role": role}))
    return user, generated


def find_user(session: Session, username: str) -> User | None:
    """The account with this name, or None."""
    return session.scalar(select(User).where(User.username == username.strip()))


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"Utilisateur {username!r} introuvable.")
    return user


def set_password(session: Session, username: str, password: str | None = None) -> str | None:
    """Give an account a new password (checked against the policy), or a generated one that is returned (shown once).

    Every session of the account ends: a cookie copied before the change opens nothing any more.
    """
    user = _user(session, username)
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(15)
    else:
        password_policy.check(password, user.username)
    user.password_hash = hash_password(password)
    sessions.close_all(session, user.id)
    session.add(AuditEvent(actor="admin", action=TrailAction.PASSWORD_RESET, data={"username": user.username}))
    return generated


def reset_password(session: Session, username: str) -> str:
    """Give an account a new generated password and return it (shown once); its sessions end."""
    password = set_password(session, username)
    assert password is not None
    return password


def set_active(session: Session, username: str, active: bool) -> User:
    """Disable an account (its sessions end at once, its tokens are refused) or enable it again."""
    user = _user(session, username)
    user.active = active
    if not active:
        sessions.close_all(session, user.id)
    action = TrailAction.USER_ENABLED if active else TrailAction.USER_DISABLED
    session.add(AuditEvent(actor="admin", action=action, data={"username": user.username}))
    return user


def logout_everywhere(session: Session, username: str, actor: str = "admin") -> int:
    """End every session of an account; returns how many were open."""
    user = _user(session, username)
    count = sessions.close_all(session, user.id)
    session.add(AuditEvent(actor=actor, action=TrailAction.SESSIONS_CLOSED, data={"username": user.username}))
    return count


@cache
def _dummy_hash() -> str:
    """Same work as a real check, so that an unknown user name takes as long as a wrong password (made once, when
    first needed: not at import, which every CLI command would pay)."""
    return _hasher.hash("mot de passe factice")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_user(session, username)
    try:
        if user is None or not user.active:
            _hasher.verify(_dummy_hash(), password + "x")
            return None
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def login(
    session: Session, settings: Settings, username: str, password: str, ip: str, now: dt.datetime | None = None
) -> User | None:
    """Authenticate under throttling: the user, or None (failure recorded), or TooManyAttempts while locked.

    A locked (username, address) pair or address is refused before the password is checked, so a right password
    does not get through a lockout; unknown and existing usernames are counted and locked alike, which reveals
    nothing. The same account from another address is not affected (no lockout of an agent by a stranger).
    """
    limits = throttle.Limits.from_settings(settings)
    remaining = throttle.locked_for(session, limits, username, ip, now)
    if remaining is not None:
        raise throttle.TooManyAttempts(throttle.minutes(remaining))
    user = authenticate(session, username, password)
    if user is None:
        known = find_user(session, username)
        throttle.record_failure(session, limits, username, ip, now, account=known.username if known else None)
        return None
    throttle.clear(session, username, ip)
    return user


def has_role(user: User, role: str) -> bool:
    """True when the user's role is ``role`` or above (agent < supervisor < admin)."""
    return RANK.get(user.role, 0) >= RANK[role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, username: str, name: str, scope: str = "redaction", days: int | None = TOKEN_DAYS
) -> str:
    """A new API token for a user; only its hash is stored, the token is returned once.

    ``scope`` is ``lecture`` (read only) or ``redaction``; it expires after ``days`` (None: never).
    """
    user = _user(session, username)
    if scope not in SCOPES:
        raise InputError(f"Portée inconnue {scope!r} (lecture ou redaction).")
    if days is not None and days < 1:
        raise InputError("Un jeton doit valoir au moins un jour.")
    token = "acc_" + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=days) if days is not None else None
    session.add(
        ApiToken(user_id=user.id, name=name, token_hash=_digest(token), revoked=False, scope=scope, expires_at=expires)
    )
    session.add(
        AuditEvent(
            actor="admin", action=TrailAction.TOKEN_CREATED, data={"username": username, "name": name, "scope": scope}
        )
    )
    return token


def tokens(session: Session, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Every token (of one account, or of all), with its account's name, newest first."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if username is not None:
        query = query.where(User.id == _user(session, username).id)
    return [(row, name) for row, name in session.execute(query).tuples()]


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token for good (by its number in ``accueil token list``)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"Jeton n° {token_id} introuvable.")
    row.revoked = True
    session.add(AuditEvent(actor="admin", action=TrailAction.TOKEN_REVOKED, data={"id": row.id, "name": row.name}))
    return row


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def token_usable(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Not revoked and not expired."""
    now = now or utcnow()
    return not row.revoked and (row.expires_at is None or _utc(row.expires_at) > now)


def token_and_user(session: Session, token: str, now: dt.datetime | None = None) -> tuple[ApiToken, User] | None:
    """The valid token row and its active account, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or not token_usable(row, now):
        return None
    user = session.get(User, row.user_id)
    return (row, user) if user is not None and user.active else None


def token_needs_mark(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Whether a token's last use is old enough to be rewritten (at most once a minute)."""
    return row.last_used_at is None or (now or utcnow()) - _utc(row.last_used_at) >= USED_EVERY


def mark_token_used(session: Session, token_id: int, now: dt.datetime | None = None) -> None:
    """Record a token's use."""
    row = session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = now or utcnow()
