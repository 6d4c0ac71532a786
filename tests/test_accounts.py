"""Accounts and access that can be taken away (issue #19): disable, tokens (scope, expiry, last use, revoke),
server-side sessions, the session key out of backups and its rotation, throttling per (account, address) with
backoff, lockout events without raw data that age out, the password policy, transport defaults.

Over a real ``accueil serve`` on a small data folder (no index: the pages and the API that these tests use need
none), shared by the tests of the module (``slow``: a server process); the CLI in-process through its entry point,
at a terminal as a subprocess; throttling rules with an explicit clock on a real SQLite database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import pty
import re
import select
import sqlite3
import sys
import tarfile
import termios
import time
import uuid
from base64 import b64decode, b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import itsdangerous
import pytest
from sqlalchemy import select as sql_select
from sqlalchemy import update

from server.core.config import REPO_ROOT, Settings
from server.core.desk import auth, password_policy, sessions, throttle
from server.core.desk.db import Database
from server.core.desk.tables import ApiToken, AuditEvent, LoginAttempt, LoginSession, utcnow
from server.web.security import SESSION_COOKIE
from tests.conftest import CliResult, accueil, csrf_from, free_port, serve, settings_for

PASSWORD = "Accueil-Mairie-2026!"
NEW_PASSWORD = "Nouveau-Sesame-du-Guichet-7"
_addresses = itertools.count(1)
LIMITS = {"login_max_failures": 3, "login_ip_max_failures": 6}
LOCKOUTS = sql_select(AuditEvent).where(AuditEvent.action == "connexion_bloquee")


@dataclass
class Instance:
    """A running service over its own data folder."""

    url: str
    settings: Settings
    log: Path


def _cli(settings: Settings, *args: str, stdin: str = "") -> CliResult:
    return accueil(*args, "--data-dir", str(settings.data_dir), stdin=stdin)


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """``accueil serve`` on plain http with an SMTP relay reached in clear: the defaults an auditor finds."""
    settings = settings_for(tmp_path_factory.mktemp("comptes"), **LIMITS)
    Database(settings).close()
    env = {
        "ACCUEIL_PUBLIC_BASE_URL": "http://accueil.belval.example",
        "ACCUEIL_SMTP_HOST": "smtp.belval.example",
        "ACCUEIL_LOGIN_MAX_FAILURES": "3",
        "ACCUEIL_LOGIN_IP_MAX_FAILURES": "6",
    }
    log = tmp_path_factory.mktemp("serve-comptes") / "serve.log"
    with serve(settings, free_port(), env, log) as url:
        yield Instance(url, settings, log)


def _account(settings: Settings, role: str = "agent") -> str:
    name = f"agent-{uuid.uuid4().hex[:8]}"
    with Database(settings).session() as db:
        auth.add_user(db, name, role, PASSWORD)
    return name


def _client(url: str, address: str | None = None) -> httpx.Client:
    """A client with an address of its own (uvicorn trusts X-Forwarded-For from loopback)."""
    address = address or f"192.0.2.{next(_addresses)}"
    return httpx.Client(base_url=url, timeout=60, follow_redirects=False, headers={"X-Forwarded-For": address})


def _login(client: httpx.Client, name: str, password: str = PASSWORD, remember: bool = False) -> httpx.Response:
    data = {"username": name, "password": password, "csrf_token": csrf_from(client.get("/connexion").text)}
    if remember:
        data["se_souvenir"] = "1"
    return client.post("/connexion", data=data)


def _cookie_data(client: httpx.Client) -> dict[str, Any]:
    raw = client.cookies.get(SESSION_COOKIE)
    return dict(json.loads(b64decode(raw.split(".")[0]))) if raw else {}


def _with_cookie(url: str, value: str) -> httpx.Client:
    """Another browser holding a copy of a session cookie."""
    return httpx.Client(base_url=url, timeout=60, follow_redirects=False, cookies={SESSION_COOKIE: value})


def _refused_page(client: httpx.Client) -> bool:
    r = client.get("/demandes")
    return r.status_code == 303 and r.headers["location"].startswith("/connexion")


# --- 1. offboarding: disable, tokens ----------------------------------------------------------------------------


@pytest.mark.slow
def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(instance: Instance) -> None:
    name = _account(instance.settings)
    with _client(instance.url) as browser:
        assert _login(browser, name).status_code == 303
        cookie = browser.cookies[SESSION_COOKIE]
    with Database(instance.settings).session() as db:
        token = auth.create_token(db, name, "grc")
    bearer = {"Authorization": f"Bearer {token}"}
    with _with_cookie(instance.url, cookie) as copy:
        assert copy.get("/demandes").status_code == 200
        assert httpx.get(f"{instance.url}/api/v1/requests", headers=bearer).status_code == 200

        done = _cli(instance.settings, "user", "disable", name)
        assert done.returncode == 0 and "désactivé" in done.stdout, done.stderr
        assert copy.get("/api/v1/requests").status_code == 401
        assert _refused_page(copy)
        assert httpx.get(f"{instance.url}/api/v1/requests", headers=bearer).status_code == 401
    with _client(instance.url) as again:
        assert _login(again, name).status_code == 401
    with _client(instance.url) as admin:
        assert _login(admin, _account(instance.settings, "admin")).status_code == 303
        page = admin.get("/admin/utilisateurs").text
    assert f"<td>{name}</td><td>agent</td><td>non (désactivé)</td><td>0</td>" in page  # no open session left

    assert _cli(instance.settings, "user", "enable", name).returncode == 0
    with _with_cookie(instance.url, cookie) as copy:
        assert _refused_page(copy)  # re-enabling does not revive an ended session
    assert httpx.get(f"{instance.url}/api/v1/requests", headers=bearer).status_code == 200
    with _client(instance.url) as again:
        assert _login(again, name).status_code == 303


def _token_line(listing: str, name: str) -> str:
    return next(line for line in listing.splitlines() if f" {name} " in line)


@pytest.mark.slow
def test_tokens_have_a_scope_an_expiry_a_last_use_and_can_be_revoked(instance: Instance) -> None:
    name = _account(instance.settings)
    s = instance.settings
    reader = _cli(s, "token", "create", name, "--name", "tableau", "--scope", "lecture", "--expire-days", "30")
    writer = _cli(s, "token", "create", name, "--name", "grc")
    assert reader.returncode == 0 and writer.returncode == 0, reader.stderr + writer.stderr
    with Database(s).session() as db:
        auth.create_token(db, name, "inutilise")
    read_only = {"Authorization": f"Bearer {reader.stdout.strip()}"}
    drafting = {"Authorization": f"Bearer {writer.stdout.strip()}"}
    today = dt.datetime.now(dt.UTC).date()

    api = f"{instance.url}/api/v1/requests"
    body = {"question": "Quels sont les horaires de la mairie ?", "channel": "guichet", "draft": False}
    assert httpx.get(api, headers=read_only).status_code == 200
    refused = httpx.post(api, headers=read_only, json=body)
    assert refused.status_code == 403 and "lecture seule" in refused.json()["message"]
    assert httpx.post(api, headers=drafting, json=body).status_code == 201

    listing = _cli(s, "token", "list", "--user", name).stdout
    line = _token_line(listing, "tableau")
    assert "lecture" in line and str(today + dt.timedelta(days=30)) in line and f"utilisé {today}" in line
    line = _token_line(listing, "grc")
    assert "redaction" in line and str(today + dt.timedelta(days=90)) in line  # expires by default
    assert "utilisé jamais" in _token_line(listing, "inutilise") and line.endswith("actif")

    revoked = _cli(s, "token", "revoke", _token_line(listing, "tableau").split()[0])
    assert revoked.returncode == 0 and "révoqué" in revoked.stdout
    assert httpx.get(api, headers=read_only).status_code == 401
    with Database(s).session() as db:
        db.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == auth._digest(writer.stdout.strip()))
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    assert httpx.get(api, headers=drafting).status_code == 401
    listing = _cli(s, "token", "list").stdout
    assert _token_line(listing, "tableau").endswith("révoqué") and _token_line(listing, "grc").endswith("expiré")

    wrong = _cli(s, "token", "create", name, "--scope", "tout")
    assert wrong.returncode == 1 and "Portée inconnue" in wrong.stderr


# --- 2. server-side sessions --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_copied_cookie_opens_nothing_after_logout(instance: Instance) -> None:
    name = _account(instance.settings)
    with _client(instance.url) as browser:
        assert _login(browser, name).status_code == 303
        assert set(_cookie_data(browser)) <= {"sid", "csrf", "persist", "flash"}  # no user id, no times
        with _with_cookie(instance.url, browser.cookies[SESSION_COOKIE]) as copy:
            assert copy.get("/demandes").status_code == 200
            csrf = csrf_from(browser.get("/demandes").text)
            assert browser.post("/deconnexion", data={"csrf_token": csrf}).status_code == 303
            assert _refused_page(copy)
            assert copy.get("/api/v1/requests").status_code == 401


@pytest.mark.slow
def test_a_password_change_and_log_out_everywhere_end_every_session(instance: Instance) -> None:
    name = _account(instance.settings)
    with _client(instance.url) as office, _client(instance.url) as home:
        assert _login(office, name).status_code == 303 and _login(home, name).status_code == 303
        changed = _cli(instance.settings, "user", "password", name, stdin=NEW_PASSWORD + "\n")
        assert changed.returncode == 0 and "sessions ouvertes sont fermées" in changed.stdout, changed.stderr
        assert _refused_page(office) and _refused_page(home)
        assert _login(office, name).status_code == 401
        assert _login(office, name, NEW_PASSWORD).status_code == 303
        assert _login(home, name, NEW_PASSWORD).status_code == 303

        done = _cli(instance.settings, "user", "logout", name)
        assert done.returncode == 0 and "2 session(s)" in done.stdout
        assert _refused_page(office) and _refused_page(home)

        assert _login(office, name, NEW_PASSWORD).status_code == 303
        assert _login(home, name, NEW_PASSWORD).status_code == 303
        page = office.get("/demandes").text
        assert '/deconnexion/partout"' in page and "Fermer toutes mes sessions" in page
        r = office.post("/deconnexion/partout", data={"csrf_token": csrf_from(page)})
        assert r.status_code == 303 and r.headers["location"] == "/connexion"
        assert _refused_page(home) and _refused_page(office)


def _session_row(settings: Settings, client: httpx.Client, **values: Any) -> None:
    with Database(settings).session() as db:
        digest = sessions.digest(_cookie_data(client)["sid"])
        db.execute(update(LoginSession).where(LoginSession.token_hash == digest).values(**values))


@pytest.mark.slow
def test_sessions_expire_on_the_server_when_idle_or_too_old(instance: Instance) -> None:
    name = _account(instance.settings)
    s = instance.settings
    now = utcnow()
    with _client(instance.url) as client:
        assert _login(client, name).status_code == 303
        _session_row(s, client, last_seen_at=now - dt.timedelta(minutes=s.session_idle_minutes + 1))
        assert _refused_page(client)

        assert _login(client, name).status_code == 303
        _session_row(s, client, created_at=now - dt.timedelta(hours=s.session_hours, minutes=1))
        assert _refused_page(client)

        assert _login(client, name).status_code == 303
        _session_row(s, client, created_at=now - dt.timedelta(hours=1), last_seen_at=now - dt.timedelta(minutes=10))
        assert client.get("/demandes").status_code == 200
        with Database(s).session() as db:
            row = sessions.find(db, _cookie_data(client)["sid"])
            assert row is not None and row.last_seen_at.replace(tzinfo=dt.UTC) > now - dt.timedelta(seconds=30)


# --- 5. the key: out of backups, rotated ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_backup_holds_no_key_and_a_restore_makes_its_own(instance: Instance, tmp_path: Path) -> None:
    name = _account(instance.settings)
    with _client(instance.url) as client:
        assert _login(client, name).status_code == 303
    key = (instance.settings.data_dir / "secret_key").read_text().strip()
    archive = tmp_path / "sauvegarde.tar.gz"
    assert _cli(instance.settings, "backup", "--out", str(archive)).returncode == 0
    with tarfile.open(archive) as tar:
        assert not [m for m in tar.getnames() if "secret" in m]
        tar.extract("accueil.db", tmp_path / "archive", filter="data")
        raw = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert key.encode() not in raw
    with sqlite3.connect(tmp_path / "archive" / "accueil.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0

    restored = settings_for(tmp_path / "restauree")
    restored.data_dir.mkdir()
    (restored.data_dir / "effacements.jsonl").touch()  # the target's (empty) erasure journal: nothing to re-apply
    done = _cli(restored, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    new_key = (restored.data_dir / "secret_key").read_text().strip()
    assert len(new_key) >= 32 and new_key != key


def _signed(key: str, data: dict[str, Any]) -> str:
    return itsdangerous.TimestampSigner(key).sign(b64encode(json.dumps(data).encode())).decode()


@pytest.mark.slow
def test_secret_rotate_ends_every_session_and_old_key_cookies_fail(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "donnees")
    name = _account(settings)
    log = tmp_path / "serve.log"
    with serve(settings, free_port(), {}, log) as url, _client(url) as client:
        assert _login(client, name).status_code == 303
        old_key = (settings.data_dir / "secret_key").read_text().strip()
        done = _cli(settings, "secret", "rotate")
        assert done.returncode == 0 and "1 session(s) fermée(s)" in done.stdout, done.stderr
        assert (settings.data_dir / "secret_key").read_text().strip() != old_key
        assert (settings.data_dir / "secret_key").stat().st_mode & 0o777 == 0o600
        assert _refused_page(client)  # at once, before any restart
    with serve(settings, free_port(), {}, log) as url, _client(url) as client:
        assert _login(client, name).status_code == 303
        data = _cookie_data(client)
        new_key = (settings.data_dir / "secret_key").read_text().strip()
        with _with_cookie(url, _signed(old_key, data)) as forged:
            assert _refused_page(forged)
        with _with_cookie(url, _signed(new_key, data)) as same:
            assert same.get("/demandes").status_code == 200  # the same content, signed with the key in force


# --- 7. throttling per (account, address), with backoff ---------------------------------------------------------------


@pytest.mark.slow
def test_a_stranger_locks_only_his_own_address_out_of_an_account(instance: Instance) -> None:
    name = _account(instance.settings)
    with _client(instance.url, "198.51.100.23") as stranger, _client(instance.url, "192.0.2.200") as owner:
        for _ in range(3):
            assert _login(stranger, name, "pas-le-bon-mot-de-passe").status_code == 401
        locked = _login(stranger, name)
        assert locked.status_code == 429 and "Trop de tentatives" in locked.text
        assert _login(owner, name).status_code == 303
        assert owner.get("/demandes").status_code == 200
    with Database(instance.settings).session() as db:
        events = list(db.scalars(LOCKOUTS))
    mine = [e for e in events if e.actor == name]
    assert len(mine) == 1 and mine[0].data["reseau"] == "198.51.100.0/24"
    assert "198.51.100.23" not in json.dumps([e.data for e in events])


@pytest.mark.slow
def test_the_per_address_limit_still_holds_across_names(instance: Instance) -> None:
    with _client(instance.url, "203.0.113.99") as client:
        for i in range(6):
            assert _login(client, f"personne-{i}", "nimporte-quoi").status_code == 401
        assert _login(client, "encore-un-autre", "nimporte-quoi").status_code == 429


T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_each_new_lockout_of_a_pair_lasts_twice_as_long(tmp_path: Path) -> None:
    limits = throttle.Limits.from_settings(settings_for(tmp_path, **LIMITS))
    database = Database(settings_for(tmp_path))

    def fail(at: dt.datetime) -> dt.timedelta | None:
        with database.session() as db:
            return throttle.record_failure(db, limits, "lucie", "10.9.0.1", at)

    def locked(ip: str, at: dt.datetime) -> dt.timedelta | None:
        with database.session() as db:
            return throttle.locked_for(db, limits, "lucie", ip, at)

    minute = dt.timedelta(minutes=1)
    assert fail(T0) is None and fail(T0 + minute) is None
    assert fail(T0 + 2 * minute) == 15 * minute
    assert locked("10.9.0.2", T0 + 3 * minute) is None  # the same account from elsewhere
    assert locked("10.9.0.1", T0 + 18 * minute) is None
    for step in (18, 19):
        assert fail(T0 + step * minute) is None
    assert fail(T0 + 20 * minute) == 30 * minute
    assert locked("10.9.0.1", T0 + 49 * minute) == minute
    for step in (51, 52):
        fail(T0 + step * minute)
    assert fail(T0 + 53 * minute) == 60 * minute
    with database.session() as db:
        assert auth.add_user(db, "lucie", "agent", PASSWORD)
    with database.session() as db:
        assert auth.login(db, settings_for(tmp_path, **LIMITS), "lucie", PASSWORD, "10.9.0.1", T0 + 114 * minute)
        # a success forgets the pair's failures: the next lockout starts again at 15 minutes
        for step in (115, 116):
            throttle.record_failure(db, limits, "lucie", "10.9.0.1", T0 + step * minute)
        assert throttle.record_failure(db, limits, "lucie", "10.9.0.1", T0 + 117 * minute) == 15 * minute
    database.close()


# --- 18. lockout events: no raw address, no typed name, aged out by purge --------------------------------------------


def test_lockout_events_keep_no_raw_address_or_typed_name_and_age_out(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, **LIMITS)
    database = Database(settings)
    with database.session() as db:
        auth.add_user(db, "odile", "agent", PASSWORD)
    old = utcnow() - dt.timedelta(days=400)
    typed = "Mon-Mot-De-Passe-Secret"  # a password typed in the name field
    for who, ip, at in ((typed, "198.51.100.77", old), ("odile", "198.51.100.78", old), (typed, "2001:db8:5::9", None)):
        for n in range(3):
            with database.session() as db:
                when = (at or utcnow()) + dt.timedelta(seconds=n)
                assert auth.login(db, settings, who, "mauvais", ip, when) is None
    with database.session() as db:
        events = list(db.scalars(LOCKOUTS))
        keys = list(db.scalars(sql_select(LoginAttempt.key)))
    audited = json.dumps([[e.actor, e.data] for e in events])
    assert "198.51.100.77" not in audited and "2001:db8:5::9" not in audited
    # the typed name is nowhere, not even in the throttling counts (which keep raw addresses for half an hour)
    assert typed.casefold() not in json.dumps([audited, *keys]).casefold()
    assert sorted((e.actor, e.data["reseau"]) for e in events) == [
        ("inconnu", "198.51.100.0/24"),
        ("inconnu", "2001:db8:5::/48"),
        ("odile", "198.51.100.0/24"),
    ]
    database.close()

    done = _cli(settings, "purge", "--days", "365")
    assert done.returncode == 0, done.stderr
    with Database(settings).session() as db:
        left = [
            e.data["reseau"] for e in db.scalars(sql_select(AuditEvent).where(AuditEvent.action == "connexion_bloquee"))
        ]
    assert left == ["2001:db8:5::/48"]


# --- 19. password policy ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaa", "trop court"),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", "trop faible"),
        ("Abc1!Abc1!Abc1!Abc1!", "trop faible"),
        ("bonjourlesamis", "trop faible"),
        ("Motdepasse2024!", "trop courant"),
        ("AZERTYUIOP123", "trop courant"),
        ("Xq7!martin.dupont", "identifiant"),
    ],
)
def test_weak_common_or_personal_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(Exception) as refused:
        password_policy.check(password, "martin.dupont")
    assert message in str(refused.value)


@pytest.mark.parametrize("password", ["Tr0ub4dor&3xyz", "cheval correct batterie agrafe", "Belval-Ornette-2026!"])
def test_strong_passwords_and_passphrases_are_accepted(password: str) -> None:
    password_policy.check(password, "martin.dupont")


def test_user_add_refuses_a_weak_password_in_french(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    refused = _cli(settings, "user", "add", "martin", stdin="aaaaaaaaaaaa\n")
    assert refused.returncode == 1 and "Erreur : Mot de passe trop faible" in refused.stderr
    refused = _cli(settings, "user", "add", "martin", stdin="Martin-2026-Belval!\n")
    assert refused.returncode == 1 and "ne doit pas contenir l'identifiant" in refused.stderr
    created = _cli(settings, "user", "add", "martin", stdin=PASSWORD + "\n")
    assert created.returncode == 0 and "créé" in created.stdout
    weak = _cli(settings, "user", "password", "martin", stdin="motdepasse123\n")
    assert weak.returncode == 1 and "trop courant" in weak.stderr


def _interactive(args: list[str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI at a terminal (a pseudo-terminal), typing each answer after the next prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, with the pseudo-terminal as its terminal
        os.chdir(REPO_ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "server", *args])
    out, mark, deadline, pending = b"", 0, time.monotonic() + timeout, list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closes when the CLI exits
                break
            if not chunk:
                break
            out += chunk
        # A hidden prompt is waiting once echo is off (typed earlier, the answer would be flushed by getpass).
        if pending and out[mark:].rstrip().endswith(b":") and not termios.tcgetattr(fd)[3] & termios.ECHO:
            os.write(fd, (pending.pop(0) + "\n").encode())
            mark = len(out)
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_a_password_typed_at_a_terminal_is_asked_twice(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    Database(settings).close()
    base = ["user", "add", "nadia", "--data-dir", str(settings.data_dir)]
    code, out = _interactive(base, [PASSWORD, PASSWORD + "x"])
    assert code == 1 and "Confirmez le mot de passe" in out and "Les deux saisies diffèrent" in out
    assert PASSWORD not in out  # hidden input
    code, out = _interactive(base, [PASSWORD, PASSWORD])
    assert code == 0 and "Compte 'nadia' créé" in out


# --- 20. transport defaults ---------------------------------------------------------------------------------------


def _set_cookie(response: httpx.Response) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE + "="))


@pytest.mark.slow
def test_plain_http_warns_and_the_cookie_ends_with_the_browser_unless_remembered(instance: Instance) -> None:
    log = instance.log.read_text(encoding="utf-8")
    assert "sans https" in log and "ACCUEIL_PUBLIC_BASE_URL" in log
    assert "partent en clair vers smtp.belval.example:25" in log
    name = _account(instance.settings)
    with _client(instance.url) as client:
        r = _login(client, name)
        assert "strict-transport-security" not in r.headers
        cookie = _set_cookie(r).lower()
        assert "max-age" not in cookie and "expires" not in cookie and "httponly" in cookie
        remembered = _set_cookie(_login(client, name, remember=True)).lower()
        assert f"max-age={int(instance.settings.session_hours * 3600)}" in remembered
    assert 'name="se_souvenir"' in httpx.get(f"{instance.url}/connexion").text


@pytest.mark.slow
def test_https_gives_secure_cookies_and_hsts_without_warnings(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "donnees")
    env = {"ACCUEIL_PUBLIC_BASE_URL": "https://accueil.belval.example", "ACCUEIL_SMTP_HOST": "127.0.0.1"}
    log = tmp_path / "serve.log"
    with serve(settings, free_port(), env, log) as url:
        r = httpx.get(f"{url}/connexion")
    assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert re.search(r"; secure\b", _set_cookie(r).lower())
    text = log.read_text(encoding="utf-8")
    assert "sans https" not in text and "en clair" not in text
