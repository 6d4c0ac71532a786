"""The signing key of session cookies (and of the public form's tokens): configured, or kept in the data directory.

With server-side sessions (``server.core.desk.sessions``) the key only signs the cookie that carries a session id: it
opens no session by itself. It is never put in a backup; ``rotate`` replaces it (``accueil secret rotate``).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from server.core.config import Settings
from server.core.errors import ConfigError

log = logging.getLogger(__name__)
KEY_FILE = "secret_key"
# Keys made by a process that could not save one (see secret_key), by path.
_EPHEMERAL_KEYS: dict[str, str] = {}
_MIN_KEY_CHARS = 32  # a shorter (empty, truncated) key file is treated as absent: never sign with a guessable key


def key_path(settings: Settings) -> Path:
    """Where the generated key is kept."""
    return settings.data_dir / KEY_FILE


def _read_key(path: Path) -> str | None:
    """The saved key, or None when there is none (no file, or an empty or truncated one left by an older version).

    Any other read error is raised: regenerating the key over a valid one would end every session."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key if len(key) >= _MIN_KEY_CHARS else None


def _write_tmp(path: Path, key: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves no empty key file behind
        raise
    return tmp


def _save_key(path: Path, key: str) -> str:
    """Save ``key`` whole or not at all (a 0600 temporary file, then linked into place) and return the key in force:
    when another process saved one first, its key wins."""
    tmp = _write_tmp(path, key)
    try:
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
    path = key_path(settings)
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
    return bool(settings.secret_key) or _read_key(key_path(settings)) is not None


def rotate(settings: Settings) -> None:
    """Replace the kept key by a new one (atomically, mode 600); refused when the key comes from the configuration."""
    if settings.secret_key:
        raise ConfigError(
            "La clé est fixée par ACCUEIL_SECRET_KEY : changez-la dans la configuration, puis redémarrez le service."
        )
    path = key_path(settings)
    try:
        tmp = _write_tmp(path, secrets.token_urlsafe(48))
        try:
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(f"Nouvelle clé non enregistrée : {exc}") from exc
    _EPHEMERAL_KEYS.pop(str(path), None)
