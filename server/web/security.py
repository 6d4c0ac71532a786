"""Web security: signed session cookies, CSRF tokens, the current user from a session or an API token, roles.

Sessions are Starlette's signed cookies (itsdangerous): HttpOnly, SameSite=Lax, Secure when configured,
with an absolute expiry. The session holds the user id, the login time and a CSRF token; every form
carries that token and every state-changing request is refused without it (API calls with a bearer token
are exempt: they carry no ambient credential).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from server.core import auth
from server.core.config import Settings
from server.core.errors import AccueilError, Forbidden
from server.core.tables import User

SESSION_COOKIE = "accueil_session"


class NotAuthenticated(AccueilError):
    """Raised when a page or API route needs a logged-in user (pages redirect to the login form)."""

    http_status = 401


class CsrfError(AccueilError):
    """Raised when a form or API call with a session cookie lacks a valid CSRF token."""

    http_status = 403


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 600) in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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


def login_session(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (new CSRF token: the session is rotated at login)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["at"] = int(time.time())
    request.session["csrf"] = secrets.token_urlsafe(32)


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
    if time.time() - float(request.session.get("at", 0)) > settings.session_hours * 3600:
        request.session.clear()
        return None
    user = db.get(User, uid)
    return user if user is not None and user.active else None


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
