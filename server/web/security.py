"""Web security: signed session cookies, CSRF tokens, the current user from a session or an API token, roles,
and the security headers of every response.

Sessions are Starlette's signed cookies (itsdangerous): HttpOnly, SameSite=Lax, Secure when configured. The
session holds the user id, the login time, the time of the last activity and a CSRF token. It is cleared and
issued anew at login (nothing set before login survives it), ends after ``session_hours`` whatever the activity
and after ``session_idle_minutes`` without a request, and is cleared at logout or as soon as its account is
disabled. Every form carries the CSRF token and every state-changing request is refused without it (API calls
with a bearer token are exempt: they carry no ambient credential).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.core import auth
from server.core.config import Settings
from server.core.errors import AccueilError, Forbidden
from server.core.tables import User

log = logging.getLogger(__name__)

SESSION_COOKIE = "accueil_session"
# Set on every response that does not set its own (a report page may loosen its CSP on purpose).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# The last-activity time is rewritten at most this often, so that not every request re-issues the cookie.
SEEN_EVERY_SECONDS = 60


class NotAuthenticated(AccueilError):
    """Raised when a page or API route needs a logged-in user (pages redirect to the login form)."""

    http_status = 401


class CsrfError(AccueilError):
    """Raised when a form or API call with a session cookie lacks a valid CSRF token."""

    http_status = 403


# Keys made by a process that could not save one (see secret_key), by path.
_EPHEMERAL_KEYS: dict[str, str] = {}
_MIN_KEY_CHARS = 32  # a shorter (empty, truncated) key file is treated as absent: never sign with a guessable key


def _read_key(path: Path) -> str | None:
    """The saved key, or None when there is none (no file, or an empty or truncated one left by an older version).

    Any other read error is raised: regenerating the key over a valid one would end every session."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key if len(key) >= _MIN_KEY_CHARS else None


def _save_key(path: Path, key: str) -> str:
    """Save ``key`` whole or not at all (a 0600 temporary file, then linked into place) and return the key in force:
    when another process saved one first, its key wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():  # empty or truncated: replaced
            log.warning("Clé de session %s vide ou trop courte : remplacée", path)
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path) or key


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 600) in the data directory.

    When it cannot be saved (read-only or full data directory) the process keeps one in memory: sessions then end
    with the process (``accueil serve --workers`` hands the same one to all its workers).
    """
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    key = _read_key(path)
    if key is not None:
        return key
    if str(path) in _EPHEMERAL_KEYS:
        return _EPHEMERAL_KEYS[str(path)]
    try:
        return _save_key(path, secrets.token_urlsafe(48))
    except OSError as exc:
        log.warning("Clé de session non enregistrée (%s) : les sessions ne survivront pas au redémarrage", exc)
        return _EPHEMERAL_KEYS.setdefault(str(path), secrets.token_urlsafe(48))


def secret_key_saved(settings: Settings) -> bool:
    """Whether the key other processes will read is saved (configured, or in the data directory)."""
    return bool(settings.secret_key) or _read_key(settings.data_dir / "secret_key") is not None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a state-changing request whose token does not match the session's."""
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected), submitted):
        raise CsrfError("Jeton de sécurité (CSRF) manquant ou invalide : rechargez la page et réessayez.")


def client_ip(request: Request) -> str:
    """The client's address (uvicorn resolves X-Forwarded-For only from the trusted proxy addresses)."""
    return request.client.host if request.client is not None else "inconnue"


def login_session(request: Request, user: User, now: float | None = None) -> None:
    """Start a fresh session for ``user``: everything set before login is dropped, new CSRF token (no fixation)."""
    now = time.time() if now is None else now
    request.session.clear()
    request.session["uid"] = user.id
    request.session["at"] = int(now)
    request.session["seen"] = int(now)
    request.session["csrf"] = secrets.token_urlsafe(32)


def session_expired(data: Mapping[str, Any], settings: Settings, now: float) -> bool:
    """True when a session is past its absolute lifetime or has been idle too long."""
    started = float(data.get("at", 0))
    seen = float(data.get("seen", started))
    return now - started > settings.session_hours * 3600 or now - seen > settings.session_idle_minutes * 60


def get_db(request: Request) -> Iterator[Session]:
    """A database session for this request: committed when the route succeeds, rolled back otherwise."""
    with request.app.state.db.session() as session:
        yield session


# scope="function": commit before the response leaves, so that a redirect never outruns its own data.
DbDep = Annotated[Session, Depends(get_db, scope="function")]


def optional_user(request: Request, db: DbDep) -> User | None:
    """The user of a bearer token or of a live session, or None."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth.user_for_token(db, header[7:].strip())
        if user is not None:
            request.state.via_token = True
        return user
    uid = request.session.get("uid")
    if not uid:
        return None
    settings: Settings = request.app.state.settings
    now = time.time()
    if session_expired(request.session, settings, now):
        request.session.clear()
        return None
    user = db.get(User, uid)
    if user is None or not user.active:
        request.session.clear()
        return None
    if now - float(request.session.get("seen", 0)) >= SEEN_EVERY_SECONDS:
        request.session["seen"] = int(now)
    return user


def current_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user; otherwise NotAuthenticated (pages redirect to the login form)."""
    if user is None:
        raise NotAuthenticated("Connexion requise.")
    return user


def require(role: str):  # type: ignore[no-untyped-def]
    """Dependency factory: the current user, who must have ``role`` or above."""

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not auth.has_role(user, role):
            raise Forbidden("Accès réservé : votre rôle ne permet pas d'ouvrir cette page.")
        return user

    return dependency


Agent = Annotated[User, Depends(require("agent"))]
Supervisor = Annotated[User, Depends(require("supervisor"))]
Admin = Annotated[User, Depends(require("admin"))]
