"""An erasure run as the command line does it: the base is erased and compacted, the default retention applies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from server.core.desk import erase_now, erasure
from server.core.desk.db import Database
from server.core.desk.tables import Request, utcnow
from server.core.errors import InputError
from tests.conftest import settings_for

QUESTION = "Bonjour, je suis Yannick Le Goff-Abgrall, horaires de la déchetterie ?"


def _add(settings_path: Path, ref: str, email: str, age_days: int) -> None:
    database = Database(settings_for(settings_path))
    with database.session() as db:
        created = utcnow() - dt.timedelta(days=age_days)
        db.add(Request(ref=ref, question=QUESTION, channel="web", citizen_email=email, created_at=created))
    database.close()


def _questions(data: Path) -> dict[str, str]:
    database = Database(settings_for(data))
    with database.session() as db:
        rows = {r.ref: r.question for r in db.scalars(select(Request))}
    database.close()
    return rows


def test_purge_uses_the_retention_setting_and_compacts(tmp_path: Path) -> None:
    _add(tmp_path, "R-OLD", "ancien@exemple.fr", age_days=400)
    _add(tmp_path, "R-NEW", "recent@exemple.fr", age_days=3)
    run = erase_now.purge(settings_for(tmp_path, retention_days=365), None, "test")
    assert (run.count, run.retention_days, run.compacted) == (1, 365, True)
    assert _questions(tmp_path) == {"R-OLD": erasure.PURGED, "R-NEW": QUESTION}
    assert b"Yannick" in (tmp_path / "accueil.db").read_bytes()  # the recent request is still there…
    run = erase_now.purge(settings_for(tmp_path, retention_days=365), 1, "test")
    assert (run.count, run.retention_days) == (1, 1)
    assert b"Yannick" not in (tmp_path / "accueil.db").read_bytes()  # …and no old page keeps it once purged
    with pytest.raises(InputError, match="au moins un jour"):
        erase_now.purge(settings_for(tmp_path), 0, "test")


def test_forget_erases_every_request_of_the_address(tmp_path: Path) -> None:
    _add(tmp_path, "R-1", "marie@exemple.fr", age_days=1)
    _add(tmp_path, "R-2", "autre@exemple.fr", age_days=1)
    run = erase_now.forget(settings_for(tmp_path), "MARIE@exemple.fr", "test")
    assert (run.count, run.compacted, run.retention_days) == (1, True, None)
    assert _questions(tmp_path) == {"R-1": erasure.ERASED, "R-2": QUESTION}
