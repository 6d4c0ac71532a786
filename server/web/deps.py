"""Typed dependencies of the routes: the settings, the assistant, the database and its session, the mail worker,
the public rate limiter and the current user (``Agent``, ``Supervisor``, ``Admin``).

``create_app`` puts the application's parts on ``app.state``; this module is the one place that reads them back, so
that a route declares what it needs (``settings: SettingsDep``) instead of reaching into an untyped namespace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from server.core.answer.assistant import Assistant
from server.core.config import Settings
from server.core.desk import auth, sessions
from server.core.desk.db import Database
from server.core.desk.tables import User
from server.core.errors import Forbidden
from server.web.mail_worker import MailWorker
from server.web.rate_limit import SlidingWindow
from server.web.security import SID, NotAuthenticated, token_user, write_aside


def app_settings(request: Request) -> Settings:
    """The application's settings."""
    return cast(Settings, request.app.state.settings)


async def app_assistant(request: Request) -> Assistant:
    """The application's assistant (its index is opened at first use)."""
    return cast(Assistant, request.app.state.assistant)


async def app_database(request: Request) -> Database:
    """The application's database (engine and session factory)."""
    return cast(Database, request.app.state.db)


async def app_mail_worker(request: Request) -> MailWorker:
    """The background worker that sends the outbox's mails."""
    return cast(MailWorker, request.app.state.mail_worker)


def app_templates(request: Request) -> Jinja2Templates:
    """The application's Jinja2 templates."""
    return cast(Jinja2Templates, request.app.state.templates)


async def app_public_limiter(request: Request) -> SlidingWindow:
    """The per-address, per-minute budget of the public pages."""
    return cast(SlidingWindow, request.app.state.public_limiter)


# FastAPI runs a plain ``def`` dependency in its thread pool: one thread handoff each, for a mere attribute read. The
# readers above are ``async`` (the event loop reads app.state; a draft went through ten handoffs, now the database work
# and the route), but for ``app_settings``, which the public pages also call directly.


async def _settings(request: Request) -> Settings:
    return app_settings(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
AssistantDep = Annotated[Assistant, Depends(app_assistant)]
DatabaseDep = Annotated[Database, Depends(app_database)]
MailWorkerDep = Annotated[MailWorker, Depends(app_mail_worker)]
PublicLimiterDep = Annotated[SlidingWindow, Depends(app_public_limiter)]


def get_db(database: DatabaseDep) -> Iterator[Session]:
    """A database session for this request: committed when the route succeeds, rolled back otherwise."""
    with database.session() as session:
        yield session


# scope="function": commit before the response leaves, so that a redirect never outruns its own data.
DbDep = Annotated[Session, Depends(get_db, scope="function")]


def optional_user(request: Request, db: DbDep, settings: SettingsDep, database: DatabaseDep) -> User | None:
    """The user of a valid bearer token or of a live server-side session, or None."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return token_user(request, db, database, header[7:].strip())
    session_id = request.session.get(SID)
    if not session_id:
        return None
    found = sessions.live(db, settings, str(session_id))
    if found is None:
        request.session.clear()
        return None
    row, user = found
    if sessions.stale(row):
        write_aside(database, lambda other: sessions.touch(other, str(session_id)))
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The logged-in user; otherwise NotAuthenticated (pages redirect to the login form)."""
    if user is None:
        raise NotAuthenticated("Connexion requise.")
    return user


def require(role: str) -> Callable[[User], Awaitable[User]]:
    """Dependency factory: the current user, who must have ``role`` or above."""

    async def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not auth.has_role(user, role):
            raise Forbidden("Accès réservé : votre rôle ne permet pas d'ouvrir cette page.")
        return user

    return dependency


Agent = Annotated[User, Depends(require("agent"))]
Supervisor = Annotated[User, Depends(require("supervisor"))]
Admin = Annotated[User, Depends(require("admin"))]
