"""Password policy for passwords a person chooses (CNIL délibération 2022-100).

A password alone must carry about 80 bits of entropy: at least 12 characters mixing lower case, upper case, digits
and special characters, or longer with fewer kinds (14 with three kinds, 17 lower-case letters), or a passphrase of
several words. Repeated characters count once a pair ("aaaaaaaaaaaaaaaa" is as weak as "aa"). Common passwords (a
small list in ``data/common_passwords.txt``, with digits or punctuation around them) and passwords that contain the
username are refused. Generated passwords are random and not checked here.
"""

from __future__ import annotations

import math
import string
from functools import cache
from pathlib import Path

from server.core.errors import InputError

MIN_LENGTH = 12
# 12 characters drawn from the 95 printable ASCII ones give 78.8 bits: the CNIL's own example for 80 bits.
MIN_BITS = 78.0
COMMON = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
_EDGES = string.digits + string.punctuation + " "


@cache
def _common() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _pool(password: str) -> int:
    """Size of the alphabet the password's kinds of characters are drawn from."""
    pool = 0
    if any(c.islower() for c in password):
        pool += 26
    if any(c.isupper() for c in password):
        pool += 26
    if any(c.isdigit() for c in password):
        pool += 10
    if any(not (c.isalnum() and c.isascii()) for c in password):
        pool += 33
    return pool


def entropy_bits(password: str) -> float:
    """Estimated entropy: length (each distinct character counted at most twice) × log2 of the alphabet size."""
    if not password:
        return 0.0
    length = min(len(password), 2 * len(set(password)))
    return length * math.log2(_pool(password))


def is_common(password: str) -> bool:
    """True for a listed common password, alone or with digits or punctuation before or after it."""
    folded = password.casefold()
    core = folded.strip(_EDGES)
    return folded in _common() or (len(core) >= 4 and core in _common())


def check(password: str, username: str = "") -> None:
    """Refuse (InputError, in French) a password that does not follow the policy."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"Mot de passe trop court : au moins {MIN_LENGTH} caractères (recommandation de la CNIL).")
    name = username.strip().casefold()
    if len(name) >= 3 and name in password.casefold():
        raise InputError("Le mot de passe ne doit pas contenir l'identifiant.")
    if is_common(password):
        raise InputError("Mot de passe trop courant : choisissez-en un autre.")
    if entropy_bits(password) < MIN_BITS:
        raise InputError(
            "Mot de passe trop faible : mélangez minuscules, majuscules, chiffres et caractères spéciaux "
            f"({MIN_LENGTH} caractères au moins), ou choisissez une phrase de passe de plusieurs mots."
        )
