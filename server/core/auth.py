"""Accounts: password hashing (argon2), users, roles, throttled login, API tokens for integrations."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core import throttle
from server.core.config import Settings
from server.core.errors import InputError, NotFound
from server.core.tables import ROLES, ApiToken, AuditEvent, User

_hasher = PasswordHasher()
# Same work as a real check, so that an unknown user name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("mot de passe factice")
RANK = {"agent": 1, "supervisor": 2, "admin": 3}
MIN_PASSWORD = 10


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
        generated = password = secrets.token_urlsafe(12)
    user = User(username=username, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    session.add(AuditEvent(actor="admin", action="utilisateur_cree", data={"username": username, "role": role}))
    return user, generated


def find_user(session: Session, username: str) -> User | None:
    """The account with this name, or None."""
    return session.scalar(select(User).where(User.username == username.strip()))


def reset_password(session: Session, username: str) -> str:
    """Give an account a new generated password and return it (shown once)."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"Utilisateur {username!r} introuvable.")
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    session.add(AuditEvent(actor="admin", action="mot_de_passe_renouvele", data={"username": username}))
    return password


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = find_user(session, username)
    try:
        if user is None or not user.active:
            _hasher.verify(_DUMMY_HASH, password + "x")
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

    A locked username or IP is refused before the password is checked, so a right password does not get
    through a lockout; unknown and existing usernames are counted and locked alike, which reveals nothing.
    """
    limits = throttle.Limits.from_settings(settings)
    remaining = throttle.locked_for(session, limits, username, ip, now)
    if remaining is not None:
        raise throttle.TooManyAttempts(throttle.minutes(remaining))
    user = authenticate(session, username, password)
    if user is None:
        throttle.record_failure(session, limits, username, ip, now)
        return None
    throttle.clear(session, username)
    return user


def has_role(user: User, role: str) -> bool:
    """True when the user's role is ``role`` or above (agent < supervisor < admin)."""
    return RANK.get(user.role, 0) >= RANK[role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, username: str, name: str) -> str:
    """A new API token for a user; only its hash is stored, the token is returned once."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"Utilisateur {username!r} introuvable.")
    token = "acc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_digest(token), revoked=False))
    session.add(AuditEvent(actor="admin", action="jeton_cree", data={"username": username, "name": name}))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning a valid token, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.revoked.is_(False)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None
