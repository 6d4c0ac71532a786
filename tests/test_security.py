"""Auth hardening: login throttling and lockout, session lifetime and idle expiry, disabled accounts, headers.

The time-based rules are checked on the core functions over a real SQLite database under ``tmp_path`` with an
explicit clock; the lockout, the session cookie and the headers are checked over the real server. The live server
is shared with other test files, so these tests use their own accounts and their own client addresses (uvicorn
trusts X-Forwarded-For from loopback) and never lock ``agent1``, ``chef``, ``root`` or 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import time
import uuid
from base64 import b64decode, b64encode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import itsdangerous
import pytest
from sqlalchemy import func, select

from server.core.desk import auth, sessions, throttle
from server.core.desk.db import Database
from server.core.desk.tables import AuditEvent, LoginAttempt, LoginSession, User
from server.web.security import SECURITY_HEADERS, SESSION_COOKIE, secret_key
from tests.conftest import LiveServer, csrf_from, settings_for

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
LIMITS = throttle.Limits(
    max_failures=3, ip_max_failures=5, window=dt.timedelta(minutes=10), lockout=dt.timedelta(minutes=15)
)
PASSWORD = "un-mot-de-passe-solide"
_addresses = itertools.count(1)


def _minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database."""
    database = Database(settings_for(tmp_path))
    yield database
    database.engine.dispose()


def _fail(database: Database, username: str, ip: str, at: dt.datetime) -> dt.timedelta | None:
    with database.session() as s:
        return throttle.record_failure(s, LIMITS, username, ip, at)


def _locked(database: Database, username: str, ip: str, at: dt.datetime) -> dt.timedelta | None:
    with database.session() as s:
        return throttle.locked_for(s, LIMITS, username, ip, at)


# --- core: throttling with an explicit clock ---------------------------------------------------------------------


def test_a_username_is_locked_from_an_address_after_n_failures_within_the_window(db: Database) -> None:
    assert _fail(db, "alice", "10.0.0.1", T0) is None
    assert _fail(db, "alice", "10.0.0.1", T0 + _minutes(1)) is None
    assert _locked(db, "alice", "10.0.0.1", T0 + _minutes(2)) is None
    assert _fail(db, "alice", "10.0.0.1", T0 + _minutes(2)) == _minutes(15)
    # locked from that address, until 15 minutes after the failure that reached the limit
    assert _locked(db, "alice", "10.0.0.1", T0 + _minutes(16)) == _minutes(1)
    assert _locked(db, "alice", "10.0.0.1", T0 + _minutes(17) + dt.timedelta(seconds=1)) is None
    # never from another address: a stranger cannot lock an agent out (issue #19, finding 7)
    assert _locked(db, "alice", "10.0.0.9", T0 + _minutes(3)) is None
    for minute in (3, 4, 5):
        assert _fail(db, "alice", f"10.0.0.{10 + minute}", T0 + _minutes(minute)) is None


def test_failures_spread_wider_than_the_window_do_not_lock(db: Database) -> None:
    for step in (0, 6, 12, 18):
        assert _fail(db, "bruno", "10.0.1.1", T0 + _minutes(step)) is None
    assert _locked(db, "bruno", "10.0.1.1", T0 + _minutes(19)) is None


def test_usernames_are_folded_and_other_accounts_are_unaffected(db: Database) -> None:
    for name in ("Carla", " carla ", "CARLA"):
        _fail(db, name, "10.0.2.1", T0)
    assert _locked(db, "carla", "10.0.2.1", T0) is not None
    assert _locked(db, "denis", "10.0.2.1", T0) is None


def test_an_address_is_locked_after_its_own_higher_limit(db: Database) -> None:
    # five different names, one failure each: no username reaches 3, the address reaches 5
    names = ["e1", "e2", "e3", "e4", "e5"]
    for name in names[:4]:
        assert _fail(db, name, "10.0.3.1", T0) is None
    assert _fail(db, names[4], "10.0.3.1", T0) == _minutes(15)
    assert _locked(db, "nouveau", "10.0.3.1", T0 + _minutes(1)) == _minutes(14)
    assert _locked(db, "nouveau", "10.0.3.2", T0 + _minutes(1)) is None


def test_the_lockout_is_logged_and_audited_once(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="server.core.desk.throttle")
    for _ in range(3):
        _fail(db, "Fanny", "10.0.4.1", T0)
    with db.session() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "connexion_bloquee")))
    assert len(events) == 1
    event = events[0]
    # no account named Fanny: the typed name is not kept, and the address only as its network (finding 18)
    assert event.request_id is None and event.actor == "inconnu"
    assert event.data == {"cles": ["compte"], "reseau": "10.0.4.0/24", "minutes": 15}
    blocked = [r for r in caplog.records if "bloquée" in r.getMessage()]
    assert len(blocked) == 1 and "10.0.4.0/24" in blocked[0].getMessage()
    assert "fanny" not in blocked[0].getMessage().casefold() and "10.0.4.1" not in blocked[0].getMessage()


def test_old_failures_are_pruned(db: Database) -> None:
    _fail(db, "gael", "10.0.5.1", T0)
    _fail(db, "gael", "10.0.5.1", T0 + _minutes(1))
    _fail(db, "henri", "10.0.5.2", T0 + throttle.PAIR_MEMORY + _minutes(1))
    with db.session() as s:
        keys = sorted(s.scalars(select(LoginAttempt.key)))
    # a pair's failures are kept a day (for the backoff), an address's only window + lockout; pairs are hashed
    assert keys == sorted(["10.0.5.2", throttle.pair_key("henri", "10.0.5.2")])


def test_locked_until_takes_the_latest_lockout() -> None:
    times = [T0, T0 + _minutes(1), T0 + _minutes(2), T0 + _minutes(30), T0 + _minutes(31), T0 + _minutes(32)]
    assert throttle.locked_until(times, 3, LIMITS) == T0 + _minutes(47)
    assert throttle.locked_until(times[:2], 3, LIMITS) is None


def test_the_message_gives_whole_minutes_in_french() -> None:
    assert throttle.TooManyAttempts(15).message == "Trop de tentatives : réessayez dans 15 minutes."
    assert throttle.TooManyAttempts(1).message == "Trop de tentatives : réessayez dans 1 minute."
    assert throttle.TooManyAttempts(3).http_status == 429
    assert throttle.minutes(dt.timedelta(minutes=4, seconds=1)) == 5
    assert throttle.minutes(dt.timedelta(seconds=5)) == 1


# --- core: the throttled login ----------------------------------------------------------------------------------


def _settings(tmp_path: Path) -> Any:
    return settings_for(tmp_path, login_max_failures=3, login_ip_max_failures=5, login_window_minutes=10)


def test_a_locked_account_is_refused_even_with_the_right_password(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    database = Database(settings)
    with database.session() as s:
        auth.add_user(s, "ines", "agent", PASSWORD)
    for _ in range(3):
        with database.session() as s:
            assert auth.login(s, settings, "ines", "mauvais", "10.0.6.1", T0) is None
    with database.session() as s, pytest.raises(throttle.TooManyAttempts) as refused:
        auth.login(s, settings, "ines", PASSWORD, "10.0.6.1", T0 + _minutes(5))
    assert refused.value.minutes == 10
    with database.session() as s:
        # refused attempts are not counted: they neither extend the lockout nor add rows
        pair = throttle.pair_key("ines", "10.0.6.1")
        assert s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.key == pair)) == 3
        # the owner, from another address, is not locked out
        assert auth.login(s, settings, "ines", PASSWORD, "10.0.6.2", T0 + _minutes(5)) is not None
        user = auth.login(s, settings, "ines", PASSWORD, "10.0.6.1", T0 + _minutes(16))
    assert user is not None and user.username == "ines"
    database.engine.dispose()


def test_unknown_and_existing_usernames_are_locked_alike(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    database = Database(settings)
    with database.session() as s:
        auth.add_user(s, "jules", "agent", PASSWORD)
    messages = []
    for name in ("jules", "personne"):
        for _ in range(3):
            with database.session() as s:
                auth.login(s, settings, name, "mauvais", f"10.0.7.{name}", T0)
        with database.session() as s, pytest.raises(throttle.TooManyAttempts) as refused:
            auth.login(s, settings, name, "mauvais", f"10.0.7.{name}", T0 + _minutes(1))
        messages.append(refused.value.message)
    assert messages[0] == messages[1] == "Trop de tentatives : réessayez dans 14 minutes."
    database.engine.dispose()


def test_a_success_clears_the_usernames_failures_but_not_the_addresses(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    database = Database(settings)
    with database.session() as s:
        auth.add_user(s, "karim", "agent", PASSWORD)
    for minute in (0, 1):
        with database.session() as s:
            auth.login(s, settings, "karim", "mauvais", "10.0.8.1", T0 + _minutes(minute))
    with database.session() as s:
        assert auth.login(s, settings, "karim", PASSWORD, "10.0.8.1", T0 + _minutes(2)) is not None
    for minute in (3, 4):
        with database.session() as s:
            assert auth.login(s, settings, "karim", "mauvais", "10.0.8.1", T0 + _minutes(minute)) is None
    with database.session() as s:
        # 4 failures in the window: the account would be locked had the success not cleared it (limit 3)
        assert throttle.locked_for(s, LIMITS, "karim", "10.0.8.2", T0 + _minutes(5)) is None
        assert s.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.key == "10.0.8.1")) == 4
    database.engine.dispose()


# --- core: session lifetime ---------------------------------------------------------------------------------------


def test_a_session_expires_when_idle_or_too_old(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, session_hours=10, session_idle_minutes=60)
    hours, minutes, seconds = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)

    def row(started: dt.timedelta, seen: dt.timedelta) -> LoginSession:
        return LoginSession(created_at=T0 - started, last_seen_at=T0 - seen)

    assert not sessions.expired(row(9 * hours, 59 * minutes), settings, T0)
    assert sessions.expired(row(hours, 61 * minutes), settings, T0)
    assert sessions.expired(row(10 * hours + seconds, 5 * seconds), settings, T0)


# --- over the real server -----------------------------------------------------------------------------------------


def _account(server: LiveServer, role: str = "agent") -> str:
    """A new account of the test's own, so that no shared account is ever locked."""
    name = f"securite-{uuid.uuid4().hex[:10]}"
    with Database(server.settings).session() as s:
        auth.add_user(s, name, role, PASSWORD)
    return name


def _client(server: LiveServer) -> httpx.Client:
    """A client with an address of its own (documentation range), so 127.0.0.1's budget is left alone."""
    address = f"203.0.113.{next(_addresses)}"
    return httpx.Client(base_url=server.url, timeout=60, follow_redirects=False, headers={"X-Forwarded-For": address})


def _post_login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    token = csrf_from(client.get("/connexion").text)
    return client.post("/connexion", data={"username": username, "password": password, "csrf_token": token})


def _session(client: httpx.Client) -> dict[str, Any]:
    """The content of the client's session cookie ({} once the server has deleted it)."""
    raw = client.cookies.get(SESSION_COOKIE)
    return dict(json.loads(b64decode(raw.split(".")[0]))) if raw else {}


def _set_session(client: httpx.Client, server: LiveServer, data: dict[str, Any]) -> None:
    """Replace the client's session cookie by one signed with the server's key (the one a request would send)."""
    signer = itsdangerous.TimestampSigner(secret_key(server.settings))
    domains = {c.domain for c in client.cookies.jar if c.name == SESSION_COOKIE}
    client.cookies.clear()
    value = signer.sign(b64encode(json.dumps(data).encode())).decode()
    client.cookies.set(SESSION_COOKIE, value, domain=domains.pop() if domains else "")


def test_lockout_through_the_login_form(live_server: LiveServer) -> None:
    name, other = _account(live_server), _account(live_server)
    with _client(live_server) as client:
        for _ in range(live_server.settings.login_max_failures):
            bad = _post_login(client, name, "pas-le-bon-mot-de-passe")
            assert bad.status_code == 401 and "incorrect" in bad.text
        locked = _post_login(client, name, PASSWORD)
        assert locked.status_code == 429
        assert "Trop de tentatives : réessayez dans 15 minutes." in locked.text
        assert client.get("/demandes").status_code == 303
        # another account, from the same address, still gets in
        assert _post_login(client, other, PASSWORD).status_code == 303
        assert client.get("/demandes").status_code == 200
    with _client(live_server) as elsewhere:  # the owner, from another address, still gets in (finding 7)
        assert _post_login(elsewhere, name, PASSWORD).status_code == 303
    with Database(live_server.settings).session() as s:
        actors = list(s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "connexion_bloquee")))
    assert actors.count(name) == 1


def test_an_unknown_username_is_locked_with_the_same_answer(live_server: LiveServer) -> None:
    ghost = f"inconnu-{uuid.uuid4().hex[:10]}"
    with _client(live_server) as client:
        for _ in range(live_server.settings.login_max_failures):
            assert _post_login(client, ghost, "nimporte-quoi").status_code == 401
        locked = _post_login(client, ghost, "nimporte-quoi")
    assert locked.status_code == 429 and "Trop de tentatives : réessayez dans 15 minutes." in locked.text


def test_login_drops_everything_set_before_it(live_server: LiveServer) -> None:
    name = _account(live_server)
    with _client(live_server) as client:
        client.get("/connexion")
        _set_session(client, live_server, {"csrf": "jeton-impose", "uid": 1, "piege": "x"})
        r = client.post("/connexion", data={"username": name, "password": PASSWORD, "csrf_token": "jeton-impose"})
        assert r.status_code == 303
        session = _session(client)
        assert set(session) == {"sid", "csrf"}  # the server-side session's id only: no user id, no times
        assert session["csrf"] != "jeton-impose"
        logout = client.post("/deconnexion", data={"csrf_token": session["csrf"]})
        assert logout.status_code == 303
        assert "sid" not in _session(client)
        assert client.get("/demandes").status_code == 303


def test_an_idle_session_ends_and_activity_keeps_it_alive(live_server: LiveServer) -> None:
    name = _account(live_server)

    def set_times(client: httpx.Client, started: float, seen: float) -> None:
        digest = sessions.digest(_session(client)["sid"])
        with Database(live_server.settings).session() as s:
            row = s.scalars(select(LoginSession).where(LoginSession.token_hash == digest)).one()
            row.created_at = dt.datetime.fromtimestamp(started, dt.UTC)
            row.last_seen_at = dt.datetime.fromtimestamp(seen, dt.UTC)

    def last_seen(client: httpx.Client) -> float:
        with Database(live_server.settings).session() as s:
            row = sessions.find(s, _session(client)["sid"])
            assert row is not None
            return row.last_seen_at.replace(tzinfo=dt.UTC).timestamp()

    with _client(live_server) as client:
        assert _post_login(client, name, PASSWORD).status_code == 303
        now = time.time()
        idle = live_server.settings.session_idle_minutes * 60

        set_times(client, now - 600, now - 600)
        assert client.get("/demandes").status_code == 200
        assert last_seen(client) >= now - 5  # refreshed on the server by the request

        set_times(client, now - idle - 5, now - 5)
        assert client.get("/demandes").status_code == 200  # old login, recent activity: still open

        set_times(client, now - 600, now - idle - 5)
        r = client.get("/demandes")
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion")
        assert "sid" not in _session(client)

        assert _post_login(client, name, PASSWORD).status_code == 303
        hours = live_server.settings.session_hours * 3600
        set_times(client, now - hours - 5, now)
        assert client.get("/demandes").status_code == 303


def test_a_disabled_account_is_logged_out_at_its_next_request(live_server: LiveServer) -> None:
    name = _account(live_server)
    with _client(live_server) as client:
        assert _post_login(client, name, PASSWORD).status_code == 303
        assert client.get("/demandes").status_code == 200
        with Database(live_server.settings).session() as s:
            user = auth.find_user(s, name)
            assert user is not None
            user.active = False
        r = client.get("/demandes")
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion")
        assert "sid" not in _session(client)
        with Database(live_server.settings).session() as s:
            s.scalars(select(User).where(User.username == name)).one().active = True
        assert client.get("/demandes").status_code == 303  # re-enabling does not revive the old session


@pytest.mark.parametrize("path", ["/connexion", "/health", "/page-qui-n-existe-pas"])
def test_security_headers_on_pages_health_and_errors(live_server: LiveServer, path: str) -> None:
    r = httpx.get(live_server.url + path, timeout=60)
    assert r.status_code == {"/connexion": 200, "/health": 200}.get(path, 404)
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, name
    csp = r.headers["content-security-policy"]
    scripts = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["permissions-policy"] == "camera=(), microphone=(), geolocation=()"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
