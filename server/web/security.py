"""Web security: the session cookie, CSRF tokens, login and logout, the user of an API token, and the security
headers of every response (the current-user dependencies and roles are in ``server.web.deps``).

Sessions live on the server (``server.core.desk.sessions``). The cookie (signed, HttpOnly, SameSite=Lax, Secure when the
service is served over https or when configured) carries only the session's opaque id, the CSRF token and a
one-time message; it ends with the browser unless "Se souvenir de moi" was ticked at login (then it lasts
``session_hours``). The cookie is cleared and issued anew at login (nothing set before login survives it). Whatever
the cookie says, the server ends a session after ``session_hours``, after ``session_idle_minutes`` without a
request, at logout, password change, account disable, "log out everywhere" and key rotation. Every form carries
the CSRF token and every state-changing request is refused without it (API calls with a bearer token are exempt:
they carry no ambient credential). A read-only token is refused (403) on anything but GET and HEAD.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import secrets
from base64 import b64decode, b64encode
from collections.abc import Callable

import itsdangerous
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import Session as CookieData
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.core.config import Settings
from server.core.desk import auth, sessions
from server.core.desk.db import Database
from server.core.desk.secret import secret_key, secret_key_saved
from server.core.desk.tables import User
from server.core.errors import AccueilError, Forbidden, StorageError

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
    # Agent pages, the API and private reply links hold personal data: no copy in a browser's or a proxy's cache.
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"
# Cookie keys: the server-side session's id, and whether the cookie outlives the browser ("Se souvenir de moi").
SID = "sid"
PERSIST = "persist"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
__all__ = ["secret_key", "secret_key_saved"]  # re-exported for the CLI and the public routes


class NotAuthenticated(AccueilError):
    """Raised when a page or API route needs a logged-in user (pages redirect to the login form)."""

    http_status = 401


class CsrfError(AccueilError):
    """Raised when a form or API call with a session cookie lacks a valid CSRF token."""

    http_status = 403


def https_served(settings: Settings) -> bool:
    """Whether the service's public address is https (then cookies are Secure and HSTS is sent)."""
    return settings.public_base_url.lower().startswith("https://")


def cookies_secure(settings: Settings) -> bool:
    """Secure cookies: as configured, else whenever the public address is https."""
    return settings.secure_cookies if settings.secure_cookies is not None else https_served(settings)


def response_headers(settings: Settings) -> dict[str, str]:
    """The security headers of every response (HSTS too when served over https)."""
    return {**SECURITY_HEADERS, **({"Strict-Transport-Security": HSTS} if https_served(settings) else {})}


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_warnings(settings: Settings) -> list[str]:
    """What the administrator is warned of at startup: cookies or mails that would travel unencrypted."""
    found = []
    if not https_served(settings):
        found.append(
            f"Adresse publique {settings.public_base_url} sans https : les cookies de session ne sont pas marqués "
            "Secure et aucun en-tête HSTS n'est envoyé. Servez le service en https derrière un proxy et réglez "
            "ACCUEIL_PUBLIC_BASE_URL en https://…"
        )
    elif settings.secure_cookies is False:
        found.append("ACCUEIL_SECURE_COOKIES=false alors que le service est en https : les cookies peuvent fuiter.")
    host = settings.smtp_host
    if host and not (settings.smtp_starttls or settings.smtp_ssl) and not _loopback(host):
        found.append(
            f"Les courriels aux habitants partent en clair vers {host}:{settings.smtp_port} (ni STARTTLS ni TLS) : "
            "réglez ACCUEIL_SMTP_STARTTLS=true (port 587) ou ACCUEIL_SMTP_SSL=true (port 465)."
        )
    return found


class SessionCookies:
    """The signed session cookie (Starlette's format and signer): ends with the browser unless the session asks to
    persist, then lasts ``lifetime`` seconds. A cookie older than ``lifetime`` or badly signed is ignored."""

    def __init__(self, app: ASGIApp, secret: str, lifetime: int, secure: bool) -> None:
        self.app = app
        self.signer = itsdangerous.TimestampSigner(secret)
        self.lifetime = lifetime
        self.flags = "httponly; samesite=lax" + ("; secure" if secure else "")

    def _load(self, raw: str | None) -> CookieData | None:
        if not raw:
            return None
        try:
            data = self.signer.unsign(raw.encode("utf-8"), max_age=self.lifetime)
            loaded = json.loads(b64decode(data))
        except (itsdangerous.BadSignature, ValueError):
            return None
        return CookieData(loaded) if isinstance(loaded, dict) else None

    def _header(self, data: CookieData) -> str:
        value = self.signer.sign(b64encode(json.dumps(data).encode("utf-8"))).decode("utf-8")
        age = f"Max-Age={self.lifetime}; " if data.get(PERSIST) else ""
        return f"{SESSION_COOKIE}={value}; path=/; {age}{self.flags}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Load the cookie into ``scope["session"]``; write it back (or delete it) when the request changed it."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        loaded = self._load(HTTPConnection(scope).cookies.get(SESSION_COOKIE))
        scope["session"] = loaded if loaded is not None else CookieData()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                data: CookieData = scope["session"]
                headers = MutableHeaders(scope=message)
                if data.accessed:
                    headers.add_vary_header("Cookie")
                if data.modified and data:
                    headers.append("Set-Cookie", self._header(data))
                elif data.modified and loaded is not None:
                    gone = "null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                    headers.append("Set-Cookie", f"{SESSION_COOKIE}={gone}{self.flags}")
            await send(message)

        await self.app(scope, receive, send_wrapper)


class SecurityHeaders:
    """Set ``headers`` on every HTTP response that does not set them itself (a plain ASGI middleware: Starlette's
    ``BaseHTTPMiddleware`` ran each request's app in a task of its own and streamed its body through a queue)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the missing headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_wrapper)


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


def login_session(request: Request, db: Session, settings: Settings, user: User, persistent: bool = False) -> None:
    """Start a fresh server-side session for ``user``: everything set before login is dropped, new CSRF token."""
    sessions.prune(db, settings)
    session_id = sessions.open_session(db, user, persistent, request.headers.get("user-agent"))
    request.session.clear()
    request.session[SID] = session_id
    request.session["csrf"] = secrets.token_urlsafe(32)
    if persistent:
        request.session[PERSIST] = 1


def logout_session(request: Request, db: Session) -> None:
    """End this browser's session on the server and clear its cookie."""
    session_id = request.session.get(SID)
    if session_id:
        sessions.close(db, str(session_id))
    request.session.clear()


def write_aside(database: Database, write: Callable[[Session], None]) -> None:
    """A bookkeeping write (last activity, last use) in its own transaction: a base that refuses writes (full disk,
    read-only) must not stop an agent from reading."""
    try:
        with database.session() as other:
            write(other)
    except StorageError as exc:
        log.info("Activité non enregistrée : %s", exc.message)


def token_user(request: Request, db: Session, database: Database, token: str) -> User | None:
    """The user of an API token (None when unknown, revoked or expired); a read-only token only reads."""
    found = auth.token_and_user(db, token)
    if found is None:
        return None
    row, user = found
    if row.scope == "lecture" and request.method not in SAFE_METHODS:
        raise Forbidden("Jeton en lecture seule : il ne permet pas de modifier des données.")
    request.state.via_token = True
    if auth.token_needs_mark(row):
        token_id = row.id
        write_aside(database, lambda other: auth.mark_token_used(other, token_id))
    return user
